// The "nothing left behind" check of the end-to-end call tests: after every
// call flow the edge's leg gauge and callctl's call-actor gauge read 0.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sipcc_fixture.hpp"

namespace sipcc::test {

// Counter `name` with `label` from the instance's counters reply; -1 when
// the instance does not answer or has no such counter (never counted).
int64_t counter_value(sipcc_system& sys, const std::string& instance, const std::string& name,
                      const std::string& label);
// Polls counter `name` with `label` until `done` holds for its value (the
// counters have no change events) or the deadline passes; the last value read.
int64_t wait_counter(sipcc_system& sys, const std::string& instance, const std::string& name,
                     const std::string& label, const std::function<bool(int64_t)>& done,
                     std::chrono::milliseconds deadline);
// The "actors" gauge with `label`.
inline int64_t actor_gauge(sipcc_system& sys, const std::string& instance,
                           const std::string& label) {
  return counter_value(sys, instance, "actors", label);
}

// Legs that LegCommands to edge1 gave their call's snapshot (an established
// call's legs each get one whenever the call changes while quiescent; one
// command carries it for all of them, other_legs); with
// `awaiting_ack`, the snapshots of routed calls answered whose customer had
// not ACKed the 200 yet instead.
size_t snapshots_kept(bus_recorder& recorder, bool awaiting_ack = false);

// Polls edge1's "edge_legs" and each callctl member's "call" gauges until
// they read 0 (a finished dialog lingers at the edge for a while); a gtest
// failure for each one still above 0 at the deadline.
void expect_nothing_dangles(sipcc_system& sys, std::chrono::milliseconds deadline,
                            const std::vector<std::string>& callctls = {"callctl-0"});

}  // namespace sipcc::test
