// What callctl's actors share in one process: the configuration, the bus,
// and the directory of logged-in agents and registrar bindings that the
// registry keeps and every call actor reads.
#pragma once

#include <atomic>
#include <map>

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "callctl/model/directory_maps.hpp"
#include "callctl/model/targets.hpp"
#include "sipcc/bus.hpp"
#include "sipcc/config.hpp"
#include "sipcc/edge_directory.hpp"
#include "sipcc/presence_shards.hpp"

namespace sipcc::callctl {

// What the registry learns from the bus and every call actor reads: agents
// logged in (presence) and registrar bindings (the edges). Actors run on
// several threads, so the maps are copy-on-write: a reader takes the current
// snapshot under the lock, the registry swaps in a changed copy (logins and
// registrations are rare next to calls).
class directory {
public:
  std::shared_ptr<const agent_map> agents() const {
    std::lock_guard lock(mu_);
    return agents_;
  }
  std::shared_ptr<const binding_map> bindings() const {
    std::lock_guard lock(mu_);
    return bindings_;
  }
  directory_snapshot snapshot() const {
    std::lock_guard lock(mu_);
    return {agents_, bindings_};
  }
  // `change` edits a copy and says whether it changed anything.
  template <class Fn>
  void change_agents(Fn change) {
    swap_in(agents_, change);
  }
  template <class Fn>
  void change_bindings(Fn change) {
    swap_in(bindings_, change);
  }

private:
  // Only the registry writes, so it reads `current` without the lock.
  template <class Map, class Fn>
  void swap_in(std::shared_ptr<const Map>& current, Fn change) {
    auto next = std::make_shared<Map>(*current);
    if (!change(*next))
      return;
    std::lock_guard lock(mu_);
    current = std::move(next);
  }

  mutable std::mutex mu_;
  std::shared_ptr<const agent_map> agents_ = std::make_shared<agent_map>();
  std::shared_ptr<const binding_map> bindings_ = std::make_shared<binding_map>();
};

// What every call actor needs from the process; read-only after start-up
// except the directory, which only the registry changes.
struct shared {
  const config* cfg = nullptr;
  // The live edges: a call that starts at no edge (TMakeCall) picks one.
  const edge_directory* edges = nullptr;
  presence_shards presence;  // where a DnCallFact goes
  bus* nats = nullptr;
  std::string owner;
  directory dir;
  // Until when media INVITEs do not wait for the media service (it did not
  // answer lately; media_placement.hpp). Every call reads it.
  std::atomic<int64_t> media_quiet_until_us{0};
  // The shards this member has calls in: a call cannot move with its shard,
  // so the lease keeper keeps these (leases::decide's `busy`). The registry
  // writes, the keeper's thread reads. A dead member's shards taken over are
  // busy too until their calls are restored (`restoring`, set by the
  // keeper's report), or a member restarted meanwhile would be handed shards
  // whose calls are on their way here.
  std::set<uint32_t> busy_shards() const {
    std::lock_guard lock(busy_mu);
    auto out = busy;
    out.insert(restoring.begin(), restoring.end());
    return out;
  }
  // The shards of a takeover (lease_change.previous) are busy from now on.
  void restore_begins(const std::map<uint32_t, std::string>& previous) {
    std::lock_guard lock(busy_mu);
    for (const auto& [shard, holder] : previous)
      restoring.insert(shard);
  }
  // Every restore under way ended: their calls are in `busy` now.
  void restores_ended() {
    std::lock_guard lock(busy_mu);
    restoring.clear();
  }
  mutable std::mutex busy_mu;
  std::set<uint32_t> busy;
  std::set<uint32_t> restoring;
};

}  // namespace sipcc::callctl
