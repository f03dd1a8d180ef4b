// The set-up of a routed call (call_fsm.hpp: routing, alerting, connecting,
// also for a call a single-step transfer routes on), and of a direct call.
#include "callctl/model/call_fsm.hpp"


#include "callctl/model/call_fsm_steps.hpp"
#include "callctl/model/call_requests.hpp"

namespace sipcc::fsm {

namespace {

// The actor may fill the customer's leg and offer before the incoming
// event; only that event moves timer_gen off 0.
bool started(const call& c) { return c.timer_gen > 0; }

bool routable(const route_target& t) { return !t.dn.empty() && !t.contact_uri.empty(); }

// The caller is turned away: 480 to its INVITE, or a BYE once a treatment
// answered it.
void turn_away(call& c, actions& a) {
  if (c.customer_answered)
    a.push_back(act(call_action::bye_customer));
  else
    respond(a, 480);
}

// INVITE the current agent leg to the target with the customer's offer, or,
// once the customer is answered, without SDP (RFC 3725 flow I).
void invite(call& c, actions& a, const route_target& t) {
  c.sdp_to_agent = c.handover ? "" : c.customer_sdp;
  // A made call's far party is who the new agent sees calling.
  auto& inv = invite_leg(a, c.agent_leg, t.contact_uri, t.dn,
                         c.kind == call_kind::routed ? "" : far(c), c.sdp_to_agent,
                         ring_ms(t.no_answer));
  inv.ack_later = c.handover;
  inv.mailbox = t.mailbox;
  inv.other_dn = t.diverted_from;
  inv.listen = t.listen;
  inv.own_phone = t.mailbox.empty();
}

// The agent leg is gone before the call was established: the DN is free
// again, and its desktop saw a call only if it rang.
void drop_agent(call& c, actions& a, bool cancel) {
  stop_answering(c, a);
  if (cancel)
    leg_command(a, call_action::cancel_leg, c.agent_leg);
  fact(a, c.agent_dn, false);
  if (c.agent_rang)
    emit(a, v1::EventReleased, c.agent_dn, far(c));
  c.agent_leg.clear();
  c.agent_dn.clear();
  c.agent_rang = false;
  c.handover = false;
}

// The caller left before the call was established: abandoned on both DNs,
// never released (a far DN, which was up, is released).
void abandon(call& c, actions& a, call_action::kind agent_command) {
  leg_command(a, agent_command, c.agent_leg);
  fact(a, c.agent_dn, false);
  emit(a, v1::EventAbandoned, c.agent_dn, far(c));
  if (c.transferred_by.empty())  // transfers: the RP's part ended with its route
    emit(a, v1::EventAbandoned, c.rp, far(c));
  if (c.far_is_dn) {
    emit(a, v1::EventReleased, c.far_dn, c.agent_dn);
    fact(a, c.far_dn, false, true);
  }
  end(c, a);
}

void ring_once(call& c, actions& a) {
  if (c.agent_rang)
    return;
  c.agent_rang = true;
  emit(a, v1::EventRinging, c.agent_dn, far(c));
}

void on_no_answer(call& c, actions& a, const call_event& ev, const call_settings& cfg) {
  const std::string agent = c.agent_dn;
  const no_answer_policy policy = c.no_answer;
  drop_agent(c, a, true);
  if (policy.action != "none") {
    call_action x = act(call_action::agent_no_answer);
    x.dn = agent;
    x.text = policy.action;
    a.push_back(std::move(x));
  }
  if (policy.overflow == "release") {
    turn_away(c, a);
    released(c, a);
  } else if (policy.overflow != "recall" && ev.target.dn == policy.overflow &&
             routable(ev.target)) {
    route_to(c, a, ev.target, false);
  } else {
    // "recall", or an overflow DN the actor could not resolve: the Routing
    // Point gets the call back rather than the caller being dropped.
    to_routing(c, a, cfg);
  }
}

void on_incoming(call& c, const call_event& ev, actions& a, const call_settings& cfg) {
  c.ani = ev.ani;
  c.dnis = ev.dnis;
  c.rp = ev.dnis;
  c.customer_leg = ev.leg;
  c.inbound_leg = ev.leg;
  c.customer_sdp = ev.sdp;
  // Calls to anything but a Routing Point are not sipcc's to route: the
  // PBX sends those straight to the phone (the reference's rule).
  if (!cfg.routing_point) {
    ++c.timer_gen;
    respond(a, 404, "", "No Routing Point " + c.rp);
    end(c, a);
    return;
  }
  respond(a, 180);
  to_routing(c, a, cfg);
}

void on_router_timeout(call& c, actions& a, const call_settings& cfg) {
  if (c.mixing != mix_op::none) {
    // The customer's media is moving (a later treatment, a conference):
    // a route now would cross its re-INVITE. Try again in a second.
    restart_timer(c, a, 1000, call_event::router_timeout);
  } else if (routable(cfg.default_route)) {
    route_to(c, a, cfg.default_route, true);
  } else {
    turn_away(c, a);
    emit(a, v1::EventAbandoned, c.rp, far(c));
    end(c, a);
  }
}

void on_answered(call& c, const call_event& ev, actions& a, const call_settings& cfg) {
  if (c.handover && ev.sdp.empty()) {
    // Flow I needs the agent's offer in its 2xx; without one the agent
    // leg cannot be joined to the customer.
    leg_command(a, call_action::ack_leg, c.agent_leg);
    leg_command(a, call_action::bye_leg, c.agent_leg);
    drop_agent(c, a, false);
    return to_routing(c, a, cfg);
  }
  ring_once(c, a);
  if (c.handover)
    own_reinvite(c, a, c.customer_leg, ev.sdp);
  else
    respond(a, 200, ev.sdp);
  c.sdp_to_customer = ev.sdp;
  c.state = call_state::connecting;
  restart_timer(c, a, 0, call_event::router_timeout);
}

// Flow I: the customer's answer to the agent's offer, or its refusal.
void on_handover_answer(call& c, const call_event& ev, actions& a, const call_settings& cfg) {
  if (ev.what == call_event::reinvite_answered) {
    leg_command(a, call_action::ack_leg, c.agent_leg, ev.sdp);
    c.sdp_to_agent = ev.sdp;
    stop_media(c, a, "");
    drop_mix_legs(c, a);  // a waiting customer's conference
    c.handover = false;
    return established(c, a, cfg);
  }
  // The customer refused the agent's offer and stays with the media
  // server: the agent's 2xx is ACKed and hung up.
  leg_command(a, call_action::ack_leg, c.agent_leg);
  leg_command(a, call_action::bye_leg, c.agent_leg);
  drop_agent(c, a, false);
  to_routing(c, a, cfg);
}

void on_customer_left(call& c, const call_event& ev, actions& a) {
  const call_state s = c.state;
  if (s == call_state::routing && started(c) &&
      (ev.what == call_event::cancelled || c.customer_answered)) {
    emit(a, v1::EventAbandoned, c.rp, far(c));
    end(c, a);
  } else if (s == call_state::alerting &&
             (ev.what == call_event::cancelled || c.customer_answered)) {
    abandon(c, a, call_action::cancel_leg);
  } else if (s == call_state::connecting) {
    // The agent's 200 crossed the CANCEL, or the caller left before its
    // ACK: a call the desktop never saw established is abandoned.
    abandon(c, a, call_action::bye_leg);
  }
}

// The agent leg's events while it is routed to; false for the rest.
bool agent_leg_step(call& c, const call_event& ev, actions& a, const call_settings& cfg) {
  const bool current_leg = !c.agent_leg.empty() && ev.leg == c.agent_leg;
  const call_state s = c.state;
  switch (ev.what) {
    case call_event::leg_progress:
      if (s == call_state::alerting && current_leg && (ev.status == 180 || ev.status == 183))
        ring_once(c, a);
      return current_leg;
    case call_event::leg_answered:
      if (s == call_state::alerting && current_leg)
        on_answered(c, ev, a, cfg);
      return current_leg;
    case call_event::leg_failed:
      if (s == call_state::alerting && current_leg) {
        drop_agent(c, a, false);
        to_routing(c, a, cfg);
      }
      return current_leg;
    case call_event::no_answer_timeout:
      if (s == call_state::alerting && ev.timer_gen == c.timer_gen)
        on_no_answer(c, a, ev, cfg);
      return true;
    default:
      return false;
  }
}

}  // namespace

// Presence learns of the call before the phone rings, so the agent's INVITE
// is never mistaken for a private call. EventRouteUsed belongs to a decision
// taken at the Routing Point, not to a no-answer overflow.
void route_to(call& c, actions& a, const route_target& t, bool route_used) {
  if (c.media == media_state::starting)
    stop_media(c, a, "routed before the media server answered");
  c.state = call_state::alerting;
  c.handover = c.customer_answered;
  c.agent_leg = next_leg(c);
  c.agent_dn = t.dn;
  c.no_answer = t.no_answer;
  c.agent_rang = false;
  c.record_when_established = t.record;
  fact(a, t.dn, true);
  invite(c, a, t);
  if (route_used)
    emit(a, v1::EventRouteUsed, c.rp, t.dn);
  restart_timer(c, a, t.no_answer.timeout_s * 1000, call_event::no_answer_timeout);
}

void to_routing(call& c, actions& a, const call_settings& cfg) {
  if (c.rp.empty()) {
    // Nobody to recall it to: the customer is let go.
    a.push_back(act(call_action::bye_customer));
    return released(c, a);
  }
  c.state = call_state::routing;
  emit(a, v1::EventRouteRequest, c.rp, far(c));
  restart_timer(c, a, cfg.router_timeout_s * 1000, call_event::router_timeout);
}

bool routed_step(call& c, const call_event& ev, actions& a, const call_settings& cfg) {
  const call_state s = c.state;
  if (s != call_state::routing && s != call_state::alerting && s != call_state::connecting)
    return false;
  switch (ev.what) {
    case call_event::incoming:
      if (s == call_state::routing && !started(c))
        on_incoming(c, ev, a, cfg);
      return true;
    case call_event::route:
      if (can_route(c) && routable(ev.target))
        route_to(c, a, ev.target, true);
      return true;
    case call_event::router_timeout:
      if (s == call_state::routing && ev.timer_gen == c.timer_gen)
        on_router_timeout(c, a, cfg);
      return true;
    case call_event::acked:
      if (s == call_state::connecting && !c.handover)
        established(c, a, cfg);
      return true;
    case call_event::cancelled:
    case call_event::customer_bye:
      on_customer_left(c, ev, a);
      return true;
    case call_event::leg_bye:
    case call_event::release:
      // Connecting: as once established (the customer has our 2xx).
      if (s != call_state::alerting || ev.what != call_event::release || ev.dn != c.agent_dn)
        return false;
      // The desktop rejected the call: back to the Routing Point, whatever
      // the no-answer policy says (the agent did not fail to answer).
      drop_agent(c, a, true);
      to_routing(c, a, cfg);
      return true;
    case call_event::reinvite_answered:
    case call_event::reinvite_failed:
      if (!c.handover || s != call_state::connecting || ev.leg != c.customer_leg)
        return false;
      on_handover_answer(c, ev, a, cfg);
      return true;
    default:
      return agent_leg_step(c, ev, a, cfg);
  }
}

// A direct call's set-up: the phone (the agent, inbound leg) calls its
// target (the customer, an outbound leg).
bool direct_step(call& c, const call_event& ev, actions& a) {
  const call_state s = c.state;
  const bool target_leg = !c.customer_leg.empty() && ev.leg == c.customer_leg &&
                          c.kind == call_kind::direct;
  switch (ev.what) {
    case call_event::incoming_direct:
      if (s != call_state::routing || started(c))
        return true;
      c.kind = call_kind::direct;
      c.ani = ev.ani;
      c.dnis = ev.dnis;
      c.agent_dn = ev.ani;
      c.agent_leg = ev.leg;
      c.inbound_leg = ev.leg;
      c.customer_leg.clear();
      c.customer_sdp = ev.sdp;
      c.sdp_to_customer = ev.sdp;
      ++c.timer_gen;  // started; no timer is ever armed
      if (!routable(ev.target)) {
        respond(a, 403, "", "Only voicemail may be called from this phone");
        end(c, a);
        return true;
      }
      c.state = call_state::alerting;
      c.far_dn = ev.target.dn;
      c.customer_leg = next_leg(c);
      fact(a, c.agent_dn, true);
      {
        auto& inv = invite_leg(a, c.customer_leg, ev.target.contact_uri, ev.target.dn, "", ev.sdp,
                               ring_ms(ev.target.no_answer));
        inv.mailbox = ev.target.mailbox;
        inv.listen = ev.target.listen;
      }
      return true;
    case call_event::leg_progress:
      if (s == call_state::alerting && target_leg && (ev.status == 180 || ev.status == 183) &&
          !c.far_rang) {
        c.far_rang = true;
        respond(a, ev.status);
      }
      return true;
    case call_event::leg_answered:
      if (s != call_state::alerting || !target_leg)
        return true;
      respond(a, 200, ev.sdp);
      c.sdp_to_agent = ev.sdp;
      c.state = call_state::connecting;
      return true;
    case call_event::leg_failed:
      if (s != call_state::alerting || !target_leg)
        return true;
      respond(a, ev.status >= 300 ? ev.status : 480);
      released(c, a);
      return true;
    case call_event::acked:
      if (s == call_state::connecting) {
        c.state = call_state::established;
        c.customer_answered = true;
      }
      return true;
    case call_event::cancelled:
      leg_command(a, s == call_state::alerting ? call_action::cancel_leg : call_action::bye_leg,
                  c.customer_leg);
      released(c, a);
      return true;
    case call_event::reinvite:
      return pass_step(c, ev, a);  // 491: not up yet
    default:
      return up_step(c, ev, a);
  }
}

}  // namespace sipcc::fsm
