#include <gtest/gtest.h>

#include "sipcc/conn_id.hpp"
#include "callctl/model/ownership.hpp"
#include "sipcc/leases.hpp"

namespace sipcc::callctl {
namespace {

// Which member acts on a request: the holder of this shard, and only it.
TEST(CallctlOwnership, ARequestBelongsToItsConnIdsShardElseToItsKeys) {
  struct row {
    const char* name;
    std::string conn_id;
    std::string key;  // ThisDN
    uint32_t shards;
    uint32_t shard;
  };
  const std::vector<row> rows = {
      {"a ConnID names its shard", format_conn_id({5, 77}), "1000", 16, 5},
      {"whatever the DN", format_conn_id({5, 77}), "2000", 16, 5},
      {"upper case is the same ConnID", "000500000000004D", "1000", 16, 5},
      {"TMakeCall, no ConnID: ThisDN's shard", "", "1000", 16, leases::shard_of("1000", 16)},
      {"a malformed ConnID: ThisDN's, one answer", "00050000zz00004d", "2000", 16,
       leases::shard_of("2000", 16)},
      {"a shard beyond the count (another deployment's): ThisDN's",
       format_conn_id({40, 1}), "1000", 16, leases::shard_of("1000", 16)},
      {"one shard: everything is shard 0", format_conn_id({0, 9}), "1000", 1, 0},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    EXPECT_EQ(request_shard(r.conn_id, r.key, r.shards), r.shard);
  }
}

// New calls are spread over the shards held, not the draining ones.
TEST(CallctlOwnership, NewCallsGoRoundRobinOverTheShardsHeld) {
  struct row {
    const char* name;
    std::set<uint32_t> held;
    std::set<uint32_t> draining;
    uint32_t last;
    std::optional<uint32_t> next;
  };
  const std::vector<row> rows = {
      {"none held: no new call", {}, {}, 0, std::nullopt},
      {"the next one up", {1, 4, 9}, {}, 1, 4},
      {"from between two", {1, 4, 9}, {}, 5, 9},
      {"past the last, around", {1, 4, 9}, {}, 9, 1},
      {"a single shard every time", {7}, {}, 7, 7},
      {"a draining shard is passed over", {1, 4, 9}, {4}, 1, 9},
      {"all draining: they still take calls", {1, 4}, {1, 4}, 1, 4},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    EXPECT_EQ(next_shard(r.held, r.draining, r.last), r.next);
  }
}

}  // namespace
}  // namespace sipcc::callctl
