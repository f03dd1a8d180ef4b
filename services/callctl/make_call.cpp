#include "make_call.hpp"

#include <algorithm>
#include <optional>
#include <random>

#include <spdlog/spdlog.h>

#include "call_messages.hpp"
#include "sipcc/counters.hpp"
#include "callctl/model/dtmf.hpp"
#include "sipcc/service.hpp"
#include "sipcc/tevent.hpp"

namespace sipcc::callctl {

namespace {

// How long ThisDN's phone may ring.
constexpr uint32_t kAgentRingMs = 30000;
// How long the destination may ring: the agent's phone is answered with
// inactive media after make-call-ringback-timeout, so it need not hurry.
constexpr uint32_t kDestinationRingMs = 60000;

// A request whose reply is an event of the call: the first of `on` that
// goes to its ThisDN (TMakeCall's EventDialing, THoldCall's EventHeld or
// EventError, ...).
struct pending_reply {
  std::string to;
  v1::TRequest req;
  std::vector<v1::EventType> on;
};

struct state_t {
  make_call_setup setup;
  caf::actor registry;
  leg_origins origins;
  std::vector<pending_reply> replies;
  std::minstd_rand random{std::random_device{}()};  // timer delays within their range
  static inline const char* name = "make-call";
};

using actor_t = caf::stateful_actor<state_t>;

void leg_command(actor_t* self, const std::string& leg_id, v1::LegCommand cmd) {
  auto& s = self->state.setup;
  self->state.origins.stamp(leg_id, cmd);
  publish_leg_command(*s.nats, s.edge, leg_id, std::move(cmd));
}

void carry_out(actor_t* self, const std::vector<make_call_action>& actions) {
  auto& s = self->state.setup;
  auto& c = s.call;
  for (auto& a : actions) {
    v1::LegCommand cmd;
    switch (a.what) {
      case make_call_action::invite_leg: {
        // The registry must know the leg before its first event can arrive.
        self->send(self->state.registry, leg_map_atom::value, a.leg, c.conn_id, s.edge);
        auto* inv = cmd.mutable_invite();
        inv->set_owner(s.owner);
        inv->set_conn_id(c.conn_id);
        inv->set_target_uri(a.uri);
        inv->set_from_uri("sip:" + a.dn + "@" + s.from_host);
        inv->set_sdp(a.sdp);
        inv->set_ack_later(a.ack_later);
        inv->set_timeout_ms(a.leg == c.agent_leg ? kAgentRingMs : kDestinationRingMs);
        if (a.leg == c.agent_leg)
          inv->add_headers(k_own_phone_header);
        leg_command(self, a.leg, std::move(cmd));
        break;
      }
      case make_call_action::ack_leg:
        cmd.mutable_ack()->set_sdp(a.sdp);
        leg_command(self, a.leg, std::move(cmd));
        break;
      case make_call_action::reinvite_leg:
        cmd.mutable_reinvite()->set_sdp(a.sdp);
        cmd.mutable_reinvite()->set_update(a.update);
        leg_command(self, a.leg, std::move(cmd));
        break;
      case make_call_action::respond_leg: {
        auto* r = cmd.mutable_respond();
        r->set_status(a.status);
        r->set_sdp(a.sdp);
        r->set_update(a.update);
        leg_command(self, a.leg, std::move(cmd));
        break;
      }
      case make_call_action::info_leg:
        cmd.mutable_info()->set_content_type(a.content_type);
        cmd.mutable_info()->set_body(a.body);
        leg_command(self, a.leg, std::move(cmd));
        break;
      case make_call_action::arm_timer: {
        // In 10 ms steps, as RFC 3261 14.1 draws a 491 back-off.
        std::uniform_int_distribution<uint32_t> steps(a.ms / 10, a.max_ms / 10);
        auto ms = std::max(a.ms, steps(self->state.random) * 10);
        self->delayed_send(self, std::chrono::milliseconds(ms), timer_atom::value, c.timer_gen);
        break;
      }
      case make_call_action::cancel_leg:
        cmd.mutable_cancel();
        leg_command(self, a.leg, std::move(cmd));
        break;
      case make_call_action::bye_leg:
        cmd.mutable_bye();
        leg_command(self, a.leg, std::move(cmd));
        break;
      case make_call_action::emit: {
        auto ev = call_tevent(a.event, a.dn, a.other_dn, c.conn_id);
        *ev.mutable_user_data() = c.user_data;
        set_emitted(ev, a.text, a.digits);  // EventError: a hold or retrieve offer refused
        publish_call_event(*s.nats, ev);
        auto& replies = self->state.replies;
        for (auto r = replies.begin(); r != replies.end(); ++r) {
          if (r->req.this_dn() != a.dn ||
              std::find(r->on.begin(), r->on.end(), a.event) == r->on.end())
            continue;
          ev.set_reference_id(r->req.reference_id());
          s.nats->publish(r->to, ev);
          replies.erase(r);
          break;
        }
        break;
      }
      case make_call_action::call_fact:
        publish_call_fact(*s.nats, a.dn, c.conn_id, a.active, a.answered);
        break;
      case make_call_action::end:
        // A request the end overtook (a hold or retrieve) still gets an answer.
        for (auto& r : self->state.replies)
          s.nats->publish(r.to, make_error(r.req, v1::ERR_INVALID_STATE,
                                           "ConnID " + c.conn_id + " ended first", now_us()));
        spdlog::info("ConnID {}: call ended", c.conn_id);
        self->quit();
        return;
    }
  }
}

void on_leg(actor_t* self, const v1::LegEvent& le) {
  auto& s = self->state.setup;
  auto& c = s.call;
  bool agent = le.leg_id() == c.agent_leg;
  using E = make_call_event;
  std::optional<E> ev;
  switch (le.ev_case()) {
    case v1::LegEvent::kProgress:
      ev.emplace(E::dest_progress);
      break;
    case v1::LegEvent::kAnswered:
      ev.emplace(le.answered().reinvite() ? E::reinvite_answered
                 : agent                  ? E::agent_answered
                                          : E::dest_answered);
      ev->sdp = le.answered().sdp();
      break;
    case v1::LegEvent::kFailed:
      ev.emplace(le.failed().reinvite() ? E::reinvite_failed
                 : agent                ? E::agent_failed
                                        : E::dest_failed);
      ev->status = le.failed().status();
      break;
    case v1::LegEvent::kBye:
      ev.emplace(agent ? E::agent_bye : E::dest_bye);
      break;
    case v1::LegEvent::kReinvite:
      ev.emplace(E::reinvite);
      ev->sdp = le.reinvite().sdp();
      ev->update = le.reinvite().update();
      break;
    case v1::LegEvent::kGone: {
      // A leg that ends without its usual event (a lost message, an edge
      // restart): before its answer it failed, after it the far end left.
      bool answered = agent ? c.state != make_call_state::dialing
                            : c.state == make_call_state::joining ||
                                  c.state == make_call_state::established;
      ev.emplace(agent ? (answered ? E::agent_bye : E::agent_failed)
                       : (answered ? E::dest_bye : E::dest_failed));
      ev->status = 480;
      break;
    }
    default:
      return;
  }
  ev->leg = le.leg_id();
  carry_out(self, make_call_step(c, *ev));
}

// Every check comes before the FSM step, so a refused request sends no SIP;
// the reply of an accepted one is the event it gives.
void on_request(actor_t* self, const v1::TRequest& req, const std::string& reply_to) {
  auto& c = self->state.setup.call;
  const auto& dn = req.this_dn();
  auto refuse = [&](v1::ErrorCode code, const std::string& message) {
    process_counters().add(counter_id::tlib_errors, v1::ErrorCode_Name(code));
    if (!reply_to.empty())
      self->state.setup.nats->publish(reply_to, make_error(req, code, message, now_us()));
  };
  // The reply is the first of `on` that the step gives on ThisDN.
  auto step = [&](make_call_event ev, std::vector<v1::EventType> on) {
    if (!reply_to.empty())
      self->state.replies.push_back({reply_to, req, std::move(on)});
    ev.dn = dn;
    carry_out(self, make_call_step(c, ev));
  };
  using E = make_call_event;
  switch (req.type()) {
    case v1::TReleaseCall: {
      if (dn != c.this_dn && dn != c.other_dn)
        return refuse(v1::ERR_INVALID_STATE, "DN " + dn + " is not on call " + c.conn_id);
      carry_out(self, make_call_step(c, E(E::release)));
      auto ack = call_tevent(v1::EventReleased, dn, "", c.conn_id);
      ack.set_reference_id(req.reference_id());
      ack.set_timestamp_us(now_us());
      if (!reply_to.empty())
        self->state.setup.nats->publish(reply_to, ack);
      return;
    }
    case v1::THoldCall:
    case v1::TRetrieveCall: {
      bool retrieve = req.type() == v1::TRetrieveCall;
      auto refusal = make_call_hold_refusal(c, dn, retrieve);
      if (!refusal.empty())
        return refuse(v1::ERR_INVALID_STATE, refusal);
      return step(E(retrieve ? E::retrieve : E::hold),
                  {retrieve ? v1::EventRetrieved : v1::EventHeld, v1::EventError});
    }
    case v1::TAttachUserData:
    case v1::TUpdateUserData:
    case v1::TDeleteUserData: {
      auto refusal = make_call_user_data_refusal(c, dn);
      if (!refusal.empty())
        return refuse(v1::ERR_INVALID_STATE, refusal);
      E ev(E::user_data_change);
      ev.delete_data = req.type() == v1::TDeleteUserData;
      if (!ev.delete_data && req.user_data().pairs().empty())
        return refuse(v1::ERR_BAD_REQUEST, v1::RequestType_Name(req.type()) + " without UserData");
      ev.user_data = req.user_data();
      return step(ev, {v1::EventAttachedDataChanged});
    }
    case v1::TSendDTMF: {
      auto refusal = make_call_dtmf_refusal(c, dn);
      if (!refusal.empty())
        return refuse(v1::ERR_INVALID_STATE, refusal);
      auto bad = dtmf_digits_error(req.dtmf_digits());
      if (!bad.empty())
        return refuse(v1::ERR_BAD_REQUEST, bad);
      E ev(E::send_dtmf);
      ev.digits = req.dtmf_digits();
      return step(ev, {v1::EventDTMFSent});
    }
    default:
      return refuse(v1::ERR_UNSUPPORTED, v1::RequestType_Name(req.type()) +
                                             " is not supported on a desktop-made call yet");
  }
}

caf::behavior make_call_behavior(actor_t* self, caf::actor registry, make_call_setup setup) {
  self->state.setup = std::move(setup);
  self->state.registry = std::move(registry);
  auto& s = self->state.setup;
  // TMakeCall's reply is its EventDialing.
  if (!s.reply_to.empty())
    self->state.replies.push_back({s.reply_to, s.request, {v1::EventDialing}});
  carry_out(self, make_call_start(self->state.setup.call));
  return {
      [=](leg_atom, const v1::LegEvent& le) { on_leg(self, le); },
      [=](conf_atom, const v1::ConfRequest& req, const std::string& reply_to) {
        if (!reply_to.empty())
          self->state.setup.nats->publish(
              reply_to, conf_answer(req, "ConnID " + req.conn_id() +
                                             " is a desktop-made call: no conferences on it yet"));
      },
      [=](timer_atom, uint64_t gen) {
        make_call_event ev(make_call_event::timer);
        ev.timer_gen = gen;
        carry_out(self, make_call_step(self->state.setup.call, ev));
      },
      [=](req_atom, const v1::TRequest& req, const std::string& reply_to) {
        on_request(self, req, reply_to);
      },
  };
}

}  // namespace

caf::actor spawn_make_call(caf::event_based_actor* registry, make_call_setup setup) {
  return registry->spawn<caf::monitored + caf::linked>(
      make_call_behavior, caf::actor_cast<caf::actor>(registry), std::move(setup));
}

}  // namespace sipcc::callctl
