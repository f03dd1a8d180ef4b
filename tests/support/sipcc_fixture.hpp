// End-to-end harness: a real nats-server on a free loopback port, the built
// sipcc services as child processes, a bus recorder that waits on decoded
// messages with deadlines, and the simulated Asterisk. Everything is reaped
// when the fixture goes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fake_asterisk.hpp"
#include "sipcc/bus.hpp"
#include "sipcc/v1/tlib.pb.h"

namespace sipcc::test {

uint16_t free_port(int type);  // SOCK_STREAM or SOCK_DGRAM

// A process's resident memory in KB (VmRSS).
long rss_kb(pid_t pid);

// A child process whose stdout/stderr go to files; killed and reaped on destruction.
// Polls `done` until it holds or the deadline passes (for what only shows
// in files, Asterisk's CLI or a fake's tables, where there is no event to
// wait on).
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds deadline);

class child_process {
public:
  // `env`: variables set for the child, over the test's own environment;
  // `cwd`: its working directory (empty: this process's).
  using environment = std::vector<std::pair<std::string, std::string>>;
  child_process(const std::vector<std::string>& argv, const std::string& log_prefix,
                const environment& env = {}, const std::string& cwd = "");
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  pid_t pid() const { return pid_; }
  // Waits until `text` appears in the stream (stdout or stderr file).
  bool wait_output(const std::string& text, std::chrono::milliseconds deadline,
                   bool stderr_stream = true) const;
  std::string output(bool stderr_stream = true) const;
  // SIGKILL and reap.
  void kill_now();
  // Sends SIGTERM and waits for the exit status (-1 on timeout).
  int stop(std::chrono::milliseconds deadline = std::chrono::seconds(10));
  // Waits for the child to exit by itself; its exit code, or -1 on timeout.
  int wait_exit(std::chrono::milliseconds deadline);

private:
  pid_t pid_ = -1;
  std::string out_path_, err_path_;
};

// Records every message on sipcc.> and lets tests wait for one.
class bus_recorder {
public:
  explicit bus_recorder(const std::string& url);
  std::optional<bus_msg> wait(const std::function<bool(const bus_msg&)>& match,
                              std::chrono::milliseconds deadline);
  // Waits for the nth (1-based) TEvent of `type` on sipcc.tlib.evt.<dn>.
  std::optional<v1::TEvent> wait_event(const std::string& dn, v1::EventType type,
                                       std::chrono::milliseconds deadline, int nth = 1);
  // Every TEvent type seen on sipcc.tlib.evt.<dn> so far, in order.
  std::vector<v1::EventType> events(const std::string& dn) const;
  // Every TEvent on sipcc.tlib.evt.<dn> so far as "Type ConnID[ third=DN]
  // [ transfer=ConnID][ previous=ConnID]" (transfer= only `with_transfer`),
  // ConnID `c1` written C1 and `c2` (when set) C2: a call's ladder to compare.
  std::vector<std::string> ladder(const std::string& dn, const std::string& c1,
                                  const std::string& c2, bool with_transfer = true) const;
  std::vector<bus_msg> all() const;
  // Those recorded before t (steady_clock, as fake_asterisk's received::at):
  // what had reached the bus before something the fake saw.
  std::vector<bus_msg> before(std::chrono::steady_clock::time_point t) const;
  // The oldest recorded message; for wait predicates that count matches
  // (each wake-up scans from it again). Only valid inside wait().
  const bus_msg& all_front() const { return msgs_.front(); }
  bus& client() { return bus_; }

private:
  bus bus_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<bus_msg> msgs_;
  std::deque<std::chrono::steady_clock::time_point> at_;  // when each of msgs_ came
};

// The gsipmwi list of an EventUserEvent as "key=value ..." (strings quoted).
std::string gsipmwi(const v1::TEvent& ev);

struct dn_spec {
  dn_spec(std::string n, std::string t = "Extension", std::string p = "presence",
          std::string o = "", std::string f = "")
      : number(std::move(n)), type(std::move(t)), presence(std::move(p)), options(std::move(o)),
        fields(std::move(f)) {}
  std::string number;
  std::string type;
  std::string presence;  // empty: not given (unmonitored types)
  std::string options;   // YAML flow map body, e.g. "agent-group: Sales"
  std::string fields;    // more DN keys as YAML flow entries, e.g. "monitor: false"
};

