// bench/routed_calls: routed contact-center calls under sustained load.
//
// Per point (offered rate R calls/s for D seconds), on a fresh system:
// nats-server and the four services run as child processes, simulated
// Asterisks inside this process answer the presence SUBSCRIBEs (every agent
// phone registered and idle) and play the agent phones (180 + 200 at once), and
// SIPp plays Asterisk's trunk: customers call Routing Point 8000, hold for
// H seconds and hang up. The default router sends each call to the
// longest-idle Ready agent. The row printed for the point is measured from
// sipcc's own counters (setup latency at the edge, bus messages) and from
// /proc (CPU time of each process). See bench/README.md.
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "fake_asterisk.hpp"
#include "sipcc/bus.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/v1/ops.pb.h"
#include "sipcc/v1/state.pb.h"
#include "sipcc/v1/tlib.pb.h"
#include "sipcc_fixture.hpp"

namespace sipcc::bench {
namespace {

using namespace std::chrono_literals;
using test::child_process;
using clock_type = std::chrono::steady_clock;

constexpr const char* kRoutingPoint = "8000";
constexpr int kFirstAgentDn = 3000;
// Agents must carry rate * hold with this much slack: an agent is also busy
// while its call is set up and torn down, and the router needs some Ready.
constexpr double kAgentMargin = 1.2;
// Per-step SIP timeout of SIPp, and how long a finished point may take to
// drain (callctl's call actors and the edge's legs back to 0): both above the
// edge's 64*T1 (32 s), so a stuck leg is a leg sipcc never ends.
constexpr auto kRecvTimeout = 35s;
constexpr auto kDrainDeadline = 45s;

// Set by SIGINT/SIGTERM; every wait below checks it, so the destructors
// still stop every child.
std::atomic<bool> g_stop{false};

void check_stop() {
  if (g_stop)
    throw std::runtime_error("interrupted");
}

struct options {
  std::vector<double> rates{50, 100, 200};
  int duration_s = 60;
  double hold_s = 5;
  int agents = 1200;
  int warmup_s = 5;
  int asterisks = 4;
  std::string log_level = "info";
  bool keep_logs = false;
};

// ---- /proc and rusage --------------------------------------------------------

long clock_ticks() { return ::sysconf(_SC_CLK_TCK); }

// utime + stime of a live process, in clock ticks; 0 if it is gone.
int64_t process_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name is in parentheses and may hold spaces: fields are
  // counted after the last ')'; utime and stime are fields 14 and 15.
  auto close = text.rfind(')');
  if (close == std::string::npos)
    return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  int64_t utime = 0, stime = 0;
  for (int field = 3; field <= 15 && fields >> f; ++field) {
    if (field == 14)
      utime = std::stoll(f);
    if (field == 15)
      stime = std::stoll(f);
  }
  return utime + stime;
}

// CPU of this process (the simulated Asterisk's thread, mostly) or of its
// reaped children (SIPp, the only child that ends during a point), in ms.
double rusage_ms(int who) {
  rusage u{};
  ::getrusage(who, &u);
  auto ms = [](const timeval& t) { return t.tv_sec * 1000.0 + t.tv_usec / 1000.0; };
  return ms(u.ru_utime) + ms(u.ru_stime);
}

// Busy and total jiffies of the whole machine, to see what others used.
struct host_cpu {
  int64_t busy = 0, total = 0;
};
host_cpu read_host_cpu() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;
  host_cpu h;
  int64_t v = 0;
  for (int i = 0; i < 10 && in >> v; ++i) {
    h.total += v;
    if (i != 3 && i != 4)  // idle, iowait
      h.busy += v;
  }
  return h;
}

// UDP datagrams the kernel dropped for a full receive buffer, machine-wide
// (the "Udp:" header and value lines of /proc/net/snmp).
int64_t udp_receive_drops() {
  std::ifstream in("/proc/net/snmp");
  std::string line;
  std::vector<std::string> names;
  while (std::getline(in, line)) {
    if (line.rfind("Udp: ", 0) != 0)
      continue;
    std::istringstream fields(line.substr(5));
    std::vector<std::string> row{std::istream_iterator<std::string>(fields), {}};
    if (names.empty()) {
      names = row;
      continue;
    }
    for (std::size_t i = 0; i < names.size() && i < row.size(); ++i)
      if (names[i] == "RcvbufErrors")
        return std::stoll(row[i]);
  }
  return 0;
}

