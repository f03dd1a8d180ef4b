// Routed calls end to end with real SIP peers: SIPp plays Asterisk's trunk
// side (the customer calling the Routing Point) and Asterisk's side of the
// agent phone; sip-edge and callctl run for real on a real nats-server. The
// test itself plays the router (TRouteCall), so each flow is exactly the one
// the scenario names.
#include <algorithm>

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "call_gauges.hpp"
#include "kvlist.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipp.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;
using ev_list = std::vector<v1::EventType>;

constexpr auto kWait = 10s;

class RoutedCallSipp : public ::testing::Test {
protected:
  void SetUp() override {
    if (!sipp_installed())
      GTEST_SKIP() << "sipp (package sip-tester) is not on PATH";
    agent_port = free_port(SOCK_DGRAM);
    voicemail_port = free_port(SOCK_DGRAM);
    system_options opts;
    // Each DN is reached straight at its own SIPp "Asterisk"; no presence here.
    // The agent DN overflows to voicemail after 2 s of ringing.
    auto at = [](const std::string& dn, uint16_t port) {
      return "contact: \"sip:" + dn + "@127.0.0.1:" + std::to_string(port) + "\", monitor: false";
    };
    opts.dns = {{"1000", "Extension", "", "no-answer-timeout: 2, no-answer-overflow: \"9999\"",
                 at("1000", agent_port) + ", mailbox: 1000@MY_COMPANY"},
                {"9999", "Voicemail", "", "", at("9999", voicemail_port)},
                {"8000", "RoutingPoint", "", "router-timeout: 60"}};
    opts.services = {{"sip-edge", "edge1"}, {"callctl", "callctl-0"}, {"presence", "presence-0"}};
    opts.extra_yaml = "application:\n  agent-no-answer-action: notready\n";
    // Phones may ask for short session timers here (the refresh test).
    opts.edge_extra = "min-se: 2";
    sys = std::make_unique<sipcc_system>(opts);
  }

  // Starts the customer calling 8000 and returns the ConnID of its route request.
  std::string customer_calls(const std::string& scenario, const std::string& pause_ms) {
    return test::customer_calls(*sys, customer, scenario, pause_ms, "8000", kWait);
  }

  v1::TEvent route(const std::string& conn_id, const std::string& dn) {
    return sys->route_call("8000", conn_id, dn);
  }

  // The call to 1000 was answered and then released: both SIPp scenarios
  // ran to their end and nothing dangles.
  void answered_call_ended() { expect_answered_call_ended(*sys, *customer, *agent, "1000", kWait); }

  void hold_is_passed_through(const std::string& agent_xml, const std::string& customer_xml,
                              const std::string& method);

  uint16_t agent_port = 0, voicemail_port = 0;
  std::unique_ptr<sipcc_system> sys;
  std::unique_ptr<sipp_run> agent, customer, voicemail;
};

TEST_F(RoutedCallSipp, AgentAnswersAndCustomerHangsUp) {
  agent = std::make_unique<sipp_run>("sn:uas", agent_port, sys->dir(),
                                     std::vector<std::string>{}, "agent");
  sys->start_services();
  auto conn = customer_calls("sn:uac", "1000");
  ASSERT_FALSE(conn.empty());
  auto used = route(conn, "1000");
  EXPECT_EQ(used.type(), v1::EventRouteUsed);
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventReleased, kWait));
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
  EXPECT_EQ(sys->recorder().events("8000"), (ev_list{v1::EventRouteRequest, v1::EventRouteUsed}));
  EXPECT_EQ(sys->recorder().events("1000"),
            (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventReleased}));

  // SDP negotiated end to end: the agent got the customer's offer, the
  // customer got the agent's answer.
  auto c = customer->trace(), a = agent->trace();
  EXPECT_EQ(body_of(a, false, "INVITE"), body_of(c, true, "INVITE"));
  EXPECT_EQ(body_of(c, false, "SIP/2.0 200"), body_of(a, true, "SIP/2.0 200"));
  expect_nothing_dangles(*sys, kWait);
}

