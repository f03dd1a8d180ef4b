// Treatments, conferences and recording (call_fsm.hpp): the media server's
// legs, and the moves of the parties' media to it and back.
#include "callctl/model/call_fsm.hpp"

#include "callctl/model/call_fsm_steps.hpp"
#include "callctl/model/call_requests.hpp"
#include "callctl/model/user_data.hpp"
#include "sipcc/media_uri.hpp"
#include "callctl/model/sdp.hpp"

namespace sipcc::fsm {

static void forget_media(call& c) {
  c.media = media_state::none;
  c.media_leg.clear();
  c.media_collects = false;
  c.collected.clear();
}

// EventTreatmentEnd on the RP; a collecting treatment's carries its digits.
static void treatment_end(const call& c, actions& a) {
  emit(a, v1::EventTreatmentEnd, c.rp, far(c));
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
    emit(a, v1::EventTreatmentNotApplied, c.rp, far(c), reason);
    c.media = media_state::stopping;
  }
}


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
        x.media_kind = v1::MEDIA_TREATMENT;
        x.treatment_type = ev.treatment_type;
        x.treatment_parms = ev.treatment_parms;
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
        emit(a, v1::EventTreatmentApplied, c.rp, far(c));
      } else if (c.media == media_state::starting) {
        leg_command(a, call_action::bye_leg, c.media_leg);
        emit(a, v1::EventTreatmentNotApplied, c.rp, far(c), "media server answered without SDP");
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
        emit(a, v1::EventTreatmentNotApplied, c.rp, far(c),
             "media server answered " + std::to_string(ev.status));
      else if (c.media == media_state::playing)
        treatment_end(c, a);
      forget_media(c);
      break;
    case call_event::media_lost:
      // Its server is out of service: taken off the call as if sipcc stopped
      // it (BYE or CANCEL, EventTreatmentEnd or NotApplied with the reason).
      if (!media_leg)
        break;
      stop_media(c, a, ev.text);
      // A CANCELled INVITE to a dead server ends in a timeout: the next
      // treatment need not wait for it (a late 2xx is a stray the audit drops).
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
static void mix_invite(call& c, actions& a, party p) {
  c.mix_at = p;
  c.mix_ms_answered = false;
  c.mix_leg = next_leg(c);
  call_action x = act(call_action::invite_media);
  x.leg = c.mix_leg;
  x.uri = c.mix_uri;
  if (c.mixing == mix_op::treat) {
    x.media_kind = v1::MEDIA_TREATMENT;
    x.treatment_type = c.mix_treatment_type;
    x.treatment_parms = c.mix_treatment_parms;
  } else {
    x.media_kind = c.recording ? v1::MEDIA_RECORDING : v1::MEDIA_CONFERENCE;
    x.conf_id = c.conf_id;
    if (c.recording)
      x.record_file = c.record_file;
  }
  // Sending and receiving with the media server, whatever its last view was
  // (a held party's last SDP says recvonly).
  x.sdp = hold_offer(sdp_from(c, p), "sendrecv").value_or(sdp_from(c, p));
  a.push_back(std::move(x));
}

// Recording state in the call's user data, for every DN party to see.
static void recording_data(call& c, actions& a, bool on) {
  v1::KVList kv;
  auto* file = kv.add_pairs();
  file->set_key("RecordingFile");
  file->set_str(c.record_file);
  auto* state = kv.add_pairs();
  state->set_key("RecordingState");
  state->set_str(on ? "on" : "off");
  change_user_data(c.user_data, kv, false);
  data_changed(c, a);
}

// The operation is over: its outcome to whoever asked (a treatment reports
// with its own events).
static void finish_mix(call& c, actions& a, const std::string& error) {
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
      emit(a, v1::EventError, c.agent_dn, far(c), "recording: " + error);
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
    own_reinvite(c, a, party_leg(c, p), c.mix_offer);
    return;
  }
  auto error = c.mix_error;
  finish_mix(c, a, error);
}

