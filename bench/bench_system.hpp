// What the benchmarks share: a whole sipcc system under SIPp load (nats-server
// and the services as child processes, simulated Asterisks in this process
// playing the agents' phones), sipcc's counters, /proc readings and SIPp's
// statistics. bench/routed_calls measures CPU per call with it,
// bench/failover kills members of it under load. See bench/README.md.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "fake_asterisk.hpp"
#include "sipcc/bus.hpp"
#include "sipcc/v1/state.pb.h"
#include "sipcc/v1/tlib.pb.h"
#include "sipcc_fixture.hpp"

namespace sipcc::bench {

using clock_type = std::chrono::steady_clock;

inline constexpr const char* kRoutingPoint = "8000";
// Agents must carry rate * hold with this much slack: an agent is also busy
// while its call is set up and torn down, and the router needs some Ready.
inline constexpr double kAgentMargin = 1.2;
// Per-step SIP timeout of SIPp, and how long a finished point may take to
// drain (callctl's call actors and the edge's legs back to 0): both above the
// edge's 64*T1 (32 s), so a stuck leg is a leg sipcc never ends.
inline constexpr auto kRecvTimeout = std::chrono::seconds(35);
inline constexpr auto kDrainDeadline = std::chrono::seconds(45);

// Set by SIGINT/SIGTERM (install_signal_handlers); every wait checks it, so
// the destructors still stop every child.
extern std::atomic<bool> g_stop;
void install_signal_handlers();
// Throws std::runtime_error("interrupted") once g_stop is set.
void check_stop();

// ---- /proc and rusage ----------------------------------------------------------

long clock_ticks();
// The fields of /proc/<pid>/stat after the command name (the state, field 3,
// first); empty if the process is gone.
std::vector<std::string> proc_stat_fields(pid_t pid);
// utime + stime of a live process, in clock ticks; 0 if it is gone.
int64_t process_ticks(pid_t pid);
// CPU of this process (RUSAGE_SELF) or of its reaped children, in ms.
double rusage_ms(int who);
// Busy and total jiffies of the whole machine, to see what others used.
struct host_cpu {
  int64_t busy = 0, total = 0;
};
host_cpu read_host_cpu();
// UDP datagrams the kernel dropped for a full receive buffer, machine-wide.
int64_t udp_receive_drops();
// Datagrams dropped on the UDP socket bound to 127.0.0.1:port.
int64_t udp_socket_drops(uint16_t port);
// "N CPUs (model), M GB; load average at the end: ..." for the table's footer.
std::string machine_line();
std::string command_line(int argc, char** argv);

// ---- sipcc's counters ------------------------------------------------------------

using counter_map = std::map<std::pair<std::string, std::string>, int64_t>;  // (name, label)
counter_map query_counters(bus& b, const std::string& instance);
int64_t sum_of(const counter_map& m, const std::string& name);
int64_t value_of(const counter_map& m, const std::string& name, const std::string& label);

// The edge's setup_latency histogram between two snapshots; quantile_ms is
// the upper bound of the bucket holding the quantile (buckets grow by 1.25x).
struct histogram {
  std::vector<std::pair<int64_t, int64_t>> buckets;  // (bound us, -1 = inf; count)
  int64_t total = 0;
};
histogram latency_between(const counter_map& before, const counter_map& after);
std::string quantile_ms(const histogram& h, double q);

// ---- the system under test ------------------------------------------------------

struct system_options {
  int agents = 1200;
  int asterisks = 4;
  // Processes of each scaled service (presence, callctl, router, and mwi
  // when `mwi`); sip-edge always runs one.
  int members = 1;
  // mwi too, subscribing every agent Extension's mailbox (gvm-<DN>).
  bool mwi = false;
  std::string log_level = "info";
};

// --asterisks and --log-level, which every benchmark of this system takes.
void add_system_options(CLI::App& app, system_options& o);

std::string agent_dn(int i);
std::string agent_id(int i);

// One process of a service: its binary and the member name it runs as
// (SIPCC_INSTANCE, its bus name, which its counters are read by).
struct member {
  std::string service, instance;
};

class bench_system {
public:
  explicit bench_system(const system_options& o);
  ~bench_system();

