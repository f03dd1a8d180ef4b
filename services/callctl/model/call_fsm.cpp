#include "callctl/model/call_fsm.hpp"

#include <algorithm>
#include <limits>

#include "callctl/model/dtmf.hpp"
#include "sipcc/media_uri.hpp"
#include "callctl/model/remote_answer.hpp"
#include "callctl/model/sdp.hpp"
#include "callctl/model/user_data.hpp"
#include "callctl/model/call_fsm_steps.hpp"

namespace sipcc {

const char* to_string(call_state s) {
  switch (s) {
    case call_state::routing: return "routing";
    case call_state::alerting: return "alerting";
    case call_state::connecting: return "connecting";
    case call_state::established: return "established";
    case call_state::ended: return "ended";
  }
  return "?";
}

// A route while the customer's media moves would cross re-INVITEs.
bool can_route(const call& c) {
  return c.state == call_state::routing && c.mixing == mix_op::none;
}

bool is_media_leg(const call& c, const std::string& leg) {
  if (leg.empty())
    return false;
  return leg == c.media_leg || leg == c.mix_leg || leg == c.customer_conf_leg ||
         leg == c.agent_conf_leg || leg == c.consult_conf_leg;
}

std::string treatment_refusal(const call& c, const std::string& dn) {
  const std::string conn = "ConnID " + c.conn_id;
  if (c.direct || c.rp != dn)
    return conn + " is not at Routing Point " + dn;
  if (c.state != call_state::routing)
    return conn + " is not waiting for a route";
  if (c.media == media_state::starting || c.media == media_state::stopping)
    return conn + " has a treatment being applied already";
  if (c.mixing != mix_op::none)
    return conn + " has a media operation in progress";
  if (!c.conf_id.empty())
    return conn + " is in conference " + c.conf_id;
  if (c.customer_sdp.empty())
    return conn + ": the caller sent no SDP offer to give the media server";
  return "";
}

namespace {

// The DN that has the call in T-Library terms: the RP while it routes, the
// agent DN from the route on; none for a direct call or once it ended.
std::string dn_party(const call& c) {
  if (c.direct || c.state == call_state::ended)
    return "";
  return c.state == call_state::routing ? c.rp : c.agent_dn;
}

}  // namespace

std::string user_data_refusal(const call& c, const std::string& dn) {
  if (dn.empty() || dn_party(c) != dn)
    return "DN " + dn + " is no party of ConnID " + c.conn_id;
  return "";
}

std::string hold_refusal(const call& c, const std::string& dn, bool retrieve) {
  const std::string conn = "ConnID " + c.conn_id;
  if (c.direct || c.state != call_state::established || dn.empty() || dn != c.agent_dn)
    return "DN " + dn + " has no established call " + c.conn_id;
  if (c.holding != hold_step::none || !c.reinvite_from.empty())
    return conn + " has a re-INVITE in progress";
  if (c.mixing != mix_op::none || !c.conf_id.empty())
    return conn + " is in a conference or recorded";
  auto transfer = transfer_hold_refusal(c);  // transfers
  if (!transfer.empty())
    return transfer;
  if (!retrieve && c.held)
    return conn + " is held already";
  if (retrieve && !c.held)
    return conn + " is not held";
  if (!hold_offer(c.sdp_to_customer, "sendrecv") || !hold_offer(c.sdp_to_agent, "sendrecv"))
    return conn + ": no SDP sent to both sides to derive the offers from";
  return "";
}

std::string mix_refusal(const call& c, call_event::kind what, const std::string& dn) {
  const std::string conn = "ConnID " + c.conn_id;
  const bool recording = what == call_event::record_start || what == call_event::record_stop;
  const bool joining = what == call_event::conf_join || what == call_event::record_start;
  if (c.direct || c.state == call_state::ended)
    return conn + " is no contact-center call";
  if (recording && (dn.empty() || dn != c.agent_dn || c.state != call_state::established))
    return "DN " + dn + " has no established call " + c.conn_id;
  const bool waiting = c.state == call_state::routing && c.customer_answered;
  if (c.state != call_state::established && !waiting)
    return conn + " is neither established nor answered at its Routing Point";
  if (c.mixing != mix_op::none || c.media == media_state::starting ||
      c.holding != hold_step::none || !c.reinvite_from.empty())
    return conn + " has a re-INVITE in progress";
  if (c.consult != consult_state::none || !c.moves.empty())
    return conn + " has a transfer under way";
  if (joining && !c.conf_id.empty())
    return conn + (c.recording ? " is being recorded already" : " is in conference " + c.conf_id);
  if (!joining && c.conf_id.empty())
    return conn + " is in no conference";
  if (!joining && c.recording != recording)
    return conn + (c.recording ? " is being recorded, not in a conference"
                               : " is in conference " + c.conf_id + ", not being recorded");
  if (joining && c.held)
    return conn + " is held";
  if (joining && (sdp_from(c, party::customer).empty() ||
                  (c.state == call_state::established && sdp_from(c, party::agent).empty())))
    return conn + ": no SDP from its parties to give the media server";
  return "";
}

std::string dtmf_refusal(const call& c, const std::string& dn) {
  if (c.direct || c.state != call_state::established || dn.empty() || dn != c.agent_dn)
    return "DN " + dn + " has no established call " + c.conn_id;
  return "";
}

// Shared with call_fsm_transfer.cpp (call_fsm_steps.hpp).
namespace fsm {

using actions = std::vector<call_action>;

call_action act(call_action::kind k) {
  call_action x{};
  x.what = k;
  return x;
}

// The actor may fill the customer's leg and offer before the incoming
// event; only that event moves timer_gen off 0.
bool started(const call& c) { return c.timer_gen > 0; }

bool routable(const route_target& t) { return !t.dn.empty() && !t.contact_uri.empty(); }

void respond(actions& a, uint32_t status, const std::string& sdp = "",
             const std::string& phrase = "") {
  call_action x = act(call_action::respond_customer);
  x.status = status;
  x.sdp = sdp;
  x.text = phrase;
  a.push_back(std::move(x));
}

void respond_leg(actions& a, const std::string& leg, bool update, uint32_t status,
                 const std::string& sdp = "") {
  call_action x = act(call_action::respond_leg);
  x.leg = leg;
  x.update = update;
  x.status = status;
  x.sdp = sdp;
  a.push_back(std::move(x));
}

void emit(actions& a, v1::EventType event, const std::string& dn, const std::string& other_dn,
          const std::string& reason = "") {
  call_action x = act(call_action::emit);
  x.event = event;
  x.dn = dn;
  x.other_dn = other_dn;
  x.text = reason;
  a.push_back(std::move(x));
}

void fact(actions& a, const std::string& dn, bool active, bool answered = false) {
  call_action x = act(call_action::call_fact);
  x.dn = dn;
  x.active = active;
  x.answered = answered;
  a.push_back(std::move(x));
}

void leg_command(actions& a, call_action::kind k, const std::string& leg,
                 const std::string& sdp = "") {
  call_action x = act(k);
  x.leg = leg;
  x.sdp = sdp;
  a.push_back(std::move(x));
}

std::string next_leg(call& c) { return c.conn_id + "-" + std::to_string(++c.outbound_legs); }

void forget_media(call& c) {
  c.media = media_state::none;
  c.media_leg.clear();
  c.media_collects = false;
  c.collected.clear();
}

// EventTreatmentEnd on the RP; a collecting treatment's carries its digits.
void treatment_end(const call& c, actions& a) {
  emit(a, v1::EventTreatmentEnd, c.rp, c.ani);
  if (c.media_collects) {
    a.back().digits = c.collected;
    a.back().collects = true;
  }
}

// Takes the media server off the call. A media leg still unanswered is
// CANCELled and remembered, so that a 2xx crossing the CANCEL gets a BYE.
void stop_media(call& c, actions& a, const std::string& reason) {
  if (c.media == media_state::playing) {
    leg_command(a, call_action::bye_leg, c.media_leg);
    treatment_end(c, a);
    forget_media(c);
  } else if (c.media == media_state::starting) {
    leg_command(a, call_action::cancel_leg, c.media_leg);
    emit(a, v1::EventTreatmentNotApplied, c.rp, c.ani, reason);
    c.media = media_state::stopping;
  }
}

// The caller is turned away: 480 to its INVITE, or a BYE once a treatment
// answered it.
void turn_away(call& c, actions& a) {
  if (c.customer_answered)
    a.push_back(act(call_action::bye_customer));
  else
    respond(a, 480);
}

// A new generation makes every armed timer stale; only a positive delay arms
// a new one (at most one arm_timer per step, tagged with c.timer_gen).
void restart_timer(call& c, actions& a, uint32_t seconds) {
  ++c.timer_gen;
  if (seconds == 0)
    return;
  call_action x = act(call_action::arm_timer);
  x.ms = seconds * 1000;
  a.push_back(std::move(x));
}

// The conference legs and the one being set up go with the call (an
// unanswered one is CANCELled).
void drop_mix_legs(call& c, actions& a) {
  if (!c.mix_leg.empty())
    leg_command(a, c.mix_ms_answered ? call_action::bye_leg : call_action::cancel_leg, c.mix_leg);
  for (auto* leg : {&c.customer_conf_leg, &c.agent_conf_leg, &c.consult_conf_leg}) {
    if (!leg->empty())
      leg_command(a, call_action::bye_leg, *leg);
    leg->clear();
  }
  c.mix_leg.clear();
  c.conf_id.clear();
}

void end(call& c, actions& a) {
  // Every TApplyTreatment still gets its outcome; a media 2xx crossing this
  // CANCEL is BYEd by the edge audit, since the leg's call is gone.
  stop_media(c, a, "the call ended");
  forget_media(c);
  drop_mix_legs(c, a);
  c.state = call_state::ended;
  a.push_back(act(call_action::end));
}

void to_routing(call& c, actions& a, const call_settings& cfg) {
  c.state = call_state::routing;
  emit(a, v1::EventRouteRequest, c.rp, c.ani);
  restart_timer(c, a, cfg.router_timeout_s);
}

// INVITE the current agent leg to the target with the customer's offer, or,
// once the customer is answered, without SDP (RFC 3725 flow I).
void invite(call& c, actions& a, const route_target& t) {
  call_action inv = act(call_action::invite_agent);
  inv.leg = c.agent_leg;
  inv.uri = t.contact_uri;
  inv.ack_later = c.handover;
  if (!c.handover)
    inv.sdp = c.customer_sdp;
  c.sdp_to_agent = inv.sdp;
  inv.dn = t.dn;
  inv.mailbox = t.mailbox;
  inv.other_dn = t.diverted_from;
  inv.listen = t.listen;
  a.push_back(std::move(inv));
}

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
  restart_timer(c, a, t.no_answer.timeout_s);
}

// A TAnswerCall still waiting when the agent leg goes gets its EventError.
void stop_answering(call& c, actions& a) {
  if (!c.answering)
    return;
  c.answering = false;
  emit(a, v1::EventError, c.agent_dn, c.ani,
       "the call left DN " + c.agent_dn + " before it was established");
}

// The agent leg is gone before the call was established: the DN is free
// again, and its desktop saw a call only if it rang.
void drop_agent(call& c, actions& a, bool cancel) {
  stop_answering(c, a);
  if (cancel)
    leg_command(a, call_action::cancel_leg, c.agent_leg);
  fact(a, c.agent_dn, false);
  if (c.agent_rang)
    emit(a, v1::EventReleased, c.agent_dn, c.ani);
  c.agent_leg.clear();
  c.agent_dn.clear();
  c.agent_rang = false;
  c.handover = false;
}

// The caller left before the call was established: abandoned on both DNs,
// never released.
void abandon(call& c, actions& a, call_action::kind agent_command) {
  leg_command(a, agent_command, c.agent_leg);
  fact(a, c.agent_dn, false);
  emit(a, v1::EventAbandoned, c.agent_dn, c.ani);
  if (c.transferred_by.empty())  // transfers: the RP's part ended with its route
    emit(a, v1::EventAbandoned, c.rp, c.ani);
  end(c, a);
}

void release(call& c, actions& a, bool bye_leg, bool bye_customer) {
  if (bye_leg)
    leg_command(a, call_action::bye_leg, c.agent_leg);
  if (bye_customer)
    a.push_back(act(call_action::bye_customer));
  // EventReleased before the fact: the fact makes presence start after-call
  // work, whose EventAgentNotReady must not overtake the release on the DN.
  emit(a, v1::EventReleased, c.agent_dn, c.ani);
  fact(a, c.agent_dn, false, true);  // the agent took this call: after-call work may follow
  end(c, a);
}

void ring_once(call& c, actions& a) {
  if (c.agent_rang)
    return;
  c.agent_rang = true;
  emit(a, v1::EventRinging, c.agent_dn, c.ani);
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
    end(c, a);
  } else if (policy.overflow != "recall" && ev.target.dn == policy.overflow &&
             routable(ev.target)) {
    route_to(c, a, ev.target, false);
  } else {
    // "recall", or an overflow DN the actor could not resolve: the Routing
    // Point gets the call back rather than the caller being dropped.
    to_routing(c, a, cfg);
  }
}

