// Desktop requests checked before any SIP (call_requests.hpp): each request
// on each kind of call, what the call machine is given (and how it is
// answered), or the EventError it gets.
#include "callctl/model/call_requests.hpp"

#include <gtest/gtest.h>

#include "call_fsm_table.hpp"
#include "kvlist.hpp"

namespace sipcc {
namespace {

using namespace fsm_table;

const call_settings kSettings{30, target("1009", 15, "recall", "none"), true, "ms", 10000};
const std::string kOtherSdp = "o=d 1 1 IN IP4 d\na=sendrecv\n";
const std::string kConsultSdp = "o=b 1 1 IN IP4 b\na=sendrecv\n";

void feed(call& c, const std::vector<call_event>& events) {
  for (const auto& e : events)
    call_step(c, e, kSettings);
}

// A routed call established at agent DN 1001.
call routed_up() {
  call c;
  c.conn_id = kConn;
  auto in = incoming();
  in.sdp = kCustomerSdp;
  feed(c, {in, route(target("1001", 0, "recall", "none")), answered("CONN-1", kAgentSdp),
           acked()});
  return c;
}

// TMakeCall from 1001 to ACDPosition 2000, up on both.
call made_up() {
  call c;
  c.conn_id = kConn;
  call_event mk(call_event::make_call);
  mk.dn = "1001";
  mk.uri = "sip:1001@ast";
  mk.target = target("2000", 0, "recall", "none");
  mk.far_is_dn = true;
  feed(c, {mk, answered("CONN-1", kAgentSdp), progress("CONN-2", 180),
           answered("CONN-2", kOtherSdp)});
  return c;
}

// The phone of DN 555 (registered on sipcc) talking to its mailbox 8000.
call direct_up() {
  call c;
  c.conn_id = kConn;
  auto in = incoming();
  in.what = call_event::incoming_direct;
  in.sdp = kAgentSdp;
  in.target = target("8000", 0, "recall", "none");
  feed(c, {in, answered("CONN-1", kOtherSdp), acked()});
  return c;
}

// The routed call with its consultation C2 (1001 with 1002) talking.
call consulting() {
  auto c = routed_up();
  call_event init(call_event::initiate_transfer);
  init.dn = "1001";
  init.conn_id = kConn;
  init.transfer_conn_id = "C2";
  init.target = target("1002", 0, "recall", "none");
  feed(c, {init, reinvite_ok("cust", "x"), reinvite_ok("CONN-1", "x"), progress("CONN-2", 180),
           answered("CONN-2", kConsultSdp), reinvite_ok("CONN-1", kAgentSdp)});
  return c;
}

// The consultation after its customer hung up: C2, a call of its own.
call outlived() {
  auto c = consulting();
  feed(c, {customer_bye()});
  return c;
}

// The call machine's event kinds the table names.
std::string kind_name(call_event::kind k) {
  switch (k) {
    case call_event::release: return "release";
    case call_event::hold: return "hold";
    case call_event::retrieve: return "retrieve";
    case call_event::user_data_change: return "user_data";
    case call_event::send_dtmf: return "dtmf";
    case call_event::single_step_transfer: return "single_step";
    case call_event::initiate_transfer: return "initiate";
    case call_event::complete_transfer: return "complete";
    case call_event::reconnect_call: return "reconnect";
    case call_event::alternate_call: return "alternate";
    case call_event::complete_conference: return "complete_conference";
    case call_event::delete_from_conference: return "delete";
    case call_event::record_start: return "record_start";
    case call_event::record_stop: return "record_stop";
    case call_event::answer: return "answer";
    case call_event::route: return "route";
    case call_event::treatment: return "treatment";
    default: return "?";
  }
}

// "release ack=EventReleased", "hold reply=EventHeld,EventError",
// "initiate +OtherDN ...", or "ERR_INVALID_STATE: <text>".
std::string describe(const request_plan& p) {
  if (!p.refusal.text.empty())
    return v1::ErrorCode_Name(p.refusal.code) + ": " + p.refusal.text;
  std::string out = kind_name(p.ev.what);
  if (p.resolve_other_dn)
    out += " +OtherDN";
  if (p.ack != v1::EVENT_UNSPECIFIED)
    out += " ack=" + v1::EventType_Name(p.ack);
  for (size_t i = 0; i < p.reply_on.size(); ++i)
    out += (i == 0 ? " reply=" : ",") + v1::EventType_Name(p.reply_on[i]);
  return out;
}

struct request_row {
  const char* call_kind;
  call (*make)();
  v1::RequestType type;
  std::string this_dn, conn_id, other_dn;
  std::string plan;
};

v1::TRequest to_request(const request_row& r) {
  v1::TRequest req;
  req.set_type(r.type);
  req.set_this_dn(r.this_dn);
  req.set_conn_id(r.conn_id);
  req.set_other_dn(r.other_dn);
  if (r.type == v1::TInitiateTransfer || r.type == v1::TInitiateConference)
    req.set_transfer_conn_id("C3");
  if (r.type == v1::TSendDTMF)
    req.set_dtmf_digits("12");
  if (r.type == v1::TAttachUserData)
    *req.mutable_user_data() = test::str_pairs({{"k", "v"}});
  return req;
}

const std::string kHoldReply = "hold reply=EventHeld,EventError";

TEST(CallRequests, EachRequestOnEachKindOfCall) {
  const std::string C = kConn;
  const std::vector<request_row> rows = {
      // Routed.
      {"routed", routed_up, v1::TReleaseCall, "1001", C, "", "release ack=EventReleased"},
      {"routed", routed_up, v1::TReleaseCall, "5000", C, "",
       "ERR_INVALID_STATE: DN 5000 has no established call CONN"},
      {"routed", routed_up, v1::THoldCall, "1001", C, "", kHoldReply},
      {"routed", routed_up, v1::TRetrieveCall, "1001", C, "",
       "ERR_INVALID_STATE: ConnID CONN is not held"},
      {"routed", routed_up, v1::TAttachUserData, "1001", C, "",
       "user_data ack=EventAttachedDataChanged"},
      {"routed", routed_up, v1::TSendDTMF, "1001", C, "", "dtmf ack=EventDTMFSent"},
      {"routed", routed_up, v1::TSingleStepTransfer, "1001", C, "1002",
       "single_step +OtherDN reply=EventReleased"},
      {"routed", routed_up, v1::TSingleStepTransfer, "1001", C, "",
       "ERR_BAD_REQUEST: TSingleStepTransfer needs an OtherDN"},
      {"routed", routed_up, v1::TInitiateTransfer, "1001", C, "1001",
       "ERR_BAD_REQUEST: OtherDN is ThisDN 1001"},
      {"routed", routed_up, v1::TInitiateConference, "1001", C, "1002",
       "initiate +OtherDN reply=EventDialing,EventError"},
      {"routed", routed_up, v1::TStartRecording, "1001", C, "",
       "record_start reply=EventAttachedDataChanged,EventError"},
      {"routed", routed_up, v1::TStopRecording, "1001", C, "",
       "ERR_INVALID_STATE: ConnID CONN is in no conference"},
      {"routed", routed_up, v1::TAnswerCall, "1001", C, "",
       "ERR_UNSUPPORTED: the phone of DN 1001 cannot be answered from the desktop (no "
       "remote-answer)"},
      {"routed", routed_up, v1::TRouteCall, "5000", C, "1002",
       "ERR_INVALID_STATE: ConnID CONN is not waiting for a route"},
      {"routed", routed_up, v1::TCompleteTransfer, "1001", C, "",
       "ERR_INVALID_STATE: ConnID CONN has no consultation call"},
      {"routed", routed_up, v1::TMakeCall, "1001", C, "1002",
       "ERR_UNSUPPORTED: TMakeCall is not supported yet"},
      // Desktop-made: ThisDN 1001 controls it, OtherDN 2000 is a party.
      {"made", made_up, v1::TReleaseCall, "2000", C, "", "release ack=EventReleased"},
      {"made", made_up, v1::TReleaseCall, "8000", C, "",
       "ERR_INVALID_STATE: DN 8000 is not on call CONN"},
      {"made", made_up, v1::THoldCall, "1001", C, "", kHoldReply},
      {"made", made_up, v1::THoldCall, "2000", C, "",
       "ERR_INVALID_STATE: DN 2000 has no established call CONN"},
      {"made", made_up, v1::TAttachUserData, "2000", C, "",
       "user_data ack=EventAttachedDataChanged"},
      {"made", made_up, v1::TSendDTMF, "1001", C, "", "dtmf ack=EventDTMFSent"},
      {"made", made_up, v1::TSingleStepTransfer, "1001", C, "1002",
       "single_step +OtherDN reply=EventReleased"},
      {"made", made_up, v1::TInitiateTransfer, "1001", C, "1002",
       "initiate +OtherDN reply=EventDialing,EventError"},
      {"made", made_up, v1::TStartRecording, "1001", C, "",
       "record_start reply=EventAttachedDataChanged,EventError"},
      {"made", made_up, v1::TApplyTreatment, "1001", C, "",
       "ERR_INVALID_STATE: ConnID CONN is not at Routing Point 1001"},
      {"made", made_up, v1::TAnswerCall, "2000", C, "",
       "ERR_UNSUPPORTED: the phone of DN 2000 cannot be answered from the desktop (no "
       "remote-answer)"},
      // Direct: the phone's DN 555 controls it.
      {"direct", direct_up, v1::TReleaseCall, "555", C, "", "release ack=EventReleased"},
      {"direct", direct_up, v1::THoldCall, "555", C, "", kHoldReply},
      {"direct", direct_up, v1::TSendDTMF, "555", C, "", "dtmf ack=EventDTMFSent"},
      {"direct", direct_up, v1::TAttachUserData, "8000", C, "",
       "ERR_INVALID_STATE: DN 8000 is no party of ConnID CONN"},
      {"direct", direct_up, v1::TSingleStepTransfer, "555", C, "1002",
       "single_step +OtherDN reply=EventReleased"},
      {"direct", direct_up, v1::TStartRecording, "555", C, "",
       "record_start reply=EventAttachedDataChanged,EventError"},
      // A consultation C2 (1001 with 1002) of the routed call.
      {"consultation", consulting, v1::TReleaseCall, "1002", "C2", "",
       "release reply=EventReleased"},
      {"consultation", consulting, v1::TReleaseCall, "1001", C, "",
       "ERR_INVALID_STATE: ConnID CONN has consultation call C2: TReleaseCall, TReconnectCall or "
       "TCompleteTransfer that one first"},
      {"consultation", consulting, v1::THoldCall, "1001", "C2", "",
       "ERR_INVALID_STATE: ConnID C2 is the consultation call of CONN: THoldCall is for ConnID "
       "CONN"},
      {"consultation", consulting, v1::THoldCall, "1001", C, "",
       "ERR_INVALID_STATE: ConnID CONN has a transfer under way: TAlternateCall and "
       "TReconnectCall move between its calls"},
      {"consultation", consulting, v1::TAttachUserData, "1002", "C2", "",
       "user_data ack=EventAttachedDataChanged"},
      {"consultation", consulting, v1::TSendDTMF, "1001", "C2", "", "dtmf ack=EventDTMFSent"},
      {"consultation", consulting, v1::TSendDTMF, "1002", "C2", "",
       "ERR_INVALID_STATE: DN 1002 has no established call C2"},
      {"consultation", consulting, v1::TCompleteTransfer, "1001", "C2", "",
       "complete reply=EventReleased,EventError"},
      {"consultation", consulting, v1::TAlternateCall, "1001", C, "",
       "alternate reply=EventRetrieved,EventError"},
      {"consultation", consulting, v1::TReconnectCall, "1001", "C2", "",
       "reconnect reply=EventReleased"},
      {"consultation", consulting, v1::TCompleteConference, "1001", C, "",
       "ERR_INVALID_STATE: ConnID CONN has no conference initiated (TInitiateConference)"},
      {"consultation", consulting, v1::TStartRecording, "1001", C, "",
       "ERR_INVALID_STATE: ConnID CONN has a transfer under way"},
      // The consultation once its customer left: C2, a call between 1001 and 1002.
      {"outlived", outlived, v1::TReleaseCall, "1002", "C2", "", "release ack=EventReleased"},
      {"outlived", outlived, v1::TReleaseCall, "1001", C, "",
       "ERR_INVALID_STATE: ConnID CONN has ended"},
      {"outlived", outlived, v1::THoldCall, "1001", "C2", "", kHoldReply},
      {"outlived", outlived, v1::TInitiateTransfer, "1001", "C2", "1003",
       "initiate +OtherDN reply=EventDialing,EventError"},
      {"outlived", outlived, v1::TAttachUserData, "1002", "C2", "",
       "user_data ack=EventAttachedDataChanged"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(std::string(r.call_kind) + " " + v1::RequestType_Name(r.type) + " from " +
                 r.this_dn + " on " + r.conn_id);
    auto c = r.make();
    EXPECT_EQ(describe(plan_request(c, to_request(r), {})), r.plan);
  }
}

TEST(CallRequests, OtherDnIsCheckedOnceResolved) {
  v1::TRequest req;
  req.set_other_dn("1002");
  EXPECT_EQ(target_refusal(req, target("1002", 0, "recall", "none"), true).text, "");
  route_target unreachable;
  unreachable.dn = "1002";
  auto no_phone = target_refusal(req, unreachable, true);
  EXPECT_EQ(no_phone.code, v1::ERR_INVALID_STATE);
  EXPECT_EQ(no_phone.text, "OtherDN 1002 has no registered phone");
  auto unknown = target_refusal(req, unreachable, false);
  EXPECT_EQ(unknown.code, v1::ERR_UNKNOWN_DN);
  EXPECT_EQ(unknown.text, "OtherDN 1002 is not configured");
}

TEST(CallRequests, ImmediateRepliesCarryTheCallAsTheRequestLeftIt) {
  auto c = made_up();
  v1::TRequest req;
  req.set_reference_id("r1");
  req.set_this_dn("1001");
  req.set_dtmf_digits("12");
  auto sent = request_ack(c, req, v1::EventDTMFSent);
  EXPECT_EQ(sent.conn_id(), kConn);
  EXPECT_EQ(sent.other_dn(), "2000");
  EXPECT_EQ(sent.reference_id(), "r1");
  ASSERT_EQ(sent.extensions().pairs_size(), 1);
  EXPECT_EQ(sent.extensions().pairs(0).str(), "12");
  auto consult = consulting();
  req.set_conn_id("C2");
  auto on_c2 = request_ack(consult, req, v1::EventAttachedDataChanged);
  EXPECT_EQ(on_c2.conn_id(), "C2");
  EXPECT_EQ(on_c2.other_dn(), "1002");
}

}  // namespace
}  // namespace sipcc