// Calls come only from the configured Asterisk peers: a stranger on the same
// host calls the Routing Point straight at sipcc, its Via claiming a peer's
// address and its From any caller number. The edge goes by the packet's
// source: 403, counted, and nothing on the bus; Asterisk's call after it is
// the only offer callctl gets, and goes through as before.
TEST_F(RoutedCallSipp, StrangerCallingTheRoutingPointGets403) {
  agent = std::make_unique<sipp_run>("sn:uas", agent_port, sys->dir(),
                                     std::vector<std::string>{}, "agent");
  sys->start_services();
  const std::string trunk = "127.0.0.1:" + std::to_string(sys->trunk_port());
  sipp_run stranger("stranger-calls-rp-gets-403.xml", free_port(SOCK_DGRAM), sys->dir(),
                    {"-s", "8000", "-key", "asterisk", trunk,
                     "127.0.0.1:" + std::to_string(sys->edge_port())},
                    "stranger");
  ASSERT_EQ(stranger.wait_exit(kWait), 0) << stranger.log();
  EXPECT_EQ(counter_value(*sys, "edge1", "untrusted_requests", "INVITE"), 1);
  EXPECT_EQ(counter_value(*sys, "edge1", "sip_responses_out", "403"), 1);

  auto conn = customer_calls("sn:uac", "300");
  ASSERT_FALSE(conn.empty());
  // The edge publishes in order on one connection: had the stranger's INVITE
  // reached the bus, it would be recorded before Asterisk's.
  std::vector<std::string> offered_from;
  for (const auto& m : sys->recorder().all()) {
    if (m.subject != subj::in_invite)
      continue;
    v1::LegEvent ev;
    ASSERT_TRUE(ev.ParseFromString(m.data));
    offered_from.push_back(ev.incoming().from_user());
  }
  EXPECT_EQ(offered_from, std::vector<std::string>{"sipp"});
  EXPECT_EQ(sys->recorder().events("8000"), ev_list{v1::EventRouteRequest});

  EXPECT_EQ(route(conn, "1000").type(), v1::EventRouteUsed);
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventReleased, kWait));
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
  expect_nothing_dangles(*sys, kWait);
}

// An older PBX sends its display name in Latin-1: one raw byte 0xE9 in the
// From (issue 16). The edge puts it on the bus as UTF-8, so callctl decodes
// the offer, the call is routed as any other, and the desktops read "José".
TEST_F(RoutedCallSipp, CustomerWithLatin1DisplayNameIsRouted) {
  const std::string jose = "Jos\xC3\xA9";  // "José" in UTF-8
  agent = std::make_unique<sipp_run>("sn:uas", agent_port, sys->dir(),
                                     std::vector<std::string>{}, "agent");
  sys->start_services();
  auto conn = customer_calls("customer-with-latin1-display-name-is-routed.xml", "1000");
  ASSERT_FALSE(conn.empty());
  auto offered = sys->recorder().wait(
      [](const bus_msg& m) { return m.subject == subj::in_invite; }, kWait);
  ASSERT_TRUE(offered);
  v1::LegEvent in;
  ASSERT_TRUE(in.ParseFromString(offered->data));
  EXPECT_EQ(in.incoming().from_name(), jose);
  EXPECT_EQ(in.incoming().from_user(), "5551234");

  auto rr = sys->recorder().wait_event("8000", v1::EventRouteRequest, kWait);
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->ani(), "5551234");
  EXPECT_EQ(rr->ani_name(), jose);
  EXPECT_EQ(route(conn, "1000").type(), v1::EventRouteUsed);
  auto ringing = sys->recorder().wait_event("1000", v1::EventRinging, kWait);
  ASSERT_TRUE(ringing);
  EXPECT_EQ(ringing->ani_name(), jose);
  answered_call_ended();
}

