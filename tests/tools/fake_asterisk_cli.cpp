// fake-asterisk: the simulated Asterisk of the end-to-end tests, driven by
// hand. It answers SUBSCRIBEs the way the captures in tests/data/asterisk
// show, sends each new subscription the package's initial NOTIFY, and then
// sends the NOTIFYs typed on stdin (see fake_asterisk_commands.hpp).
//
//   fake-asterisk --port 5070
//   notify 1000 presence-notify-open.sip
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "fake_asterisk.hpp"
#include "fake_asterisk_commands.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;
using verb = console_command::verb;

// What a new subscription of each package is told first: the phone is not
// registered, as in the captures' first NOTIFYs.
const std::pair<const char*, const char*> k_initial[] = {
    {"presence", "presence-notify-closed.sip"},
    {"dialog", "dialog-notify-initial-unregistered.sip"},
};
constexpr auto k_response_wait = 2s;

// The request watcher and the command loop both print.
std::mutex g_out;
void say(std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  std::lock_guard lock(g_out);
  std::cout << text << std::endl;
}

// "12:34:56.789 ", so that retry intervals can be read off the screen.
std::string stamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d ", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms));
  return buf;
}

std::string describe(const received& r) {
  std::string out = stamp() + "<- " + r.method + " " + r.resource;
  for (const char* h : {"Event", "Expires"})
    if (std::string v = r.message.header(h); !v.empty()) out += ", " + std::string(h) + ": " + v;
  return out + " (from " + r.source + ")";
}

// Prints every request as it arrives, until stop is set.
void watch(fake_asterisk& asterisk, const std::atomic<bool>& stop) {
  while (!stop) {
    std::optional<received> seen;
    asterisk.wait_request(
        [&](const received& r) {
          seen = r;
          return true;
        },
        200ms);
    if (seen) say(describe(*seen));
  }
}

std::string list_captures() {
  std::vector<std::string> lines;
  for (const auto& f :
       std::filesystem::directory_iterator(std::string(SIPCC_TEST_DATA_DIR) + "/asterisk")) {
    const std::string name = f.path().filename().string();
    if (f.path().extension() != ".sip") continue;
    const sip_message m = load_capture(name);
    if (m.start_line.rfind("NOTIFY ", 0) != 0) continue;
    lines.push_back("  " + name + "  (" + m.header("Event") + ", " + m.header("Content-Type") +
                    ")");
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string list_subscriptions(const fake_asterisk& asterisk) {
  // Every resource that sent a SUBSCRIBE, active or not (a rejected one).
  std::map<std::string, std::vector<active_subscription>> by_resource;
  for (const received& r : asterisk.received())
    if (r.method == "SUBSCRIBE") by_resource[r.resource];
  for (const active_subscription& s : asterisk.active_subscriptions())
    by_resource[s.resource].push_back(s);
  if (by_resource.empty()) return "  no SUBSCRIBE yet\n";
  std::ostringstream out;
  for (const auto& [resource, active] : by_resource) {
    out << "  " << resource << ": " << asterisk.count("SUBSCRIBE", resource) << " SUBSCRIBE(s)";
    if (active.empty()) out << ", no active subscription";
    for (const active_subscription& s : active)
      out << ", active " << s.event << " (last NOTIFY "
          << (s.last_capture.empty() ? "none" : s.last_capture) << ")";
    out << "\n";
  }
  return out.str();
}

// Sends a NOTIFY and reports the subscriber's answer.
void notify(fake_asterisk& asterisk, const std::string& resource, const std::string& capture,
            const notify_options& opts) {
  const std::uint32_t cseq = asterisk.send_notify(resource, capture, opts);
  std::string line = stamp() + "-> NOTIFY " + resource + " " +
                     (capture.empty() ? "(no body)" : capture) + ", CSeq " + std::to_string(cseq) +
                     (opts.subscription_state ? ", " + *opts.subscription_state : "");
  const std::optional<int> status = asterisk.wait_response_to_notify(cseq, k_response_wait);
  say(line + (status ? ": answered " + std::to_string(*status) : ": no final answer within 2 s"));
}

// Performs one command; false when it is time to stop.
bool perform(fake_asterisk& asterisk, const console_command& c) {
  switch (c.what) {
    case verb::none:
      break;
    case verb::notify:
      notify(asterisk, c.resource, c.capture, {});
      break;
    case verb::terminate: {
      // Asterisk's final NOTIFY repeats the current state.
      std::string last;
      for (const active_subscription& s : asterisk.active_subscriptions())
        if (s.resource == c.resource) last = s.last_capture;
      notify_options opts;
      opts.subscription_state = "terminated";
      notify(asterisk, c.resource, last, opts);
      break;
    }
    case verb::reject:
      asterisk.set_policy(c.resource, subscribe_policy::reject(c.status));
      say("the next SUBSCRIBEs for " + c.resource + " get " + std::to_string(c.status) +
          " (accept " + c.resource + " undoes it)");
      break;
    case verb::accept:
      asterisk.set_policy(c.resource, subscribe_policy::accept());
      say("the next SUBSCRIBEs for " + c.resource + " get 200");
      break;
    case verb::list:
      say("NOTIFY captures (tests/data/asterisk):\n" + list_captures());
      break;
    case verb::subs:
      say(list_subscriptions(asterisk));
      break;
    case verb::help:
      say(console_help());
      break;
    case verb::quit:
      return false;
  }
  return true;
}

int run(std::uint16_t port) {
  fake_asterisk asterisk(port);
  std::string initial;
  for (const auto& [event, capture] : k_initial) {
    asterisk.set_default_initial_notify(event, capture);
    initial += std::string("\n  ") + event + ": " + capture;
  }
  say("fake Asterisk listening on udp 127.0.0.1:" + std::to_string(asterisk.port()) +
      "\n(sipcc configuration: asterisk: { address: 127.0.0.1:" + std::to_string(asterisk.port()) +
      " })\nfirst NOTIFY of each new subscription:" + initial + "\ntype help for the commands");

  std::atomic<bool> stop{false};
  std::thread watcher([&] { watch(asterisk, stop); });
  std::string line;
  while (std::getline(std::cin, line)) {
    const console_parse parsed = parse_console_command(line);
    if (const auto* e = std::get_if<console_error>(&parsed)) {
      say("error: " + e->message);
      continue;
    }
    try {
      if (!perform(asterisk, std::get<console_command>(parsed))) break;
    } catch (const std::exception& e) {  // no such subscription or capture
      say(std::string("error: ") + e.what());
    }
  }
  stop = true;
  watcher.join();
  return 0;
}

}  // namespace
}  // namespace sipcc::test

int main(int argc, char** argv) {
  CLI::App app{
      "A simulated Asterisk to drive by hand: answers SUBSCRIBEs like the captures in "
      "tests/data/asterisk and sends the NOTIFYs typed on stdin (type help)."};
  std::uint16_t port = 5070;
  app.add_option("--port", port, "UDP port on 127.0.0.1 (0: any free port)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return sipcc::test::run(port);
  } catch (const std::exception& e) {  // e.g. the port is taken
    std::cerr << "fake-asterisk: " << e.what() << "\n";
    return 1;
  }
}
