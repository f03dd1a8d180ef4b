// The CAF side of a service process, set up one way everywhere: the actor
// system (tuned for signalling latency) and the bus bridge, which hands
// every message of a few wildcard subscriptions to one root actor, in order,
// as (bus_atom, subject, data, reply).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

#include <google/protobuf/message.h>

#include "sipcc/bus.hpp"

namespace sipcc {

using bus_atom = caf::atom_constant<caf::atom("bus")>;

// Parses a bridged message; an undecodable one is counted
// (bus_decode_errors{family}), logged and dropped: false.
bool decode_bus(const std::string& subject, const std::string& data,
                google::protobuf::Message& out, const char* family);

class actor_host {
public:
  actor_host();
  ~actor_host();
  caf::actor_system& system() { return *sys_; }

  // The root actor every bridged message goes to.
  void set_root(caf::actor root) { root_ = std::move(root); }
  // One NATS subscription per subject (a queue group when `queue` is set);
  // returns the subjects as "a, b, c" for the service's ready line.
  std::string bridge(bus& nats, const std::vector<std::string>& subjects,
                     const std::string& queue = "");

  // Stops the root (and every actor linked to it) and waits for all actors.
  void shutdown();

private:
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::actor root_;
};

}  // namespace sipcc
