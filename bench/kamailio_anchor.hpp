// The reference line of bench/routed_calls: Kamailio (Debian's `kamailio`,
// a stateful proxy: tm's t_relay, record-routing) between two SIPp
// instances, at the same rate and hold on the same machine in the same run,
// so every table carries its own anchor for what a SIP call costs here.
#pragma once

#include <optional>
#include <string>

namespace sipcc::bench {

struct anchor_result {
  std::string version;  // "kamailio 5.6.3 ..."
  double done_per_s = 0;
  int64_t calls = 0, failed = 0;
  double proxy_ms = 0;  // Kamailio's CPU (every process of it) per completed call
  double sipp_ms = 0;   // both SIPp's per completed call
};

// nullopt when `kamailio` is not installed; throws std::runtime_error when
// it does not start.
std::optional<anchor_result> kamailio_anchor(double rate, int duration_s, double hold_s);

}  // namespace sipcc::bench
