// Transfers of routed calls end to end: SIPp plays Asterisk's trunk side (the
// customer calling Routing Point 8000), the agent phone of DN 1000 and the
// phone of DN 1001 a transfer reaches; sip-edge, callctl and presence run for
// real on a real nats-server, and the test plays the router and the desktop.
// Each test checks the SIP every party saw (SDP offers and answers included)
// and the exact events on each DN, ConnIDs included.
#include <algorithm>
#include <map>

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "call_gauges.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipp.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;
using lines = std::vector<std::string>;

constexpr auto kWait = 10s;

// The messages SIPp sent (`sent`) or received whose start line begins with
// `start`, one per CSeq (a retransmission is the same message again).
std::vector<sip_message> messages(const std::vector<traced>& t, bool sent,
                                  const std::string& start) {
  std::vector<sip_message> out;
  std::vector<std::string> seen;
  for (auto& m : t) {
    if (m.sent != sent || m.message.start_line.rfind(start, 0) != 0)
      continue;
    auto cseq = m.message.header("CSeq");
    if (std::find(seen.begin(), seen.end(), cseq) != seen.end())
      continue;
    seen.push_back(cseq);
    out.push_back(m.message);
  }
  return out;
}

// The 200s SIPp sent to INVITEs (not to BYEs).
std::vector<sip_message> invite_answers(const std::vector<traced>& t) {
  auto all = messages(t, true, "SIP/2.0 200");
  all.erase(std::remove_if(all.begin(), all.end(),
                           [](const sip_message& m) {
                             return m.header("CSeq").find("INVITE") == std::string::npos;
                           }),
            all.end());
  return all;
}

std::vector<std::string> bodies(const std::vector<sip_message>& msgs) {
  std::vector<std::string> out;
  for (auto& m : msgs)
    out.push_back(m.body);
  return out;
}

// The SDP line starting with `prefix` ("m=", "o=", "a=send"...), "" without one.
std::string sdp_line(const std::string& sdp, const std::string& prefix) {
  for (size_t at = 0; at < sdp.size();) {
    auto end = sdp.find('\n', at);
    auto line = sdp.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.rfind(prefix, 0) == 0)
      return line;
    if (end == std::string::npos)
      break;
    at = end + 1;
  }
  return "";
}

// "m= port, direction" of an SDP body: whose media it is, and how it flows.
std::string media_of(const std::string& sdp) {
  auto m = sdp_line(sdp, "m=audio ");
  auto port = m.substr(8, m.find(' ', 8) - 8);
  std::string dir;
  for (auto d : {"a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"})
    if (!sdp_line(sdp, d).empty())
      dir = std::string(d).substr(2);
  return port + " " + dir;
}

// Ports of the SDP each SIPp peer offers or answers: who is who in media_of.
const std::string kCustomer = "31000", kAgent = "32000", kConsulted = "34000";

class TransferSipp : public ::testing::Test {
protected:
  void SetUp() override {
    if (!sipp_installed())
      GTEST_SKIP() << "sipp (package sip-tester) is not on PATH";
    agent_port = free_port(SOCK_DGRAM);
    other_port = free_port(SOCK_DGRAM);
    system_options opts;
    auto at = [](const std::string& dn, uint16_t port) {
      return "contact: \"sip:" + dn + "@127.0.0.1:" + std::to_string(port) + "\", monitor: false";
    };
    opts.dns = {{"1000", "Extension", "", "", at("1000", agent_port)},
                {"1001", "Extension", "", "", at("1001", other_port)},
                {"8000", "RoutingPoint", "", "router-timeout: 60"}};
    opts.services = {{"sip-edge", "edge1"}, {"callctl", "callctl-0"}, {"presence", "presence-0"}};
    sys = std::make_unique<sipcc_system>(opts);
  }

  // The phones of 1000 and 1001 run these scenarios; the customer calls 8000
  // with `customer_xml` (-d `pause_ms`), is routed to 1000 and answered there.
  // Returns the call's ConnID.
  std::string established_at_1000(const std::string& agent_xml, const std::string& other_xml,
                                   const std::string& customer_xml, const std::string& pause_ms,
                                   const std::string& other_pause_ms = "0") {
    agent = std::make_unique<sipp_run>(agent_xml, agent_port, sys->dir(), lines{}, "agent");
    other = std::make_unique<sipp_run>(other_xml, other_port, sys->dir(),
                                       lines{"-d", other_pause_ms}, "other");
    sys->start_services();
    auto conn = customer_calls(*sys, customer, customer_xml, pause_ms, "8000", kWait);
    if (conn.empty())
      return conn;
    EXPECT_EQ(sys->route_call("8000", conn, "1000").type(), v1::EventRouteUsed);
    EXPECT_TRUE(sys->recorder().wait_event("1000", v1::EventEstablished, kWait));
    c1 = conn;
    return conn;
  }

