#include "sipcc/edge_directory.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <nats/nats.h>
#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "sipcc/bus_schema.hpp"
#include "sipcc/service.hpp"
#include "sipcc/v1/ops.pb.h"

namespace sipcc {

edge_heartbeat::edge_heartbeat(bus& nats, std::string edge_id)
    : key_(leases::member_key(edges::kService, edge_id)), bucket_(nats, subj::lease_bucket) {
  // Written once here, before the edge announces itself ready.
  put();
  ticker_ = std::make_unique<ticker>(std::chrono::milliseconds(edges::kTtlMs / 3),
                                     [this] { put(); });
}

edge_heartbeat::~edge_heartbeat() {
  ticker_.reset();
  kvStore_Delete(bucket_.get(), key_.c_str());
}

void edge_heartbeat::put() {
  v1::Lease l;
  l.set_schema(v1::SCHEMA_V1);
  l.set_holder(key_.substr(key_.rfind('.') + 1));
  l.set_written_us(now_us());
  auto value = l.SerializeAsString();
  natsStatus s = kvStore_Put(nullptr, bucket_.get(), key_.c_str(), value.data(),
                             static_cast<int>(value.size()));
  if (s != NATS_OK)
    spdlog::warn("edge heartbeat {}: {}", key_, natsStatus_GetText(s));
}

edge_directory::edge_directory(bus& nats, std::string fallback, int64_t ttl_ms)
    : fallback_(std::move(fallback)), ttl_ms_(ttl_ms), bucket_(nats, subj::lease_bucket) {
  kvWatchOptions opts;
  kvWatchOptions_Init(&opts);
  std::string keys = std::string(edges::kService) + ".member.>";
  natsStatus s = kvStore_Watch(&watcher_, bucket_.get(), keys.c_str(), &opts);
  if (s != NATS_OK)
    throw std::runtime_error(std::string("watching the edges: ") + natsStatus_GetText(s));
  drain(1000);
  live_ = edges::live(table_, ttl_ms_, steady_ms());
  spdlog::info("edges: live {}", live_);
  ticker_ = std::make_unique<ticker>(std::chrono::milliseconds(edges::kTtlMs / 12),
                                     [this] { tick(); });
}

edge_directory::~edge_directory() {
  ticker_.reset();
  kvWatcher_Destroy(watcher_);
}

std::string edge_directory::pick(std::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  return edges::pick(key, live_, fallback_);
}

std::vector<std::string> edge_directory::live() const {
  std::lock_guard<std::mutex> lock(mu_);
  return live_.empty() ? std::vector<std::string>{fallback_} : live_;
}

bool edge_directory::holds_work(const std::string& instance) const {
  std::lock_guard<std::mutex> lock(mu_);
  return instance == fallback_ || std::find(live_.begin(), live_.end(), instance) != live_.end();
}

void edge_directory::on_change(change_fn f) {
  std::lock_guard<std::mutex> lock(tell_mu_);
  on_change_ = std::move(f);
}

// Takes what the watch delivered; waits up to `wait_ms` for the first
// entry (the end of the stored values counts), then only what is there.
void edge_directory::drain(int64_t wait_ms) {
  const std::string prefix = std::string(edges::kService) + ".member.";
  for (;;) {
    kvEntry* e = nullptr;
    if (kvWatcher_Next(&e, watcher_, std::max<int64_t>(1, wait_ms)) != NATS_OK)
      return;
    wait_ms = 1;
    if (!e) {  // the end of the values stored before the watch
      stored_ = false;
      continue;
    }
    std::string key = kvEntry_Key(e);
    bool put = kvEntry_Operation(e) == kvOp_Put;
    uint64_t rev = kvEntry_Revision(e);
    // A stored value is as old as the server says: a dead edge's last
    // heartbeat must not count as fresh because this owner just started.
    // Later ones are fresh as they come (no clocks compared).
    int64_t age_ms = 0;
    if (stored_) {
      const int64_t wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
      age_ms = std::max<int64_t>(0, (wall_ns - kvEntry_Created(e)) / 1000000);
    }
    kvEntry_Destroy(e);
    if (key.compare(0, prefix.size(), prefix) == 0)
      leases::observe_member(table_, key.substr(prefix.size()), rev, !put, steady_ms() - age_ms);
  }
}

void edge_directory::tick() {
  drain(1);
  edges::look look;
  {
    std::lock_guard<std::mutex> lock(mu_);
    look = edges::next(live_, table_, ttl_ms_, steady_ms());
    live_ = look.live;
  }
  const auto& c = look.changed;
  if (!c.empty()) {
    spdlog::info("edges: up {}, gone {}", c.up, c.gone);
    std::lock_guard<std::mutex> lock(tell_mu_);
    if (on_change_)
      on_change_(c);
  }
  for (const auto& dead : look.dead) {
    table_.members.erase(dead);
    kvStore_Delete(bucket_.get(), leases::member_key(edges::kService, dead).c_str());
  }
}

}  // namespace sipcc
