// bench/startup: how long a cold start takes to bring every DN into service,
// and what each DN costs in memory.
//
// Per point (N DNs): a fresh nats-server, sip-edge and presence (the test
// fixture's system), the simulated Asterisk answering each presence
// SUBSCRIBE with 200 and an "open" NOTIFY; with --list-size, the DNs are
// members of RFC 4662 resource lists of that size, one SUBSCRIBE per list,
// whose full-state NOTIFY shows every member open. The clock starts when the services
// are launched; the point is done when presence reports all N DNs in service
// (its ALL_DNS state, polled). Memory is each process's resident set once all
// are in service and again --settle seconds later (default 11: a trim period
// of the services'); per DN it is the later's growth over the first point's,
// divided by the DNs added. See bench/README.md.

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sipcc/bus.hpp"
#include "sipcc/config.hpp"
#include "sipcc/service.hpp"
#include "sipcc_fixture.hpp"

namespace sipcc::bench {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct options {
  std::vector<int> dns = {1, 10000};
  double subscribe_rate = 500;
  int deadline_s = 120;
  int list_size = 0;  // 0: one SUBSCRIBE per DN
  int settle_s = 11;   // all in service -> the settled memory reading
  std::string log_level = "info";  // the services', as deployed
};

struct point {
  int dns = 0;
  double ready_s = 0;        // services launched -> both announced ready
  double all_in_s = -1;      // services launched -> every DN in service; -1: not within the deadline
  int in_service = 0;        // at the end of the point
  int64_t subscribes = 0;    // SUBSCRIBEs the simulated Asterisk received
  int64_t no_first_notify = 0;
  double presence_peak_kb = 0;  // resident set once all are in service
  double edge_peak_kb = 0;
  double presence_kb = 0;       // resident set a trim period later (settled)
  double edge_kb = 0;
};

int in_service(bus& nats) {
  auto reply = query_dn_states(nats, 5s);
  int n = 0;
  if (reply)
    for (const auto& dn : reply->dns())
      n += dn.in_service();
  return n;
}

point run_point(const options& o, int dns) {
  test::system_options opts;
  opts.dns.clear();
  std::vector<std::string> numbers;
  for (int i = 0; i < dns; ++i)
    numbers.push_back(std::to_string(100000 + i));
  for (const auto& n : numbers)
    opts.dns.emplace_back(n);
  std::map<std::string, std::vector<std::string>> lists;
  if (o.list_size > 0) {
    opts.presence_extra = "  resource-lists:\n";
    for (int i = 0; i < dns; i += o.list_size) {
      auto& members = lists["list" + std::to_string(i / o.list_size)];
      members.assign(numbers.begin() + i, numbers.begin() + std::min(dns, i + o.list_size));
      opts.presence_extra += fmt::format("    - {{ name: list{}, package: presence, dns: [\"{}\"] }}\n",
                                         i / o.list_size, fmt::join(members, "\", \""));
    }
  }
  opts.agents.clear();
  opts.subscribe_rate = static_cast<int>(o.subscribe_rate);
  opts.subscribe_expires = 3600;  // no refresh during a point
  opts.audit_interval_ms = 10000;
  opts.log_level = o.log_level;
  test::sipcc_system sys(opts);
  sys.asterisk().set_default_initial_notify("presence", "presence-notify-open.sip");
  for (auto& [name, members] : lists)
    sys.asterisk().set_list(name, std::move(members));

  point p;
  p.dns = dns;
  const auto t0 = clock_type::now();
  auto seconds_since = [&] {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
  };
  sys.start_services();
  p.ready_s = seconds_since();
  bus nats(sys.nats_url(), "bench-startup");
  const auto until = t0 + std::chrono::seconds(o.deadline_s);
  while (clock_type::now() < until) {
    p.in_service = in_service(nats);
    if (p.in_service == dns) {
      p.all_in_s = seconds_since();
      break;
    }
    // Polled: nothing announces "all in service".
    std::this_thread::sleep_for(100ms);
  }
  for (const auto& r : sys.asterisk().received())
    p.subscribes += r.method == "SUBSCRIBE";
  p.no_first_notify = sys.counter("presence-0", "no_first_notify", "single") +
                      sys.counter("presence-0", "no_first_notify", "list");
  p.presence_peak_kb = test::rss_kb(sys.service_pid("presence"));
  p.edge_peak_kb = test::rss_kb(sys.service_pid("sip-edge"));
  // Each service gives freed heap back every 10 s (heap_trim.hpp): what a DN
  // costs is what stays after the start-up burst.
  std::this_thread::sleep_for(std::chrono::seconds(o.settle_s));
  p.presence_kb = test::rss_kb(sys.service_pid("presence"));
  p.edge_kb = test::rss_kb(sys.service_pid("sip-edge"));
  return p;
}

}  // namespace
}  // namespace sipcc::bench

