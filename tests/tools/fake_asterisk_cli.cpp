// fake-asterisk: the simulated Asterisk of the end-to-end tests, driven by
// hand. It answers SUBSCRIBEs the way the captures in tests/data/asterisk
// show, sends each new subscription the package's initial NOTIFY, and then
// does what is typed on stdin (see fake_asterisk_commands.hpp): NOTIFYs, and
// calls played by a customer calling sipcc and by the agent phones sipcc calls.
//
//   fake-asterisk --port 5070 --sipcc 127.0.0.1:5060
//   notify 1000 presence-notify-open.sip
//   call 8000
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
#include <set>
#include <sstream>
#include <stdexcept>
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
std::string stamp(std::chrono::system_clock::time_point at = std::chrono::system_clock::now()) {
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d ", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms));
  return buf;
}

// The stamp of when the fake received sipcc's response with this status to
// the INVITE of call id: responses are seen a poll late, their time is not.
std::string arrival(const fake_asterisk& asterisk, const std::string& id, int status) {
  for (const received& r : asterisk.received())
    if (r.status == status && r.message.header("Call-ID") == id &&
        r.message.header("CSeq").find("INVITE") != std::string::npos)
      return stamp(std::chrono::system_clock::now() -
                   std::chrono::duration_cast<std::chrono::system_clock::duration>(
                       std::chrono::steady_clock::now() - r.at));
  return stamp();
}

std::string describe(const received& r) {
  std::string out = stamp() + "<- " + r.method + " " + r.resource;
  for (const char* h : {"Event", "Expires"})
    if (std::string v = r.message.header(h); !v.empty()) out += ", " + std::string(h) + ": " + v;
  return out + " (from " + r.source + ")";
}

// The calls placed by `call`: the latest is the one `bye` ends, and each is
// watched until sipcc's final response to its INVITE has been printed.
class customer_calls {
 public:
  struct placed {
    std::string id, number;
  };

  void add(placed call) {
    std::lock_guard lock(mu_);
    latest_ = call;
    pending_.push_back({std::move(call), {}, std::chrono::steady_clock::now()});
  }

  std::optional<placed> latest() const {
    std::lock_guard lock(mu_);
    return latest_;
  }

  // Prints the provisional and final responses that came since the last
  // look, without waiting for any.
  void report(fake_asterisk& asterisk) {
    std::lock_guard lock(mu_);
    for (auto p = pending_.begin(); p != pending_.end();) {
      const std::string& id = p->call.id;
      const std::string who = "the customer's call to " + p->call.number;
      bool answered_at_all = false;
      for (int status : {100, 180, 183})
        if (asterisk.wait_provisional(id, status, 0ms)) {
          answered_at_all = true;
          if (status != 100 && p->provisionals.insert(status).second)
            say(arrival(asterisk, id, status) + who + " <- " + std::to_string(status));
        }
      if (const std::optional<int> final = asterisk.wait_final(id, 0ms)) {
        say(arrival(asterisk, id, *final) + who + " <- " + std::to_string(*final) +
            (*final < 300 ? ", connected (bye hangs up)" : ", ended"));
        p = pending_.erase(p);
      } else if (!answered_at_all &&
                 std::chrono::steady_clock::now() - p->since > k_invite_given_up) {
        say(stamp() + who + ": no response from sipcc, INVITE given up");
        p = pending_.erase(p);
      } else {
        ++p;
      }
    }
  }

 private:
  // The fake stops re-sending an unanswered INVITE after 64*T1 (T1 500 ms).
  static constexpr auto k_invite_given_up = 32s;
  struct pending {
    placed call;
    std::set<int> provisionals;  // printed already
    std::chrono::steady_clock::time_point since;
  };
  mutable std::mutex mu_;
  std::optional<placed> latest_;
  std::vector<pending> pending_;
};

