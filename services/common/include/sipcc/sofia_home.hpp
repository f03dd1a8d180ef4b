// The memory sofia-sip's parsers allocate from (an su_home), for one parse:
// everything parsed from it lives until it goes. Used where sipcc reads
// text with sofia's parsers outside the SIP stack (SDP, MIME bodies,
// Authorization headers); the includer links sofia-sip.
#pragma once

#include <cstdlib>

#include <sofia-sip/su_alloc.h>

namespace sipcc {

// The home lives in this object rather than from su_home_new: sofia
// 1.12.11's msg_multipart_parse moves its blocks into the home it is given
// and the home then forgets it came from the heap, so su_home_unref left the
// su_home_t itself behind (24 bytes per RLMI NOTIFY; found by fuzzing).
class sofia_home {
public:
  sofia_home() {
    if (su_home_init(&home_) != 0)
      std::abort();  // out of memory
  }
  ~sofia_home() { su_home_deinit(&home_); }
  sofia_home(const sofia_home&) = delete;
  sofia_home& operator=(const sofia_home&) = delete;

  su_home_t* get() const { return &home_; }

private:
  mutable su_home_t home_{};
};

}  // namespace sipcc
