#include "registry.hpp"
#include "call_actor.hpp"
#include "call_messages.hpp"
#include "snapshots_fetch.hpp"

#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "callctl/model/admission.hpp"
#include "callctl/model/audit.hpp"
#include "callctl/model/call_snapshot.hpp"
#include "callctl/model/call_table.hpp"
#include "callctl/model/ids.hpp"
#include "callctl/model/ownership.hpp"
#include "sipcc/actor_host.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/service.hpp"
#include "sipcc/tevent.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipcc/v1/media.pb.h"
#include "sipcc/v1/sip.pb.h"
#include "sipcc/v1/state.pb.h"

namespace sipcc::callctl {

namespace {

// The decisions are the call_table's (callctl/model/call_table.hpp); this
// state adds what only an actor can hold: the call actors themselves.
struct registry_state {
  shared* sh = nullptr;
  std::unique_ptr<conn_id_generator> ids;
  std::unordered_map<std::string, call_handle> actors;  // ConnID -> its call's actor
  std::unordered_map<caf::actor_addr, std::string> conn_of;  // and back, for down_msg
  call_table table;
  // The shards whose leases this member holds: it acts on their calls and
  // requests only (callctl/model/ownership.hpp). New calls go round robin
  // over them, not into the draining ones.
  std::set<uint32_t> shards, draining;
  uint32_t last_shard = 0;
  std::map<uint32_t, size_t> calls_in;  // shard -> this member's calls there
  // DNs whose state came on the bus: newer than presence's start-up snapshot.
  std::unordered_set<std::string> dn_states_seen;
  // Until the calls kept in the edges' snapshots are restored (at start,
  // and for the shards taken over from a dead member), the bus waits here:
  // an audit would drop their legs as strays, a new call could be given a
  // restored call's ConnID, a request on one would be refused.
  int restoring = 1;
  size_t restored = 0;  // calls restored by the restores under way
  std::vector<bus_msg> held;
  std::vector<std::unique_ptr<snapshots_fetch>> takeovers;
  static inline const char* name = "callctl-registry";