  // sip-edge first (an owner started before it would renew everything at its
  // ready announcement), then every member; waits for each one's ready, then
  // until the members share their shards fairly (a request to a shard in
  // transit at start-up may get no answer).
  void start_services();
  // TAgentLogin + TAgentSetReady on every agent DN, then waits until
  // presence reports each of them routable.
  void agents_ready();
  // Polls until every agent DN is routable or the deadline; the count.
  int wait_routable(std::chrono::milliseconds deadline);
  // Every DN's state (presence's ALL_DNS); empty when nobody answered.
  std::vector<v1::DnState> all_dns();
  // Waits until callctl has no call and the edge no leg; what is left.
  int64_t drain();
  // callctl's call actors, over its members.
  int64_t live_calls();

  // kill -9, and a new process under the same member name (waits for its
  // ready announcement).
  void kill(const std::string& instance);
  void restart(const std::string& instance);

  // Every measure of the system at one instant.
  struct snapshot {
    std::map<std::string, counter_map> counters;  // by instance
    std::map<std::string, int64_t> ticks;          // by instance, and "nats"
    double self_ms = 0, children_ms = 0;
    host_cpu host;
    int64_t udp_drops = 0, edge_drops = 0, asterisk_drops = 0;
    clock_type::time_point at;
  };
  snapshot take();

  const std::vector<member>& members() const { return members_; }
  // The members of one service ("callctl").
  std::vector<std::string> members_of(const std::string& service) const;
  std::string nats_url() const;
  uint16_t edge_port() const { return edge_port_; }
  uint16_t trunk_port() const { return trunk_port_; }
  const std::string& dir() const { return dir_; }
  bus& client() { return *bus_; }
  const std::vector<std::unique_ptr<test::fake_asterisk>>& asterisks() const {
    return asterisks_;
  }
  static constexpr const char* kEdge = "edge1";

private:
  void launch(const member& m);
  void wait_leases_balanced(std::chrono::milliseconds deadline);
  void wait_ready(const std::string& instance, int count);
  void request(const std::string& dn, v1::RequestType type, const std::string& agent);

  system_options opts_;
  std::string dir_, config_;
  uint16_t nats_port_ = 0, edge_port_ = 0, trunk_port_ = 0;
  std::vector<member> members_;
  std::vector<std::unique_ptr<test::fake_asterisk>> asterisks_;
  std::unique_ptr<test::child_process> nats_;
  std::unique_ptr<bus> bus_;
  std::map<std::string, std::unique_ptr<test::child_process>> procs_;  // by instance
  std::map<std::string, int> runs_;                                     // launches, by instance
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int> ready_;  // ready announcements, by instance
};

// ---- SIPp as Asterisk's trunk ------------------------------------------------------

// The last line of a SIPp CSV file (-trace_stat, -trace_counts): cumulative
// counts, by column.
std::map<std::string, std::string> sipp_final_stats(const std::string& path);
// The count of the first column (in the scenario's order) ending with `suffix`.
int64_t stat_count(const std::map<std::string, std::string>& stats, const std::string& suffix);

struct sipp_result {
  int exit_code = -1;
  double seconds = 0;  // from start to exit
  // successful: INVITE to BYE's 200; established: ACKed a 200 (the
  // customer was connected); refused: answered 503 by the edge's admission
  // control; failed: every other call offered but not successful.
  int64_t successful = 0, established = 0, refused = 0, failed = 0, retransmissions = 0;
  // Each refused call's INVITE-to-503 time as SIPp saw it, ms (-trace_rtt, rtd 2).
  std::vector<double> refusal_ms;
};

// `calls` customers at `rate` calls/s calling the Routing Point, each holding
// `hold_s` after the answer (tests/sipp/customers-call-rp-hold-and-hang-up.xml);
// files <dir>/<name>.*. Runs from construction; wait() blocks until it ends.
class sipp_customers {
public:
  sipp_customers(const bench_system& sys, double rate, int64_t calls, double hold_s,
                 const std::string& name);
  sipp_result wait();

private:
  std::string dir_, prefix_;
  int64_t calls_;
  int timeout_s_;
  clock_type::time_point start_;
  std::unique_ptr<test::child_process> sipp_;
};

}  // namespace sipcc::bench
