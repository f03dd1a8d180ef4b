#include "media/model/health.hpp"

#include <fmt/format.h>

namespace sipcc::media {

bool probe_answered(const probe_outcome& p) {
  return !p.timed_out && p.status >= 200 && p.status != 408 && p.status != 503;
}

std::string describe(const probe_outcome& p) {
  if (p.status == 0)
    return "no result from the edge";
  if (p.timed_out)
    return fmt::format("{} timed out", p.status);
  return p.phrase.empty() ? std::to_string(p.status) : fmt::format("{} {}", p.status, p.phrase);
}

health_step_result health_step(const server_health& h, const probe_outcome& p,
                               const health_thresholds& t) {
  health_step_result r;
  r.next = h;
  r.next.last_probe = describe(p);
  if (probe_answered(p)) {
    r.next.failures = 0;
    ++r.next.answers;
    // Unknown needs one answer: it was taken like in service already.
    const uint32_t needed = h.state == v1::MEDIA_OUT_OF_SERVICE ? t.back_after : 1;
    if (h.state != v1::MEDIA_IN_SERVICE && r.next.answers >= needed) {
      r.next.state = v1::MEDIA_IN_SERVICE;
      r.reason = fmt::format("{} OPTIONS in a row answered (last: {})", r.next.answers,
                             describe(p));
    }
  } else {
    r.next.answers = 0;
    ++r.next.failures;
    if (h.state != v1::MEDIA_OUT_OF_SERVICE && r.next.failures >= t.out_after) {
      r.next.state = v1::MEDIA_OUT_OF_SERVICE;
      r.reason = fmt::format("{} OPTIONS in a row failed (last: {})", r.next.failures,
                             describe(p));
    }
  }
  r.changed = r.next.state != h.state;
  return r;
}

const char* health_name(v1::MediaHealthState s) {
  switch (s) {
    case v1::MEDIA_IN_SERVICE:
      return "in service";
    case v1::MEDIA_OUT_OF_SERVICE:
      return "out of service";
    default:
      return "unknown";
  }
}

}  // namespace sipcc::media
