// sipccctl: the operator's and developer's window on the bus. Sends desktop
// requests, prints decoded bus traffic as JSON lines, queries state,
// counters and health. Every payload is decoded through the declared subject list.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "decode_line.hpp"
#include "sipcc/agent_auth.hpp"
#include "sipcc/bus.hpp"
#include "sipcc/bus_schema.hpp"
#include "media/model/pool.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipcc/v1/media.pb.h"
#include "sipcc/v1/ops.pb.h"
#include "sipcc/v1/state.pb.h"
#include "sipcc/v1/tlib.pb.h"

namespace {

using nlohmann::json;
using namespace sipcc;
using ctl::decode_line;
using ctl::to_json;

int cmd_watch(bus& b, const std::string& pattern, long count) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGUSR1);  // sent by the callback when --count is reached
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  std::mutex mu;
  long seen = 0;
  b.subscribe(pattern, [&](bus_msg m) {
    std::lock_guard<std::mutex> g(mu);
    std::cout << decode_line(m).dump() << std::endl;
    if (count > 0 && ++seen == count)
      kill(getpid(), SIGUSR1);
  });
  b.flush();
  // Tests and scripts wait for this line before they drive traffic.
  std::cerr << "watching " << pattern << std::endl;
  int sig = 0;
  sigwait(&stop, &sig);
  b.close();
  return 0;
}

bool parse_kv(const std::string& s, v1::KVList& list) {
  auto eq = s.find('=');
  if (eq == std::string::npos)
    return false;
  auto* kv = list.add_pairs();
  kv->set_key(s.substr(0, eq));
  kv->set_str(s.substr(eq + 1));
  return true;
}

// Exit codes: 0 done, 1 the reply says no (EventError, an error, not found,
// HEALTH_FAILING), 2 bad arguments, 3 no bus, 4 no reply.
constexpr int k_refused = 1, k_bad_args = 2, k_no_reply = 4;

struct request_args {
  std::string dn, type_name, agent_id, password_file, conn_id, other_dn, work_mode, reference_id,
      treatment, digits, transfer_conn_id;
  std::vector<std::string> reasons, extensions, user_data, treatment_parms;
};

CLI::App* add_request_command(CLI::App& app, request_args& a) {
  auto* cmd = app.add_subcommand("request", "send a desktop request for a DN, print the reply");
  cmd->add_option("dn", a.dn, "ThisDN")->required();
  cmd->add_option("request", a.type_name, "TRequest name, e.g. TAgentLogin")->required();
  cmd->add_option("--agent-id", a.agent_id, "AgentID");
  // Not an argument: every user of the machine sees those in ps.
  cmd->add_option("--password-file", a.password_file,
                  "TAgentLogin: the agent password is this file's first line (default: "
                  "$SIPCC_AGENT_PASSWORD)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--conn-id", a.conn_id, "ConnID");
  cmd->add_option("--other-dn", a.other_dn, "OtherDN");
  cmd->add_option("--digits", a.digits, "TSendDTMF: the digits to send (0-9 * # A-D)");
  cmd->add_option("--transfer-conn-id", a.transfer_conn_id,
                  "TransferConnID: the other call of TCompleteTransfer, TReconnectCall, "
                  "TAlternateCall");
  cmd->add_option("--work-mode", a.work_mode, "AuxWork|AfterCallWork|ManualIn|AutoIn");
  cmd->add_option("--reference-id", a.reference_id, "ReferenceID (default: generated)");
  cmd->add_option("--reason", a.reasons, "Reasons key=value (repeatable)");
  cmd->add_option("--extension", a.extensions, "Extensions key=value (repeatable)");
  cmd->add_option("--user-data", a.user_data, "UserData key=value (repeatable)");
  cmd->add_option("--treatment", a.treatment, "TreatmentType (TApplyTreatment), e.g. Music");
  cmd->add_option("--treatment-parm", a.treatment_parms,
                  "TreatmentParms key=value (repeatable), e.g. PROMPT=welcome");
  return cmd;
}

// The agent password: the first line of `file`, else $SIPCC_AGENT_PASSWORD.
std::string agent_password(const std::string& file) {
  std::string password;
  if (!file.empty())
    std::getline(std::ifstream(file), password);
  else if (const char* env = std::getenv("SIPCC_AGENT_PASSWORD"))
    password = env;
  if (!password.empty() && password.back() == '\r')
    password.pop_back();  // a file written on Windows
  return password;
}

