// Desktop call control (3pcc) against the real Asterisk: TMakeCall (RFC 3725
// flow I), hold and retrieve, TReleaseCall, TSendDTMF; and on every kind of
// call (routed to an agent, or made from the desktop) single-step and
// consultation transfers, a consultation that outlives its original call, a
// three-party conference and recording on the media server.
#include "interop.hpp"

namespace sipcc::test {
namespace {

using InteropDesktop = Interop;

TEST_F(InteropDesktop, MakeCallHoldRetrieveAndRelease) {
  const auto conn = made_call_established();
  ASSERT_FALSE(conn.empty());
  // The destination hears music, the agent who holds nothing (extensions.conf
  // [agent-leg]; no RTP at all counts as nothing too).
  ASSERT_EQ(request(v1::THoldCall, "2001", conn).type(), v1::EventHeld);
  EXPECT_TRUE(customer->wait_hears_other_than(kTone2001, kAst)) << "music on hold";
  EXPECT_TRUE(agent->hears_silence_for(2s));
  ASSERT_EQ(request(v1::TRetrieveCall, "2001", conn).type(), v1::EventRetrieved);
  both_hear_each_other();

  ASSERT_EQ(request(v1::TReleaseCall, "2001", conn).type(), v1::EventReleased);
  EXPECT_TRUE(agent->wait_ended(kAst));
  EXPECT_TRUE(customer->wait_ended(kAst));
  EXPECT_TRUE(ast->wait_no_calls(kAst));
}

// The same requests on a call routed to agent2001 (customer 1000 called the
// service number) and on one agent2001 made to 1000 from the desktop: in both
// `customer` is 1000's phone and `agent` 2001's.
enum class call_kind { routed, made };
const char* name_of(call_kind k) { return k == call_kind::routed ? "Routed" : "Made"; }
void PrintTo(call_kind k, std::ostream* os) { *os << name_of(k); }

class InteropEveryCall : public Interop, public ::testing::WithParamInterface<call_kind> {
protected:
  std::string established() {
    return GetParam() == call_kind::routed ? routed_call_established() : made_call_established();
  }

  // TInitiateTransfer (or TInitiateConference) from 2001 to `consulted`'s
  // 1002, answered: 2001 and 1002 hear each other, 1000 hears music. The
  // consultation ConnID ("" and a test failure when any of it fails).
  std::string consulting(const std::string& conn, rtp_phone& consulted,
                         v1::RequestType type = v1::TInitiateTransfer) {
    auto dialing = request(type, "2001", conn, "1002");
    EXPECT_EQ(dialing.type(), v1::EventDialing) << dialing.error_message();
    EXPECT_TRUE(consulted.wait_incoming(kAst));
    consulted.answer();
    EXPECT_TRUE(consulted.wait_hears(kTone2001, kAst));
    EXPECT_TRUE(agent->wait_hears(kTone1002, kAst));
    return ::testing::Test::HasFailure() ? "" : dialing.conn_id();
  }
};

// TSendDTMF: the digits reach 1000's phone (Asterisk turns sipcc's
// INFOs into the phone's RFC 4733 events).
TEST_P(InteropEveryCall, SendDtmfReachesTheOtherParty) {
  const auto conn = established();
  ASSERT_FALSE(conn.empty());
  ASSERT_EQ(sys->on_call(v1::TSendDTMF, "2001", conn, {}, "12#").type(), v1::EventDTMFSent);
  EXPECT_TRUE(customer->wait_rfc4733_digits("12#", kAst));
  customer->hangup();
  EXPECT_TRUE(agent->wait_ended(kAst));
}

TEST_P(InteropEveryCall, SingleStepTransferToAnotherExtension) {
  const auto conn = established();
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

TEST_P(InteropEveryCall, ConsultationTransfer) {
  const auto conn = established();
  ASSERT_FALSE(conn.empty());
  auto consulted = phone("1002", kTone1002);
  const auto c2 = consulting(conn, *consulted);
  ASSERT_FALSE(c2.empty());
  EXPECT_TRUE(customer->wait_hears_other_than(kTone2001, kAst)) << "music while consulting";
  auto done = request(v1::TCompleteTransfer, "2001", conn, "", c2);
  ASSERT_EQ(done.type(), v1::EventReleased) << done.error_message();
  EXPECT_TRUE(agent->wait_ended(kAst));
  EXPECT_TRUE(consulted->wait_hears(kTone1000, kAst));
  EXPECT_TRUE(customer->wait_hears(kTone1002, kAst));
  consulted->hangup();
  EXPECT_TRUE(customer->wait_ended(kAst));
}

// 1000 hangs up while 2001 consults 1002: the consultation goes on as a call
// of its own, as on a desk phone, until 2001 releases it.
TEST_P(InteropEveryCall, ConsultationOutlivesItsOriginalCall) {
  const auto conn = established();
  ASSERT_FALSE(conn.empty());
  auto consulted = phone("1002", kTone1002);
  const auto c2 = consulting(conn, *consulted);
  ASSERT_FALSE(c2.empty());
  customer->hangup();
  auto released = rec().wait_event("2001", v1::EventReleased, kAst);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->conn_id(), conn);
  EXPECT_TRUE(agent->wait_hears(kTone1002, kAst));
  EXPECT_TRUE(consulted->wait_hears(kTone2001, kAst));
  auto done = request(v1::TReleaseCall, "2001", c2);
  ASSERT_EQ(done.type(), v1::EventReleased) << done.error_message();
  EXPECT_EQ(done.conn_id(), c2);
  EXPECT_TRUE(consulted->wait_ended(kAst));
  EXPECT_TRUE(agent->wait_ended(kAst));
  EXPECT_TRUE(ast->wait_no_calls(kAst));
}

// Defect: ConfBridge was never reached (the dialplan's _conf=. did not match).
// Three parties in the media server's conference, each hearing the other two.
TEST_P(InteropEveryCall, ThreePartyConference) {
  const auto conn = established();
  ASSERT_FALSE(conn.empty());
  auto third = phone("1002", kTone1002);
  const auto c2 = consulting(conn, *third, v1::TInitiateConference);
  ASSERT_FALSE(c2.empty());
  auto done = request(v1::TCompleteConference, "2001", conn, "", c2);
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

TEST_P(InteropEveryCall, StartAndStopRecording) {
  const auto conn = established();
  ASSERT_FALSE(conn.empty());
  ASSERT_EQ(request(v1::TStartRecording, "2001", conn).type(), v1::EventAttachedDataChanged);
  EXPECT_EQ(recording_state(1), "on");
  both_hear_each_other();
  ASSERT_EQ(request(v1::TStopRecording, "2001", conn).type(), v1::EventAttachedDataChanged);
  EXPECT_EQ(recording_state(2), "off");
  both_hear_each_other();
  customer->hangup();
  EXPECT_TRUE(agent->wait_ended(kAst));
  EXPECT_TRUE(ast->wait_no_calls(kAst));
  expect_recording(conn, 1);
}

INSTANTIATE_TEST_SUITE_P(Kinds, InteropEveryCall,
                         ::testing::Values(call_kind::routed, call_kind::made),
                         [](const auto& info) { return name_of(info.param); });

}  // namespace
}  // namespace sipcc::test
