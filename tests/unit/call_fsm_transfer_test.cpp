// Transfers of a routed call (call_fsm.hpp, "transfers"): each scenario is
// the ladder of events the call actor feeds call_step(), a row per
// transition, with the actions and the state expected after each one.
#include "callctl/model/call_fsm.hpp"

#include <gtest/gtest.h>

#include "call_fsm_table.hpp"
#include "callctl/model/call_requests.hpp"
#include "kvlist.hpp"
#include "callctl/model/sdp.hpp"

namespace sipcc {
namespace {

using namespace fsm_table;

// The agent 1001 has the call; 1002 is the DN it transfers to or consults.
const std::string kC2 = "C2";  // the consultation call's ConnID (callctl's registry makes it)
const route_target kTarget = target("1002", 0, "recall", "none");
const std::string kConsultSdp = "v=0\no=b 1 1 IN IP4 b\nm=audio 4000 RTP/AVP 0\na=sendrecv\n";

call_event request(call_event::kind k, const std::string& dn, const std::string& conn,
                   const std::string& transfer_conn = "") {
  call_event e(k);
  e.dn = dn;
  e.conn_id = conn;
  e.transfer_conn_id = transfer_conn;
  return e;
}
call_event single_step(const std::string& dn, const route_target& t = kTarget) {
  auto e = request(call_event::single_step_transfer, dn, kConn);
  e.target = t;
  return e;
}
call_event initiate(const std::string& dn = "1001", const route_target& t = kTarget) {
  auto e = request(call_event::initiate_transfer, dn, kConn, kC2);
  e.target = t;
  return e;
}
call_event complete(const std::string& conn = kC2, const std::string& transfer_conn = kConn) {
  return request(call_event::complete_transfer, "1001", conn, transfer_conn);
}
call_event reconnect(const std::string& conn = kC2) {
  return request(call_event::reconnect_call, "1001", conn);
}
call_event alternate(const std::string& conn) {
  return request(call_event::alternate_call, "1001", conn);
}
// TReleaseCall on ConnID `conn` from `dn`.
call_event release_on(const std::string& dn, const std::string& conn) {
  auto e = release(dn);
  e.conn_id = conn;
  return e;
}
call_event ok(const std::string& leg, const std::string& sdp) { return reinvite_ok(leg, sdp); }
call_event refused(const std::string& leg, uint32_t status) {
  return reinvite_failed(leg, status);
}
call_event ringing(const std::string& leg) { return progress(leg, 180); }

// A call established at agent 1001 with SDP both ways (the offers derive from it).
// (Functions, not globals: the constants they use live in another file.)
std::vector<call_step_case> established_steps() {
  return {
    {[] {
       auto e = incoming();
       e.sdp = kCustomerSdp;
       return e;
     }(),
     "resp:180 EventRouteRequest@5000/555 timer:30000#1", routing},
    {route(target("1001", 0, "recall", "none")),
     "fact:1001+ invite:CONN-1>sip:1001@ast[o=c 1 1 IN IP4 c|a=sendrecv|] "
     "EventRouteUsed@5000/1001",
     alerting},
    {answered("CONN-1", kAgentSdp), "EventRinging@1001/555 resp:200[o=a 1 1 IN IP4 a|a=sendrecv|]",
     connecting},
    {acked(), "EventEstablished@1001/555", established},
  };
}

// The first `n` steps of the consultation from 1001 to 1002 (all: up to [talking]).
std::vector<call_step_case> consult_steps(size_t n = 6) {
  std::vector<call_step_case> steps = {
    // The customer is held first, as THoldCall does: sendonly ...
    {initiate(), "reinvite:cust[o=a 1 2 IN IP4 a|a=sendonly|]", established},
    // ... then the agent inactive, derived from the customer's answer.
    {ok("cust", "o=c 1 2 IN IP4 c\na=recvonly\n"), "reinvite:CONN-1[o=c 1 3 IN IP4 c|a=inactive|]",
     established},
    {ok("CONN-1", "o=a 1 2 IN IP4 a\na=inactive\n"),
     "EventHeld@1001/555 fact:1001+~C2 fact:1002+~C2 "
     "invite:CONN-2>sip:1002@ast[](ack later){from 1001} alias:C2+ "
     "EventDialing@1001/1002~conn=C2~transfer=CONN",
     established},
    {ringing("CONN-2"), "EventRinging@1002/1001~conn=C2", established},
    // Flow I: its offer goes to the agent's phone, whose answer it gets in the ACK.
    {answered("CONN-2", kConsultSdp),
     "reinvite:CONN-1[o=b 1 2 IN IP4 b|m=audio 4000 RTP/AVP 0|a=sendrecv|]", established},
    {ok("CONN-1", "o=a 1 3 IN IP4 a\na=sendrecv\n"),
     "ack:CONN-2[o=a 1 3 IN IP4 a|a=sendrecv|] EventEstablished@1002/1001~conn=C2 "
     "EventEstablished@1001/1002~conn=C2",
     established},
  };
  steps.erase(steps.begin() + static_cast<std::ptrdiff_t>(n), steps.end());
  return steps;
}

call_scenario scenario(std::string name, std::vector<std::vector<call_step_case>> parts) {
  call_scenario sc{std::move(name), kDefault, {}};
  for (const auto& p : parts)
    sc.steps.insert(sc.steps.end(), p.begin(), p.end());
  return sc;
}

std::vector<call_scenario> transfer_scenarios() {
  return {
      scenario("single_step_transfer_routes_the_customer_to_the_target_by_flow_i",
               {established_steps(),
                {
                    // A target the actor should have refused gives nothing.
                    {single_step("1001", target("1001", 0, "recall", "none")), "", established},
                    {single_step("1001", {}), "", established},
                    {single_step("1001"),
                     "bye:CONN-1 EventReleased@1001/555~third=1002 fact:1001-* fact:1002+ "
                     "invite:CONN-2>sip:1002@ast[](ack later)",
                     alerting},
                    {ringing("CONN-2"), "EventRinging@1002/555~third=1001", alerting},
                    {answered("CONN-2", kConsultSdp),
                     "reinvite:cust[o=b 1 1 IN IP4 b|m=audio 4000 RTP/AVP 0|a=sendrecv|]",
                     connecting},
                    {ok("cust", "cust-answer"),
                     "ack:CONN-2[cust-answer] EventEstablished@1002/555~third=1001", established},
                    // 1002 is the call's agent DN now: its requests work, 1001's do not.
                    {hold("1001", call_event::hold), "", established},
                    {single_step("1001"), "", established},
                    {customer_bye(), "bye:CONN-2 EventReleased@1002/555 fact:1002-* end", ended},
                }}),
      scenario("single_step_target_busy_recalls_the_answered_customer_to_the_routing_point",
               {established_steps(),
                {
                    {single_step("1001"),
                     "bye:CONN-1 EventReleased@1001/555~third=1002 fact:1001-* fact:1002+ "
                     "invite:CONN-2>sip:1002@ast[](ack later)",
                     alerting},
                    {failed("CONN-2", 486), "fact:1002- EventRouteRequest@5000/555 timer:30000#5",
                     routing},
                    // Routed again by flow I, without a transfer: no ThirdPartyDN.
                    {route(target("1003", 0, "recall", "none")),
                     "fact:1003+ invite:CONN-3>sip:1003@ast[](ack later) EventRouteUsed@5000/1003",
                     alerting},
                    {ringing("CONN-3"), "EventRinging@1003/555", alerting},
                    {customer_bye(),
                     "cancel:CONN-3 fact:1003- EventAbandoned@1003/555 EventAbandoned@5000/555 end",
                     ended},
                }}),
      scenario("single_step_target_rings_out_then_overflow_releases_the_customer",
               {established_steps(),
                {
                    {single_step("1001", target("1002", 5, "release", "notready")),
                     "bye:CONN-1 EventReleased@1001/555~third=1002 fact:1001-* fact:1002+ "
                     "invite:CONN-2>sip:1002@ast[](ack later) timer:5000#4",
                     alerting},
                    {ringing("CONN-2"), "EventRinging@1002/555~third=1001", alerting},
                    {no_answer(4, {}),
                     "cancel:CONN-2 fact:1002- EventReleased@1002/555~third=1001 "
                     "no_answer:1002=notready bye:customer end",
                     ended},
                }}),
      scenario("caller_leaving_while_the_single_step_target_rings_is_abandoned_there_only",
               {established_steps(),
                {
                    {single_step("1001"),
                     "bye:CONN-1 EventReleased@1001/555~third=1002 fact:1001-* fact:1002+ "
                     "invite:CONN-2>sip:1002@ast[](ack later)",
                     alerting},
                    {ringing("CONN-2"), "EventRinging@1002/555~third=1001", alerting},
                    {customer_bye(),
                     "cancel:CONN-2 fact:1002- EventAbandoned@1002/555~third=1001 end", ended},
                }}),
      scenario("consultation_then_complete_joins_the_customer_and_the_consulted_dn",
               {established_steps(),
                consult_steps(),
                {
                    // Nothing else re-INVITEs while a consultation is up.
                    {reinvite("CONN-2", "x"), "resp:CONN-2:491", established},
                    {reinvite("cust", "x"), "resp:cust:491", established},
                    {reinvite("CONN-1", "x"), "resp:CONN-1:491", established},
                    {hold("1001", call_event::hold), "", established},
                    // The customer gets the consulted DN's media ...
                    {complete(),
                     "reinvite:cust[o=b 1 2 IN IP4 b|m=audio 4000 RTP/AVP 0|a=sendrecv|]",
                     established},
                    {complete(), "", established},  // one at a time
                    // ... then the agent leaves and 1002 gets the customer's answer.
                    {ok("cust", "o=c 1 3 IN IP4 c\na=sendrecv\n"),
                     "bye:CONN-1 EventReleased@1001/1002~conn=C2 EventReleased@1001/555~third=1002 "
                     "fact:1001-~C2 fact:1001-* fact:1002+ fact:1002-~C2 alias:C2- "
                     "EventPartyChanged@1002/555~third=1001~previous=C2 "
                     "reinvite:CONN-2[o=c 1 4 IN IP4 c|a=sendrecv|]",
                     established},
                    {reinvite("cust", "x"), "resp:cust:491", established},
                    {ok("CONN-2", "o=b 1 2 IN IP4 b\na=sendrecv\n"), "", established},
                    // 1002 has the call: hold derives from what each side got last.
                    {hold("1002", call_event::hold),
                     "reinvite:cust[o=b 1 3 IN IP4 b|m=audio 4000 RTP/AVP 0|a=sendonly|]",
                     established},
                    {ok("cust", "x"), "reinvite:CONN-2[o=c 1 5 IN IP4 c|a=inactive|]", established},
                    {ok("CONN-2", "x"), "EventHeld@1002/555", established},
                    {agent_bye("CONN-2"), "bye:customer EventReleased@1002/555 fact:1002-* end",
                     ended},
                }}),
      scenario("complete_on_the_held_calls_conn_id_after_alternating_back_and_forth",
               {established_steps(),
                consult_steps(),
                {
                    // [talking] -> [alternated]: 1002 held, the customer taken back,
                    // the agent's phone given the customer's media.
                    {alternate("CONN"), "reinvite:CONN-2[o=a 1 4 IN IP4 a|a=sendonly|]",
                     established},
                    {ok("CONN-2", "o=b 1 2 IN IP4 b\nm=audio 4000 RTP/AVP 0\na=recvonly\n"),
                     "reinvite:cust[o=a 1 4 IN IP4 a|a=sendrecv|]", established},
                    {ok("cust", "o=c 1 3 IN IP4 c\na=sendrecv\n"),
                     "reinvite:CONN-1[o=c 1 4 IN IP4 c|a=sendrecv|]", established},
                    {ok("CONN-1", "o=a 1 4 IN IP4 a\na=sendrecv\n"),
                     "EventHeld@1001/1002~conn=C2 EventRetrieved@1001/555", established},
                    // ... and back.
                    {alternate(kC2), "reinvite:cust[o=a 1 5 IN IP4 a|a=sendonly|]", established},
                    {ok("cust", "o=c 1 4 IN IP4 c\na=recvonly\n"),
                     "reinvite:CONN-2[o=a 1 5 IN IP4 a|a=sendrecv|]", established},
                    {ok("CONN-2", "o=b 1 3 IN IP4 b\nm=audio 4000 RTP/AVP 0\na=sendrecv\n"),
                     "reinvite:CONN-1[o=b 1 4 IN IP4 b|m=audio 4000 RTP/AVP 0|a=sendrecv|]",
                     established},
                    {ok("CONN-1", "o=a 1 5 IN IP4 a\na=sendrecv\n"),
                     "EventHeld@1001/555 EventRetrieved@1001/1002~conn=C2", established},
                    {alternate(kC2), "reinvite:CONN-2[o=a 1 6 IN IP4 a|a=sendonly|]", established},
                    {ok("CONN-2", "o=b 1 4 IN IP4 b\nm=audio 4000 RTP/AVP 0\na=recvonly\n"),
                     "reinvite:cust[o=a 1 6 IN IP4 a|a=sendrecv|]", established},
                    {ok("cust", "o=c 1 5 IN IP4 c\na=sendrecv\n"),
                     "reinvite:CONN-1[o=c 1 6 IN IP4 c|a=sendrecv|]", established},
                    {ok("CONN-1", "o=a 1 6 IN IP4 a\na=sendrecv\n"),
                     "EventHeld@1001/1002~conn=C2 EventRetrieved@1001/555", established},
                    // Complete from [alternated], named by the held call's ConnID.
                    {complete(kConn, kC2),
                     "reinvite:cust[o=b 1 5 IN IP4 b|m=audio 4000 RTP/AVP 0|a=sendrecv|]",
                     established},
                    {ok("cust", "o=c 1 6 IN IP4 c\na=sendrecv\n"),
                     "bye:CONN-1 EventReleased@1001/1002~conn=C2 EventReleased@1001/555~third=1002 "
                     "fact:1001-~C2 fact:1001-* fact:1002+ fact:1002-~C2 alias:C2- "
                     "EventPartyChanged@1002/555~third=1001~previous=C2 "
                     "reinvite:CONN-2[o=c 1 7 IN IP4 c|a=sendrecv|]",
                     established},
                    {ok("CONN-2", "x"), "", established},
                    {customer_bye(), "bye:CONN-2 EventReleased@1002/555 fact:1002-* end", ended},
                }}),
      scenario("reconnect_ends_the_consultation_and_retrieves_the_customer",
               {established_steps(),
                consult_steps(),
                {
                    {reconnect(),
                     "bye:CONN-2 EventReleased@1002/1001~conn=C2 EventReleased@1001/1002~conn=C2 "
                     "fact:1002-*~C2 fact:1001-~C2 alias:C2- "
                     "reinvite:cust[o=a 1 4 IN IP4 a|a=sendrecv|]",
                     established},
                    {hold("1001", call_event::retrieve), "", established},  // in progress
                    {ok("cust", "o=c 1 3 IN IP4 c\na=sendrecv\n"),
                     "reinvite:CONN-1[o=c 1 4 IN IP4 c|a=sendrecv|]", established},
                    {ok("CONN-1", "o=a 1 4 IN IP4 a\na=sendrecv\n"), "EventRetrieved@1001/555",
                     established},
                    {reconnect(kConn), "", established},  // no consultation any more
                    {reinvite("cust", "o=c 1 9 IN IP4 c\na=sendrecv\n"),
                     "reinvite:CONN-1[o=c 1 9 IN IP4 c|a=sendrecv|]", established},
                }}),
      scenario("reconnect_while_the_consulted_dn_rings_cancels_it",
               {established_steps(),
                consult_steps(4),
                {
                    {complete(), "", established},     // not established yet
                    {alternate(kC2), "", established},
                    {reconnect(),
                     "cancel:CONN-2 EventReleased@1002/1001~conn=C2 "
                     "EventReleased@1001/1002~conn=C2 "
                     "fact:1002-~C2 fact:1001-~C2 alias:C2- "
                     "reinvite:cust[o=a 1 3 IN IP4 a|a=sendrecv|]",
                     established},
                    {answered("CONN-2", kConsultSdp), "", established},  // crossed the CANCEL
                }}),
      scenario("consulted_dn_hangs_up_and_the_held_customer_is_retrieved_by_the_desktop",
               {established_steps(),
                consult_steps(),
                {
                    {agent_bye("CONN-2"),
                     "EventReleased@1002/1001~conn=C2 EventReleased@1001/1002~conn=C2 "
                     "fact:1002-*~C2 fact:1001-~C2 alias:C2-",
                     established},
                    {reconnect(kConn), "", established},
                    // The agent's phone gets the customer's media back.
                    {hold("1001", call_event::retrieve),
                     "reinvite:cust[o=a 1 3 IN IP4 a|a=sendrecv|]", established},
                    {ok("cust", "x"), "reinvite:CONN-1[o=c 1 3 IN IP4 c|a=sendrecv|]", established},
                    {ok("CONN-1", "x"), "EventRetrieved@1001/555", established},
                }}),
      scenario("consulted_dn_busy_releases_the_consultation_and_the_call_stays_held",
               {established_steps(),
                consult_steps(3),
                {
                    {failed("CONN-2", 486),
                     "EventReleased@1001/1002~conn=C2(OtherDN answered 486) fact:1002-~C2 "
                     "fact:1001-~C2 alias:C2-",
                     established},
                    {hold("1001", call_event::retrieve),
                     "reinvite:cust[o=a 1 3 IN IP4 a|a=sendrecv|]", established},
                }}),
      scenario("consulted_dn_answering_without_an_offer_is_hung_up",
               {established_steps(),
                consult_steps(3),
                {
                    {answered("CONN-2", ""),
                     "EventRinging@1002/1001~conn=C2 ack:CONN-2 bye:CONN-2 "
                     "EventReleased@1002/1001~conn=C2(OtherDN answered without SDP) "
                     "EventReleased@1001/1002~conn=C2(OtherDN answered without SDP) "
                     "fact:1002-~C2 fact:1001-~C2 alias:C2-",
                     established},
                }}),
      scenario("agents_phone_refusing_the_consulted_offer_ends_the_consultation",
               {established_steps(),
                consult_steps(5),
                {
                    {reconnect(), "", established},  // its re-INVITE is out
                    {refused("CONN-1", 488),
                     "ack:CONN-2[" + oneline(rejecting_answer(kConsultSdp)) + "] bye:CONN-2 "
                     "EventReleased@1002/1001~conn=C2(the agent's phone refused the "
                     "consultation offer with 488) "
                     "EventReleased@1001/1002~conn=C2(the agent's phone refused the "
                     "consultation offer with 488) fact:1002-~C2 fact:1001-~C2 alias:C2-",
                     established},
                    // Still held at its old media: a retrieve takes it back.
                    {hold("1001", call_event::retrieve),
                     "reinvite:cust[o=a 1 3 IN IP4 a|a=sendrecv|]", established},
                }}),
      scenario("customer_refusing_the_hold_fails_the_initiate_and_a_second_one_works",
               {established_steps(),
                {
                    {initiate(), "reinvite:cust[o=a 1 2 IN IP4 a|a=sendonly|]", established},
                    {initiate(), "", established},  // one at a time
                    {refused("cust", 488),
                     "EventError@1001/555(the customer refused the hold offer with 488)",
                     established},
                    {initiate(), "reinvite:cust[o=a 1 2 IN IP4 a|a=sendonly|]", established},
                }}),
      scenario("agents_phone_refusing_the_hold_takes_the_customer_back",
               {established_steps(),
                {
                    {initiate(), "reinvite:cust[o=a 1 2 IN IP4 a|a=sendonly|]", established},
                    {ok("cust", "o=c 1 2 IN IP4 c\na=recvonly\n"),
                     "reinvite:CONN-1[o=c 1 3 IN IP4 c|a=inactive|]", established},
                    {refused("CONN-1", 488), "reinvite:cust[o=a 1 2 IN IP4 a|a=sendrecv|]",
                     established},
                    {ok("cust", "x"),
                     "EventError@1001/555(the agent's phone refused the hold offer with 488)",
                     established},
                    // Nothing held: a hold works as before.
                    {hold("1001", call_event::hold), "reinvite:cust[o=a 1 3 IN IP4 a|a=sendonly|]",
                     established},
                }}),
      scenario("initiate_on_a_held_call_dials_at_once",
               {established_steps(),
                {
                    {hold("1001", call_event::hold), "reinvite:cust[o=a 1 2 IN IP4 a|a=sendonly|]",
                     established},
                    {ok("cust", "x"), "reinvite:CONN-1[o=c 1 2 IN IP4 c|a=inactive|]", established},
                    {ok("CONN-1", "x"), "EventHeld@1001/555", established},
                    {initiate(),
                     "fact:1001+~C2 fact:1002+~C2 "
                     "invite:CONN-2>sip:1002@ast[](ack later){from 1001} "
                     "alias:C2+ EventDialing@1001/1002~conn=C2~transfer=CONN",
                     established},
                }}),
      scenario("customer_refusing_the_transfer_offer_keeps_the_consultation",
               {established_steps(),
                consult_steps(),
                {
                    {complete(),
                     "reinvite:cust[o=b 1 2 IN IP4 b|m=audio 4000 RTP/AVP 0|a=sendrecv|]",
                     established},
                    {refused("cust", 488),
                     "EventError@1001/555(the customer refused the transfer offer with 488)",
                     established},
                    {release_on("1001", kC2),
                     "bye:CONN-2 EventReleased@1002/1001~conn=C2 EventReleased@1001/1002~conn=C2 "
                     "fact:1002-*~C2 fact:1001-~C2 alias:C2-",
                     established},
                }}),
      scenario("target_refusing_the_customers_media_after_complete_releases_the_call",
               {established_steps(),
                consult_steps(),
                {
                    {complete(),
                     "reinvite:cust[o=b 1 2 IN IP4 b|m=audio 4000 RTP/AVP 0|a=sendrecv|]",
                     established},
                    {ok("cust", "o=c 1 3 IN IP4 c\na=sendrecv\n"),
                     "bye:CONN-1 EventReleased@1001/1002~conn=C2 EventReleased@1001/555~third=1002 "
                     "fact:1001-~C2 fact:1001-* fact:1002+ fact:1002-~C2 alias:C2- "
                     "EventPartyChanged@1002/555~third=1001~previous=C2 "
                     "reinvite:CONN-2[o=c 1 4 IN IP4 c|a=sendrecv|]",
                     established},
                    {refused("CONN-2", 488),
                     "bye:CONN-2 bye:customer "
                     "EventReleased@1002/555(the agent's phone refused the transfer offer "
                     "with 488) "
                     "fact:1002-* end",
                     ended},
                }}),
      scenario("agents_phone_refusing_an_alternate_move_takes_the_done_ones_back",
               {established_steps(),
                consult_steps(),
                {
                    {alternate(kC2), "reinvite:CONN-2[o=a 1 4 IN IP4 a|a=sendonly|]", established},
                    {ok("CONN-2", "o=b 1 2 IN IP4 b\na=recvonly\n"),
                     "reinvite:cust[o=a 1 4 IN IP4 a|a=sendrecv|]", established},
                    {ok("cust", "o=c 1 3 IN IP4 c\na=sendrecv\n"),
                     "reinvite:CONN-1[o=c 1 4 IN IP4 c|a=sendrecv|]", established},
                    {refused("CONN-1", 500), "reinvite:cust[o=a 1 4 IN IP4 a|a=sendonly|]",
                     established},
                    {ok("cust", "o=c 1 4 IN IP4 c\na=recvonly\n"),
                     "reinvite:CONN-2[o=a 1 4 IN IP4 a|a=sendrecv|]", established},
                    {alternate(kC2), "", established},  // still taking back
                    {refused("CONN-2", 488),  // a refused take-back leaves that leg as it is
                     "EventError@1001/555(the agent's phone refused the alternate offer with 500)",
                     established},
                    {reconnect(),
                     "bye:CONN-2 EventReleased@1002/1001~conn=C2 EventReleased@1001/1002~conn=C2 "
                     "fact:1002-*~C2 fact:1001-~C2 alias:C2- "
                     "reinvite:cust[o=a 1 4 IN IP4 a|a=sendrecv|]",
                     established},
                }}),
      scenario("consulted_dn_leaving_during_an_alternate_stops_it_with_an_error",
               {established_steps(),
                consult_steps(),
                {
                    {alternate(kC2), "reinvite:CONN-2[o=a 1 4 IN IP4 a|a=sendonly|]", established},
                    {ok("CONN-2", "x"), "reinvite:cust[o=a 1 4 IN IP4 a|a=sendrecv|]", established},
                    {agent_bye("CONN-2"),
                     "EventError@1001/555(ConnID C2 ended before the alternate did) "
                     "EventReleased@1002/1001~conn=C2 EventReleased@1001/1002~conn=C2 "
                     "fact:1002-*~C2 fact:1001-~C2 alias:C2-",
                     established},
                    {hold("1001", call_event::retrieve), "", established},  // its re-INVITE is out
                    {ok("cust", "o=c 1 3 IN IP4 c\na=sendrecv\n"), "", established},
                    // The agent's phone still has the consulted DN's media: held.
                    {hold("1001", call_event::retrieve),
                     "reinvite:cust[o=a 1 5 IN IP4 a|a=sendrecv|]", established},
                }}),
      // As on a desk phone: C1 ends, C2 (1001 with 1002) goes on as a call
      // of its own, 1002 its customer, a DN with events of its own.
      scenario("customer_leaving_during_the_consultation_leaves_it_a_call_of_its_own",
               {established_steps(),
                consult_steps(),
                {
                    {customer_bye(), "EventReleased@1001/555~conn=CONN fact:1001-*~CONN",
                     established},
                    {release_on("1001", kConn), "", established},  // C1 is over
                    {attach("1002", test::str_pairs({{"k", "v"}})),
                     "EventAttachedDataChanged@1001/1002{k=v} EventAttachedDataChanged@1002/1001{k=v}",
                     established},
                    {hold("1001", call_event::hold), "reinvite:CONN-2[o=a 1 4 IN IP4 a|a=sendonly|]",
                     established},
                    {ok("CONN-2", "x"),
                     "reinvite:CONN-1[o=b 1 3 IN IP4 b|m=audio 4000 RTP/AVP 0|a=inactive|]",
                     established},
                    {ok("CONN-1", "x"), "EventHeld@1001/1002{k=v}", established},
                    {customer_bye(),
                     "bye:CONN-1 EventReleased@1001/1002{k=v} fact:1001-* "
                     "EventReleased@1002/1001{k=v} fact:1002-* end",
                     ended},
                }}),
      scenario("customer_leaving_while_the_consulted_dn_rings_cancels_it",
               {established_steps(),
                consult_steps(3),
                {
                    {customer_bye(),
                     "cancel:CONN-2 EventReleased@1001/1002~conn=C2 fact:1002-~C2 fact:1001-~C2 "
                     "alias:C2- bye:CONN-1 EventReleased@1001/555 fact:1001-* end",
                     ended},
                }}),
      scenario("customer_leaving_while_it_is_being_held_ends_the_call",
               {established_steps(),
                {
                    consult_steps(1)[0],
                    {customer_bye(), "bye:CONN-1 EventReleased@1001/555 fact:1001-* end", ended},
                }}),
      scenario("agent_hanging_up_during_the_consultation_ends_both_calls",
               {established_steps(),
                consult_steps(),
                {
                    {agent_bye("CONN-1"),
                     "bye:CONN-2 EventReleased@1002/1001~conn=C2 EventReleased@1001/1002~conn=C2 "
                     "fact:1002-*~C2 fact:1001-~C2 alias:C2- bye:customer EventReleased@1001/555 "
                     "fact:1001-* end",
                     ended},
                }}),
      scenario("release_on_the_consultation_from_the_consulted_dn",
               {established_steps(),
                consult_steps(),
                {
                    {release_on("1001", kConn), "", established},  // the held call: refused
                    {release_on("1003", kC2), "", established},    // no party
                    {release_on("1002", kC2),
                     "bye:CONN-2 EventReleased@1002/1001~conn=C2 EventReleased@1001/1002~conn=C2 "
                     "fact:1002-*~C2 fact:1001-~C2 alias:C2-",
                     established},
                    {release_on("1002", kC2), "", established},  // over
                    // The held call is the routed call again: TReleaseCall ends it.
                    {release_on("1001", kConn),
                     "bye:CONN-1 bye:customer EventReleased@1001/555 fact:1001-* end", ended},
                }}),
      scenario("user_data_travels_to_the_consultation_and_the_transfer_target",
               {established_steps(),
                {
                    {attach("1001", test::str_pairs({{"Case", "42"}})),
                     "EventAttachedDataChanged@1001/555{Case=42}", established},
                    consult_steps(1)[0],
                    consult_steps(2)[1],
                    {ok("CONN-1", "x"),
                     "EventHeld@1001/555{Case=42} fact:1001+~C2 fact:1002+~C2 "
                     "invite:CONN-2>sip:1002@ast[](ack later){from 1001} alias:C2+ "
                     "EventDialing@1001/1002~conn=C2~transfer=CONN{Case=42}",
                     established},
                }}),
  };
}

// 3pcc conferences: TInitiateConference is a consultation as above; then
// each party, the customer first, moves into conference CONN on the media
// server with its own media, sendrecv.
call_event initiate_conference() {
  auto e = initiate();
  e.conference = true;
  return e;
}
call_event complete_conference() {
  return request(call_event::complete_conference, "1001", kConn);
}
// The media server answered conference leg `leg` with `sdp`.
call_event ms_ok(const std::string& leg, const std::string& sdp) {
  return on_leg(call_event::media_answered, leg, 0, sdp);
}
// The media server refused conference leg `leg` with `status`.
call_event ms_failed(const std::string& leg, uint32_t status) {
  return on_leg(call_event::media_failed, leg, status, "");
}
call_event delete_from(const std::string& dn, const std::string& other) {
  auto e = request(call_event::delete_from_conference, dn, kConn);
  e.target.dn = other;
  return e;
}

std::vector<call_step_case> conference_steps() {
  auto steps = consult_steps();
  steps.front().ev = initiate_conference();
  return steps;
}

// The first `n` steps of TCompleteConference from [talking], each party
// joining in turn (all: the consulted DN's re-INVITE is out).
std::vector<call_step_case> joining_steps(size_t n = 6) {
  std::vector<call_step_case> steps = {
      {complete_conference(), "media:CONN-3>sip:conf=CONN@ms[o=c 1 3 IN IP4 c|a=sendrecv|]",
       established},
      {ms_ok("CONN-3", "ms-c"), "reinvite:cust[ms-c]", established},
      {ok("cust", "o=c 1 4 IN IP4 c\na=sendrecv\n"),
       "media:CONN-4>sip:conf=CONN@ms[o=a 1 4 IN IP4 a|a=sendrecv|]", established},
      {ms_ok("CONN-4", "ms-a"), "reinvite:CONN-1[ms-a]", established},
      {ok("CONN-1", "o=a 1 5 IN IP4 a\na=sendrecv\n"),
       "media:CONN-5>sip:conf=CONN@ms[o=b 1 2 IN IP4 b|m=audio 4000 RTP/AVP 0|a=sendrecv|]",
       established},
      {ms_ok("CONN-5", "ms-b"), "reinvite:CONN-2[ms-b]", established},
  };
  steps.erase(steps.begin() + static_cast<std::ptrdiff_t>(n), steps.end());
  return steps;
}

// A refused TCompleteConference once the customer's re-INVITE back is out:
// its answer (o= version `customer_v`) goes to the agent's phone, the
// agent's (`agent_v`) holds the consulted DN, whose 2xx ends it: EventError
// with `why`, and the agent talks on C1 again.
std::vector<call_step_case> back_steps(int customer_v, int agent_v, const std::string& why) {
  const auto v = [](int n) { return std::to_string(n); };
  return {
      {ok("cust", "o=c 1 " + v(customer_v) + " IN IP4 c\na=sendrecv\n"),
       "reinvite:CONN-1[o=c 1 " + v(customer_v + 1) + " IN IP4 c|a=sendrecv|]", established},
      {ok("CONN-1", "o=a 1 " + v(agent_v) + " IN IP4 a\na=sendrecv\n"),
       "reinvite:CONN-2[o=a 1 " + v(agent_v + 1) + " IN IP4 a|a=sendonly|]", established},
      {ok("CONN-2", "o=b 1 3 IN IP4 b\na=recvonly\n"),
       "EventError@1001/555(conference: " + why +
           ") EventHeld@1001/1002~conn=C2 EventRetrieved@1001/555",
       established},
  };
}

// The consulted DN's 2xx after joining_steps(): made, the consultation call
// merges into CONN.
call_step_case conference_made_step() {
  return {ok("CONN-2", "o=b 1 3 IN IP4 b\na=sendrecv\n"),
          "EventReleased@1001/1002~conn=C2 fact:1001-~C2 fact:1002-~C2 fact:1002+ "
          "alias:C2- EventPartyChanged@1002/555~third=1001~previous=C2 "
          "EventPartyAdded@1001/555~third=1002 EventPartyAdded@1002/555~third=1001",
          established};
}

std::vector<call_scenario> conference_scenarios() {
  return {
      // Not a conference: the reply to a TCompleteTransfer whose consulted
      // DN hangs up meanwhile is the EventError, ahead of C2's releases.
      scenario("consulted_dn_leaving_during_a_complete_transfer_is_its_error",
               {established_steps(), consult_steps(),
                {
                    {complete(),
                     "reinvite:cust[o=b 1 2 IN IP4 b|m=audio 4000 RTP/AVP 0|a=sendrecv|]",
                     established},
                    {agent_bye("CONN-2"),
                     "EventError@1001/555(ConnID C2 ended before the transfer did) "
                     "EventReleased@1002/1001~conn=C2 EventReleased@1001/1002~conn=C2 "
                     "fact:1002-*~C2 fact:1001-~C2 alias:C2-",
                     established},
                    {ok("cust", "o=c 1 3 IN IP4 c\na=sendrecv\n"), "", established},
                }}),
      scenario("complete_conference_then_the_consulted_dn_is_deleted",
               {established_steps(), conference_steps(),
                {
                    {complete_conference(), "media:CONN-3>sip:conf=CONN@ms[o=c 1 3 IN IP4 c|a=sendrecv|]",
                     established},
                    {complete_conference(), "", established},  // in progress
                    {ms_ok("CONN-3", "ms-c"), "reinvite:cust[ms-c]", established},
                    {reinvite("CONN-2", "x"), "resp:CONN-2:491", established},
                    {ok("cust", "o=c 1 4 IN IP4 c\na=sendrecv\n"),
                     "media:CONN-4>sip:conf=CONN@ms[o=a 1 4 IN IP4 a|a=sendrecv|]", established},
                    {ms_ok("CONN-4", "ms-a"), "reinvite:CONN-1[ms-a]", established},
                    {ok("CONN-1", "o=a 1 5 IN IP4 a\na=sendrecv\n"),
                     "media:CONN-5>sip:conf=CONN@ms[o=b 1 2 IN IP4 b|m=audio 4000 RTP/AVP 0|a=sendrecv|]",
                     established},
                    {ms_ok("CONN-5", "ms-b"), "reinvite:CONN-2[ms-b]", established},
                    // Made: the consultation call merges into CONN.
                    conference_made_step(),
                    // Session refreshes keep what each party has.
                    {reinvite("CONN-2", "refresh"), "resp:CONN-2:200[ms-b]", established},
                    {reinvite("cust", "refresh"), "resp:cust:200[ms-c]", established},
                    {hold("1001", call_event::hold), "", established},
                    {complete(kConn, ""), "", established},
                    {delete_from("1003", "1002"), "", established},  // no party
                    // The consulted DN goes: the last two join back directly.
                    {delete_from("1001", "1002"),
                     "bye:CONN-2 bye:CONN-5 EventReleased@1002/555 fact:1002-* "
                     "EventPartyDeleted@1001/555~third=1002 reinvite:cust[o=a 1 5 IN IP4 a|a=sendrecv|]",
                     established},
                    {ok("cust", "o=c 1 5 IN IP4 c\na=sendrecv\n"),
                     "bye:CONN-3 reinvite:CONN-1[o=c 1 5 IN IP4 c|a=sendrecv|]", established},
                    {ok("CONN-1", "o=a 1 6 IN IP4 a\na=sendrecv\n"), "bye:CONN-4 conf:ok", established},
                    {hold("1001", call_event::hold), "reinvite:cust[o=a 1 6 IN IP4 a|a=sendonly|]",
                     established},
                }}),
      // The conference's media server is lost (its health event, or it hangs
      // up a party): three cannot talk without it, so the consulted DN leaves
      // and the customer and the agent join back directly.
      scenario("a_conference_losing_its_media_server_keeps_the_customer_and_the_agent",
               {established_steps(), conference_steps(), joining_steps(),
                {
                    conference_made_step(),
                    {on_leg(call_event::media_lost, "CONN-4", 0, ""),
                     "bye:CONN-2 bye:CONN-5 EventReleased@1002/555 fact:1002-* "
                     "EventPartyDeleted@1001/555~third=1002 reinvite:cust[o=a 1 5 IN IP4 a|a=sendrecv|]",
                     established},
                    // The same server's other legs, lost too: one move at a time.
                    {on_leg(call_event::media_lost, "CONN-3", 0, ""), "", established},
                    {on_leg(call_event::media_lost, "CONN-5", 0, ""), "", established},
                    {ok("cust", "o=c 1 5 IN IP4 c\na=sendrecv\n"),
                     "bye:CONN-3 reinvite:CONN-1[o=c 1 5 IN IP4 c|a=sendrecv|]", established},
                    {ok("CONN-1", "o=a 1 6 IN IP4 a\na=sendrecv\n"), "bye:CONN-4 conf:ok", established},
                    {customer_bye(), "bye:CONN-1 EventReleased@1001/555 fact:1001-* end", ended},
                }}),
      scenario("the_agent_leaves_the_conference_and_the_consulted_dn_takes_the_call",
               {established_steps(), conference_steps(), joining_steps(),
                {
                    conference_made_step(),
                    {agent_bye("CONN-1"),
                     "bye:CONN-4 EventReleased@1001/555 fact:1001-* "
                     "EventPartyDeleted@1002/555~third=1001 reinvite:cust[o=b 1 3 IN IP4 b|a=sendrecv|]",
                     established},
                    {ok("cust", "o=c 1 5 IN IP4 c\na=sendrecv\n"),
                     "bye:CONN-3 reinvite:CONN-2[o=c 1 5 IN IP4 c|a=sendrecv|]", established},
                    {ok("CONN-2", "x"), "bye:CONN-5 conf:ok", established},
                    // 1002 has the call now.
                    {customer_bye(), "bye:CONN-2 EventReleased@1002/555 fact:1002-* end", ended},
                }}),
      // A refused TCompleteConference (call_fsm.hpp, 3pcc conferences): the
      // customer, held for the consultation, gets the agent's media back, the
      // agent the customer's, the consulted DN is held; the consultation stays.
      scenario("media_server_refusing_the_conference_joins_the_agent_and_the_customer_back",
               {established_steps(), conference_steps(), joining_steps(1),
                {
                    // The agent's last SDP (its answer to the consulted DN), sendrecv.
                    {ms_failed("CONN-3", 503), "reinvite:cust[o=a 1 4 IN IP4 a|a=sendrecv|]",
                     established},
                    {complete_conference(), "", established},  // a re-INVITE in progress
                    {reinvite("CONN-2", "x"), "resp:CONN-2:491", established},
                },
                back_steps(3, 4, "media server answered 503"),
                {
                    // Both calls are usable: the consultation is released, the call held.
                    {release_on("1001", kC2),
                     "bye:CONN-2 EventReleased@1002/1001~conn=C2 EventReleased@1001/1002~conn=C2 "
                     "fact:1002-*~C2 fact:1001-~C2 alias:C2-",
                     established},
                    {hold("1001", call_event::hold), "reinvite:cust[o=a 1 5 IN IP4 a|a=sendonly|]",
                     established},
                }}),
      scenario("media_server_refusing_the_agent_takes_the_customer_out_of_the_conference",
               {established_steps(), conference_steps(), joining_steps(3),
                {
                    // The customer's conference leg goes; the customer gets the agent's media.
                    {ms_failed("CONN-4", 486), "bye:CONN-3 reinvite:cust[o=a 1 4 IN IP4 a|a=sendrecv|]",
                     established},
                },
                back_steps(5, 4, "media server answered 486"),
                {
                    // In no conference any more, as after TAlternateCall: the
                    // customer hanging up leaves the held consultation a call
                    // of its own, which the agent retrieves.
                    {customer_bye(), "EventReleased@1001/555~conn=CONN fact:1001-*~CONN",
                     established},
                    {retrieve("1001"), "reinvite:CONN-2[o=a 1 6 IN IP4 a|a=sendrecv|]", established},
                }}),
      scenario("the_consulted_dn_refusing_the_conference_leaves_the_agent_with_the_customer",
               {established_steps(), conference_steps(), joining_steps(),
                {
                    {refused("CONN-2", 488),
                     "bye:CONN-5 bye:CONN-3 bye:CONN-4 reinvite:cust[o=a 1 6 IN IP4 a|a=sendrecv|]",
                     established},
                },
                back_steps(5, 6, "the consulted DN refused the re-INVITE with 488"),
                {
                    // Back to the consulted DN as after any TAlternateCall.
                    {alternate(kC2), "reinvite:cust[o=a 1 7 IN IP4 a|a=sendonly|]", established},
                }}),
      // From [alternated] nothing had moved: every party is where it should be.
      scenario("a_refused_conference_from_the_customer_changes_nothing_but_the_error",
               {established_steps(), conference_steps(),
                {
                    {alternate(kC2), "reinvite:CONN-2[o=a 1 4 IN IP4 a|a=sendonly|]", established},
                    {ok("CONN-2", "o=b 1 2 IN IP4 b\na=recvonly\n"),
                     "reinvite:cust[o=a 1 4 IN IP4 a|a=sendrecv|]", established},
                    {ok("cust", "o=c 1 3 IN IP4 c\na=sendrecv\n"),
                     "reinvite:CONN-1[o=c 1 4 IN IP4 c|a=sendrecv|]", established},
                    {ok("CONN-1", "o=a 1 4 IN IP4 a\na=sendrecv\n"),
                     "EventHeld@1001/1002~conn=C2 EventRetrieved@1001/555", established},
                    {complete_conference(), "media:CONN-3>sip:conf=CONN@ms[o=c 1 4 IN IP4 c|a=sendrecv|]",
                     established},
                    {ms_failed("CONN-3", 404), "EventError@1001/555(conference: media server answered 404)",
                     established},
                }}),
      // One of the re-INVITEs back refused: the ones after it are not sent.
      scenario("the_customer_refusing_to_come_back_leaves_the_consultation_as_it_was",
               {established_steps(), conference_steps(), joining_steps(1),
                {
                    {ms_failed("CONN-3", 503), "reinvite:cust[o=a 1 4 IN IP4 a|a=sendrecv|]",
                     established},
                    {refused("cust", 488),
                     "EventError@1001/555(conference: media server answered 503; then the customer "
                     "refused the reconnect offer with 488)",
                     established},
                    // Still [talking], the customer held: TReconnectCall takes it back.
                    {reconnect(),
                     "bye:CONN-2 EventReleased@1002/1001~conn=C2 EventReleased@1001/1002~conn=C2 "
                     "fact:1002-*~C2 fact:1001-~C2 alias:C2- reinvite:cust[o=a 1 4 IN IP4 a|a=sendrecv|]",
                     established},
                }}),
      // The consulted DN hanging up meanwhile: the reply is the conference's error.
      scenario("the_consulted_dn_leaving_while_the_customer_comes_back",
               {established_steps(), conference_steps(), joining_steps(1),
                {
                    {ms_failed("CONN-3", 503), "reinvite:cust[o=a 1 4 IN IP4 a|a=sendrecv|]",
                     established},
                    {agent_bye("CONN-2"),
                     "EventError@1001/555(conference: media server answered 503) "
                     "EventReleased@1002/1001~conn=C2 EventReleased@1001/1002~conn=C2 "
                     "fact:1002-*~C2 fact:1001-~C2 alias:C2-",
                     established},
                    // The agent's phone was not moved yet: the call is held, TRetrieveCall joins them.
                    {ok("cust", "o=c 1 3 IN IP4 c\na=sendrecv\n"), "", established},
                    {retrieve("1001"), "reinvite:cust[o=a 1 5 IN IP4 a|a=sendrecv|]", established},
                }}),
  };
}

TEST(CallFsmTransfer, ConferenceScenarios) {
  for (const auto& sc : conference_scenarios())
    run_scenario(sc);
}

TEST(CallFsmTransfer, Scenarios) {
  for (const auto& sc : transfer_scenarios())
    run_scenario(sc);
}

// A call stepped through `steps` (their actions unchecked: the scenarios do that).
call at(const std::vector<std::vector<call_step_case>>& parts) {
  call c;
  c.conn_id = kConn;
  c.customer_leg = "cust";
  for (const auto& p : parts)
    for (const auto& st : p)
      call_step(c, st.ev, kDefault);
  return c;
}

TEST(CallFsmTransfer, Refusals) {
  struct refusal_case {
    std::string name;
    std::vector<std::vector<call_step_case>> before;
    call_event request;
    std::string refusal;
  };
  const std::vector<call_step_case> kRinging = consult_steps(3);
  const std::vector<call_step_case> kHolding = {consult_steps(1)[0]};
  const std::vector<call_step_case> kRouting = {established_steps()[0]};
  const std::vector<refusal_case> cases = {
      {"single_step_from_the_agent", {established_steps()}, single_step("1001"), ""},
      // 3pcc conferences
      {"complete_conference_never_initiated", {established_steps()}, complete_conference(),
       "ConnID CONN has no conference initiated (TInitiateConference)"},
      {"complete_conference_after_a_transfer_consultation",
       {established_steps(), consult_steps()}, complete_conference(),
       "ConnID CONN has no conference initiated (TInitiateConference)"},
      {"complete_conference_while_it_rings",
       {established_steps(),
        [] {
          auto steps = consult_steps(3);
          steps.front().ev = initiate_conference();
          return steps;
        }()},
       complete_conference(), "consultation call C2 is not established yet"},
      {"delete_without_a_conference", {established_steps()}, delete_from("1001", "1002"),
       "ConnID CONN is no conference of TInitiateConference / TCompleteConference"},
      {"single_step_before_the_call_is_routed", {kRouting}, single_step("1001"),
       "DN 1001 has no established call CONN"},
      {"single_step_from_another_dn", {established_steps()}, single_step("1003"),
       "DN 1003 has no established call CONN"},
      {"single_step_during_a_consultation",
       {established_steps(), consult_steps()},
       single_step("1001"),
       "ConnID CONN has a transfer under way already"},
      {"initiate_while_a_hold_is_in_progress",
       {established_steps(), {{hold("1001", call_event::hold), "", established}}}, initiate(),
       "ConnID CONN has a re-INVITE in progress"},
      {"initiate_twice", {established_steps(), kHolding}, initiate(),
       "ConnID CONN has a transfer under way already"},
      {"initiate_without_a_consultation_conn_id", {established_steps()},
       request(call_event::initiate_transfer, "1001", kConn, ""),
       "no ConnID for the consultation call"},
      {"complete_never_initiated", {established_steps()}, complete(kConn, ""),
       "ConnID CONN has no consultation call"},
      {"reconnect_never_initiated", {established_steps()}, reconnect(kConn),
       "ConnID CONN has no consultation call"},
      {"alternate_never_initiated", {established_steps()}, alternate(kConn),
       "ConnID CONN has no consultation call"},
      {"complete_while_it_rings", {established_steps(), kRinging}, complete(),
       "consultation call C2 is not established yet"},
      {"reconnect_while_it_rings", {established_steps(), kRinging}, reconnect(), ""},
      {"complete_while_holding", {established_steps(), kHolding}, complete(kConn, ""),
       "ConnID CONN has a re-INVITE in progress"},
      {"complete_from_the_consulted_dn", {established_steps(), consult_steps()},
       request(call_event::complete_transfer, "1002", kC2, kConn),
       "DN 1002 has no established call C2"},
      {"complete_on_an_unknown_conn_id", {established_steps(), consult_steps()}, complete("C9", ""),
       "ConnID C9 is not a call of ConnID CONN"},
      {"complete_with_the_wrong_transfer_conn_id", {established_steps(), consult_steps()},
       complete(kC2, "C9"), "TransferConnID C9 is not the other call of ConnID C2 (CONN)"},
      {"complete_with_its_own_conn_id_as_transfer_conn_id", {established_steps(), consult_steps()},
       complete(kC2, kC2), "TransferConnID C2 is not the other call of ConnID C2 (CONN)"},
      {"complete_without_transfer_conn_id",
       {established_steps(), consult_steps()},
       complete(kConn, ""),
       ""},
      {"release_of_the_held_call_during_a_consultation", {established_steps(), consult_steps()},
       release_on("1001", kConn),
       "ConnID CONN has consultation call C2: TReleaseCall, TReconnectCall or "
       "TCompleteTransfer that one first"},
      {"release_of_the_consultation_by_a_stranger", {established_steps(), consult_steps()},
       release_on("1003", kC2), "DN 1003 is no party of ConnID C2"},
      {"release_before_any_consultation", {established_steps()}, release_on("1001", kConn), ""},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    auto c = at(tc.before);
    EXPECT_EQ(transfer_refusal(c, tc.request), tc.refusal);
    // What the actor refuses, the machine does nothing for (no SIP, no event);
    // a release outside a transfer is the routed call's own.
    if (!tc.refusal.empty()) {
      EXPECT_EQ(describe(call_step(c, tc.request, kDefault), c), "");
    }
  }
}

TEST(CallFsmTransfer, HoldIsRefusedDuringATransfer) {
  auto c = at({established_steps(), consult_steps()});
  EXPECT_EQ(hold_refusal(c, "1001", true),
            "ConnID CONN has a transfer under way: TAlternateCall and TReconnectCall move "
            "between its calls");
  call_step(c, reconnect(), kDefault);  // its retrieve's re-INVITEs are out
  EXPECT_EQ(hold_refusal(c, "1001", true), "ConnID CONN has a re-INVITE in progress");
}

}  // namespace
}  // namespace sipcc
