// DN and agent state: each scenario feeds dn_step() a sequence of inputs and
// checks the events, the reply and the resulting agent / service state.
#include "presence/model/dn_logic.hpp"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace sipcc {
namespace {

using google::protobuf::util::MessageDifferencer;

const std::string kDn = "1001";

v1::KVList reasons(const std::string& code) {
  v1::KVList list;
  auto* kv = list.add_pairs();
  kv->set_key("ReasonCode");
  kv->set_str(code);
  return list;
}

dn_input request(v1::RequestType type, const std::string& agent,
                 v1::WorkMode mode = v1::WORK_MODE_UNSPECIFIED) {
  // Distinct ReferenceIDs, so an echo of the wrong request would show.
  static int next_ref = 0;
  dn_input in{};
  in.what = dn_input::request;
  in.req.set_schema(v1::SCHEMA_V1);
  in.req.set_type(type);
  in.req.set_reference_id("ref-" + std::to_string(++next_ref));
  in.req.set_this_dn(kDn);
  in.req.set_agent_id(agent);
  in.req.set_work_mode(mode);
  return in;
}

dn_input login(const std::string& agent, v1::WorkMode mode = v1::WORK_MODE_UNSPECIFIED) {
  return request(v1::TAgentLogin, agent, mode);
}
dn_input logout(const std::string& agent) { return request(v1::TAgentLogout, agent); }
dn_input set_ready(const std::string& agent) { return request(v1::TAgentSetReady, agent); }
dn_input set_not_ready(const std::string& agent, v1::WorkMode mode,
                       const std::string& reason = "") {
  auto in = request(v1::TAgentSetNotReady, agent, mode);
  if (!reason.empty())
    *in.req.mutable_reasons() = reasons(reason);
  return in;
}

dn_input device(v1::DeviceState d) {
  dn_input in{};
  in.what = dn_input::device_changed;
  in.device = d;
  return in;
}

dn_input monitoring(bool live) {
  dn_input in{};
  in.what = dn_input::monitoring;
  in.live = live;
  return in;
}

// A registrar binding appeared: the phone vouches for itself, idle.
dn_input registered() {
  auto in = monitoring(true);
  in.device = v1::DEVICE_IDLE;
  return in;
}

dn_input call(const std::string& conn_id, bool active) {
  dn_input in{};
  in.what = dn_input::call_fact;
  in.conn_id = conn_id;
  in.active = active;
  return in;
}

// callctl told the DN's desktop of the call.
dn_input call_shown(const std::string& conn_id) {
  auto in = call(conn_id, true);
  in.shown = true;
  return in;
}

// The call audit found no callctl with this call.
dn_input call_lost(const std::string& conn_id) {
  auto in = call(conn_id, false);
  in.lost = true;
  return in;
}

dn_input call_end_with_acw(const std::string& conn_id, uint32_t acw_s, bool answered = true) {
  auto in = call(conn_id, false);
  in.acw_s = acw_s;
  in.answered = answered;
  return in;
}

dn_input acw_over(uint64_t gen) {
  dn_input in{};
  in.what = dn_input::acw_timeout;
  in.acw_gen = gen;
  return in;
}

// "EventAgentNotReady(PrivateCall)", "EventError:ERR_DN_TYPE".
std::string describe(const v1::TEvent& ev) {
  std::string s = v1::EventType_Name(ev.type());
  if (ev.type() == v1::EventError)
    s += ":" + v1::ErrorCode_Name(ev.error_code());
  if (ev.reasons().pairs_size() > 0)
    s += "(" + ev.reasons().pairs(0).str() + ")";
  return s;
}

std::string describe(const std::vector<v1::TEvent>& events) {
  std::string out;
  for (const auto& ev : events)
    out += (out.empty() ? "" : " ") + describe(ev);
  return out;
}

constexpr auto LOGGED_OUT = v1::AGENT_LOGGED_OUT;
constexpr auto READY = v1::AGENT_READY;
constexpr auto NOT_READY = v1::AGENT_NOT_READY;
constexpr auto NO_MODE = v1::WORK_MODE_UNSPECIFIED;
constexpr auto IDLE = v1::DEVICE_IDLE;
constexpr auto BUSY = v1::DEVICE_BUSY;
constexpr auto RINGING = v1::DEVICE_RINGING;
constexpr auto HELD = v1::DEVICE_HELD;
constexpr auto OUT_OF_SERVICE = v1::DEVICE_OUT_OF_SERVICE;

struct dn_step_case {
  dn_input in;
  std::string events;  // published event types in order
  std::string reply;   // empty when no reply
  v1::AgentState agent;
  v1::WorkMode mode;
  bool in_service;
  bool routable;
};

struct dn_scenario {
  std::string name;
  v1::DnType type;
  std::vector<dn_step_case> steps;
};

// Monitored and idle: the starting point of most agent scenarios.
const std::vector<dn_step_case> kInService = {
    {monitoring(true), "", "", LOGGED_OUT, NO_MODE, false, false},
    {device(IDLE), "EventDNBackInService", "", LOGGED_OUT, NO_MODE, true, false},
};

dn_scenario in_service_then(std::string name, std::vector<dn_step_case> steps) {
  dn_scenario sc{std::move(name), v1::Extension, kInService};
  sc.steps.insert(sc.steps.end(), steps.begin(), steps.end());
  return sc;
}

std::vector<dn_scenario> dn_scenarios() {
  return {
      {"back_in_service_once_then_out_of_service",
       v1::Extension,
       {
           {monitoring(true), "", "", LOGGED_OUT, NO_MODE, false, false},
           {device(IDLE), "EventDNBackInService", "", LOGGED_OUT, NO_MODE, true, false},
           {device(IDLE), "", "", LOGGED_OUT, NO_MODE, true, false},
           {monitoring(true), "", "", LOGGED_OUT, NO_MODE, true, false},
           {device(BUSY), "", "", LOGGED_OUT, NO_MODE, true, false},
           {device(IDLE), "", "", LOGGED_OUT, NO_MODE, true, false},
           {device(OUT_OF_SERVICE), "EventDNOutOfService", "", LOGGED_OUT, NO_MODE, false, false},
           {device(IDLE), "EventDNBackInService", "", LOGGED_OUT, NO_MODE, true, false},
           {monitoring(false), "EventDNOutOfService", "", LOGGED_OUT, NO_MODE, false, false},
           {monitoring(false), "", "", LOGGED_OUT, NO_MODE, false, false},
       }},
      {"registered_phone_in_service_while_bound",
       v1::ACDPosition,
       {
           {registered(), "EventDNBackInService", "", LOGGED_OUT, NO_MODE, true, false},
           {registered(), "", "", LOGGED_OUT, NO_MODE, true, false},
           {login("A1"), "EventAgentLogin", "EventAgentLogin", NOT_READY, v1::AuxWork, true,
            false},
           {set_ready("A1"), "EventAgentReady", "EventAgentReady", READY, v1::AuxWork, true,
            true},
           // A refresh during a sipcc call keeps the DN busy with it.
           {call("c1", true), "", "", READY, v1::AuxWork, true, false},
           {registered(), "", "", READY, v1::AuxWork, true, false},
           {call("c1", false), "", "", READY, v1::AuxWork, true, true},
           {monitoring(false), "EventDNOutOfService", "", READY, v1::AuxWork, false, false},
           {registered(), "EventDNBackInService", "", READY, v1::AuxWork, true, true},
       }},
      {"device_known_before_monitoring_is_in_service_once_monitored",
       v1::Extension,
       {
           {device(IDLE), "", "", LOGGED_OUT, NO_MODE, false, false},
           {monitoring(true), "EventDNBackInService", "", LOGGED_OUT, NO_MODE, true, false},
       }},
      {"login_checks",
       v1::Extension,
       {
           {login(""), "", "EventError:ERR_BAD_REQUEST", LOGGED_OUT, NO_MODE, false, false},
           {login("A1"), "EventAgentLogin", "EventAgentLogin", NOT_READY, v1::AuxWork, false,
            false},
           {login("A2"), "", "EventError:ERR_INVALID_STATE", NOT_READY, v1::AuxWork, false, false},
           {login("A1"), "", "EventError:ERR_INVALID_STATE", NOT_READY, v1::AuxWork, false, false},
       }},
      {"login_on_routing_point_is_refused",
       v1::RoutingPoint,
       {
           {login("A1"), "", "EventError:ERR_DN_TYPE", LOGGED_OUT, NO_MODE, false, false},
       }},
      {"login_on_acd_position",
       v1::ACDPosition,
       {
           {login("A1"), "EventAgentLogin", "EventAgentLogin", NOT_READY, v1::AuxWork, false,
            false},
       }},
      in_service_then(
          "login_autoin_is_ready_and_routable",
          {
              {login("A1", v1::AutoIn), "EventAgentLogin EventAgentReady", "EventAgentLogin",
               READY, v1::AutoIn, true, true},
          }),
      in_service_then(
          "login_manualin_is_ready",
          {
              {login("A1", v1::ManualIn), "EventAgentLogin EventAgentReady", "EventAgentLogin",
               READY, v1::ManualIn, true, true},
          }),
      in_service_then(
          "private_call_makes_ready_agent_not_ready_until_idle",
          {
              {login("A1", v1::AutoIn), "EventAgentLogin EventAgentReady", "EventAgentLogin",
               READY, v1::AutoIn, true, true},
              {device(BUSY), "EventAgentNotReady(PrivateCall)", "", NOT_READY, v1::AutoIn, true,
               false},
              {device(IDLE), "EventAgentReady", "", READY, v1::AutoIn, true, true},
              {device(RINGING), "EventAgentNotReady(PrivateCall)", "", NOT_READY, v1::AutoIn,
               true, false},
              {device(HELD), "", "", NOT_READY, v1::AutoIn, true, false},
              {device(IDLE), "EventAgentReady", "", READY, v1::AutoIn, true, true},
          }),
      in_service_then(
          "not_ready_agent_stays_not_ready_through_a_private_call",
          {
              {login("A1"), "EventAgentLogin", "EventAgentLogin", NOT_READY, v1::AuxWork, true,
               false},
              {device(BUSY), "", "", NOT_READY, v1::AuxWork, true, false},
              {device(IDLE), "", "", NOT_READY, v1::AuxWork, true, false},
          }),
      in_service_then(
          "sipcc_call_is_not_a_private_call",
          {
              {login("A1", v1::AutoIn), "EventAgentLogin EventAgentReady", "EventAgentLogin",
               READY, v1::AutoIn, true, true},
              // callctl announces the call before the agent's phone rings.
              {call("C1", true), "", "", READY, v1::AutoIn, true, false},
              {call("C1", true), "", "", READY, v1::AutoIn, true, false},
              {device(RINGING), "", "", READY, v1::AutoIn, true, false},
              {device(BUSY), "", "", READY, v1::AutoIn, true, false},
              {device(IDLE), "", "", READY, v1::AutoIn, true, false},
              {call("C1", false), "", "", READY, v1::AutoIn, true, true},
          }),
      in_service_then(
          "busy_tail_after_the_sipcc_call_ends_is_not_a_private_call",
          {
              {login("A1", v1::AutoIn), "EventAgentLogin EventAgentReady", "EventAgentLogin",
               READY, v1::AutoIn, true, true},
              {call("C1", true), "", "", READY, v1::AutoIn, true, false},
              {device(BUSY), "", "", READY, v1::AutoIn, true, false},
              // callctl sees the BYE before Asterisk's idle NOTIFY arrives.
              {call("C1", false), "", "", READY, v1::AutoIn, true, false},
              {device(IDLE), "", "", READY, v1::AutoIn, true, true},
              // The next busy period without a sipcc call is private again.
              {device(BUSY), "EventAgentNotReady(PrivateCall)", "", NOT_READY, v1::AutoIn, true,
               false},
          }),
      in_service_then(
          "after_call_work_then_ready_when_the_timer_ends",
          {
              {login("A1", v1::AutoIn), "EventAgentLogin EventAgentReady", "EventAgentLogin",
               READY, v1::AutoIn, true, true},
              {call("C1", true), "", "", READY, v1::AutoIn, true, false},
              {call_end_with_acw("C1", 30), "EventAgentNotReady", "", NOT_READY,
               v1::AfterCallWork, true, false},
              {acw_over(0), "", "", NOT_READY, v1::AfterCallWork, true, false},  // stale
              {acw_over(1), "EventAgentReady", "", READY, v1::ManualIn, true, true},
              {acw_over(1), "", "", READY, v1::ManualIn, true, true},  // only once
          }),
      in_service_then(
          "a_desktop_request_ends_after_call_work_and_its_timer",
          {
              {login("A1", v1::AutoIn), "EventAgentLogin EventAgentReady", "EventAgentLogin",
               READY, v1::AutoIn, true, true},
              {call("C1", true), "", "", READY, v1::AutoIn, true, false},
              {call_end_with_acw("C1", 30), "EventAgentNotReady", "", NOT_READY,
               v1::AfterCallWork, true, false},
              {set_not_ready("A1", v1::AuxWork), "EventAgentNotReady", "EventAgentNotReady",
               NOT_READY, v1::AuxWork, true, false},
              {acw_over(1), "", "", NOT_READY, v1::AuxWork, true, false},
          }),
      in_service_then(
          "a_call_that_was_never_answered_has_no_after_call_work",
          {
              {login("A1", v1::AutoIn), "EventAgentLogin EventAgentReady", "EventAgentLogin",
               READY, v1::AutoIn, true, true},
              {call("C1", true), "", "", READY, v1::AutoIn, true, false},
              {call_end_with_acw("C1", 30, false), "", "", READY, v1::AutoIn, true, true},
          }),
      in_service_then(
          "no_after_call_work_keeps_the_agent_ready",
          {
              {login("A1", v1::AutoIn), "EventAgentLogin EventAgentReady", "EventAgentLogin",
               READY, v1::AutoIn, true, true},
              {call("C1", true), "", "", READY, v1::AutoIn, true, false},
              {call_end_with_acw("C1", 0), "", "", READY, v1::AutoIn, true, true},
          }),
      in_service_then(
          "sipcc_call_that_never_rang_leaves_no_trace",
          {
              {login("A1", v1::AutoIn), "EventAgentLogin EventAgentReady", "EventAgentLogin",
               READY, v1::AutoIn, true, true},
              {call("C1", true), "", "", READY, v1::AutoIn, true, false},
              {call("C1", false), "", "", READY, v1::AutoIn, true, true},
              {device(RINGING), "EventAgentNotReady(PrivateCall)", "", NOT_READY, v1::AutoIn,
               true, false},
          }),
      in_service_then(
          "set_ready_during_private_call_takes_effect_at_idle",
          {
              {login("A1"), "EventAgentLogin", "EventAgentLogin", NOT_READY, v1::AuxWork, true,
               false},
              {device(BUSY), "", "", NOT_READY, v1::AuxWork, true, false},
              {set_ready("A1"), "EventAgentNotReady(PrivateCall)", "EventAgentNotReady(PrivateCall)",
               NOT_READY, v1::AuxWork, true, false},
              {device(IDLE), "EventAgentReady", "", READY, v1::AuxWork, true, true},
          }),
      in_service_then(
          "set_not_ready_during_private_call_stays_not_ready",
          {
              {login("A1", v1::AutoIn), "EventAgentLogin EventAgentReady", "EventAgentLogin",
               READY, v1::AutoIn, true, true},
              {device(BUSY), "EventAgentNotReady(PrivateCall)", "", NOT_READY, v1::AutoIn, true,
               false},
              {set_not_ready("A1", v1::AuxWork, "Break"), "EventAgentNotReady(Break)",
               "EventAgentNotReady(Break)", NOT_READY, v1::AuxWork, true, false},
              {device(IDLE), "", "", NOT_READY, v1::AuxWork, true, false},
          }),
      in_service_then(
          "lost_monitoring_does_not_end_a_private_call",
          {
              {login("A1", v1::AutoIn), "EventAgentLogin EventAgentReady", "EventAgentLogin",
               READY, v1::AutoIn, true, true},
              {device(BUSY), "EventAgentNotReady(PrivateCall)", "", NOT_READY, v1::AutoIn, true,
               false},
              {monitoring(false), "EventDNOutOfService", "", NOT_READY, v1::AutoIn, false, false},
              {monitoring(true), "", "", NOT_READY, v1::AutoIn, false, false},
              {device(IDLE), "EventDNBackInService EventAgentReady", "", READY, v1::AutoIn, true,
               true},
          }),
      {"requests_without_a_logged_in_agent",
       v1::Extension,
       {
           {set_ready("A1"), "", "EventError:ERR_INVALID_STATE", LOGGED_OUT, NO_MODE, false,
            false},
           {set_not_ready("A1", v1::AuxWork), "", "EventError:ERR_INVALID_STATE", LOGGED_OUT,
            NO_MODE, false, false},
           {logout("A1"), "", "EventError:ERR_INVALID_STATE", LOGGED_OUT, NO_MODE, false, false},
       }},
      in_service_then(
          "requests_for_another_agent_id",
          {
              {login("A1"), "EventAgentLogin", "EventAgentLogin", NOT_READY, v1::AuxWork, true,
               false},
              {set_ready("A2"), "", "EventError:ERR_INVALID_STATE", NOT_READY, v1::AuxWork, true,
               false},
              {logout("A2"), "", "EventError:ERR_INVALID_STATE", NOT_READY, v1::AuxWork, true,
               false},
              // No AgentID means the agent on the DN.
              {set_ready(""), "EventAgentReady", "EventAgentReady", READY, v1::AuxWork, true,
               true},
          }),
      in_service_then(
          "set_not_ready_work_modes",
          {
              {login("A1", v1::ManualIn), "EventAgentLogin EventAgentReady", "EventAgentLogin",
               READY, v1::ManualIn, true, true},
              {set_not_ready("A1", v1::AutoIn), "", "EventError:ERR_BAD_REQUEST", READY,
               v1::ManualIn, true, true},
              {set_not_ready("A1", v1::ManualIn), "", "EventError:ERR_BAD_REQUEST", READY,
               v1::ManualIn, true, true},
              {set_not_ready("A1", v1::AfterCallWork), "EventAgentNotReady",
               "EventAgentNotReady", NOT_READY, v1::AfterCallWork, true, false},
              {set_not_ready("A1", NO_MODE), "EventAgentNotReady", "EventAgentNotReady",
               NOT_READY, v1::AuxWork, true, false},
          }),
      in_service_then(
          "address_requests_reply_without_publishing",
          {
              {request(v1::TRegisterAddress, ""), "", "EventRegistered", LOGGED_OUT, NO_MODE,
               true, false},
              {request(v1::TQueryAddress, ""), "", "EventAddressInfo", LOGGED_OUT, NO_MODE, true,
               false},
              {request(v1::TUnregisterAddress, ""), "", "EventUnregistered", LOGGED_OUT, NO_MODE,
               true, false},
              {login("A1"), "EventAgentLogin", "EventAgentLogin", NOT_READY, v1::AuxWork, true,
               false},
              {request(v1::TRegisterAddress, "A1"), "", "EventRegistered", NOT_READY, v1::AuxWork,
               true, false},
              {request(v1::TMakeCall, "A1"), "", "EventError:ERR_UNSUPPORTED", NOT_READY,
               v1::AuxWork, true, false},
          }),
      in_service_then(
          "logout",
          {
              {login("A1", v1::AutoIn), "EventAgentLogin EventAgentReady", "EventAgentLogin",
               READY, v1::AutoIn, true, true},
              {logout("A1"), "EventAgentLogout", "EventAgentLogout", LOGGED_OUT, NO_MODE, true,
               false},
              {login("A2"), "EventAgentLogin", "EventAgentLogin", NOT_READY, v1::AuxWork, true,
               false},
          }),
      {"routable_needs_ready_in_service_idle_and_no_call",
       v1::Extension,
       {
           {login("A1", v1::AutoIn), "EventAgentLogin EventAgentReady", "EventAgentLogin", READY,
            v1::AutoIn, false, false},
           {monitoring(true), "", "", READY, v1::AutoIn, false, false},
           {device(IDLE), "EventDNBackInService", "", READY, v1::AutoIn, true, true},
           {call("C1", true), "", "", READY, v1::AutoIn, true, false},
           {call("C2", true), "", "", READY, v1::AutoIn, true, false},
           {call("C1", false), "", "", READY, v1::AutoIn, true, false},
           {call("C2", false), "", "", READY, v1::AutoIn, true, true},
           {device(OUT_OF_SERVICE), "EventDNOutOfService", "", READY, v1::AutoIn, false, false},
           {device(IDLE), "EventDNBackInService", "", READY, v1::AutoIn, true, true},
           {set_not_ready("A1", v1::AuxWork), "EventAgentNotReady", "EventAgentNotReady",
            NOT_READY, v1::AuxWork, true, false},
       }},
      // Its callctl died before ending the call here: the desktop, told of
      // it (it rang, say), hears EventReleased for it once; one that never
      // heard of it, nothing. Either way the DN is free again.
      {"a_lost_call_is_released_on_the_desktop_that_saw_it",
       v1::Extension,
       {
           {login("A1", v1::AutoIn), "EventAgentLogin EventAgentReady", "EventAgentLogin", READY,
            v1::AutoIn, false, false},
           {registered(), "EventDNBackInService", "", READY, v1::AutoIn, true, true},
           {call("C1", true), "", "", READY, v1::AutoIn, true, false},
           {call_shown("C1"), "", "", READY, v1::AutoIn, true, false},
           {call_shown("C1"), "", "", READY, v1::AutoIn, true, false},
           {call_lost("C1"), "EventReleased", "", READY, v1::AutoIn, true, true},
           {call_lost("C1"), "", "", READY, v1::AutoIn, true, true},
           {call("C2", true), "", "", READY, v1::AutoIn, true, false},
           {call_lost("C2"), "", "", READY, v1::AutoIn, true, true},
           {call_lost("C9"), "", "", READY, v1::AutoIn, true, true},
           // An ordinary end: callctl sent its own EventReleased.
           {call("C3", true), "", "", READY, v1::AutoIn, true, false},
           {call_shown("C3"), "", "", READY, v1::AutoIn, true, false},
           {call("C3", false), "", "", READY, v1::AutoIn, true, true},
       }},
  };
}

// Step i of a scenario, at a time of its own.
dn_input input_at(const dn_scenario& sc, size_t i) {
  auto in = sc.steps[i].in;
  in.now_us = 1000000 + static_cast<int64_t>(i) * 1000;
  return in;
}

// Runs one step and checks it; also the rules every step obeys.
void check_step(v1::DnState& st, const dn_step_case& c, const dn_input& in) {
  auto out = dn_step(st, in);
  EXPECT_EQ(describe(out.events), c.events);
  EXPECT_EQ(out.has_reply ? describe(out.reply) : "", c.reply);
  EXPECT_EQ(v1::AgentState_Name(st.agent().state()), v1::AgentState_Name(c.agent));
  EXPECT_EQ(v1::WorkMode_Name(st.agent().work_mode()), v1::WorkMode_Name(c.mode));
  EXPECT_EQ(st.in_service(), c.in_service);
  EXPECT_EQ(st.routable(), c.routable);
  EXPECT_EQ(is_routable(st), c.routable);
  if (out.has_reply) {
    EXPECT_EQ(out.reply.reference_id(), in.req.reference_id());
  }
  if (out.has_reply && (out.reply.type() == v1::EventRegistered ||
                        out.reply.type() == v1::EventAddressInfo)) {
    EXPECT_TRUE(MessageDifferencer::Equals(out.reply.dn_state(), st));
  }
  if (!out.events.empty()) {
    EXPECT_TRUE(out.state_changed);
  }
  for (const auto& ev : out.events) {
    EXPECT_EQ(ev.this_dn(), kDn);
    if (ev.type() == v1::EventReleased) {
      EXPECT_EQ(ev.conn_id(), in.conn_id);
    }
  }
}

TEST(DnLogic, Scenarios) {
  for (const auto& sc : dn_scenarios()) {
    SCOPED_TRACE(sc.name);
    auto st = initial_dn_state(kDn, sc.type, 0);
    for (size_t i = 0; i < sc.steps.size(); ++i) {
      SCOPED_TRACE("step " + std::to_string(i + 1));
      check_step(st, sc.steps[i], input_at(sc, i));
    }
  }
}

// A change the other services use is published (sipcc.state.dn) and saved;
// one only the DN's next presence owner needs (which calls its desktop was
// told of) is saved alone: a routed call's DN state goes out twice, not three
// times.
TEST(DnLogic, OnlyWhatOthersUseIsPublished) {
  enum outcome { none, saved, published };
  struct row {
    dn_input in;
    outcome want;
  };
  const std::vector<row> rows = {
      {login("A1", v1::AutoIn), published},
      {registered(), published},
      {call("C1", true), published},
      {call_shown("C1"), saved},
      {call_shown("C1"), none},
      {call("C1", false), published},
      {call("C2", true), published},
      {call_shown("C2"), saved},
      {call_lost("C2"), published},
      {call_lost("C2"), none},
  };
  auto st = initial_dn_state(kDn, v1::Extension, 0);
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE("row " + std::to_string(i + 1));
    auto out = dn_step(st, rows[i].in);
    const outcome got = out.state_changed ? published : out.saved_changed ? saved : none;
    EXPECT_EQ(got, rows[i].want);
  }
}

