// One login of an AgentID across presence members: what a login does with
// the AgentID's claim key as it finds it.
#include <gtest/gtest.h>

#include <vector>

#include "presence/model/login_claims.hpp"

namespace sipcc {
namespace {

TEST(LoginClaims, KeysAreValidKeyValueKeys) {
  EXPECT_EQ(login_key("agent1000"), "presence.agent.agent1000");
  EXPECT_EQ(login_key("a+b_c-1"), "presence.agent.a=2Bb_c-1");
}

TEST(LoginClaims, OnlyAReleasedOrStaleClaimOfAnotherDnIsTaken) {
  const int64_t now = 100'000'000;
  const int64_t young = now - kLoginClaimFreshUs + 1, old = now - kLoginClaimFreshUs;
  struct row {
    const char* why;
    login_claim_seen seen;
    bool holder_has_agent;
    login_claim_step step;
  };
  const std::vector<row> rows = {
      {"never claimed", {}, false, login_claim_step::create},
      // Written anew with a fresh time: a racing login elsewhere must not
      // find it stale.
      {"this DN's already (a repeated login)", {true, "1000", 7, old}, false,
       login_claim_step::update},
      {"released at a logout", {true, "", 7, young}, false, login_claim_step::update},
      {"logged in on the other DN", {true, "1001", 7, old}, true, login_claim_step::refuse},
      {"a login on the other DN in progress (not seen here yet)", {true, "1001", 7, young},
       false, login_claim_step::refuse},
      {"stale: the other DN shows no such agent", {true, "1001", 7, old}, false,
       login_claim_step::update},
  };
  for (const auto& r : rows)
    EXPECT_EQ(login_claim(r.seen, "1000", r.holder_has_agent, now), r.step) << r.why;
}

}  // namespace
}  // namespace sipcc
