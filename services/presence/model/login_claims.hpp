// One login of an AgentID across presence members. Each member knows the
// logins of the others' DNs a bus hop late, so two logins of one agent sent
// at the same moment to DNs of two members could both pass. The login
// first claims the key presence.agent.<AgentID> in the sipcc_leases bucket
// (its value a Lease whose holder is the DN), with JetStream's revision
// checks: only one of two racing claims can write it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sipcc {

// The key of an AgentID's claim ('+', which AgentIDs may hold and keys may
// not, as "=2B").
std::string login_key(std::string_view agent_id);

// A claim younger than this may be a login still in progress on its DN,
// which the other members' views do not show yet: it stands.
inline constexpr int64_t kLoginClaimFreshUs = 5'000'000;

// The key as read: absent, or naming a DN ("" once released).
struct login_claim_seen {
  bool exists = false;
  std::string dn;
  uint64_t revision = 0;
  int64_t written_us = 0;
};

enum class login_claim_step {
  create,  // no key: create it (fails if another member just did)
  update,  // this DN's, released or stale: write it anew expecting `revision`
  refuse,  // logged in, or logging in, on the DN it names
};

// What a login of the agent on `dn` does with the key as `seen`;
// `holder_has_agent`: this member's view shows the agent logged in on the
// DN the key names. A claim neither released, nor younger than
// kLoginClaimFreshUs, whose DN does not show the agent is stale (its member
// died, the login failed there, or the agent logged out: logouts do not
// write). A claim of this DN is written anew too, never just kept: a login
// racing on another DN then finds it fresh, or fails to write.
login_claim_step login_claim(const login_claim_seen& seen, const std::string& dn,
                             bool holder_has_agent, int64_t now_us);

}  // namespace sipcc
