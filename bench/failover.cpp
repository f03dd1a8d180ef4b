// bench/failover: routed calls under load while members of the scaled
// services are killed (issue 13).
//
// The system of bench/routed_calls with two processes of each scaled
// service (presence, callctl, router, mwi; sip-edge stays one): SIPp places
// customers at --rate calls/s, each holding --hold s, and every --kill-every s
// one member is killed with SIGKILL, the next service in turn (the member
// holding most of its shards: the active router), and restarted under its
// name once another member holds its leases, so the service stays doubled.
// What is counted: calls dropped once established (SIPp's customers, and the
// agents' legs the simulated Asterisks saw end early), calls that failed,
// agents whose login or ready state changed (the load alone changes none),
// the time from a kill to the moment other members hold all of the dead
// member's leases (their writes on $KV.sipcc_leases.>), and subscriptions
// the simulated Asterisks hold twice (or not at all) at the end. See
// bench/README.md.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench_system.hpp"
#include "sipcc/v1/ops.pb.h"

namespace sipcc::bench {
namespace {

using namespace std::chrono_literals;

struct options {
  double rate = 100;
  double hold_s = 30;
  int duration_s = 190;    // seconds of new calls
  int kill_every_s = 20;
  int kill_span_s = 180;   // kills at kill_every, 2 x kill_every, ... up to this
  int takeover_deadline_s = 10;
  double restart_after_s = 0;  // from the takeover to the restart
  system_options system;
  bool keep_logs = false;
};

const std::vector<std::string> kKillOrder = {"presence", "callctl", "router", "mwi"};
const std::string kLeasePrefix = "$KV.sipcc_leases.";

// Every shard lease as its latest write on the bus shows it: the keepers
// renew their leases every third of the TTL, so this is never older than that.
// The bus outlives this object, so its handler keeps the state alive.
class lease_watch {
public:
  explicit lease_watch(bus& b) {
    b.subscribe(kLeasePrefix + ">", [s = s_](bus_msg m) {
      const std::string key = m.subject.substr(kLeasePrefix.size());
      const auto at = key.find(".shard.");
      v1::Lease lease;
      if (at == std::string::npos || !lease.ParseFromString(m.data))
        return;  // heartbeats, deletes
      std::lock_guard<std::mutex> g(s->mu);
      auto& e = s->leases[key];
      e.service = key.substr(0, at);
      if (e.holder != lease.holder())
        e.changed = clock_type::now();
      e.holder = lease.holder();
      s->cv.notify_all();
    });
  }

  // The member of `service` holding most of its shards, and those shards.
  std::pair<std::string, std::set<std::string>> busiest(const std::string& service) {
    std::lock_guard<std::mutex> g(s_->mu);
    std::map<std::string, std::set<std::string>> by_holder;
    for (auto& [key, e] : s_->leases)
      if (e.service == service && !e.holder.empty())
        by_holder[e.holder].insert(key);
    std::pair<std::string, std::set<std::string>> best;
    for (auto& [holder, keys] : by_holder)
      if (keys.size() > best.second.size())
        best = {holder, keys};
    return best;
  }