// The agent puts the call on hold with `method` (INVITE or UPDATE): the
// offer reaches the customer as it was, in the same method, and the
// customer's answer comes back to the agent as it was.
void RoutedCallSipp::hold_is_passed_through(const std::string& agent_xml,
                                            const std::string& customer_xml,
                                            const std::string& method) {
  agent = std::make_unique<sipp_run>(agent_xml, agent_port, sys->dir(), std::vector<std::string>{},
                                     "agent");
  sys->start_services();
  auto conn = customer_calls(customer_xml, "1000");
  ASSERT_FALSE(conn.empty());
  route(conn, "1000");
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventReleased, kWait));
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
  auto bodies = [](const std::vector<traced>& t, bool sent, const std::string& start) {
    std::vector<std::string> out;
    for (auto& m : t)
      if (m.sent == sent && m.message.start_line.rfind(start, 0) == 0 && !m.message.body.empty())
        out.push_back(m.message.body);
    return out;
  };
  auto c = customer->trace(), a = agent->trace();
  auto agent_offers = bodies(a, true, method), customer_got = bodies(c, false, method);
  auto customer_answers = bodies(c, true, "SIP/2.0 200"), agent_got = bodies(a, false, "SIP/2.0 200");
  ASSERT_EQ(agent_offers.size(), 1u);
  ASSERT_EQ(customer_got.size(), 1u);
  EXPECT_EQ(customer_got[0], agent_offers[0]);
  EXPECT_NE(customer_got[0].find("a=sendonly"), std::string::npos);
  ASSERT_FALSE(customer_answers.empty());
  ASSERT_FALSE(agent_got.empty());
  EXPECT_EQ(agent_got.back(), customer_answers.back());
  EXPECT_EQ(sys->recorder().events("1000"),
            (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventReleased}));
  expect_nothing_dangles(*sys, kWait);
}

TEST_F(RoutedCallSipp, AgentHoldReinviteIsPassedToTheCustomer) {
  hold_is_passed_through("agent-answers-then-puts-call-on-hold.xml",
                         "customer-accepts-hold-then-hangs-up.xml", "INVITE");
}

// The customer's bare session-refresh UPDATE is answered by sipcc alone (the
// scenario checks the empty 200 and the agent never sees it); the agent's
// UPDATE offer goes to the customer as an UPDATE.
TEST_F(RoutedCallSipp, AgentHoldUpdateIsPassedToTheCustomer) {
  hold_is_passed_through("agent-answers-then-holds-with-update.xml",
                         "customer-refreshes-then-accepts-update-hold.xml", "UPDATE");
  auto a = agent->trace();
  EXPECT_EQ(std::count_if(a.begin(), a.end(),
                          [](const traced& m) {
                            return !m.sent && m.message.start_line.rfind("UPDATE", 0) == 0;
                          }),
            0);
}

TEST_F(RoutedCallSipp, GlareOnTheOtherLegComesBackAs491) {
  agent = std::make_unique<sipp_run>("agent-hold-gets-491-glare.xml", agent_port, sys->dir(),
                                     std::vector<std::string>{}, "agent");
  sys->start_services();
  auto conn = customer_calls("customer-refuses-reinvite-with-491-glare.xml", "1000");
  ASSERT_FALSE(conn.empty());
  route(conn, "1000");
  // Both scenarios run to their end: the customer answers 491 and the agent
  // gets that 491 for its re-INVITE; the call stays up until the hang-up.
  answered_call_ended();
}

