// The default router's strategy, as plain code fed with what the router
// sees on the bus and returning the routes to make:
//
//   DN state (sipcc.state.dn.<dn>)          -> who is Ready, since when
//   EventRouteRequest (ConnID, RP)           -> the call waits on the RP
//   EventRouteUsed (ConnID, target)          -> routed; by someone else if
//                                               the target is not ours
//   EventReleased / EventAbandoned (ConnID,  -> the call left that DN; on
//     DN)                                       its RP it has ended (the
//                                               router hears only its RPs')
//   tick (now)                               -> max-wait
//
// Per Routing Point with an `agent-group` option: calls wait in arrival
// order; each goes to the longest-idle Ready agent of the group, whose DN is
// then reserved for that ConnID until the call ends at its RP, is routed
// elsewhere, or its ConnID was on the DN's state and no longer is; a route
// used whose ConnID the DN's state has not listed for `unseen_after_us` (a
// lost call fact) frees the DN as well, since its state still says whether it
// may ring. A second EventRouteRequest for a ConnID
// means its last route failed: the reservation is released and the call
// waits again at the front, keeping its arrival time (callctl releases the
// agent DN first, so a routed call is remembered for `forget_after_us`
// after it stopped holding an agent). With `max-wait` > 0 a call waiting
// that long is routed to the RP's default-dn (else the application's; with
// none it keeps waiting). A call that has to wait hears the RP's `treatment`
// (once: treatment_for). Routing Points without `agent-group` are left to
// other routers.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "sipcc/config.hpp"
#include "sipcc/media_uri.hpp"
#include "sipcc/v1/state.pb.h"

namespace sipcc {

enum class route_reason { agent, max_wait };

// "agent" | "max-wait": the label of the routes counter and of the log.
const char* route_reason_name(route_reason r);

struct route_command {
  std::string conn_id;
  std::string rp;
  std::string target_dn;
  route_reason because = route_reason::agent;
  bool operator==(const route_command& o) const {
    return conn_id == o.conn_id && rp == o.rp && target_dn == o.target_dn &&
           because == o.because;
  }
};

using route_commands = std::vector<route_command>;

// A treatment to send again: the call waits at `rp`, whose treatment it is.
struct treatment_command {
  std::string conn_id;
  std::string rp;
  const treatment_spec* treatment = nullptr;
};

class router_core {
public:
  // Takes every Routing Point with an agent-group from `cfg`.
  explicit router_core(const config& cfg);

  // A published DN state (the newest for its DN).
  route_commands on_dn_state(const v1::DnState& st);
  // Start-up snapshot (presence's ALL_DNS reply): applied only to DNs with no
  // published state yet, since a published one is newer.
  route_commands on_snapshot(const std::vector<v1::DnState>& states);
  route_commands on_route_request(const std::string& conn_id, const std::string& rp,
                                  int64_t now_us);
  // A call callctl says waits at `rp` since `since_us` (the answer to a
  // starting router's question, sipcc.calls.waiting): queued among the
  // waiting calls in arrival order, unless this router knows it already.
  route_commands on_waiting_call(const std::string& conn_id, const std::string& rp,
                                 int64_t since_us);
  // EventRouteUsed: the call was routed to `target_dn` (by us or not).
  route_commands on_route_used(const std::string& conn_id, const std::string& target_dn);
  // EventReleased / EventAbandoned for `conn_id` on `dn`.
  route_commands on_call_end(const std::string& conn_id, const std::string& dn);
  // Once a second: max-wait, and forgetting finished calls.
  route_commands on_tick(int64_t now_us);
  // The treatment to apply to a call that waits at its RP (the RP's
  // `treatment` option), once per call: nullptr when the call does not wait,
  // had its treatment, or the RP has none.
  const treatment_spec* treatment_for(const std::string& conn_id);
  // EventTreatmentApplied / EventTreatmentNotApplied for `conn_id`: callctl
  // had the treatment.
  void on_treatment_reported(const std::string& conn_id);

  // The routes to agents made and not yet confirmed by EventRouteUsed: what
  // a standby router that becomes the active one sends again, since the one
  // it replaces may have died before sending them (callctl refuses a route
  // it already took: the call no longer waits).
  route_commands unconfirmed() const;
  // Likewise the treatments asked for and not yet reported, of calls still
  // waiting, in arrival order (callctl refuses a second one while the first
  // is being set up).
  std::vector<treatment_command> unreported_treatments() const;

  // How long a call that neither waits nor holds an agent is remembered.
  static constexpr int64_t forget_after_us = 60'000'000;
  // How long a route used may hold its agent's DN without the DN's state
  // ever listing its ConnID.
  static constexpr int64_t unseen_after_us = 30'000'000;

  // Routing Points this router serves, for the start-up log.
  std::vector<std::string> routing_points() const;
  size_t waiting() const;
  size_t reserved() const { return reserved_.size(); }
  size_t known_calls() const { return calls_.size(); }

private:
  struct rp_plan {
    std::unordered_set<std::string> members;  // AgentIDs of its group
    int64_t max_wait_us = 0;                  // 0: wait for ever
    std::string default_dn;                   // empty: none
    std::optional<treatment_spec> treatment;  // what a waiting caller hears
  };
  struct ready_dn {
    std::string agent_id;
    int64_t idle_since_us = 0;
  };
  struct call {
    std::string conn_id;
    std::string rp;
    int64_t arrived_us = 0;
    bool waiting = false;
    std::string agent_dn;        // reserved for this call, empty when none
    bool seen_on_dn = false;     // the agent DN's state has listed this ConnID
    bool route_used = false;     // EventRouteUsed to agent_dn was heard
    int64_t idle_from_us = 0;    // first tick that found it neither waiting nor routed
    bool treated = false;        // its RP's treatment was asked for
    bool treatment_reported = false;  // callctl said it applied it, or could not
    int64_t unseen_from_us = 0;  // first tick that found its route used, not yet seen
  };

  void apply_state(const v1::DnState& st);
  // Takes the call out of its queue and frees its agent.
  void detach(call& c);
  // The longest-idle free agent DN of the plan's group, nullptr when none.
  const std::string* pick(const rp_plan& plan) const;
  route_commands dispatch();

  std::map<std::string, rp_plan> plans_;                     // by RP
  std::unordered_set<std::string> heard_;                     // DNs with a state
  std::unordered_map<std::string, ready_dn> ready_;           // routable DNs
  // The same, longest idle first: a pick is the first free member, not a
  // scan of every Ready agent at every call.
  std::set<std::pair<int64_t, std::string>> idle_order_;
  std::unordered_map<std::string, call> calls_;               // by ConnID
  std::map<std::string, std::deque<std::string>> queues_;     // RP -> waiting ConnIDs
  std::unordered_map<std::string, std::string> reserved_;     // agent DN -> ConnID
};

}  // namespace sipcc
