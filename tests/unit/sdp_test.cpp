#include "callctl/model/sdp.hpp"

#include <gtest/gtest.h>

namespace sipcc {
namespace {

const std::string kAgent =
    "v=0\r\no=agent 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\n"
    "m=audio 32000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";

TEST(Sdp, HoldOffers) {
  struct hold_case {
    std::string name, sdp, direction;
    std::optional<std::string> offer;
  };
  const std::vector<hold_case> cases = {
      {"sendrecv_to_sendonly_version_up", kAgent, "sendonly",
       "v=0\r\no=agent 1 2 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\n"
       "m=audio 32000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\n"},
      {"back_to_sendrecv",
       "v=0\r\no=agent 1 2 IN IP4 10.0.0.2\r\nm=audio 1 RTP/AVP 0\r\na=inactive\r\n",
       "sendrecv", "v=0\r\no=agent 1 3 IN IP4 10.0.0.2\r\nm=audio 1 RTP/AVP 0\r\na=sendrecv\r\n"},
      // No direction anywhere (sendrecv by default): each media section gets
      // one. LF line ends come out CRLF (sofia's printer).
      {"missing_direction_added_per_media",
       "v=0\no=- 7 41 IN IP4 h\nm=audio 1 RTP/AVP 0\na=ptime:20\nm=video 2 RTP/AVP 96\n",
       "inactive",
       "v=0\r\no=- 7 42 IN IP4 h\r\nm=audio 1 RTP/AVP 0\r\na=ptime:20\r\na=inactive\r\n"
       "m=video 2 RTP/AVP 96\r\na=inactive\r\n"},
      // sofia prints each format's rtpmap (and fmtp) before the other a= lines.
      {"rtpmap_lines_first",
       "v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 1 RTP/AVP 8\r\na=ptime:20\r\na=rtpmap:8 PCMA/8000\r\n",
       "sendonly",
       "v=0\r\no=- 1 2 IN IP4 h\r\nm=audio 1 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=ptime:20\r\n"
       "a=sendonly\r\n"},
      // A session-level direction is replaced and covers the media sections.
      {"session_level_direction",
       "v=0\r\no=- 7 9 IN IP4 h\r\na=recvonly\r\nm=audio 1 RTP/AVP 0\r\n", "sendonly",
       "v=0\r\no=- 7 10 IN IP4 h\r\na=sendonly\r\nm=audio 1 RTP/AVP 0\r\n"},
      // Every b= modifier comes out as it came in (sofia alone reads all but
      // CT as AS).
      {"bandwidth_modifiers_kept",
       "v=0\r\no=- 1 1 IN IP4 h\r\nb=CT:128\r\nb=TIAS:64000\r\nm=audio 1 RTP/AVP 0\r\n"
       "b=AS:80\r\nb=RR:800\r\nm=audio 2 RTP/AVP 0\r\nb=tias:1000\r\n",
       "sendonly",
       "v=0\r\no=- 1 2 IN IP4 h\r\nb=CT:128\r\nb=TIAS:64000\r\nm=audio 1 RTP/AVP 0\r\n"
       "b=AS:80\r\nb=RR:800\r\na=sendonly\r\nm=audio 2 RTP/AVP 0\r\nb=tias:1000\r\na=sendonly\r\n"},
      {"no_origin", "v=0\r\nm=audio 1 RTP/AVP 0\r\n", "sendonly", std::nullopt},
      {"bad_version", "v=0\r\no=- 7 x IN IP4 h\r\n", "sendonly", std::nullopt},
      {"short_origin", "v=0\r\no=- 7 1 IN IP4\r\n", "sendonly", std::nullopt},
      {"empty", "", "sendonly", std::nullopt},
      {"bad_direction", kAgent, "hold", std::nullopt},
      // Malformed SDP is not edited, whatever its o= line.
      {"not_sdp", "Messages-Waiting: no\r\n", "sendonly", std::nullopt},
      {"bad_port", "v=0\r\no=- 7 9 IN IP4 h\r\nm=audio x RTP/AVP 0\r\n", "sendonly", std::nullopt},
      {"bad_payload_type", "v=0\r\no=- 7 9 IN IP4 h\r\nm=audio 1 RTP/AVP 200\r\n", "sendonly",
       std::nullopt},
      {"unknown_line", "v=0\r\no=- 7 9 IN IP4 h\r\ny=1\r\n", "sendonly", std::nullopt},
      // Found by fuzzing: sofia asked for 2 GB parsing these m= lines.
      {"control_characters", "v=0\r\no=- 7 9 IN IP4 h\r\nm=audio 1 RTP/\x08\x16\x16\r\n", "sendonly",
       std::nullopt},
      {"bare_cr_in_media_line", "v=0\r\no=- 7 9 IN IP4 h\r\nm=audio 0 0401RTPo=- 1 =0\r2\n",
       "sendonly", std::nullopt},
      {"non_ascii_format", "v=0\r\no=- 7 9 IN IP4 h\r\nm=audio 0 0401RTP/AVP 0 10\xd5\xd5" "1\r\n",
       "sendonly", std::nullopt},
      // Found by fuzzing: sofia took this for SDP without an o= line.
      {"no_origin_after_unknown_line",
       "v=0\r\n1\r\ns=A\r\nc=IN IP4 127v=0\r\no=- 1 3 IN IP4 127.0.0.1\r\nt=0 0\r\r",
       "sendonly", std::nullopt},
      // UTF-8 where RFC 4566 allows text is edited as usual.
      {"utf8_session_name", "v=0\r\no=- 7 9 IN IP4 h\r\ns=Caf\xc3\xa9\r\n", "sendonly",
       "v=0\r\no=- 7 10 IN IP4 h\r\ns=Caf\xc3\xa9\r\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(hold_offer(c.sdp, c.direction), c.offer);
  }
}

TEST(Sdp, RejectingAnswerHasEveryStreamAtPortZero) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"v=0\r\no=a 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
       "m=audio 4000 RTP/AVP 0 8 101\r\na=sendrecv\r\nm=video 5000 RTP/AVP 96\r\n",
       "m=audio 0 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\n"},
      {"v=0\no=a 1 1 IN IP4 h\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\n", "m=audio 0 RTP/AVP 0\r\n"},
      // Found by fuzzing: the format's own a=rtpmap went out nameless
      // ("a=rtpmap:0 /8000"), which is not SDP.
      {"v=0\r\no=a 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\n"
       "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n",
       "m=audio 0 RTP/AVP 0\r\n"},
      {"v=0\r\no=a 1 1 IN IP4 h\r\nm=audio 4000 RTP/AVP 101\r\n"
       "a=rtpmap:101 telephone-event/8000\r\n",
       "m=audio 0 RTP/AVP 101\r\n"},
      {"v=0\r\no=a 1 1 IN IP4 h\r\nm=image 4000 udptl t38\r\na=T38FaxVersion:0\r\n",
       "m=image 0 udptl t38\r\n"},
      // Not SDP (sdp_parse fails): nothing sipcc can answer stream by stream.
      {"m=audio 4000\r\n", ""},
      {"v=0\r\no=a 1 1 IN IP4 h\r\nm=audio 4000 RTP/AVP x\r\n", ""},
      // Found by fuzzing: sofia reads this proto only after a port count.
      {"v=0\r\no=a 1 1 IN IP4 h\r\nm=audio 31/2 /RTP/AVP 0\r\n", ""},
      {"v=0\r\no=a 1 1 IN IP4 h\r\nm=audio 31/2 RTP//AVP 0\r\n", ""},
      // Found by fuzzing: sofia loops, asking for memory, on a format of an
      // unknown transport that is no token.
      {"v=0\r\no=a 1 1 IN IP4 h\r\nm=audio 1 X 0 =\r\n", ""},
      {"v=0\r\no=a 1 1 IN IP4 h\r\nm=audio 1 X (\r\n", ""},
      {"v=0\r\no=a 1 1 IN IP4 h\r\nm=audio 1 X 0 /8\r\n", ""},
      {"v=0\r\no=a 1 1 IN IP4 h\r\n m=audio 1 X {\r\n", ""},
      {"Messages-Waiting: no\r\n", ""},
      {"", ""},
  };
  const std::string session = "v=0\r\no=sipcc 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
  for (const auto& [offer, streams] : cases)
    EXPECT_EQ(rejecting_answer(offer), session + streams) << offer;
}

