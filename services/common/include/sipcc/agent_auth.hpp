// Agent passwords never travel on the bus: the configuration holds a key
// derived from the password (or the password, turned into the key at load),
// and a desktop's TAgentLogin carries a proof made with that key for this
// AgentID, DN and moment, which presence checks once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sipcc/v1/tlib.pb.h"

namespace sipcc {

// The key agent `agent_id`'s password becomes: hex SHA-256 of
// "sipcc-agent:<AgentID>:<password>", what `password-key` in the
// configuration holds.
std::string agent_password_key(const std::string& agent_id, const std::string& password);

// Whether `text` can be such a key (64 lower-case hex digits).
bool is_password_key(std::string_view text);

// A TAgentLogin's proof: hex HMAC-SHA-256 keyed by the password key over
// "<AgentID>\n<ThisDN>\n<proof_time_ms>".
std::string agent_login_proof(const std::string& key, const std::string& agent_id,
                              const std::string& dn, int64_t time_ms);

// How far a proof's time may be from presence's clock (both ways).
constexpr int64_t k_login_proof_window_ms = 60'000;

// Presence's check of TAgentLogin `req` for an agent with password key `key`,
// at `now_ms`, `last_ms` being the time of the last proof it accepted for
// this AgentID (0: none): empty when it passes, else why it does not.
std::string login_proof_refusal(const std::string& key, const v1::TRequest& req, int64_t now_ms,
                                int64_t last_ms);

}  // namespace sipcc
