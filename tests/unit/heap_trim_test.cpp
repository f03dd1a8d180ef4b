// heap_trimmer: a burst freed in the middle of the heap (what start-up leaves)
// is given back to the system once, and a check with nothing newly freed
// does not trim again.
#include "sipcc/heap_trim.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace sipcc {
namespace {

TEST(HeapTrim, FreedBurstIsGivenBackOnceAndNotTrimmedAgainWithoutANewOne) {
  heap_trimmer trimmer;
  trimmer.check();  // whatever earlier tests left
  // 64 MB in 1 KB blocks; every 16th stays, so no free run reaches the top
  // of the heap and free() alone gives nothing back.
  std::vector<std::unique_ptr<char[]>> blocks(64 * 1024);
  for (auto& b : blocks) {
    b.reset(new char[1024]);
    std::fill_n(b.get(), 1024, 'x');  // resident, not just reserved
  }
  for (std::size_t i = 0; i < blocks.size(); ++i)
    if (i % 16 != 15)
      blocks[i].reset();
  const long before = resident_kb();
  auto r = trimmer.check();
  ASSERT_TRUE(r.trimmed);
  EXPECT_NEAR(r.rss_before_kb, before, 256);
  // About 60 MB were freed; at least half of it leaves the resident set.
  EXPECT_LT(r.rss_after_kb, r.rss_before_kb - 30 * 1024);
  EXPECT_FALSE(trimmer.check().trimmed);
}

TEST(HeapTrim, LessThanTheMinimumFreedIsNotTrimmed) {
  heap_trimmer trimmer(std::size_t{1} << 40);
  EXPECT_FALSE(trimmer.check().trimmed);
}

}  // namespace
}  // namespace sipcc
