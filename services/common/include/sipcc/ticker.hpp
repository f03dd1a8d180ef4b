// A thread of its own for periodic work beside the actors (the lease
// keeper, an edge's heartbeat, the edge directory), and the steady clock
// their leases and heartbeats age by.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace sipcc {

// Calls `tick` on its thread at once and then every `period`, until it is
// destroyed (which waits for a tick under way).
class ticker {
public:
  ticker(std::chrono::milliseconds period, std::function<void()> tick);
  ~ticker();
  ticker(const ticker&) = delete;
  ticker& operator=(const ticker&) = delete;

private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Milliseconds of this process's steady clock.
int64_t steady_ms();

}  // namespace sipcc