// A DnState restored from its bytes at any point of any scenario continues
// exactly as the original: nothing the logic depends on lives outside it.
TEST(DnLogic, RestoredStateContinuesIdentically) {
  for (const auto& sc : dn_scenarios()) {
    for (size_t split = 0; split <= sc.steps.size(); ++split) {
      SCOPED_TRACE(sc.name + " restored after step " + std::to_string(split));
      auto original = initial_dn_state(kDn, sc.type, 0);
      for (size_t i = 0; i < split; ++i)
        dn_step(original, input_at(sc, i));
      v1::DnState restored;
      ASSERT_TRUE(restored.ParseFromString(original.SerializeAsString()));
      for (size_t i = split; i < sc.steps.size(); ++i) {
        auto want = dn_step(original, input_at(sc, i));
        auto got = dn_step(restored, input_at(sc, i));
        ASSERT_EQ(got.events.size(), want.events.size());
        for (size_t e = 0; e < want.events.size(); ++e)
          EXPECT_TRUE(MessageDifferencer::Equals(got.events[e], want.events[e]));
        EXPECT_TRUE(MessageDifferencer::Equals(got.reply, want.reply));
      }
      EXPECT_TRUE(MessageDifferencer::Equals(restored, original));
    }
  }
}

// A Ready agent on an idle DN in service, as a former instance saved it.
v1::DnState saved_ready(int64_t now) {
  auto st = initial_dn_state(kDn, v1::Extension, now);
  dn_step(st, login("A1", v1::ManualIn));
  dn_input live{dn_input::monitoring};
  live.live = true;
  dn_step(st, live);
  dn_step(st, device(v1::DEVICE_IDLE));
  dn_step(st, set_ready("A1"));
  return st;
}