// Datagrams dropped on the UDP socket bound to 127.0.0.1:port (the last
// column of /proc/net/udp); 0 when there is none.
int64_t udp_socket_drops(uint16_t port) {
  std::ifstream in("/proc/net/udp");
  const std::string local = fmt::format("0100007F:{:04X}", port);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::vector<std::string> row{std::istream_iterator<std::string>(fields), {}};
    if (row.size() > 2 && row[1] == local)
      return std::stoll(row.back());
  }
  return 0;
}

// The value of the first "key<tab>: value" line of /proc/cpuinfo.
std::string cpuinfo(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0 && line.find(':') != std::string::npos)
      return line.substr(line.find(':') + 2);
  return "unknown";
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

// ---- sipcc's counters ----------------------------------------------------------

using counter_map = std::map<std::pair<std::string, std::string>, int64_t>;  // (name, label)

counter_map query_counters(bus& b, const std::string& instance) {
  v1::CounterQuery q;
  q.set_schema(v1::SCHEMA_V1);
  v1::CounterSet cs;
  // A service still working off a backlog answers late: a few tries.
  bool answered = false;
  for (int attempt = 0; attempt < 3 && !answered; ++attempt) {
    check_stop();
    auto reply = b.request(subj::ops_counters(instance), q, 5s);
    answered = reply && cs.ParseFromString(*reply);
  }
  if (!answered)
    throw std::runtime_error(instance + " does not answer its counter query");
  counter_map out;
  for (auto& c : cs.counters())
    out[{c.name(), c.label()}] = c.value();
  return out;
}

int64_t sum_of(const counter_map& m, const std::string& name) {
  int64_t sum = 0;
  for (auto& [key, value] : m)
    if (key.first == name)
      sum += value;
  return sum;
}

int64_t value_of(const counter_map& m, const std::string& name, const std::string& label) {
  auto it = m.find({name, label});
  return it == m.end() ? 0 : it->second;
}

// Setup latency percentile, in ms, from the difference of two snapshots of
// the edge's histogram: the upper bound of the bucket holding the quantile
// (buckets grow by 1.25x, so this is at most 25% above the true value).
struct histogram {
  std::vector<std::pair<int64_t, int64_t>> buckets;  // (bound us, -1 = inf; count)
  int64_t total = 0;
};
histogram latency_between(const counter_map& before, const counter_map& after) {
  histogram h;
  for (auto& [key, value] : after) {
    if (key.first != "setup_latency")
      continue;
    int64_t n = value - value_of(before, key.first, key.second);
    if (n > 0) {
      h.buckets.emplace_back(latency_bucket_bound(key.second), n);
      h.total += n;
    }
  }
  std::sort(h.buckets.begin(), h.buckets.end(), [](auto& a, auto& b) {
    return (a.first < 0 ? INT64_MAX : a.first) < (b.first < 0 ? INT64_MAX : b.first);
  });
  return h;
}
std::string quantile_ms(const histogram& h, double q) {
  if (h.total == 0)
    return "-";
  int64_t seen = 0;
  for (auto& [bound, n] : h.buckets) {
    seen += n;
    if (seen >= std::ceil(q * static_cast<double>(h.total)))
      return bound < 0 ? ">10000" : fmt::format("{:.2f}", bound / 1000.0);
  }
  return "-";
}

// ---- SIPp ------------------------------------------------------------------------

// The last line of SIPp's -trace_stat file: cumulative counts, by column.
std::map<std::string, std::string> sipp_final_stats(const std::string& path) {
  std::ifstream in(path);
  std::string header, line, last;
  std::getline(in, header);
  while (std::getline(in, line))
    if (!line.empty())
      last = line;
  std::map<std::string, std::string> out;
  std::istringstream h(header), v(last);
  std::string name, value;
  while (std::getline(h, name, ';') && std::getline(v, value, ';'))
    out[name] = value;
  return out;
}

