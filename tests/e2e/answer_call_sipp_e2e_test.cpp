// TAnswerCall end to end: SIPp plays the phones, registered on sipcc (remote
// answer reaches only those), and Asterisk's trunk with the customer calling
// Routing Point 8000; sip-edge and callctl run for real on a real
// nats-server, and the test plays the router and the desktop.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "call_gauges.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipp.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;
using ev_list = std::vector<v1::EventType>;

constexpr auto kWait = 10s;

class AnswerCallSipp : public ::testing::Test {
protected:
  void SetUp() override {
    if (!sipp_installed())
      GTEST_SKIP() << "sipp (package sip-tester) is not on PATH";
    system_options opts;
    auto phone = [](const std::string& dn, const std::string& remote_answer) {
      return dn_spec{dn, "ACDPosition", "",
                     remote_answer.empty() ? "" : "remote-answer: " + remote_answer,
                     "password: secret"};
    };
    opts.dns = {phone("2000", "talk"), phone("2001", "answer-after"), phone("2002", ""),
                {"8000", "RoutingPoint", "", "router-timeout: 60"}};
    opts.services = {{"sip-edge", "edge1"}, {"callctl", "callctl-0"}};
    sys = std::make_unique<sipcc_system>(opts);
    sys->start_services();
  }

  // DN `dn`'s phone registers, its Contact where `answering` plays it; the
  // call's route goes there.
  void phone_of(const std::string& dn, const std::string& answering) {
    uint16_t port = free_port(SOCK_DGRAM);
    phone = std::make_unique<sipp_run>(answering, port, sys->dir(), std::vector<std::string>{},
                                       "phone" + dn);
    sipp_run reg("phone-registers-after-digest-challenge.xml", free_port(SOCK_DGRAM), sys->dir(),
                 {"-s", dn, "-au", dn, "-ap", "secret", "-key", "expires", "600", "-key",
                  "contact_port", std::to_string(port),
                  "127.0.0.1:" + std::to_string(sys->edge_port())},
                 "register" + dn);
    ASSERT_EQ(reg.wait_exit(kWait), 0) << reg.log();
    // callctl reads the binding off the bus before the route that follows.
    ASSERT_TRUE(sys->recorder().wait(
        [&](const bus_msg& m) { return m.subject == subj::reg(dn); }, kWait));
  }

  // A customer calls 8000 with `scenario` (-d `pause_ms`) and is routed to `dn`
  // ringing; the ConnID.
  std::string rings_at(const std::string& dn, const std::string& scenario,
                       const std::string& pause_ms) {
    auto conn = customer_calls(*sys, customer, scenario, pause_ms, "8000", kWait);
    EXPECT_EQ(sys->route_call("8000", conn, dn).type(), v1::EventRouteUsed);
    EXPECT_TRUE(sys->recorder().wait_event(dn, v1::EventRinging, kWait));
    return conn;
  }

  v1::TEvent answer(const std::string& dn, const std::string& conn) {
    v1::TRequest r;
    r.set_type(v1::TAnswerCall);
    r.set_this_dn(dn);
    r.set_conn_id(conn);
    r.set_reference_id("answer-" + dn);
    return sys->call_request(r);
  }

  // TAnswerCall from `dn`, whose reply is the EventEstablished of its phone's answer.
  void answered_from_the_desktop(const std::string& dn, const std::string& conn) {
    auto reply = answer(dn, conn);
    EXPECT_EQ(reply.type(), v1::EventEstablished) << reply.error_message();
    EXPECT_EQ(reply.reference_id(), "answer-" + dn);
    EXPECT_EQ(reply.this_dn(), dn);
    EXPECT_EQ(reply.conn_id(), conn);
  }

  // The call ends with `last` on DN `dn` (the customer hangs up or gives
  // up): both SIPp runs end well, `events` is all the DN saw, and nothing
  // is left behind.
  void ends_with(const std::string& dn, v1::EventType last, const ev_list& events) {
    ASSERT_TRUE(sys->recorder().wait_event(dn, last, kWait));
    EXPECT_EQ(phone->wait_exit(kWait), 0) << phone->log();
    EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
    EXPECT_EQ(sys->recorder().events(dn), events);
    expect_nothing_dangles(*sys, kWait);
  }

  // What the phone received, start lines only.
  std::vector<std::string> phone_got() const {
    std::vector<std::string> out;
    for (auto& m : phone->trace())
      if (!m.sent)
        out.push_back(m.message.start_line);
    return out;
  }

  // The first request `method` the phone received.
  sip_message received(const std::string& method) const {
    for (auto& m : phone->trace())
      if (!m.sent && m.message.start_line.rfind(method + " ", 0) == 0)
        return m.message;
    ADD_FAILURE() << "the phone got no " << method;
    return {};
  }

  std::unique_ptr<sipcc_system> sys;
  std::unique_ptr<sipp_run> phone, customer;
};