  // As established_at_1000, then TInitiateTransfer from 1000 to 1001 (which
  // rings and answers as `other_xml` says): the consultation call's ConnID
  // from its EventDialing ("" and a failure without one).
  std::string consulting(const std::string& agent_xml, const std::string& other_xml,
                         const std::string& customer_xml, const std::string& pause_ms,
                         const std::string& other_pause_ms = "0") {
    auto conn = established_at_1000(agent_xml, other_xml, customer_xml, pause_ms, other_pause_ms);
    return conn.empty() ? "" : consult_1001(conn);
  }

  // TInitiateTransfer from 1000 to 1001 on call `conn`: the consultation
  // call's ConnID from its EventDialing ("" and a failure without one).
  std::string consult_1001(const std::string& conn) {
    auto dialing = request(v1::TInitiateTransfer, "1000", conn, "1001");
    EXPECT_EQ(dialing.type(), v1::EventDialing) << dialing.error_message();
    c2 = dialing.type() == v1::EventDialing ? dialing.conn_id() : "";
    return c2;
  }

  // A request from `dn` on ConnID `conn`; its reply.
  v1::TEvent request(v1::RequestType type, const std::string& dn, const std::string& conn,
                     const std::string& other_dn = "", const std::string& transfer_conn = "") {
    return sys->to_other(type, dn, conn, other_dn, transfer_conn);
  }

  // Every event on `dn` (bus_recorder::ladder).
  lines ladder(const std::string& dn) { return sys->recorder().ladder(dn, c1, c2); }

  void all_scenarios_end() {
    EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
    EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
    EXPECT_EQ(other->wait_exit(kWait), 0) << other->log();
  }

  uint16_t agent_port = 0, other_port = 0;
  std::string c1, c2;  // the call's ConnID, the consultation's
  std::unique_ptr<sipcc_system> sys;
  std::unique_ptr<sipp_run> agent, other, customer;
};

// TSingleStepTransfer: the agent leg is hung up at once and 1001 is reached
// by flow I: its 2xx offer re-INVITEs the customer, whose answer goes in the
// ACK. The customer is no DN, so nobody gets EventPartyChanged.
TEST_F(TransferSipp, SingleStepTransferJoinsTheCustomerToTheTarget) {
  auto conn = established_at_1000("sn:uas",
                          "consulted-dn-answers-offerless-invite-then-waits-for-bye.xml",
                                  "customer-is-transferred-by-a-reinvite-then-hangs-up.xml", "500");
  ASSERT_FALSE(conn.empty());
  // Requests that make no sense: EventError, no SIP.
  auto to_self = request(v1::TSingleStepTransfer, "1000", conn, "1000");
  EXPECT_EQ(to_self.error_code(), v1::ERR_BAD_REQUEST);
  EXPECT_EQ(to_self.error_message(), "OtherDN is ThisDN 1000");
  auto unknown = request(v1::TSingleStepTransfer, "1000", conn, "4711");
  EXPECT_EQ(unknown.error_code(), v1::ERR_UNKNOWN_DN);
  auto wrong_dn = request(v1::TSingleStepTransfer, "1001", conn, "1000");
  EXPECT_EQ(wrong_dn.error_code(), v1::ERR_INVALID_STATE);
  EXPECT_EQ(wrong_dn.error_message(), "DN 1001 has no established call " + conn);
  auto no_call = request(v1::TSingleStepTransfer, "1000", "00000000000000ff", "1001");
  EXPECT_EQ(no_call.error_code(), v1::ERR_INVALID_STATE);
  EXPECT_EQ(no_call.error_message(), "no call with ConnID '00000000000000ff'");

  auto released = request(v1::TSingleStepTransfer, "1000", conn, "1001");
  EXPECT_EQ(released.type(), v1::EventReleased) << released.error_message();
  EXPECT_EQ(released.conn_id(), conn);
  ASSERT_TRUE(sys->recorder().wait_event("1001", v1::EventEstablished, kWait));
  ASSERT_TRUE(sys->recorder().wait_event("1001", v1::EventReleased, kWait));
  all_scenarios_end();

  EXPECT_EQ(ladder("1000"),
            (lines{"EventRinging C1", "EventEstablished C1", "EventReleased C1 third=1001"}));
  EXPECT_EQ(ladder("1001"), (lines{"EventRinging C1 third=1000",
                                          "EventEstablished C1 third=1000", "EventReleased C1"}));
  EXPECT_EQ(sys->recorder().events("8000"), (std::vector<v1::EventType>{
                                                v1::EventRouteRequest, v1::EventRouteUsed}));
  auto c = customer->trace(), a = agent->trace(), b = other->trace();
  // The agent had the customer's offer, then sipcc's BYE; nothing else.
  EXPECT_EQ(messages(a, false, "INVITE").size(), 1u);
  EXPECT_EQ(messages(a, false, "BYE").size(), 1u);
  // 1001: INVITE without SDP; its offer went to the customer, and
  // the customer's answer came back in the ACK.
  auto b_invite = messages(b, false, "INVITE");
  ASSERT_EQ(b_invite.size(), 1u);
  EXPECT_EQ(b_invite[0].body, "");
  EXPECT_EQ(b_invite[0].header("From").find("<sip:5551234@"), 0u);
  auto c_reinvite = messages(c, false, "INVITE");
  ASSERT_EQ(c_reinvite.size(), 1u);
  // In the customer's session with sipcc (the agent's o=, one version on).
  EXPECT_EQ(c_reinvite[0].body,
            with_origin(body_of(b, true, "SIP/2.0 200"), next_origin_of(body_of(c, false, "SIP/2.0 200"))));
  auto c_answers = bodies(invite_answers(c));
  ASSERT_EQ(c_answers.size(), 1u);
  EXPECT_EQ(body_of(b, false, "ACK"), c_answers.front());
  EXPECT_EQ(media_of(body_of(b, false, "ACK")), kCustomer + " sendrecv");
  expect_nothing_dangles(*sys, kWait);
}

