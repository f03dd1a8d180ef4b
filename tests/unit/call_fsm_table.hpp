// What the routed call's table tests share (defined in call_fsm_test.cpp):
// event builders, the one-line description of a step's actions, scenarios
// and their runner. call_fsm_transfer_test.cpp builds on them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "callctl/model/call_fsm.hpp"

namespace sipcc::fsm_table {

extern const std::string kConn;  // agent legs are CONN-1, CONN-2, ...
extern const std::string kAni;
extern const std::string kRp;
// SDP bodies with an o= line (hold_offer derives from them).
extern const std::string kCustomerSdp;
extern const std::string kAgentSdp;

// DN `dn` reached at sip:<dn>@ast.
route_target target(const std::string& dn, uint32_t timeout_s, const std::string& overflow,
                    const std::string& action);

call_event incoming();
call_event route(const route_target& t);
call_event no_answer(uint64_t gen, const route_target& overflow);
// The 491 retry timer of generation `gen` (call::retry_gen).
call_event retry(uint64_t gen);
call_event on_leg(call_event::kind k, const std::string& leg, uint32_t status,
                  const std::string& sdp);
call_event progress(const std::string& leg, uint32_t status);
call_event answered(const std::string& leg, const std::string& sdp);
call_event failed(const std::string& leg, uint32_t status);
call_event agent_bye(const std::string& leg);
call_event reinvite(const std::string& leg, const std::string& sdp);
call_event reinvite_ok(const std::string& leg, const std::string& sdp);
call_event reinvite_failed(const std::string& leg, uint32_t status);
call_event acked();
call_event customer_bye();
call_event release(const std::string& dn);
call_event hold(const std::string& dn, call_event::kind k);
call_event retrieve(const std::string& dn);
call_event attach(const std::string& dn, const v1::KVList& d);
call_event send_dtmf(const std::string& dn, const std::string& digits);
call_event media_ok(const std::string& leg, const std::string& sdp);
// TStartRecording (TStopRecording unless `start`) from `dn`.
call_event record(const std::string& dn, bool start);
// TAnswerCall from `dn`: by the talk NOTIFY, or (answer-after) by the phone itself.
call_event answer(const std::string& dn, bool talk);
call_event talk_failed(const std::string& leg, uint32_t status);

// SDP with its line ends as '|'.
std::string oneline(std::string sdp);
// One token per action, in order (the legend is at its definition).
std::string describe(const std::vector<call_action>& actions, const call& c);

inline constexpr auto routing = call_state::routing;
inline constexpr auto alerting = call_state::alerting;
inline constexpr auto connecting = call_state::connecting;
inline constexpr auto established = call_state::established;
inline constexpr auto ended = call_state::ended;

struct call_step_case {
  call_event ev;
  std::string actions;
  call_state state;
};

struct call_scenario {
  std::string name;
  call_settings cfg;
  std::vector<call_step_case> steps;
};

extern const call_settings kDefault;
// Every routed scenario starts with these two steps.
extern const call_step_case kIncoming;
extern const call_step_case kRouteAgent1;

// Steps each scenario's events through a new call, checking the actions and
// the state after every one.
void run_scenario(const call_scenario& sc);

}  // namespace sipcc::fsm_table