struct system_options {
  std::vector<dn_spec> dns = {{"1000"}, {"1001"}, {"1002", "Extension", "dialog"},
                              {"8000", "RoutingPoint", ""}};
  // Agent Logins: the AgentID, optionally followed by more keys as YAML flow
  // entries ("a1, mailbox: 3001@MY_COMPANY").
  std::vector<std::string> agents = {"agent1000", "agent1001"};
  int retry_interval_s = 1;
  int t1x64_ms = 1000;
  int audit_interval_ms = 300;
  // More sip-edge keys as YAML flow entries, e.g. "min-se: 2".
  std::string edge_extra;
  int subscribe_rate = 200;
  int subscribe_expires = 600;
  // Asterisk address in the configuration: 0 = the fixture's simulated
  // Asterisk; anything else = a peer the test runs itself (e.g. SIPp).
  uint16_t asterisk_port = 0;
  // Extra lines under `presence:` (e.g. resource-lists), indented by the caller.
  std::string presence_extra;
  // Extra text appended to the configuration (e.g. agent-groups).
  std::string extra_yaml;
  // A whole configuration instead of the one made from the fields above,
  // with "{nats-url}" and "{edge-port}" replaced (the interop suite runs the
  // shipped deploy/sipcc.yaml this way).
  std::string config_template;
  // Services to run: {binary name, instance that announces itself ready}.
  // A second process of one binary is named "<binary>#<tag>" (e.g. "mwi#2");
  // each process gets its instance as SIPCC_INSTANCE, the bus name of a
  // service whose processes are members (mwi, presence).
  std::vector<std::pair<std::string, std::string>> services = {{"sip-edge", "edge1"},
                                                               {"presence", "presence-0"}};
  // Variables for every service's environment (e.g. SIPCC_FAULT_INJECTION=1).
  child_process::environment service_env;
  // And for one binary's processes only, by its name (e.g. "sip-edge"), then
  // for one process by its own ("sip-edge#2").
  std::map<std::string, child_process::environment> env_of;
  // TLS on the bus: certificates from scripts/nats-tls-certs.sh, nats-server
  // with --tlsverify (a client needs a certificate of the CA), and
  // SIPCC_NATS_CA/CERT/KEY set in this process for the test's lifetime, so
  // the recorder, the services and sipccctl all connect over TLS.
  bool nats_tls = false;
  // Authorization on the bus (deploy/nats/permissions.conf, the shipped
  // allow lists), with a random password per user: each service connects as
  // its own user (sip-edge, presence, ...), sipccctl (ctl()) as `operator`,
  // and this process (the recorder, request(), a test's own bus) as
  // `sipcc-test`, a user of the fixture only that may do anything, since tests
  // play services' parts. SIPCC_NATS_USER/PASSWORD are set in this process
  // for the test's lifetime, as nats_tls does with its variables.
  bool nats_auth = true;
  // Desktop users (with nats_auth): the user, and the DNs whose requests it
  // may send and whose events it may hear (as README.md's desktop users).
  std::vector<std::pair<std::string, std::vector<std::string>>> desktops;
  // The services' --log-level (a benchmark runs them as deployed: info).
  std::string log_level = "debug";
};

// nats-server + simulated Asterisk + sip-edge + presence, on free ports.
class sipcc_system {
public:
  explicit sipcc_system(system_options opts = {});
  ~sipcc_system();

