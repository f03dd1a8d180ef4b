#include "presence/model/dn_logic.hpp"
#include "sipcc/tevent.hpp"

#include <algorithm>

namespace sipcc {

namespace {

bool device_in_use(v1::DeviceState d) {
  return d == v1::DEVICE_RINGING || d == v1::DEVICE_BUSY || d == v1::DEVICE_HELD;
}

bool in_service(const v1::DnState& st) {
  return st.monitor() == v1::MONITOR_ACTIVE && st.device() != v1::DEVICE_UNKNOWN &&
         st.device() != v1::DEVICE_OUT_OF_SERVICE;
}

v1::TEvent base_event(const v1::DnState& st, v1::EventType type, int64_t now_us) {
  v1::TEvent ev;
  ev.set_schema(v1::SCHEMA_V1);
  ev.set_type(type);
  ev.set_this_dn(st.dn());
  ev.set_timestamp_us(now_us);
  if (st.agent().state() != v1::AGENT_LOGGED_OUT)
    ev.set_agent_id(st.agent().agent_id());
  return ev;
}

v1::TEvent agent_event(const v1::DnState& st, v1::EventType type, int64_t now_us) {
  auto ev = base_event(st, type, now_us);
  ev.set_work_mode(st.agent().work_mode());
  *ev.mutable_reasons() = st.agent().reasons();
  return ev;
}

void set_reason(v1::KVList& list, const std::string& key, const std::string& value) {
  list.Clear();
  auto* kv = list.add_pairs();
  kv->set_key(key);
  kv->set_str(value);
}

// Re-evaluates the derived facts after any input: service state, the private
// call rule and routability.
void settle(v1::DnState& st, dn_output& out, int64_t now_us) {
  bool was = st.in_service();
  bool now = in_service(st);
  if (was != now) {
    st.set_in_service(now);
    out.events.push_back(
        base_event(st, now ? v1::EventDNBackInService : v1::EventDNOutOfService, now_us));
    out.state_changed = true;
  }
  auto* ag = st.mutable_agent();
  bool priv = is_private_call(st);
  if (priv && ag->state() == v1::AGENT_READY) {
    ag->set_state(v1::AGENT_NOT_READY);
    ag->set_private_call_not_ready(true);
    set_reason(*ag->mutable_reasons(), "ReasonCode", "PrivateCall");
    ag->set_since_us(now_us);
    out.events.push_back(agent_event(st, v1::EventAgentNotReady, now_us));
    out.state_changed = true;
  } else if (ag->private_call_not_ready() &&
             (st.device() == v1::DEVICE_IDLE || st.device() == v1::DEVICE_OUT_OF_SERVICE)) {
    // Only a device known to be free ends the private call: a lost
    // subscription (device unknown) does not make the agent Ready.
    ag->set_state(v1::AGENT_READY);
    ag->set_private_call_not_ready(false);
    ag->clear_reasons();
    ag->set_since_us(now_us);
    out.events.push_back(agent_event(st, v1::EventAgentReady, now_us));
    out.state_changed = true;
  }
  bool r = is_routable(st);
  if (r != st.routable()) {
    st.set_routable(r);
    out.state_changed = true;
  }
}

void reply_with(dn_output& out, v1::TEvent ev, const v1::TRequest& req) {
  ev.set_reference_id(req.reference_id());
  out.reply = ev;
  out.has_reply = true;
  out.events.push_back(std::move(ev));
}

void error(dn_output& out, const v1::TRequest& req, v1::ErrorCode code, std::string msg,
           int64_t now_us) {
  out.reply = make_error(req, code, std::move(msg), now_us);
  out.has_reply = true;
}

// TRegisterAddress, TQueryAddress, TUnregisterAddress: the DN as it is.
void on_address_request(const v1::DnState& st, const v1::TRequest& req, dn_output& out,
                        int64_t now) {
  v1::EventType type = req.type() == v1::TRegisterAddress ? v1::EventRegistered
                       : req.type() == v1::TQueryAddress  ? v1::EventAddressInfo
                                                          : v1::EventUnregistered;
  auto ev = base_event(st, type, now);
  if (type != v1::EventUnregistered)
    *ev.mutable_dn_state() = st;
  ev.set_reference_id(req.reference_id());
  out.reply = std::move(ev);
  out.has_reply = true;
}

void on_login(v1::DnState& st, const v1::TRequest& req, dn_output& out, int64_t now) {
  auto* ag = st.mutable_agent();
  if (st.type() != v1::Extension && st.type() != v1::ACDPosition)
    return error(out, req, v1::ERR_DN_TYPE,
                 "agents log in on an Extension or ACD Position, DN " + st.dn() + " is not", now);
  if (req.agent_id().empty())
    return error(out, req, v1::ERR_BAD_REQUEST, "TAgentLogin needs AgentID", now);
  if (ag->state() != v1::AGENT_LOGGED_OUT)
    return error(out, req, v1::ERR_INVALID_STATE,
                 "agent " + ag->agent_id() + " is already logged in on DN " + st.dn(), now);
  ag->set_agent_id(req.agent_id());
  ag->set_since_us(now);
  ag->set_state(v1::AGENT_NOT_READY);
  ag->set_private_call_not_ready(false);
  ag->set_in_acw(false);
  ag->set_work_mode(v1::AuxWork);
  *ag->mutable_reasons() = req.reasons();
  reply_with(out, agent_event(st, v1::EventAgentLogin, now), req);
  // AutoIn / ManualIn logins start Ready, as in T-Library.
  if (req.work_mode() == v1::AutoIn || req.work_mode() == v1::ManualIn) {
    ag->set_state(v1::AGENT_READY);
    ag->set_work_mode(req.work_mode());
    ag->clear_reasons();
    out.events.push_back(agent_event(st, v1::EventAgentReady, now));
  }
  out.state_changed = true;
}

void on_set_ready(v1::DnState& st, const v1::TRequest& req, dn_output& out, int64_t now) {
  auto* ag = st.mutable_agent();
  if (is_private_call(st)) {
    // Ready once the private call ends (the flag does exactly that).
    ag->set_private_call_not_ready(true);
    ag->set_in_acw(false);
    ag->set_state(v1::AGENT_NOT_READY);
    set_reason(*ag->mutable_reasons(), "ReasonCode", "PrivateCall");
    reply_with(out, agent_event(st, v1::EventAgentNotReady, now), req);
  } else {
    ag->set_state(v1::AGENT_READY);
    ag->set_private_call_not_ready(false);
    ag->set_in_acw(false);
    if (req.work_mode() != v1::WORK_MODE_UNSPECIFIED)
      ag->set_work_mode(req.work_mode());
    ag->clear_reasons();
    reply_with(out, agent_event(st, v1::EventAgentReady, now), req);
  }
  ag->set_since_us(now);
  out.state_changed = true;
}

void on_set_not_ready(v1::DnState& st, const v1::TRequest& req, dn_output& out, int64_t now) {
  auto wm = req.work_mode();
  if (wm != v1::WORK_MODE_UNSPECIFIED && wm != v1::AuxWork && wm != v1::AfterCallWork)
    return error(out, req, v1::ERR_BAD_REQUEST,
                 "TAgentSetNotReady takes WorkMode AuxWork or AfterCallWork", now);
  auto* ag = st.mutable_agent();
  ag->set_state(v1::AGENT_NOT_READY);
  ag->set_private_call_not_ready(false);
  ag->set_in_acw(false);
  ag->set_work_mode(wm == v1::WORK_MODE_UNSPECIFIED ? v1::AuxWork : wm);
  *ag->mutable_reasons() = req.reasons();
  ag->set_since_us(now);
  reply_with(out, agent_event(st, v1::EventAgentNotReady, now), req);
  out.state_changed = true;
}

// The requests that act on the logged-in agent.
void on_agent_request(v1::DnState& st, const v1::TRequest& req, dn_output& out, int64_t now) {
  const auto& agent_id = st.agent().agent_id();
  if (st.agent().state() == v1::AGENT_LOGGED_OUT)
    return error(out, req, v1::ERR_INVALID_STATE, "no agent is logged in on DN " + st.dn(), now);
  if (!req.agent_id().empty() && req.agent_id() != agent_id)
    return error(out, req, v1::ERR_INVALID_STATE,
                 "agent " + req.agent_id() + " is not logged in on DN " + st.dn(), now);
  switch (req.type()) {
    case v1::TAgentLogout: {
      auto ev = agent_event(st, v1::EventAgentLogout, now);
      st.clear_agent();
      reply_with(out, std::move(ev), req);
      out.state_changed = true;
      return;
    }
    case v1::TAgentSetReady:
      return on_set_ready(st, req, out, now);
    case v1::TAgentSetNotReady:
      return on_set_not_ready(st, req, out, now);
    default:
      return error(out, req, v1::ERR_UNSUPPORTED,
                   std::string("request ") + v1::RequestType_Name(req.type()) +
                       " is not served by the agent family",
                   now);
  }
}

void on_request(v1::DnState& st, const dn_input& in, dn_output& out) {
  switch (in.req.type()) {
    case v1::TRegisterAddress:
    case v1::TQueryAddress:
    case v1::TUnregisterAddress:
      return on_address_request(st, in.req, out, in.now_us);
    case v1::TAgentLogin:
      return on_login(st, in.req, out, in.now_us);
    default:
      return on_agent_request(st, in.req, out, in.now_us);
  }
}

void on_device(v1::DnState& st, const dn_input& in, dn_output& out) {
  if (st.device() != in.device) {
    st.set_device(in.device);
    st.set_since_us(in.now_us);
    out.state_changed = true;
  }
  if (!device_in_use(st.device()) && st.sipcc_calls_size() == 0)
    st.set_sipcc_busy(false);
}

void on_monitoring(v1::DnState& st, const dn_input& in, dn_output& out) {
  auto m = in.live ? v1::MONITOR_ACTIVE : v1::MONITOR_RETRY_WAIT;
  if (st.monitor() != m) {
    st.set_monitor(m);
    out.state_changed = true;
  }
  // A lost subscription leaves the device state unknown.
  if (!in.live && st.device() != v1::DEVICE_UNKNOWN) {
    st.set_device(v1::DEVICE_UNKNOWN);
    out.state_changed = true;
  }
  if (in.live && in.device != v1::DEVICE_UNKNOWN && st.device() == v1::DEVICE_UNKNOWN) {
    st.set_device(in.device);
    st.set_since_us(in.now_us);
    out.state_changed = true;
  }
}

void on_call_fact(v1::DnState& st, const dn_input& in, dn_output& out) {
  auto* calls = st.mutable_sipcc_calls();
  auto it = std::find(calls->begin(), calls->end(), in.conn_id);
  auto* shown = st.mutable_shown_calls();
  auto seen = std::find(shown->begin(), shown->end(), in.conn_id);
  bool ended = false;
  if (in.active && it == calls->end()) {
    calls->Add(std::string(in.conn_id));
    out.state_changed = true;
  } else if (!in.active && it != calls->end()) {
    calls->erase(it);
    out.state_changed = true;
    ended = true;
  }
  if (in.active && in.shown && seen == shown->end()) {
    shown->Add(std::string(in.conn_id));
    out.saved_changed = true;
  } else if (!in.active && seen != shown->end()) {
    shown->erase(seen);
    out.saved_changed = true;
    if (ended && in.lost) {
      auto ev = base_event(st, v1::EventReleased, in.now_us);
      ev.set_conn_id(in.conn_id);
      out.events.push_back(std::move(ev));
    }
  }
  // Set before the agent INVITE goes out; cleared once the device is
  // free again (or already is when the call ends, e.g. never rang).
  if (in.active)
    st.set_sipcc_busy(true);
  else if (st.sipcc_calls_size() == 0 && !device_in_use(st.device()))
    st.set_sipcc_busy(false);
  auto* ag = st.mutable_agent();
  if (ended && in.answered && st.sipcc_calls_size() == 0 && in.acw_s > 0 &&
      ag->state() == v1::AGENT_READY) {
    ag->set_state(v1::AGENT_NOT_READY);
    ag->set_work_mode(v1::AfterCallWork);
    ag->set_in_acw(true);
    ag->set_acw_gen(ag->acw_gen() + 1);
    ag->set_acw_until_us(in.now_us + int64_t{in.acw_s} * 1'000'000);
    ag->clear_reasons();
    ag->set_since_us(in.now_us);
    out.events.push_back(agent_event(st, v1::EventAgentNotReady, in.now_us));
    out.acw_timer_s = in.acw_s;
  }
}

void on_acw_timeout(v1::DnState& st, const dn_input& in, dn_output& out) {
  auto* ag = st.mutable_agent();
  if (!ag->in_acw() || in.acw_gen != ag->acw_gen())
    return;  // the agent changed state since: the timer is stale
  ag->set_in_acw(false);
  ag->set_state(v1::AGENT_READY);
  ag->set_work_mode(v1::ManualIn);
  ag->set_since_us(in.now_us);
  out.events.push_back(agent_event(st, v1::EventAgentReady, in.now_us));
  out.state_changed = true;
}

}  // namespace

bool is_private_call(const v1::DnState& st) {
  return device_in_use(st.device()) && st.sipcc_calls_size() == 0 && !st.sipcc_busy();
}

bool is_routable(const v1::DnState& st) {
  return st.agent().state() == v1::AGENT_READY && st.in_service() &&
         st.device() == v1::DEVICE_IDLE && st.sipcc_calls_size() == 0;
}

v1::DnState initial_dn_state(const std::string& dn, v1::DnType type, int64_t now_us) {
  v1::DnState st;
  st.set_schema(v1::SCHEMA_V1);
  st.set_dn(dn);
  st.set_type(type);
  st.set_since_us(now_us);
  return st;
}

dn_resumed resume_dn_state(const v1::DnState& saved, const std::string& dn, v1::DnType type,
                           bool agent_allowed, int64_t now_us) {
  dn_resumed r;
  if (saved.dn() != dn) {
    r.st = initial_dn_state(dn, type, now_us);
    return r;
  }
  r.st = saved;
  r.st.set_schema(v1::SCHEMA_V1);
  r.st.set_type(type);
  if (!agent_allowed || (type != v1::Extension && type != v1::ACDPosition))
    r.st.clear_agent();
  const auto& ag = r.st.agent();
  if (ag.state() != v1::AGENT_LOGGED_OUT && ag.in_acw())
    r.acw_left_ms = std::max<int64_t>(0, (ag.acw_until_us() - now_us) / 1000);
  r.st.set_routable(is_routable(r.st));
  return r;
}

dn_output dn_step(v1::DnState& st, const dn_input& in) {
  dn_output out;
  switch (in.what) {
    case dn_input::request: on_request(st, in, out); break;
    case dn_input::device_changed: on_device(st, in, out); break;
    case dn_input::monitoring: on_monitoring(st, in, out); break;
    case dn_input::call_fact: on_call_fact(st, in, out); break;
    case dn_input::acw_timeout: on_acw_timeout(st, in, out); break;
  }
  settle(st, out, in.now_us);
  return out;
}

}  // namespace sipcc
