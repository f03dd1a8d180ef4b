#include "sipcc/bus_schema.hpp"

#include "sipcc/v1/call.pb.h"
#include "sipcc/v1/media.pb.h"
#include "sipcc/v1/ops.pb.h"
#include "sipcc/v1/sip.pb.h"
#include "sipcc/v1/state.pb.h"

namespace sipcc {

namespace {

// Referencing each default instance keeps its generated code linked in, so
// every declared type is decodable in every binary that links this file.
using message_factory = const google::protobuf::Message& (*)();
const message_factory kFactories[] = {
#define SIPCC_X(name, pattern, type, doc) \
  []() -> const google::protobuf::Message& { return v1::type::default_instance(); },
    SIPCC_SUBJECTS(SIPCC_X)
#undef SIPCC_X
};

const subject_info kSubjects[] = {
#define SIPCC_X(name, pattern, type, doc) \
  {subject_family::name, #name, pattern, "sipcc.v1." #type, doc},
    SIPCC_SUBJECTS(SIPCC_X)
#undef SIPCC_X
};

// Splits off the next '.'-separated token.
std::string_view next_token(std::string_view& s) {
  auto dot = s.find('.');
  auto tok = s.substr(0, dot);
  s = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  return tok;
}

}  // namespace

const subject_info* subjects_begin() { return std::begin(kSubjects); }
const subject_info* subjects_end() { return std::end(kSubjects); }

bool subject_matches(std::string_view pattern, std::string_view subject) {
  while (!pattern.empty()) {
    if (subject.empty())
      return false;
    auto p = next_token(pattern);
    if (p == ">")
      return true;
    auto s = next_token(subject);
    if (p != "*" && p != s)
      return false;
  }
  return subject.empty();
}

const subject_info* classify_subject(std::string_view subject) {
  for (auto* i = subjects_begin(); i != subjects_end(); ++i)
    if (subject_matches(i->pattern, subject))
      return i;
  return nullptr;
}

std::unique_ptr<google::protobuf::Message> new_message_for(std::string_view subject) {
  auto* info = classify_subject(subject);
  if (!info)
    return nullptr;
  return std::unique_ptr<google::protobuf::Message>(
      kFactories[info - subjects_begin()]().New());
}

std::string_view request_family(v1::RequestType type) {
  switch (type) {
    case v1::TRegisterAddress:
    case v1::TUnregisterAddress:
    case v1::TAgentLogin:
    case v1::TAgentLogout:
    case v1::TAgentSetReady:
    case v1::TAgentSetNotReady:
    case v1::TQueryAddress:
      return "agent";
    case v1::TApplyTreatment:
      return "media";
    default:
      return "call";
  }
}

bool valid_subject_token(std::string_view token) {
  if (token.empty())
    return false;
  for (char c : token)
    if (c == '.' || c == '*' || c == '>' || c == ' ' || c == '\t' || c == '\r' || c == '\n')
      return false;
  return true;
}

namespace subj {
namespace {
std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) {
    if (!out.empty())
      out += '.';
    out += p;
  }
  return out;
}
}  // namespace

std::string edge_cmd(std::string_view edge_id) { return join({"sipcc.edge", edge_id, "cmd"}); }
std::string edge_leg(std::string_view edge_id) { return join({"sipcc.edge", edge_id, "leg"}); }
std::string leg_event(std::string_view owner, std::string_view leg_id) {
  return join({"sipcc.leg", owner, leg_id});
}
std::string leg_events_of(std::string_view owner) { return join({"sipcc.leg", owner, "*"}); }
std::string leg_audit(std::string_view owner) { return join({"sipcc.audit", owner}); }
std::string sub_event(std::string_view owner, std::string_view sub_id) {
  return join({"sipcc.sub", owner, sub_id});
}
std::string sub_events_of(std::string_view owner) { return join({"sipcc.sub", owner, "*"}); }
std::string tlib_req(v1::RequestType type, std::string_view dn) {
  return join({"sipcc.tlib.req", request_family(type), dn});
}
std::string tlib_req_family(std::string_view family) {
  return join({"sipcc.tlib.req", family, "*"});
}
std::string tlib_evt(std::string_view dn) { return join({"sipcc.tlib.evt", dn}); }
std::string agent_evt(std::string_view agent_id) { return join({"sipcc.agent.evt", agent_id}); }
std::string state_dn(std::string_view dn) { return join({"sipcc.state.dn", dn}); }
std::string dn_calls(uint32_t shard, std::string_view dn) {
  return join({"sipcc.dn.calls", std::to_string(shard), dn});
}
std::string dn_calls_of(uint32_t shard) {
  return join({"sipcc.dn.calls", std::to_string(shard), "*"});
}
std::string calls_checked(std::string_view instance) {
  return join({"sipcc.calls.checked", instance});
}
std::string calls_waiting_for(std::string_view member) {
  return join({"sipcc.calls.waiting_for", member});
}
std::string reg(std::string_view dn) { return join({"sipcc.reg", dn}); }
std::string ops_counters(std::string_view instance) {
  return join({"sipcc.ops", instance, "counters"});
}
std::string ops_ready(std::string_view instance) { return join({"sipcc.ops", instance, "ready"}); }
std::string ops_health(std::string_view instance) {
  return join({"sipcc.ops", instance, "health"});
}
std::string ops_fault(std::string_view instance) { return join({"sipcc.ops", instance, "fault"}); }
std::string edge_options(std::string_view edge_id) {
  return join({"sipcc.edge", edge_id, "options"});
}
std::string edge_snapshots(std::string_view edge_id) {
  return join({"sipcc.edge", edge_id, "snapshots"});
}
std::string probe(std::string_view owner) { return join({"sipcc.probe", owner}); }
std::string media_health(std::string_view server) { return join({"sipcc.media.health", server}); }
std::string media_leg(std::string_view owner) { return join({"sipcc.media.leg", owner}); }
std::string media_list(std::string_view owner) { return join({"sipcc.media.list", owner}); }
std::string media_placed(std::string_view owner, std::string_view conn_id) {
  return join({"sipcc.media.placed", owner, conn_id});
}
std::string media_placed_of(std::string_view owner) {
  return join({"sipcc.media.placed", owner, "*"});
}
std::string kv_dn_state(std::string_view dn) { return join({"$KV", dn_state_bucket, dn}); }
std::string kv_lease(std::string_view key) { return join({"$KV", lease_bucket, key}); }
}  // namespace subj

}  // namespace sipcc
