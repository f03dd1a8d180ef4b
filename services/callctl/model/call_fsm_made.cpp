// The set-up of a desktop-made call (call_fsm.hpp: make_call, dialing,
// calling, ringback, joining): RFC 3725 flow I, flow IV when the
// destination is slow. Once established it is a call like any other.
#include "callctl/model/call_fsm.hpp"

#include "callctl/model/call_fsm_steps.hpp"
#include "callctl/model/sdp.hpp"

namespace sipcc::fsm {

namespace {

// How long ThisDN's phone may ring.
constexpr uint32_t kAgentRingMs = 30000;
// How long the destination may ring: the agent's phone is answered with
// inactive media after make-call-ringback-timeout, so it need not hurry.
constexpr uint32_t kDestinationRingMs = 60000;

void start(call& c, const call_event& ev, actions& a) {
  c.kind = call_kind::made;
  c.state = call_state::dialing;
  c.agent_dn = ev.dn;
  c.ani = ev.dn;
  c.dnis = ev.target.dn;
  c.far_dn = ev.target.dn;
  c.far_is_dn = ev.far_is_dn;
  c.agent_uri = ev.uri;
  c.far_uri = ev.target.contact_uri;
  c.rp.clear();
  c.agent_leg = next_leg(c);
  c.customer_leg = next_leg(c);
  // Before the INVITE: presence must not take the phone's ringing for a private call.
  fact(a, c.agent_dn, true);
  if (c.far_is_dn)
    fact(a, c.far_dn, true);
  emit(a, v1::EventDialing, c.agent_dn, c.far_dn);
  // The agent's phone shows whom it is calling.
  auto& inv = invite_leg(a, c.agent_leg, c.agent_uri, c.agent_dn, c.far_dn, "", kAgentRingMs);
  inv.ack_later = true;
  inv.own_phone = true;
}

// The agent's 2xx waits for its ACK (flow I): ACK it before the BYE, so the
// phone stops retransmitting it, with an answer rejecting its offer's
// streams (an ACK to a 2xx offer must carry an answer).
void ack_and_bye_agent(const call& c, actions& a) {
  leg_command(a, call_action::ack_leg, c.agent_leg,
              c.agent_offer.empty() ? "" : rejecting_answer(c.agent_offer));
  leg_command(a, call_action::bye_leg, c.agent_leg);
}

// The agent leg's end while the destination rings: before the ringback its
// 2xx still waits for the ACK.
void drop_agent_leg(const call& c, actions& a) {
  if (c.state == call_state::calling)
    ack_and_bye_agent(c, a);
  else
    leg_command(a, call_action::bye_leg, c.agent_leg);
}

void ring_far(call& c, actions& a) {
  if (!c.far_is_dn || c.far_rang)
    return;
  c.far_rang = true;
  emit(a, v1::EventRinging, c.far_dn, c.agent_dn);
}

void dialing(call& c, const call_event& ev, actions& a, const call_settings& cfg) {
  const bool agent = ev.leg == c.agent_leg;
  if (ev.what == call_event::leg_answered && agent && ev.sdp.empty()) {
    ack_and_bye_agent(c, a);
    released(c, a, "agent phone sent no offer");
  } else if (ev.what == call_event::leg_answered && agent) {
    c.agent_offer = ev.sdp;
    invite_leg(a, c.customer_leg, c.far_uri, c.far_dn, c.agent_dn, ev.sdp, kDestinationRingMs);
    c.sdp_to_customer = ev.sdp;
    restart_timer(c, a, cfg.ringback_ms, call_event::ringback_timeout);
    c.state = call_state::calling;
  } else if (ev.what == call_event::leg_failed && agent) {
    released(c, a, "agent phone answered " + std::to_string(ev.status));
  } else if (ev.what == call_event::release) {
    leg_command(a, call_action::cancel_leg, c.agent_leg);
    released(c, a);
  }
}

// The destination answered: at once, or after the ringback (flow IV).
void far_answered(call& c, const call_event& ev, actions& a, const call_settings& cfg) {
  if (c.state == call_state::calling) {
    restart_timer(c, a, 0, call_event::ringback_timeout);
    leg_command(a, call_action::ack_leg, c.agent_leg, ev.sdp);
    c.sdp_to_agent = ev.sdp;
    return established(c, a, cfg);
  }
  if (!has_origin(ev.sdp)) {
    leg_command(a, call_action::bye_leg, c.agent_leg);
    leg_command(a, call_action::bye_leg, c.customer_leg);
    return released(c, a, "destination answered without usable SDP");
  }
  // In the agent's session with sipcc (the actor's stamp_origin).
  c.sdp_to_agent = ev.sdp;
  own_reinvite(c, a, c.agent_leg, ev.sdp);
  c.state = call_state::joining;
}

void ringing(call& c, const call_event& ev, actions& a, const call_settings& cfg) {
  const bool from_far = ev.leg == c.customer_leg;
  if (ev.what == call_event::leg_progress && from_far) {
    ring_far(c, a);
  } else if (ev.what == call_event::leg_answered && from_far) {
    far_answered(c, ev, a, cfg);
  } else if (ev.what == call_event::ringback_timeout && ev.timer_gen == c.timer_gen &&
             c.state == call_state::calling) {
    // The agent's phone stops retransmitting its 2xx after 32 s and
    // hangs up: it gets an answer now, and the destination's media later.
    c.sdp_to_agent = inactive_answer(c.agent_offer);
    leg_command(a, call_action::ack_leg, c.agent_leg, c.sdp_to_agent);
    c.state = call_state::ringback;
  } else if (ev.what == call_event::leg_failed && from_far) {
    drop_agent_leg(c, a);
    released(c, a, "destination answered " + std::to_string(ev.status));
  } else if ((ev.what == call_event::leg_bye && ev.leg == c.agent_leg) ||
             ev.what == call_event::release) {
    // A 2xx crossing the CANCEL finds no call: callctl's audit drops the leg.
    leg_command(a, call_action::cancel_leg, c.customer_leg);
    if (ev.what == call_event::release)
      drop_agent_leg(c, a);
    released(c, a);
  }
}

void joining(call& c, const call_event& ev, actions& a, const call_settings& cfg) {
  if (ev.leg != c.agent_leg || ev.what == call_event::leg_bye) {
    up_step(c, ev, a);
  } else if (ev.what == call_event::reinvite_answered) {
    established(c, a, cfg);
  } else if (ev.what == call_event::reinvite_failed) {
    leg_command(a, call_action::bye_leg, c.agent_leg);
    leg_command(a, call_action::bye_leg, c.customer_leg);
    released(c, a, "agent phone refused the destination's media with " +
                       std::to_string(ev.status));
  }
}

}  // namespace

bool made_step(call& c, const call_event& ev, actions& a, const call_settings& cfg) {
  if (ev.what == call_event::make_call) {
    if (c.state == call_state::routing && c.agent_leg.empty())
      start(c, ev, a);
    return true;
  }
  // One offer at a time, and none before the call is up (RFC 3261 14.1).
  if (ev.what == call_event::reinvite)
    return pass_step(c, ev, a);
  switch (c.state) {
    case call_state::dialing:
      dialing(c, ev, a, cfg);
      return true;
    case call_state::calling:
    case call_state::ringback:
      ringing(c, ev, a, cfg);
      return true;
    case call_state::joining:
      joining(c, ev, a, cfg);
      return true;
    default:
      return false;
  }
}

}  // namespace sipcc::fsm