int main(int argc, char** argv) {
  using namespace sipcc::bench;
  options o;
  CLI::App app{"sipcc start-up benchmark: time to every DN in service, memory per DN"};
  app.add_option("--dns", o.dns, "DN counts, one row each; the first is the memory baseline")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--subscribe-rate", o.subscribe_rate, "presence.subscribe-rate (20..500)")
      ->capture_default_str();
  app.add_option("--deadline", o.deadline_s, "seconds a point may take")->capture_default_str();
  app.add_option("--list-size", o.list_size,
                 "DNs per RFC 4662 resource list (1..100, one SUBSCRIBE per list); 0: none")
      ->check(CLI::Range(0, static_cast<int>(sipcc::k_max_udp_list_dns)))
      ->capture_default_str();
  app.add_option("--settle", o.settle_s,
                 "seconds from all in service to the settled memory reading")
      ->check(CLI::Range(0, 600))
      ->capture_default_str();
  app.add_option("--log-level", o.log_level, "log level of the services")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::cout << fmt::format("subscribe-rate {}/s, ", o.subscribe_rate)
            << (o.list_size > 0
                    ? fmt::format("resource lists of {} DNs, one SUBSCRIBE per list\n", o.list_size)
                    : std::string("one SUBSCRIBE per DN (no resource lists)\n"))
            << fmt::format(
                   "{:>7} {:>8} {:>10} {:>10} {:>10} {:>8} | {:>11} {:>9} | {:>11} {:>9} | {:>9} "
                   "{:>8}\n",
                   "DNs", "ready s", "all in s", "in service", "SUBSCRIBEs", "no-1st",
                   "presence MB", "edge MB", fmt::format("presence {}s", o.settle_s),
                   fmt::format("edge {}s", o.settle_s), "pres KB/DN",
                   "edge KB/DN");
  std::vector<point> rows;
  int failed = 0;
  for (int dns : o.dns) {
    auto p = run_point(o, dns);
    std::string per_presence = "-", per_edge = "-";
    if (!rows.empty() && p.dns > rows.front().dns) {
      const double added = p.dns - rows.front().dns;
      per_presence = fmt::format("{:.2f}", (p.presence_kb - rows.front().presence_kb) / added);
      per_edge = fmt::format("{:.2f}", (p.edge_kb - rows.front().edge_kb) / added);
    }
    std::cout << fmt::format(
                     "{:>7} {:>8.2f} {:>10} {:>10} {:>10} {:>8} | {:>11.1f} {:>9.1f} | {:>12.1f} "
                     "{:>9.1f} | {:>9} {:>8}\n",
                     p.dns, p.ready_s,
                     p.all_in_s < 0 ? std::string(">deadline") : fmt::format("{:.2f}", p.all_in_s),
                     p.in_service, p.subscribes, p.no_first_notify, p.presence_peak_kb / 1024,
                     p.edge_peak_kb / 1024, p.presence_kb / 1024, p.edge_kb / 1024, per_presence,
                     per_edge)
              << std::flush;
    failed += p.in_service != p.dns;
    rows.push_back(p);
  }
  return failed ? 1 : 0;
}
