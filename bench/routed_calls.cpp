// bench/routed_calls: routed contact-center calls under sustained load.
//
// Per point (offered rate R calls/s for D seconds), on a fresh system:
// nats-server and the four services run as child processes (with --members N,
// N processes of presence, callctl and router each; bench_system), simulated
// Asterisks inside this process answer the presence SUBSCRIBEs (every agent
// phone registered and idle) and play the agent phones (180 + 200 at once), and
// SIPp plays Asterisk's trunk: customers call Routing Point 8000, hold for
// H seconds and hang up. The default router sends each call to the
// longest-idle Ready agent. The row printed for the point is measured from
// sipcc's own counters (setup latency at the edge, bus messages) and from
// /proc (CPU time of each process). See bench/README.md.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench_system.hpp"
#include "kamailio_anchor.hpp"

namespace sipcc::bench {
namespace {

using namespace std::chrono_literals;

struct options {
  std::vector<double> rates{50, 100, 200};
  int duration_s = 60;
  double hold_s = 5;
  int warmup_s = 5;
  system_options system;
  bool keep_logs = false;
  bool bus_detail = false;
  bool overload = false;
  bool anchor = true;
};

// ---- one point, one row ---------------------------------------------------------

struct row {
  std::string cells;
  std::string detail;  // --bus-detail's lines, empty without
  bool clean = false;
  double done_per_s = 0;
  int64_t lost = 0;  // established calls that did not end with their BYE's 200
  int64_t refused = 0;
};

// Bus messages per completed call of each service (its members together), by
// subject family, received and sent: where a call's messages go, and what a
// second member of a service hears that the first alone did not.
std::string bus_detail(const bench_system& sys, const bench_system::snapshot& before,
                       const bench_system::snapshot& after, double calls) {
  std::map<std::string, std::map<std::string, std::pair<int64_t, int64_t>>> by;  // service, family
  for (auto& m : sys.members()) {
    auto& a = after.counters.at(m.instance);
    auto& b = before.counters.at(m.instance);
    for (auto& [key, value] : a) {
      const bool in = key.first == "bus_in";
      if (!in && key.first != "bus_out")
        continue;
      auto was = b.find(key);
      const int64_t n = value - (was == b.end() ? 0 : was->second);
      auto& cell = by[m.service][key.second];
      (in ? cell.first : cell.second) += n;
    }
  }
  std::string out = fmt::format("  {:10} {:16} {:>8} {:>8}\n", "service", "family", "in/call",
                                "out/call");
  for (auto& [service, families] : by)
    for (auto& [family, n] : families)
      if ((n.first + n.second) / calls >= 0.005)
        out += fmt::format("  {:10} {:16} {:8.2f} {:8.2f}\n", service, family, n.first / calls,
                           n.second / calls);
  return out;
}

// One format for the header and the rows, so the columns always line up.
constexpr const char* kColumns =
    "{:>7} {:>7} {:>6} {:>6} {:>6} {:>4} {:>5} {:>6} {:>6} | {:>6} {:>8} {:>7} {:>6} {:>6} {:>6} | {:>8} | "
    "{:>6} {:>8} | {:>7} {:>7} {:>15} {:>10}";

std::string header() {
  return fmt::format("{:62}| {:^44} | {:8} | {:^15} |\n", "", "CPU ms per completed call", "",
                     "load, ms/call") +
         fmt::format(kColumns, "offered", "done/s", "calls", "failed", "503s", "lost", "stuck",
                     "p50ms", "p99ms",
                     "edge", "presence", "callctl", "router", "nats", "sipcc", "bus/call", "sipp",
                     "fake-ast", "others%", "retrans", "drops e/a/all", "stray+lost");
}

// One SIPp run of `calls` customers at `rate`; waits until it ends.
sipp_result run_customers(const bench_system& sys, const options& o, double rate, int64_t calls,
                          const std::string& name) {
  return sipp_customers(sys, rate, calls, o.hold_s, name).wait();
}

row run_point(const options& o, double rate) {
  row out;
  const double capacity = o.system.agents / (o.hold_s * kAgentMargin);
  if (rate > capacity) {
    out.cells =
        fmt::format("{:7g}  refused: {} agents with {:g} s hold carry {:.0f} calls/s at most",
                    rate, o.system.agents, o.hold_s, capacity);
    return out;
  }
  bench_system sys(o.system);
  const auto calls = static_cast<int64_t>(std::lround(rate * o.duration_s));
  bench_system::snapshot before, after;
  sipp_result sipp;
  int64_t stuck = 0;
  try {
    sys.start_services();
    sys.agents_ready();
    if (o.warmup_s > 0) {
      run_customers(sys, o, rate, static_cast<int64_t>(std::lround(rate * o.warmup_s)),
                    "warmup");
      sys.drain();
      sys.wait_routable(30s);
    }
    before = sys.take();
    sipp = run_customers(sys, o, rate, calls, "customers");
    stuck = sys.drain();
    after = sys.take();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()) + " (logs in " + sys.dir() + ")");
  }