// Prints every request as it arrives, and the customers' responses from sipcc
// within a wait's length, until stop is set.
void watch(fake_asterisk& asterisk, customer_calls& calls, const std::atomic<bool>& stop) {
  while (!stop) {
    std::optional<received> seen;
    asterisk.wait_request(
        [&](const received& r) {
          seen = r;
          return true;
        },
        200ms);
    if (seen) say(describe(*seen));
    calls.report(asterisk);
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

// The customer of the latest call hangs up: BYE once sipcc has answered,
// CANCEL while it has not.
void customer_hangs_up(fake_asterisk& asterisk, const customer_calls& calls) {
  const std::optional<customer_calls::placed> call = calls.latest();
  if (!call) throw std::runtime_error("no call yet (call <number>)");
  const std::optional<int> final = asterisk.wait_final(call->id, 0ms);
  if (final && *final >= 300)
    throw std::runtime_error("the call to " + call->number + " ended with " +
                             std::to_string(*final));
  if (final) {
    asterisk.hangup_call(call->id);
    say(stamp() + "-> BYE " + call->number);
  } else {
    asterisk.cancel_call(call->id);
    say(stamp() + "-> CANCEL " + call->number + " (sent once sipcc has sent a 1xx)");
  }
}

// Performs one command; false when it is time to stop.
bool perform(fake_asterisk& asterisk, std::uint16_t sipcc_port, customer_calls& calls,
             const console_command& c) {
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
    case verb::call: {
      const std::string id = c.caller.empty()
                                 ? asterisk.place_call(c.resource, sipcc_port)
                                 : asterisk.place_call(c.resource, sipcc_port, c.caller);
      calls.add({id, c.resource});
      say(stamp() + "-> INVITE " + c.resource + " to 127.0.0.1:" + std::to_string(sipcc_port) +
          (c.caller.empty() ? "" : " from " + c.caller) + ", Call-ID " + id);
      break;
    }
    case verb::bye:
      customer_hangs_up(asterisk, calls);
      break;
    case verb::answer:
      asterisk.answer_call(c.resource);
      say(stamp() + "-> 200 to the INVITE of " + c.resource);
      break;
    case verb::hangup:
      asterisk.hangup(c.resource);
      say(stamp() + "-> BYE " + c.resource + " (after sipcc's ACK, if need be)");
      break;
    case verb::autoanswer:
      asterisk.set_call_policy(c.resource, call_policy::auto_answer());
      say("INVITEs to " + c.resource + " get 180, then 200 at once (manual " + c.resource +
          " undoes it)");
      break;
    case verb::busy:
      asterisk.set_call_policy(c.resource, call_policy::reject(486));
      say("INVITEs to " + c.resource + " get 486 Busy Here (manual " + c.resource +
          " undoes it)");
      break;
    case verb::manual:
      asterisk.set_call_policy(c.resource, call_policy::manual());
      say("INVITEs to " + c.resource + " get 180 and ring until answer " + c.resource);
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

int run(std::uint16_t port, std::uint16_t sipcc_port) {
  fake_asterisk asterisk(port);
  std::string initial;
  for (const auto& [event, capture] : k_initial) {
    asterisk.set_default_initial_notify(event, capture);
    initial += std::string("\n  ") + event + ": " + capture;
  }
  say("fake Asterisk listening on udp 127.0.0.1:" + std::to_string(asterisk.port()) +
      "\n(sipcc configuration: asterisk: { address: 127.0.0.1:" + std::to_string(asterisk.port()) +
      " })\nfirst NOTIFY of each new subscription:" + initial +
      "\ncustomers call sipcc at 127.0.0.1:" + std::to_string(sipcc_port) +
      "\ntype help for the commands");

  customer_calls calls;
  std::atomic<bool> stop{false};
  std::thread watcher([&] { watch(asterisk, calls, stop); });
  std::string line;
  while (std::getline(std::cin, line)) {
    const console_parse parsed = parse_console_command(line);
    if (const auto* e = std::get_if<console_error>(&parsed)) {
      say("error: " + e->message);
      continue;
    }
    try {
      if (!perform(asterisk, sipcc_port, calls, std::get<console_command>(parsed))) break;
    } catch (const std::exception& e) {  // no such subscription, capture or call
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
      "tests/data/asterisk, sends the NOTIFYs typed on stdin, and plays the customer and agent "
      "phones of calls (type help)."};
  std::uint16_t port = 5070;
  app.add_option("--port", port, "UDP port on 127.0.0.1 (0: any free port)")->capture_default_str();
  std::string sipcc = "127.0.0.1:5060";
  app.add_option("--sipcc", sipcc, "sipcc's SIP address (sip-edge.bind), where customers call")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  const auto sipcc_port = sipcc::test::parse_sipcc_address(sipcc);
  if (const auto* e = std::get_if<sipcc::test::console_error>(&sipcc_port)) {
    std::cerr << "fake-asterisk: --sipcc: " << e->message << "\n";
    return 2;
  }
  try {
    return sipcc::test::run(port, std::get<std::uint16_t>(sipcc_port));
  } catch (const std::exception& e) {  // e.g. the port is taken
    std::cerr << "fake-asterisk: " << e.what() << "\n";
    return 1;
  }
}
