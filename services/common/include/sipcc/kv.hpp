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

// Every key's latest value, deleted and purged keys left out, from bucket
// `name`, created (file storage, the last value per key) when missing.
// Blocking: for start-up only. Throws std::runtime_error with the NATS error
// text when the bucket cannot be made or read within `timeout` (no JetStream
// on the server, for one).
std::map<std::string, std::string> kv_load_all(bus& nats, const std::string& name,
                                                std::chrono::milliseconds timeout);

}  // namespace sipcc