// The end of a direct call: its caller's DN is free again.
void finish_direct(call& c, actions& a) {
  fact(a, c.ani, false);
  end(c, a);
}

// The treatment's events; false for every other event.
bool media_step(call& c, const call_event& ev, actions& a) {
  const bool media_leg = !c.media_leg.empty() && ev.leg == c.media_leg;
  switch (ev.what) {
    case call_event::treatment:
      if (!treatment_refusal(c, c.rp).empty())
        break;
      c.media_leg = next_leg(c);
      c.media = media_state::starting;
      c.media_collects = ev.collects;
      {
        call_action x = act(call_action::invite_media);
        x.leg = c.media_leg;
        x.uri = ev.uri;
        x.sdp = c.customer_sdp;
        a.push_back(std::move(x));
      }
      break;
    case call_event::media_answered:
      if (!media_leg)
        break;
      if (c.media == media_state::starting && !ev.sdp.empty()) {
        respond(a, 200, ev.sdp);
        c.customer_answered = true;
        c.media = media_state::playing;
        emit(a, v1::EventTreatmentApplied, c.rp, c.ani);
      } else if (c.media == media_state::starting) {
        leg_command(a, call_action::bye_leg, c.media_leg);
        emit(a, v1::EventTreatmentNotApplied, c.rp, c.ani, "media server answered without SDP");
        forget_media(c);
      } else if (c.media == media_state::stopping) {
        leg_command(a, call_action::bye_leg, c.media_leg);  // it crossed our CANCEL
        forget_media(c);
      }
      break;
    case call_event::media_failed:
    case call_event::media_bye:
      if (!media_leg)
        break;
      if (c.media == media_state::starting)
        emit(a, v1::EventTreatmentNotApplied, c.rp, c.ani,
             "media server answered " + std::to_string(ev.status));
      else if (c.media == media_state::playing)
        treatment_end(c, a);
      forget_media(c);
      break;
    case call_event::media_digit:
      if (media_leg && c.media == media_state::playing && c.media_collects)
        c.collected += ev.digit;
      break;
    case call_event::reinvite:
      if (!media_leg)
        return false;
      // The media server plays to the customer's offer; there is nothing to
      // pass a new offer of its own to.
      respond_leg(a, ev.leg, ev.update, 488);
      break;
    default:
      return false;
  }
  return true;
}

