// The edge's pages of kept call snapshots (sip-edge/model/snapshot_page.hpp).
#include "sip-edge/model/snapshot_page.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "snapshot_query.hpp"

namespace sipcc::edge {
namespace {

TEST(SnapshotPage, PagesFitTheirBoundAndFollowTheCursor) {
  const std::string a(40, 'a'), b(40, 'b'), c(40, 'c'), big(500, 'x');
  const kept_snapshots kept = {{"edge1-1", &a}, {"edge1-2", &b}, {"edge1-3", &c}};
  const kept_snapshots one_big = {{"edge1-1", &big}, {"edge1-2", &a}};
  struct row {
    std::string name;
    const kept_snapshots* kept;
    std::string cursor;
    size_t max_bytes;
    std::vector<std::string> snapshots;
    std::string next;
  };
  const std::vector<row> rows = {
      {"all in one page", &kept, "", 1000, {a, b, c}, ""},
      {"two per page", &kept, "", 100, {a, b}, "edge1-2"},
      {"the page after the cursor", &kept, "edge1-2", 100, {c}, ""},
      {"a cursor between legs", &kept, "edge1-1x", 1000, {b, c}, ""},
      {"past the last leg", &kept, "edge1-3", 1000, {}, ""},
      {"one larger than the bound still goes", &one_big, "", 100, {big}, "edge1-1"},
      {"nothing kept", nullptr, "", 100, {}, ""},
  };
  const kept_snapshots none;
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    auto page = snapshot_page(r.kept ? *r.kept : none, r.cursor, r.max_bytes);
    EXPECT_EQ(std::vector<std::string>(page.snapshots().begin(), page.snapshots().end()),
              r.snapshots);
    EXPECT_EQ(page.next_cursor(), r.next);
  }
}

// A callctl member that took shards over from a dead one moves exactly
// that member's legs in those shards (the ConnID's top 16 bits).
TEST(SnapshotPage, ATakeoverMovesTheDeadMembersLegsInItsShards) {
  const auto query = snapshot_query;
  struct row {
    std::string name;
    std::string leg_owner, conn_id;
    v1::SnapshotQuery q;
    bool moves;
  };
  const std::vector<row> rows = {
      {"the dead member's leg in a shard taken", "cc-a", "0003000000000001",
       query("cc-b", "cc-a", {3, 4}), true},
      {"in a shard not taken", "cc-a", "0005000000000001", query("cc-b", "cc-a", {3, 4}), false},
      {"another member's leg", "cc-c", "0003000000000001", query("cc-b", "cc-a", {3}), false},
      {"no takeover: a plain restore", "cc-a", "0003000000000001", query("cc-a", "", {3}),
       false},
      {"a leg without a ConnID", "cc-a", "", query("cc-b", "cc-a", {0}), false},
      {"a new owner that is no subject token", "cc-a", "0003000000000001",
       query("cc.b", "cc-a", {3}), false},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    EXPECT_EQ(taken_over(r.leg_owner, r.conn_id, r.q), r.moves);
  }
}

}  // namespace
}  // namespace sipcc::edge
