#include "call_messages.hpp"

#include <spdlog/spdlog.h>

#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/service.hpp"
#include "sipcc/v1/state.pb.h"

namespace sipcc::callctl {

void publish_leg_command(bus& nats, const std::string& edge, const std::string& leg_id,
                         v1::LegCommand cmd) {
  cmd.set_schema(v1::SCHEMA_V1);
  cmd.set_leg_id(leg_id);
  nats.publish(subj::edge_leg(edge), cmd);
}

void publish_call_fact(bus& nats, const std::string& dn, const std::string& conn_id, bool active,
                       bool answered) {
  v1::DnCallFact f;
  f.set_schema(v1::SCHEMA_V1);
  f.set_dn(dn);
  f.set_conn_id(conn_id);
  f.set_active(active);
  f.set_answered(answered);
  nats.publish(subj::dn_calls(dn), f);
}

v1::TEvent call_tevent(v1::EventType type, const std::string& this_dn,
                       const std::string& other_dn, const std::string& conn_id) {
  v1::TEvent ev;
  ev.set_schema(v1::SCHEMA_V1);
  ev.set_type(type);
  ev.set_this_dn(this_dn);
  ev.set_other_dn(other_dn);
  ev.set_conn_id(conn_id);
  return ev;
}

void publish_call_event(bus& nats, v1::TEvent& ev) {
  ev.set_schema(v1::SCHEMA_V1);
  ev.set_timestamp_us(now_us());
  nats.publish(subj::tlib_evt(ev.this_dn()), ev);
  process_counters().add(counter_id::tlib_events, v1::EventType_Name(ev.type()));
  spdlog::info("ConnID {}: {} on DN {}", ev.conn_id(), v1::EventType_Name(ev.type()),
               ev.this_dn());
}

void set_reason(v1::TEvent& ev, const std::string& reason) {
  auto* kv = ev.mutable_reasons()->add_pairs();
  kv->set_key("Reason");
  kv->set_str(reason);
}

void add_dtmf_digits(v1::TEvent& ev, const std::string& digits) {
  auto* kv = ev.mutable_extensions()->add_pairs();
  kv->set_key("DTMFDigits");
  kv->set_str(digits);
}

}  // namespace sipcc::callctl