TEST(Sdp, InactiveAnswerAcceptsEveryStreamWithNothingFlowing) {
  const std::string session =
      "v=0\r\no=sipcc 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      // The first format with its rtpmap and fmtp (printed before a=inactive);
      // the other formats' lines go.
      {"v=0\r\no=a 1 1 IN IP4 10.0.0.1\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
       "m=audio 4000 RTP/AVP 96 0 101\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n"
       "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
       "a=sendrecv\r\n",
       "m=audio 9 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n"
       "a=inactive\r\n"},
      // Each stream on its own; a stream the offer rejected stays rejected.
      {"v=0\no=a 1 1 IN IP4 h\nm=audio 4000 RTP/AVP 8\na=rtpmap:8 PCMA/8000\n"
       "m=video 0 RTP/AVP 31\nm=video 5000 RTP/AVP 31\n",
       "m=audio 9 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=inactive\r\n"
       "m=video 0 RTP/AVP 31\r\nm=video 9 RTP/AVP 31\r\na=inactive\r\n"},
      // "a=rtpmap:10" is not format 1's.
      {"v=0\r\no=a 1 1 IN IP4 h\r\nm=audio 4000 RTP/AVP 1\r\na=rtpmap:10 L16/44100\r\n",
       "m=audio 9 RTP/AVP 1\r\na=inactive\r\n"},
      // Not SDP (sdp_parse fails): nothing sipcc can answer stream by stream.
      {"m=audio 4000 RTP/AVP 1\r\n", ""},  // no v= and o=
      {"v=0\r\no=a 1 1 IN IP4 h\r\nm=audio 4000\r\n", ""},
      {"", ""},
  };
  for (const auto& [offer, streams] : cases)
    EXPECT_EQ(inactive_answer(offer), session + streams) << offer;
}

