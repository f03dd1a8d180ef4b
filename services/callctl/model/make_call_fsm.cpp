#include "callctl/model/make_call_fsm.hpp"

#include "callctl/model/dtmf.hpp"
#include "callctl/model/sdp.hpp"
#include "callctl/model/user_data.hpp"

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

// OtherDN only hears of a call that reached it: a configured DN that rang or was up.
bool other_in_call(const make_call& c) {
  return c.other_configured && (c.other_rang || c.state == make_call_state::established);
}

}  // namespace

std::string make_call_hold_refusal(const make_call& c, const std::string& dn, bool retrieve) {
  const std::string conn = "ConnID " + c.conn_id;
  if (c.state != make_call_state::established || dn != c.this_dn)
    return "DN " + dn + " has no established call " + c.conn_id;
  if (c.holding != make_call_hold::none || !c.passing_from.empty())
    return conn + " has a re-INVITE in progress";
  if (!retrieve && c.held)
    return conn + " is held already";
  if (retrieve && !c.held)
    return conn + " is not held";
  if (!hold_offer(c.sdp_to_dest, "sendrecv") || !hold_offer(c.sdp_to_agent, "sendrecv"))
    return conn + ": no SDP sent to both legs to derive the offers from";
  return "";
}

std::string make_call_user_data_refusal(const make_call& c, const std::string& dn) {
  bool party = dn == c.this_dn || (dn == c.other_dn && other_in_call(c));
  if (c.state == make_call_state::ended || !party)
    return "DN " + dn + " is no party of ConnID " + c.conn_id;
  return "";
}