  const double done = static_cast<double>(sipp.successful);
  out.lost = sipp.established - sipp.successful;
  out.refused = sipp.refused;
  // The calls were carried over the run less the last call's hold; longer
  // than --duration when sipcc (or SIPp) fell behind.
  const double span_s = std::max<double>(o.duration_s, sipp.seconds - o.hold_s);
  auto per_call = [&](double total) {
    return done > 0 ? fmt::format("{:.2f}", total / done) : std::string("-");
  };
  const double tick_ms = 1000.0 / clock_ticks();
  auto cpu_ms = [&](const std::string& proc) {
    return static_cast<double>(after.ticks[proc] - before.ticks[proc]) * tick_ms;
  };
  // A service's CPU is its members' together.
  std::map<std::string, double> service_ms;
  double sipcc_ms = 0;
  int64_t bus_out = 0, stray_legs = 0, lost_legs = 0;
  for (auto& m : sys.members()) {
    service_ms[m.service] += cpu_ms(m.instance);
    sipcc_ms += cpu_ms(m.instance);
    auto& a = after.counters[m.instance];
    auto& b = before.counters[m.instance];
    bus_out += sum_of(a, "bus_out") - sum_of(b, "bus_out");
    stray_legs += value_of(a, "audit_fixes", "stray_leg") - value_of(b, "audit_fixes", "stray_leg");
    lost_legs += value_of(a, "audit_fixes", "lost_leg") - value_of(b, "audit_fixes", "lost_leg");
  }
  sipcc_ms += cpu_ms("nats");
  const double sipp_ms = after.children_ms - before.children_ms;
  const double self_ms = after.self_ms - before.self_ms;
  // What the rest of the machine used meanwhile, in % of one core.
  const double host_ms = static_cast<double>(after.host.busy - before.host.busy) * tick_ms;
  const double wall_ms =
      std::chrono::duration<double, std::milli>(after.at - before.at).count();
  const double others = std::max(0.0, host_ms - sipcc_ms - sipp_ms - self_ms) / wall_ms * 100;

  auto latency =
      latency_between(before.counters[bench_system::kEdge], after.counters[bench_system::kEdge]);
  out.cells = fmt::format(
      kColumns, fmt::format("{:g}", rate), fmt::format("{:.1f}", done / span_s), calls,
      sipp.failed, sipp.refused, out.lost, stuck, quantile_ms(latency, 0.5), quantile_ms(latency, 0.99),
      per_call(service_ms["sip-edge"]), per_call(service_ms["presence"]),
      per_call(service_ms["callctl"]), per_call(service_ms["router"]), per_call(cpu_ms("nats")),
      per_call(sipcc_ms), per_call(static_cast<double>(bus_out)), per_call(sipp_ms),
      per_call(self_ms), fmt::format("{:.0f}", others), sipp.retransmissions,
      fmt::format("{}/{}/{}", after.edge_drops - before.edge_drops,
                  after.asterisk_drops - before.asterisk_drops, after.udp_drops - before.udp_drops),
      fmt::format("{}+{}", stray_legs, lost_legs));
  if (!sipp.refusal_ms.empty()) {
    auto& ms = sipp.refusal_ms;
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))]; };
    const auto fast = std::upper_bound(ms.begin(), ms.end(), 5.0) - ms.begin();
    out.detail += fmt::format(
        "  503s as SIPp saw them (INVITE out to 503 in): p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} "
        "ms; {:.1f}% within 5 ms\n",
        at(0.5), at(0.99), ms.back(), 100.0 * static_cast<double>(fast) / ms.size());
  }
  if (o.bus_detail && done > 0)
    out.detail += bus_detail(sys, before, after, done);
  out.done_per_s = done / span_s;
  // Refusals are load shed, not failures: an overload point is clean when
  // every call taken was carried whole.
  out.clean = sipp.failed == 0 && stuck == 0 && out.lost == 0;
  if (!out.clean || o.keep_logs)
    std::cerr << "point " << rate << " calls/s: logs kept in " << sys.dir() << "\n";
  else
    std::filesystem::remove_all(sys.dir());
  return out;
}

}  // namespace
}  // namespace sipcc::bench