// The target refuses (486): the customer, answered already, goes back to the
// Routing Point (EventRouteRequest) and waits there until it hangs up.
TEST_F(TransferSipp, SingleStepTransferToABusyTargetRecallsTheCustomer) {
  auto conn = established_at_1000("sn:uas", "agent-rejects-busy-486.xml", "sn:uac", "3000");
  ASSERT_FALSE(conn.empty());
  EXPECT_EQ(request(v1::TSingleStepTransfer, "1000", conn, "1001").type(), v1::EventReleased);
  auto again = sys->recorder().wait_event("8000", v1::EventRouteRequest, kWait, 2);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->conn_id(), conn);
  ASSERT_TRUE(sys->recorder().wait_event("8000", v1::EventAbandoned, kWait));
  all_scenarios_end();
  EXPECT_EQ(ladder("1000"),
            (lines{"EventRinging C1", "EventEstablished C1", "EventReleased C1 third=1001"}));
  EXPECT_EQ(ladder("1001"), lines{});  // it never rang
  EXPECT_EQ(sys->recorder().events("8000"),
            (std::vector<v1::EventType>{v1::EventRouteRequest, v1::EventRouteUsed,
                                        v1::EventRouteRequest, v1::EventAbandoned}));
  auto b_invite = messages(other->trace(), false, "INVITE");
  ASSERT_EQ(b_invite.size(), 1u);
  EXPECT_EQ(b_invite[0].body, "");
  expect_nothing_dangles(*sys, kWait);
}