std::string make_call_dtmf_refusal(const make_call& c, const std::string& dn) {
  if (c.state != make_call_state::established || dn != c.this_dn)
    return "DN " + dn + " has no established call " + c.conn_id;
  return "";
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
    if (other_in_call(c))
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

// Every armed timer goes stale; a positive delay (`ms` to `max_ms`) arms a new one.
void restart_timer(make_call& c, out& o, uint32_t ms, uint32_t max_ms) {
  ++c.timer_gen;
  if (ms == 0)
    return;
  act t{act::arm_timer};
  t.ms = ms;
  t.max_ms = max_ms;
  o.push_back(t);
}

// RFC 3261 14.1: the owner of the dialog's Call-ID waits 2.1-4 s after a 491.
constexpr uint32_t kRetryMinMs = 2100;
constexpr uint32_t kRetryMaxMs = 4000;

// The first send of one of sipcc's own re-INVITEs.
void own_reinvite(make_call& c, out& o, const std::string& leg, const std::string& sdp) {
  c.reinvite_tries = 1;
  o.push_back(leg_action(act::reinvite_leg, leg, sdp));
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

const std::string& other_leg(const make_call& c, const std::string& leg) {
  return leg == c.agent_leg ? c.dest_leg : c.agent_leg;
}

std::string& sdp_to(make_call& c, const std::string& leg) {
  return leg == c.agent_leg ? c.sdp_to_agent : c.sdp_to_dest;
}

// A hold puts the destination on sendonly and the agent's phone on inactive
// (nothing plays to the destination, so neither side sends); a retrieve
// puts both back to sendrecv. make_call_hold_refusal made sure both offers
// can be derived.
void hold_reinvite(make_call& c, out& o, const std::string& leg, bool hold) {
  const char* direction = !hold ? "sendrecv" : leg == c.agent_leg ? "inactive" : "sendonly";
  auto& last = sdp_to(c, leg);
  last = hold_offer(last, direction).value_or(last);
  own_reinvite(c, o, leg, last);
}

// The answer (or failure) of one re-INVITE of a hold or retrieve.
void hold_answer(make_call& c, out& o, const make_call_event& ev) {
  const bool ok = ev.what == make_call_event::reinvite_answered;
  const std::string refused = std::string(" refused the ") +
                              (c.hold_wanted ? "hold" : "retrieve") + " offer with " +
                              std::to_string(ev.status);
  const bool on_dest = ev.leg == c.dest_leg;
  if (c.holding == make_call_hold::dest && on_dest && ok) {
    c.holding = make_call_hold::agent;
    hold_reinvite(c, o, c.agent_leg, c.hold_wanted);
  } else if (c.holding == make_call_hold::dest && on_dest) {
    c.holding = make_call_hold::none;
    o.push_back(emit(v1::EventError, c.this_dn, c.other_dn, "the other party" + refused));
  } else if (c.holding == make_call_hold::agent && ev.leg == c.agent_leg && ok) {
    c.holding = make_call_hold::none;
    c.held = c.hold_wanted;
    o.push_back(emit(c.held ? v1::EventHeld : v1::EventRetrieved, c.this_dn, c.other_dn));
  } else if (c.holding == make_call_hold::agent && ev.leg == c.agent_leg) {
    // The destination has the new direction already: it goes back.
    c.holding = make_call_hold::undo;
    c.hold_error = "the agent's phone" + refused;
    hold_reinvite(c, o, c.dest_leg, !c.hold_wanted);
  } else if (c.holding == make_call_hold::undo && on_dest) {
    c.holding = make_call_hold::none;
    o.push_back(emit(v1::EventError, c.this_dn, c.other_dn, c.hold_error));
  }
}

// A phone's re-INVITE or UPDATE offer: passed to the other leg when the
// call is up and nothing else is in progress (RFC 3261 14.1: else 491).
void pass_reinvite(make_call& c, out& o, const make_call_event& ev) {
  if (ev.leg != c.agent_leg && ev.leg != c.dest_leg)
    return;
  if (c.state != make_call_state::established || c.holding != make_call_hold::none ||
      !c.passing_from.empty()) {
    act r = leg_action(act::respond_leg, ev.leg);
    r.status = 491;
    r.update = ev.update;
    o.push_back(r);
    return;
  }
  c.passing_from = ev.leg;
  c.passing_update = ev.update;
  const auto& to = other_leg(c, ev.leg);
  sdp_to(c, to) = ev.sdp;
  act r = leg_action(act::reinvite_leg, to, ev.sdp);
  r.update = ev.update;
  o.push_back(r);
}

// The other leg's answer (or failure) to a passed re-INVITE goes back.
void passed_answer(make_call& c, out& o, const make_call_event& ev) {
  if (ev.leg != other_leg(c, c.passing_from))
    return;
  act r = leg_action(act::respond_leg, c.passing_from);
  r.update = c.passing_update;
  if (ev.what == make_call_event::reinvite_answered) {
    r.status = 200;
    r.sdp = ev.sdp;
    sdp_to(c, c.passing_from) = ev.sdp;
  } else {
    r.status = ev.status >= 300 ? ev.status : 500;
  }
  o.push_back(r);
  c.passing_from.clear();
}

// The leg of sipcc's own re-INVITE under way, if any.
std::string own_reinvite_leg(const make_call& c) {
  if (c.state == make_call_state::joining || c.holding == make_call_hold::agent)
    return c.agent_leg;
  if (c.holding == make_call_hold::dest || c.holding == make_call_hold::undo)
    return c.dest_leg;
  return "";
}

// A 491 to sipcc's own re-INVITE (the phone's crossed it) arms the retry
// timer, and the timer sends it again one version up; false for the rest.
bool retry_step(make_call& c, out& o, const make_call_event& ev) {
  const auto leg = own_reinvite_leg(c);
  if (leg.empty())
    return false;
  if (ev.what == make_call_event::reinvite_failed && ev.leg == leg && ev.status == 491 &&
      c.reinvite_tries < kMaxReinviteTries) {
    c.retry_wait = true;
    restart_timer(c, o, kRetryMinMs, kRetryMaxMs);
    return true;
  }
  if (ev.what == make_call_event::timer && ev.timer_gen == c.timer_gen && c.retry_wait) {
    c.retry_wait = false;
    ++c.reinvite_tries;
    // The same offer again: the actor's stamp_origin keeps its o= version,
    // one above the last accepted body, as the refused one had.
    o.push_back(leg_action(act::reinvite_leg, leg, sdp_to(c, leg)));
    return true;
  }
  return false;
}

// Requests on the call as a whole and mid-call offers; false for the rest.
bool mid_call_step(make_call& c, out& o, const make_call_event& ev) {
  switch (ev.what) {
    case make_call_event::user_data_change:
      if (make_call_user_data_refusal(c, ev.dn).empty()) {
        change_user_data(c.user_data, ev.user_data, ev.delete_data);
        o.push_back(emit(v1::EventAttachedDataChanged, c.this_dn, c.other_dn));
        if (other_in_call(c))
          o.push_back(emit(v1::EventAttachedDataChanged, c.other_dn, c.this_dn));
      }
      return true;
    case make_call_event::send_dtmf: {
      if (!make_call_dtmf_refusal(c, ev.dn).empty() || !dtmf_digits_error(ev.digits).empty())
        return true;
      for (char d : ev.digits) {
        act info = leg_action(act::info_leg, c.dest_leg);
        info.content_type = "application/dtmf-relay";
        info.body = dtmf_relay_body(d, kDtmfDurationMs);
        o.push_back(info);
      }
      act sent = emit(v1::EventDTMFSent, c.this_dn, c.other_dn);
      sent.digits = ev.digits;
      o.push_back(sent);
      return true;
    }
    case make_call_event::hold:
    case make_call_event::retrieve:
      if (make_call_hold_refusal(c, ev.dn, ev.what == make_call_event::retrieve).empty()) {
        c.hold_wanted = ev.what == make_call_event::hold;
        c.holding = make_call_hold::dest;
        hold_reinvite(c, o, c.dest_leg, c.hold_wanted);
      }
      return true;
    case make_call_event::reinvite:
      pass_reinvite(c, o, ev);
      return true;
    case make_call_event::reinvite_answered:
    case make_call_event::reinvite_failed:
      if (c.state != make_call_state::established)
        return false;
      if (c.holding != make_call_hold::none)
        hold_answer(c, o, ev);
      else if (!c.passing_from.empty())
        passed_answer(c, o, ev);
      return true;
    default:
      return false;
  }
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
  if (c.state != make_call_state::ended && (retry_step(c, o, ev) || mid_call_step(c, o, ev)))
    return o;
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
        c.sdp_to_dest = ev.sdp;
        o.push_back(inv);
        restart_timer(c, o, c.ringback_ms, c.ringback_ms);
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
        restart_timer(c, o, 0, 0);
        o.push_back(leg_action(act::ack_leg, c.agent_leg, ev.sdp));
        c.sdp_to_agent = ev.sdp;
        established(c, o);
      } else if (ev.what == make_call_event::dest_answered && from_dest) {
        if (!has_origin(ev.sdp)) {
          bye_legs(c, o);
          released(c, o, "destination answered without usable SDP");
          return o;
        }
        // In the agent's session with sipcc (the actor's stamp_origin).
        c.sdp_to_agent = ev.sdp;
        own_reinvite(c, o, c.agent_leg, ev.sdp);
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
