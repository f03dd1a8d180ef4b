#include <gtest/gtest.h>

#include "sipcc/leases.hpp"

namespace sipcc::leases {
namespace {

TEST(Leases, ShardOfIsFnv1aModuloTheCount) {
  struct row {
    const char* key;
    uint32_t shards;
    uint32_t shard;
  };
  const std::vector<row> rows = {
      {"", 16, 5},              // 0x811c9dc5, the FNV offset basis
      {"a", 16, 12},            // 0xe40c292c
      {"foobar", 16, 8},        // 0xbf9cf968
      {"ext:1000", 16, 11},     // 0xce74613b
      {"agent:a1", 16, 10},     // 0xc6fc23ba
      {"group:Sales", 5, 3},    // 0xbed42e96
      {"ext:1000", 1, 0},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.key);
    EXPECT_EQ(shard_of(r.key, r.shards), r.shard);
  }
}

TEST(Leases, MemberNameIsUniquePerProcessUnlessOverridden) {
  struct row {
    const char* name;
    const char* env;
    const char* host;
    long pid;
    const char* member;
  };
  const std::vector<row> rows = {
      {"the override wins", "mwi-a", "box", 7, "mwi-a"},
      {"an empty override is none", "", "box", 7, "mwi-0-box-7"},
      {"base, host and pid", nullptr, "box", 4242, "mwi-0-box-4242"},
      {"the host reduced to token characters", nullptr, "db1.example.org", 1,
       "mwi-0-db1exampleorg-1"},
      {"the host at most 24 characters", nullptr, "abcdefghijklmnopqrstuvwxyz", 1,
       "mwi-0-abcdefghijklmnopqrstuvwx-1"},
      {"no host", nullptr, "", 9, "mwi-0-host-9"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    EXPECT_EQ(member_name("mwi-0", r.env, r.host, r.pid), r.member);
  }
  EXPECT_THROW(member_name("mwi-0", "mwi.a", "box", 1), std::invalid_argument);
  EXPECT_THROW(member_name("mwi-0", "mwi a", "box", 1), std::invalid_argument);
}

TEST(Leases, ObserveKeepsTheNewestRevision) {
  lease_table t;
  observe_shard(t, 3, "a", 10, 100);
  observe_shard(t, 3, "b", 9, 200);  // older, delivered late by the watch
  EXPECT_EQ(t.shards[3].holder, "a");
  EXPECT_EQ(t.shards[3].seen_ms, 100);
  observe_shard(t, 3, "b", 11, 300);
  EXPECT_EQ(t.shards[3].holder, "b");
  EXPECT_EQ(t.shards[3].seen_ms, 300);
  observe_member(t, "b", 12, false, 300);
  observe_member(t, "b", 12, true, 400);  // not newer: ignored
  EXPECT_EQ(t.members.count("b"), 1u);
  observe_member(t, "b", 13, true, 400);
  EXPECT_EQ(t.members.count("b"), 0u);
}

// A table in which `holder` holds shards [from, to) at revisions 100+shard,
// first seen at `seen_ms`.
void hold(lease_table& t, const std::string& holder, uint32_t from, uint32_t to,
          int64_t seen_ms) {
  for (uint32_t s = from; s < to; ++s)
    observe_shard(t, s, holder, 100 + s, seen_ms);
}
// This member's own writes of those leases, sent at `sent_ms`.
own_leases own_of(uint32_t from, uint32_t to, int64_t sent_ms) {
  own_leases o;
  for (uint32_t s = from; s < to; ++s)
    o[s] = {100 + s, sent_ms};
  return o;
}
std::vector<uint32_t> range(uint32_t from, uint32_t to) {
  std::vector<uint32_t> v;
  for (uint32_t s = from; s < to; ++s)
    v.push_back(s);
  return v;
}
std::vector<uint32_t> claimed(const lease_plan& p) {
  std::vector<uint32_t> v;
  for (const auto& c : p.claims)
    v.push_back(c.shard);
  std::sort(v.begin(), v.end());
  return v;
}

TEST(Leases, DecideClaimsRenewsAndReleases) {
  const lease_params a{"a", 16, 1500};
  struct row {
    const char* name;
    lease_table table;
    own_leases own;
    int64_t now_ms;
    std::vector<uint32_t> claims;
    std::vector<std::string> previous;  // of each claim, in shard order; empty: none expected
    std::vector<uint32_t> renew;
    std::vector<uint32_t> release;
    std::vector<std::string> drop;
  };
  std::vector<row> rows;
  {
    row r{"one member alone claims every shard (none held yet)", {}, {}, 0, range(0, 16)};
    r.previous.assign(16, "");
    rows.push_back(r);
  }
  {
    row r{"a live holder's leases are left alone", {}, {}, 1499};
    hold(r.table, "b", 0, 16, 0);
    observe_member(r.table, "b", 500, false, 1000);
    rows.push_back(r);
  }
  {
    row r{"takeover after the holder's lease expires, naming the dead holder", {}, {}, 1500,
          range(0, 16)};
    hold(r.table, "b", 0, 16, 0);
    observe_member(r.table, "b", 500, false, 0);
    r.previous.assign(16, "b");
    r.drop = {"b"};
    rows.push_back(r);
  }
  {
    row r{"a released lease is claimed at once, nobody to end", {}, own_of(0, 8, 1400), 1500,
          range(8, 16)};
    hold(r.table, "a", 0, 8, 1400);
    for (uint32_t s = 8; s < 16; ++s)
      observe_shard(r.table, s, "", 200 + s, 1490);
    r.previous.assign(8, "");
    rows.push_back(r);
  }
  {
    row r{"one member holding all renews them after a third of the TTL", {},
          own_of(0, 16, 1000), 1500};
    hold(r.table, "a", 0, 16, 1000);
    r.renew = range(0, 16);
    rows.push_back(r);
  }
  {
    row r{"nothing to renew before a third of the TTL", {}, own_of(0, 16, 1000), 1499};
    hold(r.table, "a", 0, 16, 1000);
    rows.push_back(r);
  }
  {
    row r{"rebalancing: a second member appears, the excess is released", {},
          own_of(0, 16, 1000), 1500};
    hold(r.table, "a", 0, 16, 1000);
    observe_member(r.table, "b", 900, false, 1400);
    r.renew = range(0, 8);
    r.release = range(8, 16);
    rows.push_back(r);
  }
  {
    row r{"the newcomer waits for a fair share to be released", {}, {}, 1500};
    hold(r.table, "b", 0, 16, 1400);
    observe_member(r.table, "b", 900, false, 1400);
    rows.push_back(r);
  }
  {
    row r{"a fair share is kept when the other member holds its own", {}, own_of(0, 8, 1400),
          1500};
    hold(r.table, "a", 0, 8, 1400);
    hold(r.table, "b", 8, 16, 1400);
    observe_member(r.table, "b", 900, false, 1400);
    rows.push_back(r);
  }
  {
    row r{"a lease naming this member that it did not write waits to expire", {}, {}, 1000};
    hold(r.table, "a", 0, 16, 0);
    rows.push_back(r);
  }
  {
    row r{"... and is then claimed with nobody to end (start-up ended them)", {}, {}, 1500,
          range(0, 16)};
    hold(r.table, "a", 0, 16, 0);
    r.previous.assign(16, "");
    rows.push_back(r);
  }
  {
    row r{"a stale holder's lease, taken over by revision, is not renewed", {},
          own_of(0, 16, 1000), 1500};
    hold(r.table, "a", 0, 16, 1000);
    observe_shard(r.table, 5, "b", 999, 1450);  // b moved it: fenced off
    r.renew = range(0, 16);
    r.renew.erase(r.renew.begin() + 5);
    rows.push_back(r);
  }
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    auto plan = decide(r.table, r.own, a, r.now_ms);
    EXPECT_EQ(claimed(plan), r.claims);
    std::vector<claim> sorted = plan.claims;
    std::sort(sorted.begin(), sorted.end(),
              [](const claim& x, const claim& y) { return x.shard < y.shard; });
    for (size_t i = 0; i < sorted.size() && i < r.previous.size(); ++i) {
      EXPECT_EQ(sorted[i].previous, r.previous[i]) << "shard " << sorted[i].shard;
      auto it = r.table.shards.find(sorted[i].shard);
      EXPECT_EQ(sorted[i].revision, it == r.table.shards.end() ? 0 : it->second.revision);
    }
    auto renew = plan.renew;
    std::sort(renew.begin(), renew.end());
    EXPECT_EQ(renew, r.renew);
    EXPECT_EQ(plan.release, r.release);
    EXPECT_EQ(plan.drop_members, r.drop);
  }
}

TEST(Leases, NoMemberHoldsMoreThanItsShareWhenOthersNeedSome) {
  struct row {
    const char* name;
    uint32_t shards;
    uint32_t members;  // live, counting this one
    uint32_t held;
    size_t release;
  };
  const std::vector<row> rows = {
      {"16 over 2", 16, 2, 16, 8},
      {"16 over 3: ceil is 6", 16, 3, 16, 10},
      {"at the share nothing goes", 16, 3, 6, 0},
      {"one shard, two members", 1, 2, 1, 0},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    lease_params p{"a", r.shards, 1500};
    lease_table t;
    hold(t, "a", 0, r.held, 1000);
    for (uint32_t m = 1; m < r.members; ++m)
      observe_member(t, "m" + std::to_string(m), m, false, 1000);
    auto plan = decide(t, own_of(0, r.held, 1000), p, 1100);
    EXPECT_EQ(plan.release.size(), r.release);
    EXPECT_TRUE(plan.claims.empty());
  }
}

// callctl's calls cannot move with a shard: a busy shard past the fair
// share is kept (renewed) as surplus until its calls end.
TEST(Leases, BusyShardsStayAsSurplusAndTheOthersGoFirst) {
  struct row {
    const char* name;
    std::set<uint32_t> busy;
    std::vector<uint32_t> release;
    std::vector<uint32_t> surplus;
  };
  const std::vector<row> rows = {
      {"none busy: the highest go", {}, range(8, 16), {}},
      {"busy above the share: kept, a lower idle one goes instead", {12},
       {7, 8, 9, 10, 11, 13, 14, 15}, {}},
      {"more busy than the share: the share's worth kept, the rest surplus",
       {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, range(10, 16), {8, 9}},
      {"every one busy: nothing goes", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {},
       range(8, 16)},
  };
  const lease_params p{"a", 16, 1500};
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    lease_table t;
    hold(t, "a", 0, 16, 1000);
    observe_member(t, "b", 1, false, 1000);
    auto plan = decide(t, own_of(0, 16, 1000), p, 1600, r.busy);
    auto release = plan.release;
    std::sort(release.begin(), release.end());
    EXPECT_EQ(release, r.release);
    EXPECT_EQ(plan.surplus, r.surplus);
    EXPECT_EQ(plan.renew.size(), 16 - release.size()) << "the kept ones, surplus too, are renewed";
    EXPECT_TRUE(plan.claims.empty());
  }
}

TEST(Leases, FencingStopsAStaleHolder) {
  const lease_params a{"a", 16, 1500};
  struct row {
    const char* name;
    lease_table table;
    own_leases own;
    int64_t now_ms;
    bool may;
  };
  std::vector<row> rows;
  {
    row r{"its own current write, younger than the TTL", {}, {{3, {7, 1000}}}, 2499, true};
    observe_shard(r.table, 3, "a", 7, 1001);
    rows.push_back(r);
  }
  {
    row r{"fencing by revision: someone else's write moved it", {}, {{3, {7, 1000}}}, 1200,
          false};
    observe_shard(r.table, 3, "a", 7, 1001);
    observe_shard(r.table, 3, "b", 9, 1100);
    rows.push_back(r);
  }
  {
    // Split brain: a stalled past its TTL and has not yet seen b's claim;
    // b may already act (it first saw a's write no earlier than it was sent).
    row r{"a stale lease: the TTL passed since the write was sent", {}, {{3, {7, 1000}}}, 2500,
          false};
    observe_shard(r.table, 3, "a", 7, 1001);
    rows.push_back(r);
  }
  {
    row r{"a renew that failed left no own write", {}, {}, 1200, false};
    observe_shard(r.table, 3, "a", 7, 1001);
    rows.push_back(r);
  }
  {
    row r{"never held", {}, {}, 0, false};
    rows.push_back(r);
  }
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    EXPECT_EQ(may_act(r.table, r.own, a, 3, r.now_ms), r.may);
    EXPECT_EQ(acting(r.table, r.own, a, r.now_ms).count(3), r.may ? 1u : 0u);
  }
}

TEST(Leases, TakeoverWaitsUntilTheHolderHasStopped) {
  // b first sees a's write no earlier than a sent it: by the time b may
  // claim (TTL after b saw it), a's fencing stopped it (TTL after sending).
  const lease_params a{"a", 1, 1500}, b{"b", 1, 1500};
  lease_table at, bt;
  own_leases aown{{0, {5, 1000}}};
  observe_shard(at, 0, "a", 5, 1003);
  observe_shard(bt, 0, "a", 5, 1010);
  observe_member(bt, "a", 4, false, 1010);
  int64_t a_last = 0, b_first = 0;
  for (int64_t now = 1000; now <= 3000; now += 1) {
    bool a_acts = may_act(at, aown, a, 0, now);
    bool b_claims = !decide(bt, {}, b, now).claims.empty();
    ASSERT_FALSE(a_acts && b_claims) << "at " << now;
    if (a_acts)
      a_last = now;
    if (b_claims && !b_first)
      b_first = now;
  }
  EXPECT_EQ(a_last, 2499);   // the TTL after a sent its write
  EXPECT_EQ(b_first, 2510);  // the TTL after b first saw it
}

}  // namespace
}  // namespace sipcc::leases