// TInitiateTransfer then TCompleteTransfer: the customer is held, 1001 is
// dialled on a new ConnID and joined to the agent; on completion the customer
// gets 1001's media and 1001 the customer's, the agent leaves, and 1001 goes
// on with the call (its hang-up ends it).
TEST_F(TransferSipp, ConsultationThenCompleteJoinsTheCustomerAndTheConsultedDn) {
  auto conn = established_at_1000(
      "agent-is-held-then-consults-then-gets-bye.xml",
      "consulted-dn-answers-offerless-invite-takes-the-customer-then-hangs-up.xml",
      "customer-is-held-and-retrieved.xml", "0", "300");
  ASSERT_FALSE(conn.empty());
  // Nothing to complete, reconnect or alternate yet; 1001 is no party.
  auto never = request(v1::TCompleteTransfer, "1000", conn);
  EXPECT_EQ(never.error_code(), v1::ERR_INVALID_STATE);
  EXPECT_EQ(never.error_message(), "ConnID " + conn + " has no consultation call");
  EXPECT_EQ(request(v1::TReconnectCall, "1000", conn).error_code(), v1::ERR_INVALID_STATE);
  EXPECT_EQ(request(v1::TAlternateCall, "1000", conn).error_code(), v1::ERR_INVALID_STATE);
  EXPECT_EQ(request(v1::TInitiateTransfer, "1001", conn, "1000").error_code(),
            v1::ERR_INVALID_STATE);
  EXPECT_EQ(request(v1::TInitiateTransfer, "1000", conn, "").error_code(), v1::ERR_BAD_REQUEST);

  ASSERT_FALSE(consult_1001(conn).empty());
  EXPECT_NE(c2, conn);
  auto dialing = sys->recorder().wait_event("1000", v1::EventDialing, kWait);
  ASSERT_TRUE(dialing);
  EXPECT_EQ(dialing->transfer_conn_id(), conn);
  EXPECT_EQ(dialing->other_dn(), "1001");
  ASSERT_TRUE(sys->recorder().wait_event("1001", v1::EventEstablished, kWait));
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventEstablished, kWait, 2));
  // A second consultation, a hold, a wrong TransferConnID: refused.
  EXPECT_EQ(request(v1::TInitiateTransfer, "1000", conn, "1001").error_code(),
            v1::ERR_INVALID_STATE);
  EXPECT_EQ(request(v1::THoldCall, "1000", c2).error_code(), v1::ERR_INVALID_STATE);
  auto wrong = request(v1::TCompleteTransfer, "1000", c2, "", c2);
  EXPECT_EQ(wrong.error_message(),
            "TransferConnID " + c2 + " is not the other call of ConnID " + c2 + " (" + conn + ")");

  auto done = request(v1::TCompleteTransfer, "1000", c2, "", conn);
  EXPECT_EQ(done.type(), v1::EventReleased) << done.error_message();
  EXPECT_EQ(done.conn_id(), c2);
  auto changed = sys->recorder().wait_event("1001", v1::EventPartyChanged, kWait);
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->other_dn(), "5551234");
  // 1001 hangs up (its -d pause) once it has the customer's media.
  ASSERT_TRUE(sys->recorder().wait_event("1001", v1::EventReleased, kWait));
  all_scenarios_end();

  EXPECT_EQ(ladder("1000"),
            (lines{"EventRinging C1", "EventEstablished C1", "EventHeld C1",
                   "EventDialing C2 transfer=C1", "EventEstablished C2", "EventReleased C2",
                   "EventReleased C1 third=1001"}));
  EXPECT_EQ(ladder("1001"),
            (lines{"EventRinging C2", "EventEstablished C2",
                   "EventPartyChanged C1 third=1000 previous=C2", "EventReleased C1"}));

  auto c = customer->trace(), a = agent->trace(), b = other->trace();
  // The customer: held (the agent's media, sendonly), then given 1001's.
  auto c_offers = bodies(messages(c, false, "INVITE"));
  ASSERT_EQ(c_offers.size(), 2u);
  EXPECT_EQ(media_of(c_offers[0]), kAgent + " sendonly");
  EXPECT_EQ(media_of(c_offers[1]), kConsulted + " sendrecv");
  auto c_answers = bodies(invite_answers(c));
  ASSERT_EQ(c_answers.size(), 2u);  // the hold, the transfer
  // The agent: the customer's offer, inactive, then 1001's offer; its answer
  // to that went to 1001 in the ACK.
  auto a_offers = bodies(messages(a, false, "INVITE"));
  ASSERT_EQ(a_offers.size(), 3u);
  EXPECT_EQ(media_of(a_offers[0]), kCustomer + " sendrecv");
  EXPECT_EQ(media_of(a_offers[1]), kCustomer + " inactive");
  EXPECT_EQ(media_of(a_offers[2]), kConsulted + " sendrecv");
  auto a_answers = bodies(invite_answers(a));
  ASSERT_EQ(a_answers.size(), 3u);
  EXPECT_EQ(messages(a, false, "BYE").size(), 1u);
  // 1001: INVITE without SDP from the agent's DN, the agent's answer in the
  // ACK, then the customer's answer as the offer of a re-INVITE.
  auto b_invites = messages(b, false, "INVITE");
  ASSERT_EQ(b_invites.size(), 2u);
  EXPECT_EQ(b_invites[0].body, "");
  EXPECT_EQ(b_invites[0].header("From").find("<sip:1000@"), 0u);
  EXPECT_EQ(body_of(b, false, "ACK"), a_answers[2]);
  EXPECT_EQ(sdp_line(b_invites[1].body, "m="), sdp_line(c_answers[1], "m="));
  EXPECT_EQ(media_of(b_invites[1].body), kCustomer + " sendrecv");
  expect_nothing_dangles(*sys, kWait);
}

