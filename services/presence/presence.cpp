#include "presence.hpp"

#include <deque>
#include <unordered_map>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/dn_logic.hpp"
#include "sipcc/presence_body.hpp"
#include "sipcc/sub_engine.hpp"
#include "sipcc/v1/sip.pb.h"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sipcc::v1::SubEvent)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sipcc::v1::TRequest)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sipcc::v1::DnCallFact)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sipcc::v1::DnState)

namespace sipcc::presence {

namespace {

using bus_atom = caf::atom_constant<caf::atom("bus")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using sub_atom = caf::atom_constant<caf::atom("sub")>;
using req_atom = caf::atom_constant<caf::atom("req")>;
using fact_atom = caf::atom_constant<caf::atom("fact")>;
using pace_atom = caf::atom_constant<caf::atom("pace")>;
using paced_atom = caf::atom_constant<caf::atom("paced")>;
using timer_atom = caf::atom_constant<caf::atom("timer")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using state_atom = caf::atom_constant<caf::atom("state")>;
using guard_atom = caf::atom_constant<caf::atom("guard")>;
using edge_atom = caf::atom_constant<caf::atom("edgeup")>;

bool is_agent_event(v1::EventType t) {
  return t == v1::EventAgentLogin || t == v1::EventAgentLogout || t == v1::EventAgentReady ||
         t == v1::EventAgentNotReady;
}

// Where the SUBSCRIBE for a DN goes: its contact as a full SIP URI, or the
// Asterisk endpoint (hint) name at the configured Asterisk address.
std::string target_uri(const dn_config& dn, const config& cfg) {
  if (dn.contact.rfind("sip:", 0) == 0)
    return dn.contact;
  return "sip:" + (dn.contact.empty() ? dn.number : dn.contact) + "@" + cfg.asterisk.str();
}

v1::AgentStateMsg agent_state_of(const v1::DnState& st, const std::string& agent_id) {
  v1::AgentStateMsg m;
  m.set_schema(v1::SCHEMA_V1);
  m.set_agent_id(agent_id);
  if (st.agent().agent_id() == agent_id && st.agent().state() != v1::AGENT_LOGGED_OUT) {
    m.set_dn(st.dn());
    *m.mutable_session() = st.agent();
    m.set_routable(st.routable());
  } else {
    m.mutable_session()->set_agent_id(agent_id);
  }
  return m;
}

// ---- one DN ---------------------------------------------------------------

struct dn_actor_state {
  const dn_config* dn = nullptr;
  const config* cfg = nullptr;
  bus* nats = nullptr;
  std::string owner;
  caf::actor registry;
  v1::DnState st;
  sub_state sub;
  sub_settings settings;
  static inline const char* name = "dn";
};

using dn_actor = caf::stateful_actor<dn_actor_state>;

std::string sub_id_of(const dn_actor_state& s) {
  return s.dn->number + "_" + std::to_string(s.sub.generation);
}

void emit(dn_actor* self, const dn_output& out, const v1::TRequest* req,
          const std::string& reply_to) {
  auto& s = self->state;
  auto& c = process_counters();
  for (auto& ev : out.events) {
    s.nats->publish(subj::tlib_evt(s.st.dn()), ev);
    c.add(counter_id::tlib_events, v1::EventType_Name(ev.type()));
    if (is_agent_event(ev.type()) && !ev.agent_id().empty())
      s.nats->publish(subj::agent_evt(ev.agent_id()), ev);
    spdlog::info("DN {}: {}{}{}", s.st.dn(), v1::EventType_Name(ev.type()),
                 ev.agent_id().empty() ? "" : " AgentID ", ev.agent_id());
  }
  if (out.has_reply) {
    if (out.reply.type() == v1::EventError) {
      c.add(counter_id::tlib_errors, v1::ErrorCode_Name(out.reply.error_code()));
      spdlog::info("DN {}: EventError for {}: {}", s.st.dn(),
                   req ? v1::RequestType_Name(req->type()) : "?", out.reply.error_message());
    }
    if (!reply_to.empty())
      s.nats->publish(reply_to, out.reply);
  }
  bool login = req && req->type() == v1::TAgentLogin;
  if (out.state_changed) {
    s.nats->publish(subj::state_dn(s.st.dn()), s.st);
    if (!s.st.agent().agent_id().empty())
      s.nats->publish(subj::state_agent(s.st.agent().agent_id()),
                      agent_state_of(s.st, s.st.agent().agent_id()));
    if (!out.logged_out_agent.empty())
      s.nats->publish(subj::state_agent(out.logged_out_agent),
                      agent_state_of(s.st, out.logged_out_agent));
  }
  // The registry keeps the AgentID index and the query cache; after a login
  // attempt it needs the outcome even when nothing changed.
  if (out.state_changed || login)
    self->send(s.registry, state_atom::value, s.st);
}

void apply(dn_actor* self, const dn_input& in, const v1::TRequest* req = nullptr,
           const std::string& reply_to = {}) {
  auto out = dn_step(self->state.st, in);
  emit(self, out, req, reply_to);
}

void apply_body(dn_actor* self, const v1::SubNotify& n) {
  auto& s = self->state;
  auto report = parse_device_body(n.content_type(), n.body());
  if (!report) {
    process_counters().add(counter_id::notify_bad_body, n.content_type());
    spdlog::warn("DN {}: NOTIFY body ignored: {}", s.st.dn(), report.error);
    return;
  }
  if (report.value->version >= 0 && !accept_version(s.sub, report.value->version)) {
    process_counters().add(counter_id::notify_stale, "version");
    spdlog::debug("DN {}: stale dialog-info version {} ignored", s.st.dn(),
                  report.value->version);
    return;
  }
  dn_input in{dn_input::device_changed};
  in.device = report.value->device;
  in.now_us = now_us();
  apply(self, in);
}

void carry_out(dn_actor* self, const sub_actions& a, sub_phase before) {
  auto& s = self->state;
  auto& c = process_counters();
  if (a.ignored)
    c.add(counter_id::notify_stale, a.ignored);
  if (before != s.sub.phase) {
    c.add(counter_id::subscriptions, to_string(before), -1);
    c.add(counter_id::subscriptions, to_string(s.sub.phase), 1);
  }
  if (a.want_pace)
    self->send(s.registry, pace_atom::value, caf::actor_cast<caf::actor>(self));
  if (a.send_subscribe) {
    v1::EdgeCommand cmd;
    cmd.set_schema(v1::SCHEMA_V1);
    cmd.set_cmd_id(sub_id_of(s));
    auto* sc = cmd.mutable_subscribe();
    sc->set_sub_id(sub_id_of(s));
    sc->set_owner(s.owner);
    sc->set_key(s.dn->number);
    sc->set_target_uri(target_uri(*s.dn, *s.cfg));
    bool dialog = s.dn->package == presence_package::dialog;
    sc->set_event(dialog ? "dialog" : "presence");
    sc->set_accept(dialog ? "application/dialog-info+xml" : "application/pidf+xml");
    sc->set_expires(s.cfg->subscribe_expires);
    s.nats->publish(subj::edge_cmd(s.cfg->edge_id), cmd);
    if (s.st.monitor() != v1::MONITOR_ACTIVE && s.st.monitor() != v1::MONITOR_PENDING) {
      s.st.set_monitor(v1::MONITOR_PENDING);
      s.nats->publish(subj::state_dn(s.st.dn()), s.st);
    }
  }
  if (a.send_unsubscribe) {
    v1::EdgeCommand cmd;
    cmd.set_schema(v1::SCHEMA_V1);
    cmd.mutable_unsubscribe()->set_sub_id(s.dn->number + "_" + std::to_string(*a.send_unsubscribe));
    s.nats->publish(subj::edge_cmd(s.cfg->edge_id), cmd);
  }
  if (a.timer_ms) {
    spdlog::info("DN {}: re-subscribing in {} ms", s.st.dn(), *a.timer_ms);
    self->delayed_send(self, std::chrono::milliseconds(*a.timer_ms), timer_atom::value,
                       s.sub.timer_gen);
  }
  if (a.guard_ms)
    self->delayed_send(self, std::chrono::milliseconds(*a.guard_ms), guard_atom::value,
                       s.sub.generation);
  if (a.monitoring) {
    spdlog::info("DN {}: monitoring {}", s.st.dn(), *a.monitoring ? "regained" : "lost");
    dn_input in{dn_input::monitoring};
    in.live = *a.monitoring;
    in.now_us = now_us();
    apply(self, in);
  }
}

void step_sub(dn_actor* self, const sub_input& in, const v1::SubNotify* notify = nullptr) {
  auto& s = self->state;
  auto before = s.sub.phase;
  auto a = step(s.sub, in, s.settings);
  // The body describes the device before a termination takes monitoring away.
  if (a.apply_body && notify)
    apply_body(self, *notify);
  carry_out(self, a, before);
}

sub_input to_input(const v1::SubEvent& ev) {
  sub_input in{sub_input::response};
  auto sep = ev.sub_id().rfind('_');
  in.generation = sep == std::string::npos ? 0 : std::strtoull(ev.sub_id().c_str() + sep + 1,
                                                                nullptr, 10);
  switch (ev.ev_case()) {
    case v1::SubEvent::kResponse:
      in.what = sub_input::response;
      in.status = ev.response().status();
      in.refresh = ev.response().refresh();
      break;
    case v1::SubEvent::kNotify:
      in.what = sub_input::notify;
      in.substate = ev.notify().substate();
      in.reason = ev.notify().reason();
      in.retry_after_s = ev.notify().retry_after();
      in.cseq = ev.notify().cseq();
      in.dialog_tag = ev.notify().dialog_tag();
      break;
    default:
      in.what = sub_input::ended;
      break;
  }
  return in;
}

caf::behavior dn_behavior(dn_actor* self, const dn_config* dn, const config* cfg, bus* nats,
                          std::string owner, caf::actor registry) {
  auto& s = self->state;
  s.dn = dn;
  s.cfg = cfg;
  s.nats = nats;
  s.owner = std::move(owner);
  s.registry = std::move(registry);
  s.st = initial_dn_state(dn->number, dn->type, now_us());
  s.settings.retry_ms = cfg->subscribe_retry_s * 1000;
  s.settings.backoff_max_ms = cfg->resubscribe_backoff_max_s * 1000;
  // The edge answers within its transaction timeout; past that, the command
  // or its answer was lost on the bus.
  s.settings.pending_guard_ms = cfg->sip_t1x64_ms + 5000;
  process_counters().add(counter_id::subscriptions, to_string(s.sub.phase), 1);
  return {
      [=](start_atom) { step_sub(self, sub_input{sub_input::start}); },
      [=](paced_atom) { step_sub(self, sub_input{sub_input::paced}); },
      [=](timer_atom, uint64_t gen) {
        sub_input in{sub_input::timer};
        in.timer_gen = gen;
        step_sub(self, in);
      },
      [=](guard_atom, uint64_t gen) {
        sub_input in{sub_input::guard};
        in.generation = gen;
        step_sub(self, in);
      },
      [=](edge_atom) {
        // The edge (re)started: whatever it held for us is gone. Drop the
        // old dialog in case it was made just before the announcement, then
        // subscribe again.
        auto& s = self->state;
        if (s.sub.phase != sub_phase::pending && s.sub.phase != sub_phase::active)
          return;
        v1::EdgeCommand cmd;
        cmd.set_schema(v1::SCHEMA_V1);
        cmd.mutable_unsubscribe()->set_sub_id(sub_id_of(s));
        s.nats->publish(subj::edge_cmd(s.cfg->edge_id), cmd);
        sub_input in{sub_input::ended};
        in.generation = s.sub.generation;
        step_sub(self, in);
      },
      [=](sub_atom, const v1::SubEvent& ev) {
        if (ev.has_response() && !ev.response().cause().empty())
          spdlog::warn("DN {}: SUBSCRIBE answered {}: {}", self->state.st.dn(),
                       ev.response().status(), ev.response().cause());
        step_sub(self, to_input(ev), ev.has_notify() ? &ev.notify() : nullptr);
      },
      [=](req_atom, const v1::TRequest& req, const std::string& reply_to) {
        dn_input in{dn_input::request};
        in.req = req;
        in.now_us = now_us();
        apply(self, in, &req, reply_to);
      },
      [=](fact_atom, const v1::DnCallFact& f) {
        dn_input in{dn_input::call_fact};
        in.conn_id = f.conn_id();
        in.active = f.active();
        in.now_us = now_us();
        apply(self, in);
      },
  };
}

// ---- registry ---------------------------------------------------------------

struct registry_state {
  const config* cfg = nullptr;
  bus* nats = nullptr;
  std::string owner;
  std::unordered_map<std::string, caf::actor> dns;
  std::unordered_map<std::string, v1::DnState> cache;
  std::unordered_map<std::string, std::string> agent_dn;  // AgentID -> DN
  // Pacer: a token bucket releasing SUBSCRIBEs at cfg->subscribe_rate.
  std::deque<caf::actor> waiting;
  bool ticking = false;
  double tokens = 1;
  std::chrono::steady_clock::time_point last_tick;
  static inline const char* name = "registry";
};

using registry_actor = caf::stateful_actor<registry_state>;

std::chrono::milliseconds tick_interval(const config& cfg) {
  auto ms = static_cast<long>(1000.0 / cfg.subscribe_rate);
  return std::chrono::milliseconds(std::max(10L, ms));
}

void pace(registry_actor* self) {
  auto& s = self->state;
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - s.last_tick).count();
  s.last_tick = now;
  double burst = std::max(1.0, s.cfg->subscribe_rate * 0.02);
  s.tokens = std::min(burst, s.tokens + elapsed * s.cfg->subscribe_rate);
  while (s.tokens >= 1 && !s.waiting.empty()) {
    self->send(s.waiting.front(), paced_atom::value);
    s.waiting.pop_front();
    s.tokens -= 1;
  }
  s.ticking = !s.waiting.empty();
  if (s.ticking)
    self->delayed_send(self, tick_interval(*s.cfg), tick_atom::value);
}

void reply_error(registry_actor* self, const std::string& reply_to, const v1::TRequest& req,
                 v1::ErrorCode code, const std::string& msg) {
  process_counters().add(counter_id::tlib_errors, v1::ErrorCode_Name(code));
  spdlog::info("DN {}: EventError for {}: {}", req.this_dn(), v1::RequestType_Name(req.type()),
               msg);
  if (!reply_to.empty())
    self->state.nats->publish(reply_to, make_error(req, code, msg, now_us()));
}

void on_request(registry_actor* self, const bus_msg& m) {
  auto& s = self->state;
  v1::TRequest req;
  auto dn = m.subject.substr(m.subject.rfind('.') + 1);
  if (!req.ParseFromString(m.data)) {
    process_counters().add(counter_id::bus_decode_errors, "tlib_req");
    req.set_this_dn(dn);
    return reply_error(self, m.reply, req, v1::ERR_BAD_REQUEST, "undecodable TRequest");
  }
  process_counters().add(counter_id::tlib_requests, v1::RequestType_Name(req.type()));
  if (req.this_dn().empty())
    req.set_this_dn(dn);
  if (req.this_dn() != dn)
    return reply_error(self, m.reply, req, v1::ERR_BAD_REQUEST,
                       "ThisDN " + req.this_dn() + " does not match the subject's DN " + dn);
  if (request_family(req.type()) != "agent" || req.type() == v1::REQUEST_UNSPECIFIED)
    return reply_error(self, m.reply, req, v1::ERR_NOT_OWNER,
                       "request " + v1::RequestType_Name(req.type()) +
                           " is not an agent-family request");
  auto it = s.dns.find(dn);
  if (it == s.dns.end())
    return reply_error(self, m.reply, req, v1::ERR_UNKNOWN_DN, "DN " + dn + " is not configured");
  if (req.type() == v1::TAgentLogin) {
    auto* agent = s.cfg->find_agent(req.agent_id());
    if (!agent)
      return reply_error(self, m.reply, req, v1::ERR_UNKNOWN_AGENT,
                         "AgentID '" + req.agent_id() + "' is not configured");
    if (!agent->password.empty() && agent->password != req.password())
      return reply_error(self, m.reply, req, v1::ERR_BAD_REQUEST,
                         "wrong password for AgentID " + req.agent_id());
    auto at = s.agent_dn.find(req.agent_id());
    if (at != s.agent_dn.end() && at->second != dn)
      return reply_error(self, m.reply, req, v1::ERR_AGENT_LOGGED_IN_ELSEWHERE,
                         "AgentID " + req.agent_id() + " is logged in on DN " + at->second);
    // Reserved until the DN actor reports the outcome, so two logins of one
    // agent racing on two DNs cannot both pass.
    s.agent_dn[req.agent_id()] = dn;
  }
  self->send(it->second, req_atom::value, req, m.reply);
}

void on_query(registry_actor* self, const bus_msg& m) {
  auto& s = self->state;
  if (m.reply.empty())
    return;
  v1::StateQuery q;
  v1::StateReply r;
  r.set_schema(v1::SCHEMA_V1);
  if (!q.ParseFromString(m.data)) {
    r.set_error("undecodable StateQuery");
  } else if (q.kind() == v1::StateQuery::DN) {
    auto it = s.cache.find(q.id());
    if (it == s.cache.end())
      r.set_error("DN " + q.id() + " is not configured");
    else
      *r.add_dns() = it->second;
  } else if (q.kind() == v1::StateQuery::AGENT) {
    auto at = s.agent_dn.find(q.id());
    if (at != s.agent_dn.end())
      *r.add_agents() = agent_state_of(s.cache[at->second], q.id());
    else if (s.cfg->find_agent(q.id()))
      *r.add_agents() = agent_state_of(v1::DnState{}, q.id());
    else
      r.set_error("AgentID " + q.id() + " is not configured");
  } else if (q.kind() == v1::StateQuery::ALL_DNS) {
    for (auto& dn : s.cfg->dns)
      *r.add_dns() = s.cache[dn.number];
  } else {
    r.set_error("StateQuery needs a kind");
  }
  r.set_found(r.error().empty());
  s.nats->publish(m.reply, r);
}

template <class Msg>
bool decode(const bus_msg& m, Msg& out, const char* family) {
  if (out.ParseFromString(m.data))
    return true;
  process_counters().add(counter_id::bus_decode_errors, family);
  spdlog::warn("bus: undecodable {} on {} dropped", family, m.subject);
  return false;
}

caf::behavior registry_behavior(registry_actor* self, const config* cfg, bus* nats,
                                std::string owner) {
  auto& s = self->state;
  s.cfg = cfg;
  s.nats = nats;
  s.owner = owner;
  s.last_tick = std::chrono::steady_clock::now();
  for (auto& dn : cfg->dns) {
    auto a = self->spawn<caf::linked>(dn_behavior, &dn, cfg, nats, owner,
                                      caf::actor_cast<caf::actor>(self));
    s.dns.emplace(dn.number, a);
    s.cache.emplace(dn.number, initial_dn_state(dn.number, dn.type, now_us()));
    if (dn.monitor)
      self->send(a, start_atom::value);
  }
  process_counters().set(counter_id::actors, "dn", static_cast<int64_t>(s.dns.size()));
  return {
      [=](bus_atom, const std::string& subject, const std::string& data,
          const std::string& reply) {
        auto& s = self->state;
        bus_msg m{subject, data, reply};
        auto* info = classify_subject(subject);
        switch (info ? info->family : subject_family::unknown) {
          case subject_family::sub_event: {
            v1::SubEvent ev;
            if (!decode(m, ev, "sub_event"))
              return;
            auto it = s.dns.find(ev.key());
            if (it != s.dns.end())
              self->send(it->second, sub_atom::value, ev);
            break;
          }
          case subject_family::tlib_req:
            on_request(self, m);
            break;
          case subject_family::state_query:
            on_query(self, m);
            break;
          case subject_family::ops_ready:
            if (subject == subj::ops_ready(s.cfg->edge_id)) {
              spdlog::info("edge {} is up: renewing every subscription", s.cfg->edge_id);
              for (auto& [dn, a] : s.dns)
                self->send(a, edge_atom::value);
            }
            break;
          case subject_family::dn_calls: {
            v1::DnCallFact f;
            if (!decode(m, f, "dn_calls"))
              return;
            auto it = s.dns.find(f.dn());
            if (it != s.dns.end())
              self->send(it->second, fact_atom::value, f);
            break;
          }
          default:
            spdlog::debug("bus: unexpected subject {}", subject);
        }
      },
      [=](pace_atom, const caf::actor& who) {
        auto& s = self->state;
        s.waiting.push_back(who);
        if (!s.ticking) {
          s.ticking = true;
          pace(self);
        }
      },
      [=](tick_atom) { pace(self); },
      [=](state_atom, const v1::DnState& st) {
        auto& s = self->state;
        // Re-derive this DN's entries of the AgentID index from its state.
        for (auto it = s.agent_dn.begin(); it != s.agent_dn.end();) {
          if (it->second == st.dn() && it->first != st.agent().agent_id())
            it = s.agent_dn.erase(it);
          else
            ++it;
        }
        if (st.agent().state() != v1::AGENT_LOGGED_OUT)
          s.agent_dn[st.agent().agent_id()] = st.dn();
        s.cache[st.dn()] = st;
      },
  };
}

}  // namespace