int64_t stat_count(const std::map<std::string, std::string>& stats, const std::string& name) {
  auto it = stats.find(name);
  return it == stats.end() || it->second.empty() ? 0 : std::stoll(it->second);
}

// ---- the system under test ------------------------------------------------------

std::string agent_dn(int i) { return std::to_string(kFirstAgentDn + i); }
std::string agent_id(int i) { return "agent" + agent_dn(i); }

// Agent i's phone is behind simulated Asterisk i % N: each DN's contact
// names its instance, so SUBSCRIBE and INVITE both go there. The SIPp trunk
// calls from `trunk_port`, a trusted Asterisk peer.
std::string make_config(const options& o, uint16_t nats_port, uint16_t edge_port,
                        uint16_t trunk_port, const std::vector<uint16_t>& asterisk_ports) {
  std::ostringstream y;
  y << "bus: { nats-url: nats://127.0.0.1:" << nats_port << " }\n"
    << "sip-edge: { id: edge1, bind: 127.0.0.1:" << edge_port << " }\n"
    << "asterisk: { address: 127.0.0.1:" << asterisk_ports.front() << ", peers: [ 127.0.0.1:"
    << trunk_port << " ] }\n"
    // No refresh during a point. The fake Asterisk does not re-send a lost
    // NOTIFY, so the start-up burst of SUBSCRIBEs is kept moderate.
    << "presence: { instance: presence-0, subscribe-rate: 500, subscribe-expires: 3600 }\n"
    << "agent-logins:\n";
  for (int i = 0; i < o.agents; ++i)
    y << "  - { id: " << agent_id(i) << " }\n";
  y << "agent-groups:\n  - name: Bench\n    members: [";
  for (int i = 0; i < o.agents; ++i)
    y << (i ? ", " : "") << agent_id(i);
  y << "]\ndns:\n";
  for (int i = 0; i < o.agents; ++i)
    y << "  - { number: \"" << agent_dn(i) << "\", type: Extension, contact: \"sip:"
      << agent_dn(i) << "@127.0.0.1:" << asterisk_ports[i % asterisk_ports.size()] << "\" }\n";
  // No default-dn: a call nobody routes within router-timeout gets 480 and
  // shows up as a failed call.
  y << "  - { number: \"" << kRoutingPoint
    << "\", type: RoutingPoint, options: { agent-group: Bench, router-timeout: 30 } }\n";
  return y.str();
}

class bench_system {
public:
  explicit bench_system(const options& o) : opts_(o) {
    char tmpl[] = "/tmp/sipcc-bench-XXXXXX";
    if (!::mkdtemp(tmpl))
      throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    nats_port_ = test::free_port(SOCK_STREAM);
    edge_port_ = test::free_port(SOCK_DGRAM);
    trunk_port_ = test::free_port(SOCK_DGRAM);
    config_ = dir_ + "/sipcc.yaml";
    std::vector<uint16_t> ports;
    for (int k = 0; k < o.asterisks; ++k) {
      auto& a = *asterisks_.emplace_back(std::make_unique<test::fake_asterisk>());
      a.set_default_initial_notify("presence", "presence-notify-open.sip");
      ports.push_back(a.port());
    }
    for (int i = 0; i < o.agents; ++i)
      asterisks_[i % asterisks_.size()]->set_call_policy(agent_dn(i),
                                                         test::call_policy::auto_answer());
    std::ofstream(config_) << make_config(o, nats_port_, edge_port_, trunk_port_, ports);

    nats_ = std::make_unique<child_process>(
        std::vector<std::string>{"nats-server", "-a", "127.0.0.1", "-p",
                                 std::to_string(nats_port_), "-js", "-sd", dir_ + "/nats-data"},
        dir_ + "/nats");
    bus_ = std::make_unique<bus>(nats_url(), "bench");
    bus_->subscribe("sipcc.ops.*.ready", [this](bus_msg m) {
      v1::ServiceReady r;
      if (!r.ParseFromString(m.data))
        return;
      std::lock_guard<std::mutex> g(mu_);
      ready_.insert(r.instance());
      cv_.notify_all();
    });
    bus_->flush();
  }

  ~bench_system() {
    services_.clear();
    bus_.reset();
    nats_.reset();
  }

