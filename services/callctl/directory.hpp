// What callctl's actors share in one process: the configuration, the bus,
// and the directory of logged-in agents and registrar bindings that the
// registry keeps and every call actor reads.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "sipcc/bus.hpp"
#include "sipcc/config.hpp"
#include "sipcc/trusted_peers.hpp"

namespace sipcc::callctl {


// What every call actor needs from the process; read-only after start-up
// except the DN -> logged-in agent map, which only the registry touches.
// The Contacts the phone of a DN with a password holds on the registrar,
// the latest registered last, each with the edge that holds it and where
// its REGISTER came from.
struct binding : phone_binding {
  std::string edge;
};
using binding_map = std::unordered_map<std::string, std::vector<binding>>;
using agent_map = std::unordered_map<std::string, std::string>;  // DN -> AgentID

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

struct shared {
  const config* cfg = nullptr;
  bus* nats = nullptr;
  std::string owner;
  directory dir;
};

// The Request-URI that reaches DN `dn`'s phone through Asterisk.
std::string contact_uri(const dn_config& dn, const config& cfg);
// A DN option in whole seconds (`fallback` when absent), or as text.
uint32_t option_seconds(const std::map<std::string, std::string>& opts, const std::string& key,
                        uint32_t fallback);
std::string option_text(const std::map<std::string, std::string>& opts, const std::string& key);

}  // namespace sipcc::callctl
