// sofia-sip's timer trap, end to end (services/sip-edge/sofia_yield.cpp): nta
// polls the socket in the middle of its timer round after five client
// retransmissions, which zeroes the time its server transactions are then
// judged by. While sofia's millisecond counter has its high bit set, every
// answered INVITE still waiting for its ACK then "times out" and nua hangs
// the call up (BYE "ACK Timeout"), and every ringing one gets 30 copies of
// its 180 a round. The edge runs here with its wall clock moved so that the
// counter is in that half, whatever the date (tests/tools/clock_shift.cpp).
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipp.hpp"
#include "udp_peer.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 10s;
constexpr int kSilentDns = 10;  // their SUBSCRIBEs are never answered

// Seconds to move the wall clock so that sofia's millisecond counter (NTP
// seconds x 1000, modulo 2^32) reads 0xC0000000 now: 12 days from either
// edge of the half with the high bit set.
long counter_high_shift_s() {
  constexpr uint64_t kNtpOffsetS = 2208988800ULL;
  const auto unix_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  const uint32_t counter = static_cast<uint32_t>(unix_ms + kNtpOffsetS * 1000);
  const uint32_t ahead_ms = 0xC0000000u - counter;  // modulo 2^32
  return static_cast<long>(ahead_ms / 1000);
}

// The 200s to the INVITE the customer received (retransmissions included).
int invite_oks(const std::vector<traced>& t) {
  int n = 0;
  for (auto& m : t)
    if (!m.sent && m.message.start_line.rfind("SIP/2.0 200", 0) == 0 &&
        m.message.header("CSeq").find("INVITE") != std::string::npos)
      ++n;
  return n;
}

// A customer answered by the agent holds back its ACK while the edge has
// a dozen unanswered SUBSCRIBEs to retransmit in one timer round (the edge
// is stopped meanwhile, as a busy or descheduled process would be, with
// packets waiting at its socket): the call stays up, its 200 is
// retransmitted at RFC 3261's pace, and the late ACK establishes it.
TEST(SofiaTimersE2E, AnAnswerWaitingForItsAckSurvivesARoundOfRetransmissions) {
  if (!sipp_installed())
    GTEST_SKIP() << "sipp (package sip-tester) is not on PATH";
  const uint16_t agent_port = free_port(SOCK_DGRAM);
  system_options opts;
  opts.dns = {{"1000", "Extension", "", "",
               "contact: \"sip:1000@127.0.0.1:" + std::to_string(agent_port) +
                   "\", monitor: false"},
              {"8000", "RoutingPoint", "", "router-timeout: 60"}};
  for (int i = 0; i < kSilentDns; ++i)
    opts.dns.emplace_back(std::to_string(2000 + i));
  opts.services = {{"sip-edge", "edge1"}, {"callctl", "callctl-0"}, {"presence", "presence-0"}};
  opts.t1x64_ms = 32000;  // RFC 3261's: the late ACK is well within Timer H
  opts.env_of["sip-edge"] = {
      {"LD_PRELOAD", SIPCC_BINARY_DIR "/tests/tools/libclock-shift.so"},
      {"SIPCC_TEST_CLOCK_SHIFT_S", std::to_string(counter_high_shift_s())}};
  sipcc_system sys(opts);
  for (int i = 0; i < kSilentDns; ++i)
    sys.asterisk().set_policy(std::to_string(2000 + i), subscribe_policy::drop());
  sipp_run agent("sn:uas", agent_port, sys.dir(), {}, "agent");
  sys.start_services();
  ASSERT_TRUE(sys.asterisk().wait_request("SUBSCRIBE", std::to_string(2000 + kSilentDns - 1),
                                          kWait));

  std::unique_ptr<sipp_run> customer;
  const auto conn = customer_calls(sys, customer, "customer-acks-late-then-hangs-up.xml", "8000",
                                   "8000", kWait);
  ASSERT_FALSE(conn.empty());
  ASSERT_EQ(sys.route_call("8000", conn, "1000").type(), v1::EventRouteUsed);
  // callctl answers the customer with the agent's 200.
  ASSERT_TRUE(sys.recorder().wait(
      [](const bus_msg& m) {
        v1::LegCommand c;
        return m.subject == subj::edge_leg("edge1") && c.ParseFromString(m.data) &&
               c.has_respond() && c.respond().status() == 200;
      },
      kWait));

  // Every unanswered SUBSCRIBE is due for a retransmission (T2 = 4 s) when
  // the edge runs again, and datagrams wait at its socket.
  const pid_t edge = sys.service_pid("sip-edge");
  ASSERT_EQ(::kill(edge, SIGSTOP), 0);
  udp_peer stranger;
  for (int i = 0; i < 20; ++i)
    stranger.send(sys.edge_port(), "OPTIONS sip:edge@127.0.0.1 SIP/2.0\r\n"
                                   "Via: SIP/2.0/UDP 127.0.0.1:" +
                                       std::to_string(stranger.port()) + ";branch=z9hG4bKstop" +
                                       std::to_string(i) +
                                       "\r\nFrom: <sip:s@127.0.0.1>;tag=s\r\n"
                                       "To: <sip:edge@127.0.0.1>\r\nCall-ID: stop" +
                                       std::to_string(i) +
                                       "@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
                                       "Content-Length: 0\r\n\r\n");
  std::this_thread::sleep_for(4500ms);  // the stimulus: how long the edge is stopped
  ASSERT_EQ(::kill(edge, SIGCONT), 0);

  // The trap's BYE reaches the customer before its ACK: SIPp fails the call.
  expect_answered_call_ended(sys, *customer, agent, "1000", kWait);
  // 200 at 0 s, then at 0.5, 1.5, 3.5 and 7.5 s at most until the ACK at 8 s
  // (the stopped edge sends fewer); the trap sent 30 in a round.
  EXPECT_LE(invite_oks(customer->trace()), 5);
}

}  // namespace
}  // namespace sipcc::test