  // Starts nats-server and the recorder; then start_services() runs the
  // services and waits until both announced themselves ready.
  void start_services();
  // SIGKILL, as a crash: no clean shutdown, nothing said on the bus.
  void crash_service(const std::string& service);
  // SIGTERM, as an operator's stop; its exit status (-1 on timeout).
  int stop_service(const std::string& service);
  // Waits for the service to end by itself; its exit status (-1 on timeout).
  int wait_service_exit(const std::string& service, std::chrono::milliseconds deadline);
  // The running service's process id (its latest run).
  pid_t service_pid(const std::string& service) const { return services_.at(service)->pid(); }
  // Runs it again and waits for its new ready announcement.
  void restart_service(const std::string& service);
  std::string nats_url() const { return "nats://127.0.0.1:" + std::to_string(nats_port_); }
  // The password of a bus user (nats_auth): a service, operator, sipcc-test,
  // or one of the desktops.
  std::string nats_password(const std::string& user) const { return passwords_.at(user); }
  // The variables that make a child process connect as `user` (empty
  // without nats_auth).
  child_process::environment nats_user_env(const std::string& user) const;
  std::string config_path() const { return config_path_; }
  // Where callctl publishes a DnCallFact for `dn`: by its presence shard
  // under this system's configuration.
  std::string dn_calls_subject(const std::string& dn) const;
  uint16_t edge_port() const { return edge_port_; }
  // Ports on 127.0.0.1 configured as further Asterisk peers (asterisk.peers):
  // a test's SIPp playing Asterisk's trunk sends its calls from one of them.
  uint16_t trunk_port(size_t n = 0) const { return trunk_ports_.at(n); }
  // Folder holding the configuration and every child's logs.
  const std::string& dir() const { return dir_; }
  fake_asterisk& asterisk() { return asterisk_; }
  bus_recorder& recorder() { return *recorder_; }

  // A desktop request through the bus; returns the reply.
  v1::TEvent request(const std::string& dn, v1::RequestType type, const std::string& agent_id = "",
                     v1::WorkMode wm = v1::WORK_MODE_UNSPECIFIED);

  // Request `type` from DN `dn` on call `conn_id` naming OtherDN `other_dn`
  // (and TransferConnID `transfer_conn`); its reply.
  v1::TEvent to_other(v1::RequestType type, const std::string& dn, const std::string& conn_id,
                      const std::string& other_dn = "", const std::string& transfer_conn = "");

  // TRouteCall from Routing Point `rp` to `dn`, as a router sends it; the reply.
  v1::TEvent route_call(const std::string& rp, const std::string& conn_id, const std::string& dn);
  // TApplyTreatment on Routing Point `rp`; the reply (EventTreatmentApplied
  // or NotApplied once the media server answered, or EventError).
  v1::TEvent apply_treatment(const std::string& rp, const std::string& conn_id,
                             v1::TreatmentType type, const v1::KVList& parms = {});
  // A call-family request (schema set here); its reply. Throws without one.
  v1::TEvent call_request(v1::TRequest r);
  // Request `type` from DN `dn` on call `conn_id`, with `user_data` and
  // `dtmf_digits`; its reply.
  v1::TEvent on_call(v1::RequestType type, const std::string& dn, const std::string& conn_id,
                     const v1::KVList& user_data = {}, const std::string& dtmf_digits = "");

  // Runs the built sipccctl with these arguments; returns its stdout.
  std::string ctl(const std::vector<std::string>& args, int* exit_code = nullptr,
                  const child_process::environment& env = {});
  std::vector<std::string> ctl_argv(const std::vector<std::string>& args) const;
  // One counter of a service instance, read through sipccctl; 0 when absent.
  int64_t counter(const std::string& instance, const std::string& name, const std::string& label);
  // Whether the running service (its latest run) logged `text` within the deadline.
  bool wait_log(const std::string& service, const std::string& text,
                std::chrono::milliseconds deadline) const;

private:
  system_options opts_;
  std::string dir_;
  uint16_t nats_port_ = 0;
  uint16_t edge_port_ = 0;
  std::vector<uint16_t> trunk_ports_;
  std::string config_path_;
  fake_asterisk asterisk_;
  std::unique_ptr<child_process> nats_;
  std::unique_ptr<bus_recorder> recorder_;
  void launch(const std::string& service);
  std::string instance_of(const std::string& service) const;
  void wait_ready(const std::string& instance, int nth);
  std::map<std::string, std::unique_ptr<child_process>> services_;
  int runs_ = 0;
  std::map<std::string, std::string> passwords_;  // bus user -> password
  // Writes nats-server's configuration with the users; its path.
  std::string write_nats_auth();
};

}  // namespace sipcc::test
