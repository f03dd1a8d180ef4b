#include "call_actor.hpp"
#include "call_messages.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "sipcc/actor_host.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/mwi.hpp"
#include "callctl/model/call_fsm.hpp"
#include "callctl/model/dtmf.hpp"
#include "sipcc/counters.hpp"
#include "callctl/model/ids.hpp"
#include "sipcc/media_uri.hpp"
#include "callctl/model/remote_answer.hpp"
#include "sipcc/trusted_peers.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipcc/v1/sip.pb.h"
#include "sipcc/v1/state.pb.h"
#include "sipcc/service.hpp"
#include "sipcc/tevent.hpp"

namespace sipcc::callctl {

namespace {

struct call_state_t {
  shared* sh = nullptr;
  caf::actor registry;
  call c;
  call_settings settings;
  std::string customer_edge;   // edge holding the customer leg
  std::string customer_call_id;
  std::string customer_name;   // the caller's display name, for the desktops
  // Requests whose reply is the event that ends them: TApplyTreatment (the
  // media server's answer), THoldCall and TRetrieveCall (both re-INVITEs),
  // TAnswerCall (the phone's answer).
  struct pending_reply {
    std::string to;
    v1::TRequest req;
    std::vector<v1::EventType> on;
  };
  pending_reply treatment_reply, hold_reply, record_reply, answer_reply;
  // transfers: the transfer request (or TReleaseCall of a consultation call)
  // whose reply is still to come.
  pending_reply transfer_reply;
  // A conference JOIN or LEAVE, answered when every party moved.
  std::string conf_reply_to;
  v1::ConfRequest conf_req;
  leg_origins origins;
  static inline const char* name = "call";
};

using call_actor = caf::stateful_actor<call_state_t>;

// How long the media server may take to answer a treatment's INVITE.
constexpr uint32_t kMediaAnswerMs = 5000;

void leg_command(call_actor* self, const std::string& leg_id, v1::LegCommand cmd) {
  auto& s = self->state;
  s.origins.stamp(leg_id, cmd);
  publish_leg_command(*s.sh->nats, s.customer_edge, leg_id, std::move(cmd));
}

// The pending conference request's answer (none pending: a change nobody
// asked for, such as the media server dropping a party).
void conf_reply(call_actor* self, const std::string& error) {
  auto& s = self->state;
  if (s.conf_reply_to.empty())
    return;
  s.sh->nats->publish(s.conf_reply_to, conf_answer(s.conf_req, error));
  s.conf_reply_to.clear();
}

void carry_out(call_actor* self, const std::vector<call_action>& actions) {
  auto& s = self->state;
  auto& c = s.c;
  for (auto& a : actions) {
    switch (a.what) {
      case call_action::respond_customer:
      case call_action::respond_leg: {
        v1::LegCommand cmd;
        cmd.mutable_respond()->set_status(a.status);
        cmd.mutable_respond()->set_phrase(a.text);
        cmd.mutable_respond()->set_sdp(a.sdp);
        cmd.mutable_respond()->set_update(a.update);
        leg_command(self, a.what == call_action::respond_leg ? a.leg : c.customer_leg,
                    std::move(cmd));
        break;
      }
      case call_action::invite_agent:
      case call_action::invite_media: {
        // The registry must know the leg before its first event can arrive.
        self->send(s.registry, leg_map_atom::value, a.leg, c.conn_id, s.customer_edge);
        v1::LegCommand cmd;
        auto* inv = cmd.mutable_invite();
        inv->set_owner(s.sh->owner);
        inv->set_conn_id(c.conn_id);
        inv->set_target_uri(a.uri);
        // A consultation call comes from the transferring agent DN (a.caller).
        const std::string& from = a.caller.empty() ? c.ani : a.caller;
        inv->set_from_uri("sip:" + (from.empty() ? std::string("anonymous") : from) + "@" +
                          s.sh->cfg->sip_bind.str());
        inv->set_sdp(a.sdp);
        inv->set_ack_later(a.ack_later);
        if (a.what == call_action::invite_media) {
          inv->set_timeout_ms(kMediaAnswerMs);
          leg_command(self, a.leg, std::move(cmd));
          break;
        }
        // The shipped dialplan (extensions.conf [from-sipcc] 9999) opens
        // exactly this mailbox: to leave a message, or to hear its messages
        // when the phone itself calls (X-Voicemail: listen). Diversion (RFC
        // 5806) is what other voicemail systems read, Asterisk's
        // REDIRECTING(from-num) included.
        if (!a.mailbox.empty())
          inv->add_headers("X-Mailbox: " + a.mailbox);
        if (a.listen)
          inv->add_headers("X-Voicemail: listen");
        // A consultation's OtherDN (a.caller set) is a party, not the agent.
        if (a.caller.empty() && a.mailbox.empty())
          inv->add_headers(k_own_phone_header);
        if (!a.other_dn.empty())
          inv->add_headers("Diversion: <sip:" + a.other_dn + "@" + s.sh->cfg->asterisk.host +
                           ">;reason=no-answer;counter=1");
        if (auto* dn = s.sh->cfg->find_dn(a.dn);
            dn && remote_answer_of(dn->options) == remote_answer::answer_after)
          inv->add_headers(answer_after_header(s.sh->cfg->sip_bind.host));
        // The edge gives up on its own only well after any no-answer timer.
        inv->set_timeout_ms(std::max<uint32_t>(c.no_answer.timeout_s * 1000 + 30000, 120000));
        leg_command(self, a.leg, std::move(cmd));
        break;
      }
      case call_action::cancel_leg: {
        v1::LegCommand cmd;
        cmd.mutable_cancel();
        leg_command(self, a.leg, std::move(cmd));
        break;
      }
      case call_action::ack_leg: {
        v1::LegCommand cmd;
        cmd.mutable_ack()->set_sdp(a.sdp);
        leg_command(self, a.leg, std::move(cmd));
        break;
      }
      case call_action::bye_leg:
      case call_action::bye_customer: {
        v1::LegCommand cmd;
        cmd.mutable_bye();
        leg_command(self, a.what == call_action::bye_leg ? a.leg : c.customer_leg,
                    std::move(cmd));
        break;
      }
      case call_action::emit: {
        auto ev = call_tevent(a.event, a.dn, a.other_dn, a.conn_id.empty() ? c.conn_id : a.conn_id);
        ev.set_third_party_dn(a.third_party_dn);      // transfers
        ev.set_transfer_conn_id(a.transfer_conn_id);
        ev.set_previous_conn_id(a.previous_conn_id);
        ev.set_call_id(s.customer_call_id);
        ev.set_ani(c.ani);
        ev.set_ani_name(s.customer_name);
        ev.set_dnis(c.dnis);
        *ev.mutable_user_data() = c.user_data;
        // EventError: a hold, retrieve, transfer or conference offer refused,
        // a TAnswerCall that did not get its answer.
        set_emitted(ev, a.text, a.digits);
        if (a.collects) {
          ev.set_collected_digits(a.digits);
          if (!a.digits.empty()) {
            auto* kv = ev.mutable_extensions()->add_pairs();
            kv->set_key("LastCollectedDigit");
            kv->set_str(a.digits.substr(a.digits.size() - 1));
          }
        }
        publish_call_event(*s.sh->nats, ev);
        for (auto* r : {&s.treatment_reply, &s.hold_reply, &s.record_reply, &s.answer_reply,
                        &s.transfer_reply}) {
          if (!a.reply)
            break;
          // The reply is the request's event on its own ThisDN (a transfer
          // gives events to two DNs).
          if (r->to.empty() || std::find(r->on.begin(), r->on.end(), a.event) == r->on.end() ||
              r->req.this_dn() != a.dn)
            continue;
          ev.set_reference_id(r->req.reference_id());
          s.sh->nats->publish(r->to, ev);
          r->to.clear();
        }
        break;
      }
      case call_action::call_fact:
        publish_call_fact(*s.sh->nats, a.dn, a.conn_id.empty() ? c.conn_id : a.conn_id, a.active,
                          a.answered);
        break;
      case call_action::conn_alias:  // transfers
        self->send(s.registry, conn_alias_atom::value, a.conn_id, c.conn_id, a.active);
        break;
      case call_action::arm_timer:
        self->delayed_send(self, std::chrono::milliseconds(a.ms), timer_atom::value, c.timer_gen);
        break;
      case call_action::agent_no_answer: {
        v1::TRequest r;
        r.set_schema(v1::SCHEMA_V1);
        r.set_type(a.text == "logout" ? v1::TAgentLogout : v1::TAgentSetNotReady);
        r.set_this_dn(a.dn);
        r.set_client("callctl");
        r.set_work_mode(v1::AuxWork);
        auto* kv = r.mutable_reasons()->add_pairs();
        kv->set_key("ReasonCode");
        kv->set_str("NoAnswer");
        s.sh->nats->publish(subj::tlib_req(r.type(), a.dn), r);
        break;
      }
      case call_action::reinvite_leg: {
        v1::LegCommand cmd;
        cmd.mutable_reinvite()->set_sdp(a.sdp);
        cmd.mutable_reinvite()->set_update(a.update);
        leg_command(self, a.leg, std::move(cmd));
        break;
      }
      case call_action::info_leg: {
        v1::LegCommand cmd;
        cmd.mutable_info()->set_content_type(a.content_type);
        cmd.mutable_info()->set_body(a.body);
        leg_command(self, a.leg, std::move(cmd));
        break;
      }
      case call_action::conf_result:
        conf_reply(self, a.text);
        break;
      case call_action::talk_leg: {
        v1::LegCommand cmd;
        cmd.mutable_talk();
        leg_command(self, a.leg, std::move(cmd));
        break;
      }
      case call_action::end:
        // A request the end overtook (a hold or retrieve, a TAnswerCall, a
        // transfer; the FSM answers a treatment itself) still gets an answer.
        for (auto* r : {&s.treatment_reply, &s.hold_reply, &s.record_reply, &s.answer_reply,
                        &s.transfer_reply})
          if (!r->to.empty())
            s.sh->nats->publish(r->to, make_error(r->req, v1::ERR_INVALID_STATE,
                                                  "ConnID " + c.conn_id + " ended first",
                                                  now_us()));
        conf_reply(self, "ConnID " + c.conn_id + " ended first");
        spdlog::info("ConnID {}: call ended", c.conn_id);
        self->quit();
        return;
    }
  }
}

// The reply to a request carried out on the call: its event on ThisDN, with
// the call's user data as it is now.
v1::TEvent call_ack(const call_state_t& s, const v1::TRequest& req, v1::EventType type) {
  v1::TEvent ack;
  ack.set_schema(v1::SCHEMA_V1);
  ack.set_type(type);
  ack.set_reference_id(req.reference_id());
  ack.set_this_dn(req.this_dn());
  ack.set_other_dn(s.c.ani);
  ack.set_conn_id(s.c.conn_id);
  ack.set_call_id(s.customer_call_id);
  *ack.mutable_user_data() = s.c.user_data;
  ack.set_timestamp_us(now_us());
  return ack;
}

void step(call_actor* self, const call_event& ev) {
  carry_out(self, call_step(self->state.c, ev, self->state.settings));
}

void on_leg(call_actor* self, const v1::LegEvent& le) {
  auto& c = self->state.c;
  bool customer = le.leg_id() == c.customer_leg;
  bool media = is_media_leg(c, le.leg_id());
  std::optional<call_event> ev;
  switch (le.ev_case()) {
    case v1::LegEvent::kProgress:
      ev.emplace(call_event::agent_progress);
      ev->status = le.progress().status();
      break;
    case v1::LegEvent::kAnswered:
      ev.emplace(media                     ? call_event::media_answered
                 : le.answered().reinvite() ? call_event::reinvite_answered
                                            : call_event::agent_answered);
      ev->sdp = le.answered().sdp();
      break;
    case v1::LegEvent::kFailed:
      ev.emplace(media                   ? call_event::media_failed
                 : le.failed().reinvite() ? call_event::reinvite_failed
                                          : call_event::agent_failed);
      ev->status = le.failed().status();
      break;
    case v1::LegEvent::kAcked:
      ev.emplace(call_event::customer_acked);
      break;
    case v1::LegEvent::kCancelled:
      ev.emplace(call_event::customer_cancelled);
      break;
    case v1::LegEvent::kBye:
      ev.emplace(customer ? call_event::customer_bye
                 : media  ? call_event::media_bye
                          : call_event::agent_bye);
      break;
    case v1::LegEvent::kReinvite:
      ev.emplace(call_event::reinvite);
      ev->sdp = le.reinvite().sdp();
      ev->update = le.reinvite().update();
      break;
    case v1::LegEvent::kInfo: {
      // Only a collecting media server's digits mean anything here.
      if (!media)
        break;
      auto d = parse_dtmf_info(le.info().content_type(), le.info().body());
      if (!d) {
        process_counters().add(counter_id::info_bad_body,
                               body_type_label(le.info().content_type()));
        spdlog::warn("ConnID {}: INFO from the media server ignored: {}", c.conn_id, d.error);
        break;
      }
      ev.emplace(call_event::media_digit);
      ev->digit = d.value->signal;
      break;
    }
    case v1::LegEvent::kTalkFailed:
      ev.emplace(call_event::talk_failed);
      ev->status = le.talk_failed().status();
      break;
    case v1::LegEvent::kGone: {
      // A leg that ends without its usual event (a lost message, an edge
      // that restarted): take it as the far end leaving. After a normal end
      // the call is over already, or the leg is no longer its current one.
      bool up = c.state == call_state::connecting || c.state == call_state::established;
      if (customer)
        ev.emplace(up ? call_event::customer_bye : call_event::customer_cancelled);
      else if (media)
        ev.emplace(call_event::media_failed);
      else
        ev.emplace(up ? call_event::agent_bye : call_event::agent_failed);
      ev->status = 480;
      break;
    }
    default:
      return;
  }
  ev->leg = le.leg_id();
  step(self, *ev);
}

// TAnswerCall: ThisDN's phone answers by the talk NOTIFY or by itself
// (answer-after); the reply waits for the EventEstablished that answer
// brings, or the EventError when it does not come (sipcc/remote_answer.hpp).
void answer_call(call_actor* self, const v1::TRequest& req, const std::string& reply_to) {
  auto& s = self->state;
  const auto* dn = s.sh->cfg->find_dn(req.this_dn());
  const auto mode = dn ? remote_answer_of(dn->options) : remote_answer::none;
  auto refusal = answer_refusal(s.c, req.this_dn(), mode);
  if (!refusal.text.empty()) {
    if (!reply_to.empty())
      s.sh->nats->publish(reply_to, make_error(req, refusal.code, refusal.text, now_us()));
    return;
  }
  s.answer_reply = {reply_to, req, {v1::EventEstablished, v1::EventError}};
  call_event ev(call_event::answer);
  ev.dn = req.this_dn();
  ev.talk = mode == remote_answer::talk;
  step(self, ev);
}

// transfers: TSingleStepTransfer, TInitiateTransfer, TCompleteTransfer,
// TReconnectCall, TAlternateCall, and TReleaseCall while a consultation call
// is up (on either ConnID); false for every other request. Every check comes
// before any SIP; the reply is the request's event on ThisDN.
// Each transfer request: its event for the machine, and the events on
// ThisDN that reply to it (EventError when a re-INVITE it waits for is refused).
struct transfer_request_kind {
  v1::RequestType type;
  call_event::kind what;
  std::vector<v1::EventType> reply_on;
};
const transfer_request_kind kTransferRequests[] = {
    {v1::TSingleStepTransfer, call_event::single_step_transfer, {v1::EventReleased}},
    {v1::TInitiateTransfer, call_event::initiate_transfer, {v1::EventDialing, v1::EventError}},
    {v1::TCompleteTransfer, call_event::complete_transfer, {v1::EventReleased, v1::EventError}},
    {v1::TReconnectCall, call_event::reconnect_call, {v1::EventReleased}},
    {v1::TAlternateCall, call_event::alternate_call, {v1::EventRetrieved, v1::EventError}},
    // While a consultation call is up, on either ConnID; or a party leaving a conference.
    {v1::TReleaseCall, call_event::release, {v1::EventReleased}},
    // 3pcc conferences: a consultation as TInitiateTransfer's, then the three
    // parties in conference <ConnID> on the media server.
    {v1::TInitiateConference, call_event::initiate_transfer, {v1::EventDialing, v1::EventError}},
    {v1::TCompleteConference, call_event::complete_conference,
     {v1::EventPartyAdded, v1::EventError}},
    {v1::TDeleteFromConference, call_event::delete_from_conference,
     {v1::EventPartyDeleted, v1::EventReleased}},
};

bool transfer_request(call_actor* self, const v1::TRequest& req, const std::string& reply_to) {
  auto& s = self->state;
  auto kind = std::find_if(std::begin(kTransferRequests), std::end(kTransferRequests),
                           [&](const transfer_request_kind& k) { return k.type == req.type(); });
  if (kind == std::end(kTransferRequests) ||
      (req.type() == v1::TReleaseCall && s.c.consult == consult_state::none))
    return false;
  std::optional<call_event> ev(kind->what);
  const auto& reply_on = kind->reply_on;
  auto refuse = [&](v1::ErrorCode code, const std::string& text) {
    process_counters().add(counter_id::tlib_errors, v1::ErrorCode_Name(code));
    if (!reply_to.empty())
      s.sh->nats->publish(reply_to, make_error(req, code, text, now_us()));
    return true;
  };
  ev->dn = req.this_dn();
  ev->conn_id = req.conn_id();
  ev->transfer_conn_id = req.transfer_conn_id();
  ev->conference = req.type() == v1::TInitiateConference;
  if (req.type() == v1::TDeleteFromConference)
    ev->target.dn = req.other_dn();
  // The state first (a request that makes no sense says so whatever its
  // OtherDN), then OtherDN as TRouteCall checks it.
  auto refusal = transfer_refusal(s.c, *ev);
  if (!refusal.empty())
    return refuse(v1::ERR_INVALID_STATE, refusal);
  if (ev->what == call_event::single_step_transfer || ev->what == call_event::initiate_transfer) {
    const auto& other = req.other_dn();
    if (other.empty())
      return refuse(v1::ERR_BAD_REQUEST,
                    v1::RequestType_Name(req.type()) + " needs an OtherDN");
    if (other == req.this_dn())
      return refuse(v1::ERR_BAD_REQUEST, "OtherDN is ThisDN " + other);
    ev->target = target_for(*s.sh->cfg, s.sh->dir.snapshot(), other, &req.extensions());
    if (ev->target.contact_uri.empty() && s.sh->cfg->find_dn(other))
      return refuse(v1::ERR_INVALID_STATE, "OtherDN " + other + " has no registered phone");
    if (ev->target.contact_uri.empty())
      return refuse(v1::ERR_UNKNOWN_DN, "OtherDN " + other + " is not configured");
  }
  s.transfer_reply = {reply_to, req, reply_on};
  step(self, *ev);
  return true;
}

caf::behavior call_behavior(call_actor* self, shared* sh, caf::actor registry,
                            std::string conn_id,
                            v1::LegEvent incoming) {
  auto& s = self->state;
  s.sh = sh;
  s.registry = std::move(registry);
  s.customer_edge = incoming.edge_id();
  const auto& in = incoming.incoming();
  s.customer_call_id = in.call_id();
  s.customer_name = in.from_name();
  s.c.conn_id = conn_id;
  s.c.rp = in.to_user();
  s.c.customer_leg = incoming.leg_id();
  s.c.customer_sdp = in.sdp();
  // Routing Point options win over the application's.
  auto* rp = sh->cfg->find_dn(s.c.rp);
  const auto& app = sh->cfg->app_options;
  s.settings.router_timeout_s = option_seconds(app, "router-timeout", 30);
  std::string default_dn = option_text(app, "default-dn");
  s.settings.routing_point = rp && rp->type == v1::RoutingPoint;
  s.settings.media_server = sh->cfg->asterisk.str();
  if (rp) {
    s.settings.router_timeout_s = option_seconds(rp->options, "router-timeout",
                                                 s.settings.router_timeout_s);
    auto d = option_text(rp->options, "default-dn");
    if (!d.empty())
      default_dn = d;
  }
  if (!default_dn.empty()) {
    s.settings.default_route = target_for(*sh->cfg, sh->dir.snapshot(), default_dn, nullptr);
    voicemail_for(*sh->cfg, s.settings.default_route, "", "", s.c.rp);
  }

  v1::LegCommand claim;
  claim.mutable_claim()->set_owner(sh->owner);
  claim.mutable_claim()->set_conn_id(conn_id);
  leg_command(self, s.c.customer_leg, std::move(claim));

  // A phone registered on sipcc calls out through sipcc: only its mailbox.
  auto* caller = sh->cfg->find_dn(in.from_user());
  bool direct = caller && caller->registers_on_sipcc() &&
                from_binding(*sh->dir.bindings(), caller->number, in.source());
  call_event ev(direct ? call_event::incoming_direct : call_event::incoming);
  auto vm = option_text(app, "voicemail-access-number");
  if (direct && !vm.empty() && in.to_user() == vm) {
    ev.target = voicemail_target(*sh->cfg, vm);
    // The phone's own mailbox: its agent's, else its DN's.
    auto agents = sh->dir.agents();
    auto ag = agents->find(caller->number);
    ev.target.mailbox =
        voicemail_box(*sh->cfg, caller->number, ag == agents->end() ? "" : ag->second, "");
    ev.target.listen = true;
  }
  ev.ani = in.from_user();
  ev.dnis = in.to_user();
  ev.leg = incoming.leg_id();
  ev.sdp = in.sdp();
  step(self, ev);

  return {
      [=](leg_atom, const v1::LegEvent& le) { on_leg(self, le); },
      [=](timer_atom, uint64_t gen) {
        auto& c = self->state.c;
        call_event t(c.state == call_state::routing ? call_event::router_timeout
                                                    : call_event::no_answer_timeout);
        t.timer_gen = gen;
        // An overflow to a DN needs that DN's route, and to a Voicemail DN
        // the mailbox of the DN (or its agent) that did not answer.
        if (t.what == call_event::no_answer_timeout && c.no_answer.overflow != "recall" &&
            c.no_answer.overflow != "release") {
          const auto& cfg = *self->state.sh->cfg;
          auto dir = self->state.sh->dir.snapshot();
          t.target = target_for(cfg, dir, c.no_answer.overflow, nullptr);
          voicemail_for(cfg, t.target, c.agent_dn, agent_on(*dir.agents, c.agent_dn), c.rp);
        }
        if (t.what == call_event::router_timeout)
          t.target = self->state.settings.default_route;
        step(self, t);
      },
      [=](conf_atom, const v1::ConfRequest& req, const std::string& reply_to) {
        auto& s = self->state;
        auto what = req.op() == v1::CONF_JOIN ? call_event::conf_join : call_event::conf_leave;
        auto refusal = mix_refusal(s.c, what, "");
        if (!refusal.empty()) {
          if (!reply_to.empty())
            s.sh->nats->publish(reply_to, conf_answer(req, refusal));
          return;
        }
        s.conf_reply_to = reply_to;
        s.conf_req = req;
        call_event ev(what);
        ev.conf_id = req.conf_id();
        ev.uri = conf_uri(s.sh->cfg->asterisk.str(), req.conf_id(),
                          req.record() ? req.conf_id() + ".wav" : "");
        step(self, ev);
      },
      [=](req_atom, const v1::TRequest& req, const std::string& reply_to) {
        auto& s = self->state;
        auto reply = [&](const v1::TEvent& ev) {
          if (!reply_to.empty())
            s.sh->nats->publish(reply_to, ev);
        };
        if (transfer_request(self, req, reply_to))
          return;
        // The rest act on the customer's call: not on a consultation's ConnID.
        if (!req.conn_id().empty() && req.conn_id() != s.c.conn_id)
          return reply(make_error(req, v1::ERR_INVALID_STATE,
                                  "ConnID " + req.conn_id() + " is the consultation call of " +
                                      s.c.conn_id + ": " + v1::RequestType_Name(req.type()) +
                                      " is for ConnID " + s.c.conn_id,
                                  now_us()));
        if (req.type() == v1::TRouteCall) {
          if (!can_route(s.c))
            return reply(make_error(req, v1::ERR_INVALID_STATE,
                                    "ConnID " + s.c.conn_id + " is not waiting for a route",
                                    now_us()));
          auto record = record_extension(&req.extensions());
          if (!record.empty() && record != "source" && record != "destination")
            return reply(make_error(req, v1::ERR_BAD_REQUEST,
                                    "Extensions record must be source or destination", now_us()));
          auto target = target_for(*s.sh->cfg, s.sh->dir.snapshot(), req.other_dn(),
                                   &req.extensions());
          // A router sending the call to voicemail (max-wait, say): the RP's.
          voicemail_for(*s.sh->cfg, target, "", "", s.c.rp);
          if (target.contact_uri.empty() && s.sh->cfg->find_dn(req.other_dn()))
            return reply(make_error(req, v1::ERR_INVALID_STATE,
                                    "OtherDN " + req.other_dn() + " has no registered phone",
                                    now_us()));
          if (target.contact_uri.empty())
            return reply(make_error(req, v1::ERR_UNKNOWN_DN,
                                    "OtherDN " + req.other_dn() + " is not configured", now_us()));
          call_event ev(call_event::route);
          ev.target = target;
          step(self, ev);
          v1::TEvent ack;
          ack.set_schema(v1::SCHEMA_V1);
          ack.set_type(v1::EventRouteUsed);
          ack.set_reference_id(req.reference_id());
          ack.set_this_dn(s.c.rp);
          ack.set_other_dn(req.other_dn());
          ack.set_conn_id(s.c.conn_id);
          return reply(ack);
        }
        if (req.type() == v1::TAnswerCall)
          return answer_call(self, req, reply_to);
        if (req.type() == v1::TApplyTreatment) {
          auto refusal = treatment_refusal(s.c, req.this_dn());
          if (!refusal.empty())
            return reply(make_error(req, v1::ERR_INVALID_STATE, refusal, now_us()));
          auto mr = treatment_request(req.treatment_type(), req.treatment_parms(),
                                      s.sh->cfg->asterisk.str());
          if (!mr.error.empty())
            return reply(make_error(req, v1::ERR_BAD_REQUEST, mr.error, now_us()));
          s.treatment_reply = {reply_to, req,
                               {v1::EventTreatmentApplied, v1::EventTreatmentNotApplied}};
          call_event ev(call_event::treatment);
          ev.uri = mr.uri;
          ev.collects = mr.collects;
          return step(self, ev);
        }
        if (req.type() == v1::TReleaseCall) {
          if (req.this_dn() != s.c.agent_dn || s.c.state != call_state::established)
            return reply(make_error(req, v1::ERR_INVALID_STATE,
                                    "DN " + req.this_dn() + " has no established call " +
                                        s.c.conn_id,
                                    now_us()));
          call_event ev(call_event::release);
          ev.dn = req.this_dn();
          step(self, ev);
          v1::TEvent ack;
          ack.set_schema(v1::SCHEMA_V1);
          ack.set_type(v1::EventReleased);
          ack.set_reference_id(req.reference_id());
          ack.set_this_dn(req.this_dn());
          ack.set_conn_id(s.c.conn_id);
          return reply(ack);
        }
        if (req.type() == v1::TAttachUserData || req.type() == v1::TUpdateUserData ||
            req.type() == v1::TDeleteUserData) {
          auto refusal = user_data_refusal(s.c, req.this_dn());
          if (!refusal.empty())
            return reply(make_error(req, v1::ERR_INVALID_STATE, refusal, now_us()));
          bool remove = req.type() == v1::TDeleteUserData;
          if (!remove && req.user_data().pairs().empty())
            return reply(make_error(req, v1::ERR_BAD_REQUEST,
                                    v1::RequestType_Name(req.type()) + " without UserData",
                                    now_us()));
          call_event ev(call_event::user_data_change);
          ev.dn = req.this_dn();
          ev.user_data = req.user_data();
          ev.delete_data = remove;
          step(self, ev);
          return reply(call_ack(s, req, v1::EventAttachedDataChanged));
        }
        if (req.type() == v1::THoldCall || req.type() == v1::TRetrieveCall) {
          bool retrieve = req.type() == v1::TRetrieveCall;
          auto refusal = hold_refusal(s.c, req.this_dn(), retrieve);
          if (!refusal.empty())
            return reply(make_error(req, v1::ERR_INVALID_STATE, refusal, now_us()));
          s.hold_reply = {reply_to, req,
                          {retrieve ? v1::EventRetrieved : v1::EventHeld, v1::EventError}};
          call_event ev(retrieve ? call_event::retrieve : call_event::hold);
          ev.dn = req.this_dn();
          return step(self, ev);
        }
        if (req.type() == v1::TStartRecording || req.type() == v1::TStopRecording) {
          bool start = req.type() == v1::TStartRecording;
          auto what = start ? call_event::record_start : call_event::record_stop;
          auto refusal = mix_refusal(s.c, what, req.this_dn());
          if (!refusal.empty())
            return reply(make_error(req, v1::ERR_INVALID_STATE, refusal, now_us()));
          s.record_reply = {reply_to, req, {v1::EventAttachedDataChanged, v1::EventError}};
          call_event ev(what);
          ev.dn = req.this_dn();
          return step(self, ev);
        }
        if (req.type() == v1::TSendDTMF) {
          auto refusal = dtmf_refusal(s.c, req.this_dn());
          if (!refusal.empty())
            return reply(make_error(req, v1::ERR_INVALID_STATE, refusal, now_us()));
          auto bad = dtmf_digits_error(req.dtmf_digits());
          if (!bad.empty())
            return reply(make_error(req, v1::ERR_BAD_REQUEST, bad, now_us()));
          call_event ev(call_event::send_dtmf);
          ev.dn = req.this_dn();
          ev.digits = req.dtmf_digits();
          step(self, ev);
          auto ack = call_ack(s, req, v1::EventDTMFSent);
          add_dtmf_digits(ack, req.dtmf_digits());
          return reply(ack);
        }
        reply(make_error(req, v1::ERR_UNSUPPORTED,
                         v1::RequestType_Name(req.type()) + " is not supported yet", now_us()));
      },
  };
}

}  // namespace

caf::actor spawn_call(caf::event_based_actor* registry, shared* sh, std::string conn_id,
                      v1::LegEvent incoming) {
  return registry->spawn<caf::monitored + caf::linked>(
      call_behavior, sh, caf::actor_cast<caf::actor>(registry), std::move(conn_id),
      std::move(incoming));
}

}  // namespace sipcc::callctl
