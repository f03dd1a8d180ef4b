#include "sipcc/sdp.hpp"

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
      // No direction anywhere (sendrecv by default): each media section gets one.
      {"missing_direction_added_per_media",
       "v=0\no=- 7 41 IN IP4 h\nm=audio 1 RTP/AVP 0\na=ptime:20\nm=video 2 RTP/AVP 96\n",
       "inactive",
       "v=0\no=- 7 42 IN IP4 h\nm=audio 1 RTP/AVP 0\na=ptime:20\na=inactive\n"
       "m=video 2 RTP/AVP 96\na=inactive\n"},
      // A session-level direction is replaced and covers the media sections.
      {"session_level_direction",
       "v=0\r\no=- 7 9 IN IP4 h\r\na=recvonly\r\nm=audio 1 RTP/AVP 0\r\n", "sendonly",
       "v=0\r\no=- 7 10 IN IP4 h\r\na=sendonly\r\nm=audio 1 RTP/AVP 0\r\n"},
      {"no_origin", "v=0\r\nm=audio 1 RTP/AVP 0\r\n", "sendonly", std::nullopt},
      {"bad_version", "v=0\r\no=- 7 x IN IP4 h\r\n", "sendonly", std::nullopt},
      {"short_origin", "v=0\r\no=- 7 1 IN IP4\r\n", "sendonly", std::nullopt},
      {"empty", "", "sendonly", std::nullopt},
      {"bad_direction", kAgent, "hold", std::nullopt},
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
      {"m=audio 4000\r\n", ""},  // no format: not an m= line sipcc can answer
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
      // The first format with its rtpmap and fmtp; the other formats' lines go.
      {"v=0\r\no=a 1 1 IN IP4 10.0.0.1\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
       "m=audio 4000 RTP/AVP 96 0 101\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n"
       "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
       "a=sendrecv\r\n",
       "m=audio 9 RTP/AVP 96\r\na=inactive\r\na=rtpmap:96 opus/48000/2\r\n"
       "a=fmtp:96 useinbandfec=1\r\n"},
      // Each stream on its own; a stream the offer rejected stays rejected.
      {"v=0\no=a 1 1 IN IP4 h\nm=audio 4000 RTP/AVP 8\na=rtpmap:8 PCMA/8000\n"
       "m=video 0 RTP/AVP 31\nm=video 5000 RTP/AVP 31\n",
       "m=audio 9 RTP/AVP 8\r\na=inactive\r\na=rtpmap:8 PCMA/8000\r\n"
       "m=video 0 RTP/AVP 31\r\nm=video 9 RTP/AVP 31\r\na=inactive\r\n"},
      // "a=rtpmap:10" is not format 1's.
      {"m=audio 4000 RTP/AVP 1\r\na=rtpmap:10 L16/44100\r\n", "m=audio 9 RTP/AVP 1\r\na=inactive\r\n"},
      {"m=audio 4000\r\n", ""},  // no format: not an m= line sipcc can answer
      {"", ""},
  };
  for (const auto& [offer, streams] : cases)
    EXPECT_EQ(inactive_answer(offer), session + streams) << offer;
}

TEST(Sdp, SessionOfferCarriesOneBodyInAnotherSession) {
  struct offer_case {
    std::string name, body, last_sent;
    std::optional<std::string> offer;
  };
  const std::vector<offer_case> cases = {
      {"the_other_partys_media_in_sipccs_session",
       "v=0\r\no=dest 5 1 IN IP4 10.0.0.3\r\nc=IN IP4 10.0.0.3\r\nm=audio 34000 RTP/AVP 0\r\n",
       "v=0\r\no=sipcc 1 1 IN IP4 0.0.0.0\r\nm=audio 9 RTP/AVP 0\r\na=inactive\r\n",
       "v=0\r\no=sipcc 1 2 IN IP4 0.0.0.0\r\nc=IN IP4 10.0.0.3\r\nm=audio 34000 RTP/AVP 0\r\n"},
      {"itself_again_one_version_up", "v=0\no=- 7 41 IN IP4 h\nm=audio 1 RTP/AVP 0\n",
       "v=0\no=- 7 41 IN IP4 h\nm=audio 1 RTP/AVP 0\n",
       "v=0\no=- 7 42 IN IP4 h\nm=audio 1 RTP/AVP 0\n"},
      {"body_line_endings_kept", "v=0\no=b 1 1 IN IP4 h\n", "v=0\r\no=a 2 9 IN IP4 g\r\n",
       "v=0\no=a 2 10 IN IP4 g\n"},
      {"body_without_origin", "v=0\r\nm=audio 1 RTP/AVP 0\r\n", "v=0\r\no=a 2 9 IN IP4 g\r\n",
       std::nullopt},
      {"last_without_origin", "v=0\r\no=b 1 1 IN IP4 h\r\n", "v=0\r\n", std::nullopt},
      {"last_bad_version", "v=0\r\no=b 1 1 IN IP4 h\r\n", "v=0\r\no=a 2 x IN IP4 g\r\n",
       std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(session_offer(c.body, c.last_sent), c.offer);
  }
}

}  // namespace
}  // namespace sipcc