// The TRequest the arguments describe; nullopt (said on stderr) when they
// do not make one.
std::optional<v1::TRequest> build_request(const request_args& a) {
  auto bad = [](const std::string& why) -> std::optional<v1::TRequest> {
    std::cerr << "sipccctl: " << why << "\n";
    return std::nullopt;
  };
  v1::TRequest r;
  r.set_schema(v1::SCHEMA_V1);
  v1::RequestType t;
  if (!v1::RequestType_Parse(a.type_name, &t) || t == v1::REQUEST_UNSPECIFIED)
    return bad("unknown request '" + a.type_name + "'");
  v1::WorkMode wm = v1::WORK_MODE_UNSPECIFIED;
  if (!a.work_mode.empty() && !v1::WorkMode_Parse(a.work_mode, &wm))
    return bad("unknown WorkMode '" + a.work_mode + "'");
  v1::TreatmentType tt = v1::TREATMENT_UNSPECIFIED;
  if (!a.treatment.empty() && !v1::TreatmentType_Parse(a.treatment, &tt))
    return bad("unknown TreatmentType '" + a.treatment + "'");
  if (!valid_subject_token(a.dn))
    return bad("'" + a.dn + "' cannot be a DN");
  for (auto& [list, field] : {std::pair{&a.reasons, r.mutable_reasons()},
                              std::pair{&a.extensions, r.mutable_extensions()},
                              std::pair{&a.user_data, r.mutable_user_data()},
                              std::pair{&a.treatment_parms, r.mutable_treatment_parms()}})
    for (auto& s : *list)
      if (!parse_kv(s, *field))
        return bad("'" + s + "' is not key=value");
  r.set_type(t);
  r.set_this_dn(a.dn);
  r.set_agent_id(a.agent_id);
  // The password stays here: the request carries a proof made with its key.
  if (const auto password = agent_password(a.password_file); !password.empty()) {
    r.set_proof_time_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
    r.set_password_proof(agent_login_proof(agent_password_key(a.agent_id, password), a.agent_id,
                                           a.dn, r.proof_time_ms()));
  }
  r.set_conn_id(a.conn_id);
  r.set_other_dn(a.other_dn);
  r.set_dtmf_digits(a.digits);
  r.set_transfer_conn_id(a.transfer_conn_id);
  r.set_work_mode(wm);
  r.set_treatment_type(tt);
  r.set_client("sipccctl");
  r.set_reference_id(a.reference_id.empty() ? std::to_string(getpid()) : a.reference_id);
  return r;
}

int cmd_request(bus& b, const request_args& a, int timeout_ms) {
  auto r = build_request(a);
  if (!r)
    return k_bad_args;
  auto subject = subj::tlib_req(r->type(), a.dn);
  auto reply = b.request(subject, *r, std::chrono::milliseconds(timeout_ms));
  if (!reply) {
    std::cerr << "sipccctl: no reply on " << subject << " within " << timeout_ms
              << " ms (is the owning service running?)\n";
    return k_no_reply;
  }
  v1::TEvent ev;
  if (!ev.ParseFromString(*reply)) {
    std::cerr << "sipccctl: the reply is not a TEvent\n";
    return k_no_reply;
  }
  std::cout << to_json(ev).dump() << std::endl;
  return ev.type() == v1::EventError ? k_refused : 0;
}

struct conf_args {
  std::string op, arg1, arg2;
  bool record = false;
};

CLI::App* add_conf_command(CLI::App& app, conf_args& a) {
  auto* cmd = app.add_subcommand(
      "conf", "conferences on the media server: `conf create`, `conf join <conf-id> <ConnID>`, "
              "`conf leave <ConnID>`");
  cmd->add_option("op", a.op, "create | join | leave")
      ->required()
      ->check(CLI::IsMember({"create", "join", "leave"}));
  cmd->add_option("args", a.arg1, "join: the conf-id; leave: the ConnID");
  cmd->add_option("conn-id", a.arg2, "join: the ConnID");
  cmd->add_flag("--record", a.record, "join: record the conference (<conf-id>.wav)");
  return cmd;
}

