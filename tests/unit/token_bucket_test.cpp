#include <gtest/gtest.h>

#include "sipcc/token_bucket.hpp"

namespace sipcc {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, GrantsAtTheConfiguredRate) {
  struct step {
    std::chrono::milliseconds at;
    std::size_t want;
    std::size_t granted;
  };
  struct scenario {
    const char* name;
    double rate, burst;
    std::vector<step> steps;
  };
  const std::vector<scenario> cases = {
      {"starts with one token", 50, 1, {{0ms, 10, 1}, {0ms, 10, 0}}},
      {"one per 20 ms at 50/s", 50, 1, {{0ms, 5, 1}, {20ms, 5, 1}, {30ms, 5, 0}, {40ms, 5, 1}}},
      {"burst caps what idle time saves", 100, 4, {{0ms, 1, 1}, {1000ms, 10, 4}, {1000ms, 10, 0}}},
      {"never more than wanted", 1000, 10, {{100ms, 3, 3}, {100ms, 10, 7}}},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto t0 = token_bucket::clock::time_point{};
    token_bucket b(c.rate, c.burst, t0);
    for (auto& s : c.steps)
      EXPECT_EQ(b.take(t0 + s.at, s.want), s.granted) << "at " << s.at.count() << " ms";
  }
}

// The pacers' bucket (subscriptions, the edge's forgotten dialogs): a tick
// every token's time, at most every 10 ms; 20 ms' worth saved up at most.
TEST(TokenBucket, PacingTicksAndSavesTwentyMilliseconds) {
  struct row {
    double rate;
    std::chrono::milliseconds interval;
    std::size_t after_idle;  // granted of 1,000 wanted after a second idle
  };
  const std::vector<row> rows = {{20, 50ms, 1}, {50, 20ms, 1}, {500, 10ms, 10}, {1000, 10ms, 20}};
  for (const auto& r : rows) {
    SCOPED_TRACE(r.rate);
    EXPECT_EQ(pacing_interval(r.rate), r.interval);
    auto t0 = token_bucket::clock::time_point{};
    auto b = token_bucket::for_pacing(r.rate, t0);
    EXPECT_EQ(b.take(t0 + 1s, 1000), r.after_idle);
  }
}

}  // namespace
}  // namespace sipcc