// TAnswerCall and the phone's refusal of the talk NOTIFY; false for every
// other event. The phone's answer itself is an agent_answered as any other.
bool answer_step(call& c, const call_event& ev, actions& a) {
  switch (ev.what) {
    case call_event::answer:
      if (!answer_refusal(c, ev.dn, ev.talk ? remote_answer::talk : remote_answer::answer_after)
               .text.empty())
        break;
      c.answering = true;
      if (ev.talk)
        leg_command(a, call_action::talk_leg, c.agent_leg);
      break;
    case call_event::talk_failed:
      // Once the phone answered (by hand) the call goes on to EventEstablished.
      if (!c.answering || ev.leg != c.agent_leg || c.state != call_state::alerting)
        break;
      c.answering = false;
      emit(a, v1::EventError, c.agent_dn, c.ani,
           "the phone of DN " + c.agent_dn + " refused the talk NOTIFY with " +
               std::to_string(ev.status));
      break;
    default:
      return false;
  }
  return true;
}

// A direct call's step; false for the events it shares with routed calls
// (re-INVITEs and UPDATEs).
bool direct_step(call& c, const call_event& ev, actions& a) {
  const call_state s = c.state;
  const bool current_leg = !c.agent_leg.empty() && ev.leg == c.agent_leg;
  const bool up = s == call_state::connecting || s == call_state::established;
  switch (ev.what) {
    case call_event::incoming_direct:
      if (s != call_state::routing || started(c))
        break;
      c.direct = true;
      c.ani = ev.ani;
      c.dnis = ev.dnis;
      c.customer_leg = ev.leg;
      c.customer_sdp = ev.sdp;
      ++c.timer_gen;  // started; no timer is ever armed
      if (!routable(ev.target)) {
        respond(a, 403, "", "Only voicemail may be called from this phone");
        end(c, a);
        break;
      }
      c.state = call_state::alerting;
      c.agent_leg = next_leg(c);
      c.agent_dn = ev.target.dn;
      fact(a, c.ani, true);
      invite(c, a, ev.target);
      break;
    case call_event::agent_progress:
      if (s == call_state::alerting && current_leg && (ev.status == 180 || ev.status == 183) &&
          !c.agent_rang) {
        c.agent_rang = true;
        respond(a, ev.status);
      }
      break;
    case call_event::agent_answered:
      if (s != call_state::alerting || !current_leg)
        break;
      respond(a, 200, ev.sdp);
      c.state = call_state::connecting;
      break;
    case call_event::agent_failed:
      if (s != call_state::alerting || !current_leg)
        break;
      respond(a, ev.status >= 300 ? ev.status : 480);
      finish_direct(c, a);
      break;
    case call_event::customer_acked:
      if (s == call_state::connecting)
        c.state = call_state::established;
      break;
    case call_event::customer_cancelled:
      if (s == call_state::alerting || s == call_state::connecting) {
        leg_command(a, s == call_state::alerting ? call_action::cancel_leg
                                                 : call_action::bye_leg,
                    c.agent_leg);
        finish_direct(c, a);
      }
      break;
    case call_event::customer_bye:
      if (up) {
        leg_command(a, call_action::bye_leg, c.agent_leg);
        finish_direct(c, a);
      }
      break;
    case call_event::agent_bye:
      if (up && current_leg) {
        a.push_back(act(call_action::bye_customer));
        finish_direct(c, a);
      }
      break;
    case call_event::reinvite:
    case call_event::reinvite_answered:
    case call_event::reinvite_failed:
      return false;
    default:
      break;  // routes, timers and releases are for routed calls
  }
  return true;
}

