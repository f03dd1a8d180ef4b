#include "edge_load.hpp"

#include <chrono>
#include <cmath>
#include <tuple>

#include <spdlog/spdlog.h>

#include "edge_calls.hpp"
#include "receive_queue.hpp"
#include "sipcc/counters.hpp"

namespace sipcc::edge {

namespace {
// Fine enough to see the receive queue's swings: Linux's default buffer
// holds about 90 INVITEs, a few tens of ms of the edge's work.
constexpr su_duration_t kTickMs = 20;
constexpr int kTicksPerReport = 50;  // one log line a second at most
// When a refused caller may try again: about the time the admitted share
// takes to climb back from its floor.
constexpr const char* kRetryAfterS = "2";
}  // namespace

load_guard::load_guard(const host_port& sip_bind, su_root_t* root, call_legs& legs)
    : legs_(legs), socket_(find_udp_socket(sip_bind)) {
  if (auto q = receive_queue(socket_))
    spdlog::info("edge: admission control watches the SIP socket's receive queue ({} bytes)",
                 q->buffer_bytes);
  else
    spdlog::warn("edge: the SIP socket's receive queue cannot be read: admission control "
                 "follows callctl's claim times only");
  process_counters().set(counter_id::admitted_share, "", 100);
  timer_ = su_timer_create(su_root_task(root), kTickMs);
  su_timer_set_for_ever(
      timer_,
      [](su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg) {
        reinterpret_cast<load_guard*>(arg)->tick();
      },
      reinterpret_cast<su_timer_arg_t*>(this));
}

load_guard::~load_guard() { su_timer_destroy(timer_); }

bool load_guard::admit() {
  if (admission_.admit())
    return true;
  process_counters().add(counter_id::invites_shed, admission_.cause());
  return false;
}

sip_checks::refusal load_guard::refusal() {
  return {503, "Service Unavailable", "", "", kRetryAfterS};
}

void load_guard::tick() {
  // sofia fires a timer missed while the process did not run (stopped, not
  // scheduled) once per interval missed, at once: one sample is enough.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_tick_ < std::chrono::milliseconds(kTickMs / 2))
    return;
  last_tick_ = now;
  load_signals s;
  if (auto q = receive_queue(socket_)) {
    s.receive_queue_bytes = q->queued_bytes;
    s.receive_buffer_bytes = q->buffer_bytes;
  }
  std::tie(s.claims, s.claim_ms_sum) = legs_.take_claim_times();
  const double before = admission_.share();
  admission_.tick(s);
  if (admission_.share() != before)
    process_counters().set(counter_id::admitted_share, "",
                           static_cast<int64_t>(std::lround(admission_.share() * 100)));
  if (++ticks_ % kTicksPerReport == 0)
    report();
}

void load_guard::report() {
  const auto r = admission_.take_report();
  if (r.shed > 0) {
    was_shedding_ = true;
    spdlog::warn("edge: over capacity ({}): refused {} of {} new INVITEs with 503 in the last "
                 "{} ms, admitting {:.0f}% now (receive queue up to {:.0f}% of its buffer, "
                 "callctl's claims up to {:.1f} ms)",
                 r.cause.empty() ? "recovering" : r.cause, r.shed, r.shed + r.admitted,
                 kTickMs * kTicksPerReport, r.share * 100, r.peak_fill * 100, r.peak_claim_ms);
  } else if (was_shedding_ && !admission_.shedding()) {
    was_shedding_ = false;
    spdlog::warn("edge: back under capacity: every new INVITE is admitted again");
  }
}

}  // namespace sipcc::edge
