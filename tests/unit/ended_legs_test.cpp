// The legs an edge remembers as ended for a restarted or taking-over owner
// (sip-edge/model/ended_legs.hpp).
#include "sip-edge/model/ended_legs.hpp"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>
#include <vector>

#include "snapshot_query.hpp"

namespace sipcc::edge {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

std::vector<std::string> ids(const std::vector<ended_leg>& legs) {
  std::vector<std::string> out;
  for (const auto& l : legs)
    out.push_back(l.leg_id);
  return out;
}

TEST(EndedLegs, EachOwnerAskingGetsItsLegsOnce) {
  const auto t0 = clock_type::now();
  struct row {
    std::string name;
    std::vector<v1::SnapshotQuery> asks;  // in turn, at t0 + 1 s
    std::vector<std::vector<std::string>> given;
  };
  // cc-a's legs e-1 (shard 3) and e-2 (shard 5), cc-b's e-3 (shard 3).
  const std::vector<row> rows = {
      {"a restarted owner gets its own, once",
       {snapshot_query("cc-a"), snapshot_query("cc-a")},
       {{"e-1", "e-2"}, {}}},
      {"another owner's are not its", {snapshot_query("cc-c")}, {{}}},
      {"a takeover gets the dead member's in its shards",
       {snapshot_query("cc-b", "cc-a", {3}), snapshot_query("cc-c", "cc-a", {5})},
       {{"e-1"}, {"e-2"}}},
      {"a takeover is no restart of the asker", {snapshot_query("cc-b", "cc-a", {9})}, {{}}},
  };
  const std::unordered_set<std::string> all = {"0003000000000001", "0005000000000002",
                                                "0003000000000003"};
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    ended_legs ended(30s, 100);
    ended.add({"e-1", "0003000000000001", "cc-a", t0});
    ended.add({"e-2", "0005000000000002", "cc-a", t0});
    ended.add({"e-3", "0003000000000003", "cc-b", t0});
    for (size_t i = 0; i < r.asks.size(); ++i)
      EXPECT_EQ(ids(ended.take(r.asks[i], all, t0 + 1s)), r.given[i]) << "ask " << i;
  }
}

// Of a call whose legs all ended, the new owner knows nothing: not told,
// and not kept for a later ask either.
TEST(EndedLegs, OnlyLegsOfCallsLeftToRestoreAreTold) {
  const auto t0 = clock_type::now();
  ended_legs ended(30s, 100);
  ended.add({"e-1", "0003000000000001", "cc-a", t0});  // its call is restored
  ended.add({"e-2", "0003000000000002", "cc-a", t0});  // its call ended whole
  EXPECT_EQ(ids(ended.take(snapshot_query("cc-a"), {"0003000000000001"}, t0 + 1s)),
            std::vector<std::string>{"e-1"});
  EXPECT_EQ(ended.size(), 0u);
}

TEST(EndedLegs, KeptForAWhileAndBounded) {
  const auto t0 = clock_type::now();
  ended_legs ended(30s, 2);
  ended.add({"e-1", "0003000000000001", "cc-a", t0});
  ended.add({"e-2", "0003000000000002", "cc-a", t0 + 10s});
  ended.add({"e-3", "0003000000000003", "cc-a", t0 + 20s});  // e-1 goes: at most 2
  EXPECT_EQ(ended.size(), 2u);
  // At t0 + 45 s, e-2 (35 s old) is past the 30 s; e-3 (25 s) is not.
  EXPECT_EQ(ids(ended.take(snapshot_query("cc-a"), {"0003000000000003"}, t0 + 45s)),
            std::vector<std::string>{"e-3"});
  EXPECT_EQ(ended.size(), 0u);
}

}  // namespace
}  // namespace sipcc::edge
