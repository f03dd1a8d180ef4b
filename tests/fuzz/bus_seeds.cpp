// Writes the seed corpus of the bus harnesses: one file per declared subject
// family ("<subject>\n<payload>", the message hand-written below in protobuf
// text format) and one per request/reply answer ("<type name>\n<payload>").
// Built and run by tests/fuzz/CMakeLists.txt; a family without a seed here
// stops the build, so a new subject cannot go unfuzzed.
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/text_format.h>

#include "sipcc/bus_schema.hpp"

namespace {

namespace pb = google::protobuf;

// family -> {a subject of that family, the message}
const std::map<std::string, std::pair<std::string, std::string>> kSubjectSeeds = {
    {"edge_cmd",
     {"sipcc.edge.edge1.cmd",
      R"(schema: SCHEMA_V1 cmd_id: "c1" subscribe { sub_id: "s1" owner: "presence-0"
         key: "1000" target_uri: "sip:1000@127.0.0.1:5070" event: "presence"
         accept: "application/pidf+xml" expires: 600 contact_params: "mb=1000;dn=1000" })"}},
    {"edge_leg",
     {"sipcc.edge.edge1.leg",
      R"(schema: SCHEMA_V1 leg_id: "c1-1" invite { owner: "callctl-0" conn_id: "c1"
         target_uri: "sip:1000@127.0.0.1:5070" from_uri: "sip:5551234@127.0.0.1"
         from_name: "Caf\303\251" sdp: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n" timeout_ms: 20000
         headers: "X-Mailbox: 1000@default" ack_later: true })"}},
    {"in_invite",
     {"sipcc.in.invite",
      R"(schema: SCHEMA_V1 leg_id: "edge1-1" edge_id: "edge1" incoming {
         request_uri: "sip:8000@127.0.0.1:5060" to_user: "8000" from_user: "5551234"
         from_uri: "sip:5551234@127.0.0.1" from_name: "Jos\303\251" call_id: "abc@127.0.0.1"
         sdp: "v=0\r\nm=audio 4000 RTP/AVP 0\r\n" source: "127.0.0.1:5070" })"}},
    {"leg_event",
     {"sipcc.leg.callctl-0.edge1-1",
      R"(schema: SCHEMA_V1 leg_id: "edge1-1" edge_id: "edge1" conn_id: "c1"
         info { content_type: "application/dtmf-relay" body: "Signal=5\r\nDuration=160\r\n" })"}},
    {"leg_audit",
     {"sipcc.audit.callctl-0",
      R"(schema: SCHEMA_V1 edge_id: "edge1" leg_ids: "edge1-1" leg_ids: "c1-2")"}},
    {"sub_event",
     {"sipcc.sub.presence-0.s1",
      R"(schema: SCHEMA_V1 sub_id: "s1" key: "1000" edge_id: "edge1" notify { cseq: 2
         substate: "active" expires: 599 content_type: "application/pidf+xml"
         body: "<presence entity=\"sip:1000@127.0.0.1\"/>" call_id: "x@127.0.0.1"
         dialog_tag: "t1" })"}},
    {"tlib_req",
     {"sipcc.tlib.req.call.1000",
      R"(schema: SCHEMA_V1 type: TMakeCall reference_id: "7" this_dn: "1000"
         other_dn: "2000" user_data { pairs { key: "Segment" str: "Gold" }
         pairs { key: "Nested" list { pairs { key: "n" num: -3 } } } } client: "desk")"}},
    {"conf_req",
     {"sipcc.conf.req",
      R"(schema: SCHEMA_V1 op: CONF_JOIN reference_id: "r1" conf_id: "room1" conn_id: "c1"
         record: true)"}},
    {"tlib_evt",
     {"sipcc.tlib.evt.1000",
      R"(schema: SCHEMA_V1 type: EventRinging this_dn: "1000" conn_id: "c1" ani: "5551234"
         dnis: "8000" ani_name: "Jos\303\251" timestamp_us: 1700000000000000
         dn_state { dn: "1000" device: DEVICE_RINGING sipcc_calls: "c1" })"}},
    {"agent_evt",
     {"sipcc.agent.evt.a1",
      R"(schema: SCHEMA_V1 type: EventAgentReady this_dn: "1000" agent_id: "a1"
         work_mode: AutoIn reasons { pairs { key: "r" str: "lunch" } })"}},
    {"state_dn",
     {"sipcc.state.dn.1000",
      R"(schema: SCHEMA_V1 dn: "1000" type: Extension device: DEVICE_BUSY in_service: true
         sipcc_calls: "c1" agent { agent_id: "a1" state: AGENT_READY acw_gen: 3 }
         routable: false since_us: 1700000000000000)"}},
    {"state_query", {"sipcc.state.query", R"(schema: SCHEMA_V1 kind: DN id: "1000")"}},
    {"dn_calls",
     {"sipcc.dn.calls.0.1000",
      R"(schema: SCHEMA_V1 dn: "1000" conn_id: "c1" active: false answered: true)"}},
    {"calls_check",
     {"sipcc.calls.check", R"(schema: SCHEMA_V1 conn_ids: "c1" conn_ids: "007d0000000002")"}},
    {"calls_checked",
     {"sipcc.calls.checked.presence-0",
      R"(schema: SCHEMA_V1 instance: "callctl-0" unknown: "007d0000000002")"}},
    {"calls_waiting", {"sipcc.calls.waiting", R"(schema: SCHEMA_V1)"}},
    {"calls_waiting_for",
     {"sipcc.calls.waiting_for.router-0",
      R"(schema: SCHEMA_V1 instance: "callctl-0" conn_id: "007d0000000002" rp: "8000"
         waiting_since_us: 1700000000000000)"}},
    {"reg",
     {"sipcc.reg.2000",
      R"(schema: SCHEMA_V1 dn: "2000" contact: "sip:2000@10.0.0.5:5062" expires_s: 300
         edge_id: "edge1" source: "[::1]:5062")"}},
    {"ops_counters", {"sipcc.ops.presence-0.counters", R"(schema: SCHEMA_V1)"}},
    {"ops_ready",
     {"sipcc.ops.callctl-0.ready",
      R"(schema: SCHEMA_V1 instance: "callctl-0" service: "callctl" listen: "nats")"}},
    {"ops_health", {"sipcc.ops.router-0.health", R"(schema: SCHEMA_V1)"}},
    {"ops_fault",
     {"sipcc.ops.router-0.fault", R"(schema: SCHEMA_V1 reason: "injected by a test")"}},
    {"edge_options",
     {"sipcc.edge.edge1.options",
      R"(schema: SCHEMA_V1 probe_id: "media-0-1a2b3c4d-7" owner: "media-0"
         target_uri: "sip:127.0.0.1:5070" timeout_ms: 2000)"}},
    {"edge_snapshots",
     {"sipcc.edge.edge1.snapshots",
      R"(schema: SCHEMA_V1 owner: "callctl-b" cursor: "edge1-7" take_over_from: "callctl-a"
         shards: 3 shards: 9)"}},
    {"probe",
     {"sipcc.probe.media-0",
      R"(schema: SCHEMA_V1 probe_id: "media-0-1a2b3c4d-7" edge_id: "edge1" status: 408
         phrase: "Request Timeout" timed_out: true)"}},
    {"media_req",
     {"sipcc.media.req",
      R"(schema: SCHEMA_V1 kind: MEDIA_TREATMENT conn_id: "c1" leg_id: "c1-3"
         treatment_type: PlayAnnouncement treatment_parms { pairs { key: "PROMPT"
         str: "welcome" } pairs { key: "LANGUAGE" str: "fr" } })"}},
    {"media_placed",
     {"sipcc.media.placed.callctl-0.c1",
      R"(schema: SCHEMA_V1 refusal: MEDIA_POOL_FULL reason: "every server is at capacity"
         instance: "media-0" conn_id: "c1" leg_id: "c1-3")"}},
    {"media_health",
     {"sipcc.media.health.ms1",
      R"(schema: SCHEMA_V1 server: "ms1" address: "127.0.0.1:5070" state: MEDIA_OUT_OF_SERVICE
         previous: MEDIA_IN_SERVICE reason: "3 OPTIONS in a row failed"
         instance: "media-0" time_us: 1700000000000000)"}},
    {"media_leg",
     {"sipcc.media.leg.callctl-0",
      R"(schema: SCHEMA_V1 owner: "callctl-0" started { conn_id: "c1" leg_id: "c1-4"
         server: "ms1" kind: MEDIA_RECORDING conf_id: "rec-c1-4" record_file: "c1-4.wav"
         started_us: 1700000000000000 })"}},
    {"media_sync", {"sipcc.media.sync", R"(schema: SCHEMA_V1 instance: "media-0")"}},
    {"media_list",
     {"sipcc.media.list.callctl-0",
      R"(schema: SCHEMA_V1 owner: "callctl-0" legs { conn_id: "c1" leg_id: "c1-5"
         server: "ms2" kind: MEDIA_CONFERENCE conf_id: "room1" })"}},
    {"media_pool", {"sipcc.media.pool", R"(schema: SCHEMA_V1)"}},
    {"kv_dn_state",
     {"$KV.sipcc_dn_state.1000",
      R"(schema: SCHEMA_V1 dn: "1000" type: Extension device: DEVICE_IDLE monitor: MONITOR_ACTIVE
         in_service: true agent { agent_id: "a1" state: AGENT_NOT_READY work_mode: AfterCallWork
         in_acw: true acw_gen: 2 acw_until_us: 1700000030000000 } since_us: 1700000000000000)"}},
    {"kv_lease",
     {"$KV.sipcc_leases.mwi.shard.3",
      R"(schema: SCHEMA_V1 holder: "mwi-0-box-4242" written_us: 1700000000000000)"}},
};

// The answers of request/reply subjects, which come back on an inbox.
const std::map<std::string, std::string> kReplySeeds = {
    {"sipcc.v1.TEvent",
     R"(schema: SCHEMA_V1 type: EventError reference_id: "7" error_code: ERR_NOT_OWNER
        error_message: "no owner")"},
    {"sipcc.v1.ConfReply",
     R"(schema: SCHEMA_V1 reference_id: "r1" op: CONF_CREATE conf_id: "room1")"},
    {"sipcc.v1.StateReply",
     R"(schema: SCHEMA_V1 found: true dns { dn: "1000" device: DEVICE_IDLE }
        agents { agent_id: "a1" dn: "1000" })"},
    {"sipcc.v1.MediaReply",
     R"(schema: SCHEMA_V1 server: "ms1" address: "127.0.0.1:5070"
        uri: "sip:annc@127.0.0.1:5070;play=file:welcome;locale=fr" instance: "media-0")"},
    {"sipcc.v1.MediaPool",
     R"(schema: SCHEMA_V1 instance: "media-0" servers { name: "ms1" address: "127.0.0.1:5070"
        health: MEDIA_IN_SERVICE weight: 2 capacity: 100 sessions: 3 pending: 1
        last_probe: "200 OK" } conferences { conf_id: "room1" server: "ms1"
        parties { conn_id: "c1" leg_id: "c1-5" } } recordings { file: "c1-4.wav"
        conn_id: "c1" server: "ms1" started_us: 1700000000000000 })"},
    {"sipcc.v1.HealthReply",
     R"(schema: SCHEMA_V1 service: "router" instance: "router-0" status: HEALTH_FAILING
        detail: "the root actor ended (a normal exit); the process is exiting"
        started_us: 1700000000000000)"},
    {"sipcc.v1.SnapshotPage",
     R"(schema: SCHEMA_V1 edge_id: "edge1" next_cursor: "edge1-7"
        snapshots: "\010\001\022\005edge1\032\0200000000000000001")"},
    {"sipcc.v1.CounterSet",
     R"(schema: SCHEMA_V1 instance: "presence-0" counters { name: "bus_in" label: "tlib_req"
        kind: "counter" value: 12 })"},
};

bool write_seed(const std::string& dir, const std::string& file, const std::string& head,
                const std::string& type, const std::string& text) {
  auto* desc = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(type);
  if (!desc) {
    std::fprintf(stderr, "bus_seeds: no message type %s\n", type.c_str());
    return false;
  }
  std::unique_ptr<pb::Message> msg(pb::MessageFactory::generated_factory()->GetPrototype(desc)->New());
  if (!pb::TextFormat::ParseFromString(text, msg.get())) {
    std::fprintf(stderr, "bus_seeds: the %s seed is no %s\n", file.c_str(), type.c_str());
    return false;
  }
  std::ofstream out(dir + "/" + file, std::ios::binary);
  out << head << '\n' << msg->SerializeAsString();
  return bool(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <seed directory>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  for (auto* s = sipcc::subjects_begin(); s != sipcc::subjects_end(); ++s) {
    auto it = kSubjectSeeds.find(s->name);
    if (it == kSubjectSeeds.end()) {
      std::fprintf(stderr, "bus_seeds: no seed for subject family %s: add one to %s\n", s->name,
                   __FILE__);
      return 1;
    }
    auto& [subject, text] = it->second;
    if (!sipcc::subject_matches(s->pattern, subject) ||
        !write_seed(dir, s->name, subject, s->type, text))
      return 1;
  }
  for (auto& [type, text] : kReplySeeds)
    if (!write_seed(dir, type, type, type, text))
      return 1;
  return 0;
}
