// The one call model against the real Asterisk: a desktop-made call
// (TMakeCall from 2001 to 1000) transferred single-step and by
// consultation, conferenced and recorded like a routed one; and a
// consultation that outlives the customer who left it.
#include "interop.hpp"

namespace sipcc::test {
namespace {

class InteropMadeCall : public Interop {
protected:
  // Agent2001 dials 1000 from the desktop; both phones answer and hear each
  // other (`customer` is 1000's). The ConnID ("" and a failure otherwise).
  std::string made_call_established() {
    agent = phone("2001", kTone2001);
    customer = phone("1000", kTone1000);
    if (!rec().wait_event("2001", v1::EventDNBackInService, kAst))
      return "";
    auto dialing = request(v1::TMakeCall, "2001", "", "1000");
    EXPECT_EQ(dialing.type(), v1::EventDialing) << dialing.error_message();
    if (!agent->wait_incoming(kAst))
      return "";
    agent->answer();
    if (!customer->wait_incoming(kAst))
      return "";
    customer->answer();
    EXPECT_TRUE(rec().wait_event("2001", v1::EventEstablished, kAst));
    EXPECT_TRUE(agent->wait_hears(kTone1000, kAst));
    EXPECT_TRUE(customer->wait_hears(kTone2001, kAst));
    return dialing.conn_id();
  }

  // TInitiateTransfer (or TInitiateConference) from 2001 to 1002, whose
  // phone answers and talks to 2001: the consultation's ConnID.
  std::string consult_1002(v1::RequestType type, const std::string& conn, rtp_phone& consulted) {
    auto dialing = request(type, "2001", conn, "1002");
    EXPECT_EQ(dialing.type(), v1::EventDialing) << dialing.error_message();
    if (!consulted.wait_incoming(kAst))
      return "";
    consulted.answer();
    EXPECT_TRUE(consulted.wait_hears(kTone2001, kAst));
    EXPECT_TRUE(agent->wait_hears(kTone1002, kAst));
    return dialing.conn_id();
  }
};

TEST_F(InteropMadeCall, SingleStepTransferToAnotherExtension) {
  const auto conn = made_call_established();
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
  EXPECT_TRUE(ast->wait_no_calls(kAst));
}

TEST_F(InteropMadeCall, ConsultationTransfer) {
  const auto conn = made_call_established();
  ASSERT_FALSE(conn.empty());
  auto consulted = phone("1002", kTone1002);
  const auto c2 = consult_1002(v1::TInitiateTransfer, conn, *consulted);
  ASSERT_FALSE(c2.empty());
  EXPECT_TRUE(customer->wait_hears_other_than(kTone2001, kAst)) << "music while consulting";
  auto done = request(v1::TCompleteTransfer, "2001", conn, "", c2);
  ASSERT_EQ(done.type(), v1::EventReleased) << done.error_message();
  EXPECT_TRUE(agent->wait_ended(kAst));
  EXPECT_TRUE(consulted->wait_hears(kTone1000, kAst));
  EXPECT_TRUE(customer->wait_hears(kTone1002, kAst));
  consulted->hangup();
  EXPECT_TRUE(customer->wait_ended(kAst));
  EXPECT_TRUE(ast->wait_no_calls(kAst));
}

TEST_F(InteropMadeCall, ThreePartyConference) {
  const auto conn = made_call_established();
  ASSERT_FALSE(conn.empty());
  auto third = phone("1002", kTone1002);
  const auto c2 = consult_1002(v1::TInitiateConference, conn, *third);
  ASSERT_FALSE(c2.empty());
  auto done = request(v1::TCompleteConference, "2001", conn, "", c2);
  ASSERT_EQ(done.type(), v1::EventPartyAdded) << done.error_message();
  for (auto [p, a, b] : {std::tuple{customer.get(), kTone2001, kTone1002},
                         std::tuple{agent.get(), kTone1000, kTone1002},
                         std::tuple{third.get(), kTone1000, kTone2001}}) {
    EXPECT_TRUE(p->wait_hears(a, kAst));
    EXPECT_TRUE(p->wait_hears(b, kAst));
  }
  customer->hangup();
  EXPECT_TRUE(agent->wait_ended(kAst));
  EXPECT_TRUE(third->wait_ended(kAst));
  EXPECT_TRUE(ast->wait_no_calls(kAst));
}

// The recording (<ConnID>-1.wav in the spool's monitor/ folder) holds both
// phones' tones.
TEST_F(InteropMadeCall, RecordedFromTheDesktop) {
  const auto conn = made_call_established();
  ASSERT_FALSE(conn.empty());
  ASSERT_EQ(request(v1::TStartRecording, "2001", conn).type(), v1::EventAttachedDataChanged);
  EXPECT_TRUE(agent->wait_hears(kTone1000, kAst));
  EXPECT_TRUE(customer->wait_hears(kTone2001, kAst));
  ASSERT_EQ(request(v1::TStopRecording, "2001", conn).type(), v1::EventAttachedDataChanged);
  EXPECT_TRUE(agent->wait_hears(kTone1000, kAst));
  EXPECT_TRUE(customer->wait_hears(kTone2001, kAst));
  customer->hangup();
  EXPECT_TRUE(agent->wait_ended(kAst));
  const auto wav = ast->spool() + "/monitor/" + conn + "-1.wav";
  EXPECT_TRUE(wait_until([&] { return wav_has_tone(wav, kTone1000); }, kAst)) << wav;
  EXPECT_TRUE(wav_has_tone(wav, kTone2001)) << wav;
  EXPECT_TRUE(ast->wait_no_calls(kAst));
}

// The customer of a routed call hangs up while its agent consults 1002:
// the consultation goes on, as on a desk phone, until the agent releases it.
TEST_F(InteropMadeCall, ConsultationOutlivesTheCustomerWhoLeft) {
  const auto conn = routed_call_established();
  ASSERT_FALSE(conn.empty());
  auto consulted = phone("1002", kTone1002);
  const auto c2 = consult_1002(v1::TInitiateTransfer, conn, *consulted);
  ASSERT_FALSE(c2.empty());
  customer->hangup();
  ASSERT_TRUE(rec().wait_event("2001", v1::EventReleased, kAst));
  EXPECT_TRUE(consulted->wait_hears(kTone2001, kAst));
  EXPECT_TRUE(agent->wait_hears(kTone1002, kAst));
  ASSERT_EQ(request(v1::TReleaseCall, "2001", c2).type(), v1::EventReleased);
  EXPECT_TRUE(agent->wait_ended(kAst));
  EXPECT_TRUE(consulted->wait_ended(kAst));
  EXPECT_TRUE(ast->wait_no_calls(kAst));
}

}  // namespace
}  // namespace sipcc::test
