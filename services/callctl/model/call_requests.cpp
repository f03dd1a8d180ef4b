#include "callctl/model/call_requests.hpp"

#include <algorithm>
#include <iterator>

#include "callctl/model/dtmf.hpp"
#include "callctl/model/sdp.hpp"
#include "callctl/model/targets.hpp"
#include "sipcc/media_uri.hpp"

namespace sipcc {

namespace {

bool consulting(const call& c) { return c.consult != consult_state::none; }
bool moving(const call& c) { return !c.moves.empty(); }
bool on_consult(const call& c, const std::string& conn) {
  return consulting(c) && !conn.empty() && conn == c.consult_conn_id;
}

std::string no_established(const std::string& dn, const std::string& conn) {
  return "DN " + dn + " has no established call " + conn;
}

// The DNs that have the call in T-Library terms: the RP while it routes,
// the agent DN from the route on, and a far DN in the call; none once it ended.
bool dn_party(const call& c, const std::string& dn) {
  if (dn.empty() || c.state == call_state::ended)
    return false;
  if (c.kind == call_kind::routed && c.state == call_state::routing)
    return dn == c.rp;
  if (dn == c.agent_dn)
    return true;
  return c.far_is_dn && dn == c.far_dn && (c.far_rang || c.state == call_state::established);
}

}  // namespace

// A route while the customer's media moves would cross re-INVITEs.
bool can_route(const call& c) {
  return c.kind == call_kind::routed && c.state == call_state::routing &&
         c.mixing == mix_op::none;
}

std::string treatment_refusal(const call& c, const std::string& dn) {
  const std::string conn = "ConnID " + c.conn_id;
  if (c.kind != call_kind::routed || c.rp != dn)
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

std::string user_data_refusal(const call& c, const std::string& dn, const std::string& conn) {
  if (on_consult(c, conn)) {
    if (!dn.empty() && (dn == c.agent_dn || (dn == c.consult_dn && c.consult_rang)))
      return "";
    return "DN " + dn + " is no party of ConnID " + conn;
  }
  if (!dn_party(c, dn))
    return "DN " + dn + " is no party of ConnID " + c.conn_id;
  return "";
}

std::string dtmf_refusal(const call& c, const std::string& dn, const std::string& conn) {
  if (on_consult(c, conn))
    return dn == c.agent_dn && c.consult == consult_state::talking ? ""
                                                                   : no_established(dn, conn);
  if (c.state != call_state::established || dn.empty() || dn != c.agent_dn)
    return no_established(dn, c.conn_id);
  return "";
}

std::string hold_refusal(const call& c, const std::string& dn, bool retrieve) {
  const std::string conn = "ConnID " + c.conn_id;
  if (c.state != call_state::established || dn.empty() || dn != c.agent_dn)
    return no_established(dn, c.conn_id);
  if (c.holding != hold_step::none || !c.reinvite_from.empty())
    return conn + " has a re-INVITE in progress";
  if (c.mixing != mix_op::none || !c.conf_id.empty())
    return conn + " is in a conference or recorded";
  if (consulting(c))
    return conn + " has a transfer under way: TAlternateCall and TReconnectCall move between "
                  "its calls";
  if (moving(c))
    return conn + " has a re-INVITE in progress";
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
  if (c.state == call_state::ended)
    return conn + " has ended";
  if (recording && (dn.empty() || dn != c.agent_dn || c.state != call_state::established))
    return no_established(dn, c.conn_id);
  const bool waiting = c.state == call_state::routing && c.customer_answered;
  if (c.state != call_state::established && !waiting)
    return conn + " is neither established nor answered at its Routing Point";
  if (c.mixing != mix_op::none || c.media == media_state::starting ||
      c.holding != hold_step::none || !c.reinvite_from.empty())
    return conn + " has a re-INVITE in progress";
  if (consulting(c) || moving(c))
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

std::string release_refusal(const call& c, const std::string& dn) {
  // A made call is either DN's to end, whatever its phase.
  if (c.kind == call_kind::made) {
    if (c.state == call_state::ended || dn.empty() || (dn != c.agent_dn && dn != c.far_dn))
      return "DN " + dn + " is not on call " + c.conn_id;
    return "";
  }
  // Connecting: the customer has our 2xx and may be sent BYE (RFC 3261 15).
  const bool up = c.state == call_state::established || c.state == call_state::connecting;
  if (!up || dn.empty() || dn != c.agent_dn)
    return no_established(dn, c.conn_id);
  return "";
}

namespace {

// TDeleteFromConference, or TReleaseCall from a party, of a 3pcc conference.
std::string conference_refusal(const call& c, const call_event& ev) {
  const std::string held_call = "ConnID " + c.conn_id;
  const std::string& dn = ev.dn;
  if (ev.what != call_event::release && ev.what != call_event::delete_from_conference)
    return held_call + " is in a conference";
  const auto& leaving = ev.what == call_event::release ? dn : ev.target.dn;
  if (dn.empty() || (dn != c.agent_dn && dn != c.consult_dn))
    return "DN " + dn + " is no party of conference " + held_call;
  if (leaving != c.agent_dn && leaving != c.consult_dn)
    return "OtherDN " + leaving + " is no DN party of conference " + held_call;
  return c.mixing != mix_op::none ? held_call + " has a re-INVITE in progress" : "";
}

// A transfer's re-INVITEs, or any other, are under way.
bool busy(const call& c) {
  return moving(c) || c.holding != hold_step::none || !c.reinvite_from.empty() ||
         c.mixing != mix_op::none || c.consult == consult_state::holding ||
         c.consult == consult_state::joining;
}

std::string complete_conference_refusal(const call& c, const call_event& ev,
                                        const std::string& conn) {
  const std::string held_call = "ConnID " + c.conn_id;
  if (c.state != call_state::established || ev.dn.empty() || ev.dn != c.agent_dn)
    return no_established(ev.dn, conn);
  if (!consulting(c) || !c.consult_conference)
    return held_call + " has no conference initiated (TInitiateConference)";
  if (c.consult != consult_state::talking && c.consult != consult_state::alternated)
    return "consultation call " + c.consult_conn_id + " is not established yet";
  if (busy(c))
    return held_call + " has a re-INVITE in progress";
  if (!c.conf_id.empty())
    return held_call + " is in a conference or recorded";
  return "";
}

std::string consult_release_refusal(const call& c, const call_event& ev,
                                    const std::string& conn) {
  const std::string held_call = "ConnID " + c.conn_id;
  if (c.consult == consult_state::holding)
    return held_call + " has a re-INVITE in progress";
  if (!on_consult(c, conn))
    return held_call + " has consultation call " + c.consult_conn_id +
           ": TReleaseCall, TReconnectCall or TCompleteTransfer that one first";
  if (ev.dn.empty() || (ev.dn != c.agent_dn && !(ev.dn == c.consult_dn && c.consult_rang)))
    return "DN " + ev.dn + " is no party of ConnID " + conn;
  return busy(c) ? "ConnID " + conn + " has a re-INVITE in progress" : "";
}

std::string dial_refusal(const call& c, const call_event& ev) {
  const std::string held_call = "ConnID " + c.conn_id;
  if (consulting(c))
    return held_call + " has a transfer under way already";
  if (busy(c))
    return held_call + " has a re-INVITE in progress";
  if (ev.what == call_event::initiate_transfer && ev.transfer_conn_id.empty())
    return "no ConnID for the consultation call";
  if (ev.what == call_event::initiate_transfer && !c.held &&
      (!hold_offer(c.sdp_to_customer, "sendrecv") || !hold_offer(c.sdp_to_agent, "sendrecv")))
    return held_call + ": no SDP sent to both sides to derive the offers from";
  return "";
}

}  // namespace

std::string transfer_refusal(const call& c, const call_event& ev) {
  const std::string conn = ev.conn_id.empty() ? c.conn_id : ev.conn_id;
  const std::string held_call = "ConnID " + c.conn_id;
  if (conn != c.conn_id && !on_consult(c, conn))
    return "ConnID " + conn + " is not a call of " + held_call;
  if (c.consult == consult_state::conferenced)
    return conference_refusal(c, ev);
  if (ev.what == call_event::delete_from_conference)
    return held_call + " is no conference of TInitiateConference / TCompleteConference";
  if (ev.what == call_event::complete_conference)
    return complete_conference_refusal(c, ev, conn);
  if (ev.what == call_event::release)
    return consulting(c) ? consult_release_refusal(c, ev, conn) : release_refusal(c, ev.dn);
  if (c.state != call_state::established || ev.dn.empty() || ev.dn != c.agent_dn)
    return no_established(ev.dn, conn);
  // A conference's or recording's media-server legs would be left behind.
  if (c.mixing != mix_op::none || !c.conf_id.empty())
    return held_call + " is in a conference or recorded";
  if (ev.what == call_event::single_step_transfer || ev.what == call_event::initiate_transfer)
    return dial_refusal(c, ev);
  if (!consulting(c))
    return held_call + " has no consultation call";
  const std::string& other = conn == c.conn_id ? c.consult_conn_id : c.conn_id;
  if (!ev.transfer_conn_id.empty() && ev.transfer_conn_id != other)
    return "TransferConnID " + ev.transfer_conn_id + " is not the other call of ConnID " + conn +
           " (" + other + ")";
  if (busy(c))
    return held_call + " has a re-INVITE in progress";
  if (ev.what != call_event::reconnect_call && c.consult == consult_state::dialing)
    return "consultation call " + c.consult_conn_id + " is not established yet";
  return "";
}

request_refusal answer_refusal(const call& c, const std::string& dn, remote_answer mode) {
  const auto r = rings_at(c, dn);
  const std::string not_ringing = "DN " + dn + " is not ringing on ConnID " + c.conn_id;
  if (!r.party)
    return {v1::ERR_INVALID_STATE, not_ringing};
  if (mode == remote_answer::none)
    return {v1::ERR_UNSUPPORTED, "the phone of DN " + dn +
                                     " cannot be answered from the desktop (no remote-answer)"};
  if (!r.ringing)
    return {v1::ERR_INVALID_STATE, not_ringing};
  if (c.answering)
    return {v1::ERR_INVALID_STATE,
            "a TAnswerCall for ConnID " + c.conn_id + " waits for the phone already"};
  if (mode == remote_answer::talk && !r.rang)
    return {v1::ERR_INVALID_STATE, "the phone of DN " + dn +
                                       " has not rung yet: no early dialog to send talk in"};
  return {};
}


namespace {

// Each transfer request: its event for the machine, and the events on
// ThisDN that reply to it (EventError when a re-INVITE it waits for is
// refused).
struct transfer_kind {
  v1::RequestType type;
  call_event::kind what;
  std::vector<v1::EventType> reply_on;
};
const transfer_kind kTransferRequests[] = {
    {v1::TSingleStepTransfer, call_event::single_step_transfer, {v1::EventReleased}},
    {v1::TInitiateTransfer, call_event::initiate_transfer, {v1::EventDialing, v1::EventError}},
    {v1::TCompleteTransfer, call_event::complete_transfer, {v1::EventReleased, v1::EventError}},
    {v1::TReconnectCall, call_event::reconnect_call, {v1::EventReleased}},
    {v1::TAlternateCall, call_event::alternate_call, {v1::EventRetrieved, v1::EventError}},
    // While a consultation call is up, on either ConnID; or a party leaving a conference.
    {v1::TReleaseCall, call_event::release, {v1::EventReleased}},
    // 3pcc conferences: a consultation as TInitiateTransfer's, then the three
    // parties in conference <ConnID> on the media server.
    {v1::TInitiateConference, call_event::initiate_transfer, {v1::EventDialing, v1::EventError}},
    {v1::TCompleteConference, call_event::complete_conference,
     {v1::EventPartyAdded, v1::EventError}},
    {v1::TDeleteFromConference, call_event::delete_from_conference,
     {v1::EventPartyDeleted, v1::EventReleased}},
};

request_plan refused(v1::ErrorCode code, const std::string& text) {
  request_plan p;
  p.refusal = {code, text};
  return p;
}

request_plan plan_transfer(const call& c, const v1::TRequest& req, const transfer_kind& kind) {
  request_plan p;
  p.ev = call_event(kind.what);
  p.reply_on = kind.reply_on;
  p.ev.dn = req.this_dn();
  p.ev.conn_id = req.conn_id();
  p.ev.transfer_conn_id = req.transfer_conn_id();
  p.ev.conference = req.type() == v1::TInitiateConference;
  if (req.type() == v1::TDeleteFromConference)
    p.ev.target.dn = req.other_dn();
  // The state first (a request that makes no sense says so whatever its
  // OtherDN), then OtherDN as TRouteCall checks it.
  auto refusal = transfer_refusal(c, p.ev);
  if (!refusal.empty())
    return refused(v1::ERR_INVALID_STATE, refusal);
  if (p.ev.what == call_event::single_step_transfer ||
      p.ev.what == call_event::initiate_transfer) {
    if (req.other_dn().empty())
      return refused(v1::ERR_BAD_REQUEST, v1::RequestType_Name(req.type()) + " needs an OtherDN");
    if (req.other_dn() == req.this_dn())
      return refused(v1::ERR_BAD_REQUEST, "OtherDN is ThisDN " + req.other_dn());
    p.resolve_other_dn = true;
  }
  return p;
}

request_plan plan_route(const call& c, const v1::TRequest& req) {
  if (!can_route(c))
    return refused(v1::ERR_INVALID_STATE, "ConnID " + c.conn_id + " is not waiting for a route");
  auto record = callctl::record_extension(&req.extensions());
  if (!record.empty() && record != "source" && record != "destination")
    return refused(v1::ERR_BAD_REQUEST, "Extensions record must be source or destination");
  request_plan p;
  p.ev = call_event(call_event::route);
  p.resolve_other_dn = true;
  p.ack = v1::EventRouteUsed;
  return p;
}

request_plan plan_treatment(const call& c, const v1::TRequest& req, const request_context& ctx) {
  auto refusal = treatment_refusal(c, req.this_dn());
  if (!refusal.empty())
    return refused(v1::ERR_INVALID_STATE, refusal);
  auto mr = treatment_request(req.treatment_type(), req.treatment_parms(), ctx.media_server);
  if (!mr.error.empty())
    return refused(v1::ERR_BAD_REQUEST, mr.error);
  request_plan p;
  p.ev = call_event(call_event::treatment);
  p.ev.uri = mr.uri;
  p.ev.collects = mr.collects;
  p.ev.treatment_type = req.treatment_type();
  p.ev.treatment_parms = req.treatment_parms();
  p.reply_on = {v1::EventTreatmentApplied, v1::EventTreatmentNotApplied};
  return p;
}

request_plan plan_user_data(const call& c, const v1::TRequest& req) {
  auto refusal = user_data_refusal(c, req.this_dn(), req.conn_id());
  if (!refusal.empty())
    return refused(v1::ERR_INVALID_STATE, refusal);
  const bool remove = req.type() == v1::TDeleteUserData;
  if (!remove && req.user_data().pairs().empty())
    return refused(v1::ERR_BAD_REQUEST, v1::RequestType_Name(req.type()) + " without UserData");
  request_plan p;
  p.ev = call_event(call_event::user_data_change);
  p.ev.user_data = req.user_data();
  p.ev.delete_data = remove;
  p.ack = v1::EventAttachedDataChanged;
  return p;
}

request_plan plan_dtmf(const call& c, const v1::TRequest& req) {
  auto refusal = dtmf_refusal(c, req.this_dn(), req.conn_id());
  if (!refusal.empty())
    return refused(v1::ERR_INVALID_STATE, refusal);
  auto bad = dtmf_digits_error(req.dtmf_digits());
  if (!bad.empty())
    return refused(v1::ERR_BAD_REQUEST, bad);
  request_plan p;
  p.ev = call_event(call_event::send_dtmf);
  p.ev.digits = req.dtmf_digits();
  p.ack = v1::EventDTMFSent;
  return p;
}

// Hold, recording, TAnswerCall and TReleaseCall: a state check each.
request_plan plan_simple(const call& c, const v1::TRequest& req, const request_context& ctx) {
  const auto& dn = req.this_dn();
  request_plan p;
  std::string refusal;
  switch (req.type()) {
    case v1::THoldCall:
    case v1::TRetrieveCall: {
      const bool retrieve = req.type() == v1::TRetrieveCall;
      refusal = hold_refusal(c, dn, retrieve);
      p.ev = call_event(retrieve ? call_event::retrieve : call_event::hold);
      p.reply_on = {retrieve ? v1::EventRetrieved : v1::EventHeld, v1::EventError};
      break;
    }
    case v1::TStartRecording:
    case v1::TStopRecording:
      p.ev = call_event(req.type() == v1::TStartRecording ? call_event::record_start
                                                          : call_event::record_stop);
      refusal = mix_refusal(c, p.ev.what, dn);
      p.reply_on = {v1::EventAttachedDataChanged, v1::EventError};
      break;
    case v1::TAnswerCall: {
      auto r = answer_refusal(c, dn, ctx.answer);
      if (!r.text.empty())
        return refused(r.code, r.text);
      p.ev = call_event(call_event::answer);
      p.ev.talk = ctx.answer == remote_answer::talk;
      p.reply_on = {v1::EventEstablished, v1::EventError};
      break;
    }
    case v1::TReleaseCall:
      refusal = release_refusal(c, dn);
      p.ack = v1::EventReleased;
      break;
    default:
      return refused(v1::ERR_UNSUPPORTED,
                     v1::RequestType_Name(req.type()) + " is not supported yet");
  }
  if (!refusal.empty())
    return refused(v1::ERR_INVALID_STATE, refusal);
  return p;
}

}  // namespace

request_plan plan_request(const call& c, const v1::TRequest& req, const request_context& ctx) {
  auto kind = std::find_if(std::begin(kTransferRequests), std::end(kTransferRequests),
                           [&](const transfer_kind& k) { return k.type == req.type(); });
  const bool own_release = req.type() == v1::TReleaseCall && !consulting(c);
  const bool own = req.conn_id().empty() || req.conn_id() == c.conn_id;
  request_plan p;
  if (kind != std::end(kTransferRequests) && !own_release) {
    p = plan_transfer(c, req, *kind);
  } else if (!own && !on_consult(c, req.conn_id())) {
    // The call went on as its consultation (outlived its own ConnID).
    return refused(v1::ERR_INVALID_STATE, "ConnID " + req.conn_id() + " has ended");
  } else if (req.type() == v1::TAttachUserData || req.type() == v1::TUpdateUserData ||
             req.type() == v1::TDeleteUserData) {
    p = plan_user_data(c, req);
  } else if (req.type() == v1::TSendDTMF) {
    p = plan_dtmf(c, req);
  } else if (!own && req.type() != v1::TAnswerCall) {
    // The rest act on the call itself, not on its consultation's ConnID.
    return refused(v1::ERR_INVALID_STATE,
                   "ConnID " + req.conn_id() + " is the consultation call of " + c.conn_id +
                       ": " + v1::RequestType_Name(req.type()) + " is for ConnID " + c.conn_id);
  } else if (req.type() == v1::TRouteCall) {
    p = plan_route(c, req);
  } else if (req.type() == v1::TApplyTreatment) {
    p = plan_treatment(c, req, ctx);
  } else {
    p = plan_simple(c, req, ctx);
  }
  if (p.refusal.text.empty()) {
    p.ev.dn = req.this_dn();
    p.ev.conn_id = req.conn_id();
  }
  return p;
}

request_refusal target_refusal(const v1::TRequest& req, const route_target& t, bool configured) {
  if (!t.contact_uri.empty())
    return {};
  if (configured)
    return {v1::ERR_INVALID_STATE, "OtherDN " + req.other_dn() + " has no registered phone"};
  return {v1::ERR_UNKNOWN_DN, "OtherDN " + req.other_dn() + " is not configured"};
}

v1::TEvent request_ack(const call& c, const v1::TRequest& req, v1::EventType type) {
  v1::TEvent ack;
  ack.set_schema(v1::SCHEMA_V1);
  ack.set_type(type);
  ack.set_reference_id(req.reference_id());
  ack.set_this_dn(req.this_dn());
  ack.set_conn_id(req.conn_id().empty() ? c.conn_id : req.conn_id());
  if (type == v1::EventRouteUsed) {
    ack.set_this_dn(c.rp);
    ack.set_other_dn(req.other_dn());
    return ack;
  }
  if (type == v1::EventReleased)
    return ack;
  // The call's data as the request left it.
  ack.set_other_dn(on_consult(c, req.conn_id()) ? c.consult_dn : far(c));
  ack.set_call_id(c.call_id);
  *ack.mutable_user_data() = c.user_data;
  if (type == v1::EventDTMFSent) {
    auto* kv = ack.mutable_extensions()->add_pairs();
    kv->set_key("DTMFDigits");
    kv->set_str(req.dtmf_digits());
  }
  return ack;
}

conf_plan plan_conf(const call& c, const v1::ConfRequest& req, const std::string& media_server) {
  conf_plan p;
  p.ev = call_event(req.op() == v1::CONF_JOIN ? call_event::conf_join : call_event::conf_leave);
  p.refusal = mix_refusal(c, p.ev.what, "");
  p.ev.conf_id = req.conf_id();
  p.ev.uri = conf_uri(media_server, req.conf_id(), req.record() ? req.conf_id() + ".wav" : "");
  return p;
}

}  // namespace sipcc
