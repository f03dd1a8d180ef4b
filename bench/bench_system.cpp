#include "bench_system.hpp"

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/leases.hpp"
#include "sipcc/v1/ops.pb.h"
#include "tlib_request.hpp"

namespace sipcc::bench {

using namespace std::chrono_literals;
using test::child_process;

std::atomic<bool> g_stop{false};

namespace {
void on_signal(int) { g_stop = true; }
}  // namespace

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

void check_stop() {
  if (g_stop)
    throw std::runtime_error("interrupted");
}

// ---- /proc and rusage --------------------------------------------------------

long clock_ticks() { return ::sysconf(_SC_CLK_TCK); }

std::vector<std::string> proc_stat_fields(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name is in parentheses and may hold spaces: fields are
  // counted after the last ')'.
  auto close = text.rfind(')');
  if (close == std::string::npos)
    return {};
  std::istringstream in_fields(text.substr(close + 2));
  std::vector<std::string> fields;
  for (std::string f; in_fields >> f;)
    fields.push_back(f);
  return fields;
}

int64_t process_ticks(pid_t pid) {
  const auto f = proc_stat_fields(pid);  // utime and stime: fields 14 and 15
  return f.size() > 12 ? std::stoll(f[11]) + std::stoll(f[12]) : 0;
}

double rusage_ms(int who) {
  rusage u{};
  ::getrusage(who, &u);
  auto ms = [](const timeval& t) { return t.tv_sec * 1000.0 + t.tv_usec / 1000.0; };
  return ms(u.ru_utime) + ms(u.ru_stime);
}

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

// The "Udp:" header and value lines of /proc/net/snmp.
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

// The last column of /proc/net/udp; 0 when there is no such socket.
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

namespace {
// The value of the first "key<tab>: value" line of a /proc file.
std::string proc_value(const std::string& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0 && line.find(':') != std::string::npos)
      return line.substr(line.find_first_not_of(" \t", line.find(':') + 1));
  return "unknown";
}
}  // namespace

std::string machine_line() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return fmt::format("{} CPUs ({}), memory {}; load average at the end: {} {} {}",
                     ::sysconf(_SC_NPROCESSORS_ONLN), proc_value("/proc/cpuinfo", "model name"),
                     proc_value("/proc/meminfo", "MemTotal"), one, five, fifteen);
}

std::string command_line(int argc, char** argv) {
  std::string command;
  for (int i = 0; i < argc; ++i)
    command += (i ? " " : "") + std::string(argv[i]);
  return command;
}

// ---- sipcc's counters ----------------------------------------------------------

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

// ---- the system under test ------------------------------------------------------

