// The thin-main scaffold every service shares: command line, configuration
// (a bad file stops start-up with file:line), logging, the bus connection,
// the counters and health responders, the ready announcement (once the
// service answered its own health query), orderly shutdown on SIGINT/SIGTERM,
// and exit status 70 at once when the root actor ends otherwise
// (sipcc/supervision.hpp).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "sipcc/bus.hpp"
#include "sipcc/config.hpp"
#include "sipcc/v1/state.pb.h"

namespace sipcc {

struct service_context {
  std::string service;   // sip-edge, presence, ...
  std::string instance;  // owner token / edge id, unique on the bus
  // The configured instance name. A service whose processes are members
  // (service_hooks::members) has a unique `instance` per process made from
  // it; its health and counters are also answered, by one member, on it.
  std::string base;
  config cfg;
  std::unique_ptr<bus> nats;
};

struct service_hooks {
  // Instance name from the configuration (e.g. cfg.edge_id); may throw
  // std::invalid_argument (exit status 2 with its text).
  std::function<std::string(const config&)> instance_of;
  // Several processes of the service share its work by shard leases: each
  // gets a bus name of its own, leases::member_name (SIPCC_INSTANCE or
  // <instance>-<hostname>-<pid>).
  bool members = false;
  // Whether the service's bus connection hears what it publishes itself
  // (bus's hear_own); a service whose own messages come back only to be
  // dropped says no, and each is one delivery less.
  bool hear_own = true;
  // Starts the service's work; returns what it listens on (for the banner),
  // or throws std::runtime_error to abort start-up.
  std::function<std::string(service_context&)> start;
  // Stops it before the bus closes.
  std::function<void(service_context&)> stop;
};

// Runs a service to completion; returns the process exit code.
int run_service(int argc, char** argv, const std::string& service, service_hooks hooks);

// Microseconds since the epoch, for event timestamps.
int64_t now_us();

// Every DN's state from presence (StateQuery ALL_DNS), which publishes a
// state only when it changes; nothing when presence does not answer in time.
std::optional<v1::StateReply> query_dn_states(bus& nats, std::chrono::milliseconds timeout);

}  // namespace sipcc