  void start_services() {
    for (auto& [svc, inst] : kServices)
      services_.emplace_back(
          inst, std::make_unique<child_process>(
                    std::vector<std::string>{std::string(SIPCC_BINARY_DIR) + "/services/" + svc +
                                                 "/" + svc,
                                             "--config", config_, "--nats", nats_url(),
                                             "--log-level", opts_.log_level},
                    dir_ + "/" + svc,
                    // Member services (callctl, router) take their bus name
                    // from it: the table reads each by that name.
                    child_process::environment{{"SIPCC_INSTANCE", inst}}));
    std::unique_lock<std::mutex> g(mu_);
    for (auto& [svc, inst] : kServices)
      if (!cv_.wait_for(g, 15s, [&] { return ready_.count(inst) > 0 || g_stop; }) || g_stop)
        throw std::runtime_error(inst + " did not become ready");
  }

  // TAgentLogin + TAgentSetReady on every agent DN, then waits until
  // presence reports each of them routable.
  void agents_ready() {
    for (int i = 0; i < opts_.agents; ++i) {
      check_stop();
      request(agent_dn(i), v1::TAgentLogin, agent_id(i));
      request(agent_dn(i), v1::TAgentSetReady, agent_id(i));
    }
    auto routable = wait_routable(60s);
    if (routable != opts_.agents)
      throw std::runtime_error(
          fmt::format("only {} of {} agents routable", routable, opts_.agents));
  }

  // Polls until every agent DN is routable or the deadline; the count.
  int wait_routable(std::chrono::milliseconds deadline) {
    auto until = clock_type::now() + deadline;
    int routable = 0;
    while (clock_type::now() < until) {
      check_stop();
      v1::StateQuery q;
      q.set_schema(v1::SCHEMA_V1);
      q.set_kind(v1::StateQuery::ALL_DNS);
      auto reply = bus_->request(subj::state_query, q, 5s);
      v1::StateReply r;
      routable = 0;
      if (reply && r.ParseFromString(*reply))
        for (auto& dn : r.dns())
          routable += dn.routable() && dn.type() == v1::Extension;
      if (routable == opts_.agents)
        break;
      std::this_thread::sleep_for(200ms);  // state is polled: nothing announces "all routable"
    }
    return routable;
  }

  // Waits until callctl has no call and the edge no leg; what is left.
  int64_t drain() {
    auto until = clock_type::now() + kDrainDeadline;
    int64_t left = 0;
    while (clock_type::now() < until) {
      check_stop();
      left = value_of(query_counters(*bus_, "callctl-0"), "actors", "call") +
             value_of(query_counters(*bus_, "edge1"), "actors", "edge_legs");
      if (left == 0)
        break;
      std::this_thread::sleep_for(200ms);  // gauges are polled
    }
    return left;
  }

  // Every measure of the system at one instant.
  struct snapshot {
    std::map<std::string, counter_map> counters;  // by instance
    std::map<std::string, int64_t> ticks;          // by process name
    double self_ms = 0, children_ms = 0;
    host_cpu host;
    int64_t udp_drops = 0, edge_drops = 0, asterisk_drops = 0;
    clock_type::time_point at;
  };

  snapshot take() {
    snapshot s;
    for (auto& [svc, inst] : kServices)
      s.counters[inst] = query_counters(*bus_, inst);
    for (auto& [inst, proc] : services_)
      s.ticks[inst] = process_ticks(proc->pid());
    s.ticks["nats"] = process_ticks(nats_->pid());
    s.self_ms = rusage_ms(RUSAGE_SELF);
    s.children_ms = rusage_ms(RUSAGE_CHILDREN);
    s.host = read_host_cpu();
    s.udp_drops = udp_receive_drops();
    s.edge_drops = udp_socket_drops(edge_port_);
    for (auto& a : asterisks_)
      s.asterisk_drops += udp_socket_drops(a->port());
    s.at = clock_type::now();
    return s;
  }

  std::string nats_url() const { return "nats://127.0.0.1:" + std::to_string(nats_port_); }
  uint16_t edge_port() const { return edge_port_; }
  uint16_t trunk_port() const { return trunk_port_; }
  const std::string& dir() const { return dir_; }

