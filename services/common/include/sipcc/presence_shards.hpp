// Which shard a DN belongs to, for the presence members that share the DNs
// by shard leases (docs/architecture.md, "Ownership by shard leases"), and
// which member answers a state query. Pure: table-tested.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "sipcc/config.hpp"
#include "sipcc/v1/state.pb.h"

namespace sipcc {

struct presence_shards {
  uint32_t count = 1;
  std::unordered_map<std::string, std::string> list_of;  // DN -> its resource list's name
};

presence_shards make_presence_shards(const config& cfg);

// A DN's shard: leases::shard_of its number, except that the DNs of an
// RFC 4662 resource list take the list name's (one subscription covers
// them, so one member holds them all). A DN not configured: by its number.
uint32_t presence_shard_of(const presence_shards& s, const std::string& dn);
uint32_t list_shard_of(const presence_shards& s, const std::string& list_name);

// The shard whose holder answers a state query, so exactly one member does:
// a DN's its own (its holder's state is the freshest); an agent's by its
// AgentID (logged in or not, from the state every member follows); every
// DN's, or a query without a usable kind, shard 0's.
uint32_t state_query_shard(const presence_shards& s, v1::StateQuery::Kind kind,
                           const std::string& id);

}  // namespace sipcc
