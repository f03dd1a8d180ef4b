#include "call_messages.hpp"

#include <spdlog/spdlog.h>

#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/service.hpp"
#include "sipcc/v1/state.pb.h"

namespace sipcc::callctl {

void leg_origins::stamp(const std::string& leg_id, v1::LegCommand& cmd) {
  std::string* sdp = nullptr;
  switch (cmd.cmd_case()) {
    case v1::LegCommand::kRespond:
      sdp = cmd.mutable_respond()->mutable_sdp();
      break;
    case v1::LegCommand::kInvite:
      sdp = cmd.mutable_invite()->mutable_sdp();
      break;
    case v1::LegCommand::kReinvite:
      sdp = cmd.mutable_reinvite()->mutable_sdp();
      break;
    case v1::LegCommand::kAck:
      sdp = cmd.mutable_ack()->mutable_sdp();
      break;
    default:
      return;
  }
  if (!sdp->empty())
    *sdp = stamp_origin(by_leg_[leg_id], *sdp);
}

void publish_leg_command(bus& nats, const std::string& edge, const std::string& leg_id,
                         v1::LegCommand cmd) {
  cmd.set_schema(v1::SCHEMA_V1);
  cmd.set_leg_id(leg_id);
  nats.publish(subj::edge_leg(edge), cmd);
}

void publish_call_fact(bus& nats, const presence_shards& shards, const std::string& dn,
                       const std::string& conn_id, bool active, bool answered, bool shown) {
  v1::DnCallFact f;
  f.set_schema(v1::SCHEMA_V1);
  f.set_dn(dn);
  f.set_conn_id(conn_id);
  f.set_active(active);
  f.set_answered(answered);
  f.set_shown(shown);
  nats.publish(subj::dn_calls(presence_shard_of(shards, dn), dn), f);
}

void publish_call_event(bus& nats, v1::TEvent& ev) {
  ev.set_schema(v1::SCHEMA_V1);
  ev.set_timestamp_us(now_us());
  nats.publish(subj::tlib_evt(ev.this_dn()), ev);
  process_counters().add(counter_id::tlib_events, v1::EventType_Name(ev.type()));
  spdlog::info("ConnID {}: {} on DN {}", ev.conn_id(), v1::EventType_Name(ev.type()),
               ev.this_dn());
}

v1::ConfReply conf_answer(const v1::ConfRequest& req, const std::string& error) {
  v1::ConfReply r;
  r.set_schema(v1::SCHEMA_V1);
  r.set_reference_id(req.reference_id());
  r.set_op(req.op());
  r.set_conf_id(req.conf_id());
  r.set_conn_id(req.conn_id());
  r.set_error(error);
  if (!error.empty())
    process_counters().add(counter_id::tlib_errors, "conf");
  return r;
}

}  // namespace sipcc::callctl
