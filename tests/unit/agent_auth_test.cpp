// Agent passwords as keys and login proofs (sipcc/agent_auth.hpp).
#include "sipcc/agent_auth.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sipcc/hashes.hpp"

namespace sipcc {
namespace {

TEST(AgentAuth, HashesMatchTheirStandards) {
  // FIPS 180-2 appendix B.1; RFC 4231 test case 2.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(AgentAuth, KeysDependOnTheAgentAndThePassword) {
  const auto k = agent_password_key("a1", "pw");
  EXPECT_EQ(k, sha256_hex("sipcc-agent:a1:pw"));
  EXPECT_TRUE(is_password_key(k));
  EXPECT_NE(k, agent_password_key("a2", "pw"));  // the same password, another agent
  EXPECT_NE(k, agent_password_key("a1", "pw2"));
  for (const auto& bad : std::vector<std::string>{"", "abc", std::string(64, 'A'),
                                                 std::string(63, 'a'), std::string(65, 'a'),
                                                 std::string(63, 'a') + "g"})
    EXPECT_FALSE(is_password_key(bad)) << bad;
}

TEST(AgentAuth, PresenceAcceptsAProofOnceWithinTheWindow) {
  constexpr int64_t now = 1'800'000'000'000;
  const auto key = agent_password_key("a1", "pw");
  auto login = [&](const std::string& password, const std::string& dn, int64_t t,
                   const std::string& proof_dn = "") {
    v1::TRequest r;
    r.set_type(v1::TAgentLogin);
    r.set_this_dn(dn);
    r.set_agent_id("a1");
    r.set_proof_time_ms(t);
    r.set_password_proof(agent_login_proof(agent_password_key("a1", password), "a1",
                                           proof_dn.empty() ? dn : proof_dn, t));
    return r;
  };
  auto clear = login("pw", "1000", now);
  clear.set_password("pw");
  auto none = login("pw", "1000", now);
  none.clear_password_proof();
  struct row {
    std::string name;
    v1::TRequest req;
    int64_t last_ms;
    std::string refusal;
  };
  const std::vector<row> rows = {
      {"the right password, now", login("pw", "1000", now), 0, ""},
      {"a second login later", login("pw", "1000", now + 5), now, ""},
      {"the clock 59 s behind", login("pw", "1000", now - 59'000), 0, ""},
      {"the clock 59 s ahead", login("pw", "1000", now + 59'000), 0, ""},
      {"a wrong password", login("pw2", "1000", now), 0, "wrong password for AgentID a1"},
      {"a proof made for another DN", login("pw", "1000", now, "1001"), 0,
       "wrong password for AgentID a1"},
      {"replayed", login("pw", "1000", now), now, "password_proof for AgentID a1 was used already"},
      {"older than the last one", login("pw", "1000", now - 1), now,
       "password_proof for AgentID a1 was used already"},
      {"too old", login("pw", "1000", now - 61'000), 0,
       "password_proof for AgentID a1 is -61 s from presence's clock (at most 60 s): check the "
       "desktop's clock"},
      {"too far ahead", login("pw", "1000", now + 61'000), 0,
       "password_proof for AgentID a1 is 61 s from presence's clock (at most 60 s): check the "
       "desktop's clock"},
      {"the password itself", clear, 0,
       "TAgentLogin carries the password itself: send password_proof instead (the password never "
       "travels on the bus)"},
      {"no proof", none, 0, "AgentID a1 needs its password (password_proof)"},
  };
  for (const auto& r : rows)
    EXPECT_EQ(login_proof_refusal(key, r.req, now, r.last_ms), r.refusal) << r.name;
}

}  // namespace
}  // namespace sipcc