namespace {

constexpr int kFirstAgentDn = 3000;
// The scaled services, in start order, by their configured base names.
const std::vector<std::pair<std::string, std::string>> kScaled = {
    {"presence", "presence-0"}, {"callctl", "callctl-0"}, {"router", "router-0"},
    {"mwi", "mwi-0"}};

// One process runs under the configured base name (as the single-process
// deployments do); N processes as <service>-a, -b, ...: names of their own,
// apart from the base name their queue group answers on.
std::vector<member> members_for(const system_options& o) {
  std::vector<member> out{{"sip-edge", bench_system::kEdge}};
  for (auto& [svc, base] : kScaled) {
    if (svc == "mwi" && !o.mwi)
      continue;
    for (int k = 0; k < o.members; ++k)
      out.push_back({svc, o.members == 1 ? base : svc + "-" + static_cast<char>('a' + k)});
  }
  return out;
}

// Agent i's phone is behind simulated Asterisk i % N: each DN's contact
// names its instance, so SUBSCRIBE and INVITE both go there. The SIPp trunk
// calls from `trunk_port`, a trusted Asterisk peer.
std::string make_config(const system_options& o, uint16_t nats_port, uint16_t edge_port,
                        uint16_t trunk_port, const std::vector<uint16_t>& asterisk_ports) {
  const int rate = std::max(20, (o.mwi ? 250 : 500) / o.members);
  std::ostringstream y;
  y << "bus: { nats-url: nats://127.0.0.1:" << nats_port << " }\n"
    << "sip-edge: { id: " << bench_system::kEdge << ", bind: 127.0.0.1:" << edge_port << " }\n"
    << "asterisk: { address: 127.0.0.1:" << asterisk_ports.front() << ", peers: [ 127.0.0.1:"
    << trunk_port << " ] }\n"
    // No refresh during a point. The fake Asterisk does not re-send a lost
    // NOTIFY, so the start-up burst of SUBSCRIBEs is kept moderate (500/s
    // per service, 250/s with mwi: the edge carries both, whatever the
    // number of members pacing their share), and a subscription whose first
    // NOTIFY was lost anyway is made again after 5 s instead of 60.
    << "presence: { instance: presence-0, subscribe-rate: " << rate
    << ", subscribe-expires: 3600, retry-interval: 5 }\n";
  if (o.mwi)
    y << "mwi: { instance: mwi-0, subscribe-rate: " << rate
      << ", subscribe-expires: 3600, retry-interval: 5 }\n"
      << "application: { mwi-extension-enable: true }\n";
  y << "agent-logins:\n";
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

}  // namespace

void add_system_options(CLI::App& app, system_options& o) {
  app.add_option("--asterisks", o.asterisks,
                 "simulated Asterisk instances (threads) the agents' phones are spread over")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--log-level", o.log_level, "log level of the services")->capture_default_str();
}

std::string agent_dn(int i) { return std::to_string(kFirstAgentDn + i); }
std::string agent_id(int i) { return "agent" + agent_dn(i); }

bench_system::bench_system(const system_options& o) : opts_(o), members_(members_for(o)) {
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
    a.set_default_initial_notify("message-summary", "mwi-notify-initial-no-messages.sip");
    ports.push_back(a.port());
  }
  for (int i = 0; i < o.agents; ++i)
    asterisks_[i % asterisks_.size()]->set_call_policy(agent_dn(i),
                                                       test::call_policy::auto_answer());
  std::ofstream(config_) << make_config(o, nats_port_, edge_port_, trunk_port_, ports);

  nats_ = std::make_unique<child_process>(
      std::vector<std::string>{"nats-server", "-a", "127.0.0.1", "-p", std::to_string(nats_port_),
                               "-js", "-sd", dir_ + "/nats-data"},
      dir_ + "/nats");
  bus_ = std::make_unique<bus>(nats_url(), "bench");
  bus_->subscribe("sipcc.ops.*.ready", [this](bus_msg m) {
    v1::ServiceReady r;
    if (!r.ParseFromString(m.data))
      return;
    std::lock_guard<std::mutex> g(mu_);
    ++ready_[r.instance()];
    cv_.notify_all();
  });
  bus_->flush();
}

bench_system::~bench_system() {
  procs_.clear();
  bus_.reset();
  nats_.reset();
}

std::string bench_system::nats_url() const {
  return "nats://127.0.0.1:" + std::to_string(nats_port_);
}

std::vector<std::string> bench_system::members_of(const std::string& service) const {
  std::vector<std::string> out;
  for (auto& m : members_)
    if (m.service == service)
      out.push_back(m.instance);
  return out;
}

void bench_system::launch(const member& m) {
  // Each run of a member logs to its own files.
  const int run = ++runs_[m.instance];
  procs_[m.instance] = std::make_unique<child_process>(
      std::vector<std::string>{std::string(SIPCC_BINARY_DIR) + "/services/" + m.service + "/" +
                                   m.service,
                               "--config", config_, "--nats", nats_url(), "--log-level",
                               opts_.log_level},
      dir_ + "/" + m.instance + (run > 1 ? "." + std::to_string(run) : ""),
      child_process::environment{{"SIPCC_INSTANCE", m.instance}});
}

void bench_system::wait_ready(const std::string& instance, int count) {
  std::unique_lock<std::mutex> g(mu_);
  if (!cv_.wait_for(g, 15s, [&] { return ready_[instance] >= count || g_stop; }) || g_stop)
    throw std::runtime_error(instance + " did not become ready");
}

void bench_system::start_services() {
  launch(members_.front());
  wait_ready(kEdge, 1);
  for (std::size_t k = 1; k < members_.size(); ++k)
    launch(members_[k]);
  for (auto& m : members_)
    wait_ready(m.instance, 1);
  wait_leases_balanced(30s);
}