// The SDP just sent on `leg` is what that side's next offer from sipcc
// derives from.
void sent_sdp(call& c, const std::string& leg, const std::string& sdp) {
  if (!c.consult_leg.empty() && leg == c.consult_leg)
    c.sdp_to_consult = sdp;
  else
    (leg == c.customer_leg ? c.sdp_to_customer : c.sdp_to_agent) = sdp;
}

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
  leg_command(a, call_action::reinvite_leg, leg, last);
}

// The answer (or failure) of one re-INVITE of a hold or retrieve.
void hold_answer(call& c, actions& a, const call_event& ev) {
  const bool ok = ev.what == call_event::reinvite_answered;
  const char* what = c.hold_wanted ? "hold" : "retrieve";
  const auto status = std::to_string(ev.status);
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
        emit(a, v1::EventError, c.agent_dn, c.ani,
             std::string("the customer refused the ") + what + " offer with " + status);
      }
      break;
    case hold_step::agent:
      if (ev.leg != c.agent_leg)
        break;
      if (ok) {
        c.holding = hold_step::none;
        c.held = c.hold_wanted;
        emit(a, c.held ? v1::EventHeld : v1::EventRetrieved, c.agent_dn, c.ani);
      } else {
        // The customer has the new direction already: it goes back.
        c.holding = hold_step::undo;
        c.hold_error = std::string("the agent's phone refused the ") + what + " offer with " +
                       status;
        reinvite_for_hold(c, a, c.customer_leg, !c.hold_wanted);
      }
      break;
    case hold_step::undo:
      if (ev.leg != c.customer_leg)
        break;
      c.holding = hold_step::none;
      emit(a, v1::EventError, c.agent_dn, c.ani, c.hold_error);
      break;
  }
}

// ---- conferences, recording, a treatment after the first ---------------------

const std::string& party_leg(const call& c, party p) {
  switch (p) {
    case party::customer: return c.customer_leg;
    case party::agent: return c.agent_leg;
    case party::consult: return c.consult_leg;
  }
  return c.customer_leg;
}
std::string& conf_leg(call& c, party p) {
  switch (p) {
    case party::customer: return c.customer_conf_leg;
    case party::agent: return c.agent_conf_leg;
    case party::consult: return c.consult_conf_leg;
  }
  return c.customer_conf_leg;
}

// INVITE the media server with what the party last sent.
void mix_invite(call& c, actions& a, party p) {
  c.mix_at = p;
  c.mix_ms_answered = false;
  c.mix_leg = next_leg(c);
  call_action x = act(call_action::invite_media);
  x.leg = c.mix_leg;
  x.uri = c.mix_uri;
  // Sending and receiving with the media server, whatever its last view was
  // (a held party's last SDP says recvonly).
  x.sdp = hold_offer(sdp_from(c, p), "sendrecv").value_or(sdp_from(c, p));
  a.push_back(std::move(x));
}

// Recording state in the call's user data, for every DN party to see.
void recording_data(call& c, actions& a, bool on) {
  v1::KVList kv;
  auto* file = kv.add_pairs();
  file->set_key("RecordingFile");
  file->set_str(c.record_file);
  auto* state = kv.add_pairs();
  state->set_key("RecordingState");
  state->set_str(on ? "on" : "off");
  change_user_data(c.user_data, kv, false);
  emit(a, v1::EventAttachedDataChanged, dn_party(c), c.ani);
}

