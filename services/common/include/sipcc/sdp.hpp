// SDP offers and answers sipcc makes itself, as pure text functions:
// putting a call on hold and taking it back (RFC 3264 8.4), answering a
// flow I offer before there is media to join it to. Everything else in an
// SDP body is opaque to sipcc.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sipcc {

// A new offer in the session of `sdp` (the last SDP sipcc sent that party):
// the same body with the o= version one higher (RFC 3264 8) and every media
// direction attribute (a=sendrecv, sendonly, recvonly, inactive) replaced by
// a=<direction>; a media section that has none, under a session without one,
// gets one. Line endings are kept. Nothing when `sdp` has no well-formed o=
// line or `direction` is not one of the four.
std::optional<std::string> hold_offer(std::string_view sdp, std::string_view direction);

// An answer that rejects every stream of `offer` (RFC 3264 6: each m= line
// answered with port 0 and its first format), for an ACK that must carry an
// answer to a 2xx offer sipcc no longer wants (RFC 3261 13.2.2.4). CRLF line
// endings; an offer without m= lines gets a session-only answer.
std::string rejecting_answer(std::string_view offer);

// An answer that accepts every stream of `offer` with nothing flowing (RFC
// 3264 6.1): each m= line keeps its media and proto with its first format
// (and that format's a=rtpmap / a=fmtp lines), the discard port 9 and
// a=inactive, under c=IN IP4 0.0.0.0; a stream the offer rejected (port 0)
// stays rejected. For the ACK of a flow I 2xx whose far party has not
// answered yet (TMakeCall ringback). Its origin is o=sipcc 1 1 IN IP4
// 0.0.0.0, which session_offer continues. CRLF line endings.
std::string inactive_answer(std::string_view offer);

// `body` (SDP sipcc got from one party) as sipcc's next offer to a party
// that last got `last_sent` from it: `body` with its o= line replaced by the
// o= line of `last_sent`, version one higher (RFC 3264 8: one session per
// party, whoever's media it carries). Line endings of `body` are kept.
// session_offer(s, s) is `s` again as a new version. Nothing when either
// has no well-formed o= line.
std::optional<std::string> session_offer(std::string_view body, std::string_view last_sent);

}  // namespace sipcc
