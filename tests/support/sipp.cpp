#include "sipp.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "call_gauges.hpp"

namespace sipcc::test {

using namespace std::chrono_literals;

// Each record is a dashed time line, then "UDP message sent (N bytes):" or
// "UDP message received [N] bytes :", an empty line and the N bytes.
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

namespace {
bool udp_bound(uint16_t port) {
  std::ifstream in("/proc/net/udp");
  char local[32];
  std::snprintf(local, sizeof local, "0100007F:%04X", port);
  std::string line;
  while (std::getline(in, line))
    if (line.find(local) != std::string::npos)
      return true;
  return false;
}
}  // namespace

bool wait_udp_bound(uint16_t port, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  // SIPp gives no sign on stdout until it ends: poll the socket table.
  while (std::chrono::steady_clock::now() < until) {
    if (udp_bound(port))
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

std::string find_program(const std::string& name, const std::vector<std::string>& extra) {
  std::vector<std::string> dirs;
  std::istringstream path(std::getenv("PATH") ? std::getenv("PATH") : "");
  for (std::string dir; std::getline(path, dir, ':');)
    if (!dir.empty())
      dirs.push_back(dir);
  dirs.insert(dirs.end(), extra.begin(), extra.end());
  for (const auto& dir : dirs)
    if (::access((dir + "/" + name).c_str(), X_OK) == 0)
      return dir + "/" + name;
  return {};
}

bool sipp_installed() { return !find_program("sipp").empty(); }

sipp_run::sipp_run(const std::string& scenario, uint16_t port, const std::string& dir,
                   const std::vector<std::string>& args, const std::string& name)
    : port_(port), trace_path_(dir + "/" + name + ".msg") {
  std::vector<std::string> argv{"sipp"};
  if (scenario.rfind("sn:", 0) == 0) {
    argv.insert(argv.end(), {"-sn", scenario.substr(3)});
  } else {
    argv.insert(argv.end(), {"-sf", k_sipp_scenarios + scenario});
  }
  // -m 1 ends SIPp after its one call; -timeout_error makes a stall an error.
  argv.insert(argv.end(), {"-i", "127.0.0.1", "-p", std::to_string(port), "-m", "1", "-timeout",
                           "20s", "-timeout_error", "-nostdin", "-trace_msg", "-message_file",
                           trace_path_, "-trace_err", "-error_file", dir + "/" + name + ".err"});
  argv.insert(argv.end(), args.begin(), args.end());
  proc_ = std::make_unique<child_process>(argv, dir + "/" + name);
  if (!wait_udp_bound(port, 5s))
    throw std::runtime_error("sipp did not start: " + log());
}

std::string body_of(const std::vector<traced>& t, bool sent, const std::string& start) {
  for (auto& m : t)
    if (m.sent == sent && m.message.start_line.rfind(start, 0) == 0)
      return m.message.body;
  return "<none>";
}

std::string with_origin(std::string sdp, const std::string& origin) {
  auto start = sdp.find("o=");
  if (start == std::string::npos)
    return sdp;
  return sdp.replace(start, sdp.find_first_of("\r\n", start) - start, origin);
}

std::vector<std::string> bodies_of(const std::vector<traced>& t, bool sent,
                                   const std::string& start) {
  std::vector<std::string> out;
  for (auto& m : t)
    if (m.sent == sent && m.message.start_line.rfind(start, 0) == 0)
      out.push_back(m.message.body);
  return out;
}

std::vector<std::string> infos_received(const std::vector<traced>& t) {
  std::vector<std::string> out;
  for (auto& m : t)
    if (!m.sent && m.message.start_line.rfind("INFO", 0) == 0)
      out.push_back(m.message.header("Content-Type") + " " + m.message.body);
  return out;
}

std::string origin_and_direction(const std::string& sdp) {
  std::string out;
  for (auto& key : {"o=", "a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"}) {
    auto at = sdp.find(std::string("\n") + key);
    if (at != std::string::npos)
      out += (out.empty() ? "" : " ") + sdp.substr(at + 1, sdp.find('\r', at) - at - 1);
  }
  return out;
}

std::string next_origin_of(const std::string& sdp) {
  auto start = sdp.find("o=");
  if (start == std::string::npos)
    return "";
  auto o = sdp.substr(start, sdp.find_first_of("\r\n", start) - start);
  // o=<user> <session> <version> <nettype> <addrtype> <address>
  auto v0 = o.find(' ', o.find(' ') + 1) + 1;
  auto v1 = o.find(' ', v0);
  return o.substr(0, v0) + std::to_string(std::stoull(o.substr(v0, v1 - v0)) + 1) + o.substr(v1);
}

std::string customer_calls(sipcc_system& sys, std::unique_ptr<sipp_run>& customer,
                           const std::string& scenario, const std::string& pause_ms,
                           const std::string& rp, std::chrono::milliseconds deadline) {
  customer = std::make_unique<sipp_run>(
      scenario, sys.trunk_port(), sys.dir(),
      std::vector<std::string>{"-s", rp, "-d", pause_ms,
                               "127.0.0.1:" + std::to_string(sys.edge_port())},
      "customer");
  auto rr = sys.recorder().wait_event(rp, v1::EventRouteRequest, deadline);
  EXPECT_TRUE(rr) << "no EventRouteRequest on " << rp << "; logs in " << sys.dir();
  return rr ? rr->conn_id() : "";
}

void expect_answered_call_ended(sipcc_system& sys, sipp_run& customer, sipp_run& agent,
                                const std::string& dn, std::chrono::milliseconds deadline) {
  EXPECT_TRUE(sys.recorder().wait_event(dn, v1::EventReleased, deadline))
      << "logs in " << sys.dir();
  EXPECT_EQ(customer.wait_exit(deadline), 0) << customer.log();
  EXPECT_EQ(agent.wait_exit(deadline), 0) << agent.log();
  EXPECT_EQ(sys.recorder().events(dn),
            (std::vector<v1::EventType>{v1::EventRinging, v1::EventEstablished,
                                        v1::EventReleased}));
  expect_nothing_dangles(sys, deadline);
}

}  // namespace sipcc::test
