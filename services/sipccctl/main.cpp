// sipccctl: the operator's and developer's window on the bus. Sends desktop
// requests, prints decoded bus traffic as JSON lines, queries state and
// counters. Every payload is decoded through the declared subject list.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "decode_line.hpp"
#include "sipcc/bus.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/call.pb.h"
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sipccctl: desktop requests, conferences, bus watch, state and counters"};
  app.require_subcommand(1);
  // Inherited by every subcommand: the options above may also come after
  // the subcommand and its arguments (`request 1000 TAgentLogin --timeout 500`).
  app.fallthrough();
  const char* env_url = std::getenv("SIPCC_NATS");
  std::string url = env_url ? env_url : "nats://127.0.0.1:4222";
  int timeout_ms = 3000;
  app.add_option("--nats", url, "NATS URL (or SIPCC_NATS)")->capture_default_str();
  app.add_option("--timeout", timeout_ms, "reply timeout, ms")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600000));

  auto* req_cmd = app.add_subcommand("request", "send a desktop request for a DN, print the reply");
  std::string dn, type_name, agent_id, password, conn_id, other_dn, work_mode, reference_id,
      treatment, digits, transfer_conn_id;
  std::vector<std::string> reasons, extensions, user_data, treatment_parms;
  req_cmd->add_option("dn", dn, "ThisDN")->required();
  req_cmd->add_option("request", type_name, "TRequest name, e.g. TAgentLogin")->required();
  req_cmd->add_option("--agent-id", agent_id, "AgentID");
  req_cmd->add_option("--password", password, "agent password");
  req_cmd->add_option("--conn-id", conn_id, "ConnID");
  req_cmd->add_option("--other-dn", other_dn, "OtherDN");
  req_cmd->add_option("--digits", digits, "TSendDTMF: the digits to send (0-9 * # A-D)");
  req_cmd->add_option("--transfer-conn-id", transfer_conn_id,
                      "TransferConnID: the other call of TCompleteTransfer, TReconnectCall, "
                      "TAlternateCall");
  req_cmd->add_option("--work-mode", work_mode, "AuxWork|AfterCallWork|ManualIn|AutoIn");
  req_cmd->add_option("--reference-id", reference_id, "ReferenceID (default: generated)");
  req_cmd->add_option("--reason", reasons, "Reasons key=value (repeatable)");
  req_cmd->add_option("--extension", extensions, "Extensions key=value (repeatable)");
  req_cmd->add_option("--user-data", user_data, "UserData key=value (repeatable)");
  req_cmd->add_option("--treatment", treatment, "TreatmentType (TApplyTreatment), e.g. Music");
  req_cmd->add_option("--treatment-parm", treatment_parms,
                      "TreatmentParms key=value (repeatable), e.g. PROMPT=welcome");

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

  auto* conf_cmd = app.add_subcommand(
      "conf", "conferences on the media server: `conf create`, `conf join <conf-id> <ConnID>`, "
              "`conf leave <ConnID>`");
  std::string conf_op, conf_arg1, conf_arg2;
  bool conf_record = false;
  conf_cmd->add_option("op", conf_op, "create | join | leave")
      ->required()
      ->check(CLI::IsMember({"create", "join", "leave"}));
  conf_cmd->add_option("args", conf_arg1, "join: the conf-id; leave: the ConnID");
  conf_cmd->add_option("conn-id", conf_arg2, "join: the ConnID");
  conf_cmd->add_flag("--record", conf_record, "join: record the conference (<conf-id>.wav)");

  CLI11_PARSE(app, argc, argv);

  try {
    bus b(url, "sipccctl", std::chrono::milliseconds(2000));
    auto timeout = std::chrono::milliseconds(timeout_ms);
    if (*watch_cmd)
      return cmd_watch(b, pattern, count);

    if (*req_cmd) {
      v1::TRequest r;
      r.set_schema(v1::SCHEMA_V1);
      v1::RequestType t;
      if (!v1::RequestType_Parse(type_name, &t) || t == v1::REQUEST_UNSPECIFIED) {
        std::cerr << "sipccctl: unknown request '" << type_name << "'\n";
        return 2;
      }
      v1::WorkMode wm = v1::WORK_MODE_UNSPECIFIED;
      if (!work_mode.empty() && !v1::WorkMode_Parse(work_mode, &wm)) {
        std::cerr << "sipccctl: unknown WorkMode '" << work_mode << "'\n";
        return 2;
      }
      v1::TreatmentType tt = v1::TREATMENT_UNSPECIFIED;
      if (!treatment.empty() && !v1::TreatmentType_Parse(treatment, &tt)) {
        std::cerr << "sipccctl: unknown TreatmentType '" << treatment << "'\n";
        return 2;
      }
      if (!valid_subject_token(dn)) {
        std::cerr << "sipccctl: '" << dn << "' cannot be a DN\n";
        return 2;
      }
      for (auto& [list, field] : {std::pair{&reasons, r.mutable_reasons()},
                                  std::pair{&extensions, r.mutable_extensions()},
                                  std::pair{&user_data, r.mutable_user_data()},
                                  std::pair{&treatment_parms, r.mutable_treatment_parms()}})
        for (auto& s : *list)
          if (!parse_kv(s, *field)) {
            std::cerr << "sipccctl: '" << s << "' is not key=value\n";
            return 2;
          }
      r.set_type(t);
      r.set_this_dn(dn);
      r.set_agent_id(agent_id);
      r.set_password(password);
      r.set_conn_id(conn_id);
      r.set_other_dn(other_dn);
      r.set_dtmf_digits(digits);
      r.set_transfer_conn_id(transfer_conn_id);
      r.set_work_mode(wm);
      r.set_treatment_type(tt);
      r.set_client("sipccctl");
      r.set_reference_id(reference_id.empty() ? std::to_string(getpid()) : reference_id);
      auto reply = b.request(subj::tlib_req(t, dn), r, timeout);
      if (!reply) {
        std::cerr << "sipccctl: no reply on " << subj::tlib_req(t, dn) << " within "
                  << timeout_ms << " ms (is the owning service running?)\n";
        return 4;
      }
      v1::TEvent ev;
      if (!ev.ParseFromString(*reply)) {
        std::cerr << "sipccctl: the reply is not a TEvent\n";
        return 4;
      }
      std::cout << to_json(ev).dump() << std::endl;
      return ev.type() == v1::EventError ? 1 : 0;
    }

    if (*conf_cmd) {
      v1::ConfRequest q;
      q.set_schema(v1::SCHEMA_V1);
      q.set_reference_id(std::to_string(getpid()));
      q.set_op(conf_op == "create" ? v1::CONF_CREATE
               : conf_op == "join" ? v1::CONF_JOIN
                                   : v1::CONF_LEAVE);
      if (q.op() == v1::CONF_JOIN) {
        q.set_conf_id(conf_arg1);
        q.set_conn_id(conf_arg2);
      } else {
        q.set_conn_id(conf_arg1);
      }
      q.set_record(conf_record);
      if (q.op() != v1::CONF_CREATE && q.conn_id().empty()) {
        std::cerr << "sipccctl: conf " << conf_op << " needs a ConnID\n";
        return 2;
      }
      auto reply = b.request(subj::conf_req, q, timeout);
      v1::ConfReply r;
      if (!reply || !r.ParseFromString(*reply)) {
        std::cerr << "sipccctl: no conference reply within " << timeout_ms
                  << " ms (is callctl running?)\n";
        return 4;
      }
      std::cout << to_json(r).dump() << std::endl;
      return r.error().empty() ? 0 : 1;
    }

    if (*state_cmd) {
      v1::StateQuery q;
      q.set_schema(v1::SCHEMA_V1);
      if (kind.empty()) {
        q.set_kind(v1::StateQuery::ALL_DNS);
      } else {
        if (id.empty()) {
          std::cerr << "sipccctl: state " << kind << " needs an id\n";
          return 2;
        }
        q.set_kind(kind == "dn" ? v1::StateQuery::DN : v1::StateQuery::AGENT);
        q.set_id(id);
      }
      auto reply = b.request(subj::state_query, q, timeout);
      v1::StateReply r;
      if (!reply || !r.ParseFromString(*reply)) {
        std::cerr << "sipccctl: no state reply within " << timeout_ms << " ms\n";
        return 4;
      }
      std::cout << to_json(r).dump(2) << std::endl;
      return r.found() ? 0 : 1;
    }

    if (*counters_cmd) {
      v1::CounterQuery q;
      q.set_schema(v1::SCHEMA_V1);
      auto reply = b.request(subj::ops_counters(instance), q, timeout);
      v1::CounterSet cs;
      if (!reply || !cs.ParseFromString(*reply)) {
        std::cerr << "sipccctl: instance " << instance << " did not answer\n";
        return 4;
      }
      std::cout << to_json(cs).dump(2) << std::endl;
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "sipccctl: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