// The operation is over: its outcome to whoever asked (a treatment reports
// with its own events).
void finish_mix(call& c, actions& a, const std::string& error) {
  const mix_op op = c.mixing;
  const bool joined = op == mix_op::join && error.empty();
  const bool three = c.mix_three;
  c.mixing = mix_op::none;
  c.mix_leg.clear();
  c.mix_error.clear();
  c.mix_three = false;
  if (op == mix_op::treat)
    return;
  if (three && joined) {
    conference_made(c, a);
  } else if (three) {
    conference_refused(c, a, error);
  } else if (c.recording) {
    if (!error.empty())
      emit(a, v1::EventError, c.agent_dn, c.ani, "recording: " + error);
    else
      recording_data(c, a, joined);
  } else {
    call_action x = act(call_action::conf_result);
    x.text = error;
    a.push_back(std::move(x));
  }
  if (!joined && c.customer_conf_leg.empty() && c.agent_conf_leg.empty()) {
    c.conf_id.clear();
    c.recording = false;
  }
}

// Out of the conference: the customer gets the agent's last SDP, then the
// agent the customer's answer; each conference leg goes once its party left
// it. A waiting customer has nobody to go back to: its leg just goes.
void leave_next(call& c, actions& a) {
  c.mixing = mix_op::leave;
  c.mix_ms_answered = false;
  const bool established = c.state == call_state::established;
  for (party p : {party::customer, party::agent}) {
    if (conf_leg(c, p).empty())
      continue;
    if (!established) {
      leg_command(a, call_action::bye_leg, conf_leg(c, p));
      conf_leg(c, p).clear();
      continue;
    }
    c.mix_at = p;
    c.mix_offer = sdp_from(c, p == party::agent ? party::customer : party::agent);
    leg_command(a, call_action::reinvite_leg, party_leg(c, p), c.mix_offer);
    return;
  }
  auto error = c.mix_error;
  finish_mix(c, a, error);
}

// A step of the operation failed: `leg_answered` when the media server had
// answered the leg being set up (it then gets a BYE).
void mix_failed(call& c, actions& a, const std::string& why) {
  if (!c.mix_leg.empty() && c.mix_ms_answered)
    leg_command(a, call_action::bye_leg, c.mix_leg);
  c.mix_leg.clear();
  switch (c.mixing) {
    case mix_op::none:
      break;
    case mix_op::treat:
      c.mixing = mix_op::none;
      emit(a, v1::EventTreatmentNotApplied, c.rp, c.ani, why);
      break;
    case mix_op::join:
      // A 3pcc conference takes its three parties back itself
      // (conference_refused); a customer already moved goes back before the
      // error is told.
      if (c.mix_three)
        return finish_mix(c, a, why);
      c.mix_error = why;
      leave_next(c, a);
      break;
    case mix_op::leave:
      finish_mix(c, a, why);
      break;
  }
}

// The party accepted the media server's SDP (join, treat) or the other
// party's (leave).
void mix_party_moved(call& c, actions& a) {
  // Accepted: what the party's next offer from sipcc (hold, a refresh) derives from.
  sent_sdp(c, party_leg(c, c.mix_at), c.mix_offer);
  switch (c.mixing) {
    case mix_op::none:
      break;
    case mix_op::join:
      conf_leg(c, c.mix_at) = c.mix_leg;
      c.mix_leg.clear();
      if (c.mix_at == party::customer && c.state == call_state::established) {
        mix_invite(c, a, party::agent);
        break;
      }
      if (c.mix_at == party::agent && c.mix_three) {
        mix_invite(c, a, party::consult);
        break;
      }
      stop_media(c, a, "");  // a waiting customer's treatment
      finish_mix(c, a, "");
      break;
    case mix_op::treat:
      if (c.media == media_state::playing) {
        leg_command(a, call_action::bye_leg, c.media_leg);
        treatment_end(c, a);
      }
      forget_media(c);
      c.media_leg = c.mix_leg;
      c.media = media_state::playing;
      c.media_collects = c.mix_collects;
      finish_mix(c, a, "");
      emit(a, v1::EventTreatmentApplied, c.rp, c.ani);
      break;
    case mix_op::leave:
      leg_command(a, call_action::bye_leg, conf_leg(c, c.mix_at));
      conf_leg(c, c.mix_at).clear();
      leave_next(c, a);
      break;
  }
}

void start_mix(call& c, actions& a, mix_op op, const std::string& uri, bool collects) {
  c.mixing = op;
  c.mix_uri = uri;
  c.mix_collects = collects;
  c.mix_error.clear();
  mix_invite(c, a, party::customer);
}

void start_recording(call& c, actions& a, const call_settings& cfg) {
  c.record_file = c.conn_id + "-" + std::to_string(++c.recordings) + ".wav";
  c.conf_id = "rec-" + c.record_file.substr(0, c.record_file.size() - 4);
  c.recording = true;
  start_mix(c, a, mix_op::join, conf_uri(cfg.media_server, c.conf_id, c.record_file), false);
}

