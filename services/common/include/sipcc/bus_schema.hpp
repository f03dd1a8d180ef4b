// The one declared list of bus subjects: pattern, protobuf message type and
// meaning. sipccctl decodes with it, services count traffic per family with
// it, and docs/bus.md is checked against it by a unit test.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include "sipcc/v1/tlib.pb.h"

// X(family, subject pattern, message type, what it carries)
#define SIPCC_SUBJECTS(X)                                                          \
  X(edge_cmd, "sipcc.edge.*.cmd", EdgeCommand,                                     \
    "commands to one sip-edge instance (subscribe, unsubscribe)")                  \
  X(edge_leg, "sipcc.edge.*.leg", LegCommand,                                      \
    "call-leg commands to one sip-edge instance (claim, respond, invite, bye...)")  \
  X(in_invite, "sipcc.in.invite", LegEvent,                                        \
    "a new inbound INVITE, to the callctl queue group; the taker claims the leg")  \
  X(leg_event, "sipcc.leg.*.*", LegEvent,                                          \
    "call-leg events to the owner token then leg-id")                              \
  X(leg_audit, "sipcc.audit.*", LegAudit,                                          \
    "the legs one edge holds for the owner, sent periodically")                    \
  X(sub_event, "sipcc.sub.*.*", SubEvent,                                          \
    "subscription outcomes and NOTIFYs, to the owner token then sub-id")           \
  X(tlib_req, "sipcc.tlib.req.*.*", TRequest,                                      \
    "desktop requests by family then DN; request/reply, the reply is a TEvent")    \
  X(conf_req, "sipcc.conf.req", ConfRequest,                                       \
    "conference create / join / leave; request/reply, the reply is a ConfReply")   \
  X(tlib_evt, "sipcc.tlib.evt.*", TEvent, "events for the desktops of a DN")       \
  X(agent_evt, "sipcc.agent.evt.*", TEvent, "agent events by AgentID")             \
  X(state_dn, "sipcc.state.dn.*", DnState, "current state of a DN, on change")     \
  X(state_query, "sipcc.state.query", StateQuery,                                  \
    "state query; request/reply, the reply is a StateReply")                       \
  X(dn_calls, "sipcc.dn.calls.*.*", DnCallFact,                                    \
    "the DN has / no longer has a sipcc call (callctl -> its presence shard)")     \
  X(calls_check, "sipcc.calls.check", CallCheck,                                   \
    "which of these ConnIDs are no call (presence -> callctl), request/reply")     \
  X(calls_checked, "sipcc.calls.checked.*", CallCheckReply,                        \
    "callctl's answer to sipcc.calls.check, to the presence instance that asked")  \
  X(calls_waiting, "sipcc.calls.waiting", WaitingCallsQuery,                       \
    "which calls wait at a Routing Point (a starting router -> callctl)")          \
  X(calls_waiting_for, "sipcc.calls.waiting_for.*", CallWaiting,                   \
    "a call waiting at a Routing Point, to the router member that asked")          \
  X(reg, "sipcc.reg.*", Registration,                                              \
    "a phone's binding on the registrar, by DN: on every change and expiry")       \
  X(ops_counters, "sipcc.ops.*.counters", CounterQuery,                            \
    "counter query to one instance; request/reply, the reply is a CounterSet")     \
  X(ops_ready, "sipcc.ops.*.ready", ServiceReady, "a service instance is up")      \
  X(ops_health, "sipcc.ops.*.health", HealthQuery,                                 \
    "health query to one instance; request/reply, the reply is a HealthReply")     \
  X(ops_fault, "sipcc.ops.*.fault", FaultInjection,                                \
    "test only: fails the instance's root actor when it runs with "                \
    "SIPCC_FAULT_INJECTION=1")                                                     \
  X(edge_options, "sipcc.edge.*.options", OptionsProbe,                            \
    "send one SIP OPTIONS (a media server's health probe) from that edge")         \
  X(edge_snapshots, "sipcc.edge.*.snapshots", SnapshotQuery,                       \
    "the call snapshots one edge keeps on an owner's legs, a page at a time; "     \
    "request/reply, the reply is a SnapshotPage")                                  \
  X(probe, "sipcc.probe.*", OptionsResult, "an OPTIONS probe's outcome, to its owner") \
  X(media_req, "sipcc.media.req", MediaRequest,                                    \
    "where a media leg goes; request/reply, the reply is a MediaReply")            \
  X(media_placed, "sipcc.media.placed.*.*", MediaReply,                            \
    "the media service's answer to a call's sipcc.media.req, by owner then ConnID") \
  X(media_health, "sipcc.media.health.*", MediaHealth,                             \
    "a media server's health changed, by server name")                             \
  X(media_leg, "sipcc.media.leg.*", MediaLegEvent,                                 \
    "a media leg started or ended, by owner (callctl instance)")                   \
  X(media_sync, "sipcc.media.sync", MediaSync,                                     \
    "a media service instance asks every owner for its media legs")                \
  X(media_list, "sipcc.media.list.*", MediaLegList,                                \
    "every media leg one owner holds, its answer to sipcc.media.sync")             \
  X(media_pool, "sipcc.media.pool", MediaPoolQuery,                                \
    "the media pool's state; request/reply, the reply is a MediaPool")             \
  X(kv_dn_state, "$KV.sipcc_dn_state.*", DnState,                                  \
    "a DN's state as presence saved it (JetStream key-value bucket)")              \
  X(kv_lease, "$KV.sipcc_leases.>", Lease,                                         \
    "a shard's lease or a member's heartbeat, by service (JetStream key-value "    \
    "bucket)")