void bench_system::wait_leases_balanced(std::chrono::milliseconds deadline) {
  auto balanced = [&] {
    for (auto& [svc, base] : kScaled) {
      auto names = members_of(svc);
      if (names.empty())
        continue;
      // The router's members share one lease: its holder routes.
      const int64_t shards = svc == "router" ? 1 : leases::kDefaultShards;
      const int64_t share = (shards + static_cast<int64_t>(names.size()) - 1) /
                            static_cast<int64_t>(names.size());
      int64_t total = 0;
      for (auto& n : names) {
        const int64_t held = value_of(query_counters(*bus_, n), "leases", "held");
        if (held > share)
          return false;
        total += held;
      }
      if (total != shards)
        return false;
    }
    return true;
  };
  if (!test::wait_until(balanced, deadline))
    throw std::runtime_error("the members did not share their shards within the deadline");
}

void bench_system::kill(const std::string& instance) { procs_.at(instance)->kill_now(); }

void bench_system::restart(const std::string& instance) {
  int seen = 0;
  {
    std::lock_guard<std::mutex> g(mu_);
    seen = ready_[instance];
  }
  for (auto& m : members_)
    if (m.instance == instance)
      launch(m);
  wait_ready(instance, seen + 1);
}

void bench_system::request(const std::string& dn, v1::RequestType type,
                           const std::string& agent) {
  auto r = test::tlib_request(type, dn, agent);
  r.set_reference_id("bench");
  auto reply = bus_->request(subj::tlib_req(type, dn), r, 5s);
  v1::TEvent ev;
  if (!reply || !ev.ParseFromString(*reply) || ev.type() == v1::EventError)
    throw std::runtime_error(fmt::format("{} on DN {} failed", v1::RequestType_Name(type), dn));
}

void bench_system::agents_ready() {
  for (int i = 0; i < opts_.agents; ++i) {
    check_stop();
    request(agent_dn(i), v1::TAgentLogin, agent_id(i));
    request(agent_dn(i), v1::TAgentSetReady, agent_id(i));
  }
  auto routable = wait_routable(60s);
  if (routable != opts_.agents)
    throw std::runtime_error(fmt::format("only {} of {} agents routable", routable, opts_.agents));
}

std::vector<v1::DnState> bench_system::all_dns() {
  v1::StateQuery q;
  q.set_schema(v1::SCHEMA_V1);
  q.set_kind(v1::StateQuery::ALL_DNS);
  auto reply = bus_->request(subj::state_query, q, 5s);
  v1::StateReply r;
  if (!reply || !r.ParseFromString(*reply))
    return {};
  return {r.dns().begin(), r.dns().end()};
}

int bench_system::wait_routable(std::chrono::milliseconds deadline) {
  auto until = clock_type::now() + deadline;
  int routable = 0;
  while (clock_type::now() < until) {
    check_stop();
    routable = 0;
    for (auto& dn : all_dns())
      routable += dn.routable() && dn.type() == v1::Extension;
    if (routable == opts_.agents)
      break;
    std::this_thread::sleep_for(200ms);  // state is polled: nothing announces "all routable"
  }
  return routable;
}

int64_t bench_system::live_calls() {
  int64_t calls = 0;
  for (auto& inst : members_of("callctl"))
    calls += value_of(query_counters(*bus_, inst), "actors", "call");
  return calls;
}

int64_t bench_system::drain() {
  auto until = clock_type::now() + kDrainDeadline;
  int64_t left = 0;
  while (clock_type::now() < until) {
    check_stop();
    left = live_calls() + value_of(query_counters(*bus_, kEdge), "actors", "edge_legs");
    if (left == 0)
      break;
    std::this_thread::sleep_for(200ms);  // gauges are polled
  }
  return left;
}

