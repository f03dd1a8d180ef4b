// Admission control on the sofia thread (model/admission.hpp): every tick it
// samples the SIP socket's receive queue and callctl's claim times; each new
// INVITE past the admitted share is answered 503 with Retry-After, before any
// service hears of it. One log line per interval while it sheds, not one per
// call.
#pragma once

#include <chrono>

#include <sofia-sip/su_wait.h>

#include "sip-edge/model/admission.hpp"
#include "sip-edge/model/request_checks.hpp"
#include "sipcc/config.hpp"

namespace sipcc::edge {

class call_legs;

class load_guard {
public:
  load_guard(const host_port& sip_bind, su_root_t* root, call_legs& legs);
  ~load_guard();
  load_guard(const load_guard&) = delete;
  load_guard& operator=(const load_guard&) = delete;

  // Whether the next new INVITE is taken (a refusal is counted here).
  bool admit();
  // The answer to an INVITE admit() refused: 503 with Retry-After.
  static sip_checks::refusal refusal();

private:
  void tick();
  void report();

  call_legs& legs_;
  int socket_ = -1;
  su_timer_t* timer_ = nullptr;
  admission admission_;
  int ticks_ = 0;
  std::chrono::steady_clock::time_point last_tick_{};
  bool was_shedding_ = false;
};

}  // namespace sipcc::edge
