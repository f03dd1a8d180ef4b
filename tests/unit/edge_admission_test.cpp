// Admission control of new INVITEs at the edge (sip-edge/model/admission.hpp).
#include "sip-edge/model/admission.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace sipcc::edge {
namespace {

constexpr int64_t kBuffer = 212992;  // Linux's default UDP receive buffer

load_signals quiet() { return {0, kBuffer, 10, 10 * 2.0}; }  // 2 ms claims
load_signals backlog(double fill) {
  return {static_cast<int64_t>(fill * kBuffer), kBuffer, 10, 20.0};
}
load_signals slow_claims(double ms) { return {0, kBuffer, 4, 4 * ms}; }

// How many of `n` INVITEs are taken.
int admitted_of(admission& a, int n) {
  int taken = 0;
  for (int i = 0; i < n; ++i)
    taken += a.admit() ? 1 : 0;
  return taken;
}

TEST(EdgeAdmission, TheShareFallsWhileASignalIsOverItsLimitAndOnlyThen) {
  struct row {
    std::string name;
    std::vector<load_signals> ticks;
    double share;
    std::string cause;
  };
  const auto twice = [](load_signals s) { return std::vector<load_signals>{s, s}; };
  const auto thrice = [](load_signals s) { return std::vector<load_signals>{s, s, s}; };
  const std::vector<row> rows = {
      {"quiet: everything taken", thrice(quiet()), 1.0, ""},
      {"a backlog just under the limit is load, not overload", thrice(backlog(0.49)), 1.0, ""},
      {"two ticks over the limit are a burst", twice(backlog(0.9)), 1.0, ""},
      {"bursts with a quiet tick between",
       {backlog(0.9), backlog(0.9), quiet(), backlog(0.9), backlog(0.9)}, 1.0, ""},
      {"three ticks at half the buffer", thrice(backlog(0.5)), 0.75, "receive_queue"},
      {"a cut, then the backlog it leaves is given time to drain",
       {backlog(0.5), backlog(0.9), backlog(0.7), backlog(0.6), backlog(1.0), backlog(0.8),
        backlog(0.7)},
       0.75, "receive_queue"},
      {"the next cut five ticks after",
       std::vector<load_signals>(8, backlog(0.9)), 0.5625, "receive_queue"},
      {"slow claims", thrice(slow_claims(150)), 0.75, "claim_latency"},
      {"claims just under the limit", thrice(slow_claims(99)), 1.0, ""},
      {"a tick with no claim says nothing of callctl", thrice({0, kBuffer, 0, 0}), 1.0, ""},
      {"a socket of unknown size says nothing", thrice({1 << 20, 0, 10, 20}), 1.0, ""},
      {"either signal, tick after tick", {backlog(0.6), backlog(0.6), slow_claims(300)}, 0.75,
       "claim_latency"},
      {"both at once: the backlog is named", thrice({kBuffer / 2, kBuffer, 2, 400}), 0.75,
       "receive_queue"},
      {"the share never falls below the trickle",
       std::vector<load_signals>(150, backlog(1.0)), 1.0 / 64, "receive_queue"},
      {"it climbs back by steps once under the limits",
       {backlog(0.6), backlog(0.6), backlog(0.6), quiet(), quiet()}, 0.75 + 2.0 / 64,
       "receive_queue"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    admission a;
    for (const auto& t : r.ticks)
      a.tick(t);
    EXPECT_NEAR(a.share(), r.share, 1e-9);
    EXPECT_EQ(a.shedding(), r.share < 1);
    EXPECT_EQ(a.take_report().cause, r.cause);
  }
}

TEST(EdgeAdmission, TheAdmittedShareIsSpreadEvenlyOverTheInvites) {
  struct row {
    int decreases;
    int invites;
    int taken;
    int longest_refused_run;
  };
  // 0.75^n of the INVITEs are taken, and refusals come in runs no longer
  // than the share makes them: ceil(1 / share) - 1.
  const std::vector<row> rows = {
      {0, 100, 100, 0},
      {1, 100, 75, 1},     // 0.75
      {3, 1000, 421, 2},   // 0.421875
      {7, 1000, 133, 7},   // 0.1335
      {40, 1000, 15, 63},  // the floor, 1/64
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.decreases);
    admission::limits every_tick;  // cuts at each tick over: the share only matters here
    every_tick.sustain = 1;
    every_tick.cooldown = 1;
    admission a(every_tick);
    for (int i = 0; i < r.decreases; ++i)
      a.tick(backlog(1.0));
    int taken = 0, run = 0, longest = 0;
    for (int i = 0; i < r.invites; ++i) {
      if (a.admit()) {
        ++taken;
        run = 0;
      } else {
        longest = std::max(longest, ++run);
      }
    }
    EXPECT_NEAR(taken, r.taken, 1);
    EXPECT_EQ(longest, r.longest_refused_run);
  }
}

TEST(EdgeAdmission, FromTheFloorBackToEverythingIn63QuietTicks) {
  admission a;
  for (int i = 0; i < 150; ++i)
    a.tick(backlog(1.0));
  ASSERT_EQ(a.share(), 1.0 / 64);
  int ticks = 0;
  while (a.shedding() && ticks < 1000) {
    a.tick(quiet());
    ++ticks;
  }
  EXPECT_EQ(ticks, 63);  // 1/64 + 63 x 1/64 = 1
  EXPECT_EQ(admitted_of(a, 100), 100);
}

TEST(EdgeAdmission, AReportCountsTheIntervalThenStartsAnew) {
  admission a;
  EXPECT_EQ(admitted_of(a, 10), 10);
  for (int i = 0; i < 7; ++i)
    a.tick(backlog(0.6));
  a.tick(slow_claims(300));  // the second cut
  const int taken = admitted_of(a, 100);
  EXPECT_NEAR(taken, 56, 1);  // 0.5625
  auto r = a.take_report();
  EXPECT_EQ(r.admitted, 10 + taken);
  EXPECT_EQ(r.shed, 100 - taken);
  EXPECT_NEAR(r.share, 0.5625, 1e-9);
  EXPECT_EQ(r.cause, "claim_latency");  // the last tick over a limit
  EXPECT_NEAR(r.peak_fill, 0.6, 1e-6);
  EXPECT_NEAR(r.peak_claim_ms, 300, 1e-9);

  auto next = a.take_report();
  EXPECT_EQ(next.admitted + next.shed, 0);
  EXPECT_EQ(next.cause, "");
  EXPECT_NEAR(next.share, 0.5625, 1e-9);  // the share carries over
}

}  // namespace
}  // namespace sipcc::edge