int cmd_conf(bus& b, const conf_args& a, int timeout_ms) {
  v1::ConfRequest q;
  q.set_schema(v1::SCHEMA_V1);
  q.set_reference_id(std::to_string(getpid()));
  q.set_op(a.op == "create" ? v1::CONF_CREATE
           : a.op == "join" ? v1::CONF_JOIN
                            : v1::CONF_LEAVE);
  if (q.op() == v1::CONF_JOIN) {
    q.set_conf_id(a.arg1);
    q.set_conn_id(a.arg2);
  } else {
    q.set_conn_id(a.arg1);
  }
  q.set_record(a.record);
  if (q.op() != v1::CONF_CREATE && q.conn_id().empty()) {
    std::cerr << "sipccctl: conf " << a.op << " needs a ConnID\n";
    return k_bad_args;
  }
  auto reply = b.request(subj::conf_req, q, std::chrono::milliseconds(timeout_ms));
  v1::ConfReply r;
  if (!reply || !r.ParseFromString(*reply)) {
    std::cerr << "sipccctl: no conference reply within " << timeout_ms
              << " ms (is callctl running?)\n";
    return k_no_reply;
  }
  std::cout << to_json(r).dump() << std::endl;
  return r.error().empty() ? 0 : k_refused;
}

int cmd_state(bus& b, const std::string& kind, const std::string& id, int timeout_ms) {
  v1::StateQuery q;
  q.set_schema(v1::SCHEMA_V1);
  if (kind.empty()) {
    q.set_kind(v1::StateQuery::ALL_DNS);
  } else {
    if (id.empty()) {
      std::cerr << "sipccctl: state " << kind << " needs an id\n";
      return k_bad_args;
    }
    q.set_kind(kind == "dn" ? v1::StateQuery::DN : v1::StateQuery::AGENT);
    q.set_id(id);
  }
  auto reply = b.request(subj::state_query, q, std::chrono::milliseconds(timeout_ms));
  v1::StateReply r;
  if (!reply || !r.ParseFromString(*reply)) {
    std::cerr << "sipccctl: no state reply within " << timeout_ms << " ms\n";
    return k_no_reply;
  }
  std::cout << to_json(r).dump(2) << std::endl;
  return r.found() ? 0 : k_refused;
}

int cmd_counters(bus& b, const std::string& instance, int timeout_ms) {
  v1::CounterQuery q;
  q.set_schema(v1::SCHEMA_V1);
  auto reply = b.request(subj::ops_counters(instance), q, std::chrono::milliseconds(timeout_ms));
  v1::CounterSet cs;
  if (!reply || !cs.ParseFromString(*reply)) {
    std::cerr << "sipccctl: instance " << instance << " did not answer\n";
    return k_no_reply;
  }
  std::cout << to_json(cs).dump(2) << std::endl;
  return 0;
}

// Exit 0 when the instance says OK, k_refused when it says FAILING,
// k_no_reply when it does not answer (not running, or its actor system stuck).
int cmd_health(bus& b, const std::string& instance, int timeout_ms) {
  if (!valid_subject_token(instance)) {
    std::cerr << "sipccctl: '" << instance << "' cannot be an instance\n";
    return k_bad_args;
  }
  v1::HealthQuery q;
  q.set_schema(v1::SCHEMA_V1);
  auto reply = b.request(subj::ops_health(instance), q, std::chrono::milliseconds(timeout_ms));
  v1::HealthReply r;
  if (!reply || !r.ParseFromString(*reply)) {
    std::cerr << "sipccctl: instance " << instance << " did not answer the health query within "
              << timeout_ms << " ms\n";
    return k_no_reply;
  }
  std::cout << to_json(r).dump(2) << std::endl;
  return r.status() == v1::HEALTH_OK ? 0 : k_refused;
}