  // Waits until each of `keys` is held by a member other than `dead`; the
  // time from `since` to the last of those writes, or nothing by `deadline`.
  std::optional<double> taken_over(const std::set<std::string>& keys, const std::string& dead,
                                   clock_type::time_point since,
                                   std::chrono::milliseconds deadline, std::string& by) {
    std::unique_lock<std::mutex> g(s_->mu);
    auto& leases = s_->leases;
    auto done = [&] {
      return g_stop || std::all_of(keys.begin(), keys.end(), [&](auto& k) {
               auto& e = leases[k];
               return !e.holder.empty() && e.holder != dead;
             });
    };
    if (!s_->cv.wait_for(g, deadline, done) || g_stop)
      return std::nullopt;
    auto last = since;
    std::set<std::string> holders;
    for (auto& k : keys) {
      last = std::max(last, leases[k].changed);
      holders.insert(leases[k].holder);
    }
    by.clear();
    for (auto& h : holders)
      by += (by.empty() ? "" : "+") + h;
    return std::chrono::duration<double>(last - since).count();
  }

private:
  struct entry {
    std::string service, holder;
    clock_type::time_point changed;
  };
  struct state {
    std::mutex mu;
    std::condition_variable cv;
    std::map<std::string, entry> leases;  // by key: <service>.shard.<n>
  };
  std::shared_ptr<state> s_ = std::make_shared<state>();
};

// Agent events (sipcc.agent.evt.*) from the moment start() is called: the
// load alone makes none, as no after-call work is configured.
class agent_watch {
public:
  explicit agent_watch(bus& b) {
    b.subscribe("sipcc.agent.evt.*", [s = s_](bus_msg m) {
      v1::TEvent ev;
      if (!ev.ParseFromString(m.data))
        return;
      std::lock_guard<std::mutex> g(s->mu);
      if (s->counting)
        s->changed[ev.agent_id()].insert(v1::EventType_Name(ev.type()));
    });
  }
  void start() {
    std::lock_guard<std::mutex> g(s_->mu);
    s_->counting = true;
  }
  std::map<std::string, std::set<std::string>> changed() {
    std::lock_guard<std::mutex> g(s_->mu);
    return s_->changed;
  }

private:
  struct state {
    std::mutex mu;
    bool counting = false;
    std::map<std::string, std::set<std::string>> changed;  // AgentID -> event types
  };
  std::shared_ptr<state> s_ = std::make_shared<state>();
};

// Subscriptions the simulated Asterisks hold, by event package and resource.
struct subscription_count {
  int duplicated = 0;  // resources subscribed more than once
  int missing = 0;     // agent DNs (presence) or mailboxes (mwi) not subscribed
  int64_t active = 0;  // dialogs, all told
  std::string detail;  // the same by event package
};
subscription_count count_subscriptions(const bench_system& sys, int agents, bool mwi) {
  std::map<std::string, std::map<std::string, int>> by_event;
  subscription_count out;
  for (auto& a : sys.asterisks())
    for (auto& s : a->active_subscriptions()) {
      ++by_event[s.event][s.resource];
      ++out.active;
    }
  std::vector<std::string> events{"presence"};
  if (mwi)
    events.push_back("message-summary");
  for (auto& event : events) {
    int duplicated = 0;
    for (auto& [resource, n] : by_event[event])
      duplicated += n > 1;
    const int missing = std::max<int>(0, agents - static_cast<int>(by_event[event].size()));
    out.duplicated += duplicated;
    out.missing += missing;
    out.detail += fmt::format("{}{}: {} twice or more, {} missing", out.detail.empty() ? "" : "; ",
                              event, duplicated, missing);
  }
  return out;
}

// Agent legs sipcc ended (BYE) less than `hold_s` - 1 s after it ACKed the
// agent's 200: calls the agent lost while the customer was still holding.
int64_t agent_legs_dropped(const bench_system& sys, double hold_s) {
  int64_t dropped = 0;
  for (auto& a : sys.asterisks()) {
    std::map<std::string, clock_type::time_point> acked;
    for (auto& r : a->received()) {
      if (r.method == "ACK")
        acked.emplace(r.message.header("Call-ID"), r.at);
      else if (r.method == "BYE") {
        auto it = acked.find(r.message.header("Call-ID"));
        dropped += it != acked.end() &&
                   r.at - it->second < std::chrono::duration<double>(hold_s - 1);
      }
    }
  }
  return dropped;
}

struct kill_record {
  double at_s = 0;
  std::string service, victim, by;
  size_t shards = 0;
  int64_t calls = 0;                // the victim's calls (callctl)
  std::optional<double> takeover_s;
  double ready_s = 0;               // restart to its ready announcement
};

// Nearest-rank quantile of the takeover times, in s (so with fewer than
// 100 kills the p99 is the slowest one); -1 without any.
double quantile(std::vector<double> v, double q) {
  if (v.empty())
    return -1;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::max<size_t>(rank, 1) - 1];
}
std::string quantile_s(const std::vector<double>& v, double q) {
  return v.empty() ? "-" : fmt::format("{:.2f}", quantile(v, q));
}

int run(const options& o) {
  bench_system sys(o.system);
  lease_watch leases(sys.client());
  agent_watch agents(sys.client());
  std::vector<kill_record> kills;
  sipp_result sipp;
  int64_t stuck = 0, agent_drops = 0, edge_dialogs = 0;
  int not_routable = 0;
  std::map<std::string, std::set<std::string>> changed;
  subscription_count subs;
  try {
    sys.start_services();
    sys.agents_ready();
    if (!test::wait_until(
            [&] {
              subs = count_subscriptions(sys, o.system.agents, o.system.mwi);
              return subs.missing == 0 && subs.duplicated == 0;
            },
            60s))
      throw std::runtime_error(fmt::format(
          "before the load, {} DNs and mailboxes not subscribed, {} subscribed twice",
          subs.missing, subs.duplicated));
    agents.start();
    const auto calls = static_cast<int64_t>(std::lround(o.rate * o.duration_s));
    sipp_customers customers(sys, o.rate, calls, o.hold_s, "customers");
    const auto start = clock_type::now();
    for (int k = 0; (k + 1) * o.kill_every_s <= o.kill_span_s; ++k) {
      std::this_thread::sleep_until(start + std::chrono::seconds((k + 1) * o.kill_every_s));
      check_stop();
      kill_record r;
      const std::string service = kKillOrder[k % kKillOrder.size()];
      auto [victim, shards] = leases.busiest(service);
      if (victim.empty())
        throw std::runtime_error("no member of " + service + " holds a lease");
      r.service = service;
      r.victim = victim;
      r.shards = shards.size();
      if (service == "callctl")
        r.calls = value_of(query_counters(sys.client(), victim), "actors", "call");
      const auto killed = clock_type::now();
      r.at_s = std::chrono::duration<double>(killed - start).count();
      sys.kill(victim);
      r.takeover_s = leases.taken_over(shards, victim, killed,
                                       std::chrono::seconds(o.takeover_deadline_s), r.by);
      check_stop();
      std::this_thread::sleep_for(std::chrono::duration<double>(o.restart_after_s));
      check_stop();
      const auto restarted = clock_type::now();
      sys.restart(victim);
      r.ready_s = std::chrono::duration<double>(clock_type::now() - restarted).count();
      fmt::print("  {:6.1f} s  kill -9 {:<10} {:2} shards {:>5} calls  taken over {:>7} by "
                 "{:<10} restarted, ready in {:.2f} s\n",
                 r.at_s, r.victim, r.shards, r.calls,
                 r.takeover_s ? fmt::format("{:.2f} s", *r.takeover_s) : std::string("never"),
                 r.by, r.ready_s);
      std::fflush(stdout);
      kills.push_back(r);
    }
    sipp = customers.wait();
    stuck = sys.drain();
    // The agents' states once every call has ended: logged in and Ready.
    for (auto& dn : sys.all_dns())
      if (dn.type() == v1::Extension &&
          (dn.agent().agent_id() != "agent" + dn.dn() || dn.agent().state() != v1::AGENT_READY))
        changed["agent" + dn.dn()].insert("final state");
    not_routable = o.system.agents - sys.wait_routable(10s);
    for (auto& [agent, what] : agents.changed())
      changed[agent].insert(what.begin(), what.end());
    // The last restart's subscriptions may still be settling.
    test::wait_until(
        [&] {
          subs = count_subscriptions(sys, o.system.agents, o.system.mwi);
          return subs.missing == 0 && subs.duplicated == 0;
        },
        10s);
    edge_dialogs = value_of(query_counters(sys.client(), bench_system::kEdge), "subscriptions",
                            "edge_dialogs");
    agent_drops = agent_legs_dropped(sys, o.hold_s);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()) + " (logs in " + sys.dir() + ")");
  }

  std::vector<double> takeovers;
  int never = 0;
  for (auto& k : kills) {
    if (k.takeover_s)
      takeovers.push_back(*k.takeover_s);
    else
      ++never;
  }
  std::set<std::string> killed_services;
  for (auto& k : kills)
    killed_services.insert(k.service);
  const int64_t offered = static_cast<int64_t>(std::lround(o.rate * o.duration_s));
  const int64_t dropped = sipp.established - sipp.successful;
  const int64_t failed = offered - sipp.established;

  fmt::print("\n{:>7} {:>6} {:>7} {:>7} | {:>7} {:>7} {:>6} {:>5} | {:>7} {:>9} | {:>5} {:>5} "
             "{:>5} {:>5} {:>5} | {:>5} {:>5} {:>6} {:>6}\n",
             "offered", "hold s", "calls", "estab.", "dropped", "agt-leg", "failed", "stuck",
             "changed", "unroutable", "kills", "p50 s", "p99 s", "max s", "never", "dup", "miss",
             "dialogs", "edge");
  fmt::print("{:>7g} {:>6g} {:>7} {:>7} | {:>7} {:>7} {:>6} {:>5} | {:>7} {:>9} | {:>5} {:>5} "
             "{:>5} {:>5} {:>5} | {:>5} {:>5} {:>6} {:>6}\n",
             o.rate, o.hold_s, offered, sipp.established, dropped, agent_drops, failed, stuck,
             changed.size(), not_routable, kills.size(), quantile_s(takeovers, 0.5),
             quantile_s(takeovers, 0.99), quantile_s(takeovers, 1.0), never, subs.duplicated,
             subs.missing, subs.active, edge_dialogs);
  fmt::print("  subscriptions at the end: {}\n", subs.detail);
  int shown = 0;
  for (auto& [agent, what] : changed) {
    if (++shown > 10)
      break;
    std::string list;
    for (auto& w : what)
      list += (list.empty() ? "" : ", ") + w;
    fmt::print("  changed: {}: {}\n", agent, list);
  }
  const bool every_service = killed_services.size() == kKillOrder.size();
  if (!every_service)
    fmt::print("  not every service was killed: the schedule is too short\n");
  const bool met = dropped == 0 && agent_drops == 0 && changed.empty() && never == 0 &&
                   !takeovers.empty() && quantile(takeovers, 0.99) <= 2.0;
  const bool clean = met && failed == 0 && stuck == 0 && subs.duplicated == 0 &&
                     subs.missing == 0 && every_service;
  if (kills.empty())
    fmt::print("control run: no kills\n");
  else
    fmt::print("target (0 dropped, 0 changed, takeover p99 <= 2 s): {}\n",
               met ? "met" : "MISSED");
  if (!clean || o.keep_logs)
    std::cerr << "logs kept in " << sys.dir() << "\n";
  else
    std::filesystem::remove_all(sys.dir());
  return clean ? 0 : 1;
}

}  // namespace
}  // namespace sipcc::bench

