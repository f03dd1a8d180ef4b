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

}  // namespace
}  // namespace sipcc