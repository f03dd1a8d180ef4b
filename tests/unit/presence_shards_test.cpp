// Presence's shard rule (sipcc/presence_shards.hpp): a DN by its
// number, a resource list's DNs by the list's name; and which shard's holder
// answers each kind of state query.
#include "sipcc/presence_shards.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "sipcc/leases.hpp"

namespace sipcc {
namespace {

config two_lists(uint32_t shards) {
  config c;
  c.presence_shards = shards;
  resource_list_config agents;
  agents.name = "agents";  // FNV-1a 0x9f21b24f
  agents.dns = {"2000", "2001"};
  resource_list_config sales;
  sales.name = "sales";  // 0x869c16b7
  sales.dns = {"3000"};
  c.resource_lists = {agents, sales};
  return c;
}

TEST(PresenceShards, ADnByItsNumberAListsDnsByTheListName) {
  struct row {
    uint32_t shards;
    const char* dn;
    uint32_t shard;
  };
  const std::vector<row> rows = {
      {16, "1000", 4},   // 0x2297cac4: a DN of its own
      {16, "1001", 7},   // 0x2397cc57
      {16, "2000", 15},  // in "agents": 0x9f21b24f, not its own 0xd22ea097 (7)
      {16, "2001", 15},  // the same list, the same shard (its own would be 4)
      {16, "3000", 7},   // in "sales"
      {4, "1000", 0},
      {4, "2001", 3},
      {1, "2000", 0},    // one shard holds everything
      {16, "9999", leases::shard_of("9999", 16)},  // not configured: by its number
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(std::to_string(r.shards) + " shards, DN " + r.dn);
    EXPECT_EQ(presence_shard_of(make_presence_shards(two_lists(r.shards)), r.dn), r.shard);
  }
  const auto shards = make_presence_shards(two_lists(16));
  EXPECT_EQ(list_shard_of(shards, "agents"), 15u);
  EXPECT_EQ(list_shard_of(shards, "sales"), 7u);
}

TEST(PresenceShards, OneShardsHolderAnswersEachStateQuery) {
  struct row {
    v1::StateQuery::Kind kind;
    const char* id;
    uint32_t shard;
  };
  const std::vector<row> rows = {
      {v1::StateQuery::DN, "1000", 4},          // the DN's holder, whose state is the newest
      {v1::StateQuery::DN, "2000", 15},         // a list's DN: the list's holder
      {v1::StateQuery::AGENT, "a1", 7},         // 0x1c24b8a7: by AgentID, wherever logged in
      {v1::StateQuery::AGENT, "a2", 10},        // 0x1d24ba3a
      {v1::StateQuery::ALL_DNS, "", 0},
      {v1::StateQuery::ALL_DNS, "1001", 0},     // an id means nothing here
      {v1::StateQuery::KIND_UNSPECIFIED, "1000", 0},  // the error reply: from one member too
  };
  const auto shards = make_presence_shards(two_lists(16));
  for (const auto& r : rows) {
    SCOPED_TRACE(v1::StateQuery::Kind_Name(r.kind) + " " + r.id);
    EXPECT_EQ(state_query_shard(shards, r.kind, r.id), r.shard);
  }
}

}  // namespace
}  // namespace sipcc