// The events of conferences, recording and later treatments; false for the
// events that are not theirs.
bool mix_step(call& c, const call_event& ev, actions& a, const call_settings& cfg) {
  const bool mix_leg = !c.mix_leg.empty() && ev.leg == c.mix_leg;
  const bool party = c.mixing != mix_op::none && !ev.leg.empty() &&
                     ev.leg == party_leg(c, c.mix_at);
  const bool conf = !ev.leg.empty() && (ev.leg == c.customer_conf_leg ||
                                         ev.leg == c.agent_conf_leg || ev.leg == c.consult_conf_leg);
  switch (ev.what) {
    case call_event::conf_join:
    case call_event::record_start:
      if (mix_refusal(c, ev.what, ev.what == call_event::conf_join ? "" : ev.dn).empty()) {
        if (ev.what == call_event::record_start) {
          start_recording(c, a, cfg);
        } else {
          c.conf_id = ev.conf_id;
          c.recording = false;
          start_mix(c, a, mix_op::join, ev.uri, false);
        }
      }
      return true;
    case call_event::conf_leave:
    case call_event::record_stop:
      if (mix_refusal(c, ev.what, ev.what == call_event::conf_leave ? "" : ev.dn).empty())
        leave_next(c, a);
      return true;
    case call_event::treatment:
      if (!c.customer_answered)
        return false;  // the first one answers the customer (media_step)
      if (treatment_refusal(c, c.rp).empty())
        start_mix(c, a, mix_op::treat, ev.uri, ev.collects);
      return true;
    case call_event::media_answered:
      if (!mix_leg)
        return false;
      if (ev.sdp.empty()) {
        c.mix_ms_answered = true;
        mix_failed(c, a, "media server answered without SDP");
        return true;
      }
      c.mix_ms_answered = true;
      c.mix_offer = ev.sdp;
      leg_command(a, call_action::reinvite_leg, party_leg(c, c.mix_at), ev.sdp);
      return true;
    case call_event::media_failed:
    case call_event::media_bye:
      if (mix_leg) {
        c.mix_leg.clear();  // nothing to BYE
        mix_failed(c, a, "media server answered " + std::to_string(ev.status));
        return true;
      }
      if (!conf)
        return false;
      // The media server dropped a party: the call leaves the conference
      // (the BYE of the dropped leg goes nowhere).
      if (c.mixing == mix_op::none)
        leave_next(c, a);
      return true;
    case call_event::reinvite_answered:
      if (!party || c.mixing == mix_op::none || (c.mixing != mix_op::leave && !c.mix_ms_answered))
        return false;
      mix_party_moved(c, a);
      return true;
    case call_event::reinvite_failed:
      if (!party || (c.mixing != mix_op::leave && !c.mix_ms_answered))
        return false;
      mix_failed(c, a, std::string(c.mix_at == party::customer ? "the customer"
                                   : c.mix_at == party::agent   ? "the agent"
                                                                : "the consulted DN") +
                           " refused the re-INVITE with " + std::to_string(ev.status));
      return true;
    case call_event::reinvite:
      if (conf || mix_leg) {
        respond_leg(a, ev.leg, ev.update, 488);  // the media server's own offers
        return true;
      }
      if (ev.leg != c.customer_leg && (c.agent_leg.empty() || ev.leg != c.agent_leg) &&
          (c.consult_leg.empty() || ev.leg != c.consult_leg))
        return false;
      // One offer at a time: our own re-INVITE of the party may be out.
      if (c.mixing != mix_op::none || c.handover) {
        respond_leg(a, ev.leg, ev.update, 491);
        return true;
      }
      if (c.conf_id.empty())
        return false;
      respond_leg(a, ev.leg, ev.update, 200,
                  ev.leg == c.customer_leg ? c.sdp_to_customer : c.sdp_to_agent);
      return true;
    default:
      return false;
  }
}

// The call is up at the agent: its recording starts when asked for.
void established(call& c, actions& a, const call_settings& cfg) {
  c.state = call_state::established;
  c.answering = false;  // a TAnswerCall's wait ends here
  emit(a, v1::EventEstablished, c.agent_dn, c.ani);
  if (c.record_when_established && mix_refusal(c, call_event::record_start, c.agent_dn).empty())
    start_recording(c, a, cfg);
}

}  // namespace fsm

using namespace fsm;