// The agent's phone tries a blind transfer with a REFER in the call's
// dialog: 403 with a phrase that says why, no NOTIFY, and the call goes on
// until the customer hangs up (transfers are desktop requests). Outside a
// call REFER gets 405: EdgeE2E.MethodsTheEdgeDoesNotServeAreNotAcceptedOrAdvertised.
TEST_F(RoutedCallSipp, ReferFromTheAgentPhoneIsRefusedAndTheCallGoesOn) {
  agent = std::make_unique<sipp_run>("agent-answers-then-refer-is-refused-403.xml", agent_port,
                                     sys->dir(), std::vector<std::string>{}, "agent");
  sys->start_services();
  auto conn = customer_calls("sn:uac", "1500");
  ASSERT_FALSE(conn.empty());
  route(conn, "1000");
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventReleased, kWait));
  EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  std::vector<std::string> agent_got;
  for (auto& m : agent->trace())
    if (!m.sent)
      agent_got.push_back(m.message.start_line);
  const auto at = "127.0.0.1:" + std::to_string(agent_port);
  EXPECT_EQ(agent_got, (std::vector<std::string>{
                           "INVITE sip:1000@" + at + " SIP/2.0",
                           "ACK sip:" + at + ";transport=UDP SIP/2.0",
                           "SIP/2.0 403 Transfers are made from the agent desktop",
                           "BYE sip:" + at + ";transport=UDP SIP/2.0"}));
  // The customer's side saw an ordinary call.
  for (auto& m : customer->trace())
    EXPECT_TRUE(m.sent || m.message.start_line.rfind("SIP/2.0 ", 0) == 0 ||
                m.message.start_line.rfind("BYE", 0) == 0)
        << m.message.start_line;
  EXPECT_EQ(sys->recorder().events("1000"),
            (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventReleased}));
  EXPECT_EQ(counter_value(*sys, "edge1", "sip_requests_in", "REFER"), 1);
  expect_nothing_dangles(*sys, kWait);
}

TEST_F(RoutedCallSipp, UnansweredCallOverflowsToVoicemail) {
  agent = std::make_unique<sipp_run>("agent-rings-until-cancelled.xml", agent_port, sys->dir(),
                                     std::vector<std::string>{}, "agent");
  voicemail = std::make_unique<sipp_run>("sn:uas", voicemail_port, sys->dir(),
                                         std::vector<std::string>{}, "voicemail");
  sys->start_services();
  // An agent who lets the call ring out is made NotReady
  // (application agent-no-answer-action: notready).
  ASSERT_EQ(sys->request("1000", v1::TAgentLogin, "agent1000").type(), v1::EventAgentLogin);
  ASSERT_EQ(sys->request("1000", v1::TAgentSetReady).type(), v1::EventAgentReady);
  auto conn = customer_calls("sn:uac", "1000");
  ASSERT_FALSE(conn.empty());
  route(conn, "1000");
  // no-answer-timeout 2 s on DN 1000, then no-answer-overflow to 9999.
  ASSERT_TRUE(sys->recorder().wait_event("9999", v1::EventReleased, kWait));
  EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
  EXPECT_EQ(voicemail->wait_exit(kWait), 0) << voicemail->log();
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  auto not_ready = sys->recorder().wait_event("1000", v1::EventAgentNotReady, kWait);
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->reasons().pairs(0).str(), "NoAnswer");
  EXPECT_EQ(sys->recorder().events("1000"),
            (ev_list{v1::EventAgentLogin, v1::EventAgentReady, v1::EventRinging,
                     v1::EventReleased, v1::EventAgentNotReady}));
  EXPECT_EQ(sys->recorder().events("9999"),
            (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventReleased}));
  EXPECT_EQ(sys->recorder().events("8000"), (ev_list{v1::EventRouteRequest, v1::EventRouteUsed}));
  // The voicemail INVITE names DN 1000's mailbox (agent1000 has none of its own).
  auto vm = voicemail->trace();
  ASSERT_FALSE(vm.empty());
  EXPECT_EQ(vm.front().message.header("X-Mailbox"), "1000@MY_COMPANY");
  EXPECT_EQ(vm.front().message.header("Diversion"),
            "<sip:1000@127.0.0.1>;reason=no-answer;counter=1");
  // A caller leaves a message; only a phone of its own hears the messages.
  EXPECT_EQ(vm.front().message.header("X-Voicemail"), "");
  expect_nothing_dangles(*sys, kWait);
}

TEST_F(RoutedCallSipp, SessionTimerIsRefreshedOnTheAgentLeg) {
  agent = std::make_unique<sipp_run>("agent-answers-with-short-session-timer-and-sees-a-refresh.xml",
                                     agent_port, sys->dir(), std::vector<std::string>{}, "agent");
  sys->start_services();
  // The customer stays 5 s on a call whose agent leg expires every 4 s.
  auto conn = customer_calls("sn:uac", "5000");
  ASSERT_FALSE(conn.empty());
  route(conn, "1000");
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventReleased, kWait));
  EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();  // 0: the refresh came in time
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  auto t = agent->trace();
  ASSERT_FALSE(t.empty());
  EXPECT_NE(t.front().message.header("Session-Expires"), "") << "sipcc asks for session timers";
  EXPECT_EQ(sys->recorder().events("1000"),
            (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventReleased}));
  expect_nothing_dangles(*sys, kWait);
}