bench_system::snapshot bench_system::take() {
  snapshot s;
  for (auto& m : members_)
    s.counters[m.instance] = query_counters(*bus_, m.instance);
  for (auto& [inst, proc] : procs_)
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

// ---- SIPp ------------------------------------------------------------------------

// The last line of a SIPp CSV file (-trace_stat, -trace_counts): cumulative
// counts, by column.
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

// The count of the first column whose name ends with `suffix`: first in the
// scenario's order, as -trace_counts numbers its columns by scenario step
// ("6_ACK_Sent", "10_ACK_Sent").
int64_t stat_count(const std::map<std::string, std::string>& stats, const std::string& suffix) {
  const std::string* first = nullptr;
  long first_step = 0;
  for (auto& [name, value] : stats) {
    if (name.size() < suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const long step = std::strtol(name.c_str(), nullptr, 10);
    if (!first || step < first_step) {
      first = &value;
      first_step = step;
    }
  }
  return first && !first->empty() ? std::stoll(*first) : 0;
}

namespace {

const std::string kScenarioName = "customers-call-rp-hold-and-hang-up";

}  // namespace

sipp_customers::sipp_customers(const bench_system& sys, double rate, int64_t calls, double hold_s,
                               const std::string& name)
    : dir_(sys.dir()), prefix_(sys.dir() + "/" + name), calls_(calls) {
  const int hold_ms = static_cast<int>(std::lround(hold_s * 1000));
  // Wide enough never to throttle: SIPp slows the rate down at the limit.
  const auto limit = static_cast<int64_t>(
                         rate * (hold_s + std::chrono::duration<double>(kRecvTimeout).count())) +
                     10;
  timeout_s_ = static_cast<int>(static_cast<double>(calls) / rate + hold_s) + 60;
  const std::string scenario =
      std::string(SIPCC_SOURCE_DIR) + "/tests/sipp/" + kScenarioName + ".xml";
  start_ = clock_type::now();
  // Run in the point's folder: SIPp writes -trace_counts there.
  sipp_ = std::make_unique<child_process>(
      std::vector<std::string>{
          "sipp", "-sf", scenario, "-s", kRoutingPoint, "-i", "127.0.0.1", "-p",
          std::to_string(sys.trunk_port()), "-r", fmt::format("{:g}", rate), "-rp", "1000", "-m",
          std::to_string(calls), "-l", std::to_string(limit), "-d", std::to_string(hold_ms),
          "-recv_timeout", std::to_string(std::chrono::milliseconds(kRecvTimeout).count()),
          "-timeout", std::to_string(timeout_s_) + "s", "-nostdin", "-trace_rtt", "-trace_stat",
          "-stf",
          prefix_ + ".csv", "-fd", "1", "-trace_counts", "-trace_screen", "-screen_file",
          prefix_ + ".screen", "-trace_err", "-error_file", prefix_ + ".errors",
          "127.0.0.1:" + std::to_string(sys.edge_port())},
      prefix_, child_process::environment{}, dir_);
}

sipp_result sipp_customers::wait() {
  sipp_result r;
  const pid_t pid = sipp_->pid();
  auto until = start_ + std::chrono::seconds(timeout_s_ + 15);
  while (r.exit_code == -1 && clock_type::now() < until) {
    check_stop();
    r.exit_code = sipp_->wait_exit(1s);
  }
  if (r.exit_code == -1)
    throw std::runtime_error("sipp did not end");
  r.seconds = std::chrono::duration<double>(clock_type::now() - start_).count();
  auto stats = sipp_final_stats(prefix_ + ".csv");
  const auto counts =
      sipp_final_stats(fmt::format("{}/{}_{}_counts.csv", dir_, kScenarioName, pid));
  // A refused call ends the scenario too: SIPp counts it successful.
  r.refused = stat_count(counts, "_503_Recv");
  r.successful = stat_count(stats, "SuccessfulCall(C)") - r.refused;
  r.failed = calls_ - r.successful - r.refused;  // failed, timed out or never placed
  r.retransmissions = stat_count(stats, "Retransmissions(C)");
  r.established = stat_count(counts, "_ACK_Sent");
  // Date_ms;response_time_ms;rtd_no per response time measured.
  std::ifstream rtt(fmt::format("{}/{}_{}_rtt.csv", dir_, kScenarioName, pid));
  std::string line;
  while (std::getline(rtt, line)) {
    std::vector<std::string> f;
    std::istringstream cells(line);
    for (std::string c; std::getline(cells, c, ';');)
      f.push_back(c);
    if (f.size() >= 3 && f[2] == "2")
      r.refusal_ms.push_back(std::strtod(f[1].c_str(), nullptr));
  }
  return r;
}

}  // namespace sipcc::bench
