// Between the bus and the call machine (call_translate.hpp): what an edge's
// leg event is for a call, the T-Library event an emit becomes, and the leg
// command each action sends.
#include "callctl/model/call_translate.hpp"

#include <gtest/gtest.h>

#include "call_fsm_table.hpp"

namespace sipcc {
namespace {

using namespace fsm_table;

const call_settings kSettings{30, target("1009", 15, "recall", "none"), true, "ms", 10000};

call routed(std::vector<call_event> events) {
  call c;
  c.conn_id = kConn;
  for (const auto& e : events)
    call_step(c, e, kSettings);
  return c;
}

call made(std::vector<call_event> events) {
  call c;
  c.conn_id = kConn;
  call_event mk(call_event::make_call);
  mk.dn = "1001";
  mk.uri = "sip:1001@ast";
  mk.target = target("2000", 0, "recall", "none");
  call_step(c, mk, kSettings);
  for (const auto& e : events)
    call_step(c, e, kSettings);
  return c;
}

v1::LegEvent gone(const std::string& leg) {
  v1::LegEvent le;
  le.set_leg_id(leg);
  le.mutable_gone()->set_why("missing from the edge's audit");
  return le;
}

TEST(CallTranslate, ALegGoneIsItsFarEndLeaving) {
  struct gone_case {
    std::string name;
    call c;
    std::string leg;
    call_event::kind expected;
  };
  const auto up = routed({incoming(), route(target("1001", 0, "recall", "none")),
                          answered("CONN-1", "a"), acked()});
  const std::vector<gone_case> cases = {
      {"the caller before our 200", routed({incoming()}), "cust", call_event::cancelled},
      {"the caller once up", up, "cust", call_event::customer_bye},
      {"the agent's phone ringing",
       routed({incoming(), route(target("1001", 0, "recall", "none"))}), "CONN-1",
       call_event::leg_failed},
      {"the agent's phone once up", up, "CONN-1", call_event::leg_bye},
      {"a made call's phone dialled", made({}), "CONN-1", call_event::leg_failed},
      {"a made call's destination ringing", made({answered("CONN-1", "o")}), "CONN-2",
       call_event::leg_failed},
      {"a made call's destination once up",
       made({answered("CONN-1", "o"), answered("CONN-2", "a")}), "CONN-2",
       call_event::customer_bye},
      {"a treatment's media server",
       routed({incoming(), [] {
                 call_event t(call_event::treatment);
                 t.uri = "sip:annc@ms";
                 return t;
               }()}),
       "CONN-1", call_event::media_failed},
  };
  for (const auto& gc : cases) {
    SCOPED_TRACE(gc.name);
    auto in = leg_input_of(gc.c, gone(gc.leg));
    ASSERT_TRUE(in.ev);
    EXPECT_EQ(in.ev->what, gc.expected);
    EXPECT_EQ(in.ev->leg, gc.leg);
    EXPECT_EQ(in.ev->status, 480u);
  }
}

TEST(CallTranslate, OnlyTheMediaServersInfoCarriesDigits) {
  auto c = routed({incoming(), [] {
                     call_event t(call_event::treatment);
                     t.uri = "sip:collect@ms";
                     return t;
                   }()});
  v1::LegEvent le;
  le.set_leg_id("CONN-1");
  le.mutable_info()->set_content_type("application/dtmf-relay");
  le.mutable_info()->set_body("Signal=7\r\nDuration=160\r\n");
  auto digit = leg_input_of(c, le);
  ASSERT_TRUE(digit.ev);
  EXPECT_EQ(digit.ev->what, call_event::media_digit);
  EXPECT_EQ(digit.ev->digit, '7');
  le.mutable_info()->set_body("Signal=x");
  auto bad = leg_input_of(c, le);
  EXPECT_FALSE(bad.ev);
  EXPECT_FALSE(bad.bad_info.empty());
  EXPECT_EQ(bad.bad_info_type, "application/dtmf-relay");
  le.set_leg_id("cust");  // the caller's INFO means nothing here
  le.mutable_info()->set_body("Signal=7");
  auto from_caller = leg_input_of(c, le);
  EXPECT_FALSE(from_caller.ev);
  EXPECT_TRUE(from_caller.bad_info.empty());
}

TEST(CallTranslate, AnEmitBecomesTheEventOfTheCall) {
  auto c = routed({incoming()});
  c.call_id = "call-1";
  c.ani_name = "Ann";
  call_action error{};
  error.what = call_action::emit;
  error.event = v1::EventError;
  error.dn = "1001";
  error.text = "the customer refused the hold offer with 488";
  auto ev = tevent_of(c, error);
  EXPECT_EQ(ev.error_code(), v1::ERR_INVALID_STATE);
  EXPECT_EQ(ev.error_message(), error.text);
  EXPECT_EQ(ev.conn_id(), kConn);
  EXPECT_EQ(ev.call_id(), "call-1");
  EXPECT_EQ(ev.ani(), kAni);
  EXPECT_EQ(ev.ani_name(), "Ann");
  EXPECT_EQ(ev.dnis(), kRp);

  call_action released = error;
  released.event = v1::EventReleased;
  released.conn_id = "C2";
  released.third_party_dn = "1002";
  ev = tevent_of(c, released);
  EXPECT_EQ(ev.conn_id(), "C2");
  EXPECT_EQ(ev.third_party_dn(), "1002");
  ASSERT_EQ(ev.reasons().pairs_size(), 1);
  EXPECT_EQ(ev.reasons().pairs(0).key(), "Reason");

  call_action end = error;
  end.event = v1::EventTreatmentEnd;
  end.text.clear();
  end.collects = true;
  end.digits = "42";
  ev = tevent_of(c, end);
  EXPECT_EQ(ev.collected_digits(), "42");
  ASSERT_EQ(ev.extensions().pairs_size(), 1);
  EXPECT_EQ(ev.extensions().pairs(0).str(), "2");
}

TEST(CallTranslate, LegCommandsGoToTheirParty) {
  auto c = routed({incoming()});
  call_action a{};
  a.what = call_action::respond_inbound;
  a.status = 180;
  auto out = leg_command_of(c, a);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->leg, "cust");
  EXPECT_EQ(out->cmd.respond().status(), 180u);
  a.what = call_action::bye_customer;
  out = leg_command_of(c, a);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->leg, "cust");
  EXPECT_TRUE(out->cmd.has_bye());
  a.what = call_action::reinvite_leg;
  a.leg = "CONN-1";
  a.sdp = "o=x";
  a.update = true;
  out = leg_command_of(c, a);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->leg, "CONN-1");
  EXPECT_TRUE(out->cmd.reinvite().update());
  a.what = call_action::invite_leg;  // the actor's: it needs the configuration
  EXPECT_FALSE(leg_command_of(c, a));
}

}  // namespace
}  // namespace sipcc
