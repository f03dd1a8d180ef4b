// The call machine's entry (call_step), the helpers every phase shares, the
// requests on a call as a whole (user data, DTMF, TAnswerCall) and the end
// of an established call. The phases are in call_fsm_routed.cpp (routed and
// direct set-up), call_fsm_made.cpp (TMakeCall set-up), call_fsm_hold.cpp
// (hold, re-INVITEs passed through, 491 retries), call_fsm_media.cpp
// (treatments, conferences, recording) and call_fsm_transfer.cpp.
#include "callctl/model/call_fsm.hpp"

#include <algorithm>

#include "callctl/model/call_fsm_steps.hpp"
#include "callctl/model/call_requests.hpp"
#include "callctl/model/dtmf.hpp"
#include "callctl/model/user_data.hpp"

namespace sipcc {

const char* to_string(call_state s) {
  switch (s) {
    case call_state::routing: return "routing";
    case call_state::alerting: return "alerting";
    case call_state::connecting: return "connecting";
    case call_state::dialing: return "dialing";
    case call_state::calling: return "calling";
    case call_state::ringback: return "ringback";
    case call_state::joining: return "joining";
    case call_state::established: return "established";
    case call_state::ended: return "ended";
  }
  return "?";
}

const std::string& far(const call& c) { return c.kind == call_kind::routed ? c.ani : c.far_dn; }

bool is_media_leg(const call& c, const std::string& leg) {
  if (leg.empty())
    return false;
  return leg == c.media_leg || leg == c.mix_leg || leg == c.customer_conf_leg ||
         leg == c.agent_conf_leg || leg == c.consult_conf_leg;
}

ringing_leg rings_at(const call& c, const std::string& dn) {
  ringing_leg r;
  if (dn.empty())
    return r;
  if (c.consult != consult_state::none && dn == c.consult_dn) {
    r = {true, c.consult == consult_state::dialing, c.consult_leg, c.consult_rang};
  } else if (c.kind == call_kind::made && c.far_is_dn && dn == c.far_dn) {
    const bool ringing = c.state == call_state::calling || c.state == call_state::ringback;
    r = {true, ringing, c.customer_leg, c.far_rang};
  } else if (c.kind != call_kind::direct && dn == c.agent_dn) {
    r = {true, c.state == call_state::alerting, c.agent_leg, c.agent_rang};
  }
  return r;
}

namespace fsm {

call_action act(call_action::kind k) {
  call_action x{};
  x.what = k;
  return x;
}

void respond(actions& a, uint32_t status, const std::string& sdp, const std::string& phrase) {
  call_action x = act(call_action::respond_inbound);
  x.status = status;
  x.sdp = sdp;
  x.text = phrase;
  a.push_back(std::move(x));
}

void respond_leg(actions& a, const std::string& leg, bool update, uint32_t status,
                 const std::string& sdp) {
  call_action x = act(call_action::respond_leg);
  x.leg = leg;
  x.update = update;
  x.status = status;
  x.sdp = sdp;
  a.push_back(std::move(x));
}

// An event for no DN (a call without a Routing Point has none to tell) is
// no event.
void emit(actions& a, v1::EventType event, const std::string& dn, const std::string& other_dn,
          const std::string& reason) {
  if (dn.empty())
    return;
  call_action x = act(call_action::emit);
  x.event = event;
  x.dn = dn;
  x.other_dn = other_dn;
  x.text = reason;
  a.push_back(std::move(x));
}

void fact(actions& a, const std::string& dn, bool active, bool answered) {
  call_action x = act(call_action::call_fact);
  x.dn = dn;
  x.active = active;
  x.answered = answered;
  a.push_back(std::move(x));
}

void leg_command(actions& a, call_action::kind k, const std::string& leg, const std::string& sdp) {
  call_action x = act(k);
  x.leg = leg;
  x.sdp = sdp;
  a.push_back(std::move(x));
}

call_action& invite_leg(actions& a, const std::string& leg, const std::string& uri,
                        const std::string& dn, const std::string& caller, const std::string& sdp,
                        uint32_t ring_ms) {
  call_action inv = act(call_action::invite_leg);
  inv.leg = leg;
  inv.uri = uri;
  inv.dn = dn;
  inv.caller = caller;
  inv.sdp = sdp;
  inv.ring_ms = ring_ms;
  a.push_back(std::move(inv));
  return a.back();
}

uint32_t ring_ms(const no_answer_policy& p) {
  return std::max<uint32_t>(p.timeout_s * 1000 + 30000, 120000);
}

std::string next_leg(call& c) { return c.conn_id + "-" + std::to_string(++c.outbound_legs); }

void sent_sdp(call& c, const std::string& leg, const std::string& sdp) {
  if (!c.consult_leg.empty() && leg == c.consult_leg)
    c.sdp_to_consult = sdp;
  else
    (leg == c.customer_leg ? c.sdp_to_customer : c.sdp_to_agent) = sdp;
}

// A new generation makes every armed timer of it stale; only a positive
// delay arms a new one.
void restart_timer(call& c, actions& a, uint32_t ms, call_event::kind timer) {
  ++c.timer_gen;
  if (ms == 0)
    return;
  call_action x = act(call_action::arm_timer);
  x.ms = ms;
  x.max_ms = ms;
  x.timer = timer;
  x.gen = c.timer_gen;
  a.push_back(std::move(x));
}

void own_reinvite(call& c, actions& a, const std::string& leg, const std::string& sdp) {
  c.own_leg = leg;
  c.own_sdp = sdp;
  c.own_tries = 1;
  c.retry_wait = false;
  leg_command(a, call_action::reinvite_leg, leg, sdp);
}

std::string far_party_name(const call& c) {
  return c.kind == call_kind::routed ? "the customer" : "the other party";
}

bool far_in_call(const call& c) {
  return c.far_is_dn && (c.far_rang || c.state == call_state::established);
}

// While the call routes, its DN is the Routing Point; then the agent DN,
// and a far DN in the call (a made call's OtherDN) hears of it too.
void data_changed(call& c, actions& a) {
  const bool routing = c.kind == call_kind::routed && c.state == call_state::routing;
  emit(a, v1::EventAttachedDataChanged, routing ? c.rp : c.agent_dn, far(c));
  if (!routing && far_in_call(c))
    emit(a, v1::EventAttachedDataChanged, c.far_dn, c.agent_dn);
}

void stop_answering(call& c, actions& a) {
  if (!c.answering)
    return;
  c.answering = false;
  emit(a, v1::EventError, c.answer_dn, c.answer_dn == c.agent_dn ? far(c) : c.agent_dn,
       "the call left DN " + c.answer_dn + " before it was established");
}

// A registered phone's own call gives no call events on its DN.
bool quiet(const call& c) { return c.kind == call_kind::direct && c.agent_dn == c.ani; }

// EventReleased before the fact: the fact makes presence start after-call
// work, whose EventAgentNotReady must not overtake the release on the DN.
void released(call& c, actions& a, const std::string& reason) {
  stop_answering(c, a);
  const bool up = c.state == call_state::connecting || c.state == call_state::established;
  if (!c.agent_dn.empty()) {
    if (!quiet(c))
      emit(a, v1::EventReleased, c.agent_dn, far(c), reason);
    fact(a, c.agent_dn, false, up && !quiet(c));  // the agent took this call: after-call work
  }
  if (c.far_is_dn) {
    // A transfer's target that failed is gone already: its transferrer was the other party.
    if (far_in_call(c))
      emit(a, v1::EventReleased, c.far_dn, c.agent_dn.empty() ? c.transferred_by : c.agent_dn,
           reason);
    fact(a, c.far_dn, false, c.customer_answered);
  }
  end(c, a);
}

void end(call& c, actions& a) {
  // Every TApplyTreatment still gets its outcome; a media 2xx crossing this
  // CANCEL is BYEd by the edge audit, since the leg's call is gone.
  stop_media(c, a, "the call ended");
  drop_mix_legs(c, a);
  c.state = call_state::ended;
  a.push_back(act(call_action::end));
}

void established(call& c, actions& a, const call_settings& cfg) {
  c.state = call_state::established;
  c.customer_answered = true;  // a transfer joins the customer by flow I from now on
  if (c.answering && c.answer_dn == c.agent_dn)
    c.answering = false;  // a TAnswerCall's wait ends here
  emit(a, v1::EventEstablished, c.agent_dn, far(c));
  // A far DN was up already when a single-step transfer brings it a new party.
  if (c.far_is_dn && c.transferred_by.empty()) {
    emit(a, v1::EventEstablished, c.far_dn, c.agent_dn);
  } else if (c.far_is_dn) {
    emit(a, v1::EventPartyChanged, c.far_dn, c.agent_dn);
    a.back().third_party_dn = c.transferred_by;
  }
  if (c.answering && c.answer_dn == c.far_dn)
    c.answering = false;
  if (c.record_when_established && mix_refusal(c, call_event::record_start, c.agent_dn).empty())
    start_recording(c, a, cfg);
}

// The end of an established call, whatever its kind: either party hanging
// up or TReleaseCall. RFC 3261 15: the customer may be sent BYE once it has
// our 2xx, ACKed or not.
bool up_step(call& c, const call_event& ev, actions& a) {
  if (c.state != call_state::established && c.state != call_state::connecting &&
      c.state != call_state::joining)
    return false;
  const bool agent_leg = !c.agent_leg.empty() && ev.leg == c.agent_leg;
  switch (ev.what) {
    case call_event::customer_bye:
      leg_command(a, call_action::bye_leg, c.agent_leg);
      break;
    case call_event::leg_bye:
      if (!agent_leg)
        return false;
      a.push_back(act(call_action::bye_customer));
      break;
    case call_event::release:
      if ((!ev.conn_id.empty() && ev.conn_id != c.conn_id) || !release_refusal(c, ev.dn).empty())
        return false;
      leg_command(a, call_action::bye_leg, c.agent_leg);
      a.push_back(act(call_action::bye_customer));
      break;
    default:
      return false;
  }
  released(c, a);
  return true;
}

}  // namespace fsm

using namespace fsm;

namespace {

// User data, DTMF and TAnswerCall; false for every other event.
bool request_step(call& c, const call_event& ev, actions& a) {
  switch (ev.what) {
    case call_event::user_data_change: {
      if (!user_data_refusal(c, ev.dn, ev.conn_id).empty())
        return true;
      change_user_data(c.user_data, ev.user_data, ev.delete_data);
      const size_t from = a.size();
      const bool consultation = !ev.conn_id.empty() && ev.conn_id == c.consult_conn_id;
      if (consultation) {
        emit(a, v1::EventAttachedDataChanged, c.agent_dn, c.consult_dn);
        if (c.consult_rang)
          emit(a, v1::EventAttachedDataChanged, c.consult_dn, c.agent_dn);
      } else {
        data_changed(c, a);
      }
      for (size_t i = from; i < a.size(); ++i) {
        a[i].reply = false;  // the actor answered the request at once
        if (consultation)
          a[i].conn_id = c.consult_conn_id;
      }
      return true;
    }
    case call_event::send_dtmf: {
      if (!dtmf_refusal(c, ev.dn, ev.conn_id).empty() || !dtmf_digits_error(ev.digits).empty())
        return true;
      const bool consultation = !ev.conn_id.empty() && ev.conn_id == c.consult_conn_id;
      for (char d : ev.digits) {
        call_action x = act(call_action::info_leg);
        x.leg = consultation ? c.consult_leg : c.customer_leg;
        x.content_type = "application/dtmf-relay";
        x.body = dtmf_relay_body(d, kDtmfDurationMs);
        a.push_back(std::move(x));
      }
      emit(a, v1::EventDTMFSent, c.agent_dn, consultation ? c.consult_dn : far(c));
      a.back().digits = ev.digits;
      if (consultation)
        a.back().conn_id = c.consult_conn_id;
      return true;
    }
    case call_event::answer: {
      const auto r = rings_at(c, ev.dn);
      const auto mode = ev.talk ? remote_answer::talk : remote_answer::answer_after;
      if (!answer_refusal(c, ev.dn, mode).text.empty())
        return true;
      c.answering = true;
      c.answer_dn = ev.dn;
      c.answer_leg = r.leg;
      if (ev.talk)
        leg_command(a, call_action::talk_leg, r.leg);
      return true;
    }
    case call_event::talk_failed:
      // Once the phone answered (by hand) the call goes on to EventEstablished.
      if (!c.answering || ev.leg != c.answer_leg || !rings_at(c, c.answer_dn).ringing)
        return true;
      c.answering = false;
      emit(a, v1::EventError, c.answer_dn, c.answer_dn == c.agent_dn ? far(c) : c.agent_dn,
           "the phone of DN " + c.answer_dn + " refused the talk NOTIFY with " +
               std::to_string(ev.status));
      return true;
    default:
      return false;
  }
}

// What each party sent last is what the media server gets from it.
void note_sdp(call& c, const call_event& ev) {
  if (ev.sdp.empty() || ev.leg.empty())
    return;
  // A re-INVITE's offer counts once passed on (one refused with 491 does not).
  const bool offer_or_answer =
      ev.what == call_event::reinvite_answered || ev.what == call_event::leg_answered;
  if (ev.what == call_event::incoming || ev.what == call_event::incoming_direct)
    sdp_from(c, ev.what == call_event::incoming ? party::customer : party::agent) = ev.sdp;
  else if (offer_or_answer && ev.leg == c.customer_leg)
    sdp_from(c, party::customer) = ev.sdp;
  else if (offer_or_answer && ev.leg == c.agent_leg)
    sdp_from(c, party::agent) = ev.sdp;
  else if (offer_or_answer && ev.leg == c.consult_leg)
    sdp_from(c, party::consult) = ev.sdp;
}

bool made_phase(const call& c) {
  return c.state == call_state::dialing || c.state == call_state::calling ||
         c.state == call_state::ringback || c.state == call_state::joining;
}

// A direct call until its phone's call is up (its agent is still the phone).
bool direct_phase(const call& c, const call_event& ev) {
  if (ev.what == call_event::incoming_direct)
    return true;
  return c.kind == call_kind::direct && c.agent_leg == c.inbound_leg &&
         (c.state == call_state::alerting || c.state == call_state::connecting);
}

// Every event but the transfers' (call_step, below).
std::vector<call_action> step_call(call& c, const call_event& ev, const call_settings& cfg) {
  actions a;
  if (request_step(c, ev, a))
    return a;
  note_sdp(c, ev);
  if (direct_phase(c, ev)) {
    direct_step(c, ev, a);
    return a;
  }
  if (ev.what == call_event::make_call || made_phase(c)) {
    made_step(c, ev, a, cfg);
    return a;
  }
  if (mix_step(c, ev, a, cfg) || media_step(c, ev, a) || routed_step(c, ev, a, cfg) ||
      hold_or_retrieve(c, ev, a) || pass_step(c, ev, a))
    return a;
  up_step(c, ev, a);
  return a;
}

}  // namespace

std::vector<call_action> call_step(call& c, const call_event& ev, const call_settings& cfg) {
  // A 491 to sipcc's own re-INVITE waits for its retry; then transfers:
  // their requests, and the events of a consultation or of the re-INVITEs
  // a transfer request makes; then everything else.
  actions a;
  if (c.state == call_state::ended)
    return a;
  if (retry_step(c, ev, a) || transfer_step(c, ev, a, cfg))
    return a;
  const transfer_watch watch(c);
  a = step_call(c, ev, cfg);
  watch.name_transferrer(c, a);
  return a;
}

}  // namespace sipcc
