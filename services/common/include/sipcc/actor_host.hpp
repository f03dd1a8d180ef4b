// The CAF side of a service process, set up one way everywhere: the actor
// system (tuned for signalling latency), the bus bridge, which hands
// every message of a few wildcard subscriptions to one root actor, in order,
// as a bus_msg, and the root's supervision: its end other than by shutdown()
// is reported as a failure, and a small health actor linked to it answers
// health queries from inside the actor system (sipcc/supervision.hpp).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/sec.hpp>
#include <caf/typed_actor.hpp>

#include <google/protobuf/message.h>

#include "sipcc/bus.hpp"
#include "sipcc/supervision.hpp"

namespace sipcc {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bus_msg& m) {
  return f(caf::meta::type_name("bus_msg"), m.subject, m.data, m.reply);
}

// What every service's root actor takes (among its own messages).
using bus_root = caf::typed_actor<caf::reacts_to<bus_msg>>;

// Inspects a message struct whose first member is protobuf message `pb` and
// whose other members are `rest`: CAF sees the protobuf as its serialized
// bytes, parsed back when loading.
template <class Inspector, class Proto, class... Rest>
typename Inspector::result_type inspect_with_proto(Inspector& f, const char* type_name, Proto& pb,
                                                   Rest&... rest) {
  std::string bytes;
  if constexpr (Inspector::reads_state)
    bytes = pb.SerializeAsString();
  auto parse = [&]() -> caf::error {
    if (pb.ParseFromString(bytes))
      return caf::none;
    return caf::make_error(caf::sec::invalid_argument);
  };
  return f(caf::meta::type_name(type_name), bytes, caf::meta::load_callback(parse), rest...);
}

// Parses a bridged message; an undecodable one is counted
// (bus_decode_errors{family}), logged and dropped: false.
bool decode_bus(const std::string& subject, const std::string& data,
                google::protobuf::Message& out, const char* family);

class actor_host {
public:
  explicit actor_host(supervision& sup = process_supervision());
  ~actor_host();
  caf::actor_system& system() { return *sys_; }

  // The root actor every bridged message goes to; from now on its end is
  // watched and the health actor answers for it.
  void set_root(bus_root root);
  // One NATS subscription per subject (a queue group when `queue` is set);
  // returns the subjects as "a, b, c" for the service's ready line.
  std::string bridge(bus& nats, const std::vector<std::string>& subjects,
                     const std::string& queue = "");

  // Stops the root (and every actor linked to it) and waits for all actors:
  // the orderly end, no failure.
  void shutdown();

private:
  supervision& sup_;
  std::atomic<bool> stopping_{false};
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  bus_root root_;
};

}  // namespace sipcc