TEST_F(RoutedCallSipp, CallerAbandonsWhileAgentRings) {
  agent = std::make_unique<sipp_run>("agent-rings-until-cancelled.xml", agent_port, sys->dir(),
                                     std::vector<std::string>{}, "agent");
  sys->start_services();
  auto conn = customer_calls("customer-cancels-after-ringing.xml", "1500");
  ASSERT_FALSE(conn.empty());
  route(conn, "1000");
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventAbandoned, kWait));
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
  EXPECT_TRUE(sys->recorder().wait_event("8000", v1::EventAbandoned, kWait));
  EXPECT_EQ(sys->recorder().events("1000"), (ev_list{v1::EventRinging, v1::EventAbandoned}));
  EXPECT_EQ(sys->recorder().events("8000"),
            (ev_list{v1::EventRouteRequest, v1::EventRouteUsed, v1::EventAbandoned}));
  expect_nothing_dangles(*sys, kWait);
}

TEST_F(RoutedCallSipp, BusyAgentSendsTheCallBackToTheRoutingPoint) {
  agent = std::make_unique<sipp_run>("agent-rejects-busy-486.xml", agent_port, sys->dir(),
                                     std::vector<std::string>{}, "agent");
  sys->start_services();
  auto conn = customer_calls("customer-cancels-after-ringing.xml", "3000");
  ASSERT_FALSE(conn.empty());
  route(conn, "1000");
  // The 486 puts the call back at the Routing Point for another route.
  auto again = sys->recorder().wait_event("8000", v1::EventRouteRequest, kWait, 2);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->conn_id(), conn);
  EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
  // Nobody else takes it; the customer gives up.
  ASSERT_TRUE(sys->recorder().wait_event("8000", v1::EventAbandoned, kWait));
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  EXPECT_EQ(sys->recorder().events("1000"), ev_list{});  // it never rang
  expect_nothing_dangles(*sys, kWait);
  // The refused agent leg ended at once: the audits (every 300 ms here)
  // that followed did not find it lost.
  EXPECT_EQ(counter_value(*sys, "callctl-0", "audit_fixes", "lost_leg"), -1);
}

