#include "call_gauges.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/ops.pb.h"
#include "sipcc/v1/call.pb.h"

namespace sipcc::test {

using namespace std::chrono_literals;

int64_t counter_value(sipcc_system& sys, const std::string& instance, const std::string& name,
                      const std::string& label) {
  v1::CounterQuery q;
  auto reply = sys.recorder().client().request(subj::ops_counters(instance), q, 2s);
  v1::CounterSet cs;
  if (!reply || !cs.ParseFromString(*reply))
    return -1;
  for (auto& c : cs.counters())
    if (c.name() == name && c.label() == label)
      return c.value();
  return -1;
}

size_t snapshots_kept(bus_recorder& recorder, bool awaiting_ack) {
  size_t n = 0;
  for (const auto& m : recorder.all()) {
    v1::LegCommand cmd;
    v1::CallSnapshot snap;
    if (m.subject == subj::edge_leg("edge1") && cmd.ParseFromString(m.data) &&
        cmd.has_keep_snapshot() && !cmd.keep_snapshot().snapshot().empty() &&
        snap.ParseFromString(cmd.keep_snapshot().snapshot()) &&
        snap.customer_answered() != awaiting_ack)
      n += 1 + cmd.keep_snapshot().other_legs_size();
  }
  return n;
}

int64_t wait_counter(sipcc_system& sys, const std::string& instance, const std::string& name,
                     const std::string& label, const std::function<bool(int64_t)>& done,
                     std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  int64_t value = counter_value(sys, instance, name, label);
  while (!done(value) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(50ms);  // counters are polled: nothing announces a change
    value = counter_value(sys, instance, name, label);
  }
  return value;
}

void expect_nothing_dangles(sipcc_system& sys, std::chrono::milliseconds deadline,
                            const std::vector<std::string>& callctls) {
  std::vector<std::pair<std::string, std::string>> gauges = {{"edge1", "edge_legs"}};
  for (const auto& c : callctls)
    gauges.emplace_back(c, "call");
  for (const auto& [inst, label] : gauges) {
    auto value =
        wait_counter(sys, inst, "actors", label, [](int64_t v) { return v == 0; }, deadline);
    EXPECT_EQ(value, 0) << inst << " " << label;
  }
}

}  // namespace sipcc::test
