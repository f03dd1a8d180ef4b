// A media server's health from its OPTIONS probes: which outcomes show a live
// server, and the state machine over sequences of outcomes.
#include "media/model/health.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sipcc::media {
namespace {

const probe_outcome ok{200, "OK", false};
const probe_outcome timeout{408, "Request Timeout", true};
const probe_outcome unavailable{503, "Service Unavailable", false};
const probe_outcome lost{};  // no result from the edge at all

TEST(MediaHealth, WhichOutcomesShowALiveServer) {
  struct outcome_case {
    probe_outcome p;
    bool answered;
    std::string described;
  };
  const std::vector<outcome_case> cases = {
      {ok, true, "200 OK"},
      {{404, "Not Found", false}, true, "404 Not Found"},  // there, just no such user
      {{405, "Method Not Allowed", false}, true, "405 Method Not Allowed"},
      {{481, "", false}, true, "481"},
      {{408, "Request Timeout", false}, false, "408 Request Timeout"},  // from the far end
      {timeout, false, "408 timed out"},
      {unavailable, false, "503 Service Unavailable"},
      {{501, "Not Implemented", false}, true, "501 Not Implemented"},
      {{500, "Server Internal Error", false}, true, "500 Server Internal Error"},
      {{603, "Decline", false}, true, "603 Decline"},
      {lost, false, "no result from the edge"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.described);
    EXPECT_EQ(probe_answered(c.p), c.answered);
    EXPECT_EQ(describe(c.p), c.described);
  }
}

TEST(MediaHealth, StateMachine) {
  struct step {
    probe_outcome p;
    v1::MediaHealthState state;  // after the step
    bool changed;
    std::string reason;  // when changed
  };
  struct sequence_case {
    std::string name;
    health_thresholds t;
    v1::MediaHealthState from;
    std::vector<step> steps;
  };
  using S = v1::MediaHealthState;
  const S unknown = v1::MEDIA_HEALTH_UNKNOWN, in = v1::MEDIA_IN_SERVICE,
          out = v1::MEDIA_OUT_OF_SERVICE;
  const std::vector<sequence_case> cases = {
      {"unknown: one answer is enough", {3, 2}, unknown,
       {{ok, in, true, "1 OPTIONS in a row answered (last: 200 OK)"}, {ok, in, false, ""}}},
      {"unknown: out after out-after failures", {3, 2}, unknown,
       {{timeout, unknown, false, ""},
        {timeout, unknown, false, ""},
        {lost, out, true, "3 OPTIONS in a row failed (last: no result from the edge)"}}},
      {"in service: failures must be in a row", {3, 2}, in,
       {{timeout, in, false, ""},
        {timeout, in, false, ""},
        {ok, in, false, ""},
        {timeout, in, false, ""},
        {timeout, in, false, ""},
        {unavailable, out, true, "3 OPTIONS in a row failed (last: 503 Service Unavailable)"},
        {timeout, out, false, ""}}},
      {"out: back after back-after answers in a row", {3, 2}, out,
       {{ok, out, false, ""},
        {timeout, out, false, ""},
        {ok, out, false, ""},
        {ok, in, true, "2 OPTIONS in a row answered (last: 200 OK)"}}},
      {"thresholds of one flip at once", {1, 1}, in,
       {{timeout, out, true, "1 OPTIONS in a row failed (last: 408 timed out)"},
        {ok, in, true, "1 OPTIONS in a row answered (last: 200 OK)"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    server_health h;
    h.state = c.from;
    for (size_t i = 0; i < c.steps.size(); ++i) {
      SCOPED_TRACE("step " + std::to_string(i + 1));
      const auto& s = c.steps[i];
      auto r = health_step(h, s.p, c.t);
      EXPECT_EQ(r.next.state, s.state);
      EXPECT_EQ(r.changed, s.changed);
      EXPECT_EQ(r.reason, s.reason);
      EXPECT_EQ(r.next.last_probe, describe(s.p));
      h = r.next;
    }
  }
}

TEST(MediaHealth, OnlyOutOfServiceIsAvoided) {
  EXPECT_TRUE(selectable(v1::MEDIA_HEALTH_UNKNOWN));
  EXPECT_TRUE(selectable(v1::MEDIA_IN_SERVICE));
  EXPECT_FALSE(selectable(v1::MEDIA_OUT_OF_SERVICE));
}

}  // namespace
}  // namespace sipcc::media
