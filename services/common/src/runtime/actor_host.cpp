#include "sipcc/actor_host.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "sipcc/counters.hpp"

namespace sipcc {

actor_host::actor_host() {
  // The default work-stealing scheduler polls aggressively: idle CPU and
  // hand-off latency both drop with this (STACK-NOTES).
  cfg_.set("work-stealing.moderate-poll-attempts", size_t{0});
  sys_ = std::make_unique<caf::actor_system>(cfg_);
}

actor_host::~actor_host() { shutdown(); }

bool decode_bus(const std::string& subject, const std::string& data,
                google::protobuf::Message& out, const char* family) {
  if (out.ParseFromString(data))
    return true;
  process_counters().add(counter_id::bus_decode_errors, family);
  spdlog::warn("bus: undecodable {} on {} dropped", family, subject);
  return false;
}

std::string actor_host::bridge(bus& nats, const std::vector<std::string>& subjects,
                               const std::string& queue) {
  std::string listed;
  for (auto& s : subjects) {
    listed += (listed.empty() ? "" : ", ") + s;
    nats.subscribe(
        s,
        [this](bus_msg m) {
          caf::anon_send(root_, std::move(m));
        },
        queue);
  }
  return listed;
}

void actor_host::shutdown() {
  if (!sys_)
    return;
  if (root_)
    caf::anon_send_exit(root_, caf::exit_reason::user_shutdown);
  root_ = nullptr;
  sys_.reset();  // waits for every actor to finish
}

}  // namespace sipcc
