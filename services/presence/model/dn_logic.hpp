// The state of one DN and the agent logged in on it, as a pure function:
// (DnState, input) -> (DnState', events). The presence service's DN actor
// only carries out what this returns. The private-call rule lives here and
// nowhere else:
//
//   private call  = device ringing/busy/held while no sipcc call is on the DN
//                   (nor was since the device was last free: the busy tail of
//                   a sipcc call that just ended is not a private call)
//   Ready agent + private call starts  -> EventAgentNotReady (flag set)
//   flagged agent + private call ends  -> EventAgentReady
//   NotReady agent (AuxWork...)        -> stays NotReady through the call
//
//   answered sipcc call ends, agent Ready, after-call work configured
//                                      -> EventAgentNotReady(AfterCallWork),
//                                         EventAgentReady when the timer ends
//
//   in service    = monitored (live subscription) and device known and not
//                   out of service; each flip gives EventDNBackInService /
//                   EventDNOutOfService.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sipcc/v1/state.pb.h"
#include "sipcc/v1/tlib.pb.h"

namespace sipcc {

struct dn_input {
  enum kind {
    request,     // a desktop request for this DN (agent family)
    device_changed,  // a NOTIFY said the device is now `device`
    monitoring,  // subscription or registrar binding live (true) or lost (false)
    call_fact,   // callctl: `conn_id` on this DN started (active) or ended
    acw_timeout, // the after-call-work timer tagged `acw_gen` expired
  } what;
  dn_input(kind k = request) : what(k) {}
  v1::TRequest req;
  // device_changed: the new state. monitoring live: the state to assume when
  // none is known (a registrar binding: the phone is there, and idle until a
  // sipcc call says otherwise); UNKNOWN waits for a NOTIFY.
  v1::DeviceState device = v1::DEVICE_UNKNOWN;
  bool live = false;
  std::string conn_id;
  bool active = false;
  // call_fact: seconds of after-call work when the last sipcc call ends
  // (agent option, else application option; 0 = straight back to Ready).
  uint32_t acw_s = 0;
  bool answered = false;  // call_fact off: the call had been answered here
  // call_fact on: the DN's desktop has been told of the call.
  bool shown = false;
  // call_fact off: no callctl has the call (presence's call audit). Its
  // owner died before ending it here, so the DN's desktop, if it was told
  // of the call, is told EventReleased.
  bool lost = false;
  uint64_t acw_gen = 0;
  int64_t now_us = 0;
};

struct dn_output {
  // Events for sipcc.tlib.evt.<dn> (agent events also go to sipcc.agent.evt.<id>).
  std::vector<v1::TEvent> events;
  // The reply to a request: the main event it caused, or EventError.
  v1::TEvent reply;
  bool has_reply = false;
  bool state_changed = false;  // publish sipcc.state.dn / .agent
  // Only what the DN's next presence owner needs changed (which calls its
  // desktop was told of): saved to sipcc_dn_state, not published.
  bool saved_changed = false;
  // Arm the after-call-work timer: seconds, tagged st.agent().acw_gen().
  uint32_t acw_timer_s = 0;
};

// Requests are checked here against the DN's own state. What needs global
// knowledge (AgentID exists, not logged in elsewhere, password) is checked by
// the caller before.
dn_output dn_step(v1::DnState& st, const dn_input& in);

// Fresh state for a configured DN.
v1::DnState initial_dn_state(const std::string& dn, v1::DnType type, int64_t now_us);

// A DN's state as a former presence instance saved it, resumed by this one:
// the agent session, service, device and sipcc calls go on as they were, with
// no event (the desktops know them already); this instance's own
// subscription then confirms or corrects them as any NOTIFY does. The
// session is left out when `agent_allowed` is false (its AgentID is no
// longer configured) or the DN's configured type no longer takes agents; a
// state saved for another DN is not used at all.
struct dn_resumed {
  v1::DnState st;
  // >= 0: the after-call work goes on, arm its timer for this long.
  int64_t acw_left_ms = -1;
};
dn_resumed resume_dn_state(const v1::DnState& saved, const std::string& dn, v1::DnType type,
                           bool agent_allowed, int64_t now_us);

bool is_private_call(const v1::DnState& st);
bool is_routable(const v1::DnState& st);

}  // namespace sipcc
