#include "sipcc/heap_trim.hpp"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace sipcc {

long resident_kb() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  if (!(statm >> size >> resident))
    return 0;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

heap_trimmer::result heap_trimmer::check() {
  result r;
  const std::size_t free_now = mallinfo2().fordblks;
  if (free_now < free_after_last_ + min_freed_) {
    // What was free then and is in use again lowers the bar for the next.
    free_after_last_ = std::min(free_after_last_, free_now);
    return r;
  }
  r.trimmed = true;
  r.rss_before_kb = resident_kb();
  malloc_trim(0);
  r.rss_after_kb = resident_kb();
  free_after_last_ = mallinfo2().fordblks;
  return r;
}

}  // namespace sipcc
