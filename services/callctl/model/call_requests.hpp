// Desktop and conference requests on a call, as pure functions: which event
// of the call machine (call_fsm.hpp) a request is, who may make it and when,
// and why not. Every check comes before any SIP: a refused request gets
// EventError with the code and text given here, and sends nothing. The call
// actor resolves OtherDN (configuration, registrar bindings) between
// plan_request and target_refusal.
#pragma once

#include <string>
#include <vector>

#include "callctl/model/call_fsm.hpp"
#include "callctl/model/refusal.hpp"
#include "callctl/model/remote_answer.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipcc/v1/tlib.pb.h"

namespace sipcc {

// Whether a TRouteCall is acceptable now.
bool can_route(const call& c);

// Why a TApplyTreatment on Routing Point `dn` cannot be carried out now
// (empty: it can).
std::string treatment_refusal(const call& c, const std::string& dn);

// Why user data from DN `dn` on ConnID `conn` (empty: the call's own) cannot
// be changed now (empty: it can): `dn` is no DN party of that call.
std::string user_data_refusal(const call& c, const std::string& dn, const std::string& conn);

// Why TSendDTMF from DN `dn` on ConnID `conn` cannot be carried out now
// (empty: it can): that call is not established at agent DN `dn`. Digits
// that are no DTMF (dtmf_digits_error in dtmf.hpp) are ERR_BAD_REQUEST.
std::string dtmf_refusal(const call& c, const std::string& dn, const std::string& conn);

// Why THoldCall (or, with `retrieve`, TRetrieveCall) from DN `dn` cannot be
// carried out now (empty: it can).
std::string hold_refusal(const call& c, const std::string& dn, bool retrieve);

// Why a conference or recording request (conf_join, conf_leave,
// record_start, record_stop) from `dn` cannot be carried out now (empty: it
// can). Recording is asked by the agent DN; conferences come from the bus
// (`dn` empty).
std::string mix_refusal(const call& c, call_event::kind what, const std::string& dn);

// Why TReleaseCall from DN `dn` cannot be carried out now (empty: it can)
// on a call without a consultation (transfer_refusal has those).
std::string release_refusal(const call& c, const std::string& dn);

// Why transfer request `ev` (single_step_transfer, initiate_transfer,
// complete_transfer, reconnect_call, alternate_call, complete_conference,
// delete_from_conference, or a release while a consultation or 3pcc
// conference is up) cannot be carried out now (empty: it can). OtherDN is
// checked after it (plan_request, target_refusal).
std::string transfer_refusal(const call& c, const call_event& ev);

// Why TAnswerCall from DN `dn`, whose phone answers by `mode`, cannot be
// carried out now: ERR_INVALID_STATE when the call does not ring at `dn`
// (or a TAnswerCall waits already, or, for talk, the phone has not sent its
// 18x: no early dialog yet), ERR_UNSUPPORTED for a phone without remote
// answer.
request_refusal answer_refusal(const call& c, const std::string& dn, remote_answer mode);

// What the actor knows of ThisDN and the media server for plan_request.
struct request_context {
  remote_answer answer = remote_answer::none;  // ThisDN's remote-answer option
  std::string media_server;                    // host:port (treatment URIs)
};

// A desktop request as the call machine takes it.
struct request_plan {
  request_refusal refusal;  // set: answer EventError, send nothing
  call_event ev{call_event::release};
  // OtherDN (the request's) is to be resolved into ev.target, then checked
  // with target_refusal: TRouteCall and the transfers that dial it.
  bool resolve_other_dn = false;
  // The request's reply: the first event of the call among `reply_on` on
  // its ThisDN, or, when `ack` is set, that event at once (request_ack).
  std::vector<v1::EventType> reply_on;
  v1::EventType ack = v1::EVENT_UNSPECIFIED;
};
request_plan plan_request(const call& c, const v1::TRequest& req, const request_context& ctx);

// Why the OtherDN resolved into `t` cannot be called: a configured DN
// without a registered phone (ERR_INVALID_STATE), or no DN at all
// (ERR_UNKNOWN_DN).
request_refusal target_refusal(const v1::TRequest& req, const route_target& t, bool configured);

// The immediate reply `type` to request `req` (plan.ack), after its step.
v1::TEvent request_ack(const call& c, const v1::TRequest& req, v1::EventType type);

// A conference request from the bus (JOIN, LEAVE) on the call: its event,
// or why not (the error ConfReply's text).
struct conf_plan {
  std::string refusal;
  call_event ev{call_event::conf_join};
};
conf_plan plan_conf(const call& c, const v1::ConfRequest& req, const std::string& media_server);

}  // namespace sipcc