// Another instance resumes a DN from its saved state: what survives, what
// does not, and the after-call work left to run.
TEST(DnLogic, ResumeFromSavedState) {
  const int64_t now = 1'000'000'000;
  struct row {
    std::string name;
    std::function<void(v1::DnState&)> edit;  // on the saved state
    v1::DnType type;                         // as configured now
    bool agent_allowed;
    v1::AgentState agent;
    bool routable;
    int64_t acw_left_ms;
  };
  auto in_acw = [now](int64_t until) {
    return [now, until](v1::DnState& st) {
      dn_input end{dn_input::call_fact};
      end.conn_id = "c1";
      end.active = true;
      dn_step(st, end);
      end.active = false;
      end.answered = true;
      end.acw_s = 30;
      end.now_us = now - 1'000'000;
      dn_step(st, end);
      st.mutable_agent()->set_acw_until_us(until);
    };
  };
  std::vector<row> rows = {
      {"ready agent goes on Ready and routable", [](v1::DnState&) {}, v1::Extension, true,
       v1::AGENT_READY, true, -1},
      {"after-call work goes on for what is left", in_acw(now + 29'000'000), v1::Extension, true,
       v1::AGENT_NOT_READY, false, 29'000},
      {"after-call work already over ends at once", in_acw(now - 5), v1::Extension, true,
       v1::AGENT_NOT_READY, false, 0},
      {"an agent no longer configured is not resumed", [](v1::DnState&) {}, v1::Extension, false,
       v1::AGENT_LOGGED_OUT, false, -1},
      {"a DN that no longer takes agents", [](v1::DnState&) {}, v1::RoutingPoint, true,
       v1::AGENT_LOGGED_OUT, false, -1},
      {"a state saved under another DN is not used",
       [](v1::DnState& st) { st.set_dn("9999"); }, v1::Extension, true, v1::AGENT_LOGGED_OUT,
       false, -1},
      {"a sipcc call still on the DN keeps it unroutable",
       [](v1::DnState& st) { st.add_sipcc_calls("c7"); }, v1::Extension, true, v1::AGENT_READY,
       false, -1},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    auto saved = saved_ready(now - 60'000'000);
    r.edit(saved);
    auto got = resume_dn_state(saved, kDn, r.type, r.agent_allowed, now);
    EXPECT_EQ(got.st.dn(), kDn);
    EXPECT_EQ(got.st.type(), r.type);
    EXPECT_EQ(got.st.agent().state(), r.agent);
    EXPECT_EQ(got.st.routable(), r.routable);
    EXPECT_EQ(got.acw_left_ms, r.acw_left_ms);
    if (saved.dn() == kDn) {
      EXPECT_EQ(got.st.sipcc_calls_size(), saved.sipcc_calls_size());
    }
  }
}

// The resumed DN's own subscription confirming what was saved changes
// nothing: no event reaches the desktops, the agent stays Ready.
TEST(DnLogic, ResumedStateConfirmedByTheFirstNotifyIsQuiet) {
  auto resumed = resume_dn_state(saved_ready(0), kDn, v1::Extension, true, 5);
  dn_input live{dn_input::monitoring};
  live.live = true;
  auto out = dn_step(resumed.st, live);
  EXPECT_TRUE(out.events.empty());
  out = dn_step(resumed.st, device(v1::DEVICE_IDLE));
  EXPECT_TRUE(out.events.empty());
  EXPECT_EQ(resumed.st.agent().state(), v1::AGENT_READY);
  EXPECT_TRUE(resumed.st.routable());
}

// Names of the fields left at their default, recursively, so the snapshot
// test keeps covering fields added later.
void unset_fields(const google::protobuf::Message& m, const std::string& prefix,
                  std::vector<std::string>& out) {
  const auto* desc = m.GetDescriptor();
  const auto* refl = m.GetReflection();
  for (int i = 0; i < desc->field_count(); ++i) {
    const auto* f = desc->field(i);
    std::string name = prefix + f->name();
    if (f->is_repeated()) {
      if (refl->FieldSize(m, f) == 0)
        out.push_back(name);
      continue;
    }
    if (!refl->HasField(m, f)) {
      // One member of a oneof is enough.
      if (!f->containing_oneof() || !refl->HasOneof(m, f->containing_oneof()))
        out.push_back(name);
      continue;
    }
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE)
      unset_fields(refl->GetMessage(m, f), name + ".", out);
  }
}