// User data attached at the Routing Point and changed by the agent travels
// with the call; the agent's DTMF reaches the customer as one INFO per digit.
// Requests from the wrong DN, in the wrong state or with bad digits get
// EventError and send no SIP.
TEST_F(RoutedCallSipp, UserDataTravelsAndAgentSendsDtmfToTheCustomer) {
  agent = std::make_unique<sipp_run>("sn:uas", agent_port, sys->dir(),
                                     std::vector<std::string>{}, "agent");
  sys->start_services();
  auto conn = customer_calls("customer-gets-dtmf-info-then-hangs-up.xml", "0");
  ASSERT_FALSE(conn.empty());

  auto changed = sys->on_call(v1::TAttachUserData, "8000", conn,
                         str_pairs({{"Segment", "gold"}, {"Lang", "en"}}));
  EXPECT_EQ(changed.type(), v1::EventAttachedDataChanged);
  EXPECT_EQ(str_pairs_text(changed.user_data()), "Segment=gold,Lang=en");
  auto on_rp = sys->recorder().wait_event("8000", v1::EventAttachedDataChanged, kWait);
  ASSERT_TRUE(on_rp);
  EXPECT_EQ(str_pairs_text(on_rp->user_data()), "Segment=gold,Lang=en");
  // Not a party yet; and before any established call, no DTMF.
  EXPECT_EQ(sys->on_call(v1::TAttachUserData, "1000", conn, str_pairs({{"x", "1"}})).error_code(),
            v1::ERR_INVALID_STATE);
  auto early = sys->on_call(v1::TSendDTMF, "1000", conn, {}, "1");
  EXPECT_EQ(early.error_code(), v1::ERR_INVALID_STATE);
  EXPECT_EQ(early.error_message(), "DN 1000 has no established call " + conn);

  route(conn, "1000");
  auto est = sys->recorder().wait_event("1000", v1::EventEstablished, kWait);
  ASSERT_TRUE(est);
  EXPECT_EQ(str_pairs_text(est->user_data()), "Segment=gold,Lang=en");
  // The RP is no party any more; an attach without data is no request.
  EXPECT_EQ(sys->on_call(v1::TAttachUserData, "8000", conn, str_pairs({{"x", "1"}})).error_code(),
            v1::ERR_INVALID_STATE);
  EXPECT_EQ(sys->on_call(v1::TAttachUserData, "1000", conn).error_code(), v1::ERR_BAD_REQUEST);
  EXPECT_EQ(sys->on_call(v1::TUpdateUserData, "1000", conn,
                    str_pairs({{"Lang", "fr"}, {"Case", "42"}}))
                .type(),
            v1::EventAttachedDataChanged);
  EXPECT_EQ(sys->on_call(v1::TDeleteUserData, "1000", conn, str_pairs({{"Segment", ""}}))
                .type(),
            v1::EventAttachedDataChanged);
  auto after_delete = sys->recorder().wait_event("1000", v1::EventAttachedDataChanged, kWait, 2);
  ASSERT_TRUE(after_delete);
  EXPECT_EQ(str_pairs_text(after_delete->user_data()), "Lang=fr,Case=42");

  auto bad = sys->on_call(v1::TSendDTMF, "1000", conn, {}, "1x");
  EXPECT_EQ(bad.error_code(), v1::ERR_BAD_REQUEST);
  EXPECT_EQ(bad.error_message(), "'x' in '1x' is no DTMF digit");
  EXPECT_EQ(sys->on_call(v1::TSendDTMF, "8000", conn, {}, "1").error_code(),
            v1::ERR_INVALID_STATE);
  auto sent = sys->on_call(v1::TSendDTMF, "1000", conn, {}, "12#");
  EXPECT_EQ(sent.type(), v1::EventDTMFSent);
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventDTMFSent, kWait));

  // The customer hangs up once it has the three INFOs.
  auto released = sys->recorder().wait_event("1000", v1::EventReleased, kWait);
  ASSERT_TRUE(released);
  EXPECT_EQ(str_pairs_text(released->user_data()), "Lang=fr,Case=42");
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
  EXPECT_EQ(infos_received(customer->trace()), kDtmf12Hash);
  // The agent's phone saw none of it: DTMF goes to the customer only.
  EXPECT_TRUE(infos_received(agent->trace()).empty());
  EXPECT_EQ(sys->recorder().events("8000"),
            (ev_list{v1::EventRouteRequest, v1::EventAttachedDataChanged, v1::EventRouteUsed}));
  EXPECT_EQ(sys->recorder().events("1000"),
            (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventAttachedDataChanged,
                     v1::EventAttachedDataChanged, v1::EventDTMFSent, v1::EventReleased}));
  expect_nothing_dangles(*sys, kWait);
}

