// Hold and retrieve, re-INVITEs passed between the parties, and the retry of
// sipcc's own re-INVITEs after a 491 (call_fsm.hpp: THoldCall, glare).
#include "callctl/model/call_fsm.hpp"

#include "callctl/model/call_fsm_steps.hpp"
#include "callctl/model/call_requests.hpp"
#include "callctl/model/sdp.hpp"

namespace sipcc::fsm {

namespace {

// RFC 3261 14.1: the owner of the dialog's Call-ID waits 2.1-4 s after a 491.
constexpr uint32_t kRetryMinMs = 2100;
constexpr uint32_t kRetryMaxMs = 4000;

// Hold puts the customer on sendonly and the agent on inactive (RFC 3264
// 8.4; nothing plays to the customer, so neither side sends); retrieve
// puts both back to sendrecv.
const char* hold_direction(const call& c, const std::string& leg, bool hold) {
  if (!hold)
    return "sendrecv";
  return leg == c.customer_leg ? "sendonly" : "inactive";
}

// hold_refusal made sure both offers can be derived.
void reinvite_for_hold(call& c, actions& a, const std::string& leg, bool hold) {
  auto& last = leg == c.customer_leg ? c.sdp_to_customer : c.sdp_to_agent;
  last = hold_offer(last, hold_direction(c, leg, hold)).value_or(last);
  own_reinvite(c, a, leg, last);
}

// The answer (or failure) of one re-INVITE of a hold or retrieve.
void hold_answer(call& c, actions& a, const call_event& ev) {
  const bool ok = ev.what == call_event::reinvite_answered;
  const std::string refused = std::string(" refused the ") + (c.hold_wanted ? "hold" : "retrieve") +
                              " offer with " + std::to_string(ev.status);
  switch (c.holding) {
    case hold_step::none:
      break;
    case hold_step::customer:
      if (ev.leg != c.customer_leg)
        break;
      if (ok) {
        c.holding = hold_step::agent;
        reinvite_for_hold(c, a, c.agent_leg, c.hold_wanted);
      } else {
        c.holding = hold_step::none;
        emit(a, v1::EventError, c.agent_dn, far(c), far_party_name(c) + refused);
      }
      break;
    case hold_step::agent:
      if (ev.leg != c.agent_leg)
        break;
      if (ok) {
        c.holding = hold_step::none;
        c.held = c.hold_wanted;
        emit(a, c.held ? v1::EventHeld : v1::EventRetrieved, c.agent_dn, far(c));
      } else {
        // The customer has the new direction already: it goes back.
        c.holding = hold_step::undo;
        c.hold_error = "the agent's phone" + refused;
        reinvite_for_hold(c, a, c.customer_leg, !c.hold_wanted);
      }
      break;
    case hold_step::undo:
      if (ev.leg != c.customer_leg)
        break;
      c.holding = hold_step::none;
      emit(a, v1::EventError, c.agent_dn, far(c), c.hold_error);
      break;
  }
}

}  // namespace

bool retry_step(call& c, const call_event& ev, actions& a) {
  if (c.own_leg.empty())
    return false;
  const bool on_own = ev.leg == c.own_leg;
  if (ev.what == call_event::reinvite_failed && on_own && ev.status == 491 &&
      c.own_tries < kMaxReinviteTries) {
    c.retry_wait = true;
    call_action x = act(call_action::arm_timer);
    x.ms = kRetryMinMs;
    x.max_ms = kRetryMaxMs;
    x.timer = call_event::retry_timeout;
    x.gen = ++c.retry_gen;
    a.push_back(std::move(x));
    return true;
  }
  if (ev.what == call_event::retry_timeout) {
    if (ev.timer_gen == c.retry_gen && c.retry_wait) {
      c.retry_wait = false;
      ++c.own_tries;
      // The same offer again: the actor's stamp_origin keeps its o= version,
      // one above the last accepted body, as the refused one had.
      leg_command(a, call_action::reinvite_leg, c.own_leg, c.own_sdp);
    }
    return true;
  }
  if ((ev.what == call_event::reinvite_answered || ev.what == call_event::reinvite_failed) &&
      on_own) {
    // Done: whoever sent it takes the answer.
    c.own_leg.clear();
    c.own_sdp.clear();
    c.own_tries = 0;
  }
  return false;
}

bool hold_or_retrieve(call& c, const call_event& ev, actions& a) {
  switch (ev.what) {
    case call_event::hold:
    case call_event::retrieve:
      if (hold_refusal(c, ev.dn, ev.what == call_event::retrieve).empty()) {
        c.hold_wanted = ev.what == call_event::hold;
        c.holding = hold_step::customer;
        reinvite_for_hold(c, a, c.customer_leg, c.hold_wanted);
      }
      return true;
    case call_event::reinvite_answered:
    case call_event::reinvite_failed:
      if (c.holding == hold_step::none)
        return false;
      if (c.state == call_state::established)  // an answer after the end is for nobody
        hold_answer(c, a, ev);
      return true;
    default:
      return false;
  }
}

bool pass_step(call& c, const call_event& ev, actions& a) {
  switch (ev.what) {
    case call_event::reinvite: {
      const bool ours =
          ev.leg == c.customer_leg || (!c.agent_leg.empty() && ev.leg == c.agent_leg);
      if (!ours || ev.leg.empty())
        return false;
      if (c.state != call_state::established || !c.reinvite_from.empty() ||
          c.holding != hold_step::none) {
        respond_leg(a, ev.leg, ev.update, 491);
        return true;
      }
      c.reinvite_from = ev.leg;
      c.reinvite_update = ev.update;
      sdp_from(c, ev.leg == c.customer_leg ? party::customer : party::agent) = ev.sdp;
      call_action x = act(call_action::reinvite_leg);
      x.leg = ev.leg == c.customer_leg ? c.agent_leg : c.customer_leg;
      x.sdp = ev.sdp;
      x.update = ev.update;
      sent_sdp(c, x.leg, ev.sdp);
      a.push_back(std::move(x));
      return true;
    }
    case call_event::reinvite_answered:
    case call_event::reinvite_failed: {
      if (c.reinvite_from.empty())
        return false;
      const auto& target = c.reinvite_from == c.customer_leg ? c.agent_leg : c.customer_leg;
      if (ev.leg != target)
        return false;
      if (ev.what == call_event::reinvite_answered) {
        respond_leg(a, c.reinvite_from, c.reinvite_update, 200, ev.sdp);
        sent_sdp(c, c.reinvite_from, ev.sdp);
      } else {
        respond_leg(a, c.reinvite_from, c.reinvite_update, ev.status >= 300 ? ev.status : 500);
      }
      c.reinvite_from.clear();
      return true;
    }
    default:
      return false;
  }
}

}  // namespace sipcc::fsm
