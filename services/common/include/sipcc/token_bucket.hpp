// Pure rate limiter for start-up pacing: how many SUBSCRIBEs may go now.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>

namespace sipcc {

class token_bucket {
public:
  using clock = std::chrono::steady_clock;
  // `rate` tokens per second, at most `burst` saved up; starts with one.
  token_bucket(double rate, double burst, clock::time_point now)
      : rate_(rate), burst_(std::max(1.0, burst)), last_(now) {}

  // Takes up to `want` tokens; returns how many were granted.
  std::size_t take(clock::time_point now, std::size_t want) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    std::size_t n = std::min(want, static_cast<std::size_t>(tokens_));
    tokens_ -= static_cast<double>(n);
    return n;
  }

  // A pacer's bucket: `rate` per second, saving up at most 20 ms' worth, so
  // that a backlog leaves at the rate rather than in a burst.
  static token_bucket for_pacing(double rate, clock::time_point now) {
    return token_bucket(rate, rate * 0.02, now);
  }

private:
  double rate_;
  double burst_;
  double tokens_ = 1;
  clock::time_point last_;
};

// How often a pacer at `rate` asks its bucket: a token's time, at most
// every 10 ms.
inline std::chrono::milliseconds pacing_interval(double rate) {
  return std::chrono::milliseconds(std::max(10L, static_cast<long>(1000.0 / rate)));
}

}  // namespace sipcc
