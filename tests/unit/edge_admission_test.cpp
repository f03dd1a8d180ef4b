// Admission control of new INVITEs at the edge (sip-edge/model/admission.hpp).
#include "sip-edge/model/admission.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace sipcc::edge {
namespace {

constexpr int64_t kBuffer = 212992;  // Linux's default UDP receive buffer
constexpr double kLimit = admission::limits{}.fill_high;  // of the buffer

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

// A short window, so that the rows stay short: overload is three of the
// last four ticks over a limit, over once at most one of them is; cuts are
// two ticks apart at least.
admission::limits short_window() {
  admission::limits l;
  l.window = 4;
  l.overloaded = 3;
  l.calm = 1;
  l.cooldown = 2;
  return l;
}

TEST(EdgeAdmission, TheShareFallsWhileASignalIsOverItsLimitAndOnlyThen) {
  struct row {
    std::string name;
    std::vector<load_signals> ticks;
    double share;
    std::string cause;
  };
  const auto times = [](int n, load_signals s) { return std::vector<load_signals>(n, s); };
  const std::vector<row> rows = {
      {"quiet: everything taken", times(3, quiet()), 1.0, ""},
      {"a backlog just under the limit is load, not overload", times(4, backlog(kLimit * 0.98)), 1.0, ""},
      {"two ticks over the limit are a burst", times(2, backlog(kLimit * 1.8)), 1.0, ""},
      {"three of the last four over: overload",
       {backlog(kLimit * 1.8), quiet(), backlog(kLimit), backlog(kLimit * 1.4)}, 0.75, "receive_queue"},
      {"two of the last four are not",
       {backlog(kLimit * 1.8), quiet(), quiet(), backlog(kLimit), backlog(kLimit * 1.4)}, 1.0, ""},
      {"a cut, then the backlog it leaves is given time to drain", times(4, backlog(kLimit * 1.6)), 0.75,
       "receive_queue"},
      {"the next cut two ticks after", times(6, backlog(kLimit * 1.6)), 0.5625, "receive_queue"},
      {"slow claims", times(3, slow_claims(150)), 0.75, "claim_latency"},
      {"claims just under the limit", times(4, slow_claims(99)), 1.0, ""},
      {"a tick with no claim says nothing of callctl", times(4, {0, kBuffer, 0, 0}), 1.0, ""},
      {"a socket of unknown size says nothing", times(4, {1 << 20, 0, 10, 20}), 1.0, ""},
      {"either signal, tick after tick", {backlog(kLimit * 1.2), backlog(kLimit * 1.2), slow_claims(300)}, 0.75,
       "claim_latency"},
      {"both at once: the backlog is named", times(3, {static_cast<int64_t>(kLimit * kBuffer), kBuffer, 2, 400}), 0.75,
       "receive_queue"},
      {"the share never falls below the trickle", times(150, backlog(1.0)), 1.0 / 64,
       "receive_queue"},
      {"it climbs back by steps once under the limits",
       {backlog(kLimit * 1.2), backlog(kLimit * 1.2), backlog(kLimit * 1.2), quiet(), quiet()}, 0.75 + 2.0 / 64,
       "receive_queue"},
      {"overloaded, a tick over cuts again though the window is not full of them",
       {backlog(kLimit * 1.2), backlog(kLimit * 1.2), backlog(kLimit * 1.2), quiet(), quiet(), backlog(kLimit * 1.2)},
       (0.75 + 2.0 / 64) * 0.75, "receive_queue"},
      {"calm again, one tick over is a burst again",
       {backlog(kLimit * 1.2), backlog(kLimit * 1.2), backlog(kLimit * 1.2), quiet(), quiet(), quiet(), backlog(kLimit * 1.2)},
       0.75 + 3.0 / 64, "receive_queue"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    admission a(short_window());
    for (const auto& t : r.ticks)
      a.tick(t);
    EXPECT_NEAR(a.share(), r.share, 1e-9);
    EXPECT_EQ(a.shedding(), r.share < 1);
    EXPECT_EQ(a.take_report().cause, r.cause);
  }
}

// The defaults: 20 ms ticks, overload is 80 of the last 100 over a limit.
TEST(EdgeAdmission, ARestartStormOfASecondIsRiddenOutTwoSecondsOfOverloadAreNot) {
  admission storm;
  for (int i = 0; i < 50; ++i)
    storm.tick(backlog(1.0));
  for (int i = 0; i < 50; ++i)
    storm.tick(quiet());
  for (int i = 0; i < 50; ++i)
    storm.tick(backlog(1.0));
  EXPECT_EQ(storm.share(), 1.0) << "two storms of a second, a second apart";

  admission overload;
  for (int i = 0; i < 79; ++i)
    overload.tick(backlog(1.0));
  EXPECT_EQ(overload.share(), 1.0);
  overload.tick(backlog(1.0));
  EXPECT_EQ(overload.share(), 0.75) << "the 80th tick over";
  for (int i = 0; i < 20; ++i)
    overload.tick(backlog(1.0));
  EXPECT_EQ(overload.share(), 0.75 * 0.75 * 0.75 * 0.75 * 0.75) << "then one cut in five ticks";
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
    every_tick.window = 1;
    every_tick.overloaded = 1;
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
  admission::limits l;
  l.window = 3;
  l.overloaded = 3;
  admission a(l);
  EXPECT_EQ(admitted_of(a, 10), 10);
  for (int i = 0; i < 7; ++i)
    a.tick(backlog(0.6));    // a cut at the third, then the cool-down
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
