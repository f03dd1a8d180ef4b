#include "sip-edge/model/admission.hpp"

#include <algorithm>

namespace sipcc::edge {

void admission::tick(const load_signals& s) {
  const double fill = s.receive_buffer_bytes > 0
                          ? static_cast<double>(s.receive_queue_bytes) /
                                static_cast<double>(s.receive_buffer_bytes)
                          : 0;
  const double claim_ms = s.claims > 0 ? s.claim_ms_sum / s.claims : 0;
  report_.peak_fill = std::max(report_.peak_fill, fill);
  report_.peak_claim_ms = std::max(report_.peak_claim_ms, claim_ms);
  const char* cause = fill >= limits_.fill_high          ? "receive_queue"
                      : claim_ms >= limits_.claim_high_ms ? "claim_latency"
                                                          : nullptr;
  ++since_cut_;
  over_count_ += (cause ? 1 : 0) - (over_[next_] ? 1 : 0);
  over_[next_] = cause != nullptr;
  next_ = (next_ + 1) % over_.size();
  if (over_count_ >= limits_.overloaded)
    overloaded_ = true;
  else if (over_count_ <= limits_.calm)
    overloaded_ = false;
  if (!cause) {
    share_ = std::min(1.0, share_ + limits_.increase);
  } else if (overloaded_) {
    report_.cause = cause_ = cause;
    // The backlog a cut leaves takes some ticks to drain: cutting again
    // before it could would cut for the same overload twice.
    if (since_cut_ >= limits_.cooldown) {
      share_ = std::max(limits_.min_share, share_ * limits_.decrease);
      since_cut_ = 0;
    }
  }
  report_.share = share_;
}

bool admission::admit() {
  credit_ += share_;  // stays under 2: spent whole at each INVITE taken
  const bool taken = credit_ >= 1;
  if (taken)
    credit_ -= 1;
  ++(taken ? report_.admitted : report_.shed);
  return taken;
}

admission_report admission::take_report() {
  admission_report out = report_;
  report_ = {};
  report_.share = share_;
  return out;
}

}  // namespace sipcc::edge
