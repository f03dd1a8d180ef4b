// TMakeCall against the simulated Asterisk, as README's by-hand session runs
// it: both phones on Asterisk, each answered by the fake, the agent hangs up.
#include <gtest/gtest.h>

#include "call_gauges.hpp"
#include "sipcc_fixture.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;
using ev_list = std::vector<v1::EventType>;

constexpr auto kWait = 10s;

TEST(MakeCallE2E, TheAgentHangsUpAndBothDnsAreReleased) {
  system_options opts;
  opts.services = {{"sip-edge", "edge1"}, {"callctl", "callctl-0"}};
  sipcc_system sys(opts);
  sys.asterisk().set_call_policy("1000", call_policy::auto_answer());
  sys.asterisk().set_call_policy("1001", call_policy::auto_answer());
  sys.start_services();

  v1::TRequest r;
  r.set_type(v1::TMakeCall);
  r.set_this_dn("1000");
  r.set_other_dn("1001");
  auto dialing = sys.call_request(r);
  ASSERT_EQ(dialing.type(), v1::EventDialing) << dialing.error_message();
  auto& rec = sys.recorder();
  ASSERT_TRUE(rec.wait_event("1001", v1::EventEstablished, kWait)) << "logs in " << sys.dir();
  sys.asterisk().hangup("1000");
  ASSERT_TRUE(rec.wait_event("1000", v1::EventReleased, kWait));
  ASSERT_TRUE(rec.wait_event("1001", v1::EventReleased, kWait));
  EXPECT_TRUE(sys.asterisk().wait_request("BYE", "1001", kWait));
  EXPECT_EQ(rec.events("1000"),
            (ev_list{v1::EventDialing, v1::EventEstablished, v1::EventReleased}));
  EXPECT_EQ(rec.events("1001"),
            (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventReleased}));
  EXPECT_TRUE(sys.asterisk().wait_calls_ended(kWait));
  expect_nothing_dangles(sys, kWait);
}

}  // namespace
}  // namespace sipcc::test
