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

struct __kvStore;
struct __jsCtx;

namespace sipcc {

// A bound key-value bucket, created (file storage, the last value per key)
// when missing. Blocking; throws std::runtime_error with the NATS error text
// when the bucket cannot be made (no JetStream on the server, for one).
class kv_bucket {
public:
  // `wait`: how long each request to the server may take (NATS's default
  // otherwise, 5 s).
  kv_bucket(bus& nats, const std::string& name,
            std::chrono::milliseconds wait = std::chrono::milliseconds(0));
  ~kv_bucket();
  kv_bucket(const kv_bucket&) = delete;
  kv_bucket& operator=(const kv_bucket&) = delete;
  __kvStore* get() const { return kv_; }
  const std::string& name() const { return name_; }

private:
  std::string name_;
  __jsCtx* js_ = nullptr;
  __kvStore* kv_ = nullptr;
};

// Every key's latest value, deleted and purged keys left out, from bucket
// `name`, created (file storage, the last value per key) when missing.
// Blocking: for start-up only. Throws std::runtime_error with the NATS error
// text when the bucket cannot be made or read within `timeout` (no JetStream
// on the server, for one).
std::map<std::string, std::string> kv_load_all(bus& nats, const std::string& name,
                                                std::chrono::milliseconds timeout);

}  // namespace sipcc
