#include "router.hpp"

#include <chrono>
#include <optional>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "sipcc/actor_host.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/dn_states_fetch.hpp"
#include "sipcc/lease_keeper.hpp"
#include "sipcc/lease_messages.hpp"
#include "router/model/router_core.hpp"

namespace sipcc::router {

namespace {

// The router's own: time to check max-wait.
struct router_tick {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, router_tick&) {
  return f(caf::meta::type_name("router_tick"));
}

using router_actor = caf::typed_actor<caf::reacts_to<bus_msg>, caf::reacts_to<router_tick>,
                                      caf::reacts_to<dn_states_snapshot>,
                                      caf::reacts_to<lease_change>>;

// max-wait is in whole seconds: a tick a second is precise enough.
constexpr auto tick_interval = std::chrono::seconds(1);

struct router_state {
  bus* nats = nullptr;
  std::string self;  // member name, for the log
  // Holds the lease: routes and treats. Otherwise a standby that follows the
  // same events with its own core, so it takes over with the waiting calls
  // and reservations the active router has.
  bool active = false;
  std::optional<router_core> core;
  uint64_t next_reference = 0;
  static inline const char* name = "router";
};

using router_pointer = router_actor::stateful_pointer<router_state>;

const char* pattern_of(subject_family family) {
  for (auto* i = subjects_begin(); i != subjects_end(); ++i)
    if (i->family == family)
      return i->pattern;
  return nullptr;
}

// Carries out the core's routes: a TRouteCall to callctl for each. No reply
// is awaited: callctl answers a failed route with EventRouteRequest again.
void route(router_pointer self, const route_commands& routes) {
  auto& s = self->state;
  if (!s.active)
    return;
  for (const auto& r : routes) {
    v1::TRequest req;
    req.set_schema(v1::SCHEMA_V1);
    req.set_type(v1::TRouteCall);
    req.set_reference_id(std::to_string(++s.next_reference));
    req.set_this_dn(r.rp);
    req.set_conn_id(r.conn_id);
    req.set_other_dn(r.target_dn);
    s.nats->publish(subj::tlib_req(v1::TRouteCall, r.rp), req);
    process_counters().add(counter_id::routes, route_reason_name(r.because));
    if (r.because == route_reason::agent)
      spdlog::info("route ConnID {} at RP {} to agent DN {}", r.conn_id, r.rp, r.target_dn);
    else
      spdlog::info("route ConnID {} at RP {} to default DN {}: max-wait is up", r.conn_id, r.rp,
                   r.target_dn);
  }
}

// The Routing Point's treatment for a caller who has to wait. No reply is
// awaited: callctl reports it on the RP (EventTreatmentApplied / NotApplied).
void treat(router_pointer self, const std::string& conn_id, const std::string& rp,
           const treatment_spec& t) {
  auto& s = self->state;
  if (!s.active)
    return;
  v1::TRequest req;
  req.set_schema(v1::SCHEMA_V1);
  req.set_type(v1::TApplyTreatment);
  req.set_reference_id(std::to_string(++s.next_reference));
  req.set_this_dn(rp);
  req.set_conn_id(conn_id);
  req.set_treatment_type(t.type);
  *req.mutable_treatment_parms() = t.parms;
  s.nats->publish(subj::tlib_req(v1::TApplyTreatment, rp), req);
  spdlog::info("ConnID {} waits at RP {}: {}", conn_id, rp, v1::TreatmentType_Name(t.type));
}

void on_event(router_pointer self, const std::string& subject, v1::TEvent& ev) {
  auto& core = *self->state.core;
  if (ev.conn_id().empty())
    return;
  if (ev.this_dn().empty())
    ev.set_this_dn(subject.substr(subject.rfind('.') + 1));
  switch (ev.type()) {
    case v1::EventRouteRequest: {
      auto routes = core.on_route_request(ev.conn_id(), ev.this_dn(), now_us());
      if (routes.empty())
        spdlog::debug("ConnID {} at RP {}: no route yet ({} waiting)", ev.conn_id(),
                      ev.this_dn(), core.waiting());
      route(self, routes);
      if (auto* t = core.treatment_for(ev.conn_id()))
        treat(self, ev.conn_id(), ev.this_dn(), *t);
      return;
    }
    // Routed: by us (the reservation stays) or by someone else.
    case v1::EventRouteUsed:
      return route(self, core.on_route_used(ev.conn_id(), ev.other_dn()));
    case v1::EventReleased:
    case v1::EventAbandoned:
      return route(self, core.on_call_end(ev.conn_id(), ev.this_dn()));
    case v1::EventTreatmentApplied:
    case v1::EventTreatmentNotApplied:
      return core.on_treatment_reported(ev.conn_id());
    default:
      return;
  }
}

void on_bus(router_pointer self, const bus_msg& m) {
  auto* info = classify_subject(m.subject);
  switch (info ? info->family : subject_family::unknown) {
    case subject_family::state_dn: {
      v1::DnState st;
      if (decode_bus(m.subject, m.data, st, "state_dn"))
        route(self, self->state.core->on_dn_state(st));
      break;
    }
    case subject_family::tlib_evt: {
      v1::TEvent ev;
      if (decode_bus(m.subject, m.data, ev, "tlib_evt"))
        on_event(self, m.subject, ev);
      break;
    }
    case subject_family::calls_waiting_for: {
      v1::CallWaiting w;
      if (!decode_bus(m.subject, m.data, w, "calls_waiting_for"))
        break;
      spdlog::info("ConnID {} waits at RP {} (told by {})", w.conn_id(), w.rp(), w.instance());
      route(self, self->state.core->on_waiting_call(
                      w.conn_id(), w.rp(), w.waiting_since_us() ? w.waiting_since_us() : now_us()));
      break;
    }
    default:
      spdlog::debug("bus: unexpected subject {}", m.subject);
  }
}

// The one lease (shard 0) came or went. The router it replaces may have died
// between reserving an agent and sending the route, or between a caller's
// wait and its treatment: those are sent again.
void on_lease_change(router_pointer self, const lease_change& c) {
  auto& s = self->state;
  if (!c.lost.empty()) {
    s.active = false;
    spdlog::warn("router {} is no longer the active router: following as a standby", s.self);
  }
  if (c.gained.empty())
    return;
  s.active = true;
  auto again = s.core->unconfirmed();
  auto treatments = s.core->unreported_treatments();
  spdlog::info(
      "router {} is the active router now ({} calls waiting, {} routes and {} treatments sent "
      "again)",
      s.self, s.core->waiting(), again.size(), treatments.size());
  route(self, again);
  for (const auto& t : treatments)
    treat(self, t.conn_id, t.rp, *t.treatment);
}

router_actor::behavior_type router_behavior(router_pointer self, router_core core, bus* nats,
                                            std::string member) {
  self->state.nats = nats;
  self->state.self = std::move(member);
  self->state.core.emplace(std::move(core));
  self->delayed_send(self, tick_interval, router_tick{});
  return {
      [=](const bus_msg& m) { on_bus(self, m); },
      [=](const dn_states_snapshot& snap) {
        std::vector<v1::DnState> states(snap.reply.dns().begin(), snap.reply.dns().end());
        route(self, self->state.core->on_snapshot(states));
      },
      [=](router_tick) {
        route(self, self->state.core->on_tick(now_us()));
        self->delayed_send(self, tick_interval, router_tick{});
      },
      [=](const lease_change& c) { on_lease_change(self, c); },
  };
}

}  // namespace

struct router_service::impl {
  service_context& ctx;
  std::unique_ptr<actor_host> host;
  router_actor router;
  std::unique_ptr<dn_states_fetch> fetch;
  std::unique_ptr<lease_keeper> lease;
  explicit impl(service_context& c) : ctx(c) {}
};

router_service::router_service(service_context& ctx) : impl_(std::make_unique<impl>(ctx)) {}

router_service::~router_service() { stop(); }

std::string router_service::start() {
  auto& ctx = impl_->ctx;
  router_core core(ctx.cfg);
  const auto routing_points = core.routing_points();
  std::string rps;
  for (const auto& rp : routing_points)
    rps += (rps.empty() ? "" : ", ") + rp;
  if (rps.empty())
    spdlog::warn("no Routing Point has an agent-group: this router has nothing to route");

  impl_->host = std::make_unique<actor_host>();
  impl_->router = impl_->host->system().spawn(router_behavior, std::move(core), ctx.nats.get(),
                                              ctx.instance);
  impl_->host->set_root(impl_->router);
  // Subscribed before the snapshot is asked for, so no change falls between
  // the two; the core lets a published state win over the snapshot. Events
  // of its Routing Points only: an agent DN's are most of a call's and the
  // DN's state tells when the call has left it.
  std::vector<std::string> subjects = {pattern_of(subject_family::state_dn),
                                       subj::calls_waiting_for(ctx.instance)};
  for (const auto& rp : routing_points)
    subjects.push_back(subj::tlib_evt(rp));
  auto listed = impl_->host->bridge(*ctx.nats, subjects);
  // The calls that wait already: their EventRouteRequests came before us.
  v1::WaitingCallsQuery waiting;
  waiting.set_schema(v1::SCHEMA_V1);
  ctx.nats->publish(subj::calls_waiting, waiting, subj::calls_waiting_for(ctx.instance));

  // Who is Ready now: presence publishes DN states only when they change.
  impl_->fetch = std::make_unique<dn_states_fetch>(
      *ctx.nats, caf::actor_cast<caf::actor>(impl_->router), "router");
  // One shard: its holder is the active router.
  impl_->lease = std::make_unique<lease_keeper>(
      *ctx.nats, ctx.service, leases::lease_params{ctx.instance, 1, ctx.cfg.router.lease_ttl_ms},
      [router = impl_->router](const lease_change& c) { caf::anon_send(router, c); });
  return "bus " + listed + "; Routing Points " + (rps.empty() ? "none" : rps) + "; lease " +
         subj::lease_bucket;
}

void router_service::stop() {
  impl_->fetch.reset();
  // Released at once: a standby takes over without waiting for the TTL.
  impl_->lease.reset();
  impl_->router = nullptr;
  if (impl_->host)
    impl_->host->shutdown();
}

}  // namespace sipcc::router
