#include "sipcc/lease_keeper.hpp"

#include <charconv>
#include <chrono>
#include <stdexcept>
#include <string_view>

#include <nats/nats.h>
#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/service.hpp"
#include "sipcc/v1/ops.pb.h"

namespace sipcc {

namespace {

std::string lease_value(const std::string& holder) {
  v1::Lease l;
  l.set_schema(v1::SCHEMA_V1);
  l.set_holder(holder);
  l.set_written_us(now_us());
  return l.SerializeAsString();
}

}  // namespace

lease_keeper::lease_keeper(bus& nats, std::string service, leases::lease_params params,
                           report_fn report, busy_fn busy)
    : service_(std::move(service)),
      params_(std::move(params)),
      report_(std::move(report)),
      busy_(std::move(busy)),
      bucket_(nats, subj::lease_bucket) {
  kvWatchOptions opts;
  kvWatchOptions_Init(&opts);
  std::string keys = service_ + ".>";
  natsStatus s = kvStore_Watch(&watcher_, bucket_.get(), keys.c_str(), &opts);
  if (s != NATS_OK)
    throw std::runtime_error(std::string("watching the leases: ") + natsStatus_GetText(s));
  // The values stored before the watch, up to its end marker: the first
  // decision sees every lease and member.
  drain(params_.ttl_ms);
  ticker_ = std::make_unique<ticker>(
      std::chrono::milliseconds(std::max<int64_t>(1, params_.ttl_ms / 6)), [this] { tick(); });
}

lease_keeper::~lease_keeper() {
  ticker_.reset();
  release_all();
  kvWatcher_Destroy(watcher_);
}

// Takes what the watch delivered into the table; waits up to `wait_ms`
// for the first entry, then only takes what is already there.
void lease_keeper::drain(int64_t wait_ms) {
  const std::string prefix = service_ + ".";
  for (;;) {
    kvEntry* e = nullptr;
    if (kvWatcher_Next(&e, watcher_, std::max<int64_t>(1, wait_ms)) != NATS_OK)
      return;
    wait_ms = 1;
    if (!e)  // the end of the values stored before the watch
      continue;
    std::string key = kvEntry_Key(e);
    bool put = kvEntry_Operation(e) == kvOp_Put;
    v1::Lease l;
    if (put && !l.ParseFromArray(kvEntry_Value(e), kvEntry_ValueLen(e)))
      process_counters().add(counter_id::bus_decode_errors, "kv_lease");
    const uint64_t rev = kvEntry_Revision(e);
    kvEntry_Destroy(e);
    if (key.compare(0, prefix.size(), prefix) != 0)
      continue;
    auto rest = key.substr(prefix.size());
    const int64_t now = steady_ms();
    uint32_t shard = 0;
    if (rest.rfind("shard.", 0) == 0) {
      auto digits = std::string_view(rest).substr(6);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), shard);
      // A deleted lease is as good as released; a key no member writes is ignored.
      if (ec == std::errc() && end == digits.data() + digits.size())
        leases::observe_shard(table_, shard, put ? l.holder() : "", rev, now);
    } else if (rest.rfind("member.", 0) == 0) {
      leases::observe_member(table_, rest.substr(7), rev, !put, now);
    }
  }
}

// Writes the shard's lease expecting revision `expected` (0: the key must
// not exist); on success this member holds what it wrote.
bool lease_keeper::write(uint32_t shard, const std::string& holder, uint64_t expected,
                         int64_t sent_ms) {
  auto key = leases::shard_key(service_, shard);
  auto value = lease_value(holder);
  uint64_t rev = 0;
  natsStatus s =
      expected == 0
          ? kvStore_Create(&rev, bucket_.get(), key.c_str(), value.data(),
                           static_cast<int>(value.size()))
          : kvStore_Update(&rev, bucket_.get(), key.c_str(), value.data(),
                           static_cast<int>(value.size()), expected);
  if (s != NATS_OK)
    return false;
  leases::observe_shard(table_, shard, holder, rev, steady_ms());
  if (holder == params_.self)
    own_[shard] = {rev, sent_ms};
  return true;
}

void lease_keeper::tick() {
  drain(1);
  auto plan = leases::decide(table_, own_, params_, steady_ms(),
                             busy_ ? busy_() : std::set<uint32_t>{});
  draining_ = {plan.surplus.begin(), plan.surplus.end()};
  // A released shard stops being acted on before anyone may take it.
  std::map<uint32_t, uint64_t> releasing;
  for (auto shard : plan.release) {
    releasing[shard] = own_.at(shard).revision;
    own_.erase(shard);
  }
  if (!releasing.empty())
    report();
  for (auto& [shard, rev] : releasing)
    write(shard, "", rev, steady_ms());
  for (const auto& c : plan.claims)
    if (write(c.shard, params_.self, c.revision, steady_ms()) && !c.previous.empty())
      previous_[c.shard] = c.previous;
  for (auto shard : plan.renew) {
    if (write(shard, params_.self, own_.at(shard).revision, steady_ms()))
      continue;
    // The split-brain case: someone moved the revision, this member stops.
    spdlog::warn("leases: {} shard {} was taken over: renewing it failed", service_, shard);
    own_.erase(shard);
  }
  for (const auto& m : plan.drop_members)
    kvStore_Delete(bucket_.get(), leases::member_key(service_, m).c_str());
  const int64_t now = steady_ms();
  if (heartbeat_ms_ < 0 || now - heartbeat_ms_ >= params_.ttl_ms / 3) {
    auto key = leases::member_key(service_, params_.self);
    auto value = lease_value(params_.self);
    if (kvStore_Put(nullptr, bucket_.get(), key.c_str(), value.data(),
                    static_cast<int>(value.size())) == NATS_OK)
      heartbeat_ms_ = now;
  }
  report();
}

void lease_keeper::report() {
  auto now = leases::acting(table_, own_, params_, steady_ms());
  lease_change c;
  c.draining = draining_;
  for (auto s : now)
    if (!reported_.count(s)) {
      c.gained.insert(s);
      auto p = previous_.find(s);
      if (p != previous_.end())
        c.previous[s] = p->second;
    }
  for (auto s : reported_)
    if (!now.count(s))
      c.lost.insert(s);
  for (auto s : c.gained)
    previous_.erase(s);
  reported_ = std::move(now);
  process_counters().set(counter_id::leases, "held", static_cast<int64_t>(reported_.size()));
  if (c.gained.empty() && c.lost.empty() && c.draining == reported_draining_)
    return;
  reported_draining_ = c.draining;
  spdlog::info("leases: {} {} holds {} of {} shards (gained {}, lost {}, draining {})", service_,
               params_.self, reported_.size(), params_.shards, c.gained, c.lost, c.draining);
  report_(c);
  if (c.gained.empty())
    return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    held_once_ = true;
  }
  cv_.notify_all();
}

bool lease_keeper::wait_held(std::chrono::milliseconds deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, deadline, [this] { return held_once_; });
}

void lease_keeper::release_all() {
  for (auto& [shard, o] : own_)
    write(shard, "", o.revision, steady_ms());
  own_.clear();
  kvStore_Delete(bucket_.get(), leases::member_key(service_, params_.self).c_str());
}

}  // namespace sipcc
