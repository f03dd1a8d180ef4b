// One call model (call_fsm.hpp): the requests of routed calls on the other
// kinds of call. A desktop-made call (TMakeCall 1001 -> 2000, an
// ACDPosition) transferred, conferenced, recorded and answered from the
// desktop; a direct call held and sent DTMF. Each scenario is the ladder of
// events the call actor feeds call_step(), as in call_fsm_test.cpp.
#include "callctl/model/call_fsm.hpp"

#include <gtest/gtest.h>

#include "call_fsm_table.hpp"
#include "callctl/model/call_requests.hpp"
#include "kvlist.hpp"

namespace sipcc {
namespace {

using namespace fsm_table;

const std::string kC2 = "C2";  // a consultation's ConnID
const std::string kFarSdp = "o=d 1 1 IN IP4 d\na=sendrecv\n";
const std::string kTargetSdp = "o=t 1 1 IN IP4 t\na=sendrecv\n";

// kDefault's, with a ringback bound (another file's constants are not
// there yet when this one is made).
const call_settings kMade{30, target("1009", 15, "recall", "none"), true, "ms", 10000};

call_event make_call(const std::string& this_dn, const std::string& other_dn, bool other_is_dn) {
  call_event e(call_event::make_call);
  e.dn = this_dn;
  e.uri = "sip:" + this_dn + "@ast";
  e.target = target(other_dn, 0, "recall", "none");
  e.far_is_dn = other_is_dn;
  return e;
}

call_event request(call_event::kind k, const std::string& dn, const std::string& conn = kConn) {
  call_event e(k);
  e.dn = dn;
  e.conn_id = conn;
  return e;
}

call_event to(call_event::kind k, const std::string& dn, const std::string& other) {
  auto e = request(k, dn);
  e.target = target(other, 0, "recall", "none");
  if (k == call_event::initiate_transfer)
    e.transfer_conn_id = kC2;
  return e;
}

// TMakeCall from 1001 to ACDPosition 2000, up on both: the agent's phone
// (CONN-1) offered kAgentSdp, the destination (CONN-2) answered kFarSdp.
std::vector<call_step_case> made_up() {
  return {
      {make_call("1001", "2000", true),
       "fact:1001+ fact:2000+ EventDialing@1001/2000 "
       "invite:CONN-1>sip:1001@ast[](ack later){from 2000}",
       call_state::dialing},
      {answered("CONN-1", kAgentSdp),
       "invite:CONN-2>sip:2000@ast[o=a 1 1 IN IP4 a|a=sendrecv|]{from 1001} timer:10000#1",
       call_state::calling},
      {progress("CONN-2", 180), "EventRinging@2000/1001", call_state::calling},
      {answered("CONN-2", kFarSdp),
       "ack:CONN-1[" + oneline(kFarSdp) + "] EventEstablished@1001/2000 EventEstablished@2000/1001",
       established},
  };
}

call_scenario made(std::string name, std::vector<std::vector<call_step_case>> parts) {
  call_scenario sc{std::move(name), kMade, made_up()};
  for (const auto& p : parts)
    sc.steps.insert(sc.steps.end(), p.begin(), p.end());
  return sc;
}

// TInitiateTransfer (or TInitiateConference) from 1001 to 1002 on the made
// call: the destination held, then 1002 dialled and joined to 1001.
std::vector<call_step_case> made_consults(call_event::kind k = call_event::initiate_transfer) {
  auto initiate = to(call_event::initiate_transfer, "1001", "1002");
  initiate.conference = k != call_event::initiate_transfer;
  return {
      {initiate, "reinvite:CONN-2[o=a 1 2 IN IP4 a|a=sendonly|]", established},
      {reinvite_ok("CONN-2", "o=d 1 2 IN IP4 d\na=recvonly\n"),
       "reinvite:CONN-1[o=d 1 3 IN IP4 d|a=inactive|]", established},
      {reinvite_ok("CONN-1", "o=a 1 2 IN IP4 a\na=inactive\n"),
       "EventHeld@1001/2000 fact:1001+~C2 fact:1002+~C2 "
       "invite:CONN-3>sip:1002@ast[](ack later){from 1001} alias:C2+ "
       "EventDialing@1001/1002~conn=C2~transfer=CONN",
       established},
      {progress("CONN-3", 180), "EventRinging@1002/1001~conn=C2", established},
      {answered("CONN-3", kTargetSdp), "reinvite:CONN-1[o=t 1 2 IN IP4 t|a=sendrecv|]",
       established},
      {reinvite_ok("CONN-1", "o=a 1 3 IN IP4 a\na=sendrecv\n"),
       "ack:CONN-3[o=a 1 3 IN IP4 a|a=sendrecv|] EventEstablished@1002/1001~conn=C2 "
       "EventEstablished@1001/1002~conn=C2",
       established},
  };
}

std::vector<call_scenario> made_scenarios() {
  return {
      made("single_step_transfer_of_a_made_call_joins_the_destination_to_the_target",
           {{
               {to(call_event::single_step_transfer, "1001", "1002"),
                "bye:CONN-1 EventReleased@1001/2000~third=1002 fact:1001-* fact:1002+ "
                "invite:CONN-3>sip:1002@ast[](ack later){from 2000}",
                alerting},
               {progress("CONN-3", 180), "EventRinging@1002/2000~third=1001", alerting},
               {answered("CONN-3", kTargetSdp), "reinvite:CONN-2[" + oneline(kTargetSdp) + "]",
                connecting},
               {reinvite_ok("CONN-2", "o=d 1 3 IN IP4 d\na=sendrecv\n"),
                "ack:CONN-3[o=d 1 3 IN IP4 d|a=sendrecv|] EventEstablished@1002/2000~third=1001 "
                "EventPartyChanged@2000/1002~third=1001",
                established},
               {release("2000"),
                "bye:CONN-3 bye:customer EventReleased@1002/2000 fact:1002-* "
                "EventReleased@2000/1002 fact:2000-* end",
                ended},
           }}),
      made("a_made_call_whose_transfer_target_is_busy_is_released",
           {{
               {to(call_event::single_step_transfer, "1001", "1002"),
                "bye:CONN-1 EventReleased@1001/2000~third=1002 fact:1001-* fact:1002+ "
                "invite:CONN-3>sip:1002@ast[](ack later){from 2000}",
                alerting},
               // No Routing Point to recall it to.
               {failed("CONN-3", 486),
                "fact:1002- bye:customer EventReleased@2000/1001 fact:2000-* end", ended},
           }}),
      made("consultation_transfer_of_a_made_call",
           {made_consults(),
            {{to(call_event::complete_transfer, "1001", ""),
              "reinvite:CONN-2[o=t 1 2 IN IP4 t|a=sendrecv|]", established},
             {reinvite_ok("CONN-2", "o=d 1 4 IN IP4 d\na=sendrecv\n"),
              "bye:CONN-1 EventReleased@1001/1002~conn=C2 EventReleased@1001/2000~third=1002 "
              "fact:1001-~C2 fact:1001-* fact:1002+ fact:1002-~C2 alias:C2- "
              "EventPartyChanged@1002/2000~third=1001~previous=C2 "
              "EventPartyChanged@2000/1002~third=1001 "
              "reinvite:CONN-3[o=d 1 5 IN IP4 d|a=sendrecv|]",
              established},
             {reinvite_ok("CONN-3", "x"), "", established},
             {customer_bye(),
              "bye:CONN-3 EventReleased@1002/2000 fact:1002-* EventReleased@2000/1002 "
              "fact:2000-* end",
              ended}}}),
      made("a_made_call_conferenced_with_a_third_party",
           {made_consults(call_event::complete_conference),
            {{request(call_event::complete_conference, "1001"),
              "media:CONN-4>sip:conf=CONN@ms[o=d 1 3 IN IP4 d|a=sendrecv|]", established},
             {media_ok("CONN-4", "ms-d"), "reinvite:CONN-2[ms-d]", established},
             {reinvite_ok("CONN-2", "d2"), "media:CONN-5>sip:conf=CONN@ms[o=a 1 4 IN IP4 a|a=sendrecv|]",
              established},
             {media_ok("CONN-5", "ms-a"), "reinvite:CONN-1[ms-a]", established},
             {reinvite_ok("CONN-1", "a2"), "media:CONN-6>sip:conf=CONN@ms[o=t 1 2 IN IP4 t|a=sendrecv|]",
              established},
             {media_ok("CONN-6", "ms-t"), "reinvite:CONN-3[ms-t]", established},
             {reinvite_ok("CONN-3", "t2"),
              "EventReleased@1001/1002~conn=C2 fact:1001-~C2 fact:1002-~C2 fact:1002+ alias:C2- "
              "EventPartyChanged@1002/2000~third=1001~previous=C2 "
              "EventPartyAdded@1001/2000~third=1002 EventPartyAdded@1002/2000~third=1001 "
              "EventPartyAdded@2000/1001~third=1002",
              established},
             // The destination is the call's customer: it leaving ends it for all.
             {customer_bye(),
              "bye:CONN-3 bye:CONN-1 EventReleased@1002/2000 fact:1002-* "
              "EventReleased@1001/2000 fact:1001-* EventReleased@2000/1001 fact:2000-* "
              "bye:CONN-4 bye:CONN-5 bye:CONN-6 end",
              ended}}}),
      made("a_made_call_recorded_then_stopped",
           {{
               {record("1001", true),
                "media:CONN-3>sip:conf=rec-CONN-1@ms;record=CONN-1.wav[o=d 1 2 IN IP4 d|a=sendrecv|]",
                established},
               {media_ok("CONN-3", "ms-d"), "reinvite:CONN-2[ms-d]", established},
               {reinvite_ok("CONN-2", "d2"),
                "media:CONN-4>sip:conf=rec-CONN-1@ms;record=CONN-1.wav[o=a 1 2 IN IP4 a|a=sendrecv|]",
                established},
               {media_ok("CONN-4", "ms-a"), "reinvite:CONN-1[ms-a]", established},
               // Both DNs hear of the recording in the call's data.
               {reinvite_ok("CONN-1", "a2"),
                "EventAttachedDataChanged@1001/2000{RecordingFile=CONN-1.wav,RecordingState=on} "
                "EventAttachedDataChanged@2000/1001{RecordingFile=CONN-1.wav,RecordingState=on}",
                established},
               {record("2000", false), "", established},  // ThisDN's to stop
               {record("1001", false), "reinvite:CONN-2[a2]", established},
               {reinvite_ok("CONN-2", "d3"), "bye:CONN-3 reinvite:CONN-1[d3]", established},
               {reinvite_ok("CONN-1", "a3"),
                "bye:CONN-4 "
                "EventAttachedDataChanged@1001/2000{RecordingFile=CONN-1.wav,RecordingState=off} "
                "EventAttachedDataChanged@2000/1001{RecordingFile=CONN-1.wav,RecordingState=off}",
                established},
           }}),
      made("a_made_calls_hold_refused_with_491_is_sent_again",
           {{
               {hold("1001", call_event::hold), "reinvite:CONN-2[o=a 1 2 IN IP4 a|a=sendonly|]", established},
               {reinvite_failed("CONN-2", 491), "retry:2100-4000#1", established},
               {retry(1), "reinvite:CONN-2[o=a 1 2 IN IP4 a|a=sendonly|]", established},
               {reinvite_ok("CONN-2", "x"), "reinvite:CONN-1[o=d 1 2 IN IP4 d|a=inactive|]",
                established},
               {reinvite_ok("CONN-1", "x"), "EventHeld@1001/2000", established},
           }}),
      {"talk_to_a_ringing_made_call_destination",
       kMade,
       {
           {make_call("1001", "2000", true),
            "fact:1001+ fact:2000+ EventDialing@1001/2000 "
            "invite:CONN-1>sip:1001@ast[](ack later){from 2000}",
            call_state::dialing},
           {answer("1001", true), "", call_state::dialing},  // ThisDN is dialing, not ringing
           {answered("CONN-1", kAgentSdp),
            "invite:CONN-2>sip:2000@ast[o=a 1 1 IN IP4 a|a=sendrecv|]{from 1001} timer:10000#1",
            call_state::calling},
           {answer("2000", true), "", call_state::calling},  // no 18x yet
           {progress("CONN-2", 180), "EventRinging@2000/1001", call_state::calling},
           {answer("2000", true), "talk:CONN-2", call_state::calling},
           {talk_failed("CONN-2", 489),
            "EventError@2000/1001(the phone of DN 2000 refused the talk NOTIFY with 489)",
            call_state::calling},
           {answer("2000", false), "", call_state::calling},
           {answered("CONN-2", kFarSdp),
            "ack:CONN-1[" + oneline(kFarSdp) + "] EventEstablished@1001/2000 EventEstablished@2000/1001",
            established},
       }},
  };
}

// A registered phone's own call (DN 555 to its mailbox): hold and DTMF from
// its DN, whose call gives no call events of its own.
std::vector<call_scenario> direct_scenarios() {
  auto in = incoming();
  in.what = call_event::incoming_direct;
  in.sdp = kAgentSdp;
  in.target = target("8000", 0, "recall", "none");
  in.target.mailbox = "555@GVM_DN";
  in.target.listen = true;
  const std::vector<call_step_case> up = {
      {in, "fact:555+ invite:CONN-1>sip:8000@ast[" + oneline(kAgentSdp) + "]{555@GVM_DN listen}",
       alerting},
      {answered("CONN-1", kFarSdp), "resp:200[" + oneline(kFarSdp) + "]", connecting},
      {acked(), "", established},
  };
  auto steps = [&](std::vector<call_step_case> rest) {
    auto all = up;
    all.insert(all.end(), rest.begin(), rest.end());
    return all;
  };
  return {
      {"a_direct_call_is_held_and_sends_dtmf_to_its_target",
       kDefault,
       steps({
           {hold("8000", call_event::hold), "", established},  // the target is no party that asks
           {hold("555", call_event::hold), "reinvite:CONN-1[o=a 1 2 IN IP4 a|a=sendonly|]", established},
           {reinvite_ok("CONN-1", "x"), "reinvite:cust[o=d 1 2 IN IP4 d|a=inactive|]",
            established},
           {reinvite_ok("cust", "x"), "EventHeld@555/8000", established},
           {retrieve("555"), "reinvite:CONN-1[o=a 1 3 IN IP4 a|a=sendrecv|]", established},
           {reinvite_ok("CONN-1", "x"), "reinvite:cust[o=d 1 3 IN IP4 d|a=sendrecv|]",
            established},
           {reinvite_ok("cust", "x"), "EventRetrieved@555/8000", established},
           {send_dtmf("555", "1"),
            "info:CONN-1[application/dtmf-relay:Signal=1\r\nDuration=160\r\n] "
            "EventDTMFSent@555/8000[digits=1]",
            established},
           {agent_bye("cust"), "bye:customer fact:555- end", ended},
       })},
  };
}

TEST(CallKinds, MadeCalls) {
  for (const auto& sc : made_scenarios())
    run_scenario(sc);
}

TEST(CallKinds, DirectCalls) {
  for (const auto& sc : direct_scenarios())
    run_scenario(sc);
}

}  // namespace
}  // namespace sipcc