  static inline const std::vector<std::pair<std::string, std::string>> kServices = {
      {"sip-edge", "edge1"}, {"presence", "presence-0"}, {"callctl", "callctl-0"},
      {"router", "router-0"}};

private:
  void request(const std::string& dn, v1::RequestType type, const std::string& agent) {
    v1::TRequest r;
    r.set_schema(v1::SCHEMA_V1);
    r.set_type(type);
    r.set_this_dn(dn);
    r.set_agent_id(agent);
    r.set_reference_id("bench");
    auto reply = bus_->request(subj::tlib_req(type, dn), r, 5s);
    v1::TEvent ev;
    if (!reply || !ev.ParseFromString(*reply) || ev.type() == v1::EventError)
      throw std::runtime_error(
          fmt::format("{} on DN {} failed", v1::RequestType_Name(type), dn));
  }

  const options& opts_;
  std::string dir_, config_;
  uint16_t nats_port_ = 0, edge_port_ = 0, trunk_port_ = 0;
  std::vector<std::unique_ptr<test::fake_asterisk>> asterisks_;
  std::unique_ptr<child_process> nats_;
  std::unique_ptr<bus> bus_;
  std::vector<std::pair<std::string, std::unique_ptr<child_process>>> services_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> ready_;
};

struct sipp_result {
  int exit_code = -1;
  double seconds = 0;  // from start to exit
  int64_t successful = 0, failed = 0, retransmissions = 0;
};

// One SIPp run of `calls` customers at `rate`; waits until it ends.
sipp_result run_customers(const bench_system& sys, const options& o, double rate, int64_t calls,
                          const std::string& name) {
  const std::string prefix = sys.dir() + "/" + name;
  const int hold_ms = static_cast<int>(std::lround(o.hold_s * 1000));
  // Wide enough never to throttle: SIPp slows the rate down at the limit.
  const auto limit = static_cast<int64_t>(
      rate * (o.hold_s + std::chrono::duration<double>(kRecvTimeout).count())) + 10;
  const int timeout_s = static_cast<int>(static_cast<double>(calls) / rate + o.hold_s) + 60;
  const std::string scenario =
      std::string(SIPCC_SOURCE_DIR) + "/tests/sipp/customers-call-rp-hold-and-hang-up.xml";
  child_process sipp(
      {"sipp", "-sf", scenario, "-s", kRoutingPoint,
       "-i", "127.0.0.1", "-p", std::to_string(sys.trunk_port()),
       "-r", fmt::format("{:g}", rate), "-rp", "1000", "-m", std::to_string(calls),
       "-l", std::to_string(limit), "-d", std::to_string(hold_ms),
       "-recv_timeout", std::to_string(std::chrono::milliseconds(kRecvTimeout).count()),
       "-timeout", std::to_string(timeout_s) + "s", "-nostdin",
       "-trace_stat", "-stf", prefix + ".csv", "-fd", "1",
       "-trace_screen", "-screen_file", prefix + ".screen",
       "-trace_err", "-error_file", prefix + ".errors",
       "127.0.0.1:" + std::to_string(sys.edge_port())},
      prefix);
  sipp_result r;
  const auto start = clock_type::now();
  auto until = start + std::chrono::seconds(timeout_s + 15);
  while (r.exit_code == -1 && clock_type::now() < until) {
    check_stop();
    r.exit_code = sipp.wait_exit(1s);
  }
  if (r.exit_code == -1)
    throw std::runtime_error("sipp did not end");
  r.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  auto stats = sipp_final_stats(prefix + ".csv");
  r.successful = stat_count(stats, "SuccessfulCall(C)");
  r.failed = calls - r.successful;  // failed, timed out or never placed
  r.retransmissions = stat_count(stats, "Retransmissions(C)");
  return r;
}

// ---- one point, one row ---------------------------------------------------------

struct row {
  std::string cells;
  bool clean = false;
};

// One format for the header and the rows, so the columns always line up.
constexpr const char* kColumns =
    "{:>7} {:>7} {:>6} {:>6} {:>5} {:>6} {:>6} | {:>6} {:>8} {:>7} {:>6} {:>6} {:>6} | {:>8} | "
    "{:>6} {:>8} | {:>7} {:>7} {:>15} {:>10}";

