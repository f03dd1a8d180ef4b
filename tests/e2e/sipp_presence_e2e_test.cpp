// End to end against a SIP peer that is not ours: SIPp plays Asterisk
// (tests/sipp/*.xml) and the built sip-edge and presence subscribe to it over
// real UDP. The scenario file name says what each test proves.
#include <gtest/gtest.h>
#include <sys/socket.h>


#include "sipcc/v1/tlib.pb.h"
#include "sipp.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

TEST(SippPresenceE2E, AsteriskAcceptsPresenceSubscribeAndNotifiesOpen) {
  if (!sipp_installed()) GTEST_SKIP() << "sipp (package sip-tester) is not on PATH";
  const uint16_t port = free_port(SOCK_DGRAM);
  system_options opts;
  opts.dns = {{"1000"}};  // one monitored DN: the scenario answers one SUBSCRIBE
  opts.asterisk_port = port;
  sipcc_system sys(opts);
  sipp_run sipp("asterisk-accepts-presence-subscribe-and-notifies-open.xml", port, sys.dir());
  sys.start_services();

  // The closed NOTIFY, then the open one: the phone is back in service.
  EXPECT_TRUE(sys.recorder().wait_event("1000", v1::EventDNBackInService, 10s))
      << "logs in " << sys.dir();
  // 0 = the whole scenario ran: both NOTIFYs got their 200 from sipcc.
  ASSERT_EQ(sipp.wait_exit(25s), 0) << sipp.log() << "\nlogs in " << sys.dir();

  auto msgs = sipp.trace();
  ASSERT_FALSE(msgs.empty());
  const sip_message& sub = msgs.front().message;
  EXPECT_FALSE(msgs.front().sent);
  EXPECT_EQ(sub.start_line, "SUBSCRIBE sip:1000@127.0.0.1:" + std::to_string(port) + " SIP/2.0");
  EXPECT_EQ(sub.header("Event"), "presence");
  EXPECT_EQ(sub.header("Accept"), "application/pidf+xml");

  // SIPp sent the captured bodies byte for byte (the scenario spells them
  // with \x0a escapes, so this guards against drift from the captures).
  std::vector<std::string> bodies;
  for (auto& m : msgs)
    if (m.sent && m.message.start_line.rfind("NOTIFY ", 0) == 0) bodies.push_back(m.message.body);
  EXPECT_EQ(bodies, (std::vector<std::string>{load_capture("presence-notify-closed.sip").body,
                                              load_capture("presence-notify-open.sip").body}));
}

}  // namespace
}  // namespace sipcc::test
