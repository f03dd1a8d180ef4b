// The test phone itself, phone to phone on loopback with no Asterisk: the
// interop tests trust it to say whose audio arrived, so here each phone must
// hear the other's tone (and not its own), RFC 4733 digits and INFO must
// arrive, a hold must silence both ways, and either side's hang-up or cancel
// must end both. Its digest REGISTER is tried on sip-edge's registrar.
#include "rtp_phone.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "sipcc_fixture.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 5s;

TEST(RtpPhone, TwoPhonesHearEachOtherSendDigitsHoldResumeAndHangUp) {
  rtp_phone a({"alice", "", 0, "", 440});
  rtp_phone b({"bob", "", 0, "", 1000});

  a.call(b.uri());
  ASSERT_TRUE(b.wait_incoming(kWait));
  EXPECT_TRUE(a.hears_silence_for(200ms)) << "no audio before the answer";
  b.answer();
  ASSERT_TRUE(a.wait_established(kWait));
  ASSERT_TRUE(b.wait_established(kWait));
  EXPECT_NE(a.last_remote_sdp().find("telephone-event/8000"), std::string::npos);

  EXPECT_TRUE(a.wait_hears(1000, kWait));
  EXPECT_TRUE(b.wait_hears(440, kWait));
  EXPECT_FALSE(a.wait_hears(440, 400ms)) << "a phone does not hear itself";
  EXPECT_FALSE(b.wait_hears(1800, 400ms)) << "nor a third phone's tone";

  a.send_dtmf_rfc4733("12#");
  EXPECT_TRUE(b.wait_rfc4733_digits("12#", kWait)) << b.rfc4733_digits_received();
  EXPECT_TRUE(b.wait_hears(440, kWait)) << "the tone goes on after the digits";
  a.send_dtmf_info('7');
  ASSERT_TRUE(b.wait_infos(1, kWait));
  EXPECT_EQ(b.infos_received().front(), "Signal=7\r\nDuration=160\r\n");

  ASSERT_TRUE(a.hold(kWait));
  EXPECT_NE(b.last_remote_sdp().find("a=sendonly"), std::string::npos);
  EXPECT_NE(a.last_remote_sdp().find("a=recvonly"), std::string::npos);
  EXPECT_TRUE(b.hears_silence_for(400ms));
  EXPECT_TRUE(a.hears_silence_for(400ms));

  ASSERT_TRUE(a.resume(kWait));
  EXPECT_NE(a.last_remote_sdp().find("a=sendrecv"), std::string::npos);
  EXPECT_TRUE(a.wait_hears(1000, kWait));
  EXPECT_TRUE(b.wait_hears(440, kWait));

  b.hangup();
  EXPECT_TRUE(b.wait_ended(kWait));
  EXPECT_TRUE(a.wait_ended(kWait));
  EXPECT_TRUE(a.hears_silence_for(200ms));
}

TEST(RtpPhone, CallerCancelsWhileRingingThenTheNextCallIsAutoAnswered) {
  rtp_phone a({"alice", "", 0, "", 1800});
  rtp_phone b({"bob", "", 0, "", 440});
  rtp_phone c({"carol", "", 0, "", 1000, true});

  a.call(b.uri());
  ASSERT_TRUE(b.wait_incoming(kWait));
  a.hangup();
  EXPECT_TRUE(a.wait_ended(kWait));
  EXPECT_TRUE(b.wait_ended(kWait));
  EXPECT_FALSE(b.wait_established(0ms));

  a.call(c.uri());
  ASSERT_TRUE(a.wait_established(kWait));
  EXPECT_TRUE(c.wait_hears(1800, kWait));
  EXPECT_TRUE(a.wait_hears(1000, kWait));
  EXPECT_TRUE(b.hears_silence_for(200ms)) << "the cancelled phone is out of it";
  a.hangup();
  EXPECT_TRUE(c.wait_ended(kWait));
  EXPECT_TRUE(a.wait_ended(kWait));
}

TEST(RtpPhone, RegistersWithDigestAuthAndUnregisters) {
  system_options opts;
  opts.dns = {{"2000", "ACDPosition", "", "", "password: secret"}};
  opts.asterisk_port = free_port(SOCK_DGRAM);  // nobody: the edge alone is the registrar
  opts.services = {{"sip-edge", "edge1"}};
  sipcc_system sys(opts);
  sys.start_services();
  const std::string edge = "127.0.0.1:" + std::to_string(sys.edge_port());

  rtp_phone intruder({"2000", "guess", 0, edge, 440});
  EXPECT_FALSE(intruder.register_now(kWait));
  rtp_phone phone({"2000", "secret", 0, edge, 440});
  EXPECT_TRUE(phone.register_now(kWait));
  EXPECT_TRUE(phone.unregister(kWait));
}

}  // namespace
}  // namespace sipcc::test