// Every event but the transfers' (call_step, below).
static std::vector<call_action> step_call(call& c, const call_event& ev,
                                          const call_settings& cfg) {
  actions a;
  // Requests on the call as a whole, whatever kind of call it is.
  if (ev.what == call_event::user_data_change) {
    if (user_data_refusal(c, ev.dn).empty()) {
      change_user_data(c.user_data, ev.user_data, ev.delete_data);
      emit(a, v1::EventAttachedDataChanged, dn_party(c), c.ani);
      a.back().reply = false;
    }
    return a;
  }
  if (ev.what == call_event::send_dtmf) {
    if (!dtmf_refusal(c, ev.dn).empty() || !dtmf_digits_error(ev.digits).empty())
      return a;
    for (char d : ev.digits) {
      call_action x = act(call_action::info_leg);
      x.leg = c.customer_leg;
      x.content_type = "application/dtmf-relay";
      x.body = dtmf_relay_body(d, kDtmfDurationMs);
      a.push_back(std::move(x));
    }
    call_action x = act(call_action::emit);
    x.event = v1::EventDTMFSent;
    x.dn = c.agent_dn;
    x.other_dn = c.ani;
    x.digits = ev.digits;
    a.push_back(std::move(x));
    return a;
  }
  // What each party sent last is what the media server gets from it.
  if (!ev.sdp.empty() && !ev.leg.empty()) {
    // A re-INVITE's offer counts once passed on (one refused with 491 does not).
    const bool offer_or_answer = ev.what == call_event::reinvite_answered ||
                                 ev.what == call_event::agent_answered;
    if (ev.what == call_event::incoming || ev.what == call_event::incoming_direct ||
        (offer_or_answer && ev.leg == c.customer_leg))
      sdp_from(c, party::customer) = ev.sdp;
    else if (offer_or_answer && ev.leg == c.agent_leg)
      sdp_from(c, party::agent) = ev.sdp;
    else if (offer_or_answer && ev.leg == c.consult_leg)
      sdp_from(c, party::consult) = ev.sdp;
  }
  if (answer_step(c, ev, a))
    return a;
  if ((c.direct || ev.what == call_event::incoming_direct) && direct_step(c, ev, a))
    return a;
  if (!c.direct && mix_step(c, ev, a, cfg))
    return a;
  if (media_step(c, ev, a))
    return a;
  const call_state s = c.state;
  const bool current_leg = !c.agent_leg.empty() && ev.leg == c.agent_leg;
  const bool current_timer = ev.timer_gen == c.timer_gen;
  switch (ev.what) {
    case call_event::incoming_direct:
      break;  // handled by direct_step
    case call_event::incoming:
      if (s != call_state::routing || started(c))
        break;
      c.ani = ev.ani;
      c.dnis = ev.dnis;
      c.rp = ev.dnis;
      c.customer_leg = ev.leg;
      c.customer_sdp = ev.sdp;
      // Calls to anything but a Routing Point are not sipcc's to route: the
      // PBX sends those straight to the phone (the reference's rule).
      if (!cfg.routing_point) {
        ++c.timer_gen;
        respond(a, 404, "", "No Routing Point " + c.rp);
        end(c, a);
        break;
      }
      respond(a, 180);
      to_routing(c, a, cfg);
      break;
    case call_event::route:
      if (can_route(c) && routable(ev.target))
        route_to(c, a, ev.target, true);
      break;
    case call_event::router_timeout:
      if (s != call_state::routing || !current_timer)
        break;
      if (c.mixing != mix_op::none) {
        // The customer's media is moving (a later treatment, a conference):
        // a route now would cross its re-INVITE. Try again in a second.
        restart_timer(c, a, 1);
        break;
      }
      if (routable(cfg.default_route)) {
        route_to(c, a, cfg.default_route, true);
      } else {
        turn_away(c, a);
        emit(a, v1::EventAbandoned, c.rp, c.ani);
        end(c, a);
      }
      break;
    case call_event::agent_progress:
      if (s == call_state::alerting && current_leg && (ev.status == 180 || ev.status == 183))
        ring_once(c, a);
      break;
    case call_event::agent_answered:
      if (s != call_state::alerting || !current_leg)
        break;
      if (c.handover && ev.sdp.empty()) {
        // Flow I needs the agent's offer in its 2xx; without one the agent
        // leg cannot be joined to the customer.
        leg_command(a, call_action::ack_leg, c.agent_leg);
        leg_command(a, call_action::bye_leg, c.agent_leg);
        drop_agent(c, a, false);
        to_routing(c, a, cfg);
        break;
      }
      ring_once(c, a);
      if (c.handover)
        leg_command(a, call_action::reinvite_leg, c.customer_leg, ev.sdp);
      else
        respond(a, 200, ev.sdp);
      c.sdp_to_customer = ev.sdp;
      c.state = call_state::connecting;
      restart_timer(c, a, 0);
      break;
    case call_event::agent_failed:
      if (s != call_state::alerting || !current_leg)
        break;
      drop_agent(c, a, false);
      to_routing(c, a, cfg);
      break;
    case call_event::customer_acked:
      if (s != call_state::connecting || c.handover)
        break;
      established(c, a, cfg);
      break;
    case call_event::customer_cancelled:
      if (s == call_state::routing && started(c)) {
        emit(a, v1::EventAbandoned, c.rp, c.ani);
        end(c, a);
      } else if (s == call_state::alerting) {
        abandon(c, a, call_action::cancel_leg);
      } else if (s == call_state::connecting) {
        abandon(c, a, call_action::bye_leg);  // the agent's 200 crossed the CANCEL
      }
      break;
    case call_event::customer_bye:
      // Before the ACK the caller left a call the desktop never saw
      // established: abandoned, as for a CANCEL crossing the 200.
      if (s == call_state::connecting)
        abandon(c, a, call_action::bye_leg);
      else if (s == call_state::established)
        release(c, a, true, false);
      else if (s == call_state::alerting && c.customer_answered)
        abandon(c, a, call_action::cancel_leg);
      else if (s == call_state::routing && c.customer_answered) {
        emit(a, v1::EventAbandoned, c.rp, c.ani);
        end(c, a);
      }
      break;
    case call_event::agent_bye:
      // RFC 3261 15: the customer may be sent BYE once it has our 2xx, ACKed or not.
      if ((s == call_state::connecting || s == call_state::established) && current_leg)
        release(c, a, false, true);
      break;
    case call_event::release:
      if (c.agent_dn.empty() || ev.dn != c.agent_dn)
        break;
      if (s == call_state::alerting) {
        // The desktop rejected the call: back to the Routing Point, whatever
        // the no-answer policy says (the agent did not fail to answer).
        drop_agent(c, a, true);
        to_routing(c, a, cfg);
      } else if (s == call_state::connecting || s == call_state::established) {
        release(c, a, true, true);
      }
      break;
    case call_event::no_answer_timeout:
      if (s == call_state::alerting && current_timer)
        on_no_answer(c, a, ev, cfg);
      break;
    case call_event::reinvite: {
      bool ours = ev.leg == c.customer_leg || (!c.agent_leg.empty() && ev.leg == c.agent_leg);
      if (!ours)
        break;
      if (s != call_state::established || !c.reinvite_from.empty() ||
          c.holding != hold_step::none) {
        respond_leg(a, ev.leg, ev.update, 491);
        break;
      }
      c.reinvite_from = ev.leg;
      c.reinvite_update = ev.update;
      (ev.leg == c.customer_leg ? sdp_from(c, party::customer) : sdp_from(c, party::agent)) = ev.sdp;
      call_action x = act(call_action::reinvite_leg);
      x.leg = ev.leg == c.customer_leg ? c.agent_leg : c.customer_leg;
      x.sdp = ev.sdp;
      x.update = ev.update;
      sent_sdp(c, x.leg, ev.sdp);
      a.push_back(std::move(x));
      break;
    }
    case call_event::treatment:
    case call_event::media_answered:
    case call_event::media_failed:
    case call_event::media_bye:
    case call_event::media_digit:
      break;  // handled by media_step
    case call_event::user_data_change:
    case call_event::send_dtmf:
    case call_event::answer:
    case call_event::talk_failed:
      break;  // handled above
    case call_event::conf_join:
    case call_event::conf_leave:
    case call_event::record_start:
    case call_event::record_stop:
      break;  // handled by mix_step
    case call_event::single_step_transfer:
    case call_event::initiate_transfer:
    case call_event::complete_transfer:
    case call_event::reconnect_call:
    case call_event::alternate_call:
    case call_event::complete_conference:
    case call_event::delete_from_conference:
      break;  // transfers: handled by transfer_step (call_fsm_transfer.cpp)
    case call_event::hold:
    case call_event::retrieve:
      if (hold_refusal(c, ev.dn, ev.what == call_event::retrieve).empty()) {
        c.hold_wanted = ev.what == call_event::hold;
        c.holding = hold_step::customer;
        reinvite_for_hold(c, a, c.customer_leg, c.hold_wanted);
      }
      break;
    case call_event::reinvite_answered:
    case call_event::reinvite_failed: {
      if (c.handover && s == call_state::connecting && ev.leg == c.customer_leg) {
        if (ev.what == call_event::reinvite_answered) {
          leg_command(a, call_action::ack_leg, c.agent_leg, ev.sdp);
          c.sdp_to_agent = ev.sdp;
          stop_media(c, a, "");
          drop_mix_legs(c, a);  // a waiting customer's conference
          c.handover = false;
          established(c, a, cfg);
        } else {
          // The customer refused the agent's offer and stays with the media
          // server: the agent's 2xx is ACKed and hung up.
          leg_command(a, call_action::ack_leg, c.agent_leg);
          leg_command(a, call_action::bye_leg, c.agent_leg);
          drop_agent(c, a, false);
          to_routing(c, a, cfg);
        }
        break;
      }
      if (c.holding != hold_step::none) {
        if (s == call_state::established)  // an answer after the end is for nobody
          hold_answer(c, a, ev);
        break;
      }
      if (c.reinvite_from.empty())
        break;
      auto target = c.reinvite_from == c.customer_leg ? c.agent_leg : c.customer_leg;
      if (ev.leg != target)
        break;
      if (ev.what == call_event::reinvite_answered) {
        respond_leg(a, c.reinvite_from, c.reinvite_update, 200, ev.sdp);
        sent_sdp(c, c.reinvite_from, ev.sdp);
      }
      else
        respond_leg(a, c.reinvite_from, c.reinvite_update, ev.status >= 300 ? ev.status : 500);
      c.reinvite_from.clear();
      break;
    }
  }
  return a;
}