namespace sipcc {

enum class subject_family {
#define SIPCC_X(name, pattern, type, doc) name,
  SIPCC_SUBJECTS(SIPCC_X)
#undef SIPCC_X
      unknown
};

struct subject_info {
  subject_family family;
  const char* name;
  const char* pattern;
  const char* type;  // fully qualified protobuf name, e.g. sipcc.v1.TEvent
  const char* doc;
};

// All declared subjects, in declaration order.
const subject_info* subjects_begin();
const subject_info* subjects_end();

// NATS token matching: '*' one token, '>' one or more trailing tokens.
bool subject_matches(std::string_view pattern, std::string_view subject);

// The declared family a concrete subject belongs to (nullptr when none).
const subject_info* classify_subject(std::string_view subject);

// A new, empty message of the subject's declared type (nullptr when none).
std::unique_ptr<google::protobuf::Message> new_message_for(std::string_view subject);

// Which service family owns a desktop request: "agent" (presence), "call"
// (callctl) or "media". The requester publishes on
// sipcc.tlib.req.<family>.<dn>.
std::string_view request_family(v1::RequestType type);

// A token safe inside a subject: non-empty, no '.', '*', '>' or white space.
bool valid_subject_token(std::string_view token);

// Subject builders, so no service spells a subject by hand.
namespace subj {
std::string edge_cmd(std::string_view edge_id);
std::string edge_leg(std::string_view edge_id);
inline constexpr const char* in_invite = "sipcc.in.invite";
inline constexpr const char* in_invite_queue = "callctl";
std::string leg_event(std::string_view owner, std::string_view leg_id);
std::string leg_events_of(std::string_view owner);  // wildcard for the owner
std::string leg_audit(std::string_view owner);
std::string sub_event(std::string_view owner, std::string_view sub_id);
std::string sub_events_of(std::string_view owner);  // wildcard for the owner
std::string tlib_req(v1::RequestType type, std::string_view dn);
std::string tlib_req_family(std::string_view family);  // wildcard
inline constexpr const char* conf_req = "sipcc.conf.req";
std::string tlib_evt(std::string_view dn);
std::string agent_evt(std::string_view agent_id);
std::string state_dn(std::string_view dn);
inline constexpr const char* state_dn_all = "sipcc.state.dn.*";
inline constexpr const char* state_query = "sipcc.state.query";
// By the DN's presence shard (presence_shard_of), so only the member holding
// the DN hears its facts.
std::string dn_calls(uint32_t shard, std::string_view dn);
std::string dn_calls_of(uint32_t shard);  // wildcard for the shard
inline constexpr const char* calls_check = "sipcc.calls.check";
std::string calls_checked(std::string_view instance);
inline constexpr const char* calls_waiting = "sipcc.calls.waiting";
std::string calls_waiting_for(std::string_view member);
std::string reg(std::string_view dn);
inline constexpr const char* reg_all = "sipcc.reg.*";
std::string ops_counters(std::string_view instance);
std::string ops_ready(std::string_view instance);
inline constexpr const char* ops_ready_all = "sipcc.ops.*.ready";
std::string ops_health(std::string_view instance);
std::string ops_fault(std::string_view instance);
std::string edge_options(std::string_view edge_id);
std::string edge_snapshots(std::string_view edge_id);
std::string probe(std::string_view owner);
inline constexpr const char* media_req = "sipcc.media.req";
std::string media_placed(std::string_view owner, std::string_view conn_id);
std::string media_placed_of(std::string_view owner);  // wildcard for the owner
std::string media_health(std::string_view server);
std::string media_leg(std::string_view owner);
inline constexpr const char* media_leg_all = "sipcc.media.leg.*";
inline constexpr const char* media_sync = "sipcc.media.sync";
std::string media_list(std::string_view owner);
inline constexpr const char* media_list_all = "sipcc.media.list.*";
inline constexpr const char* media_pool = "sipcc.media.pool";
// The key-value bucket presence keeps each DN's state in (key: the DN).
inline constexpr const char* dn_state_bucket = "sipcc_dn_state";
std::string kv_dn_state(std::string_view dn);
// The key-value bucket of shard leases and member heartbeats
// (sipcc/leases.hpp: keys <service>.shard.<n>, <service>.member.<member>).
inline constexpr const char* lease_bucket = "sipcc_leases";
std::string kv_lease(std::string_view key);
}  // namespace subj

}  // namespace sipcc