// A step of the operation failed: `leg_answered` when the media server had
// answered the leg being set up (it then gets a BYE).
static void mix_failed(call& c, actions& a, const std::string& why) {
  if (!c.mix_leg.empty() && c.mix_ms_answered)
    leg_command(a, call_action::bye_leg, c.mix_leg);
  c.mix_leg.clear();
  switch (c.mixing) {
    case mix_op::none:
      break;
    case mix_op::treat:
      c.mixing = mix_op::none;
      emit(a, v1::EventTreatmentNotApplied, c.rp, far(c), why);
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
static void mix_party_moved(call& c, actions& a) {
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
      emit(a, v1::EventTreatmentApplied, c.rp, far(c));
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

// Conference, recording and later treatment requests; false for the rest.
static bool mix_request(call& c, const call_event& ev, actions& a, const call_settings& cfg) {
  switch (ev.what) {
    case call_event::conf_join:
    case call_event::record_start:
      if (!mix_refusal(c, ev.what, ev.what == call_event::conf_join ? "" : ev.dn).empty())
        return true;
      if (ev.what == call_event::record_start)
        return start_recording(c, a, cfg), true;
      c.conf_id = ev.conf_id;
      c.recording = false;
      start_mix(c, a, mix_op::join, ev.uri, false);
      return true;
    case call_event::conf_leave:
    case call_event::record_stop:
      if (mix_refusal(c, ev.what, ev.what == call_event::conf_leave ? "" : ev.dn).empty())
        leave_next(c, a);
      return true;
    case call_event::treatment:
      if (!c.customer_answered)
        return false;  // the first one answers the customer (media_step)
      if (treatment_refusal(c, c.rp).empty()) {
        c.mix_treatment_type = ev.treatment_type;
        c.mix_treatment_parms = ev.treatment_parms;
        start_mix(c, a, mix_op::treat, ev.uri, ev.collects);
      }
      return true;
    default:
      return false;
  }
}

// A re-INVITE from a party, or from the media server, while media moves or
// in a conference; false when it is to be passed on as usual.
static bool mix_reinvite(call& c, const call_event& ev, actions& a, bool media_leg) {
  if (media_leg) {
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
    case call_event::media_answered:
      if (!mix_leg)
        return false;
      c.mix_ms_answered = true;
      if (ev.sdp.empty())
        return mix_failed(c, a, "media server answered without SDP"), true;
      c.mix_offer = ev.sdp;
      own_reinvite(c, a, party_leg(c, c.mix_at), ev.sdp);
      return true;
    case call_event::media_failed:
    case call_event::media_bye:
    case call_event::media_lost:
      if (mix_leg) {
        c.mix_leg.clear();  // nothing to BYE
        mix_failed(c, a, ev.what == call_event::media_lost
                             ? ev.text
                             : "media server answered " + std::to_string(ev.status));
        return true;
      }
      // The media server dropped a party, or is lost: the call leaves the
      // conference (the BYE of the dropped leg goes nowhere). Three parties
      // cannot talk without it: the consulted DN leaves, the last two join
      // back directly.
      if (conf && c.mixing == mix_op::none) {
        if (c.consult == consult_state::conferenced)
          consulted_leaves(c, a, true);
        else
          leave_next(c, a);
      }
      return conf;
    case call_event::reinvite_answered:
      if (!party || c.mixing == mix_op::none || (c.mixing != mix_op::leave && !c.mix_ms_answered))
        return false;
      mix_party_moved(c, a);
      return true;
    case call_event::reinvite_failed:
      if (!party || (c.mixing != mix_op::leave && !c.mix_ms_answered))
        return false;
      mix_failed(c, a, (c.mix_at == party::customer ? far_party_name(c)
                        : c.mix_at == party::agent   ? std::string("the agent")
                                                     : std::string("the consulted DN")) +
                           " refused the re-INVITE with " + std::to_string(ev.status));
      return true;
    case call_event::reinvite:
      return mix_reinvite(c, ev, a, conf || mix_leg);
    default:
      return mix_request(c, ev, a, cfg);
  }
}

}  // namespace sipcc::fsm