// TReconnectCall: 1001 is hung up, the customer and the agent are taken back
// to each other (both sendrecv, the agent gets the customer's media again).
TEST_F(TransferSipp, ReconnectEndsTheConsultationAndRetrievesTheCustomer) {
  ASSERT_FALSE(consulting("agent-is-held-consults-is-reconnected-then-hangs-up.xml",
                          "consulted-dn-answers-offerless-invite-then-waits-for-bye.xml",
                          "customer-is-held-and-retrieved.xml", "0").empty());
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventEstablished, kWait, 2));
  auto released = request(v1::TReconnectCall, "1000", c2);
  EXPECT_EQ(released.type(), v1::EventReleased) << released.error_message();
  EXPECT_EQ(released.conn_id(), c2);
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventRetrieved, kWait));
  // The ConnID of the consultation is gone with it.
  auto gone = request(v1::TReleaseCall, "1000", c2);
  EXPECT_EQ(gone.error_message(), "no call with ConnID '" + c2 + "'");
  // The agent hangs up once it has the customer back.
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventReleased, kWait, 2));
  all_scenarios_end();

  EXPECT_EQ(ladder("1000"),
            (lines{"EventRinging C1", "EventEstablished C1", "EventHeld C1",
                   "EventDialing C2 transfer=C1", "EventEstablished C2", "EventReleased C2",
                   "EventRetrieved C1", "EventReleased C1"}));
  EXPECT_EQ(ladder("1001"),
            (lines{"EventRinging C2", "EventEstablished C2", "EventReleased C2"}));
  auto c_offers = bodies(messages(customer->trace(), false, "INVITE"));
  ASSERT_EQ(c_offers.size(), 2u);
  EXPECT_EQ(media_of(c_offers[0]), kAgent + " sendonly");
  EXPECT_EQ(media_of(c_offers[1]), kAgent + " sendrecv");
  auto a_offers = bodies(messages(agent->trace(), false, "INVITE"));
  ASSERT_EQ(a_offers.size(), 4u);
  EXPECT_EQ(media_of(a_offers[2]), kConsulted + " sendrecv");
  EXPECT_EQ(media_of(a_offers[3]), kCustomer + " sendrecv");
  EXPECT_EQ(messages(other->trace(), false, "BYE").size(), 1u);
  expect_nothing_dangles(*sys, kWait);
}

// TAlternateCall moves the agent between the two calls (1001 held, the
// customer back); TCompleteTransfer from there joins the customer and 1001.
TEST_F(TransferSipp, AlternateThenCompleteFromTheHeldConsultation) {
  ASSERT_FALSE(consulting("agent-is-held-consults-alternates-then-gets-bye.xml",
                          "consulted-dn-is-held-then-takes-the-customer-then-hangs-up.xml",
                          "customer-is-held-retrieved-then-transferred.xml", "0", "300")
                   .empty());
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventEstablished, kWait, 2));
  auto retrieved = request(v1::TAlternateCall, "1000", c2, "", c1);
  EXPECT_EQ(retrieved.type(), v1::EventRetrieved) << retrieved.error_message();
  EXPECT_EQ(retrieved.conn_id(), c1);
  auto done = request(v1::TCompleteTransfer, "1000", c1, "", c2);
  EXPECT_EQ(done.type(), v1::EventReleased) << done.error_message();
  ASSERT_TRUE(sys->recorder().wait_event("1001", v1::EventReleased, kWait));
  all_scenarios_end();

  EXPECT_EQ(ladder("1000"),
            (lines{"EventRinging C1", "EventEstablished C1", "EventHeld C1",
                   "EventDialing C2 transfer=C1", "EventEstablished C2", "EventHeld C2",
                   "EventRetrieved C1", "EventReleased C2", "EventReleased C1 third=1001"}));
  EXPECT_EQ(ladder("1001"),
            (lines{"EventRinging C2", "EventEstablished C2",
                   "EventPartyChanged C1 third=1000 previous=C2", "EventReleased C1"}));
  auto c_offers = bodies(messages(customer->trace(), false, "INVITE"));
  ASSERT_EQ(c_offers.size(), 3u);
  EXPECT_EQ(media_of(c_offers[0]), kAgent + " sendonly");
  EXPECT_EQ(media_of(c_offers[1]), kAgent + " sendrecv");
  EXPECT_EQ(media_of(c_offers[2]), kConsulted + " sendrecv");
  auto a_offers = bodies(messages(agent->trace(), false, "INVITE"));
  ASSERT_EQ(a_offers.size(), 4u);
  EXPECT_EQ(media_of(a_offers[3]), kCustomer + " sendrecv");
  auto b_offers = bodies(messages(other->trace(), false, "INVITE"));
  ASSERT_EQ(b_offers.size(), 3u);
  EXPECT_EQ(media_of(b_offers[1]), kAgent + " sendonly");
  EXPECT_EQ(media_of(b_offers[2]), kCustomer + " sendrecv");
  expect_nothing_dangles(*sys, kWait);
}