// A phone with the talk package rings; TAnswerCall sends it NOTIFY Event:
// talk in the INVITE's early dialog and replies EventEstablished once the
// phone, taking the NOTIFY, has answered.
TEST_F(AnswerCallSipp, TalkNotifyMakesThePhoneAnswer) {
  ASSERT_NO_FATAL_FAILURE(phone_of("2000", "phone-rings-then-answers-the-talk-notify.xml"));
  auto conn = rings_at("2000", "sn:uac", "2000");
  answered_from_the_desktop("2000", conn);
  // Answered: a second TAnswerCall finds nothing ringing.
  auto again = answer("2000", conn);
  EXPECT_EQ(again.error_code(), v1::ERR_INVALID_STATE);
  EXPECT_EQ(again.error_message(), "DN 2000 is not ringing on ConnID " + conn);
  ends_with("2000", v1::EventReleased,
            {v1::EventRinging, v1::EventEstablished, v1::EventReleased});

  auto invite = received("INVITE"), notify = received("NOTIFY");
  // In the early dialog: to the 180's Contact, with its To tag, the INVITE's
  // Call-ID and From, the next CSeq.
  EXPECT_EQ(notify.start_line,
            "NOTIFY sip:127.0.0.1:" + std::to_string(phone->port()) + ";transport=UDP SIP/2.0");
  EXPECT_EQ(notify.header("Event"), "talk");
  EXPECT_EQ(notify.header("Subscription-State"), "active");
  EXPECT_EQ(notify.body, "");
  EXPECT_EQ(notify.header("Call-ID"), invite.header("Call-ID"));
  EXPECT_EQ(notify.header("From"), invite.header("From"));
  EXPECT_NE(notify.header("To").find(";tag="), std::string::npos) << notify.header("To");
  EXPECT_EQ(notify.header("CSeq"),
            std::to_string(std::stoul(invite.header("CSeq")) + 1) + " NOTIFY");
  EXPECT_EQ(phone_got(),
            (std::vector<std::string>{invite.start_line, notify.start_line,
                                      "ACK sip:127.0.0.1:" + std::to_string(phone->port()) +
                                          ";transport=UDP SIP/2.0",
                                      "BYE sip:127.0.0.1:" + std::to_string(phone->port()) +
                                          ";transport=UDP SIP/2.0"}));
}

// A phone set to answer by itself: its INVITE asks it to (Call-Info
// answer-after=0), TAnswerCall sends nothing and replies EventEstablished
// once the phone has answered.
TEST_F(AnswerCallSipp, AnswerAfterPhoneAnswersByItself) {
  ASSERT_NO_FATAL_FAILURE(phone_of("2001", "phone-rings-a-second-then-answers-by-itself.xml"));
  auto conn = rings_at("2001", "sn:uac", "300");
  answered_from_the_desktop("2001", conn);
  ends_with("2001", v1::EventReleased,
            {v1::EventRinging, v1::EventEstablished, v1::EventReleased});
  EXPECT_EQ(received("INVITE").header("Call-Info"), "<sip:127.0.0.1>;answer-after=0");
  auto got = phone_got();
  ASSERT_EQ(got.size(), 3u);  // INVITE, ACK, BYE: no NOTIFY
  EXPECT_EQ(got[1].rfind("ACK ", 0), 0u);
}

// A phone without remote answer: TAnswerCall gets ERR_UNSUPPORTED and sends
// nothing; requests from a DN the call does not ring at get
// ERR_INVALID_STATE. The call rings on until the customer gives up.
TEST_F(AnswerCallSipp, PhoneWithoutRemoteAnswerIsRefusedWithoutSip) {
  ASSERT_NO_FATAL_FAILURE(phone_of("2002", "agent-rings-until-cancelled.xml"));
  auto conn = rings_at("2002", "customer-cancels-after-ringing.xml", "1500");
  auto refused = answer("2002", conn);
  EXPECT_EQ(refused.type(), v1::EventError);
  EXPECT_EQ(refused.error_code(), v1::ERR_UNSUPPORTED);
  EXPECT_EQ(refused.error_message(),
            "the phone of DN 2002 cannot be answered from the desktop (no remote-answer)");
  auto elsewhere = answer("2000", conn);
  EXPECT_EQ(elsewhere.error_code(), v1::ERR_INVALID_STATE);
  EXPECT_EQ(elsewhere.error_message(), "DN 2000 is not ringing on ConnID " + conn);
  EXPECT_EQ(answer("2002", "no-such-call").error_code(), v1::ERR_INVALID_STATE);
  ends_with("2002", v1::EventAbandoned, {v1::EventRinging, v1::EventAbandoned});
  auto got = phone_got();
  ASSERT_EQ(got.size(), 3u);  // INVITE, CANCEL, ACK of the 487: no NOTIFY
  EXPECT_EQ(got[1].rfind("CANCEL ", 0), 0u);
}

// A phone configured for talk refuses the NOTIFY (489 Bad Event): the reply
// is EventError (also on the DN) and the call rings on, unharmed.
TEST_F(AnswerCallSipp, PhoneRefusingTheTalkNotifyGivesEventError) {
  ASSERT_NO_FATAL_FAILURE(
      phone_of("2000", "phone-refuses-the-talk-notify-489-and-rings-until-cancelled.xml"));
  auto conn = rings_at("2000", "customer-cancels-after-ringing.xml", "1500");
  auto refused = answer("2000", conn);
  EXPECT_EQ(refused.type(), v1::EventError);
  EXPECT_EQ(refused.error_code(), v1::ERR_INVALID_STATE);
  EXPECT_EQ(refused.error_message(), "the phone of DN 2000 refused the talk NOTIFY with 489");
  EXPECT_EQ(refused.reference_id(), "answer-2000");
  ends_with("2000", v1::EventAbandoned,
            {v1::EventRinging, v1::EventError, v1::EventAbandoned});
  EXPECT_EQ(received("NOTIFY").header("Event"), "talk");
}

}  // namespace
}  // namespace sipcc::test