int main(int argc, char** argv) {
  using namespace sipcc::bench;
  options o;
  o.system.members = 2;
  o.system.mwi = true;
  int agents = 0;
  CLI::App app{"Routed calls under load while members of every scaled service are killed"};
  app.add_option("--rate", o.rate, "offered calls/s")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--hold", o.hold_s, "customer hold time, seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--duration", o.duration_s, "seconds of new calls")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--kill-every", o.kill_every_s, "seconds between kills")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--kill-span", o.kill_span_s,
                 "kills happen up to this many seconds into the load (0: none, a control run)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--takeover-deadline", o.takeover_deadline_s,
                 "seconds to wait for a takeover before restarting the dead member anyway")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--restart-after", o.restart_after_s,
                 "seconds from the takeover to the dead member's restart")
      ->check(CLI::Range(0.0, 15.0))
      ->capture_default_str();
  app.add_option("--agents", agents,
                 "agents (Extensions logged in and Ready); default: rate x hold x 1.2")
      ->check(CLI::Range(1, 20000));
  add_system_options(app, o.system);
  app.add_flag("--keep-logs", o.keep_logs, "keep the run's folder (a failed run always keeps it)");
  CLI11_PARSE(app, argc, argv);
  install_signal_handlers();
  o.system.agents =
      agents > 0 ? agents : static_cast<int>(std::ceil(o.rate * o.hold_s * kAgentMargin));
  if (o.duration_s < o.kill_span_s)
    fmt::print("note: the load ends before the last kills\n");

  fmt::print("{} agents, {:g} calls/s, {:g} s hold, {} s of calls; 2 processes of presence, "
             "callctl, router, mwi; a kill every {} s up to {} s\n",
             o.system.agents, o.rate, o.hold_s, o.duration_s, o.kill_every_s, o.kill_span_s);
  std::fflush(stdout);
  int rc = 1;
  try {
    rc = run(o);
  } catch (const std::exception& e) {
    fmt::print("error: {}\n", e.what());
  }
  fmt::print("machine: {}\n", machine_line());
  fmt::print("command: {}\n", command_line(argc, argv));
  return rc;
}