// Every field of the DN state survives the bus (sipcc.state.dn.<dn>).
TEST(DnLogic, StateRoundTrip) {
  v1::DnState snap;
  auto* st = &snap;
  st->set_schema(v1::SCHEMA_V1);
  st->set_dn(kDn);
  st->set_type(v1::ACDPosition);
  st->set_device(v1::DEVICE_HELD);
  st->set_monitor(v1::MONITOR_ACTIVE);
  st->set_in_service(true);
  st->add_sipcc_calls("007F02A5D3C2B001");
  st->add_sipcc_calls("007F02A5D3C2B002");
  st->add_shown_calls("007F02A5D3C2B002");
  st->set_routable(true);
  st->set_since_us(1700000000123456);
  st->set_sipcc_busy(true);
  auto* ag = st->mutable_agent();
  ag->set_agent_id("A1");
  ag->set_state(v1::AGENT_NOT_READY);
  ag->set_work_mode(v1::AfterCallWork);
  ag->set_private_call_not_ready(true);
  ag->set_since_us(1700000000000001);
  ag->set_in_acw(true);
  ag->set_acw_gen(4);
  ag->set_acw_until_us(1700000030000001);
  auto* kv = ag->mutable_reasons()->add_pairs();
  kv->set_key("ReasonCode");
  kv->set_str("PrivateCall");

  std::vector<std::string> unset;
  unset_fields(snap, "", unset);
  EXPECT_TRUE(unset.empty()) << "fields not set: " << ::testing::PrintToString(unset);

  v1::DnState back;
  ASSERT_TRUE(back.ParseFromString(snap.SerializeAsString()));
  EXPECT_TRUE(MessageDifferencer::Equals(back, snap));
}

}  // namespace
}  // namespace sipcc