std::vector<call_action> call_step(call& c, const call_event& ev, const call_settings& cfg) {
  // transfers: their requests, and the events of a consultation or of the
  // re-INVITEs a transfer request makes; then everything else.
  actions a;
  if (transfer_step(c, ev, a, cfg))
    return a;
  const transfer_watch watch(c);
  a = step_call(c, ev, cfg);
  watch.name_transferrer(c, a);
  return a;
}

namespace {

// "30" -> 30; anything else (sign, blanks, overflow) is not a timeout.
std::optional<uint32_t> parse_seconds(const std::string& s) {
  if (s.empty() || s.size() > 10)
    return std::nullopt;
  uint64_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9')
      return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(ch - '0');
  }
  if (v > std::numeric_limits<uint32_t>::max() / 1000)
    return std::nullopt;
  return static_cast<uint32_t>(v);
}

bool valid_action(const std::string& s) {
  return s == "none" || s == "notready" || s == "logout";
}

bool valid_overflow(const std::string& s) { return !s.empty(); }

// Extensions come from desktops and routers: a value of the wrong type or
// out of range falls through to the configured levels.
std::optional<std::string> extension(const v1::KVList* list, const std::string& key) {
  if (!list)
    return std::nullopt;
  for (const auto& kv : list->pairs()) {
    if (kv.key() != key)
      continue;
    if (kv.value_case() == v1::KVPair::kStr)
      return kv.str();
    if (kv.value_case() == v1::KVPair::kNum)
      return std::to_string(kv.num());
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::string> option(const std::map<std::string, std::string>* opts,
                                  const std::string& key) {
  if (!opts)
    return std::nullopt;
  auto it = opts->find(key);
  if (it == opts->end())
    return std::nullopt;
  return it->second;
}

// The first candidate that is present and valid.
template <typename T, typename Parse>
std::optional<T> first(const std::vector<std::optional<std::string>>& candidates, Parse parse) {
  for (const auto& c : candidates) {
    if (!c)
      continue;
    if (auto v = parse(*c))
      return v;
  }
  return std::nullopt;
}

}  // namespace

no_answer_policy resolve_no_answer(const no_answer_sources& src) {
  const std::string app = src.agent_logged_in ? "agent-no-answer-" : "extn-no-answer-";
  auto candidates = [&](const std::string& ext_key, const std::string& suffix, bool dn_level,
                        bool app_level) {
    std::vector<std::optional<std::string>> out{
        extension(src.extensions, ext_key),
        option(src.agent_options, "no-answer-" + suffix),
    };
    if (dn_level)
      out.push_back(option(src.dn_options, "no-answer-" + suffix));
    if (app_level)
      out.push_back(option(src.app_options, app + suffix));
    return out;
  };
  auto text = [](bool (*valid)(const std::string&)) {
    return [valid](const std::string& s) -> std::optional<std::string> {
      if (valid(s))
        return s;
      return std::nullopt;
    };
  };

  no_answer_policy p;
  if (auto v = first<uint32_t>(candidates("NO_ANSWER_TIMEOUT", "timeout", true, true),
                               parse_seconds))
    p.timeout_s = *v;
  if (auto v = first<std::string>(candidates("NO_ANSWER_OVERFLOW", "overflow", true, true),
                                  text(valid_overflow)))
    p.overflow = *v;
  // No DN-level action; extn-no-answer-action does not exist.
  if (auto v = first<std::string>(
          candidates("NO_ANSWER_ACTION", "action", false, src.agent_logged_in),
          text(valid_action)))
    p.action = *v;
  return p;
}

}  // namespace sipcc
