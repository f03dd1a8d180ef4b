#include "sipcc/agent_auth.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include "sipcc/hashes.hpp"

namespace sipcc {

std::string agent_password_key(const std::string& agent_id, const std::string& password) {
  return sha256_hex("sipcc-agent:" + agent_id + ":" + password);
}

bool is_password_key(std::string_view text) {
  return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::string agent_login_proof(const std::string& key, const std::string& agent_id,
                              const std::string& dn, int64_t time_ms) {
  return hmac_sha256_hex(key, agent_id + "\n" + dn + "\n" + std::to_string(time_ms));
}

std::string login_proof_refusal(const std::string& key, const v1::TRequest& req, int64_t now_ms,
                                int64_t last_ms) {
  const auto& id = req.agent_id();
  if (!req.password().empty())
    return "TAgentLogin carries the password itself: send password_proof instead (the password "
           "never travels on the bus)";
  if (req.password_proof().empty())
    return "AgentID " + id + " needs its password (password_proof)";
  const int64_t skew = req.proof_time_ms() - now_ms;
  if (skew > k_login_proof_window_ms || -skew > k_login_proof_window_ms)
    return fmt::format("password_proof for AgentID {} is {} s from presence's clock (at most {} "
                       "s): check the desktop's clock",
                       id, skew / 1000, k_login_proof_window_ms / 1000);
  const auto want = agent_login_proof(key, id, req.this_dn(), req.proof_time_ms());
  const auto& got = req.password_proof();
  if (got.size() != want.size() || CRYPTO_memcmp(got.data(), want.data(), want.size()) != 0)
    return "wrong password for AgentID " + id;
  if (req.proof_time_ms() <= last_ms)
    return "password_proof for AgentID " + id + " was used already";
  return "";
}

}  // namespace sipcc