// The far end fails mid-transfer: 1001 is busy. The consultation is released
// on the agent's DN (1001's desktop never saw it ring) and the customer stays
// held until the desktop retrieves it.
TEST_F(TransferSipp, ConsultedDnBusyLeavesTheCustomerHeldForTheDesktop) {
  ASSERT_FALSE(consulting("agent-answers-takes-hold-and-retrieve-then-hangs-up.xml",
                          "agent-rejects-busy-486.xml",
                          "customer-is-held-and-retrieved.xml", "0").empty());
  auto released = sys->recorder().wait_event("1000", v1::EventReleased, kWait);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->conn_id(), c2);
  ASSERT_EQ(released->reasons().pairs_size(), 1);
  EXPECT_EQ(released->reasons().pairs(0).str(), "OtherDN answered 486");
  auto nothing = request(v1::TCompleteTransfer, "1000", c1);
  EXPECT_EQ(nothing.error_message(), "ConnID " + c1 + " has no consultation call");
  EXPECT_EQ(request(v1::TRetrieveCall, "1000", c1).type(), v1::EventRetrieved);
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventReleased, kWait, 2));
  all_scenarios_end();
  EXPECT_EQ(ladder("1000"),
            (lines{"EventRinging C1", "EventEstablished C1", "EventHeld C1",
                   "EventDialing C2 transfer=C1", "EventReleased C2", "EventRetrieved C1",
                   "EventReleased C1"}));
  EXPECT_EQ(ladder("1001"), lines{});
  expect_nothing_dangles(*sys, kWait);
}

// The customer hangs up during the consultation: C1 is released on the
// agent's DN and the consultation goes on as a call of its own (as on a desk
// phone), which the agent then releases.
TEST_F(TransferSipp, ConsultationOutlivesTheCustomerWhoLeft) {
  ASSERT_FALSE(consulting("agent-is-held-then-consults-then-gets-bye.xml",
                          "consulted-dn-answers-offerless-invite-then-waits-for-bye.xml",
                          "customer-accepts-hold-then-hangs-up.xml", "1500").empty());
  auto released_c1 = sys->recorder().wait(
      [&](const bus_msg& m) {
        v1::TEvent ev;
        return m.subject == subj::tlib_evt("1000") && ev.ParseFromString(m.data) &&
               ev.type() == v1::EventReleased && ev.conn_id() == c1;
      },
      kWait);
  ASSERT_TRUE(released_c1) << "logs in " << sys->dir();
  // C1 is over; C2 is a call between 1000 and 1001.
  EXPECT_EQ(request(v1::TReleaseCall, "1000", c1).error_message(), "ConnID " + c1 + " has ended");
  auto released = request(v1::TReleaseCall, "1000", c2);
  EXPECT_EQ(released.type(), v1::EventReleased) << released.error_message();
  EXPECT_EQ(released.conn_id(), c2);
  ASSERT_TRUE(sys->recorder().wait_event("1001", v1::EventReleased, kWait));
  all_scenarios_end();
  EXPECT_EQ(ladder("1000"),
            (lines{"EventRinging C1", "EventEstablished C1", "EventHeld C1",
                   "EventDialing C2 transfer=C1", "EventEstablished C2", "EventReleased C1",
                   "EventReleased C2"}));
  EXPECT_EQ(ladder("1001"),
            (lines{"EventRinging C2", "EventEstablished C2", "EventReleased C2"}));
  expect_nothing_dangles(*sys, kWait);
}

}  // namespace
}  // namespace sipcc::test
