// JetStream key-value buckets: state that outlives the process that owns it
// (a restarted presence resumes its DNs' agent sessions). Writes are plain
// publishes on the bucket's subject ($KV.<bucket>.<key>, declared in
// bus_schema), so an actor never waits for the server's acknowledgement;
// reads happen at start-up only, before any actor runs.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "sipcc/bus.hpp"

namespace sipcc {

// Binds to bucket `name`, creating it (file storage, the last value per key)
// when missing. Throws std::runtime_error with the NATS error text (no
// JetStream on the server, for one).
void ensure_kv_bucket(bus& nats, const std::string& name);

// Every key's latest value, deleted and purged keys left out. Blocking: for
// start-up only. Throws std::runtime_error when the bucket cannot be read
// within `timeout`.
std::map<std::string, std::string> kv_load_all(bus& nats, const std::string& name,
                                                std::chrono::milliseconds timeout);

}  // namespace sipcc
