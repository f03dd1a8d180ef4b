// A media server's health from its SIP OPTIONS probes, as a pure state
// machine:
//
//   unknown         -- one probe answered ---------------> in service
//   unknown         -- out-after probes failed in a row --> out of service
//   in service      -- out-after probes failed in a row --> out of service
//   out of service  -- back-after answered in a row ------> in service
//
// unknown (not probed yet) is taken like in service: a media service that
// just started must not refuse everything for a probe interval. A probe
// failed when it got no final response in time, a 408, or a 503 (RFC 3261
// 21.5.4: the server cannot serve for now; sofia also reports an
// unreachable address so). Any other final response, even a 404, 405 or
// 501, comes from a live server. Counts are of probes in a row: one answer
// clears the failures, one failure clears the answers.
#pragma once

#include <cstdint>
#include <string>

#include "sipcc/v1/media.pb.h"

namespace sipcc::media {

struct health_thresholds {
  uint32_t out_after = 3;   // failed probes in a row
  uint32_t back_after = 2;  // answered probes in a row
};

struct server_health {
  v1::MediaHealthState state = v1::MEDIA_HEALTH_UNKNOWN;
  uint32_t failures = 0;  // in a row
  uint32_t answers = 0;   // in a row
  std::string last_probe;  // describe() of the latest outcome
};

// One probe's outcome: status is the final response (408 when it timed out).
struct probe_outcome {
  uint32_t status = 0;
  std::string phrase;
  bool timed_out = false;
};

// Whether the outcome shows a server that can take calls.
bool probe_answered(const probe_outcome& p);

// "200 OK", "408 timed out", "no result from the edge" (status 0).
std::string describe(const probe_outcome& p);

struct health_step_result {
  server_health next;
  bool changed = false;  // next.state differs: an event on the bus
  std::string reason;    // why it changed, in plain words (empty when not)
};

health_step_result health_step(const server_health& h, const probe_outcome& p,
                               const health_thresholds& t);

// Whether selection may use the server.
inline bool selectable(v1::MediaHealthState s) { return s != v1::MEDIA_OUT_OF_SERVICE; }

// "in service", "out of service", "unknown".
const char* health_name(v1::MediaHealthState s);

}  // namespace sipcc::media