// THoldCall and TRetrieveCall from the agent DN: sipcc re-INVITEs the
// customer, then the agent, with offers derived from what each side last got
// from it (same o= session, version one up each time). Bad requests get
// EventError and send no SIP.
TEST_F(RoutedCallSipp, AgentHoldsAndRetrievesTheCustomer) {
  agent = std::make_unique<sipp_run>("agent-answers-takes-hold-and-retrieve-then-hangs-up.xml", agent_port,
                                     sys->dir(), std::vector<std::string>{}, "agent");
  sys->start_services();
  auto conn = customer_calls("customer-is-held-and-retrieved.xml", "0");
  ASSERT_FALSE(conn.empty());
  EXPECT_EQ(sys->on_call(v1::THoldCall, "8000", conn).error_code(), v1::ERR_INVALID_STATE);
  route(conn, "1000");
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventEstablished, kWait));

  auto not_held = sys->on_call(v1::TRetrieveCall, "1000", conn);
  EXPECT_EQ(not_held.error_code(), v1::ERR_INVALID_STATE);
  EXPECT_EQ(not_held.error_message(), "ConnID " + conn + " is not held");
  EXPECT_EQ(sys->on_call(v1::THoldCall, "8000", conn).error_code(), v1::ERR_INVALID_STATE);
  auto held = sys->on_call(v1::THoldCall, "1000", conn);
  EXPECT_EQ(held.type(), v1::EventHeld) << held.error_message();
  auto again = sys->on_call(v1::THoldCall, "1000", conn);
  EXPECT_EQ(again.error_message(), "ConnID " + conn + " is held already");
  auto retrieved = sys->on_call(v1::TRetrieveCall, "1000", conn);
  EXPECT_EQ(retrieved.type(), v1::EventRetrieved) << retrieved.error_message();

  // The agent hangs up once retrieved.
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventReleased, kWait));
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
  auto got = bodies_of(agent->trace(), false, "INVITE");
  ASSERT_EQ(got.size(), 3u);  // the call, the hold, the retrieve
  std::string agent_ip = "127.0.0.1";
  EXPECT_EQ(origin_and_direction(got[1]), "o=- 1 2 IN IP4 " + agent_ip + " a=inactive");
  EXPECT_EQ(origin_and_direction(got[2]), "o=- 1 3 IN IP4 " + agent_ip + " a=sendrecv");
  got = bodies_of(customer->trace(), false, "INVITE");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(origin_and_direction(got[0]), "o=agent 1 2 IN IP4 " + agent_ip + " a=sendonly");
  EXPECT_EQ(origin_and_direction(got[1]), "o=agent 1 3 IN IP4 " + agent_ip + " a=sendrecv");
  EXPECT_EQ(sys->recorder().events("1000"),
            (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventHeld, v1::EventRetrieved,
                     v1::EventReleased}));
  expect_nothing_dangles(*sys, kWait);
}

// The customer answers the hold re-INVITE with 491 (glare): sipcc sends the
// same offer again after 2.1-4 s (RFC 3261 14.1), and the desktop gets
// EventHeld once both legs took the hold.
TEST_F(RoutedCallSipp, AHoldRefusedWith491IsSentAgainAfterABackOff) {
  agent = std::make_unique<sipp_run>("agent-answers-takes-reinvites-until-bye.xml", agent_port,
                                     sys->dir(), std::vector<std::string>{}, "agent");
  sys->start_services();
  auto conn = customer_calls("customer-answers-a-hold-with-491-then-200-on-the-retry.xml", "500");
  ASSERT_FALSE(conn.empty());
  route(conn, "1000");
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventEstablished, kWait));
  auto asked = std::chrono::steady_clock::now();
  auto held = sys->on_call(v1::THoldCall, "1000", conn);
  auto took = std::chrono::steady_clock::now() - asked;
  EXPECT_EQ(held.type(), v1::EventHeld) << held.error_message();
  EXPECT_GE(took, std::chrono::milliseconds(2100));
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventReleased, kWait));
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
  std::string ip = "127.0.0.1";
  auto to_customer = bodies_of(customer->trace(), false, "INVITE");
  ASSERT_EQ(to_customer.size(), 2u);  // the hold refused with 491, its retry
  // The same offer again: the refused one never became the session's SDP.
  EXPECT_EQ(origin_and_direction(to_customer[0]), "o=agent 1 2 IN IP4 " + ip + " a=sendonly");
  EXPECT_EQ(origin_and_direction(to_customer[1]), "o=agent 1 2 IN IP4 " + ip + " a=sendonly");
  auto to_agent = bodies_of(agent->trace(), false, "INVITE");
  ASSERT_EQ(to_agent.size(), 2u);  // the call, the hold
  EXPECT_EQ(origin_and_direction(to_agent[1]), "o=- 1 2 IN IP4 " + ip + " a=inactive");
  EXPECT_EQ(sys->recorder().events("1000"),
            (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventHeld, v1::EventReleased}));
  expect_nothing_dangles(*sys, kWait);
}

}  // namespace
}  // namespace sipcc::test
