// Desktop call control (3pcc) against the real Asterisk: TMakeCall (RFC 3725
// flow I), hold and retrieve, TReleaseCall, single-step and consultation
// transfers, TSendDTMF, and a three-party conference on the media server.
#include "interop.hpp"

namespace sipcc::test {
namespace {

using InteropDesktop = Interop;

// Agent2001 dials 1000 from the desktop: its phone rings first (an INVITE
// without an offer), then 1000's; once both answered they hear each other.
TEST_F(InteropDesktop, MakeCallHoldRetrieveAndRelease) {
  agent = phone("2001", kTone2001);
  auto callee = phone("1000", kTone1000);
  ASSERT_TRUE(rec().wait_event("2001", v1::EventDNBackInService, kAst));
  auto dialing = request(v1::TMakeCall, "2001", "", "1000");
  ASSERT_EQ(dialing.type(), v1::EventDialing) << dialing.error_message();
  const auto conn = dialing.conn_id();
  ASSERT_TRUE(agent->wait_incoming(kAst));
  agent->answer();
  ASSERT_TRUE(callee->wait_incoming(kAst));
  callee->answer();
  ASSERT_TRUE(rec().wait_event("2001", v1::EventEstablished, kAst));
  EXPECT_TRUE(agent->wait_hears(kTone1000, kAst));
  EXPECT_TRUE(callee->wait_hears(kTone2001, kAst));

  // The destination hears music, the agent who holds nothing (extensions.conf
  // [agent-leg]; no RTP at all counts as nothing too).
  ASSERT_EQ(request(v1::THoldCall, "2001", conn).type(), v1::EventHeld);
  EXPECT_TRUE(callee->wait_hears_other_than(kTone2001, kAst)) << "music on hold";
  EXPECT_TRUE(agent->hears_silence_for(2s));
  ASSERT_EQ(request(v1::TRetrieveCall, "2001", conn).type(), v1::EventRetrieved);
  EXPECT_TRUE(agent->wait_hears(kTone1000, kAst));
  EXPECT_TRUE(callee->wait_hears(kTone2001, kAst));

  ASSERT_EQ(request(v1::TReleaseCall, "2001", conn).type(), v1::EventReleased);
  EXPECT_TRUE(agent->wait_ended(kAst));
  EXPECT_TRUE(callee->wait_ended(kAst));
  EXPECT_TRUE(ast->wait_no_calls(kAst));
}

// TSendDTMF: the digits reach the customer's phone (Asterisk turns sipcc's
// INFOs into the phone's RFC 4733 events).
TEST_F(InteropDesktop, SendDtmfReachesTheCustomer) {
  const auto conn = routed_call_established();
  ASSERT_FALSE(conn.empty());
  ASSERT_EQ(sys->on_call(v1::TSendDTMF, "2001", conn, {}, "12#").type(), v1::EventDTMFSent);
  EXPECT_TRUE(customer->wait_rfc4733_digits("12#", kAst));
  customer->hangup();
  EXPECT_TRUE(agent->wait_ended(kAst));
}

TEST_F(InteropDesktop, SingleStepTransferToAnotherExtension) {
  const auto conn = routed_call_established();
  ASSERT_FALSE(conn.empty());
  auto target = phone("1002", kTone1002);
  ASSERT_EQ(request(v1::TSingleStepTransfer, "2001", conn, "1002").type(), v1::EventReleased);
  EXPECT_TRUE(agent->wait_ended(kAst));
  ASSERT_TRUE(target->wait_incoming(kAst));
  target->answer();
  EXPECT_TRUE(target->wait_hears(kTone1000, kAst));
  EXPECT_TRUE(customer->wait_hears(kTone1002, kAst));
  customer->hangup();
  EXPECT_TRUE(target->wait_ended(kAst));
}

TEST_F(InteropDesktop, ConsultationTransfer) {
  const auto conn = routed_call_established();
  ASSERT_FALSE(conn.empty());
  auto consulted = phone("1002", kTone1002);
  auto dialing = request(v1::TInitiateTransfer, "2001", conn, "1002");
  ASSERT_EQ(dialing.type(), v1::EventDialing) << dialing.error_message();
  const auto c2 = dialing.conn_id();
  ASSERT_TRUE(consulted->wait_incoming(kAst));
  consulted->answer();
  EXPECT_TRUE(consulted->wait_hears(kTone2001, kAst));
  EXPECT_TRUE(agent->wait_hears(kTone1002, kAst));
  EXPECT_TRUE(customer->wait_hears_other_than(kTone2001, kAst)) << "music while consulting";
  auto done = request(v1::TCompleteTransfer, "2001", conn, "", c2);
  ASSERT_EQ(done.type(), v1::EventReleased) << done.error_message();
  EXPECT_TRUE(agent->wait_ended(kAst));
  EXPECT_TRUE(consulted->wait_hears(kTone1000, kAst));
  EXPECT_TRUE(customer->wait_hears(kTone1002, kAst));
  consulted->hangup();
  EXPECT_TRUE(customer->wait_ended(kAst));
}

// Defect: ConfBridge was never reached (the dialplan's _conf=. did not match).
// Three parties in the media server's conference, each hearing the other two.
TEST_F(InteropDesktop, ThreePartyConference) {
  const auto conn = routed_call_established();
  ASSERT_FALSE(conn.empty());
  auto third = phone("1002", kTone1002);
  auto dialing = request(v1::TInitiateConference, "2001", conn, "1002");
  ASSERT_EQ(dialing.type(), v1::EventDialing) << dialing.error_message();
  ASSERT_TRUE(third->wait_incoming(kAst));
  third->answer();
  EXPECT_TRUE(third->wait_hears(kTone2001, kAst));
  auto done = request(v1::TCompleteConference, "2001", conn, "", dialing.conn_id());
  ASSERT_EQ(done.type(), v1::EventPartyAdded) << done.error_message();
  EXPECT_EQ(done.third_party_dn(), "1002");
  for (auto [p, a, b] : {std::tuple{customer.get(), kTone2001, kTone1002},
                         std::tuple{agent.get(), kTone1000, kTone1002},
                         std::tuple{third.get(), kTone1000, kTone2001}}) {
    EXPECT_TRUE(p->wait_hears(a, kAst));
    EXPECT_TRUE(p->wait_hears(b, kAst));
  }
  customer->hangup();
  agent->hangup();
  third->hangup();
  EXPECT_TRUE(ast->wait_no_calls(kAst));
}

}  // namespace
}  // namespace sipcc::test