// The media pool as the media service sees it (its first instance to answer).
int cmd_media(bus& b, bool as_json, int timeout_ms) {
  v1::MediaPoolQuery q;
  q.set_schema(v1::SCHEMA_V1);
  auto reply = b.request(subj::media_pool, q, std::chrono::milliseconds(timeout_ms));
  v1::MediaPool pool;
  if (!reply || !pool.ParseFromString(*reply)) {
    std::cerr << "sipccctl: no media pool reply within " << timeout_ms
              << " ms (is the media service running?)\n";
    return k_no_reply;
  }
  if (as_json)
    std::cout << to_json(pool).dump(2) << std::endl;
  else
    std::cout << media::pool_text(pool);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "sipccctl: desktop requests, conferences, bus watch, state, counters, health and the media "
      "pool"};
  app.require_subcommand(1);
  // Inherited by every subcommand: the options above may also come after
  // the subcommand and its arguments (`request 1000 TAgentLogin --timeout 500`).
  app.fallthrough();
  const char* env_url = std::getenv("SIPCC_NATS");
  std::string url = env_url ? env_url : "nats://127.0.0.1:4222";
  int timeout_ms = 3000;
  app.add_option("--nats", url,
                 "NATS URL (or SIPCC_NATS); the bus user from SIPCC_NATS_USER and "
                 "SIPCC_NATS_PASSWORD_FILE (or SIPCC_NATS_PASSWORD), TLS from SIPCC_NATS_CA/CERT/KEY")
      ->capture_default_str();
  app.add_option("--timeout", timeout_ms, "reply timeout, ms")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600000));

  request_args req;
  auto* req_cmd = add_request_command(app, req);

  auto* watch_cmd = app.add_subcommand("watch", "print bus messages as JSON lines");
  std::string pattern = "sipcc.>";
  long count = 0;
  watch_cmd->add_option("pattern", pattern, "subject pattern")->capture_default_str();
  watch_cmd->add_option("--count", count, "exit after this many messages");

  auto* state_cmd = app.add_subcommand("state", "current state: `state`, `state dn <DN>`, `state agent <AgentID>`");
  std::string kind, id;
  state_cmd->add_option("kind", kind, "dn | agent")->check(CLI::IsMember({"dn", "agent"}));
  state_cmd->add_option("id", id, "DN or AgentID");

  auto* counters_cmd = app.add_subcommand("counters", "counters of one service instance");
  std::string instance;
  counters_cmd->add_option("instance", instance, "instance, e.g. presence-0 or edge1")->required();

  auto* health_cmd = app.add_subcommand(
      "health", "whether one service instance works: exit 0 OK, 1 failing, 4 no answer");
  std::string health_instance;
  health_cmd->add_option("instance", health_instance, "instance, e.g. presence-0 or edge1")
      ->required();

  conf_args conf;
  auto* conf_cmd = add_conf_command(app, conf);

  auto* key_cmd = app.add_subcommand(
      "password-key", "print the password-key of an agent for sipcc.yaml (agent-logins), from "
                      "--password-file or $SIPCC_AGENT_PASSWORD");
  std::string key_agent, key_file;
  key_cmd->add_option("agent-id", key_agent, "AgentID")->required();
  key_cmd->add_option("--password-file", key_file, "the password is this file's first line")
      ->check(CLI::ExistingFile);

  auto* media_cmd = app.add_subcommand(
      "media", "the media pool: servers (health, sessions), conferences, recordings");
  bool media_json = false;
  media_cmd->add_flag("--json", media_json, "print the MediaPool reply as JSON");

  CLI11_PARSE(app, argc, argv);

  if (*key_cmd) {  // no bus
    const auto password = agent_password(key_file);
    if (password.empty()) {
      std::cerr << "sipccctl: no password (--password-file or $SIPCC_AGENT_PASSWORD)\n";
      return k_bad_args;
    }
    std::cout << agent_password_key(key_agent, password) << "\n";
    return 0;
  }
  try {
    bus b(url, "sipccctl", std::chrono::milliseconds(2000));
    if (*watch_cmd)
      return cmd_watch(b, pattern, count);
    if (*req_cmd)
      return cmd_request(b, req, timeout_ms);
    if (*conf_cmd)
      return cmd_conf(b, conf, timeout_ms);
    if (*state_cmd)
      return cmd_state(b, kind, id, timeout_ms);
    if (*counters_cmd)
      return cmd_counters(b, instance, timeout_ms);
    if (*health_cmd)
      return cmd_health(b, health_instance, timeout_ms);
    if (*media_cmd)
      return cmd_media(b, media_json, timeout_ms);
  } catch (const std::exception& e) {
    std::cerr << "sipccctl: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