int main(int argc, char** argv) {
  using namespace sipcc::bench;
  options o;
  CLI::App app{"Routed contact-center calls under load: a table per offered rate"};
  app.add_option("--rates", o.rates, "offered rates, calls/s")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--duration", o.duration_s, "seconds of calls per point")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--hold", o.hold_s, "customer hold time, seconds")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--agents", o.system.agents, "agents (Extensions logged in and Ready)")
      ->check(CLI::Range(1, 20000))
      ->capture_default_str();
  app.add_option("--warmup", o.warmup_s, "seconds of calls before each point, not measured")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--members", o.system.members,
                 "processes of each scaled service (presence, callctl, router)")
      ->check(CLI::Range(1, 8))
      ->capture_default_str();
  add_system_options(app, o.system);
  app.add_flag("--bus-detail", o.bus_detail,
               "after each row, bus messages per call of each service by subject family");
  app.add_flag("--overload", o.overload,
               "after the rates, offer twice the highest rate carried with no call refused, "
               "failed or lost (the clean capacity), and say the goodput against it");
  app.add_flag("--anchor,!--no-anchor", o.anchor,
               "a reference line: Kamailio as a stateful proxy between two SIPp at the highest "
               "rate, same duration and hold (when `kamailio` is installed)");
  app.add_flag("--keep-logs", o.keep_logs, "keep every point's folder (failed points always are)");
  CLI11_PARSE(app, argc, argv);
  install_signal_handlers();

  fmt::print("capacity: {} agents / ({:g} s hold x {:g} margin) = {:.0f} calls/s; {} process(es) "
             "of each scaled service\n",
             o.system.agents, o.hold_s, kAgentMargin, o.system.agents / (o.hold_s * kAgentMargin),
             o.system.members);
  fmt::print("{}\n", header());
  std::fflush(stdout);
  bool all_clean = true;
  double capacity = 0, capacity_done = 0;  // the highest clean rate, and its calls done/s
  auto point = [&](double rate) -> std::optional<row> {
    try {
      auto r = run_point(o, rate);
      all_clean = all_clean && r.clean;
      fmt::print("{}\n{}", r.cells, r.detail);
      std::fflush(stdout);
      return r;
    } catch (const std::exception& e) {
      all_clean = false;
      fmt::print("{:7g}  error: {}\n", rate, e.what());
      std::fflush(stdout);
      return std::nullopt;
    }
  };
  for (double rate : o.rates) {
    auto r = point(rate);
    if (r && r->clean && r->refused == 0 && rate > capacity && r->done_per_s >= rate * 0.99) {
      capacity = rate;
      capacity_done = r->done_per_s;
    }
    if (g_stop)
      break;
  }
  if (o.overload && !g_stop) {
    if (capacity == 0) {
      fmt::print("overload: no rate was carried clean, no capacity to double\n");
      all_clean = false;
    } else if (auto r = point(2 * capacity)) {
      fmt::print("overload: {:g} calls/s offered (2 x {:g}): {:.1f} done/s, {:.0f}% of the clean "
                 "capacity's {:.1f}; {} established call(s) lost\n",
                 2 * capacity, capacity, r->done_per_s, 100 * r->done_per_s / capacity_done,
                 capacity_done, r->lost);
    }
  }
  if (o.anchor && !g_stop && !o.rates.empty()) {
    const double rate = *std::max_element(o.rates.begin(), o.rates.end());
    try {
      if (auto a = kamailio_anchor(rate, o.duration_s, o.hold_s))
        fmt::print("anchor: {}, a stateful proxy (t_relay, record-routed, 2 workers) between two "
                   "SIPp, {:g} calls/s for {} s, {:g} s hold: {:.1f} done/s, {} of {} failed; "
                   "CPU ms per call: kamailio {:.2f}, sipp {:.2f}\n",
                   a->version, rate, o.duration_s, o.hold_s, a->done_per_s, a->failed, a->calls,
                   a->proxy_ms, a->sipp_ms);
      else
        fmt::print("anchor: kamailio is not installed (apt-get install kamailio)\n");
    } catch (const std::exception& e) {
      fmt::print("anchor: error: {}\n", e.what());
    }
  }
  fmt::print("machine: {}\n", machine_line());
  fmt::print("command: {}\n", command_line(argc, argv));
  return all_clean ? 0 : 1;
}
