// The "nothing left behind" check of the end-to-end call tests: after every
// call flow the edge's leg gauge and callctl's call-actor gauge read 0.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "sipcc_fixture.hpp"

namespace sipcc::test {

// The "actors" gauge with `label` from the instance's counters reply; -1 when
// the instance does not answer or has no such gauge.
int64_t actor_gauge(sipcc_system& sys, const std::string& instance, const std::string& label);

// Polls edge1's "edge_legs" and callctl-0's "call" gauges until both read 0
// (a finished dialog lingers at the edge for a while); a gtest failure for
// each one still above 0 at the deadline.
void expect_nothing_dangles(sipcc_system& sys, std::chrono::milliseconds deadline);

}  // namespace sipcc::test
