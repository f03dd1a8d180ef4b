#include "sipcc_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "loopback.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/config.hpp"
#include "sipcc/presence_shards.hpp"
#include "tlib_request.hpp"

namespace sipcc::test {

using namespace std::chrono_literals;

uint16_t free_port(int type) {
  uint16_t port = 0;
  ::close(bind_loopback(type, port));
  return port;
}

long rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  throw std::runtime_error("no VmRSS for pid " + std::to_string(pid));
}

std::string gsipmwi(const v1::TEvent& ev) {
  std::string out;
  for (const auto& p : ev.user_data().pairs())
    if (p.key() == "gsipmwi")
      for (const auto& kv : p.list().pairs())
        out += (out.empty() ? "" : " ") + kv.key() + "=" +
               (kv.value_case() == v1::KVPair::kNum ? std::to_string(kv.num())
                                                    : "'" + kv.str() + "'");
  return out;
}

// ---- child_process ---------------------------------------------------------

child_process::child_process(const std::vector<std::string>& argv, const std::string& log_prefix,
                             const environment& env, const std::string& cwd)
    : out_path_(log_prefix + ".out"), err_path_(log_prefix + ".err") {
  // Built before fork: the child of a threaded process may only exec.
  std::vector<std::string> vars;
  for (char** e = environ; *e; ++e) {
    const std::string var = *e;
    const auto name = var.substr(0, var.find('='));
    if (std::none_of(env.begin(), env.end(), [&](const auto& kv) { return kv.first == name; }))
      vars.push_back(var);
  }
  for (const auto& [name, value] : env)
    vars.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& v : vars)
    envp.push_back(v.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    // Children must not inherit the test's blocked signals.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
      std::perror("chdir");
      ::_exit(127);
    }
    ::execvpe(args[0], args.data(), envp.data());
    std::perror("execvpe");
    ::_exit(127);
  }
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
}

