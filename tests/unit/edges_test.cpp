// Several named edges: which are live, where each key's work goes, and
// that an edge's death or return moves only the keys it carries.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "sipcc/edges.hpp"

namespace sipcc::edges {
namespace {

leases::lease_table table_of(const std::map<std::string, int64_t>& seen) {
  leases::lease_table t;
  uint64_t rev = 0;
  for (const auto& [name, at] : seen)
    t.members[name] = {name, ++rev, at};
  return t;
}

TEST(Edges, LiveByHeartbeatAge) {
  struct row {
    std::map<std::string, int64_t> seen;
    int64_t now;
    std::vector<std::string> live;
  };
  const std::vector<row> rows = {
      {{}, 0, {}},
      {{{"edge1", 1000}}, 1000 + kTtlMs - 1, {"edge1"}},
      {{{"edge1", 1000}}, 1000 + kTtlMs, {}},
      {{{"edge2", 5000}, {"edge1", 1000}}, 5000, {"edge2"}},
      {{{"edge2", 5000}, {"edge1", 4000}}, 5000, {"edge1", "edge2"}},
  };
  for (const auto& r : rows)
    EXPECT_EQ(live(table_of(r.seen), kTtlMs, r.now), r.live) << r.now;
}

TEST(Edges, AnEdgeIsGoneOnlyWhileAnotherIsFresh) {
  struct row {
    const char* why;
    int64_t ttl;
    std::vector<std::string> before;
    std::map<std::string, int64_t> seen;
    std::vector<std::string> live, up, gone, dead;
  };
  const int64_t now = 100000, fresh = now - 1, stale = now - kTtlMs,
                silent = now - kCallsTtlMs, forgotten = now - kForgetMs;
  const std::vector<row> rows = {
      {"nothing changed", kTtlMs, {"edge1", "edge2"}, {{"edge1", fresh}, {"edge2", fresh}},
       {"edge1", "edge2"}, {}, {}, {}},
      {"one died", kTtlMs, {"edge1", "edge2"}, {{"edge1", fresh}, {"edge2", stale}}, {"edge1"},
       {}, {"edge2"}, {}},
      {"callctl waits longer", kCallsTtlMs, {"edge1", "edge2"},
       {{"edge1", fresh}, {"edge2", stale}}, {"edge1", "edge2"}, {}, {}, {}},
      {"and then ends its calls", kCallsTtlMs, {"edge1", "edge2"},
       {{"edge1", fresh}, {"edge2", silent}}, {"edge1"}, {}, {"edge2"}, {}},
      {"a long dead edge's key goes", kTtlMs, {"edge1"}, {{"edge1", fresh}, {"edge2", forgotten}},
       {"edge1"}, {}, {}, {"edge2"}},
      {"every heartbeat stale: the bus, not the edges", kTtlMs, {"edge1", "edge2"},
       {{"edge1", stale}, {"edge2", forgotten}}, {"edge1", "edge2"}, {}, {}, {}},
      {"the last edge died: kept", kTtlMs, {"edge1"}, {{"edge1", stale}}, {"edge1"}, {}, {}, {}},
      {"one came", kTtlMs, {"edge1"}, {{"edge1", fresh}, {"edge2", fresh}}, {"edge1", "edge2"},
       {"edge2"}, {}, {}},
      {"one came back as another died", kTtlMs, {"edge1"}, {{"edge1", stale}, {"edge2", fresh}},
       {"edge2"}, {"edge2"}, {"edge1"}, {}},
      {"none ever", kTtlMs, {}, {}, {}, {}, {}, {}},
  };
  for (const auto& r : rows) {
    auto l = next(r.before, table_of(r.seen), r.ttl, now);
    EXPECT_EQ(l.live, r.live) << r.why;
    EXPECT_EQ(l.changed.up, r.up) << r.why;
    EXPECT_EQ(l.changed.gone, r.gone) << r.why;
    EXPECT_EQ(l.dead, r.dead) << r.why;
  }
}

TEST(Edges, AHeartbeatDeletedIsNoLongerLive) {
  auto t = table_of({{"edge1", 0}, {"edge2", 0}});
  leases::observe_member(t, "edge2", 10, true, 5);
  EXPECT_EQ(live(t, kTtlMs, 10), std::vector<std::string>{"edge1"});
}

TEST(Edges, PickFallsBackToTheConfiguredEdgeWhenNoneIsLive) {
  EXPECT_EQ(pick("1000", {}, "edge1"), "edge1");
  EXPECT_EQ(pick("1000", {"edge7"}, "edge1"), "edge7");
}

TEST(Edges, KeysSpreadOverEveryLiveEdge) {
  const std::vector<std::string> two = {"edge1", "edge2"};
  std::map<std::string, int> per;
  for (int dn = 1000; dn < 3000; ++dn)
    ++per[pick(std::to_string(dn), two, "edge1")];
  ASSERT_EQ(per.size(), 2u);
  for (const auto& [edge, n] : per) {
    EXPECT_GT(n, 800) << edge;
    EXPECT_LT(n, 1200) << edge;
  }
}

TEST(Edges, ADeadEdgesKeysMoveAndNoOtherKeyMoves) {
  const std::vector<std::string> three = {"edge1", "edge2", "edge3"};
  const std::vector<std::string> without2 = {"edge1", "edge3"};
  int moved = 0;
  for (int dn = 1000; dn < 2000; ++dn) {
    auto key = std::to_string(dn);
    auto before = pick(key, three, "edge1");
    auto after = pick(key, without2, "edge1");
    if (before == "edge2") {
      EXPECT_NE(after, "edge2");
      ++moved;
    } else {
      // An edge coming back takes only its own keys back too.
      EXPECT_EQ(after, before) << key;
    }
  }
  EXPECT_GT(moved, 200);
}

TEST(Edges, DiffNamesTheEdgesUpAndGone) {
  struct row {
    std::vector<std::string> before, after, up, gone;
  };
  const std::vector<row> rows = {
      {{}, {}, {}, {}},
      {{}, {"edge1"}, {"edge1"}, {}},
      {{"edge1", "edge2"}, {"edge1"}, {}, {"edge2"}},
      {{"edge1", "edge2"}, {"edge2", "edge3"}, {"edge3"}, {"edge1"}},
  };
  for (const auto& r : rows) {
    auto c = diff(r.before, r.after);
    EXPECT_EQ(c.up, r.up);
    EXPECT_EQ(c.gone, r.gone);
    EXPECT_EQ(c.empty(), r.up.empty() && r.gone.empty());
  }
}

TEST(Edges, ReadyInstanceOfTheAnnouncement) {
  EXPECT_EQ(ready_instance("sipcc.ops.edge1.ready"), "edge1");
  EXPECT_EQ(ready_instance("sipcc.ops.presence-0.ready"), "presence-0");
  EXPECT_EQ(ready_instance("sipcc.tlib.evt.1000"), "");
}

}  // namespace
}  // namespace sipcc::edges
