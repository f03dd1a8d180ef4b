#include "sipcc/make_call_fsm.hpp"

#include "sipcc/sdp.hpp"

namespace sipcc {

const char* to_string(make_call_state s) {
  switch (s) {
    case make_call_state::dialing: return "dialing";
    case make_call_state::calling: return "calling";
    case make_call_state::ringback: return "ringback";
    case make_call_state::joining: return "joining";
    case make_call_state::established: return "established";
    case make_call_state::ended: return "ended";
  }
  return "?";
}

namespace {

using act = make_call_action;
using out = std::vector<act>;

act leg_action(act::kind k, const std::string& leg, const std::string& sdp = "") {
  act a{k};
  a.leg = leg;
  a.sdp = sdp;
  return a;
}

act emit(v1::EventType type, const std::string& dn, const std::string& other_dn,
         const std::string& reason = "") {
  act a{act::emit};
  a.event = type;
  a.dn = dn;
  a.other_dn = other_dn;
  a.text = reason;
  return a;
}

act fact(const std::string& dn, bool active, bool answered) {
  act a{act::call_fact};
  a.dn = dn;
  a.active = active;
  a.answered = answered;
  return a;
}

// The end of the call on both DNs; the legs are already taken care of.
void released(make_call& c, out& o, const std::string& reason) {
  bool was_up = c.state == make_call_state::established;
  o.push_back(fact(c.this_dn, false, was_up));
  o.push_back(emit(v1::EventReleased, c.this_dn, c.other_dn, reason));
  if (c.other_configured) {
    o.push_back(fact(c.other_dn, false, was_up));
    // OtherDN only hears of a call that reached it.
    if (c.other_rang || was_up)
      o.push_back(emit(v1::EventReleased, c.other_dn, c.this_dn, reason));
  }
  o.push_back(act{act::end});
  c.state = make_call_state::ended;
}

// The agent's 2xx waits for its ACK (flow I): ACK it before the BYE, so the
// phone stops retransmitting it, with an answer rejecting its offer's
// streams (an ACK to a 2xx offer must carry an answer).
void ack_and_bye_agent(const make_call& c, out& o) {
  o.push_back(leg_action(act::ack_leg, c.agent_leg,
                         c.agent_offer.empty() ? "" : rejecting_answer(c.agent_offer)));
  o.push_back(leg_action(act::bye_leg, c.agent_leg));
}

// The agent leg's end while the destination rings: before the ringback its
// 2xx still waits for the ACK.
void drop_agent(const make_call& c, out& o) {
  if (c.state == make_call_state::calling)
    ack_and_bye_agent(c, o);
  else
    o.push_back(leg_action(act::bye_leg, c.agent_leg));
}

// Every armed timer goes stale; a positive delay arms a new one.
void restart_timer(make_call& c, out& o, uint32_t ms) {
  ++c.timer_gen;
  if (ms == 0)
    return;
  act t{act::arm_timer};
  t.ms = ms;
  o.push_back(t);
}

void established(make_call& c, out& o) {
  o.push_back(emit(v1::EventEstablished, c.this_dn, c.other_dn));
  if (c.other_configured)
    o.push_back(emit(v1::EventEstablished, c.other_dn, c.this_dn));
  c.state = make_call_state::established;
}

void ring_once(make_call& c, out& o) {
  if (c.other_configured && !c.other_rang) {
    c.other_rang = true;
    o.push_back(emit(v1::EventRinging, c.other_dn, c.this_dn));
  }
}

// Both legs are up (the agent's 2xx ACKed): BYE each but `except`.
void bye_legs(const make_call& c, out& o, const std::string& except = "") {
  for (auto* leg : {&c.agent_leg, &c.dest_leg})
    if (*leg != except)
      o.push_back(leg_action(act::bye_leg, *leg));
}

}  // namespace

out make_call_start(make_call& c) {
  c.state = make_call_state::dialing;
  c.agent_leg = c.conn_id + "-1";
  c.dest_leg = c.conn_id + "-2";
  out o;
  // Before the INVITE: presence must not take the phone's ringing for a private call.
  o.push_back(fact(c.this_dn, true, false));
  if (c.other_configured)
    o.push_back(fact(c.other_dn, true, false));
  o.push_back(emit(v1::EventDialing, c.this_dn, c.other_dn));
  act inv{act::invite_leg};
  inv.leg = c.agent_leg;
  inv.uri = c.agent_uri;
  inv.dn = c.other_dn;  // the agent's phone shows whom it is calling
  inv.ack_later = true;
  o.push_back(inv);
  return o;
}

out make_call_step(make_call& c, const make_call_event& ev) {
  out o;
  bool from_agent = ev.leg == c.agent_leg;
  bool from_dest = ev.leg == c.dest_leg;
  bool timer = ev.what == make_call_event::timer && ev.timer_gen == c.timer_gen;
  switch (c.state) {
    case make_call_state::dialing:
      if (ev.what == make_call_event::agent_answered && from_agent) {
        if (ev.sdp.empty()) {
          ack_and_bye_agent(c, o);
          released(c, o, "agent phone sent no offer");
          return o;
        }
        c.agent_offer = ev.sdp;
        act inv{act::invite_leg};
        inv.leg = c.dest_leg;
        inv.uri = c.dest_uri;
        inv.dn = c.this_dn;
        inv.sdp = ev.sdp;
        o.push_back(inv);
        restart_timer(c, o, c.ringback_ms);
        c.state = make_call_state::calling;
      } else if (ev.what == make_call_event::agent_failed && from_agent) {
        released(c, o, "agent phone answered " + std::to_string(ev.status));
      } else if (ev.what == make_call_event::release) {
        o.push_back(leg_action(act::cancel_leg, c.agent_leg));
        released(c, o, "");
      }
      return o;
    case make_call_state::calling:
    case make_call_state::ringback:
      if (ev.what == make_call_event::dest_progress && from_dest) {
        ring_once(c, o);
      } else if (ev.what == make_call_event::dest_answered && from_dest &&
                 c.state == make_call_state::calling) {
        restart_timer(c, o, 0);
        o.push_back(leg_action(act::ack_leg, c.agent_leg, ev.sdp));
        c.sdp_to_agent = ev.sdp;
        established(c, o);
      } else if (ev.what == make_call_event::dest_answered && from_dest) {
        auto offer = session_offer(ev.sdp, c.sdp_to_agent);
        if (!offer) {
          bye_legs(c, o);
          released(c, o, "destination answered without usable SDP");
          return o;
        }
        c.sdp_to_agent = *offer;
        o.push_back(leg_action(act::reinvite_leg, c.agent_leg, *offer));
        c.state = make_call_state::joining;
      } else if (timer && c.state == make_call_state::calling) {
        // The agent's phone stops retransmitting its 2xx after 32 s and
        // hangs up: it gets an answer now, and the destination's media later.
        c.sdp_to_agent = inactive_answer(c.agent_offer);
        o.push_back(leg_action(act::ack_leg, c.agent_leg, c.sdp_to_agent));
        c.state = make_call_state::ringback;
      } else if (ev.what == make_call_event::dest_failed && from_dest) {
        drop_agent(c, o);
        released(c, o, "destination answered " + std::to_string(ev.status));
      } else if ((ev.what == make_call_event::agent_bye && from_agent) ||
                 ev.what == make_call_event::release) {
        // A 2xx crossing the CANCEL finds no call: callctl's audit drops the leg.
        o.push_back(leg_action(act::cancel_leg, c.dest_leg));
        if (ev.what == make_call_event::release)
          drop_agent(c, o);
        released(c, o, "");
      }
      return o;
    case make_call_state::joining:
      if (ev.what == make_call_event::reinvite_answered && from_agent) {
        established(c, o);
        return o;
      }
      if (ev.what == make_call_event::reinvite_failed && from_agent) {
        bye_legs(c, o);
        released(c, o,
                 "agent phone refused the destination's media with " +
                     std::to_string(ev.status));
        return o;
      }
      [[fallthrough]];
    case make_call_state::established:
      if (ev.what == make_call_event::agent_bye && from_agent) {
        bye_legs(c, o, c.agent_leg);
      } else if (ev.what == make_call_event::dest_bye && from_dest) {
        bye_legs(c, o, c.dest_leg);
      } else if (ev.what == make_call_event::release) {
        bye_legs(c, o);
      } else {
        return o;
      }
      released(c, o, "");
      return o;
    case make_call_state::ended:
      return o;
  }
  return o;
}

}  // namespace sipcc
