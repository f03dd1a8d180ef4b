// A service gives back the heap its start-up freed (heap_trim.hpp): the
// configuration's parse tree for thousands of DNs is garbage once loaded,
// and without the trim the process would keep it resident for good.
#include <gtest/gtest.h>

#include <string>

#include "sipcc_fixture.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

TEST(MemoryE2E, AServiceGivesBackTheHeapItsStartUpFreed) {
  system_options opts;
  opts.dns.clear();
  // Unmonitored: no subscription traffic, only the configuration's weight.
  for (int i = 0; i < 5000; ++i)
    opts.dns.emplace_back(std::to_string(100000 + i), "Extension", "", "",
                          "monitor: false");
  opts.agents.clear();
  sipcc_system sys(opts);
  ASSERT_NO_THROW(sys.start_services());
  EXPECT_TRUE(sys.wait_log("presence", "MB of freed heap given back to the system", 15s));
}

}  // namespace
}  // namespace sipcc::test