// One leg's bodies in the order sipcc sends them, each with the o= line
// the leg must see.
TEST(Sdp, HasOrigin) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"v=0\r\no=a 1 1 IN IP4 h\r\nm=audio 1 RTP/AVP 0\r\n", true},
      {"v=0\no=- 7 9 IN IP4 h\n", true},
      {"v=0\r\nm=audio 1 RTP/AVP 0\r\n", false},  // none
      {"v=0\r\no=a 1 x IN IP4 h\r\n", false},     // bad version
      {"v=0\r\no=a 1 1 IN IP4\r\n", false},       // short
      {"v=0\r\no=a 1 1 IN IP4 h\r\nm=audio x RTP/AVP 0\r\n", false},  // not SDP
      // Found by fuzzing: sofia reads an o= address with a TTL but does not
      // write one (a hold offer of it could not be made).
      {"v=0\r\no=a 1 1 IN IP4 h/1\r\n", false},
      // Found by fuzzing: sofia reads this b= line as b=AS:1001.
      {"v=0\r\no=a 1 1 IN IP4 h\r\nb=- 1001 IN IP4 h\r\n", false},
      {"v=0\r\no=a 1 1 IN IP4 h\r\nb=TIAS:64000\r\n", true},
      {"", false},
  };
  for (const auto& [sdp, has] : cases)
    EXPECT_EQ(has_origin(sdp), has) << sdp;
}

TEST(Sdp, StampOriginKeepsOneSessionPerLeg) {
  auto body = [](const std::string& origin, const std::string& media) {
    return "v=0\r\n" + origin + "\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\n" + media;
  };
  const std::string audio = "m=audio 32000 RTP/AVP 0\r\na=sendrecv\r\n";
  const std::string held = "m=audio 32000 RTP/AVP 0\r\na=sendonly\r\n";
  const std::string other = "m=audio 40000 RTP/AVP 8\r\na=sendrecv\r\n";
  struct send {
    std::string name, sdp, sent;
  };
  const std::vector<send> sends = {
      {"first_body_sets_the_origin", body("o=agent 5 7 IN IP4 10.0.0.2", audio),
       body("o=agent 5 7 IN IP4 10.0.0.2", audio)},
      // A session refresh answered with the same body: the same version.
      {"same_body_same_version", body("o=agent 5 7 IN IP4 10.0.0.2", audio),
       body("o=agent 5 7 IN IP4 10.0.0.2", audio)},
      // Its maker's version moved, nothing else did: still the same body.
      {"only_the_makers_version_moved", body("o=agent 5 9 IN IP4 10.0.0.2", audio),
       body("o=agent 5 7 IN IP4 10.0.0.2", audio)},
      {"changed_body_next_version", body("o=agent 5 10 IN IP4 10.0.0.2", held),
       body("o=agent 5 8 IN IP4 10.0.0.2", held)},
      // Someone else's body (a transfer target's): the leg's session goes on.
      {"another_partys_body", body("o=- 900 1 IN IP4 10.9.9.9", other),
       body("o=agent 5 9 IN IP4 10.0.0.2", other)},
      {"no_origin_goes_as_it_is", "v=0\r\nm=audio 1 RTP/AVP 0\r\n",
       "v=0\r\nm=audio 1 RTP/AVP 0\r\n"},
      {"bad_origin_goes_as_it_is", "v=0\no=- 7 x IN IP4 h\n", "v=0\no=- 7 x IN IP4 h\n"},
      {"empty_goes_as_it_is", "", ""},
      {"malformed_goes_as_it_is", "v=0\r\no=x 1 1 IN IP4 h\r\nm=audio 2\r\n",
       "v=0\r\no=x 1 1 IN IP4 h\r\nm=audio 2\r\n"},
      // sofia's printer writes CRLF.
      {"lf_line_ends_become_crlf", "v=0\no=x 1 1 IN IP4 h\nm=audio 2 RTP/AVP 0\n",
       "v=0\r\no=agent 5 10 IN IP4 10.0.0.2\r\nm=audio 2 RTP/AVP 0\r\n"},
      // The same body in other line ends is the same body: same version.
      {"line_ends_are_no_change", "v=0\r\no=x 1 1 IN IP4 h\r\nm=audio 2 RTP/AVP 0\r\n",
       "v=0\r\no=agent 5 10 IN IP4 10.0.0.2\r\nm=audio 2 RTP/AVP 0\r\n"},
  };
  leg_origin origin;
  for (const auto& s : sends) {
    SCOPED_TRACE(s.name);
    EXPECT_EQ(stamp_origin(origin, s.sdp), s.sent);
  }
}

}  // namespace
}  // namespace sipcc
