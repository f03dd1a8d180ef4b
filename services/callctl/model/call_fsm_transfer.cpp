// Transfers of an established call: TSingleStepTransfer, TInitiateTransfer
// and the consultation call it makes (and which may outlive the call),
// TCompleteTransfer, TReconnectCall, TAlternateCall, and the 3pcc
// conferences made from a consultation (the rules are in call_fsm.hpp,
// "transfers").
#include "callctl/model/call_fsm.hpp"

#include <array>
#include <utility>

#include "callctl/model/call_fsm_steps.hpp"
#include "callctl/model/call_requests.hpp"
#include "sipcc/media_uri.hpp"
#include "callctl/model/sdp.hpp"

namespace sipcc {

using namespace fsm;

namespace {

size_t at(party p) { return static_cast<size_t>(p); }

bool consulting(const call& c) { return c.consult != consult_state::none; }
bool moving(const call& c) { return !c.moves.empty(); }

// Who refused one of a plan's offers, for the EventError.
std::string who(const call& c, party p) {
  switch (p) {
    case party::customer: return far_party_name(c);
    case party::agent: return "the agent's phone";
    case party::consult: return "the consulted DN's phone";
  }
  return "";
}

const char* what(plan_goal g) {
  switch (g) {
    case plan_goal::consult_hold: return "hold";
    case plan_goal::join_consult: return "consultation";
    case plan_goal::alternate: return "alternate";
    case plan_goal::complete:
    case plan_goal::join_target: return "transfer";
    case plan_goal::retrieve: return "retrieve";
    case plan_goal::conference_back: return "reconnect";
    case plan_goal::none: break;
  }
  return "";
}

// An event on the consultation call (its ConnID), with `other_dn`.
call_action& emit_consult(actions& a, const call& c, v1::EventType event, const std::string& dn,
                          const std::string& other_dn, const std::string& reason = "") {
  emit(a, event, dn, other_dn, reason);
  a.back().conn_id = c.consult_conn_id;
  return a.back();
}

void fact_consult(actions& a, const call& c, const std::string& dn, bool active,
                  bool answered = false) {
  fact(a, dn, active, answered);
  a.back().conn_id = c.consult_conn_id;
}

void alias(actions& a, const std::string& conn_id, bool active) {
  call_action x = act(call_action::conn_alias);
  x.conn_id = conn_id;
  x.active = active;
  a.push_back(std::move(x));
}

// ---- plans: re-INVITEs one at a time, taken back when one is refused -------

// The offer moving a party to view `v`: the last SDP v.from sent, o=
// version one up, direction v.dir.
std::string offer(const call& c, const media_view& v) {
  const auto& from = sdp_from(c, v.from);
  return hold_offer(from, v.dir).value_or(from);
}

const media_move& current_move(const call& c) {
  return c.moves[c.undoing ? c.move_at - 1 : c.move_at];
}

void send_move(call& c, actions& a) {
  const media_move& m = current_move(c);
  c.offered = offer(c, c.undoing ? m.before : m.view);
  own_reinvite(c, a, party_leg(c, m.to), c.offered);
}

// An accepted offer to the customer or the agent is what their next offer
// from sipcc (hold, retrieve) derives from.
void accepted(call& c, party to) {
  if (to == party::customer)
    c.sdp_to_customer = c.offered;
  else if (to == party::agent)
    c.sdp_to_agent = c.offered;
  else
    c.sdp_to_consult = c.offered;
}

void clear_plan(call& c) {
  c.moves.clear();
  c.move_at = 0;
  c.undoing = false;
  c.goal = plan_goal::none;
  c.plan_error.clear();
  c.offered.clear();
}

using plan_steps = std::vector<std::pair<party, media_view>>;

void start_plan(call& c, actions& a, plan_goal goal, const plan_steps& steps) {
  clear_plan(c);
  auto views = c.views;
  for (const auto& [to, view] : steps) {
    c.moves.push_back({to, view, views[at(to)]});
    views[at(to)] = view;
  }
  c.goal = goal;
  send_move(c, a);
}

void plan_done(call& c, actions& a);
void plan_failed(call& c, actions& a);

void plan_answer(call& c, const call_event& ev, actions& a) {
  const media_move m = current_move(c);
  if (ev.leg != party_leg(c, m.to))
    return;  // a leg no move waits for (a late answer)
  const bool ok = ev.what == call_event::reinvite_answered;
  if (ok && !ev.sdp.empty())
    sdp_from(c, m.to) = ev.sdp;
  if (ok)
    accepted(c, m.to);
  if (!c.undoing) {
    if (ok) {
      c.views[at(m.to)] = m.view;
      if (++c.move_at < c.moves.size())
        return send_move(c, a);
      return plan_done(c, a);
    }
    const auto refusal = who(c, m.to) + " refused the " + what(c.goal) + " offer with " +
                         std::to_string(ev.status);
    // Taking back a move out of a refused conference would send that party
    // back where nobody is: it stops where it is.
    if (c.goal == plan_goal::conference_back) {
      c.plan_error += "; then " + refusal;
      return plan_failed(c, a);
    }
    c.plan_error = refusal;
    if (c.move_at == 0)
      return plan_failed(c, a);
    c.undoing = true;  // the moves done so far are taken back, last first
  } else {
    if (ok)
      c.views[at(m.to)] = m.before;
    if (--c.move_at == 0)
      return plan_failed(c, a);
  }
  send_move(c, a);
}

// ---- the consultation call -------------------------------------------------

// Whether the customer and the agent were last offered each other's media, sendrecv.
bool together(const call& c) {
  const auto& agent_view = c.views[at(party::agent)];
  const auto& customer_view = c.views[at(party::customer)];
  return agent_view.from == party::customer && agent_view.dir == "sendrecv" &&
         customer_view.dir == "sendrecv";
}

void forget_consult(call& c) {
  if (!c.own_leg.empty() && c.own_leg == c.consult_leg) {
    c.own_leg.clear();  // its retry would go to a leg that is gone
    c.retry_wait = false;
  }
  c.consult = consult_state::none;
  c.consult_conn_id.clear();
  c.consult_dn.clear();
  c.consult_uri.clear();
  c.consult_leg.clear();
  c.consult_rang = false;
  c.consult_answered = false;
  c.consult_conference = false;
  c.sdp_to_consult.clear();
  sdp_from(c, party::consult).clear();
  c.views[at(party::consult)] = {};
}

// The consultation call is over (its leg ended or is being ended by the
// caller); the held call goes on as it is. A plan under way stops after the
// re-INVITE that is out (now, when that one went to the consulted DN), and
// the request it served, if it still waits, gets EventError.
void end_consult(call& c, actions& a, const std::string& reason) {
  const std::string agent = c.agent_dn, consulted = c.consult_dn;
  if (c.answering && c.answer_dn == consulted)
    stop_answering(c, a);
  // The request waiting first: its reply must be this error, not the
  // EventReleased below, which a finished transfer would give too.
  if (moving(c) && (c.goal == plan_goal::alternate || c.goal == plan_goal::complete))
    emit(a, v1::EventError, agent, far(c),
         "ConnID " + c.consult_conn_id + " ended before the " + what(c.goal) + " did");
  if (moving(c) && c.goal == plan_goal::conference_back)
    emit(a, v1::EventError, agent, far(c), c.plan_error);
  if (c.consult_rang)
    emit_consult(a, c, v1::EventReleased, consulted, agent, reason);
  emit_consult(a, c, v1::EventReleased, agent, consulted, reason);
  fact_consult(a, c, consulted, false, c.consult_answered);
  fact_consult(a, c, agent, false);
  alias(a, c.consult_conn_id, false);
  if (moving(c)) {
    c.goal = plan_goal::none;
    if (current_move(c).to == party::consult)
      clear_plan(c);
    else if (c.undoing)
      c.move_at = 1;
    else
      c.moves.resize(c.move_at + 1);
  }
  // Unless the agent and the customer are fully back together, the call is
  // held: a retrieve re-INVITEs both with each other's media.
  c.held = !together(c);
  if (c.held)
    c.sdp_to_agent = sdp_from(c, party::customer);
  forget_consult(c);
}

// Hold is done (or was): the consultation call starts, flow I to OtherDN.
void dial_consult(call& c, actions& a) {
  c.consult = consult_state::dialing;
  c.consult_leg = next_leg(c);
  // Presence learns of the call before the phone rings (as for a route).
  fact_consult(a, c, c.agent_dn, true);
  fact_consult(a, c, c.consult_dn, true);
  invite_leg(a, c.consult_leg, c.consult_uri, c.consult_dn, c.agent_dn, "", ring_ms(c.no_answer))
      .ack_later = true;
  alias(a, c.consult_conn_id, true);  // before the desktop can learn the ConnID
  emit_consult(a, c, v1::EventDialing, c.agent_dn, c.consult_dn).transfer_conn_id = c.conn_id;
}

void ring_consult(call& c, actions& a) {
  if (c.consult_rang)
    return;
  c.consult_rang = true;
  emit_consult(a, c, v1::EventRinging, c.consult_dn, c.agent_dn);
}

void consult_answered(call& c, const call_event& ev, actions& a) {
  ring_consult(c, a);
  if (ev.sdp.empty()) {
    // Flow I needs its offer: without one it cannot be joined to the agent.
    leg_command(a, call_action::ack_leg, c.consult_leg, "");
    leg_command(a, call_action::bye_leg, c.consult_leg, "");
    end_consult(c, a, "OtherDN answered without SDP");
    return;
  }
  sdp_from(c, party::consult) = ev.sdp;
  c.views[at(party::consult)] = {party::agent, "sendrecv"};  // our ACK will say so
  c.consult = consult_state::joining;
  start_plan(c, a, plan_goal::join_consult, {{party::agent, {party::consult, "sendrecv"}}});
}

void release_consult(call& c, actions& a) {
  leg_command(a, c.consult == consult_state::dialing ? call_action::cancel_leg
                                                     : call_action::bye_leg,
              c.consult_leg, "");
  end_consult(c, a, "");
}

// The customer or the agent left while a transfer was being initiated or a
// consultation was up: both calls end (see call_fsm.hpp, transfers).
void release_all(call& c, actions& a, bool customer_left) {
  clear_plan(c);
  if (c.consult == consult_state::holding)
    forget_consult(c);
  else
    release_consult(c, a);
  if (customer_left)
    leg_command(a, call_action::bye_leg, c.agent_leg, "");
  else
    a.push_back(act(call_action::bye_customer));
  released(c, a);
}

// The customer left while the agent talks to the consulted DN (or
// alternated): C1 is over for the agent, and C2 goes on as a call of its
// own, the agent with the consulted DN as its customer, as on a desk phone.
void consult_outlives(call& c, actions& a) {
  const std::string agent = c.agent_dn;
  emit(a, v1::EventReleased, agent, far(c), "");
  a.back().conn_id = c.conn_id;  // the actor stamps C2 on what has none
  fact(a, agent, false, true);
  a.back().conn_id = c.conn_id;
  const bool alternated = c.consult == consult_state::alternated;
  c.conn_id = c.consult_conn_id;
  c.kind = call_kind::made;
  c.rp.clear();
  c.ani = agent;
  c.dnis = c.consult_dn;
  c.call_id.clear();
  c.ani_name.clear();
  c.inbound_leg.clear();
  c.customer_leg = c.consult_leg;
  c.far_dn = c.consult_dn;
  c.far_is_dn = true;
  c.far_rang = true;
  c.customer_answered = true;
  c.transferred_by.clear();
  c.reinvite_from.clear();
  sdp_from(c, party::customer) = sdp_from(c, party::consult);
  c.sdp_to_customer = c.sdp_to_consult;
  c.views[at(party::customer)] = c.views[at(party::consult)];
  // Alternated, the agent's phone had the customer's media: held, and a
  // retrieve gives it the consulted DN's.
  c.held = alternated;
  if (alternated)
    c.sdp_to_agent = sdp_from(c, party::customer);
  c.consult_leg.clear();
  forget_consult(c);
}

// TCompleteTransfer: the customer took the consulted DN's media. The agent
// leaves, the consulted DN becomes the call's agent DN, and gets the
// customer's answer.
void hand_over(call& c, actions& a) {
  const std::string agent = c.agent_dn, target = c.consult_dn, consult_conn = c.consult_conn_id;
  leg_command(a, call_action::bye_leg, c.agent_leg, "");
  emit_consult(a, c, v1::EventReleased, agent, target);
  emit(a, v1::EventReleased, agent, far(c), "");
  a.back().third_party_dn = target;
  fact_consult(a, c, agent, false);
  fact(a, agent, false, true);  // the agent took the call: after-call work may follow
  fact(a, target, true, false);
  fact_consult(a, c, target, false);
  alias(a, consult_conn, false);
  emit(a, v1::EventPartyChanged, target, far(c), "");
  a.back().previous_conn_id = consult_conn;
  a.back().third_party_dn = agent;
  if (c.far_is_dn) {  // a made call's OtherDN talks to the target now
    emit(a, v1::EventPartyChanged, c.far_dn, target, "");
    a.back().third_party_dn = agent;
  }
  c.agent_leg = c.consult_leg;
  c.agent_dn = target;
  c.agent_rang = true;
  c.held = false;
  sdp_from(c, party::agent) = sdp_from(c, party::consult);
  c.views[at(party::agent)] = c.views[at(party::consult)];
  c.views[at(party::customer)] = {party::agent, "sendrecv"};
  forget_consult(c);
  start_plan(c, a, plan_goal::join_target, {{party::agent, {party::customer, "sendrecv"}}});
}

// The end of a refused TCompleteConference's re-INVITEs: its EventError,
// then the desktop learns which call it talks on if that changed.
void conference_back_done(call& c, actions& a, const std::string& why) {
  emit(a, v1::EventError, c.agent_dn, far(c), why);
  if (c.consult != consult_state::talking || !together(c))
    return;
  c.consult = consult_state::alternated;
  c.held = false;
  emit_consult(a, c, v1::EventHeld, c.agent_dn, c.consult_dn);
  emit(a, v1::EventRetrieved, c.agent_dn, far(c), "");
}

void plan_done(call& c, actions& a) {
  const plan_goal goal = c.goal;
  const std::string why = c.plan_error;
  clear_plan(c);
  switch (goal) {
    case plan_goal::none:
    case plan_goal::join_target:
      break;
    case plan_goal::consult_hold:
      c.held = true;
      emit(a, v1::EventHeld, c.agent_dn, far(c), "");
      dial_consult(c, a);
      break;
    case plan_goal::join_consult:
      // The agent's answer to the consulted DN's offer goes in its ACK.
      leg_command(a, call_action::ack_leg, c.consult_leg, sdp_from(c, party::agent));
      c.sdp_to_consult = sdp_from(c, party::agent);
      if (c.answering && c.answer_dn == c.consult_dn)
        c.answering = false;  // a TAnswerCall's wait ends with this EventEstablished
      c.consult = consult_state::talking;
      c.consult_answered = true;
      emit_consult(a, c, v1::EventEstablished, c.consult_dn, c.agent_dn);
      emit_consult(a, c, v1::EventEstablished, c.agent_dn, c.consult_dn);
      break;
    case plan_goal::alternate:
      if (c.consult == consult_state::talking) {
        c.consult = consult_state::alternated;
        c.held = false;
        emit_consult(a, c, v1::EventHeld, c.agent_dn, c.consult_dn);
        emit(a, v1::EventRetrieved, c.agent_dn, far(c), "");
      } else {
        c.consult = consult_state::talking;
        c.held = true;
        emit(a, v1::EventHeld, c.agent_dn, far(c), "");
        emit_consult(a, c, v1::EventRetrieved, c.agent_dn, c.consult_dn);
      }
      break;
    case plan_goal::complete:
      hand_over(c, a);
      break;
    case plan_goal::retrieve:
      c.held = false;
      emit(a, v1::EventRetrieved, c.agent_dn, far(c), "");
      break;
    case plan_goal::conference_back:
      conference_back_done(c, a, why);
      break;
  }
}

void plan_failed(call& c, actions& a) {
  const plan_goal goal = c.goal;
  const std::string why = c.plan_error;
  clear_plan(c);
  switch (goal) {
    case plan_goal::none:
      break;
    case plan_goal::consult_hold:
      forget_consult(c);
      emit(a, v1::EventError, c.agent_dn, far(c), why);
      break;
    case plan_goal::join_consult:
      // Its 2xx still waits for our ACK, which must answer its offer.
      leg_command(a, call_action::ack_leg, c.consult_leg,
                  rejecting_answer(sdp_from(c, party::consult)));
      leg_command(a, call_action::bye_leg, c.consult_leg, "");
      end_consult(c, a, why);
      break;
    case plan_goal::alternate:
    case plan_goal::complete:
    case plan_goal::retrieve:
      emit(a, v1::EventError, c.agent_dn, far(c), why);
      break;
    case plan_goal::conference_back:
      conference_back_done(c, a, why);
      break;
    case plan_goal::join_target:
      // The new agent's phone cannot take the customer's media: the two
      // cannot be joined, so the call ends rather than stay silent.
      leg_command(a, call_action::bye_leg, c.agent_leg, "");
      a.push_back(act(call_action::bye_customer));
      released(c, a, why);
      break;
  }
}

// ---- the requests ----------------------------------------------------------

void single_step(call& c, const call_event& ev, actions& a) {
  const std::string from = c.agent_dn;
  leg_command(a, call_action::bye_leg, c.agent_leg, "");
  emit(a, v1::EventReleased, from, far(c), "");
  a.back().third_party_dn = ev.target.dn;
  fact(a, from, false, true);
  // Our 200 answered the customer: the target joins it by flow I, and one
  // that fails leaves it answered at the Routing Point.
  c.customer_answered = true;
  c.held = false;  // the target's offer is sendrecv
  c.transferred_by = from;
  route_to(c, a, ev.target, false);
}

void initiate(call& c, const call_event& ev, actions& a) {
  c.consult_conn_id = ev.transfer_conn_id;
  c.consult_conference = ev.conference;
  c.consult_dn = ev.target.dn;
  c.consult_uri = ev.target.contact_uri;
  // What each side last got from sipcc is the other side's media.
  sdp_from(c, party::customer) = c.sdp_to_agent;
  sdp_from(c, party::agent) = c.sdp_to_customer;
  c.views[at(party::customer)] = {party::agent, c.held ? "sendonly" : "sendrecv"};
  c.views[at(party::agent)] = {party::customer, c.held ? "inactive" : "sendrecv"};
  if (c.held)
    return dial_consult(c, a);
  c.consult = consult_state::holding;
  // As THoldCall: the customer sendonly, the agent inactive.
  start_plan(c, a, plan_goal::consult_hold,
             {{party::customer, {party::agent, "sendonly"}},
              {party::agent, {party::customer, "inactive"}}});
}

void alternate(call& c, actions& a) {
  if (c.consult == consult_state::talking)
    start_plan(c, a, plan_goal::alternate,
               {{party::consult, {party::agent, "sendonly"}},
                {party::customer, {party::agent, "sendrecv"}},
                {party::agent, {party::customer, "sendrecv"}}});
  else
    start_plan(c, a, plan_goal::alternate,
               {{party::customer, {party::agent, "sendonly"}},
                {party::consult, {party::agent, "sendrecv"}},
                {party::agent, {party::consult, "sendrecv"}}});
}

void reconnect(call& c, actions& a) {
  const bool retrieve = c.consult != consult_state::alternated;
  release_consult(c, a);
  if (retrieve)
    start_plan(c, a, plan_goal::retrieve,
               {{party::customer, {party::agent, "sendrecv"}},
                {party::agent, {party::customer, "sendrecv"}}});
}

// ---- 3pcc conferences --------------------------------------------------------

}  // namespace

void consulted_leaves(call& c, actions& a, bool bye) {
  const std::string other = c.consult_dn;
  if (bye)
    leg_command(a, call_action::bye_leg, c.consult_leg, "");
  leg_command(a, call_action::bye_leg, c.consult_conf_leg, "");
  c.consult_conf_leg.clear();
  emit(a, v1::EventReleased, other, far(c), "");
  fact(a, other, false, true);
  emit(a, v1::EventPartyDeleted, c.agent_dn, far(c), "");
  a.back().third_party_dn = other;
  if (c.far_is_dn) {
    emit(a, v1::EventPartyDeleted, c.far_dn, c.agent_dn, "");
    a.back().third_party_dn = other;
  }
  forget_consult(c);
  leave_next(c, a);
}

namespace {

// The agent leaves: the consulted DN becomes the call's agent DN and joins
// back directly with the customer.
void agent_leaves(call& c, actions& a, bool bye) {
  const std::string agent = c.agent_dn, other = c.consult_dn;
  if (bye)
    leg_command(a, call_action::bye_leg, c.agent_leg, "");
  leg_command(a, call_action::bye_leg, c.agent_conf_leg, "");
  emit(a, v1::EventReleased, agent, far(c), "");
  fact(a, agent, false, true);
  emit(a, v1::EventPartyDeleted, other, far(c), "");
  a.back().third_party_dn = agent;
  if (c.far_is_dn) {
    emit(a, v1::EventPartyDeleted, c.far_dn, other, "");
    a.back().third_party_dn = agent;
  }
  c.agent_leg = c.consult_leg;
  c.agent_dn = other;
  c.agent_conf_leg = c.consult_conf_leg;
  c.consult_conf_leg.clear();
  sdp_from(c, party::agent) = sdp_from(c, party::consult);
  c.sdp_to_agent = c.sdp_to_consult;
  forget_consult(c);
  leave_next(c, a);
}

// The events of a 3pcc conference once made; false for what the routed
// call's own step (and mix_step) takes.
bool conference_step(call& c, const call_event& ev, actions& a) {
  const bool consult_leg = !c.consult_leg.empty() && ev.leg == c.consult_leg;
  switch (ev.what) {
    case call_event::reinvite:
      if (!consult_leg)
        return false;  // mix_step answers the customer's and the agent's
      respond_leg(a, ev.leg, ev.update, 200, c.sdp_to_consult);  // a session refresh
      return true;
    case call_event::leg_bye:
      if (consult_leg) {
        consulted_leaves(c, a, false);
        return true;
      }
      if (ev.leg != c.agent_leg)
        return false;
      agent_leaves(c, a, false);
      return true;
    case call_event::customer_bye: {
      // The conference is the customer's call: it ends for everyone.
      const std::string other = c.consult_dn;
      leg_command(a, call_action::bye_leg, c.consult_leg, "");
      leg_command(a, call_action::bye_leg, c.agent_leg, "");
      emit(a, v1::EventReleased, other, far(c), "");
      fact(a, other, false, true);
      forget_consult(c);
      released(c, a);
      return true;
    }
    case call_event::release:
    case call_event::delete_from_conference: {
      if (!transfer_refusal(c, ev).empty())
        return true;
      const auto& leaving = ev.what == call_event::release ? ev.dn : ev.target.dn;
      if (leaving == c.consult_dn)
        consulted_leaves(c, a, true);
      else
        agent_leaves(c, a, true);
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

void conference_made(call& c, actions& a) {
  const std::string agent = c.agent_dn, other = c.consult_dn, consult_conn = c.consult_conn_id;
  c.held = false;
  c.consult = consult_state::conferenced;
  // The consultation call merges into this one: the consulted DN is on it now.
  emit_consult(a, c, v1::EventReleased, agent, other);
  fact_consult(a, c, agent, false);
  fact_consult(a, c, other, false);
  fact(a, other, true, false);
  alias(a, consult_conn, false);
  emit(a, v1::EventPartyChanged, other, far(c), "");
  a.back().previous_conn_id = consult_conn;
  a.back().third_party_dn = agent;
  emit(a, v1::EventPartyAdded, agent, far(c), "");
  a.back().third_party_dn = other;
  emit(a, v1::EventPartyAdded, other, far(c), "");
  a.back().third_party_dn = agent;
  if (c.far_is_dn) {
    emit(a, v1::EventPartyAdded, c.far_dn, agent, "");
    a.back().third_party_dn = other;
  }
  c.consult_conn_id.clear();
}

void conference_refused(call& c, actions& a, const std::string& why) {
  // A party in the conference is moved back whatever its view says: its
  // media went to the conference leg, which goes now.
  std::array<bool, 3> in_conference{};
  for (party p : {party::customer, party::agent, party::consult}) {
    auto& leg = conf_leg(c, p);
    in_conference[at(p)] = !leg.empty();
    if (!leg.empty())
      leg_command(a, call_action::bye_leg, leg, "");
    leg.clear();
  }
  // As TAlternateCall from [talking], the customer first: it was held.
  const plan_steps back = {{party::customer, {party::agent, "sendrecv"}},
                           {party::agent, {party::customer, "sendrecv"}},
                           {party::consult, {party::agent, "sendonly"}}};
  plan_steps steps;
  for (const auto& [to, view] : back) {
    const auto& now = c.views[at(to)];
    if (in_conference[at(to)] || now.from != view.from || now.dir != view.dir)
      steps.push_back({to, view});
  }
  const std::string error = "conference: " + why;
  if (steps.empty())
    return conference_back_done(c, a, error);
  start_plan(c, a, plan_goal::conference_back, steps);
  c.plan_error = error;
}

namespace {

void request(call& c, const call_event& ev, actions& a) {
  switch (ev.what) {
    case call_event::single_step_transfer: return single_step(c, ev, a);
    case call_event::initiate_transfer: return initiate(c, ev, a);
    case call_event::complete_transfer:
      return start_plan(c, a, plan_goal::complete,
                        {{party::customer, {party::consult, "sendrecv"}}});
    case call_event::reconnect_call: return reconnect(c, a);
    case call_event::alternate_call: return alternate(c, a);
    case call_event::release: return release_consult(c, a);
    default: return;  // complete_conference: transfer_step
  }
}

bool is_request(call_event::kind k) {
  return k == call_event::single_step_transfer || k == call_event::initiate_transfer ||
         k == call_event::complete_transfer || k == call_event::reconnect_call ||
         k == call_event::alternate_call || k == call_event::complete_conference;
}

// A leg event while a consultation is up or a plan runs; false for what the
// routed call's own step takes (byes during a plan, timers, user data).
bool leg_step(call& c, const call_event& ev, actions& a) {
  const bool consult_leg = !c.consult_leg.empty() && ev.leg == c.consult_leg;
  // Whether the event is the transfer's is decided before it changes anything.
  const bool ours = consult_leg || consulting(c);
  switch (ev.what) {
    case call_event::reinvite:
      // One offer at a time, and none across calls: RFC 3261 14.1 backs off.
      if (consult_leg || ev.leg == c.customer_leg ||
          (!c.agent_leg.empty() && ev.leg == c.agent_leg))
        respond_leg(a, ev.leg, ev.update, 491, "");
      return true;
    case call_event::reinvite_answered:
    case call_event::reinvite_failed:
      if (moving(c))
        plan_answer(c, ev, a);
      return true;
    case call_event::leg_progress:
      if (consult_leg && c.consult == consult_state::dialing &&
          (ev.status == 180 || ev.status == 183))
        ring_consult(c, a);
      return ours;
    case call_event::leg_answered:
      if (consult_leg && c.consult == consult_state::dialing)
        consult_answered(c, ev, a);
      return ours;
    case call_event::leg_failed:
      if (consult_leg && c.consult == consult_state::dialing)
        end_consult(c, a, "OtherDN answered " + std::to_string(ev.status));
      return ours;
    case call_event::leg_bye:
      if (consult_leg)
        end_consult(c, a, "");
      else if (ours && ev.leg == c.agent_leg)
        release_all(c, a, false);
      return ours;
    case call_event::customer_bye:
    case call_event::cancelled:
      if (ours && !moving(c) && (c.consult == consult_state::talking ||
                                 c.consult == consult_state::alternated))
        consult_outlives(c, a);
      else if (ours)
        release_all(c, a, true);
      return ours;
    case call_event::release:
      if (ours && transfer_refusal(c, ev).empty())
        release_consult(c, a);
      return ours;
    default:
      return false;
  }
}

}  // namespace

namespace {

// OtherDN is the actor's to check (with its own error codes); one it let
// through unusable is no request either.
bool usable_target(const call& c, const call_event& ev) {
  if (ev.what != call_event::single_step_transfer && ev.what != call_event::initiate_transfer)
    return true;
  return !ev.target.dn.empty() && !ev.target.contact_uri.empty() && ev.target.dn != c.agent_dn;
}

}  // namespace

bool transfer_step(call& c, const call_event& ev, actions& a, const call_settings& cfg) {
  if (ev.what == call_event::complete_conference) {
    if (transfer_refusal(c, ev).empty()) {
      c.conf_id = c.conn_id;
      c.recording = false;
      c.mix_three = true;
      start_mix(c, a, mix_op::join, conf_uri(cfg.media_server, c.conf_id), false);
    }
    return true;
  }
  if (c.consult == consult_state::conferenced && c.mixing == mix_op::none)
    return conference_step(c, ev, a);
  // While a conference's media moves, mix_step takes its events; a party
  // hanging up still ends the consultation with the call.
  if (c.mixing != mix_op::none && ev.what != call_event::leg_bye &&
      ev.what != call_event::customer_bye && ev.what != call_event::cancelled &&
      ev.what != call_event::delete_from_conference)
    return false;
  if (ev.what == call_event::delete_from_conference)
    return true;  // refused: no conference (the actor answered)
  if (is_request(ev.what)) {
    if (transfer_refusal(c, ev).empty() && usable_target(c, ev))
      request(c, ev, a);
    return true;
  }
  if (!consulting(c) && !moving(c))
    return false;
  return leg_step(c, ev, a);
}

transfer_watch::transfer_watch(const call& c) : target_(c.agent_dn), by_(c.transferred_by) {}

void transfer_watch::name_transferrer(call& c, actions& a) const {
  if (by_.empty())
    return;
  for (auto& x : a)
    if (x.what == call_action::emit && x.dn == target_ &&
        (x.event == v1::EventRinging || x.event == v1::EventEstablished ||
         x.event == v1::EventReleased || x.event == v1::EventAbandoned))
      x.third_party_dn = by_;
  // Established there, or back at the Routing Point: the transfer is over.
  if (c.state != call_state::alerting && c.state != call_state::connecting)
    c.transferred_by.clear();
}

}  // namespace sipcc
