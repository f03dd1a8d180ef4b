#include "presence/model/login_claims.hpp"

namespace sipcc {

std::string login_key(std::string_view agent_id) {
  std::string key = "presence.agent.";
  for (char c : agent_id)
    key += c == '+' ? std::string("=2B") : std::string(1, c);
  return key;
}

login_claim_step login_claim(const login_claim_seen& seen, const std::string& dn,
                             bool holder_has_agent, int64_t now_us) {
  if (!seen.exists)
    return login_claim_step::create;
  if (seen.dn == dn || seen.dn.empty())
    return login_claim_step::update;
  if (holder_has_agent || now_us - seen.written_us < kLoginClaimFreshUs)
    return login_claim_step::refuse;
  return login_claim_step::update;
}

}  // namespace sipcc
