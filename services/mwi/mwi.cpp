#include "mwi.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "sipcc/actor_host.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/dn_states_fetch.hpp"
#include "sipcc/edge_directory.hpp"
#include "sipcc/lease_keeper.hpp"
#include "sipcc/lease_messages.hpp"
#include "sipcc/mwi.hpp"
#include "sipcc/presence_body.hpp"
#include "sipcc/subscriber.hpp"

namespace sipcc {

// For the mailbox_targets message below (sipcc/mwi.hpp keeps CAF out).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, mwi_target& x) {
  return f(caf::meta::type_name("mwi_target"), x.key, x.mailbox_id, x.mailbox, x.object, x.dn);
}

}  // namespace sipcc

namespace sipcc::mwi {

namespace {

// ---- messages ---------------------------------------------------------------

// To a mailbox: the subscriptions it must hold now.
struct mailbox_targets {
  std::vector<mwi_target> targets;
};
// To a mailbox: a desktop registered on DN `dn` (TRegisterAddress).
struct desktop_registered {
  std::string dn;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, mailbox_targets& x) {
  return f(caf::meta::type_name("mailbox_targets"), x.targets);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, desktop_registered& x) {
  return f(caf::meta::type_name("desktop_registered"), x.dn);
}

using mailbox_actor = subscription_owner::extend<
    caf::reacts_to<edge_gone>, caf::reacts_to<mailbox_targets>,
    caf::reacts_to<desktop_registered>>;
using registry_actor = caf::typed_actor<caf::reacts_to<bus_msg>, caf::reacts_to<dn_states_snapshot>,
                                        caf::reacts_to<lease_change>, caf::reacts_to<edge_gone>>;

// ---- one mailbox -------------------------------------------------------------

// One subscription of the mailbox and what its desktops were last told.
struct watch {
  mwi_target target;
  std::unique_ptr<subscriber> sub;
  std::optional<message_summary> told;
};

struct mailbox_state {
  std::string id;
  std::string owner;  // this process's member name
  uint32_t shard = 0;
  const config* cfg = nullptr;
  const edge_directory* edges = nullptr;
  bus* nats = nullptr;
  pacer_actor pacer;
  std::map<std::string, watch> watches;  // by subscription key
  static inline const char* name = "mailbox";
};

using mailbox_pointer = mailbox_actor::stateful_pointer<mailbox_state>;

void tell(mailbox_pointer self, const watch& w) {
  v1::TEvent ev;
  ev.set_schema(v1::SCHEMA_V1);
  ev.set_type(v1::EventUserEvent);
  ev.set_this_dn(w.target.dn);
  *ev.mutable_user_data() = gsipmwi_user_data(w.target.mailbox, *w.told);
  ev.set_timestamp_us(now_us());
  self->state.nats->publish(subj::tlib_evt(w.target.dn), ev);
  process_counters().add(counter_id::tlib_events, "EventUserEvent");
  auto voice = w.told->voice.value_or(message_counts{});
  spdlog::info("DN {}: EventUserEvent mailbox {} waiting {} {}/{}", w.target.dn,
               w.target.mailbox, w.told->waiting ? "yes" : "no", voice.new_msgs, voice.old_msgs);
}

void on_notify(mailbox_pointer self, const std::string& key, const v1::SubNotify& n) {
  auto it = self->state.watches.find(key);
  if (it == self->state.watches.end())
    return;
  auto& w = it->second;
  auto parsed = parse_message_summary(n.content_type(), n.body());
  if (!parsed) {
    process_counters().add(counter_id::notify_bad_body, body_type_label(n.content_type()));
    spdlog::warn("mailbox {}: NOTIFY body ignored: {}", w.target.mailbox, parsed.error);
    return;
  }
  // A refresh repeats the counts: the desktops hear only of changes.
  if (w.told && *w.told == *parsed.value)
    return;
  w.told = std::move(parsed.value);
  tell(self, w);
}

subscription_spec spec_for(const mailbox_state& s, const mwi_target& t) {
  subscription_spec sp;
  sp.owner = s.owner;
  sp.shard = s.shard;
  sp.edge_id = s.cfg->edge_id;
  sp.edges = s.edges;
  sp.key = t.key;
  sp.target_uri = "sip:" + t.object + "@" + s.cfg->asterisk.str();
  sp.event = "message-summary";
  sp.accept = "application/simple-message-summary";
  sp.expires = s.cfg->mwi.subscribe_expires;
  sp.contact_params = t.contact_params();
  return sp;
}

// Starts the subscriptions it should hold and ends the others.
void reconcile(mailbox_pointer self, const std::vector<mwi_target>& targets) {
  auto& s = self->state;
  std::set<std::string> wanted;
  for (const auto& t : targets)
    wanted.insert(t.key);
  for (auto it = s.watches.begin(); it != s.watches.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    spdlog::info("mailbox {}: subscription {} ends", s.id, it->first);
    it->second.sub->stop();
    it = s.watches.erase(it);
  }
  for (const auto& t : targets) {
    if (s.watches.count(t.key))
      continue;
    spdlog::info("mailbox {}: subscribing to {} for DN {}", t.mailbox, t.object, t.dn);
    auto& w = s.watches[t.key];
    w.target = t;
    std::string key = t.key;
    w.sub = std::make_unique<subscriber>(
        self, s.nats, s.pacer, spec_for(s, t),
        subscription_settings(s.cfg->mwi.retry_s, s.cfg->mwi.backoff_max_s, s.cfg->sip_t1x64_ms,
                              s.cfg->mwi.first_notify_timeout_ms),
        subscriber::hooks{[self, key](const v1::SubNotify& n) { on_notify(self, key, n); },
                          [](bool) {}, {}});
    w.sub->start();
  }
}

mailbox_actor::behavior_type mailbox_behavior(mailbox_pointer self, std::string id,
                                              std::string owner, const config* cfg,
                                              const edge_directory* edges, bus* nats,
                                              pacer_actor pacer) {
  auto& s = self->state;
  s.id = std::move(id);
  s.owner = std::move(owner);
  s.shard = leases::shard_of(s.id, cfg->mwi.shards);
  s.cfg = cfg;
  s.edges = edges;
  s.nats = nats;
  s.pacer = std::move(pacer);
  // Shutting down: un-SUBSCRIBE everything (Extension mailboxes are
  // deactivated when sipcc stops, as the reference says).
  self->set_exit_handler([self](caf::exit_msg& m) {
    for (auto& [key, w] : self->state.watches)
      w.sub->stop();
    self->state.watches.clear();
    self->quit(m.reason);
  });
  return subscriber_behavior<mailbox_actor::behavior_type>(
      [self](const std::string& key) -> subscriber* {
        auto it = self->state.watches.find(key);
        return it == self->state.watches.end() ? nullptr : it->second.sub.get();
      },
      [=](const mailbox_targets& m) { reconcile(self, m.targets); },
      // A desktop registered on the DN: it gets the current state at once.
      [=](const desktop_registered& r) {
        for (auto& [key, w] : self->state.watches)
          if (w.target.dn == r.dn && w.told)
            tell(self, w);
      },
      [=](const edge_gone& g) {
        for (auto& [key, w] : self->state.watches)
          w.sub->edge_gone(g.edge);
      });
}

// ---- registry ------------------------------------------------------------------

struct registry_state {
  std::string self;  // this process's member name
  const config* cfg = nullptr;
  const edge_directory* edges = nullptr;
  bus* nats = nullptr;
  std::set<uint32_t> shards;  // those whose leases this member holds
  pacer_actor pacer;
  std::map<std::string, std::string> agent_dn;  // logged-in AgentID -> DN
  std::set<std::string> published;              // DNs whose state came from the bus
  std::map<std::string, mailbox_actor> mailboxes;  // by mailbox id
  std::map<std::string, std::vector<mwi_target>> sent;  // what each mailbox was told
  std::map<std::string, std::set<std::string>> by_dn;   // DN -> mailbox ids serving it
  static inline const char* name = "mwi-registry";
};

using registry_pointer = registry_actor::stateful_pointer<registry_state>;

// Brings every mailbox in line with the subscriptions the scope asks for
// now, in the shards this member holds; the others' subscriptions end.
void reconcile(registry_pointer self) {
  auto& s = self->state;
  std::map<std::string, std::vector<mwi_target>> by_mailbox;
  s.by_dn.clear();
  for (auto& t : mwi_targets(*s.cfg, s.agent_dn)) {
    if (!s.shards.count(leases::shard_of(t.mailbox_id, s.cfg->mwi.shards)))
      continue;
    s.by_dn[t.dn].insert(t.mailbox_id);
    by_mailbox[t.mailbox_id].push_back(std::move(t));
  }
  for (auto& [id, old] : s.sent)
    if (!by_mailbox.count(id) && !old.empty())
      by_mailbox[id];  // none any more
  for (auto& [id, targets] : by_mailbox) {
    if (s.sent[id] == targets)
      continue;
    auto& a = s.mailboxes[id];
    if (!a)
      a = self->spawn<caf::linked>(mailbox_behavior, id, s.self, s.cfg, s.edges, s.nats, s.pacer);
    self->send(a, mailbox_targets{targets});
    s.sent[id] = targets;
  }
  process_counters().set(counter_id::actors, "mailbox", static_cast<int64_t>(s.mailboxes.size()));
}

// Takes the agent logged in on the DN from its state; true if that changed.
bool apply_dn_state(registry_state& s, const v1::DnState& st) {
  bool logged_in = !st.agent().agent_id().empty() && st.agent().state() != v1::AGENT_LOGGED_OUT;
  bool changed = false;
  for (auto it = s.agent_dn.begin(); it != s.agent_dn.end();) {
    if (it->second == st.dn() && (!logged_in || it->first != st.agent().agent_id())) {
      it = s.agent_dn.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  if (logged_in) {
    auto& dn = s.agent_dn[st.agent().agent_id()];
    changed = changed || dn != st.dn();
    dn = st.dn();
  }
  return changed;
}

// The mailbox id is the key up to '@' (the DN of a per-DN subscription).
void on_sub_event(registry_pointer self, const bus_msg& m) {
  v1::SubEvent ev;
  if (!decode_bus(m.subject, m.data, ev, "sub_event"))
    return;
  auto& boxes = self->state.mailboxes;
  auto it = boxes.find(ev.key().substr(0, ev.key().find('@')));
  if (it != boxes.end())
    self->send(it->second, sub_event_arrived{ev});
}

void on_dn_state(registry_pointer self, const bus_msg& m) {
  v1::DnState st;
  if (!decode_bus(m.subject, m.data, st, "state_dn"))
    return;
  self->state.published.insert(st.dn());
  if (apply_dn_state(self->state, st))
    reconcile(self);
}

// TRegisterAddress is presence's request; mwi only listens in.
void on_request(registry_pointer self, const bus_msg& m) {
  auto& s = self->state;
  v1::TRequest req;
  if (!decode_bus(m.subject, m.data, req, "tlib_req") || req.type() != v1::TRegisterAddress)
    return;
  auto dn = req.this_dn().empty() ? m.subject.substr(m.subject.rfind('.') + 1) : req.this_dn();
  auto it = s.by_dn.find(dn);
  if (it != s.by_dn.end())
    for (auto& id : it->second)
      self->send(s.mailboxes[id], desktop_registered{dn});
}

// Edge `g.edge` restarted or died: the subscriptions it held are made
// again, on a live edge.
void to_every_mailbox(registry_pointer self, const edge_gone& g) {
  for (auto& [id, a] : self->state.mailboxes)
    self->send(a, g);
}

void on_bus(registry_pointer self, const bus_msg& m) {
  auto& s = self->state;
  auto* info = classify_subject(m.subject);
  switch (info ? info->family : subject_family::unknown) {
    case subject_family::sub_event: return on_sub_event(self, m);
    case subject_family::state_dn: return on_dn_state(self, m);
    case subject_family::tlib_req: return on_request(self, m);
    case subject_family::ops_ready: {
      auto edge = edges::ready_instance(m.subject);
      if (!s.edges->holds_work(edge))
        return;  // not an edge (another service), or one that holds nothing yet
      spdlog::info("edge {} is up: renewing its mailbox subscriptions", edge);
      return to_every_mailbox(self, edge_gone{edge});
    }
    default:
      spdlog::debug("bus: unexpected subject {}", m.subject);
  }
}

// Shards gained from a dead member: the edge ends what it subscribed for
// them (ForgetOwnerCmd, before our SUBSCRIBEs on the same connection), then
// they are subscribed; shards lost are un-SUBSCRIBEd.
void on_lease_change(registry_pointer self, const lease_change& c) {
  auto& s = self->state;
  forget_former_holders(*s.nats, s.edges->live(), c.previous);
  for (auto shard : c.gained)
    s.shards.insert(shard);
  for (auto shard : c.lost)
    s.shards.erase(shard);
  reconcile(self);
}

registry_actor::behavior_type registry_behavior(registry_pointer self, std::string member,
                                                const config* cfg, const edge_directory* edges,
                                                bus* nats) {
  auto& s = self->state;
  s.self = std::move(member);
  s.cfg = cfg;
  s.edges = edges;
  s.nats = nats;
  // Held here: an actor nobody references ends as "unreachable", and the
  // link would take the registry with it.
  s.pacer = spawn_pacer(self, cfg->mwi.subscribe_rate);
  // The mailboxes of the shards held, as their leases come; agents' as their
  // logins become known.
  return {
      [=](const bus_msg& m) { on_bus(self, m); },
      // Who was logged in when mwi started, once presence answers (a state
      // published since wins).
      [=](const dn_states_snapshot& snap) {
        auto& s = self->state;
        for (const auto& st : snap.reply.dns())
          if (!s.published.count(st.dn()))
            apply_dn_state(s, st);
        reconcile(self);
      },
      [=](const lease_change& c) { on_lease_change(self, c); },
      [=](const edge_gone& g) {
        spdlog::info("edge {} is gone: moving its mailbox subscriptions", g.edge);
        to_every_mailbox(self, g);
      },
  };
}

}  // namespace

struct mwi_service::impl {
  service_context& ctx;
  std::unique_ptr<edge_directory> edges;
  std::unique_ptr<actor_host> host;
  std::unique_ptr<dn_states_fetch> fetch;
  std::unique_ptr<lease_keeper> leases;
  explicit impl(service_context& c) : ctx(c) {}
};

mwi_service::mwi_service(service_context& ctx) : impl_(std::make_unique<impl>(ctx)) {}

mwi_service::~mwi_service() { stop(); }

std::string mwi_service::start() {
  auto& ctx = impl_->ctx;
  impl_->edges = std::make_unique<edge_directory>(*ctx.nats, ctx.cfg.edge_id);
  // Before the first SUBSCRIBE: a killed former incarnation cannot end its own.
  forget_owner_subscriptions(*ctx.nats, impl_->edges->live(), ctx.instance);
  impl_->host = std::make_unique<actor_host>();
  auto registry = impl_->host->system().spawn(registry_behavior, ctx.instance, &ctx.cfg,
                                              impl_->edges.get(), ctx.nats.get());
  impl_->host->set_root(registry);
  impl_->edges->on_change([registry](const edges::change& c) {
    for (const auto& e : c.gone)
      caf::anon_send(registry, edge_gone{e});
  });
  // Subscribed before the snapshot is asked for, so no login falls between
  // the two. TRegisterAddress is presence's request; mwi only listens in.
  std::vector<std::string> subjects = {subj::sub_events_of(ctx.instance), subj::state_dn_all,
                                       subj::tlib_req_family("agent"),
                                       subj::ops_ready_all};
  auto listed = impl_->host->bridge(*ctx.nats, subjects);
  impl_->fetch = std::make_unique<dn_states_fetch>(
      *ctx.nats, caf::actor_cast<caf::actor>(registry), "mwi");
  impl_->leases = std::make_unique<lease_keeper>(
      *ctx.nats, ctx.service,
      leases::lease_params{ctx.instance, ctx.cfg.mwi.shards, ctx.cfg.mwi.lease_ttl_ms},
      [registry](const lease_change& c) { caf::anon_send(registry, c); });
  return "bus " + listed + "; leases " + subj::lease_bucket;
}

void mwi_service::stop() {
  impl_->fetch.reset();
  // Released before the mailboxes un-SUBSCRIBE as they stop: another member
  // takes the shards over at once (a moment of both holding a dialog).
  impl_->leases.reset();
  if (impl_->edges)
    impl_->edges->on_change({});
  if (impl_->host)
    impl_->host->shutdown();
}

}  // namespace sipcc::mwi