std::string header() {
  return fmt::format("{:50}| {:^44} | {:8} | {:^15} |\n", "", "CPU ms per completed call", "",
                     "load, ms/call") +
         fmt::format(kColumns, "offered", "done/s", "calls", "failed", "stuck", "p50ms", "p99ms",
                     "edge", "presence", "callctl", "router", "nats", "sipcc", "bus/call", "sipp",
                     "fake-ast", "others%", "retrans", "drops e/a/all", "stray+lost");
}

row run_point(const options& o, double rate) {
  row out;
  const double capacity = o.agents / (o.hold_s * kAgentMargin);
  if (rate > capacity) {
    out.cells =
        fmt::format("{:7g}  refused: {} agents with {:g} s hold carry {:.0f} calls/s at most",
                    rate, o.agents, o.hold_s, capacity);
    return out;
  }
  bench_system sys(o);
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
  double sipcc_ms = 0;
  int64_t bus_out = 0, stray_legs = 0, lost_legs = 0;
  for (auto& [svc, inst] : bench_system::kServices) {
    sipcc_ms += cpu_ms(inst);
    auto& a = after.counters[inst];
    auto& b = before.counters[inst];
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

  auto latency = latency_between(before.counters["edge1"], after.counters["edge1"]);
  out.cells = fmt::format(
      kColumns, fmt::format("{:g}", rate), fmt::format("{:.1f}", done / span_s), calls,
      sipp.failed, stuck, quantile_ms(latency, 0.5),
      quantile_ms(latency, 0.99), per_call(cpu_ms("edge1")), per_call(cpu_ms("presence-0")),
      per_call(cpu_ms("callctl-0")), per_call(cpu_ms("router-0")), per_call(cpu_ms("nats")),
      per_call(sipcc_ms), per_call(static_cast<double>(bus_out)), per_call(sipp_ms),
      per_call(self_ms), fmt::format("{:.0f}", others), sipp.retransmissions,
      fmt::format("{}/{}/{}", after.edge_drops - before.edge_drops,
                  after.asterisk_drops - before.asterisk_drops, after.udp_drops - before.udp_drops),
      fmt::format("{}+{}", stray_legs, lost_legs));
  out.clean = sipp.failed == 0 && stuck == 0;
  if (!out.clean || o.keep_logs)
    std::cerr << "point " << rate << " calls/s: logs kept in " << sys.dir() << "\n";
  else
    std::filesystem::remove_all(sys.dir());
  return out;
}

void on_signal(int) { g_stop = true; }

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
  app.add_option("--agents", o.agents, "agents (Extensions logged in and Ready)")
      ->check(CLI::Range(1, 20000))
      ->capture_default_str();
  app.add_option("--warmup", o.warmup_s, "seconds of calls before each point, not measured")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--asterisks", o.asterisks,
                 "simulated Asterisk instances (threads) the agents' phones are spread over")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--log-level", o.log_level, "log level of the services")->capture_default_str();
  app.add_flag("--keep-logs", o.keep_logs, "keep every point's folder (failed points always are)");
  CLI11_PARSE(app, argc, argv);

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::string command;
  for (int i = 0; i < argc; ++i)
    command += (i ? " " : "") + std::string(argv[i]);

  fmt::print("capacity: {} agents / ({:g} s hold x {:g} margin) = {:.0f} calls/s\n", o.agents,
             o.hold_s, kAgentMargin, o.agents / (o.hold_s * kAgentMargin));
  fmt::print("{}\n", header());
  std::fflush(stdout);
  bool all_clean = true;
  for (double rate : o.rates) {
    try {
      auto r = run_point(o, rate);
      all_clean = all_clean && r.clean;
      fmt::print("{}\n", r.cells);
    } catch (const std::exception& e) {
      all_clean = false;
      fmt::print("{:7g}  error: {}\n", rate, e.what());
    }
    std::fflush(stdout);
    if (g_stop)
      break;
  }
  fmt::print("machine: {} CPUs ({}); load average at the end: {}\n",
             ::sysconf(_SC_NPROCESSORS_ONLN), cpuinfo("model name"), loadavg());
  fmt::print("command: {}\n", command);
  return all_clean ? 0 : 1;
}
