// SDP offers and answers sipcc makes itself: putting a routed call on hold
// and taking it back (RFC 3264 8.4), answers it must give on its own, and
// sipcc's o= line toward each leg. Every edit parses the body with
// sofia-sip's SDP parser, changes the structure and prints it again: what
// comes out has CRLF line ends, its lines in RFC 4566 order and each m=
// line's rtpmap/fmtp lines first; a body sofia cannot parse is not edited.
// Every b= line keeps its modifier (sofia 1.12.11 alone would read all but
// CT as AS). Everything else in a body is opaque to sipcc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sipcc {

// A new offer in the session of `sdp` (the last SDP sipcc sent that party):
// the same body with the o= version one higher (RFC 3264 8) and every media
// direction attribute (a=sendrecv, sendonly, recvonly, inactive) replaced by
// a=<direction>; a media section that has none, under a session without one,
// gets one. Nothing when `sdp` is not SDP with an o= line or `direction` is
// not one of the four.
std::optional<std::string> hold_offer(std::string_view sdp, std::string_view direction);

// An answer that rejects every stream of `offer` (RFC 3264 6: each m= line
// answered with port 0 and its first format), for an ACK that must carry an
// answer to a 2xx offer sipcc no longer wants (RFC 3261 13.2.2.4). An offer
// without m= lines, or that is not SDP, gets a session-only answer.
std::string rejecting_answer(std::string_view offer);

// sipcc's origin toward one leg. A B2BUA passes on bodies that other parties
// made, so what a leg receives from sipcc would change o= session whenever
// sipcc connects it to someone else (a transfer, a conference, a treatment
// after a route) and its version would not always grow; RFC 3264 8 wants one
// session per dialog whose version goes up exactly when the body changes.
struct leg_origin {
  std::string session;   // "v=0" and the o= line of the first SDP sent
  uint64_t version = 0;
  std::string last;      // the last body sent, as sofia prints it without o=
};

// `sdp` as it goes to the leg of `origin`: its o= line becomes the leg's
// (the first SDP sets it as it is), with the version one higher than last
// time if anything else in the body changed, the same if nothing did. A body
// that is not SDP with an o= line goes as it is.
std::string stamp_origin(leg_origin& origin, std::string_view sdp);

// Whether `sdp` is SDP with an o= line, which stamp_origin can keep in a
// leg's session (a body without one would bring its own).
bool has_origin(std::string_view sdp);
// An answer that accepts every stream of `offer` with nothing flowing (RFC
// 3264 6.1): each m= line keeps its media and proto with its first format
// (and that format's a=rtpmap / a=fmtp lines), the discard port 9 and
// a=inactive, under c=IN IP4 0.0.0.0; a stream the offer rejected (port 0)
// stays rejected. For the ACK of a flow I 2xx whose far party has not
// answered yet (TMakeCall ringback). Its origin is o=sipcc 1 1 IN IP4
// 0.0.0.0, the session stamp_origin then keeps for that leg. An offer that
// is not SDP gets the session alone.
std::string inactive_answer(std::string_view offer);

}  // namespace sipcc
