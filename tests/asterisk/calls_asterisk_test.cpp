// Routed calls against the real Asterisk: a customer's phone dials the
// service number 8000, Asterisk sends the call to sipcc's Routing Point, the
// default router picks the Ready agent of group Sales, and sipcc's agent leg
// goes back through Asterisk to the agent's phone. "Connected" means each
// phone hears the other's tone.
#include "call_gauges.hpp"
#include "interop.hpp"

#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/call.pb.h"

namespace sipcc::test {
namespace {

using InteropCalls = Interop;

TEST_F(InteropCalls, RoutedCallAgentHangsUp) {
  const auto conn = routed_call_established();
  ASSERT_FALSE(conn.empty());
  agent->hangup();
  EXPECT_TRUE(customer->wait_ended(kAst));
  auto rel = rec().wait_event("2001", v1::EventReleased, kAst);
  ASSERT_TRUE(rel);
  EXPECT_EQ(rel->conn_id(), conn);
  EXPECT_TRUE(ast->wait_no_calls(kAst));
}

TEST_F(InteropCalls, RoutedCallCustomerHangsUp) {
  const auto conn = routed_call_established();
  ASSERT_FALSE(conn.empty());
  customer->hangup();
  EXPECT_TRUE(agent->wait_ended(kAst));
  EXPECT_TRUE(rec().wait_event("2001", v1::EventReleased, kAst));
  EXPECT_TRUE(ast->wait_no_calls(kAst));
}

// Defect: when the agent held the call, the agent's own phone heard music.
// Now the customer hears music and the agent hears nothing; after
// TRetrieveCall they hear each other again.
TEST_F(InteropCalls, HoldPlaysMusicToTheCustomerOnly) {
  const auto conn = routed_call_established();
  ASSERT_FALSE(conn.empty());
  ASSERT_EQ(sys->on_call(v1::THoldCall, "2001", conn).type(), v1::EventHeld);
  EXPECT_TRUE(customer->wait_hears_other_than(kTone2001, kAst)) << "music on hold";
  EXPECT_TRUE(agent->hears_silence_for(3s)) << "the holding agent hears nothing";
  ASSERT_EQ(sys->on_call(v1::TRetrieveCall, "2001", conn).type(), v1::EventRetrieved);
  EXPECT_TRUE(customer->wait_hears(kTone2001, kAst));
  EXPECT_TRUE(agent->wait_hears(kTone1000, kAst));
  customer->hangup();
  EXPECT_TRUE(agent->wait_ended(kAst));
}

// Nobody Ready: the caller hears the Routing Point's treatment (music) while
// it waits, then goes to the agent who becomes Ready.
TEST_F(InteropCalls, MusicWhileQueuedThenRouted) {
  customer = phone("1000", kTone1000);
  agent = phone("2001", kTone2001);
  ASSERT_TRUE(rec().wait_event("2001", v1::EventDNBackInService, kAst));
  ASSERT_EQ(sys->request("2001", v1::TAgentLogin, "agent2001").type(), v1::EventAgentLogin);
  customer->call("sip:8000@" + ast->address());
  ASSERT_TRUE(rec().wait_event("8000", v1::EventTreatmentApplied, kAst));
  EXPECT_TRUE(customer->wait_hears_other_than(0, kAst)) << "music while queued";
  ASSERT_EQ(sys->request("2001", v1::TAgentSetReady).type(), v1::EventAgentReady);
  ASSERT_TRUE(agent->wait_incoming(kAst));
  agent->answer();
  EXPECT_TRUE(rec().wait_event("2001", v1::EventEstablished, kAst));
  EXPECT_TRUE(agent->wait_hears(kTone1000, kAst));
  EXPECT_TRUE(customer->wait_hears(kTone2001, kAst));
  agent->hangup();
  EXPECT_TRUE(customer->wait_ended(kAst));
}

// callctl killed (kill -9) during an established call and started again: it
// takes the call back from the snapshot its legs keep at the edge. Against
// the real Asterisk the phones go on hearing each other, the restored call is
// held (the customer hears music) and retrieved (each hears the other again),
// and the customer's hang-up ends it with EventReleased.
TEST_F(InteropCalls, EstablishedCallSurvivesAKilledCallctl) {
  const auto conn = routed_call_established();
  ASSERT_FALSE(conn.empty());
  ASSERT_TRUE(wait_until([&] { return snapshots_kept(rec()) == 2; }, kAst))
      << "both legs keep the call";

  sys->crash_service("callctl");
  sys->restart_service("callctl");
  EXPECT_TRUE(wait_until(
      [&] { return sys->counter("callctl-0", "calls_restored", "restored") == 1; }, kAst));
  both_hear_each_other();

  ASSERT_EQ(sys->on_call(v1::THoldCall, "2001", conn).type(), v1::EventHeld);
  EXPECT_TRUE(customer->wait_hears_other_than(kTone2001, kAst)) << "music on hold";
  ASSERT_EQ(sys->on_call(v1::TRetrieveCall, "2001", conn).type(), v1::EventRetrieved);
  both_hear_each_other();

  customer->hangup();
  EXPECT_TRUE(agent->wait_ended(kAst));
  auto rel = rec().wait_event("2001", v1::EventReleased, kAst);
  ASSERT_TRUE(rel);
  EXPECT_EQ(rel->conn_id(), conn);
  EXPECT_TRUE(ast->wait_no_calls(kAst));
}

}  // namespace
}  // namespace sipcc::test
