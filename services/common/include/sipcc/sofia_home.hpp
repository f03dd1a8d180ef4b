// The memory sofia-sip's parsers allocate from (an su_home), for one parse:
// everything parsed from it lives until it goes. Used where sipcc reads
// text with sofia's parsers outside the SIP stack (SDP, MIME bodies,
// Authorization headers); the includer links sofia-sip.
#pragma once

#include <cstdlib>

#include <sofia-sip/su_alloc.h>

namespace sipcc {

class sofia_home {
public:
  sofia_home() : home_(static_cast<su_home_t*>(su_home_new(sizeof(su_home_t)))) {
    if (!home_)
      std::abort();  // out of memory
  }
  ~sofia_home() { su_home_unref(home_); }
  sofia_home(const sofia_home&) = delete;
  sofia_home& operator=(const sofia_home&) = delete;

  su_home_t* get() const { return home_; }

private:
  su_home_t* home_;
};

}  // namespace sipcc