child_process::~child_process() {
  if (pid_ > 0 && stop(5s) == -1) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::string child_process::output(bool stderr_stream) const {
  try {
    return read_file(stderr_stream ? err_path_ : out_path_);
  } catch (const std::exception&) {
    return {};  // the child has not created it yet
  }
}

bool child_process::wait_output(const std::string& text, std::chrono::milliseconds deadline,
                                bool stderr_stream) const {
  auto until = std::chrono::steady_clock::now() + deadline;
  // The child writes to a file: poll it until the deadline.
  while (std::chrono::steady_clock::now() < until) {
    if (output(stderr_stream).find(text) != std::string::npos)
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  do {
    if (done())
      return true;
    // What is polled (a file, the CLI: a new process each time) has no event.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < until);
  return false;
}

void child_process::kill_now() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int child_process::stop(std::chrono::milliseconds deadline) {
  if (pid_ <= 0)
    return 0;
  ::kill(pid_, SIGTERM);
  return wait_exit(deadline);
}

int child_process::wait_exit(std::chrono::milliseconds deadline) {
  if (pid_ <= 0)
    return 0;
  auto until = std::chrono::steady_clock::now() + deadline;
  int status = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(10ms);
  }
  return -1;
}

// ---- bus_recorder ------------------------------------------------------------

bus_recorder::bus_recorder(const std::string& url) : bus_(url, "test-recorder") {
  bus_.subscribe("sipcc.>", [this](bus_msg m) {
    {
      std::lock_guard<std::mutex> g(mu_);
      msgs_.push_back(std::move(m));
      at_.push_back(std::chrono::steady_clock::now());
    }
    cv_.notify_all();
  });
  bus_.flush();
}

std::optional<bus_msg> bus_recorder::wait(const std::function<bool(const bus_msg&)>& match,
                                          std::chrono::milliseconds deadline) {
  std::unique_lock<std::mutex> g(mu_);
  std::optional<bus_msg> found;
  cv_.wait_for(g, deadline, [&] {
    for (auto& m : msgs_)
      if (match(m)) {
        found = m;
        return true;
      }
    return false;
  });
  return found;
}

std::optional<v1::TEvent> bus_recorder::wait_event(const std::string& dn, v1::EventType type,
                                                   std::chrono::milliseconds deadline, int nth) {
  auto subject = subj::tlib_evt(dn);
  v1::TEvent ev;
  int seen = 0;
  auto m = wait(
      [&](const bus_msg& m) {
        if (&m == &all_front())
          seen = 0;  // each wake-up rescans from the start
        return m.subject == subject && ev.ParseFromString(m.data) && ev.type() == type &&
               ++seen == nth;
      },
      deadline);
  if (!m)
    return std::nullopt;
  ev.ParseFromString(m->data);
  return ev;
}

std::vector<v1::EventType> bus_recorder::events(const std::string& dn) const {
  auto subject = subj::tlib_evt(dn);
  std::vector<v1::EventType> out;
  std::lock_guard<std::mutex> g(mu_);
  for (auto& m : msgs_) {
    v1::TEvent ev;
    if (m.subject == subject && ev.ParseFromString(m.data))
      out.push_back(ev.type());
  }
  return out;
}

std::vector<std::string> bus_recorder::ladder(const std::string& dn, const std::string& c1,
                                              const std::string& c2, bool with_transfer) const {
  auto name = [&](const std::string& conn) {
    return conn == c1 ? "C1" : !c2.empty() && conn == c2 ? "C2" : conn;
  };
  std::vector<std::string> out;
  for (auto& m : all()) {
    v1::TEvent ev;
    if (m.subject != subj::tlib_evt(dn) || !ev.ParseFromString(m.data))
      continue;
    std::string line = v1::EventType_Name(ev.type()) + " " + name(ev.conn_id());
    if (!ev.third_party_dn().empty())
      line += " third=" + ev.third_party_dn();
    if (with_transfer && !ev.transfer_conn_id().empty())
      line += " transfer=" + name(ev.transfer_conn_id());
    if (!ev.previous_conn_id().empty())
      line += " previous=" + name(ev.previous_conn_id());
    out.push_back(line);
  }
  return out;
}

std::vector<bus_msg> bus_recorder::all() const {
  std::lock_guard<std::mutex> g(mu_);
  return {msgs_.begin(), msgs_.end()};
}

std::vector<bus_msg> bus_recorder::before(std::chrono::steady_clock::time_point t) const {
  std::lock_guard<std::mutex> g(mu_);
  std::vector<bus_msg> out;
  for (size_t i = 0; i < msgs_.size() && at_[i] < t; ++i)
    out.push_back(msgs_[i]);
  return out;
}

// ---- sipcc_system ------------------------------------------------------------

namespace {
std::string bin(const std::string& rel) { return std::string(SIPCC_BINARY_DIR) + "/" + rel; }

// A random password: 32 hex digits.
std::string random_password() {
  std::ifstream in("/dev/urandom", std::ios::binary);
  unsigned char bytes[16];
  in.read(reinterpret_cast<char*>(bytes), sizeof bytes);
  std::string out;
  char hex[3];
  for (unsigned char b : bytes) {
    std::snprintf(hex, sizeof hex, "%02x", b);
    out += hex;
  }
  return out;
}

// `env` with the entries of `over` put in place of those of the same name.
child_process::environment overridden(child_process::environment env,
                                      const child_process::environment& over) {
  for (const auto& kv : over) {
    auto it = std::find_if(env.begin(), env.end(), [&](auto& e) { return e.first == kv.first; });
    if (it == env.end())
      env.push_back(kv);
    else
      it->second = kv.second;
  }
  return env;
}

// nats-server's "Publish Violation" and "Subscription Violation" lines of
// clients that gave a name: every sipcc process (services, sipccctl, the
// recorder) names its connection; a test's intruder (bus_auth_e2e) does not.
std::vector<std::string> refused_named_clients(const std::string& log_path) {
  std::vector<std::string> out;
  std::ifstream in(log_path);
  for (std::string line; std::getline(in, line);) {
    const auto lang = line.find(":C:");
    if (line.find(" Violation - User ") != std::string::npos && lang != std::string::npos &&
        line[lang + 3] != '"')
      out.push_back(line);
  }
  return out;
}

// Each service's user and its role in deploy/nats/permissions.conf.
const std::vector<std::pair<std::string, std::string>> kServiceRoles = {
    {"sip-edge", "SIPCC_EDGE"}, {"presence", "SIPCC_PRESENCE"}, {"callctl", "SIPCC_CALLCTL"},
    {"mwi", "SIPCC_MWI"},       {"media", "SIPCC_MEDIA"},       {"router", "SIPCC_ROUTER"},
    {"operator", "SIPCC_OPERATOR"}};

std::string with_ports(std::string text, const std::string& nats_url, uint16_t edge_port) {
  for (auto [token, value] : {std::pair<std::string, std::string>{"{nats-url}", nats_url},
                              {"{edge-port}", std::to_string(edge_port)}})
    for (size_t at; (at = text.find(token)) != std::string::npos;)
      text.replace(at, token.size(), value);
  return text;
}
}  // namespace

sipcc_system::sipcc_system(system_options opts) : opts_(std::move(opts)) {
  char tmpl[] = "/tmp/sipcc-e2e-XXXXXX";
  dir_ = ::mkdtemp(tmpl);
  nats_port_ = free_port(SOCK_STREAM);
  edge_port_ = free_port(SOCK_DGRAM);
  {
    // Both held while the second is picked, so that they differ.
    uint16_t first = 0, second = 0;
    int a = bind_loopback(SOCK_DGRAM, first), b = bind_loopback(SOCK_DGRAM, second);
    ::close(a);
    ::close(b);
    trunk_ports_ = {first, second};
  }
  std::ostringstream y;
  y << "bus: { nats-url: " << nats_url() << " }\n"
    << "sip-edge: { id: edge1, bind: 127.0.0.1:" << edge_port_
    << ", t1x64-ms: " << opts_.t1x64_ms << ", audit-interval-ms: " << opts_.audit_interval_ms
    << (opts_.edge_extra.empty() ? "" : ", " + opts_.edge_extra) << " }\n"
    << "asterisk: { address: 127.0.0.1:"
    << (opts_.asterisk_port ? opts_.asterisk_port : asterisk_.port())
    << ", peers: [ 127.0.0.1:" << trunk_ports_[0] << ", 127.0.0.1:" << trunk_ports_[1]
    << " ] }\n"
    << "presence:\n  instance: presence-0\n  subscribe-rate: " << opts_.subscribe_rate
    << "\n  subscribe-expires: " << opts_.subscribe_expires
    << "\n  retry-interval: " << opts_.retry_interval_s << "\n  resubscribe-backoff-max: 2\n"
    << opts_.presence_extra << "dns:\n";
  for (auto& d : opts_.dns) {
    y << "  - { number: \"" << d.number << "\", type: " << d.type;
    if (!d.presence.empty())
      y << ", presence: " << d.presence;
    if (!d.options.empty())
      y << ", options: { " << d.options << " }";
    if (!d.fields.empty())
      y << ", " << d.fields;
    y << " }\n";
  }
  y << "agent-logins:\n";
  for (auto& a : opts_.agents)
    y << "  - { id: " << a << " }\n";
  y << opts_.extra_yaml;
  config_path_ = dir_ + "/sipcc.yaml";
  std::ofstream(config_path_) << (opts_.config_template.empty()
                                      ? y.str()
                                      : with_ports(opts_.config_template, nats_url(), edge_port_));
  // JetStream on, as the run script and compose have it: presence keeps
  // the DN states in a key-value bucket.
  std::vector<std::string> nats_argv{"nats-server", "-a", "127.0.0.1", "-p",
                                     std::to_string(nats_port_), "-js", "-sd",
                                     dir_ + "/nats-data"};
  if (opts_.nats_tls) {
    const std::string pki = dir_ + "/tls";
    child_process certs({SIPCC_SOURCE_DIR "/scripts/nats-tls-certs.sh", pki}, dir_ + "/tls-certs");
    if (certs.wait_exit(30s) != 0)
      throw std::runtime_error("nats-tls-certs.sh failed: " + certs.output(false));
    nats_argv.insert(nats_argv.end(), {"--tlsverify", "--tlscacert", pki + "/ca.pem", "--tlscert",
                                       pki + "/server.pem", "--tlskey", pki + "/server-key.pem"});
    ::setenv("SIPCC_NATS_CA", (pki + "/ca.pem").c_str(), 1);
    ::setenv("SIPCC_NATS_CERT", (pki + "/client.pem").c_str(), 1);
    ::setenv("SIPCC_NATS_KEY", (pki + "/client-key.pem").c_str(), 1);
  }
  if (opts_.nats_auth) {
    nats_argv.insert(nats_argv.end(), {"-c", write_nats_auth()});
    ::setenv("SIPCC_NATS_USER", "sipcc-test", 1);
    ::setenv("SIPCC_NATS_PASSWORD", passwords_.at("sipcc-test").c_str(), 1);
  }
  nats_ = std::make_unique<child_process>(nats_argv, dir_ + "/nats");
  recorder_ = std::make_unique<bus_recorder>(nats_url());
}

sipcc_system::~sipcc_system() {
  services_.clear();
  recorder_.reset();
  nats_.reset();
  if (opts_.nats_auth)
    for (auto& refused : refused_named_clients(dir_ + "/nats.err"))
      ADD_FAILURE() << "nats-server refused a sipcc process (its allow list in "
                       "deploy/nats/permissions.conf misses a subject): "
                    << refused;
  if (opts_.nats_tls)
    for (const char* v : {"SIPCC_NATS_CA", "SIPCC_NATS_CERT", "SIPCC_NATS_KEY"})
      ::unsetenv(v);
  if (opts_.nats_auth)
    for (const char* v : {"SIPCC_NATS_USER", "SIPCC_NATS_PASSWORD"})
      ::unsetenv(v);
  // A passing test leaves nothing behind (logs, nats-server's JetStream
  // store); a failing one keeps its folder, which its messages name.
  if (!::testing::Test::HasFailure()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string sipcc_system::write_nats_auth() {
  const std::string conf_dir = dir_ + "/nats-conf";
  std::filesystem::create_directories(conf_dir);
  // The shipped roles, as deploy/nats/auth.conf includes them.
  std::filesystem::copy_file(SIPCC_SOURCE_DIR "/deploy/nats/permissions.conf",
                             conf_dir + "/permissions.conf");
  std::ostringstream c;
  c << "jetstream {}\ninclude permissions.conf\nauthorization {\n  users = [\n";
  auto user = [&](const std::string& name, const std::string& permissions) {
    passwords_[name] = random_password();
    std::ofstream(conf_dir + "/" + name + ".password") << passwords_[name] << "\n";
    c << "    { user: " << name << ", password: \"" << passwords_[name]
      << "\", permissions: " << permissions << " }\n";
  };
  for (auto& [name, role] : kServiceRoles)
    user(name, "$" + role);
  user("sipcc-test", "{ publish: \">\", subscribe: \">\" }");
  // A desktop's permissions as auth.conf's desktop-1000 has them.
  for (auto& [name, dns] : opts_.desktops) {
    std::string pub, sub;
    for (auto& dn : dns) {
      // The agent family (TAgentLogin's) and the call family (TMakeCall's).
      pub += "\"" + subj::tlib_req(v1::TAgentLogin, dn) + "\", \"" +
             subj::tlib_req(v1::TMakeCall, dn) + "\", ";
      sub += "\"" + subj::tlib_evt(dn) + "\", ";
    }
    user(name, "{ publish: { allow: [" + pub + "] }, subscribe: { allow: [" + sub + "\"_INBOX_" +
                   name + ".>\"] } }");
  }
  c << "  ]\n}\n";
  std::ofstream(conf_dir + "/nats-server.conf") << c.str();
  return conf_dir + "/nats-server.conf";
}

child_process::environment sipcc_system::nats_user_env(const std::string& user) const {
  if (!opts_.nats_auth)
    return {};
  // A file, as the run script and compose give it; the password this
  // process has in its environment is blanked (empty is unset).
  return {{"SIPCC_NATS_USER", user},
          {"SIPCC_NATS_PASSWORD", ""},
          {"SIPCC_NATS_PASSWORD_FILE", dir_ + "/nats-conf/" + user + ".password"}};
}

void sipcc_system::start_services() {
  // One after the other, in the order given (the edge first): a service
  // that starts before the edge sees the edge's ready announcement and
  // renews what it had just set up, which makes start-up order-dependent.
  for (auto& [svc, inst] : opts_.services) {
    launch(svc);
    wait_ready(inst, 1);
  }
}

void sipcc_system::launch(const std::string& svc) {
  const std::string binary = svc.substr(0, svc.find('#'));
  std::string path = "services/" + binary + "/" + binary;
  // Each run of a service logs to its own files.
  std::string log = dir_ + "/" + svc + (services_.count(svc) ? "." + std::to_string(++runs_) : "");
  // Services whose processes are members take their bus name from it; the
  // others ignore it.
  auto env = overridden(nats_user_env(binary), opts_.service_env);
  if (auto own = opts_.env_of.find(binary); own != opts_.env_of.end())
    env = overridden(env, own->second);
  if (auto own = opts_.env_of.find(svc); svc != binary && own != opts_.env_of.end())
    env = overridden(env, own->second);
  env.emplace_back("SIPCC_INSTANCE", instance_of(svc));
  services_[svc] = std::make_unique<child_process>(
      std::vector<std::string>{bin(path), "--config", config_path_, "--log-level", opts_.log_level},
      log,
      env);
}
std::string sipcc_system::instance_of(const std::string& svc) const {
  for (auto& [name, inst] : opts_.services)
    if (name == svc)
      return inst;
  return svc;
}
void sipcc_system::wait_ready(const std::string& instance, int nth) {
  auto subject = subj::ops_ready(instance);
  int seen = 0;
  auto found = recorder_->wait(
      [&](const bus_msg& m) {
        if (&m == &recorder_->all_front())
          seen = 0;
        return m.subject == subject && ++seen == nth;
      },
      15s);
  if (!found)
    throw std::runtime_error(instance + " did not become ready; logs in " + dir_);
}

void sipcc_system::crash_service(const std::string& svc) {
  auto it = services_.find(svc);
  if (it != services_.end())
    it->second->kill_now();
}

int sipcc_system::stop_service(const std::string& svc) {
  auto it = services_.find(svc);
  return it == services_.end() ? -1 : it->second->stop();
}

int sipcc_system::wait_service_exit(const std::string& svc, std::chrono::milliseconds deadline) {
  auto it = services_.find(svc);
  return it == services_.end() ? -1 : it->second->wait_exit(deadline);
}

void sipcc_system::restart_service(const std::string& svc) {
  const std::string instance = instance_of(svc);
  int before = 0;
  for (auto& m : recorder_->all())
    before += m.subject == subj::ops_ready(instance);
  launch(svc);
  wait_ready(instance, before + 1);
}

v1::TEvent sipcc_system::request(const std::string& dn, v1::RequestType type,
                                 const std::string& agent_id, v1::WorkMode wm) {
  auto r = tlib_request(type, dn, agent_id);
  r.set_work_mode(wm);
  r.set_reference_id("test");
  auto reply = recorder_->client().request(subj::tlib_req(type, dn), r, 5s);
  v1::TEvent ev;
  if (!reply || !ev.ParseFromString(*reply))
    throw std::runtime_error("no reply to " + v1::RequestType_Name(type) + " on DN " + dn);
  return ev;
}

v1::TEvent sipcc_system::call_request(v1::TRequest r) {
  r.set_schema(v1::SCHEMA_V1);
  auto reply = recorder_->client().request(subj::tlib_req(r.type(), r.this_dn()), r, 10s);
  v1::TEvent ev;
  if (!reply || !ev.ParseFromString(*reply))
    throw std::runtime_error("no reply to " + v1::RequestType_Name(r.type()) + " on DN " +
                             r.this_dn());
  return ev;
}

namespace {
// Request `type` from DN `dn` on call `conn_id`, to be completed by the caller.
v1::TRequest on_call_request(v1::RequestType type, const std::string& dn,
                             const std::string& conn_id) {
  v1::TRequest r;
  r.set_type(type);
  r.set_this_dn(dn);
  r.set_conn_id(conn_id);
  return r;
}
}  // namespace

v1::TEvent sipcc_system::on_call(v1::RequestType type, const std::string& dn,
                                 const std::string& conn_id, const v1::KVList& user_data,
                                 const std::string& dtmf_digits) {
  auto r = on_call_request(type, dn, conn_id);
  *r.mutable_user_data() = user_data;
  r.set_dtmf_digits(dtmf_digits);
  return call_request(r);
}

v1::TEvent sipcc_system::to_other(v1::RequestType type, const std::string& dn,
                                  const std::string& conn_id, const std::string& other_dn,
                                  const std::string& transfer_conn) {
  auto r = on_call_request(type, dn, conn_id);
  r.set_other_dn(other_dn);
  r.set_transfer_conn_id(transfer_conn);
  return call_request(r);
}

v1::TEvent sipcc_system::route_call(const std::string& rp, const std::string& conn_id,
                                    const std::string& dn) {
  v1::TRequest r;
  r.set_type(v1::TRouteCall);
  r.set_this_dn(rp);
  r.set_conn_id(conn_id);
  r.set_other_dn(dn);
  return call_request(r);
}

v1::TEvent sipcc_system::apply_treatment(const std::string& rp, const std::string& conn_id,
                                         v1::TreatmentType type, const v1::KVList& parms) {
  v1::TRequest r;
  r.set_type(v1::TApplyTreatment);
  r.set_this_dn(rp);
  r.set_conn_id(conn_id);
  r.set_treatment_type(type);
  *r.mutable_treatment_parms() = parms;
  return call_request(r);
}

std::vector<std::string> sipcc_system::ctl_argv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{bin("services/sipccctl/sipccctl"), "--nats", nats_url()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::string sipcc_system::ctl(const std::vector<std::string>& args, int* exit_code,
                              const child_process::environment& env) {
  child_process p(ctl_argv(args), dir_ + "/ctl", overridden(nats_user_env("operator"), env));
  int rc = p.wait_exit(10s);
  if (exit_code)
    *exit_code = rc;
  return p.output(false);
}

int64_t sipcc_system::counter(const std::string& instance, const std::string& name,
                              const std::string& label) {
  int code = 0;
  auto out = ctl({"counters", instance}, &code);
  if (code != 0)
    throw std::runtime_error("sipccctl counters " + instance + " failed: " + out);
  for (auto& c : nlohmann::json::parse(out).value("counters", nlohmann::json::array())) {
    if (c.value("name", "") != name || c.value("label", "") != label)
      continue;
    // proto3 JSON writes int64 as a string, and leaves out a gauge at 0.
    auto v = c.value("value", nlohmann::json(0));
    return v.is_string() ? std::stoll(v.get<std::string>()) : v.get<int64_t>();
  }
  return 0;
}

bool sipcc_system::wait_log(const std::string& service, const std::string& text,
                            std::chrono::milliseconds deadline) const {
  auto it = services_.find(service);
  return it != services_.end() && it->second->wait_output(text, deadline);
}

std::string sipcc_system::dn_calls_subject(const std::string& dn) const {
  return subj::dn_calls(presence_shard_of(make_presence_shards(load_config(config_path_)), dn),
                        dn);
}

}  // namespace sipcc::test
