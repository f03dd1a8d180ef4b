// The runtime around sipcc/leases.hpp: a thread that keeps one member's
// shard leases and heartbeat in the JetStream key-value bucket sipcc_leases
// (keys <service>.shard.<n> and <service>.member.<member>). Each tick (a
// sixth of the TTL) it reads the bucket's changes through a watch, asks
// leases::decide what to write, writes it with revision checks
// (kvStore_Create claims a key never written, kvStore_Update claims an
// expired or released lease and renews an own one; either fails when
// another member moved the revision) and reports the shards it gained or
// lost, by leases::acting, to the service.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "sipcc/bus.hpp"
#include "sipcc/kv.hpp"
#include "sipcc/leases.hpp"
#include "sipcc/ticker.hpp"

struct __kvWatcher;

namespace sipcc {

// What changed since the last report. A gained shard's former holder (not
// this member, not released) left its work behind: `previous` names it.
// `draining`: every shard now held only as busy surplus (leases::decide),
// where no new work should go.
struct lease_change {
  std::set<uint32_t> gained;
  std::set<uint32_t> lost;
  std::map<uint32_t, std::string> previous;
  std::set<uint32_t> draining;
};

class lease_keeper {
public:
  using report_fn = std::function<void(const lease_change&)>;
  // The shards the service has work in that cannot move (leases::decide's
  // `busy`); called on the keeper's thread.
  using busy_fn = std::function<std::set<uint32_t>()>;
  // Binds the bucket (creating it) and starts the thread; throws
  // std::runtime_error without JetStream. `report` runs on that thread.
  lease_keeper(bus& nats, std::string service, leases::lease_params params, report_fn report,
               busy_fn busy = {});
  // Releases every lease it holds (another member takes them at once) and
  // deletes its heartbeat.
  ~lease_keeper();
  lease_keeper(const lease_keeper&) = delete;
  lease_keeper& operator=(const lease_keeper&) = delete;

  // Waits until a lease was held and reported (`report` has returned for
  // it), up to `deadline`; whether one was. A service is ready once it
  // acts on something, or once that wait is over.
  bool wait_held(std::chrono::milliseconds deadline);

private:
  void drain(int64_t wait_ms);
  void tick();
  void report();
  bool write(uint32_t shard, const std::string& holder, uint64_t expected, int64_t sent_ms);
  void release_all();

  std::string service_;
  leases::lease_params params_;
  report_fn report_;
  busy_fn busy_;
  kv_bucket bucket_;
  __kvWatcher* watcher_ = nullptr;
  leases::lease_table table_;
  leases::own_leases own_;
  std::map<uint32_t, std::string> previous_;  // claimed, not yet reported
  std::set<uint32_t> reported_;
  std::set<uint32_t> draining_, reported_draining_;
  int64_t heartbeat_ms_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_once_ = false;  // under mu_
  std::unique_ptr<ticker> ticker_;  // last: stopped first
};

}  // namespace sipcc
