#include "call_actor.hpp"

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>

#include "callctl/model/call_fsm.hpp"
#include "callctl/model/call_requests.hpp"
#include "callctl/model/call_translate.hpp"
#include "callctl/model/shown_calls.hpp"
#include "callctl/model/media_legs.hpp"
#include "callctl/model/media_placement.hpp"
#include "callctl/model/remote_answer.hpp"
#include "callctl/model/targets.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/mwi.hpp"
#include "sipcc/presence_body.hpp"
#include "sipcc/service.hpp"
#include "sipcc/tevent.hpp"
#include "sipcc/v1/state.pb.h"

namespace sipcc::callctl {

namespace {

struct call_state_t {
  shared* sh = nullptr;
  registry_handle registry;
  // The ConnID the registry knows this actor by: the call's first (a
  // consultation that outlives its call goes on under its own ConnID).
  std::string registry_key;
  call c;
  call_settings settings;
  std::string edge;  // the edge that holds the call's legs
  // Requests whose reply is an event of the call: the first of `on` on
  // their ThisDN (TApplyTreatment, THoldCall, a transfer, TMakeCall, ...).
  struct pending_reply {
    std::string to;
    v1::TRequest req;
    std::vector<v1::EventType> on;
  };
  std::vector<pending_reply> replies;
  // A conference JOIN or LEAVE, answered when every party moved.
  std::string conf_reply_to;
  v1::ConfRequest conf_req;
  leg_origins origins;
  // The snapshot the call's legs keep (call_snapshot.hpp): its bytes without
  // seq (empty: none), the legs it went to, and how many were sent.
  std::string snapshot_sent;
  std::vector<std::string> snapshot_legs;
  uint64_t snapshot_seq = 0;
  // The leg commands of the step under way (`stepping` deep), published when
  // it ends so that a new snapshot rides on them instead of travelling alone.
  std::vector<std::pair<std::string, v1::LegCommand>> outbox;
  int stepping = 0;
  // When it last asked for a route (EventRouteRequest): what a starting
  // router is told, to queue it in arrival order (sipcc.calls.waiting).
  int64_t route_requested_us = 0;
  // Media-server INVITEs waiting for the media service's answer.
  media_placement placement;
  // Which marked DNs' desktops saw the call, for presence.
  shown_calls shown;
  std::minstd_rand random{std::random_device{}()};  // timer delays within their range
  static inline const char* name = "call";
};

using call_actor = call_handle::stateful_pointer<call_state_t>;

// How long the media server may take to answer its INVITE.
constexpr uint32_t kMediaAnswerMs = 5000;

void send_leg(call_actor self, const std::string& leg, v1::LegCommand cmd) {
  auto& s = self->state;
  s.origins.stamp(leg, cmd);
  if (s.stepping > 0)
    s.outbox.emplace_back(leg, std::move(cmd));
  else
    publish_leg_command(*s.sh->nats, s.edge, leg, std::move(cmd));
}

// A new leg: the registry must know it before its first event can arrive.
// A media-server leg goes to `server` (the pool's name; empty: the
// configured media server).
void send_invite(call_actor self, const call_action& a, const std::string& server = "") {
  auto& s = self->state;
  const auto& cfg = *s.sh->cfg;
  leg_made_msg made{a.leg, s.registry_key, s.edge, {}};
  if (a.what == call_action::invite_media)
    made.media = media_leg_of(
        a, s.c.conn_id,
        server.empty() ? media_server_name(cfg, s.settings.media_server) : server, now_us());
  caf::anon_send(s.registry, std::move(made));
  v1::LegCommand cmd;
  auto* inv = cmd.mutable_invite();
  inv->set_owner(s.sh->owner);
  inv->set_conn_id(s.c.conn_id);
  inv->set_target_uri(a.uri);
  const std::string& from = a.caller.empty() ? s.c.ani : a.caller;
  inv->set_from_uri("sip:" + (from.empty() ? std::string("anonymous") : from) + "@" +
                    cfg.sip_bind.str());
  inv->set_sdp(a.sdp);
  inv->set_ack_later(a.ack_later);
  inv->set_timeout_ms(a.what == call_action::invite_media ? kMediaAnswerMs : a.ring_ms);
  // The shipped dialplan (extensions.conf [from-sipcc] 9999) opens exactly
  // this mailbox: to leave a message, or to hear its messages when the
  // phone itself calls (X-Voicemail: listen). Diversion (RFC 5806) is what
  // other voicemail systems read, Asterisk's REDIRECTING(from-num) included.
  if (!a.mailbox.empty())
    inv->add_headers("X-Mailbox: " + a.mailbox);
  if (a.listen)
    inv->add_headers("X-Voicemail: listen");
  if (a.own_phone)
    inv->add_headers(k_own_phone_header);
  if (!a.other_dn.empty())
    inv->add_headers("Diversion: <sip:" + a.other_dn + "@" + cfg.asterisk.host +
                     ">;reason=no-answer;counter=1");
  if (auto* dn = cfg.find_dn(a.dn); dn && remote_answer_of(dn->options) == remote_answer::answer_after)
    inv->add_headers(answer_after_header(cfg.sip_bind.host));
  send_leg(self, a.leg, std::move(cmd));
}

// A media-server INVITE waits for the media service to say where it goes.
void invite(call_actor self, const call_action& a) {
  auto& s = self->state;
  if (a.what != call_action::invite_media)
    return send_invite(self, a);
  auto ask = s.placement.hold(a, s.registry_key, now_us(), s.sh->media_quiet_until_us.load());
  if (!ask)
    return send_invite(self, a);
  s.sh->nats->publish(subj::media_req, *ask, subj::media_placed(s.sh->owner, s.registry_key));
  self->delayed_send(self, std::chrono::milliseconds(s.placement.settings().ask_ms),
                     placement_timer{a.leg});
}

// The event on the bus, and the reply of the request it answers.
void emit(call_actor self, const call_action& a) {
  auto& s = self->state;
  auto ev = tevent_of(s.c, a);
  publish_call_event(*s.sh->nats, ev);
  if (s.shown.on_event(ev.this_dn(), ev.conn_id()))
    publish_call_fact(*s.sh->nats, s.sh->presence, ev.this_dn(), ev.conn_id(), true, false,
                      true);
  if (a.event == v1::EventRouteRequest)
    s.route_requested_us = ev.timestamp_us();
  if (!a.reply)
    return;
  auto& replies = s.replies;
  auto r = std::find_if(replies.begin(), replies.end(), [&](const auto& p) {
    return p.req.this_dn() == a.dn && std::find(p.on.begin(), p.on.end(), a.event) != p.on.end();
  });
  if (r == replies.end())
    return;
  ev.set_reference_id(r->req.reference_id());
  s.sh->nats->publish(r->to, ev);
  replies.erase(r);
}

// The pending conference request's answer (none pending: a change nobody
// asked for, such as the media server dropping a party).
void conf_reply(call_actor self, const std::string& error) {
  auto& s = self->state;
  if (s.conf_reply_to.empty())
    return;
  s.sh->nats->publish(s.conf_reply_to, conf_answer(s.conf_req, error));
  s.conf_reply_to.clear();
}

// What presence does with an agent who did not answer: a desktop request.
void agent_no_answer(call_actor self, const call_action& a) {
  v1::TRequest r;
  r.set_schema(v1::SCHEMA_V1);
  r.set_type(a.text == "logout" ? v1::TAgentLogout : v1::TAgentSetNotReady);
  r.set_this_dn(a.dn);
  r.set_client("callctl");
  r.set_work_mode(v1::AuxWork);
  auto* kv = r.mutable_reasons()->add_pairs();
  kv->set_key("ReasonCode");
  kv->set_str("NoAnswer");
  self->state.sh->nats->publish(subj::tlib_req(r.type(), a.dn), r);
}

// The delay is drawn in 10 ms steps, as RFC 3261 14.1 draws a 491 back-off.
void arm(call_actor self, const call_action& a) {
  std::uniform_int_distribution<uint32_t> steps(a.ms / 10, a.max_ms / 10);
  auto ms = std::max(a.ms, steps(self->state.random) * 10);
  self->delayed_send(self, std::chrono::milliseconds(ms), timer_msg{a.timer, a.gen});
}

// The call is over: a request the end overtook still gets an answer.
void finish(call_actor self) {
  auto& s = self->state;
  const std::string why = "ConnID " + s.c.conn_id + " ended first";
  for (auto& r : s.replies)
    if (!r.to.empty())
      s.sh->nats->publish(r.to, make_error(r.req, v1::ERR_INVALID_STATE, why, now_us()));
  s.replies.clear();
  conf_reply(self, why);
  spdlog::info("ConnID {}: call ended", s.c.conn_id);
  self->quit();
}

void on_leg(call_actor self, const v1::LegEvent& le);

void carry_out(call_actor self, const std::vector<call_action>& actions) {
  auto& s = self->state;
  // Held media INVITEs the call model CANCELled: they end, after these
  // actions, as a CANCELled INVITE ends (487).
  std::vector<std::string> unsent;
  for (const auto& a : actions) {
    if (auto out = leg_command_of(s.c, a)) {
      auto held = s.placement.drop(out->leg);
      if (held == media_placement::unsent::held)
        unsent.push_back(out->leg);
      if (held == media_placement::unsent::no)
        send_leg(self, out->leg, std::move(out->cmd));
      continue;
    }
    switch (a.what) {
      case call_action::invite_leg:
      case call_action::invite_media: invite(self, a); break;
      case call_action::emit: emit(self, a); break;
      case call_action::call_fact: {
        const auto& conn_id = a.conn_id.empty() ? s.c.conn_id : a.conn_id;
        publish_call_fact(*s.sh->nats, s.sh->presence, a.dn, conn_id, a.active, a.answered,
                          s.shown.on_fact(a.dn, conn_id, a.active));
        break;
      }
      case call_action::conn_alias:
        caf::anon_send(s.registry, conn_alias_msg{a.conn_id, s.registry_key, a.active});
        break;
      case call_action::arm_timer: arm(self, a); break;
      case call_action::agent_no_answer: agent_no_answer(self, a); break;
      case call_action::conf_result: conf_reply(self, a.text); break;
      case call_action::end: return finish(self);
      default: break;  // leg commands, above
    }
  }
  for (const auto& leg : unsent) {
    v1::LegEvent le;
    le.set_leg_id(leg);
    le.mutable_failed()->set_status(487);
    on_leg(self, le);
  }
}

// What the call's legs keep at the edge follows the call: a new snapshot to
// each leg when it changed, an empty one when the call is no longer
// restorable (something is under way). A call that ended sends nothing: its
// legs go with it.
void keep_snapshot(call_actor self) {
  auto& s = self->state;
  if (s.c.state == call_state::ended)
    return;
  auto snap = snapshot_of(s.c, s.edge, s.origins.by_leg());
  auto bytes = snap ? snap->SerializeAsString() : std::string();
  if (bytes == s.snapshot_sent)
    return;
  s.snapshot_sent = bytes;
  if (snap) {
    snap->set_seq(++s.snapshot_seq);
    bytes = snap->SerializeAsString();
    s.snapshot_legs = {s.c.customer_leg, s.c.agent_leg};
  }
  // One message for all the legs: on the step's last command to one of them
  // (a routed call's answer: the customer's 200), else alone.
  if (s.snapshot_legs.empty())
    return;
  auto on = std::find_if(s.outbox.rbegin(), s.outbox.rend(), [&](const auto& out) {
    return std::count(s.snapshot_legs.begin(), s.snapshot_legs.end(), out.first) > 0;
  });
  auto& [leg, cmd] = on != s.outbox.rend()
                         ? *on
                         : s.outbox.emplace_back(s.snapshot_legs.front(), v1::LegCommand());
  auto* keep = cmd.mutable_keep_snapshot();
  keep->set_snapshot(bytes);
  for (const auto& other : s.snapshot_legs)
    if (other != leg)
      keep->add_other_legs(other);
  if (!snap)
    s.snapshot_legs.clear();
}

void step(call_actor self, const call_event& ev) {
  auto& s = self->state;
  ++s.stepping;
  carry_out(self, call_step(s.c, ev, s.settings));
  keep_snapshot(self);
  if (--s.stepping > 0)
    return;
  for (auto& [leg, cmd] : s.outbox)
    publish_leg_command(*s.sh->nats, s.edge, leg, std::move(cmd));
  s.outbox.clear();
}

void on_leg(call_actor self, const v1::LegEvent& le) {
  auto in = leg_input_of(self->state.c, le);
  if (!in.bad_info.empty()) {
    process_counters().add(counter_id::info_bad_body, body_type_label(in.bad_info_type));
    spdlog::warn("ConnID {}: INFO from the media server ignored: {}", self->state.c.conn_id,
                 in.bad_info);
  }
  if (in.ev)
    step(self, *in.ev);
}

// An overflow to a DN needs that DN's route, and to a Voicemail DN the
// mailbox of the DN (or its agent) that did not answer; the router timeout
// takes the call to the default DN.
void on_timer(call_actor self, const timer_msg& t) {
  auto& s = self->state;
  call_event ev(t.what);
  ev.timer_gen = t.gen;
  const auto& overflow = s.c.no_answer.overflow;
  if (t.what == call_event::no_answer_timeout && overflow != "recall" && overflow != "release") {
    const auto& cfg = *s.sh->cfg;
    auto dir = s.sh->dir.snapshot();
    ev.target = target_for(cfg, dir, overflow, nullptr);
    voicemail_for(cfg, ev.target, s.c.agent_dn, agent_on(*dir.agents, s.c.agent_dn), s.c.rp);
  }
  if (t.what == call_event::router_timeout)
    ev.target = s.settings.default_route;
  step(self, ev);
}

void refuse(call_actor self, const v1::TRequest& req, const std::string& reply_to,
            const request_refusal& r) {
  process_counters().add(counter_id::tlib_errors, v1::ErrorCode_Name(r.code));
  if (!reply_to.empty())
    self->state.sh->nats->publish(reply_to, make_error(req, r.code, r.text, now_us()));
}

// Every check comes before the step (call_requests.hpp), so a refused
// request sends no SIP; OtherDN is resolved here, between the two checks.
void on_request(call_actor self, const v1::TRequest& req, const std::string& reply_to) {
  auto& s = self->state;
  const auto* this_dn = s.sh->cfg->find_dn(req.this_dn());
  request_context ctx;
  ctx.answer = this_dn ? remote_answer_of(this_dn->options) : remote_answer::none;
  ctx.media_server = s.settings.media_server;
  auto plan = plan_request(s.c, req, ctx);
  if (!plan.refusal.text.empty())
    return refuse(self, req, reply_to, plan.refusal);
  if (plan.resolve_other_dn) {
    plan.ev.target =
        target_for(*s.sh->cfg, s.sh->dir.snapshot(), req.other_dn(), &req.extensions());
    // A router sending the call to voicemail (max-wait, say): the RP's.
    if (plan.ev.what == call_event::route)
      voicemail_for(*s.sh->cfg, plan.ev.target, "", "", s.c.rp);
    auto r = target_refusal(req, plan.ev.target, s.sh->cfg->find_dn(req.other_dn()) != nullptr);
    if (!r.text.empty())
      return refuse(self, req, reply_to, r);
  }
  if (!plan.reply_on.empty() && !reply_to.empty())
    s.replies.push_back({reply_to, req, plan.reply_on});
  step(self, plan.ev);
  if (plan.ack != v1::EVENT_UNSPECIFIED && !reply_to.empty()) {
    auto ack = request_ack(s.c, req, plan.ack);
    ack.set_timestamp_us(now_us());
    s.sh->nats->publish(reply_to, ack);
  }
}

void on_conf(call_actor self, const v1::ConfRequest& req, const std::string& reply_to) {
  auto& s = self->state;
  auto plan = plan_conf(s.c, req, s.sh->cfg->asterisk.str());
  if (!plan.refusal.empty()) {
    if (!reply_to.empty())
      s.sh->nats->publish(reply_to, conf_answer(req, plan.refusal));
    return;
  }
  s.conf_reply_to = reply_to;
  s.conf_req = req;
  step(self, plan.ev);
}

// The media service's answer, or none in time, for a held media INVITE.
void placed(call_actor self, const placement& p) {
  auto& s = self->state;
  switch (p.what) {
    case placement::send:
      if (p.quiet_until_us > 0) {
        s.sh->media_quiet_until_us = p.quiet_until_us;
        spdlog::warn("ConnID {}: no answer from the media service: media leg {} goes to {}, "
                     "and media INVITEs do not wait for it for {} s",
                     s.c.conn_id, p.leg, s.settings.media_server,
                     s.placement.settings().quiet_ms / 1000);
      }
      return send_invite(self, p.invite, p.server);
    case placement::refused: {
      spdlog::info("ConnID {}: media leg {} refused by the media service: {}", s.c.conn_id,
                   p.leg, p.reason);
      call_event ev(call_event::media_lost);
      ev.leg = p.leg;
      ev.text = p.reason;
      return step(self, ev);
    }
    case placement::none:
      return;
  }
}

call_handle::behavior_type behavior(call_actor self) {
  return {
      [=](const leg_event_msg& m) { on_leg(self, m.event); },
      [=](const request_msg& m) { on_request(self, m.request, m.reply_to); },
      [=](const conf_msg& m) { on_conf(self, m.request, m.reply_to); },
      [=](const timer_msg& t) { on_timer(self, t); },
      [=](const media_lost_msg& m) {
        call_event ev(call_event::media_lost);
        ev.leg = m.leg;
        ev.text = m.reason;
        step(self, ev);
      },
      [=](const media_placed_msg& m) {
        for (auto& p : self->state.placement.answered(m.reply, now_us()))
          placed(self, p);
      },
      [=](const placement_timer& t) {
        placed(self, self->state.placement.timed_out(t.leg, now_us()));
      },
      [=](const waiting_query_msg& q) {
        auto& s = self->state;
        if (!can_route(s.c) || s.c.rp.empty())
          return;
        v1::CallWaiting w;
        w.set_schema(v1::SCHEMA_V1);
        w.set_instance(s.sh->owner);
        w.set_conn_id(s.c.conn_id);
        w.set_rp(s.c.rp);
        w.set_waiting_since_us(s.route_requested_us);
        s.sh->nats->publish(q.reply_to, w);
      },
  };
}

void setup(call_actor self, shared* sh, registry_handle registry, const std::string& conn_id,
           const std::string& edge) {
  auto& s = self->state;
  s.sh = sh;
  s.registry = std::move(registry);
  s.registry_key = conn_id;
  s.edge = edge;
  s.c.conn_id = conn_id;
  s.settings.media_server = sh->cfg->asterisk.str();
}

// Routing Point options win over the application's.
void routing_settings(call_state_t& s, const std::string& rp_number) {
  const auto& cfg = *s.sh->cfg;
  auto* rp = cfg.find_dn(rp_number);
  s.settings.router_timeout_s = option_seconds(cfg.app_options, "router-timeout", 30);
  std::string default_dn = option_text(cfg.app_options, "default-dn");
  s.settings.routing_point = rp && rp->type == v1::RoutingPoint;
  if (rp) {
    s.settings.router_timeout_s =
        option_seconds(rp->options, "router-timeout", s.settings.router_timeout_s);
    auto d = option_text(rp->options, "default-dn");
    if (!d.empty())
      default_dn = d;
  }
  if (!default_dn.empty()) {
    s.settings.default_route = target_for(cfg, s.sh->dir.snapshot(), default_dn, nullptr);
    voicemail_for(cfg, s.settings.default_route, "", "", rp_number);
  }
}

// The incoming event of an inbound INVITE: a registered phone's own call
// goes to its mailbox (direct), anything else to the Routing Point.
call_event incoming_event(const call_state_t& s, const v1::LegEvent& incoming) {
  const auto& cfg = *s.sh->cfg;
  const auto& in = incoming.incoming();
  auto* caller = cfg.find_dn(in.from_user());
  bool direct = caller && caller->registers_on_sipcc() &&
                from_binding(*s.sh->dir.bindings(), caller->number, in.source());
  call_event ev(direct ? call_event::incoming_direct : call_event::incoming);
  auto vm = option_text(cfg.app_options, "voicemail-access-number");
  if (direct && !vm.empty() && in.to_user() == vm) {
    ev.target = voicemail_target(cfg, vm);
    // The phone's own mailbox: its agent's, else its DN's.
    ev.target.mailbox =
        voicemail_box(cfg, caller->number, agent_on(*s.sh->dir.agents(), caller->number), "");
    ev.target.listen = true;
  }
  ev.ani = in.from_user();
  ev.dnis = in.to_user();
  ev.leg = incoming.leg_id();
  ev.sdp = in.sdp();
  return ev;
}

call_handle::behavior_type inbound_call(call_actor self, shared* sh, registry_handle registry,
                                        std::string conn_id, v1::LegEvent incoming) {
  setup(self, sh, std::move(registry), conn_id, incoming.edge_id());
  auto& s = self->state;
  const auto& in = incoming.incoming();
  s.c.call_id = in.call_id();
  s.c.ani_name = in.from_name();
  s.c.customer_leg = incoming.leg_id();
  routing_settings(s, in.to_user());
  v1::LegCommand claim;
  claim.mutable_claim()->set_owner(sh->owner);
  claim.mutable_claim()->set_conn_id(conn_id);
  send_leg(self, incoming.leg_id(), std::move(claim));
  step(self, incoming_event(s, incoming));
  return behavior(self);
}

call_handle::behavior_type made_call(call_actor self, shared* sh, registry_handle registry,
                                     make_call_setup setup_) {
  setup(self, sh, std::move(registry), setup_.conn_id, setup_.edge);
  auto& s = self->state;
  s.settings.ringback_ms = setup_.ringback_ms;
  // TMakeCall's reply is its EventDialing.
  if (!setup_.reply_to.empty())
    s.replies.push_back({setup_.reply_to, setup_.request, {v1::EventDialing}});
  call_event ev(call_event::make_call);
  ev.dn = setup_.request.this_dn();
  ev.uri = setup_.this_uri;
  ev.target.dn = setup_.request.other_dn();
  ev.target.contact_uri = setup_.other_uri;
  ev.far_is_dn = setup_.other_is_dn;
  step(self, ev);
  return behavior(self);
}

// The legs keep this very snapshot already: nothing is sent until the call changes.
call_handle::behavior_type restored(call_actor self, shared* sh, registry_handle registry,
                                    restored_call r) {
  setup(self, sh, std::move(registry), r.c.conn_id, r.edge);
  auto& s = self->state;
  s.c = std::move(r.c);
  if (!s.c.rp.empty())
    routing_settings(s, s.c.rp);
  s.origins = leg_origins(std::move(r.origins));
  if (auto snap = snapshot_of(s.c, s.edge, s.origins.by_leg())) {
    s.snapshot_sent = snap->SerializeAsString();
    s.snapshot_legs = {s.c.customer_leg, s.c.agent_leg};
  }
  s.snapshot_seq = r.seq;
  spdlog::info("ConnID {}: restored, {} on DN {}", s.c.conn_id,
               s.c.held                  ? "held"
               : awaiting_ack(s.c)       ? "awaiting the customer's ACK"
                                         : "established",
               s.c.agent_dn);
  if (awaiting_ack(s.c)) {
    // The edge told the dead owner of the ACK, if it came: taken as come
    // (EventEstablished now). A customer that never ACKs has its leg ended
    // by the edge's stack (Timer H), which ends the call.
    call_event acked(call_event::acked);
    acked.leg = s.c.customer_leg;
    step(self, acked);
  }
  return behavior(self);
}

}  // namespace

call_handle spawn_call(caf::local_actor* registry, shared* sh, std::string conn_id,
                       v1::LegEvent incoming) {
  return registry->spawn<caf::monitored>(
      inbound_call, sh, caf::actor_cast<registry_handle>(registry), std::move(conn_id),
      std::move(incoming));
}

call_handle spawn_made_call(caf::local_actor* registry, shared* sh, make_call_setup setup) {
  return registry->spawn<caf::monitored>(
      made_call, sh, caf::actor_cast<registry_handle>(registry), std::move(setup));
}

call_handle spawn_restored_call(caf::local_actor* registry, shared* sh, restored_call r) {
  return registry->spawn<caf::monitored>(
      restored, sh, caf::actor_cast<registry_handle>(registry), std::move(r));
}

}  // namespace sipcc::callctl
