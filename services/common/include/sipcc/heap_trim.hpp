// Freed heap given back to the system. glibc keeps what a burst freed in its
// arenas (the configuration's parse tree at start-up, the first NOTIFYs of
// 10,000 subscriptions, a load peak): without a trim a service's resident set
// stays at its peak for good. Every service checks every 10 s (run_service).
#pragma once

#include <cstddef>

namespace sipcc {

// Heap that must have been freed since the last trim before the next one:
// malloc_trim walks every arena under its lock, so it runs only when a burst
// left something to give back, not every check.
inline constexpr std::size_t k_trim_min_freed_bytes = std::size_t{4} << 20;

class heap_trimmer {
 public:
  struct result {
    bool trimmed = false;
    long rss_before_kb = 0;  // resident set around the trim
    long rss_after_kb = 0;
  };
  explicit heap_trimmer(std::size_t min_freed = k_trim_min_freed_bytes) : min_freed_(min_freed) {}
  // malloc_trim(0) when malloc holds at least min_freed more free bytes than
  // it did after the last trim.
  result check();

 private:
  std::size_t min_freed_;
  std::size_t free_after_last_ = 0;
};

// This process's resident set in KB (/proc/self/statm); 0 when unreadable.
long resident_kb();

}  // namespace sipcc