struct presence_service::impl {
  service_context& ctx;
  std::unique_ptr<caf::actor_system_config> sys_cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor registry;
  explicit impl(service_context& c) : ctx(c) {}
};

presence_service::presence_service(service_context& ctx) : impl_(std::make_unique<impl>(ctx)) {}

presence_service::~presence_service() { stop(); }

std::string presence_service::start() {
  auto& ctx = impl_->ctx;
  impl_->sys_cfg = std::make_unique<caf::actor_system_config>();
  // The default work-stealing scheduler polls aggressively: idle CPU and
  // hand-off latency both drop with this (STACK-NOTES).
  impl_->sys_cfg->set("work-stealing.moderate-poll-attempts", size_t{0});
  impl_->sys = std::make_unique<caf::actor_system>(*impl_->sys_cfg);
  impl_->registry =
      impl_->sys->spawn(registry_behavior, &ctx.cfg, ctx.nats.get(), ctx.instance);
  auto forward = [this](bus_msg m) {
    caf::anon_send(impl_->registry, bus_atom::value, std::move(m.subject), std::move(m.data),
                   std::move(m.reply));
  };
  // A few wildcard subscriptions, each delivering in order to the registry.
  std::vector<std::string> subjects = {subj::sub_events_of(ctx.instance),
                                       subj::tlib_req_family("agent"), subj::state_query,
                                       subj::dn_calls_all, subj::ops_ready(ctx.cfg.edge_id)};
  for (auto& s : subjects)
    ctx.nats->subscribe(s, forward);
  std::string listen;
  for (auto& s : subjects)
    listen += (listen.empty() ? "" : ", ") + s;
  return "bus " + listen;
}

void presence_service::stop() {
  if (!impl_->sys)
    return;
  caf::anon_send_exit(impl_->registry, caf::exit_reason::user_shutdown);
  impl_->registry = nullptr;
  impl_->sys.reset();  // waits for every actor to finish
}

}  // namespace sipcc::presence
