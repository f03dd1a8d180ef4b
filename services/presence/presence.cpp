#include "presence.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>

#include <caf/all.hpp>
#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include "sipcc/actor_host.hpp"
#include "sipcc/agent_auth.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/kv.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/edge_directory.hpp"
#include "sipcc/lease_keeper.hpp"
#include "presence/model/agent_places.hpp"
#include "presence/model/dn_logic.hpp"
#include "presence/model/login_claims.hpp"
#include "sipcc/presence_shards.hpp"
#include "sipcc/presence_body.hpp"
#include "sipcc/subscriber.hpp"
#include "sipcc/v1/ops.pb.h"
#include "sipcc/v1/sip.pb.h"
#include "sipcc/tevent.hpp"

namespace sipcc::presence {

namespace {

// ---- messages ---------------------------------------------------------------

// To a DN actor: a desktop request (agent family) with its reply inbox.
struct dn_request {
  v1::TRequest req;
  std::string reply_to;
};
// To a DN actor: callctl says a sipcc call started or ended on it; `lost`:
// the registry's call audit found that no callctl has the call.
struct dn_call_fact {
  v1::DnCallFact fact;
  bool lost = false;
};
// A DN actor's own: its after-call-work timer, tagged st.agent().acw_gen().
struct acw_timer {
  uint64_t gen = 0;
};
// From the DN's resource list: monitoring live or lost, the device state,
// or (the list got no first NOTIFY) subscribe on its own.
struct list_monitoring {
  bool live = false;
};
struct list_device {
  int32_t device = 0;  // a v1::DeviceState
};
struct subscribe_alone {};
// From the registry: a registrar binding of the DN's phone (0 s: gone),
// held by edge `edge`.
struct binding_update {
  std::string contact;
  uint32_t expires_s = 0;
  std::string edge;
};
// A DN actor's own: a binding's expiry, tagged with the binding's generation.
struct binding_expiry {
  std::string contact;
  uint64_t gen = 0;
};
// To the registry: a DN's state after a change or a login attempt.
struct dn_state_report {
  v1::DnState st;
};
// The registry's own: time to check the DNs' call marks with callctl.
struct call_audit_tick {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dn_request& x) {
  return inspect_with_proto(f, "dn_request", x.req, x.reply_to);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dn_call_fact& x) {
  return inspect_with_proto(f, "dn_call_fact", x.fact, x.lost);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, acw_timer& x) {
  return f(caf::meta::type_name("acw_timer"), x.gen);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_monitoring& x) {
  return f(caf::meta::type_name("list_monitoring"), x.live);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, list_device& x) {
  return f(caf::meta::type_name("list_device"), x.device);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, subscribe_alone&) {
  return f(caf::meta::type_name("subscribe_alone"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, binding_update& x) {
  return f(caf::meta::type_name("binding_update"), x.contact, x.expires_s, x.edge);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, binding_expiry& x) {
  return f(caf::meta::type_name("binding_expiry"), x.contact, x.gen);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dn_state_report& x) {
  return inspect_with_proto(f, "dn_state_report", x.st);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_audit_tick&) {
  return f(caf::meta::type_name("call_audit_tick"));
}

// A DN's state as a former holder saved it, by DN.
using saved_states = std::unordered_map<std::string, v1::DnState>;

// To the registry: every DN's saved state, read as the member starts.
struct states_saved {
  std::shared_ptr<const saved_states> saved;
};
// To the registry: shards gained or lost, with the saved states of the DNs
// (read after the leases were won, so the former holder's last word is in).
struct shards_changed {
  lease_change change;
  std::shared_ptr<const saved_states> saved;
};

}  // namespace
}  // namespace sipcc::presence

// Shared, read-only snapshots, never sent off the process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sipcc::presence::states_saved)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sipcc::presence::shards_changed)

namespace sipcc::presence {
namespace {

using registry_actor = caf::typed_actor<caf::reacts_to<bus_msg>, caf::reacts_to<dn_state_report>,
                                        caf::reacts_to<call_audit_tick>,
                                        caf::reacts_to<states_saved>,
                                        caf::reacts_to<shards_changed>,
                                        caf::reacts_to<edge_gone>>;
using dn_actor = subscription_owner::extend<
    caf::reacts_to<edge_gone>, caf::reacts_to<dn_request>, caf::reacts_to<dn_call_fact>,
    caf::reacts_to<acw_timer>, caf::reacts_to<list_monitoring>, caf::reacts_to<list_device>,
    caf::reacts_to<subscribe_alone>, caf::reacts_to<binding_update>,
    caf::reacts_to<binding_expiry>>;
using list_actor = subscription_owner::extend<caf::reacts_to<edge_gone>>;

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

// A DN or list actor ends (presence stops, or its shard went to another
// member): it un-SUBSCRIBEs, so no dialog outlives it (a shard released,
// not expired, is taken over without ForgetOwnerCmd), and tells nobody of
// the monitoring that loses: the shard's next holder resumes the DN as it is.
template <class Pointer>
void end_quietly_on_exit(Pointer self) {
  self->set_exit_handler([self](caf::exit_msg& m) {
    self->state.leaving = true;
    if (self->state.sub)
      self->state.sub->stop();
    self->quit(m.reason);
  });
}

// ---- one DN ---------------------------------------------------------------

struct dn_actor_state {
  const dn_config* dn = nullptr;
  const config* cfg = nullptr;
  const edge_directory* edges = nullptr;
  bus* nats = nullptr;
  std::string owner;
  uint32_t shard = 0;
  registry_actor registry;
  pacer_actor pacer;
  v1::DnState st;
  bool leaving = false;  // see end_quietly_on_exit
  // Empty while the DN is watched through a resource list instead; not
  // inline, so a list member does not carry one (512 bytes) unused.
  std::unique_ptr<subscriber> sub;
  // Contacts the DN's phone holds on sipcc's registrar (DNs with a password).
  // Registrar bindings of its phone, by Contact: the generation of its
  // expiry timer, and the edge that holds it.
  struct binding {
    uint64_t gen = 0;
    std::string edge;
  };
  std::map<std::string, binding> bindings;
  uint64_t binding_gen = 0;
  static inline const char* name = "dn";
};

using dn_pointer = dn_actor::stateful_pointer<dn_actor_state>;

void emit(dn_pointer self, const dn_output& out, const v1::TRequest* req,
          const std::string& reply_to) {
  auto& s = self->state;
  auto& c = process_counters();
  // Saved for whichever presence member owns the DN next, before anyone
  // hears of the change: a desktop that got an event finds it saved.
  std::string bytes;
  if (out.state_changed || out.saved_changed) {
    bytes = s.st.SerializeAsString();
    s.nats->publish_raw(subj::kv_dn_state(s.st.dn()), bytes);
  }
  for (auto& ev : out.events) {
    s.nats->publish(subj::tlib_evt(s.st.dn()), ev);
    c.add(counter_id::tlib_events, v1::EventType_Name(ev.type()));
    if (is_agent_event(ev.type()) && !ev.agent_id().empty())
      s.nats->publish(subj::agent_evt(ev.agent_id()), ev);
    spdlog::info("DN {}: {}{}{}", s.st.dn(), v1::EventType_Name(ev.type()),
                 ev.agent_id().empty() ? "" : " AgentID ", ev.agent_id());
  }
  // The new state goes out before the reply: by the time a desktop has its
  // answer, the other presence members have been sent the change (a second
  // login of the agent on one of their DNs is refused).
  if (out.state_changed)
    s.nats->publish_raw(subj::state_dn(s.st.dn()), bytes);
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
  // The registry keeps the AgentID index and the query cache; after a login
  // attempt it needs the outcome even when nothing changed.
  if (out.state_changed || out.saved_changed || login)
    self->send(s.registry, dn_state_report{s.st});
}

void apply(dn_pointer self, const dn_input& in, const v1::TRequest* req = nullptr,
           const std::string& reply_to = {}) {
  if (self->state.leaving)
    return;
  auto out = dn_step(self->state.st, in);
  if (out.acw_timer_s > 0)
    self->delayed_send(self, std::chrono::seconds(out.acw_timer_s),
                       acw_timer{self->state.st.agent().acw_gen()});
  emit(self, out, req, reply_to);
}

// Seconds of after-call work for the agent logged in on the DN: its own
// option, else the application's.
uint32_t acw_seconds(const dn_actor_state& s) {
  auto* agent = s.cfg->find_agent(s.st.agent().agent_id());
  for (auto* opts : {agent ? &agent->options : nullptr, &s.cfg->app_options}) {
    if (!opts)
      continue;
    auto it = opts->find("after-call-work-timeout");
    if (it != opts->end())
      return static_cast<uint32_t>(std::stoul(it->second));
  }
  return 0;
}

void device_changed(dn_pointer self, v1::DeviceState device) {
  dn_input in{dn_input::device_changed};
  in.device = device;
  in.now_us = now_us();
  apply(self, in);
}

void monitoring_changed(dn_pointer self, bool live) {
  dn_input in{dn_input::monitoring};
  in.live = live;
  in.now_us = now_us();
  apply(self, in);
}

// A phone registered on sipcc is the DN's monitoring: in service (and idle,
// as nothing else reports its device) from its first binding to its last.
// The edge says when a binding goes; should that word be lost on the bus,
// the binding still ends a little after its own expiry.
constexpr uint32_t kBindingGraceS = 2;

void binding_changed(dn_pointer self, const std::string& contact, uint32_t expires_s,
                     const std::string& edge = "") {
  auto& b = self->state.bindings;
  bool was = !b.empty();
  if (expires_s > 0) {
    auto gen = ++self->state.binding_gen;
    b[contact] = {gen, edge};
    self->delayed_send(self, std::chrono::seconds(expires_s + kBindingGraceS),
                       binding_expiry{contact, gen});
  } else {
    b.erase(contact);
  }
  if (was == b.empty()) {
    dn_input in{dn_input::monitoring};
    in.live = !b.empty();
    in.device = v1::DEVICE_IDLE;
    in.now_us = now_us();
    apply(self, in);
  }
}

void apply_body(dn_pointer self, const v1::SubNotify& n) {
  auto& s = self->state;
  auto report = parse_device_body(n.content_type(), n.body());
  if (!report) {
    process_counters().add(counter_id::notify_bad_body, body_type_label(n.content_type()));
    spdlog::warn("DN {}: NOTIFY body ignored: {}", s.st.dn(), report.error);
    return;
  }
  // dialog-info is always full state (the parser refuses partial); PIDF has no version.
  if (report.value->version >= 0 && !s.sub->accept_version(report.value->version, true))
    return;
  device_changed(self, report.value->device);
}

sub_settings settings_of(const config& cfg) {
  return subscription_settings(cfg.subscribe_retry_s, cfg.resubscribe_backoff_max_s,
                               cfg.sip_t1x64_ms, cfg.first_notify_timeout_ms);
}

subscription_spec spec_for(const config& cfg, const edge_directory* edges,
                           const std::string& owner, uint32_t shard, std::string key,
                           std::string target, presence_package pkg) {
  subscription_spec sp;
  sp.owner = owner;
  sp.shard = shard;
  sp.edge_id = cfg.edge_id;
  sp.edges = edges;
  sp.key = std::move(key);
  sp.target_uri = std::move(target);
  bool dialog = pkg == presence_package::dialog;
  sp.event = dialog ? "dialog" : "presence";
  sp.accept = dialog ? "application/dialog-info+xml" : "application/pidf+xml";
  sp.expires = cfg.subscribe_expires;
  return sp;
}

// The DN's own subscription: from start-up, or once its resource list failed.
void subscribe_on_its_own(dn_pointer self) {
  auto& s = self->state;
  s.sub = std::make_unique<subscriber>(
      self, s.nats, s.pacer,
      spec_for(*s.cfg, s.edges, s.owner, s.shard, s.dn->number, target_uri(*s.dn, *s.cfg),
               s.dn->package),
      settings_of(*s.cfg),
      subscriber::hooks{[self](const v1::SubNotify& n) { apply_body(self, n); },
                        [self](bool live) { monitoring_changed(self, live); },
                        {}});
  s.sub->start();
}

void on_call_fact(dn_pointer self, const v1::DnCallFact& f, bool lost) {
  dn_input in{dn_input::call_fact};
  in.conn_id = f.conn_id();
  in.active = f.active();
  in.shown = f.shown();
  in.lost = lost;
  in.acw_s = acw_seconds(self->state);
  in.answered = f.answered();
  in.now_us = now_us();
  apply(self, in);
}

void on_binding_expiry(dn_pointer self, const binding_expiry& e) {
  auto it = self->state.bindings.find(e.contact);
  if (it == self->state.bindings.end() || it->second.gen != e.gen)
    return;
  spdlog::warn("DN {}: binding {} expired without word from the edge", self->state.st.dn(),
               e.contact);
  binding_changed(self, e.contact, 0);
}

void on_edge_gone(dn_pointer self, const edge_gone& g) {
  if (self->state.sub)
    self->state.sub->edge_gone(g.edge);
  // A restarted or dead edge has lost its bindings: the phone is out of
  // reach until it registers again (through another edge, or this one back).
  auto held = self->state.bindings;
  for (auto& [contact, b] : held)
    if (b.edge == g.edge)
      binding_changed(self, contact, 0);
}

// `start`: the DN's state to go on from (fresh, or resumed from what a former
// instance saved), with the after-call work left to run, if any.
dn_actor::behavior_type dn_behavior(dn_pointer self, const dn_config* dn, const config* cfg,
                                    const edge_directory* edges, bus* nats, std::string owner,
                                    uint32_t shard,
                                    registry_actor registry, pacer_actor pacer,
                                    bool own_subscription, dn_resumed start) {
  auto& s = self->state;
  s.dn = dn;
  s.cfg = cfg;
  s.edges = edges;
  s.nats = nats;
  s.owner = std::move(owner);
  s.shard = shard;
  end_quietly_on_exit(self);
  s.registry = std::move(registry);
  s.pacer = std::move(pacer);
  s.st = std::move(start.st);
  if (start.acw_left_ms >= 0)
    self->delayed_send(self, std::chrono::milliseconds(start.acw_left_ms),
                       acw_timer{s.st.agent().acw_gen()});
  if (dn->monitor && own_subscription)
    subscribe_on_its_own(self);
  return subscriber_behavior<dn_actor::behavior_type>(
      [self](const std::string& key) -> subscriber* {
        auto& sub = self->state.sub;
        return sub && sub->key() == key ? sub.get() : nullptr;
      },
      [=](const dn_request& r) {
        dn_input in{dn_input::request};
        in.req = r.req;
        in.now_us = now_us();
        apply(self, in, &r.req, r.reply_to);
      },
      [=](const dn_call_fact& f) { on_call_fact(self, f.fact, f.lost); },
      [=](const acw_timer& t) {
        dn_input in{dn_input::acw_timeout};
        in.acw_gen = t.gen;
        in.now_us = now_us();
        apply(self, in);
      },
      // From the resource list this DN belongs to.
      [=](const list_monitoring& m) { monitoring_changed(self, m.live); },
      [=](subscribe_alone) {
        if (!self->state.sub)
          subscribe_on_its_own(self);
      },
      [=](const list_device& d) { device_changed(self, static_cast<v1::DeviceState>(d.device)); },
      [=](const binding_update& b) { binding_changed(self, b.contact, b.expires_s, b.edge); },
      [=](const binding_expiry& e) { on_binding_expiry(self, e); },
      [=](const edge_gone& g) { on_edge_gone(self, g); });
}

// ---- one RFC 4662 resource list ----------------------------------------------

struct list_actor_state {
  const resource_list_config* list = nullptr;
  // Resource URI user part (the DN's contact) -> DN actor and number.
  std::unordered_map<std::string, std::pair<dn_actor, std::string>> members;
  std::optional<subscriber> sub;
  bool leaving = false;  // see end_quietly_on_exit
  static inline const char* name = "resource-list";
};

using list_pointer = list_actor::stateful_pointer<list_actor_state>;

std::string uri_user(const std::string& uri) {
  auto start = uri.find(':');
  start = start == std::string::npos ? 0 : start + 1;
  auto at = uri.find('@', start);
  return uri.substr(start, at == std::string::npos ? std::string::npos : at - start);
}

void apply_list_body(list_pointer self, const v1::SubNotify& n) {
  auto& s = self->state;
  auto parsed = parse_list_notify(n.content_type(), n.body());
  if (!parsed) {
    process_counters().add(counter_id::notify_bad_body, body_type_label(n.content_type()));
    spdlog::warn("list {}: NOTIFY body ignored: {}", s.list->name, parsed.error);
    return;
  }
  if (!s.sub->accept_version(parsed.value->version, parsed.value->full_state))
    return;
  std::unordered_map<std::string, bool> seen;
  for (auto& r : parsed.value->resources) {
    auto it = s.members.find(uri_user(r.uri));
    if (it == s.members.end()) {
      spdlog::warn("list {}: resource {} is not one of its configured DNs", s.list->name, r.uri);
      continue;
    }
    auto& [actor, dn] = it->second;
    bool live = r.state == "active";
    seen[dn] = live;
    if (live && r.report)
      self->send(actor, list_device{r.report->device});
    else if (live)
      spdlog::warn("list {}: DN {}: {}", s.list->name, dn,
                   r.error.empty() ? "no body part" : r.error);
    self->send(actor, list_monitoring{live});
  }
  // A full-state list names every resource it still serves.
  if (parsed.value->full_state)
    for (auto& [user, member] : s.members)
      if (!seen.count(member.second))
        self->send(member.first, list_monitoring{false});
}

// Losing the list loses every member; members come back one by one with
// the next NOTIFY.
void list_monitoring_changed(list_pointer self, bool live) {
  if (!live && !self->state.leaving)
    for (auto& [u, m] : self->state.members)
      self->send(m.first, list_monitoring{false});
}

// Too large for UDP, so its NOTIFY never comes: every DN keeps being
// watched on its own, through the pacer.
void list_gave_up(list_pointer self) {
  auto& s = self->state;
  spdlog::warn("list {}: subscribing to each of its {} DNs on its own", s.list->name,
               s.members.size());
  for (auto& [u, m] : s.members)
    self->send(m.first, subscribe_alone{});
}

using list_members = std::vector<std::pair<const dn_config*, dn_actor>>;

list_actor::behavior_type list_behavior(list_pointer self, const resource_list_config* list,
                                        const config* cfg, const edge_directory* edges,
                                        bus* nats, std::string owner,
                                        uint32_t shard, pacer_actor pacer, list_members members) {
  auto& s = self->state;
  s.list = list;
  end_quietly_on_exit(self);
  for (auto& [dn, actor] : members)
    s.members.emplace(dn->contact.empty() ? dn->number : uri_user(dn->contact),
                      std::make_pair(actor, dn->number));
  auto spec = spec_for(*cfg, edges, owner, shard, "@" + list->name,
                       "sip:" + list->name + "@" + cfg->asterisk.str(), list->package);
  spec.eventlist = true;
  spec.accept = "multipart/related, application/rlmi+xml, " + spec.accept;
  auto settings = settings_of(*cfg);
  settings.give_up_without_first_notify = !list_fits_udp(list->dns.size());
  s.sub.emplace(self, nats, std::move(pacer), std::move(spec), settings,
                subscriber::hooks{[self](const v1::SubNotify& n) { apply_list_body(self, n); },
                                  [self](bool live) { list_monitoring_changed(self, live); },
                                  [self] { list_gave_up(self); }});
  s.sub->start();
  return subscriber_behavior<list_actor::behavior_type>(
      [self](const std::string& key) -> subscriber* {
        return self->state.sub->key() == key ? &*self->state.sub : nullptr;
      },
      [=](const edge_gone& g) { self->state.sub->edge_gone(g.edge); });
}

// ---- registry ---------------------------------------------------------------

struct registry_state {
  const config* cfg = nullptr;
  const edge_directory* edges = nullptr;
  kv_bucket* logins = nullptr;  // the AgentIDs' claims (login_claims.hpp)
  bus* nats = nullptr;
  std::string owner;  // this process's member name
  presence_shards shards;
  std::set<uint32_t> held;  // the shards whose leases this member holds
  // The actors of the held shards' DNs and lists ("@<name>").
  std::unordered_map<std::string, dn_actor> dns;
  std::unordered_map<std::string, list_actor> lists;
  // Every configured DN's state (the held ones' from their actors, the
  // others' from their holders on sipcc.state.dn.*) and the AgentID index
  // over all of them: logins and queries see every member's agents.
  std::unordered_map<std::string, v1::DnState> cache;
  agent_places agents;
  // DNs whose state came before the saved states were read: newer than those.
  std::set<std::string> heard;
  bool saved_read = false;
  pacer_actor pacer;
  // AgentID -> the time of the last login proof accepted: each is used once.
  std::unordered_map<std::string, int64_t> login_proof_ms;
  static inline const char* name = "registry";
};

using registry_pointer = registry_actor::stateful_pointer<registry_state>;

bool holds(const registry_state& s, const std::string& dn) {
  return s.held.count(presence_shard_of(s.shards, dn)) > 0;
}

void reply_error(registry_pointer self, const std::string& reply_to, const v1::TRequest& req,
                 v1::ErrorCode code, const std::string& msg) {
  process_counters().add(counter_id::tlib_errors, v1::ErrorCode_Name(code));
  spdlog::info("DN {}: EventError for {}: {}", req.this_dn(), v1::RequestType_Name(req.type()),
               msg);
  if (!reply_to.empty())
    self->state.nats->publish(reply_to, make_error(req, code, msg, now_us()));
}

// Claims AgentID `agent`'s key for `dn` (login_claims.hpp): an empty text
// when the login may go on, else the error and why. Blocking, a JetStream round trip or two,
// as only a login is.
std::pair<v1::ErrorCode, std::string> claim_login(registry_state& s, const std::string& agent,
                                                  const std::string& dn) {
  const auto key = login_key(agent);
  v1::Lease mine;
  mine.set_schema(v1::SCHEMA_V1);
  mine.set_holder(dn);
  mine.set_written_us(now_us());
  const auto value = mine.SerializeAsString();
  const auto size = static_cast<int>(value.size());
  auto unavailable = [](natsStatus st) -> std::pair<v1::ErrorCode, std::string> {
    return {v1::ERR_NOT_OWNER,
            std::string("the login cannot be checked across presence members now (JetStream: ") +
                natsStatus_GetText(st) + ")"};
  };
  // A second look when another member wrote the key between read and write.
  for (int look = 0; look < 2; ++look) {
    login_claim_seen seen;
    kvEntry* e = nullptr;
    natsStatus st = kvStore_Get(&e, s.logins->get(), key.c_str());
    if (st == NATS_OK) {
      v1::Lease l;
      l.ParseFromArray(kvEntry_Value(e), kvEntry_ValueLen(e));
      seen = {true, l.holder(), kvEntry_Revision(e), l.written_us()};
      kvEntry_Destroy(e);
    } else if (st != NATS_NOT_FOUND) {
      return unavailable(st);
    }
    auto held = s.cache.find(seen.dn);
    const bool holder_has_agent = held != s.cache.end() &&
                                  held->second.agent().agent_id() == agent &&
                                  held->second.agent().state() != v1::AGENT_LOGGED_OUT;
    uint64_t rev = 0;
    switch (login_claim(seen, dn, holder_has_agent, now_us())) {
      case login_claim_step::refuse:
        return {v1::ERR_AGENT_LOGGED_IN_ELSEWHERE,
                "AgentID " + agent + " is logged in, or logging in, on DN " + seen.dn};
      case login_claim_step::create:
        st = kvStore_Create(&rev, s.logins->get(), key.c_str(), value.data(), size);
        break;
      case login_claim_step::update:
        st = kvStore_Update(&rev, s.logins->get(), key.c_str(), value.data(), size,
                            seen.revision);
        break;
    }
    if (st == NATS_OK)
      return {};
    // A write the server did not answer is no lost race.
    if (st == NATS_TIMEOUT || st == NATS_NO_RESPONDERS || st == NATS_CONNECTION_CLOSED)
      return unavailable(st);
  }
  return {v1::ERR_AGENT_LOGGED_IN_ELSEWHERE,
          "AgentID " + agent + " is logging in on another DN at this moment"};
}

// Every member hears every request; the holder of the DN's shard answers.
void on_request(registry_pointer self, const bus_msg& m) {
  auto& s = self->state;
  v1::TRequest req;
  auto dn = m.subject.substr(m.subject.rfind('.') + 1);
  if (!holds(s, dn))
    return;
  if (!decode_bus(m.subject, m.data, req, "tlib_req")) {
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
    if (!agent->password_key.empty()) {
      auto& last = s.login_proof_ms[req.agent_id()];
      const auto why = login_proof_refusal(agent->password_key, req, now_us() / 1000, last);
      if (!why.empty())
        return reply_error(self, m.reply, req, v1::ERR_BAD_REQUEST, why);
      last = req.proof_time_ms();
    }
    auto* at = dn_of(s.agents, req.agent_id());
    if (at && *at != dn)
      return reply_error(self, m.reply, req, v1::ERR_AGENT_LOGGED_IN_ELSEWHERE,
                         "AgentID " + req.agent_id() + " is logged in on DN " + *at);
    // Across members: the others' logins reach this view a bus hop late.
    auto [code, why] = claim_login(s, req.agent_id(), dn);
    if (!why.empty())
      return reply_error(self, m.reply, req, code, why);
    // Reserved until the DN actor reports the outcome, so two logins of one
    // agent racing on two DNs of this member cannot both pass.
    place_agent(s.agents, req.agent_id(), dn);
  }
  self->send(it->second, dn_request{req, m.reply});
}

// Every member hears every query; one answers (state_query_shard).
void on_query(registry_pointer self, const bus_msg& m) {
  auto& s = self->state;
  if (m.reply.empty())
    return;
  v1::StateQuery q;
  bool decoded = decode_bus(m.subject, m.data, q, "state_query");
  if (!decoded)
    q.Clear();
  if (!s.held.count(state_query_shard(s.shards, q.kind(), q.id())))
    return;
  v1::StateReply r;
  r.set_schema(v1::SCHEMA_V1);
  if (!decoded) {
    r.set_error("undecodable StateQuery");
  } else if (q.kind() == v1::StateQuery::DN) {
    auto it = s.cache.find(q.id());
    if (it == s.cache.end())
      r.set_error("DN " + q.id() + " is not configured");
    else
      *r.add_dns() = it->second;
  } else if (q.kind() == v1::StateQuery::AGENT) {
    if (auto* at = dn_of(s.agents, q.id()))
      *r.add_agents() = agent_state_of(s.cache[*at], q.id());
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

// The DN's saved state, if a former holder left one that still fits the
// configuration (an agent no longer configured is not resumed).
dn_resumed resume(const config& cfg, const saved_states& saved, const dn_config& dn) {
  auto it = saved.find(dn.number);
  if (it == saved.end())
    return {initial_dn_state(dn.number, dn.type, now_us())};
  const auto& agent_id = it->second.agent().agent_id();
  bool logged_in = it->second.agent().state() != v1::AGENT_LOGGED_OUT;
  return resume_dn_state(it->second, dn.number, dn.type, !logged_in || cfg.find_agent(agent_id),
                         now_us());
}

// A DN's state: its entries of the AgentID index and the query cache.
void note_state(registry_state& s, const v1::DnState& st) {
  dn_reports_agent(s.agents, st.dn(), st.agent().agent_id(),
                   st.agent().state() != v1::AGENT_LOGGED_OUT);
  s.cache[st.dn()] = st;
  if (!s.saved_read)
    s.heard.insert(st.dn());
}

// Every DN's state as the member starts: saved, unless heard of since.
void on_states_saved(registry_pointer self, const saved_states& saved) {
  auto& s = self->state;
  for (auto& dn : s.cfg->dns)
    if (!s.heard.count(dn.number))
      note_state(s, resume(*s.cfg, saved, dn).st);
  s.heard.clear();
  s.saved_read = true;
}

// One actor per DN of the shards gained, and one per resource list with its
// DNs' actors as members (those DNs do not subscribe on their own), each DN
// going on from its saved state (the followed one if the bucket could not
// be read): agents stay logged in as they were, with no event.
void take_shards(registry_pointer self, const std::set<uint32_t>& gained,
                 const saved_states* saved) {
  auto& s = self->state;
  const auto* cfg = s.cfg;
  std::unordered_map<std::string, const resource_list_config*> list_of;
  for (auto& l : cfg->resource_lists)
    for (auto& dn : l.dns)
      list_of[dn] = &l;
  std::unordered_map<const resource_list_config*, list_members> members;
  saved_states followed;
  if (!saved)
    followed.insert(s.cache.begin(), s.cache.end());
  const auto& from = saved ? *saved : followed;
  int resumed = 0;
  for (auto& dn : cfg->dns) {
    auto shard = presence_shard_of(s.shards, dn.number);
    if (!gained.count(shard))
      continue;
    auto start = resume(*cfg, from, dn);
    auto was = from.find(dn.number);
    if (start.st.agent().state() != v1::AGENT_LOGGED_OUT) {
      ++resumed;
      spdlog::info("DN {}: AgentID {} resumed, {}", dn.number, start.st.agent().agent_id(),
                   v1::AgentState_Name(start.st.agent().state()));
    } else if (was != from.end() && was->second.agent().state() != v1::AGENT_LOGGED_OUT) {
      spdlog::warn("DN {}: saved session of AgentID {} not resumed: the agent is not configured",
                   dn.number, was->second.agent().agent_id());
    }
    note_state(s, start.st);
    auto lit = list_of.find(dn.number);
    bool in_list = lit != list_of.end();
    auto a = self->spawn<caf::linked>(dn_behavior, &dn, cfg, s.edges, s.nats, s.owner, shard,
                                      registry_actor{self}, s.pacer, !in_list, std::move(start));
    s.dns[dn.number] = a;
    if (in_list)
      members[lit->second].emplace_back(&dn, a);
  }
  spdlog::info("{} agent sessions resumed from the saved DN states", resumed);
  for (auto& l : cfg->resource_lists) {
    auto shard = list_shard_of(s.shards, l.name);
    if (gained.count(shard))
      s.lists["@" + l.name] = self->spawn<caf::linked>(list_behavior, &l, cfg, s.edges, s.nats,
                                                       s.owner, shard, s.pacer, members[&l]);
  }
}

// The actors of shards no longer held end, un-SUBSCRIBEing and telling
// nobody (end_quietly_on_exit); unlinked first, as their end is no failure.
template <class Actors, class ShardOf>
void let_go(registry_pointer self, Actors& actors, ShardOf shard_of) {
  for (auto it = actors.begin(); it != actors.end();) {
    if (self->state.held.count(shard_of(it->first))) {
      ++it;
      continue;
    }
    self->unlink_from(it->second);
    self->send_exit(it->second, caf::exit_reason::user_shutdown);
    it = actors.erase(it);
  }
}

// Shards lost are let go; shards gained from a dead member: the edge ends
// what it subscribed for them (ForgetOwnerCmd, before our SUBSCRIBEs on the
// same connection), then their DNs are resumed and subscribed.
void on_shards_changed(registry_pointer self, const shards_changed& c) {
  auto& s = self->state;
  for (auto shard : c.change.lost)
    s.held.erase(shard);
  let_go(self, s.lists,
         [&](const std::string& key) { return list_shard_of(s.shards, key.substr(1)); });
  let_go(self, s.dns, [&](const std::string& dn) { return presence_shard_of(s.shards, dn); });
  forget_former_holders(*s.nats, s.edges->live(), c.change.previous);
  s.held.insert(c.change.gained.begin(), c.change.gained.end());
  take_shards(self, c.change.gained, c.saved.get());
  process_counters().set(counter_id::actors, "dn", static_cast<int64_t>(s.dns.size()));
  process_counters().set(counter_id::actors, "resource_list",
                         static_cast<int64_t>(s.lists.size()));
}

// A list's key is "@<name>", a DN's its number.
void on_sub_event(registry_pointer self, const bus_msg& m) {
  auto& s = self->state;
  v1::SubEvent ev;
  if (!decode_bus(m.subject, m.data, ev, "sub_event"))
    return;
  if (!ev.key().empty() && ev.key()[0] == '@') {
    if (auto it = s.lists.find(ev.key()); it != s.lists.end())
      self->send(it->second, sub_event_arrived{ev});
  } else if (auto it = s.dns.find(ev.key()); it != s.dns.end()) {
    self->send(it->second, sub_event_arrived{ev});
  }
}

// Edge `g.edge` restarted (its ready announcement) or died (its heartbeat
// stopped): the subscriptions it held are made again, on a live edge.
void to_every_owner(registry_pointer self, const edge_gone& g) {
  auto& s = self->state;
  for (auto& [key, a] : s.dns)
    self->send(a, g);
  for (auto& [key, a] : s.lists)
    self->send(a, g);
}

void on_edge_ready(registry_pointer self, const bus_msg& m) {
  auto& s = self->state;
  auto edge = edges::ready_instance(m.subject);
  if (!s.edges->holds_work(edge))
    return;  // not an edge (another service), or one that holds nothing yet
  spdlog::info("edge {} is up: renewing its subscriptions", edge);
  to_every_owner(self, edge_gone{edge});
}

void on_registration(registry_pointer self, const bus_msg& m) {
  auto& s = self->state;
  v1::Registration r;
  if (!decode_bus(m.subject, m.data, r, "reg") || !holds(s, r.dn()))
    return;
  auto* dn = s.cfg->find_dn(r.dn());
  auto it = s.dns.find(r.dn());
  if (!dn || !dn->registers_on_sipcc() || it == s.dns.end()) {
    spdlog::warn("bus: Registration for DN '{}', which does not register on sipcc, ignored",
                 r.dn());
    return;
  }
  self->send(it->second, binding_update{r.contact(), r.expires_s(), r.edge_id()});
}

void on_dn_calls(registry_pointer self, const bus_msg& m) {
  v1::DnCallFact f;
  if (!decode_bus(m.subject, m.data, f, "dn_calls"))
    return;
  auto it = self->state.dns.find(f.dn());
  if (it != self->state.dns.end())
    self->send(it->second, dn_call_fact{f});
}

// Another member's DN changed (its holder publishes every change); this
// member's own DNs report to it directly, and an older word of their former
// holder must not overwrite that.
void on_state_dn(registry_pointer self, const bus_msg& m) {
  auto& s = self->state;
  v1::DnState st;
  if (!decode_bus(m.subject, m.data, st, "state_dn") || !s.cfg->find_dn(st.dn()) ||
      holds(s, st.dn()))
    return;
  note_state(s, st);
}

// Asks callctl which of the ConnIDs this member's DNs are marked with are no
// call: a callctl killed with calls up cannot say their end, and a mark left
// behind keeps its agent unroutable for good.
void on_call_audit(registry_pointer self) {
  auto& s = self->state;
  std::set<std::string> marked;
  for (auto& [dn, a] : s.dns) {
    const auto& st = s.cache[dn];
    marked.insert(st.sipcc_calls().begin(), st.sipcc_calls().end());
  }
  if (!marked.empty()) {
    v1::CallCheck q;
    q.set_schema(v1::SCHEMA_V1);
    for (auto& c : marked)
      q.add_conn_ids(c);
    s.nats->publish(subj::calls_check, q, subj::calls_checked(s.owner));
  }
  self->delayed_send(self, std::chrono::milliseconds(s.cfg->call_audit_interval_ms),
                     call_audit_tick{});
}

// callctl's answer: the marks of calls it does not know end as calls do
// (never answered here, so no after-call work).
void on_calls_checked(registry_pointer self, const bus_msg& m) {
  auto& s = self->state;
  v1::CallCheckReply r;
  if (!decode_bus(m.subject, m.data, r, "calls_checked") || r.unknown().empty())
    return;
  std::set<std::string> gone(r.unknown().begin(), r.unknown().end());
  for (auto& [dn, a] : s.dns)
    for (auto& c : s.cache[dn].sipcc_calls()) {
      if (!gone.count(c))
        continue;
      spdlog::warn("DN {}: ConnID {} is no call at {}: its mark is cleared", dn, c, r.instance());
      process_counters().add(counter_id::audit_fixes, "stale_call_mark");
      v1::DnCallFact f;
      f.set_schema(v1::SCHEMA_V1);
      f.set_dn(dn);
      f.set_conn_id(c);
      self->send(a, dn_call_fact{f, true});
    }
}

void on_bus(registry_pointer self, const bus_msg& m) {
  auto* info = classify_subject(m.subject);
  switch (info ? info->family : subject_family::unknown) {
    case subject_family::sub_event: return on_sub_event(self, m);
    case subject_family::tlib_req: return on_request(self, m);
    case subject_family::state_query: return on_query(self, m);
    case subject_family::state_dn: return on_state_dn(self, m);
    case subject_family::ops_ready: return on_edge_ready(self, m);
    case subject_family::reg: return on_registration(self, m);
    case subject_family::dn_calls: return on_dn_calls(self, m);
    case subject_family::calls_checked: return on_calls_checked(self, m);
    default: spdlog::debug("bus: unexpected subject {}", m.subject);
  }
}

// No DN is owned until the lease keeper reports shards held.
registry_actor::behavior_type registry_behavior(registry_pointer self, const config* cfg,
                                                const edge_directory* edges, kv_bucket* logins,
                                                bus* nats, std::string owner) {
  auto& s = self->state;
  s.cfg = cfg;
  s.edges = edges;
  s.logins = logins;
  s.nats = nats;
  s.owner = std::move(owner);
  s.shards = make_presence_shards(*cfg);
  // Held here: an actor nobody references ends as "unreachable", and the
  // link would take the registry with it.
  s.pacer = spawn_pacer(self, cfg->subscribe_rate);
  self->delayed_send(self, std::chrono::milliseconds(cfg->call_audit_interval_ms),
                     call_audit_tick{});
  return {
      [=](const bus_msg& m) { on_bus(self, m); },
      [=](const dn_state_report& r) { note_state(self->state, r.st); },
      [=](call_audit_tick) { on_call_audit(self); },
      [=](const states_saved& m) { on_states_saved(self, *m.saved); },
      [=](const shards_changed& c) { on_shards_changed(self, c); },
      [=](const edge_gone& g) {
        spdlog::info("edge {} is gone: moving its subscriptions", g.edge);
        to_every_owner(self, g);
      },
  };
}

// Every DN state saved in the bucket, by DN; an undecodable entry is
// skipped (that DN starts fresh).
std::shared_ptr<const saved_states> load_saved_states(bus& nats) {
  auto out = std::make_shared<saved_states>();
  for (auto& [dn, bytes] : kv_load_all(nats, subj::dn_state_bucket, std::chrono::seconds(10))) {
    v1::DnState st;
    if (st.ParseFromString(bytes))
      out->emplace(dn, std::move(st));
    else
      spdlog::warn("DN {}: saved state undecodable ({} bytes): starting it fresh", dn,
                   bytes.size());
  }
  return out;
}

}  // namespace

struct presence_service::impl {
  service_context& ctx;
  std::unique_ptr<edge_directory> edges;
  std::unique_ptr<kv_bucket> logins;
  std::unique_ptr<actor_host> host;
  std::unique_ptr<lease_keeper> leases;
  explicit impl(service_context& c) : ctx(c) {}
};

presence_service::presence_service(service_context& ctx) : impl_(std::make_unique<impl>(ctx)) {}

presence_service::~presence_service() { stop(); }

std::string presence_service::start() {
  auto& ctx = impl_->ctx;
  auto* nats = ctx.nats.get();
  impl_->edges = std::make_unique<edge_directory>(*nats, ctx.cfg.edge_id);
  // Before the first SUBSCRIBE: a killed former incarnation cannot end its own.
  forget_owner_subscriptions(*nats, impl_->edges->live(), ctx.instance);
  impl_->host = std::make_unique<actor_host>();
  // A login waits for its claim: not the NATS default of 5 s when
  // JetStream is slow or gone (the login is refused, the agent tries again).
  impl_->logins = std::make_unique<kv_bucket>(*nats, subj::lease_bucket,
                                              std::chrono::milliseconds(1000));
  auto registry = impl_->host->system().spawn(registry_behavior, &ctx.cfg, impl_->edges.get(),
                                              impl_->logins.get(), nats, ctx.instance);
  impl_->host->set_root(registry);
  impl_->edges->on_change([registry](const edges::change& c) {
    for (const auto& e : c.gone)
      caf::anon_send(registry, edge_gone{e});
  });
  // callctl's DnCallFacts come by shard: subscribed with the shard's lease.
  std::vector<std::string> subjects = {subj::sub_events_of(ctx.instance),
                                       subj::tlib_req_family("agent"), subj::state_query,
                                       subj::state_dn_all, subj::ops_ready_all,
                                       subj::reg_all, subj::calls_checked(ctx.instance)};
  auto listed = impl_->host->bridge(*nats, subjects);
  // Read once the bridge is up, so no state published meanwhile is missed.
  caf::anon_send(registry, states_saved{load_saved_states(*nats)});
  auto* me = impl_.get();
  impl_->leases = std::make_unique<lease_keeper>(
      *nats, ctx.service,
      leases::lease_params{ctx.instance, ctx.cfg.presence_shards, ctx.cfg.presence_lease_ttl_ms},
      [me, nats, registry](const lease_change& c) {
        // A gained shard's facts are heard from now on (before its DNs are
        // resumed; one that comes first finds no DN, as with no member).
        for (auto shard : c.lost)
          nats->unsubscribe(subj::dn_calls_of(shard));
        for (auto shard : c.gained)
          me->host->bridge(*nats, {subj::dn_calls_of(shard)});
        // Read after the leases were won: what the former holder saved last is in.
        std::shared_ptr<const saved_states> saved;
        if (!c.gained.empty()) {
          try {
            saved = load_saved_states(*nats);
          } catch (const std::exception& e) {
            spdlog::error("presence: saved DN states unreadable ({}): the gained DNs go on "
                          "from the states followed on the bus",
                          e.what());
          }
        }
        caf::anon_send(registry, shards_changed{c, std::move(saved)});
      });
  // Ready means answering: wait for the first shards (a fresh member gets its
  // share at its first tick; a restarted one once its former leases expire).
  if (!impl_->leases->wait_held(
          std::chrono::milliseconds(2 * ctx.cfg.presence_lease_ttl_ms + 1000)))
    spdlog::warn("presence: {} holds no shard yet; it announces itself all the same",
                 ctx.instance);
  return "bus " + listed + ", sipcc.dn.calls.<shard>.* of each shard held; leases " +
         subj::lease_bucket;
}

void presence_service::stop() {
  // Released before the DNs un-SUBSCRIBE as they stop: another member takes
  // the shards over at once (a moment of both holding a dialog).
  impl_->leases.reset();
  if (impl_->edges)
    impl_->edges->on_change({});
  if (impl_->host)
    impl_->host->shutdown();
}

}  // namespace sipcc::presence
