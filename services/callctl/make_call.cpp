#include "make_call.hpp"

#include <optional>

#include <spdlog/spdlog.h>

#include "call_messages.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/dn_logic.hpp"
#include "sipcc/service.hpp"

namespace sipcc::callctl {

namespace {

// How long ThisDN's phone may ring.
constexpr uint32_t kAgentRingMs = 30000;
// How long the destination may ring: the agent's phone is answered with
// inactive media after make-call-ringback-timeout, so it need not hurry.
constexpr uint32_t kDestinationRingMs = 60000;

struct state_t {
  make_call_setup setup;
  caf::actor registry;
  static inline const char* name = "make-call";
};

using actor_t = caf::stateful_actor<state_t>;

void leg_command(actor_t* self, const std::string& leg_id, v1::LegCommand cmd) {
  auto& s = self->state.setup;
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
        leg_command(self, a.leg, std::move(cmd));
        break;
      }
      case make_call_action::ack_leg:
        cmd.mutable_ack()->set_sdp(a.sdp);
        leg_command(self, a.leg, std::move(cmd));
        break;
      case make_call_action::reinvite_leg:
        cmd.mutable_reinvite()->set_sdp(a.sdp);
        leg_command(self, a.leg, std::move(cmd));
        break;
      case make_call_action::arm_timer:
        self->delayed_send(self, std::chrono::milliseconds(a.ms), timer_atom::value, c.timer_gen);
        break;
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
        if (!a.text.empty())
          set_reason(ev, a.text);
        publish_call_event(*s.nats, ev);
        // TMakeCall's reply is its EventDialing.
        if (a.event == v1::EventDialing && !s.reply_to.empty()) {
          ev.set_reference_id(s.reference_id);
          s.nats->publish(s.reply_to, ev);
          s.reply_to.clear();
        }
        break;
      }
      case make_call_action::call_fact:
        publish_call_fact(*s.nats, a.dn, c.conn_id, a.active, a.answered);
        break;
      case make_call_action::end:
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
    case v1::LegEvent::kReinvite: {
      // Hold and other mid-call offers are not built for desktop-made calls
      // yet: refuse at once, so the phone's transaction does not hang.
      v1::LegCommand cmd;
      cmd.mutable_respond()->set_status(488);
      cmd.mutable_respond()->set_phrase("Not supported on this call yet");
      cmd.mutable_respond()->set_update(le.reinvite().update());
      leg_command(self, le.leg_id(), std::move(cmd));
      return;
    }
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

caf::behavior make_call_behavior(actor_t* self, caf::actor registry, make_call_setup setup) {
  self->state.setup = std::move(setup);
  self->state.registry = std::move(registry);
  carry_out(self, make_call_start(self->state.setup.call));
  return {
      [=](leg_atom, const v1::LegEvent& le) { on_leg(self, le); },
      [=](timer_atom, uint64_t gen) {
        make_call_event ev(make_call_event::timer);
        ev.timer_gen = gen;
        carry_out(self, make_call_step(self->state.setup.call, ev));
      },
      [=](req_atom, const v1::TRequest& req, const std::string& reply_to) {
        auto& c = self->state.setup.call;
        auto reply = [&](const v1::TEvent& ev) {
          if (ev.type() == v1::EventError)
            process_counters().add(counter_id::tlib_errors, v1::ErrorCode_Name(ev.error_code()));
          if (!reply_to.empty())
            self->state.setup.nats->publish(reply_to, ev);
        };
        if (req.type() != v1::TReleaseCall)
          return reply(make_error(req, v1::ERR_UNSUPPORTED,
                                  v1::RequestType_Name(req.type()) +
                                      " is not supported on a desktop-made call yet",
                                  now_us()));
        if (req.this_dn() != c.this_dn && req.this_dn() != c.other_dn)
          return reply(make_error(req, v1::ERR_INVALID_STATE,
                                  "DN " + req.this_dn() + " is not on call " + c.conn_id,
                                  now_us()));
        carry_out(self, make_call_step(c, make_call_event(make_call_event::release)));
        auto ack = call_tevent(v1::EventReleased, req.this_dn(), "", c.conn_id);
        ack.set_reference_id(req.reference_id());
        ack.set_timestamp_us(now_us());
        reply(ack);
      },
  };
}

}  // namespace

caf::actor spawn_make_call(caf::event_based_actor* registry, make_call_setup setup) {
  return registry->spawn<caf::monitored + caf::linked>(
      make_call_behavior, caf::actor_cast<caf::actor>(registry), std::move(setup));
}

}  // namespace sipcc::callctl