  // The calls end with their registry, whatever ended it. They are not
  // linked to it: a registry with thousands of links pays a scan of them
  // at every call's end, and one call's crash would end them all.
  ~registry_state() {
    for (auto& [conn_id, call] : actors)
      caf::anon_send_exit(call, caf::exit_reason::user_shutdown);
  }
};

using registry_actor = registry_handle::stateful_pointer<registry_state>;

void gauge(registry_actor self) {
  process_counters().set(counter_id::actors, "call",
                         static_cast<int64_t>(self->state.actors.size()));
}

// Whether this member acts on what belongs to ConnID `conn_id`, else to
// `fallback_key` (ownership.hpp): the holder of its shard, and only it.
bool acts_on(registry_actor self, std::string_view conn_id, std::string_view fallback_key) {
  const auto& s = self->state;
  return s.shards.count(request_shard(conn_id, fallback_key, s.sh->cfg->callctl.shards)) > 0;
}

// A call starts or ends in its shard; the lease keeper learns which shards
// have calls when that changes (a shard with calls is not given away).
void count_call(registry_actor self, const std::string& conn_id, bool started) {
  auto& s = self->state;
  auto id = parse_conn_id(conn_id);
  if (!id)
    return;
  auto& n = s.calls_in[id->shard];
  if (started ? ++n > 1 : --n > 0)
    return;  // the shard had calls and still has
  if (n == 0)
    s.calls_in.erase(id->shard);
  std::set<uint32_t> busy;
  for (const auto& [shard, calls] : s.calls_in)
    busy.insert(shard);
  std::lock_guard lock(s.sh->busy_mu);
  s.sh->busy = std::move(busy);
}

void add_call(registry_actor self, const std::string& conn_id, call_handle call) {
  self->state.conn_of.emplace(call.address(), conn_id);
  self->state.actors.emplace(conn_id, std::move(call));
  count_call(self, conn_id, true);
  gauge(self);
}

void reply_error(registry_actor self, const std::string& reply_to, const v1::TRequest& req,
                 const request_refusal& refusal) {
  process_counters().add(counter_id::tlib_errors, v1::ErrorCode_Name(refusal.code));
  if (!reply_to.empty())
    self->state.sh->nats->publish(reply_to, make_error(req, refusal.code, refusal.text, now_us()));
}

// The media service counts the media legs callctl holds
// (callctl/model/media_legs.hpp): each start and end, and the whole list
// when a media service instance (re)starts.
void publish_media_leg(registry_actor self, v1::MediaLegEvent ev) {
  const auto& owner = self->state.sh->owner;
  ev.set_schema(v1::SCHEMA_V1);
  ev.set_owner(owner);
  self->state.sh->nats->publish(subj::media_leg(owner), ev);
}

void media_leg_ended(registry_actor self, const std::string& leg_id) {
  v1::MediaLegEvent ev;
  ev.mutable_ended()->set_leg_id(leg_id);
  ev.mutable_ended()->set_ended_us(now_us());
  publish_media_leg(self, std::move(ev));
}

void on_leg_made(registry_actor self, const leg_made_msg& m) {
  auto& t = self->state.table;
  leg_made(t, m.leg, m.conn_id, m.edge);
  if (m.media.leg_id().empty() || !media_leg_made(t, m.conn_id, m.media))
    return;
  v1::MediaLegEvent ev;
  *ev.mutable_started() = m.media;
  publish_media_leg(self, std::move(ev));
}

void on_media_sync(registry_actor self) {
  const auto& s = self->state;
  v1::MediaLegList list;
  list.set_schema(v1::SCHEMA_V1);
  list.set_owner(s.sh->owner);
  for (const auto& [id, entry] : s.table.media_legs)
    *list.add_legs() = entry.leg;
  s.sh->nats->publish(subj::media_list(s.sh->owner), list);
}

// Failover: the legs on a media server that went out of service end for
// their calls as if sipcc stopped them (EventTreatmentEnd or NotApplied, a
// conference left), so that no call waits on a dead server.
void on_media_health(registry_actor self, const bus_msg& m) {
  v1::MediaHealth health;
  if (!decode_bus(m.subject, m.data, health, "media_health") ||
      health.state() != v1::MEDIA_OUT_OF_SERVICE)
    return;
  auto& s = self->state;
  const std::string reason = "media server " + health.server() + " is out of service";
  for (auto& entry : take_media_legs_on(s.table, health.server())) {
    spdlog::warn("ConnID {}: media leg {} lost: {} ({})", entry.leg.conn_id(), entry.leg.leg_id(),
                 reason, health.reason());
    media_leg_ended(self, entry.leg.leg_id());
    if (auto call = s.actors.find(entry.call); call != s.actors.end())
      self->send(call->second, media_lost_msg{entry.leg.leg_id(), reason});
  }
}

// The edge listed what it holds for us (or restarted: nothing).
void on_audit(registry_actor self, const v1::LegAudit& audit, int misses_to_lose) {
  auto& s = self->state;
  auto out = reconcile_audit(std::move(s.table.legs), audit, misses_to_lose);
  s.table.legs = std::move(out.legs);
  for (const auto& id : out.strays) {
    process_counters().add(counter_id::audit_fixes, "stray_leg");
    s.sh->nats->publish(subj::edge_leg(audit.edge_id()), stray_drop(id));
  }
  for (const auto& l : out.lost) {
    process_counters().add(counter_id::audit_fixes, "lost_leg");
    spdlog::warn("ConnID {}: edge {} no longer holds leg {}", l.conn_id, l.edge, l.leg_id);
    if (end_media_leg(s.table, l.leg_id))
      media_leg_ended(self, l.leg_id);
    auto call = s.actors.find(l.conn_id);
    if (call != s.actors.end())
      self->send(call->second, leg_event_msg{lost_event(l)});
  }
}

// TMakeCall: every check comes before any SIP (admission.hpp); then the
// call's actor (call_actor.cpp) dials ThisDN's phone and answers with its
// EventDialing.
void start_make_call(registry_actor self, const v1::TRequest& req, const std::string& reply_to) {
  auto& s = self->state;
  const auto& cfg = *s.sh->cfg;
  auto admitted = admit_make_call(cfg, s.sh->dir.snapshot(), s.table, req);
  if (!admitted.refusal.text.empty())
    return reply_error(self, reply_to, req, admitted.refusal);
  const auto& plan = admitted.plan;
  make_call_setup setup;
  setup.this_uri = plan.agent_uri;
  setup.other_uri = plan.dest_uri;
  setup.other_is_dn = plan.other_configured;
  setup.ringback_ms = plan.ringback_ms;
  // In ThisDN's shard: this member holds it (on_call_request).
  setup.conn_id = s.ids->next(request_shard("", req.this_dn(), cfg.callctl.shards));
  // A phone on Asterisk is reached through any live edge.
  setup.edge = plan.edge.empty() ? s.sh->edges->pick(setup.conn_id) : plan.edge;
  setup.reply_to = reply_to;
  setup.request = req;
  auto conn = setup.conn_id;
  open_made_call(s.table, conn, plan.this_dn);
  add_call(self, conn, spawn_made_call(self, s.sh, std::move(setup)));
}

void on_invite(registry_actor self, const bus_msg& m) {
  auto& s = self->state;
  v1::LegEvent le;
  if (!decode_bus(m.subject, m.data, le, "in_invite"))
    return;
  if (!le.has_incoming()) {
    process_counters().add(counter_id::bus_decode_errors, "in_invite");
    spdlog::warn("bus: offer without an incoming INVITE on {} dropped", m.subject);
    return;
  }
  // The edge offers an unclaimed INVITE once more, maybe to this member
  // again (its claim was slow): the call it has stays the only one.
  if (s.table.legs.count(le.leg_id()))
    return;
  auto shard = next_shard(s.shards, s.draining, s.last_shard);
  if (!shard) {
    // It joined the queue group without one (callctl.cpp) or lost them
    // all: the edge's claim wait runs out (503), as with no callctl.
    spdlog::warn("INVITE leg {} left unclaimed: this member holds no shard", le.leg_id());
    return;
  }
  s.last_shard = *shard;
  auto conn = s.ids->next(static_cast<uint16_t>(*shard));
  open_call(s.table, conn, le.leg_id(), le.edge_id());
  add_call(self, conn, spawn_call(self, s.sh, conn, le));
}

void on_leg_event(registry_actor self, const bus_msg& m) {
  auto& s = self->state;
  v1::LegEvent le;
  if (!decode_bus(m.subject, m.data, le, "leg_event"))
    return;
  auto c = s.actors.find(take_leg_event(s.table, le));
  if (le.has_gone() && end_media_leg(s.table, le.leg_id()))
    media_leg_ended(self, le.leg_id());
  if (c != s.actors.end())
    self->send(c->second, leg_event_msg{le});
}

void on_call_request(registry_actor self, const bus_msg& m) {
  auto& s = self->state;
  v1::TRequest req;
  if (!decode_bus(m.subject, m.data, req, "tlib_req")) {
    req.set_this_dn(subject_dn(m.subject));
    if (acts_on(self, "", req.this_dn()))
      reply_error(self, m.reply, req, {v1::ERR_BAD_REQUEST, "undecodable TRequest"});
    return;
  }
  if (req.this_dn().empty())
    req.set_this_dn(subject_dn(m.subject));
  // Every member hears it; one answers.
  if (!acts_on(self, req.conn_id(), req.this_dn()))
    return;
  process_counters().add(counter_id::tlib_requests, v1::RequestType_Name(req.type()));
  if (req.type() == v1::TMakeCall)
    return start_make_call(self, req, m.reply);
  // In the call's shard, so that its requests come here too.
  if (opens_consultation(req.type()))
    req.set_transfer_conn_id(
        s.ids->next(request_shard(req.conn_id(), req.this_dn(), s.sh->cfg->callctl.shards)));
  auto target = call_for(s.table, req);
  if (!target.refusal.text.empty())
    return reply_error(self, m.reply, req, target.refusal);
  self->send(s.actors.at(target.conn_id), request_msg{req, m.reply});
}

void on_conf_request(registry_actor self, const bus_msg& m) {
  auto& s = self->state;
  v1::ConfRequest req;
  if (!decode_bus(m.subject, m.data, req, "conf_req"))
    return;
  // A CREATE has no ConnID: its reference id picks the one member.
  if (!acts_on(self, req.conn_id(), req.reference_id()))
    return;
  auto target = conf_for(s.table, req);
  if (!target.conn_id.empty())
    return self->send(s.actors.at(target.conn_id), conf_msg{req, m.reply});
  if (m.reply.empty())
    return;
  if (target.create)
    req.set_conf_id(
        "conf-" + s.ids->next(request_shard("", req.reference_id(), s.sh->cfg->callctl.shards)));
  s.sh->nats->publish(m.reply, conf_answer(req, target.refusal));
}

// An edge restarted (its ready announcement) or died (its heartbeat
// stopped): the dialogs it held are gone with it, their calls end as if
// those legs had hung up, and so are its registrar bindings (the phones
// register again). The other edges' calls go on.
void on_edge_gone(registry_actor self, const std::string& edge) {
  v1::LegAudit nothing;
  nothing.set_edge_id(edge);
  on_audit(self, nothing, k_restart_misses);
  self->state.sh->dir.change_bindings(
      [&](binding_map& b) { return drop_edge_bindings(b, nothing.edge_id()); });
}

void on_registration(registry_actor self, const bus_msg& m) {
  v1::Registration r;
  if (decode_bus(m.subject, m.data, r, "reg"))
    self->state.sh->dir.change_bindings([&](binding_map& b) { return apply_registration(b, r); });
}

void on_leg_audit(registry_actor self, const bus_msg& m) {
  v1::LegAudit audit;
  if (decode_bus(m.subject, m.data, audit, "leg_audit"))
    on_audit(self, audit, k_audit_misses);
}

// Who is logged in on the DN (call events name the agent) and whether it
// has a sipcc call (TMakeCall admission).
void learn_dn_state(registry_actor self, const v1::DnState& st) {
  auto& s = self->state;
  note_dn_calls(s.table, st);
  if (changes_login(*s.sh->dir.agents(), st))
    s.sh->dir.change_agents([&](agent_map& a) {
      apply_login(a, st);
      return true;
    });
}

void on_dn_state(registry_actor self, const bus_msg& m) {
  v1::DnState st;
  if (!decode_bus(m.subject, m.data, st, "state_dn"))
    return;
  self->state.dn_states_seen.insert(st.dn());
  learn_dn_state(self, st);
}

// Presence's question: which of its DN marks are left by calls that are gone.
// Each member answers for the ConnIDs of its shards only: a call of another
// member is not unknown.
void on_calls_check(registry_actor self, const bus_msg& m) {
  auto& s = self->state;
  v1::CallCheck q;
  if (m.reply.empty() || !decode_bus(m.subject, m.data, q, "calls_check"))
    return;
  v1::CallCheckReply r;
  r.set_schema(v1::SCHEMA_V1);
  r.set_instance(s.sh->owner);
  for (auto& id : unknown_calls(s.table, q.conn_ids()))
    if (acts_on(self, id, id))
      r.add_unknown(std::move(id));
  s.sh->nats->publish(m.reply, r);
}

// A starting router's question: every call answers for itself, if it waits.
void on_calls_waiting(registry_actor self, const bus_msg& m) {
  v1::WaitingCallsQuery q;
  if (m.reply.empty() || !decode_bus(m.subject, m.data, q, "calls_waiting"))
    return;
  for (auto& [conn_id, call] : self->state.actors)
    self->send(call, waiting_query_msg{m.reply});
}

// The media service's answer goes to the call that holds the leg's INVITE.
void on_media_placed(registry_actor self, const bus_msg& m) {
  auto& s = self->state;
  v1::MediaReply r;
  if (!decode_bus(m.subject, m.data, r, "media_placed"))
    return;
  // The subject names the call: NATS's no-responders notice has no body.
  auto call = s.actors.find(m.subject.substr(m.subject.rfind('.') + 1));
  if (call != s.actors.end())
    self->send(call->second, media_placed_msg{std::move(r)});
}

void on_bus(registry_actor self, const bus_msg& m) {
  if (self->state.restoring > 0)
    return self->state.held.push_back(m);
  auto* info = classify_subject(m.subject);
  switch (info ? info->family : subject_family::unknown) {
    case subject_family::in_invite: return on_invite(self, m);
    case subject_family::leg_event: return on_leg_event(self, m);
    case subject_family::tlib_req: return on_call_request(self, m);
    case subject_family::conf_req: return on_conf_request(self, m);
    case subject_family::ops_ready: return on_edge_gone(self, edges::ready_instance(m.subject));
    case subject_family::reg: return on_registration(self, m);
    case subject_family::leg_audit: return on_leg_audit(self, m);
    case subject_family::state_dn: return on_dn_state(self, m);
    case subject_family::calls_check: return on_calls_check(self, m);
    case subject_family::calls_waiting: return on_calls_waiting(self, m);
    case subject_family::media_sync: return on_media_sync(self);
    case subject_family::media_health: return on_media_health(self, m);
    case subject_family::media_placed: return on_media_placed(self, m);
    default: return;
  }
}

// The calls the edges kept snapshots of come back, each once (both its legs
// keep one), established; then the bus messages held meanwhile are handled.
// A takeover's snapshots include this member's own calls, which it has.
void on_snapshots(registry_actor self, const snapshots_fetched& f) {
  auto& s = self->state;
  auto plan = plan_restore(f.snapshots);
  for (const auto& why : plan.errors) {
    process_counters().add(counter_id::calls_restored, "bad_snapshot");
    spdlog::warn("restore: a call snapshot was left out, its legs go as strays: {}", why);
  }
  for (auto& r : plan.calls) {
    if (s.actors.count(r.c.conn_id))
      continue;
    ++s.restored;
    process_counters().add(counter_id::calls_restored, "restored");
    s.ids->pass(r.c.conn_id);
    open_restored_call(s.table, r);
    auto conn = r.c.conn_id;
    add_call(self, conn, spawn_restored_call(self, s.sh, std::move(r)));
  }
  if (--s.restoring > 0)
    return;
  s.sh->restores_ended();
  s.takeovers.clear();  // each has sent its answer: its thread is over
  auto held = std::move(s.held);
  spdlog::info("restore: {} calls restored; {} bus messages held meanwhile", s.restored,
               held.size());
  s.restored = 0;
  for (const auto& m : held)
    on_bus(self, m);
}

// The shards this member may act on changed (sipcc/lease_keeper.hpp). The
// established calls of a dead member in the shards gained come back here
// from its edge's snapshots, its legs there becoming this member's; the
// rest of its legs are then strays to the audit, ended as a restarted
// callctl ends them.
void on_lease_change(registry_actor self, const lease_change& c) {
  auto& s = self->state;
  std::map<std::string, std::set<uint32_t>> left_by;
  for (const auto& [shard, holder] : c.previous)
    left_by[holder].insert(shard);
  // Again, as the keeper's report did: a restore that ended since cleared them.
  s.sh->restore_begins(c.previous);
  for (auto& [holder, shards] : left_by) {
    spdlog::info("leases: taking over the calls of {} in {} shards", holder, shards.size());
    ++s.restoring;
    s.takeovers.push_back(std::make_unique<snapshots_fetch>(
        *s.sh->nats, caf::actor_cast<caf::actor>(self), s.sh->owner,
        s.sh->edges->live(), holder, std::move(shards)));
  }
  s.shards.insert(c.gained.begin(), c.gained.end());
  for (auto shard : c.lost) {
    s.shards.erase(shard);
    // Kept while busy: only a fenced member (cut off past the TTL), or a
    // call started as the keeper released its shard, gets here.
    if (s.calls_in.count(shard))
      spdlog::warn("leases: shard {} lost with {} calls in it: their requests are no longer "
                   "answered here",
                   shard, s.calls_in.at(shard));
  }
  s.draining = c.draining;
}

void on_call_down(registry_actor self, const caf::down_msg& dm) {
  auto& s = self->state;
  auto conn = s.conn_of.find(dm.source);
  if (conn == s.conn_of.end())
    return;
  for (const auto& leg : close_call(s.table, conn->second))
    media_leg_ended(self, leg);
  count_call(self, conn->second, false);
  s.actors.erase(conn->second);
  s.conn_of.erase(conn);
  gauge(self);
}

registry_handle::behavior_type registry_behavior(registry_actor self, shared* sh) {
  self->state.sh = sh;
  self->state.ids = std::make_unique<conn_id_generator>(static_cast<uint64_t>(now_us() / 1000));
  gauge(self);  // reads 0, not "unknown", before the first call
  self->set_down_handler([=](const caf::down_msg& dm) { on_call_down(self, dm); });
  return {
      [=](const bus_msg& m) { on_bus(self, m); },
      [=](const leg_made_msg& m) { on_leg_made(self, m); },
      [=](const conn_alias_msg& m) { set_alias(self->state.table, m.alias, m.conn_id, m.active); },
      [=](const snapshots_fetched& f) { on_snapshots(self, f); },
      [=](const lease_change& c) { on_lease_change(self, c); },
      [=](const edge_gone& g) {
        spdlog::warn("edge {} is gone: ending the calls it carried", g.edge);
        on_edge_gone(self, g.edge);
      },
      [=](const dn_states_snapshot& snap) {
        for (const auto& st : snap.reply.dns())
          if (!self->state.dn_states_seen.count(st.dn()))
            learn_dn_state(self, st);
      },
  };
}

}  // namespace

bus_root spawn_registry(caf::actor_system& sys, shared* sh) {
  // The bridge sees only that it takes bus_msg.
  return sys.spawn(registry_behavior, sh);
}

}  // namespace sipcc::callctl
