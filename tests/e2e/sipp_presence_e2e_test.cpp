// End to end against a SIP peer that is not ours: SIPp plays Asterisk
// (tests/sipp/*.xml) and the built sip-edge and presence subscribe to it over
// real UDP. The scenario file name says what each test proves.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "sipcc/v1/tlib.pb.h"
#include "sipcc_fixture.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

const std::string k_scenarios = SIPCC_SOURCE_DIR "/tests/sipp/";

struct traced {
  bool sent = false;  // by SIPp
  sip_message message;
};

// SIPp's -trace_msg file: each record is a dashed time line, then
// "UDP message sent (N bytes):" or "UDP message received [N] bytes :",
// an empty line and the N bytes as they went over the wire.
std::vector<traced> read_sipp_trace(const std::string& path) {
  std::string text = read_file(path);
  static const std::regex head(
      R"(UDP message (sent|received) (?:\((\d+) bytes\)|\[(\d+)\] bytes ):\n\n)");
  std::vector<traced> out;
  for (std::sregex_iterator it(text.begin(), text.end(), head), end; it != end; ++it) {
    auto at = static_cast<std::size_t>(it->position(0) + it->length(0));
    auto size = std::stoul((*it)[(*it)[2].matched ? 2 : 3]);
    out.push_back({(*it)[1] == "sent", parse_sip_message(text.substr(at, size))});
  }
  return out;
}

// True once some socket is bound to 127.0.0.1:port, read from /proc so that
// probing cannot take the port from SIPp.
bool udp_bound(uint16_t port) {
  std::ifstream in("/proc/net/udp");
  char local[32];
  std::snprintf(local, sizeof local, "0100007F:%04X", port);
  std::string line;
  while (std::getline(in, line))
    if (line.find(local) != std::string::npos) return true;
  return false;
}

bool wait_udp_bound(uint16_t port, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  // SIPp gives no sign on stdout until it ends: poll the socket table.
  while (std::chrono::steady_clock::now() < until) {
    if (udp_bound(port)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

bool sipp_installed() {
  std::istringstream path(std::getenv("PATH") ? std::getenv("PATH") : "");
  std::string dir;
  while (std::getline(path, dir, ':'))
    if (std::ifstream(dir + "/sipp").good()) return true;
  return false;
}

TEST(SippPresenceE2E, AsteriskAcceptsPresenceSubscribeAndNotifiesOpen) {
  if (!sipp_installed()) GTEST_SKIP() << "sipp (package sip-tester) is not on PATH";
  const uint16_t port = free_port(SOCK_DGRAM);
  system_options opts;
  opts.dns = {{"1000"}};  // one monitored DN: the scenario answers one SUBSCRIBE
  opts.asterisk_port = port;
  sipcc_system sys(opts);
  const std::string trace = sys.dir() + "/sipp.msg";
  // -m 1 ends SIPp after its one call; -timeout_error makes a stall an error.
  child_process sipp(
      {"sipp", "-sf", k_scenarios + "asterisk-accepts-presence-subscribe-and-notifies-open.xml",
       "-i", "127.0.0.1", "-p", std::to_string(port), "-m", "1", "-timeout", "20s",
       "-timeout_error", "-nostdin", "-trace_msg", "-message_file", trace, "-trace_err",
       "-error_file", sys.dir() + "/sipp.err"},
      sys.dir() + "/sipp");
  ASSERT_TRUE(wait_udp_bound(port, 5s)) << sipp.output();
  sys.start_services();

  // The closed NOTIFY, then the open one: the phone is back in service.
  EXPECT_TRUE(sys.recorder().wait_event("1000", v1::EventDNBackInService, 10s))
      << "logs in " << sys.dir();
  // 0 = the whole scenario ran: both NOTIFYs got their 200 from sipcc.
  ASSERT_EQ(sipp.wait_exit(25s), 0) << sipp.output(false) << "\nlogs in " << sys.dir();

  auto msgs = read_sipp_trace(trace);
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
