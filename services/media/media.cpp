#include "media.hpp"

#include <chrono>
#include <random>
#include <vector>

#include <caf/all.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "media/model/select.hpp"
#include "sipcc/actor_host.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/edge_directory.hpp"
#include "sipcc/lease_keeper.hpp"
#include "sipcc/lease_messages.hpp"
#include "sipcc/v1/media.pb.h"
#include "sipcc/v1/ops.pb.h"

namespace sipcc::media {

namespace {

// The media service's own: time to probe every server.
struct probe_tick {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, probe_tick&) {
  return f(caf::meta::type_name("probe_tick"));
}

using media_actor = caf::typed_actor<caf::reacts_to<bus_msg>, caf::reacts_to<probe_tick>,
                                     caf::reacts_to<lease_change>>;

struct media_state {
  bus* nats = nullptr;
  const config* cfg = nullptr;
  const edge_directory* edges = nullptr;  // probes go through a live edge
  std::string instance;
  // Holds the lease: answers and probes. A standby books what the active one
  // answers (selection is a function of the book and the health) and follows
  // its health events, so it takes over with the same state.
  bool active = false;
  // Per process, so instances that share a configured name (and so the
  // result subject) tell their probes apart.
  std::string probe_prefix;
  uint64_t probes_sent = 0;
  std::vector<server_health> health;
  std::vector<std::string> probe_of;  // per server: the probe awaiting its result, or empty
  media_book book;
  static inline const char* name = "media";

  pool_view view() const {
    pool_view v{cfg->media.servers, health, book};
    if (!cfg->media.recordings_dir.empty())
      v.size_of = [dir = cfg->media.recordings_dir](const std::string& file) {
        return recording_size(dir, file);
      };
    return v;
  }
};

using media_pointer = media_actor::stateful_pointer<media_state>;

// The subject's last token: the owner of a leg report or list.
std::string last_token(const std::string& subject) {
  return subject.substr(subject.rfind('.') + 1);
}

void publish_health(media_pointer self, size_t i, v1::MediaHealthState previous,
                    const std::string& reason) {
  auto& s = self->state;
  const auto& server = s.cfg->media.servers[i];
  v1::MediaHealth h;
  h.set_schema(v1::SCHEMA_V1);
  h.set_server(server.name);
  h.set_address(server.address.str());
  h.set_state(s.health[i].state);
  h.set_previous(previous);
  h.set_reason(reason);
  h.set_instance(s.instance);
  h.set_time_us(now_us());
  if (h.state() == v1::MEDIA_OUT_OF_SERVICE)
    s.book.lost_with(h);
  s.nats->publish(subj::media_health(server.name), h);
  if (h.state() == v1::MEDIA_OUT_OF_SERVICE)
    spdlog::warn("media server {} ({}) out of service: {} ({} conferences, {} recordings lost)",
                 server.name, h.address(), reason, h.conferences_size(), h.recordings_size());
  else
    spdlog::info("media server {} ({}) {}: {}", server.name, h.address(),
                 health_name(h.state()), reason);
}

void on_outcome(media_pointer self, size_t i, const probe_outcome& p) {
  auto& s = self->state;
  const health_thresholds t{s.cfg->media.out_after, s.cfg->media.back_after};
  const auto previous = s.health[i].state;
  auto r = health_step(s.health[i], p, t);
  s.health[i] = r.next;
  if (r.changed)
    publish_health(self, i, previous, r.reason);
}

// Each server gets one OPTIONS per interval, through the configured edge;
// a probe still without its result counts as failed (the edge is gone, or
// lost it).
void probe_all(media_pointer self) {
  auto& s = self->state;
  if (!s.active)
    return;
  const auto& servers = s.cfg->media.servers;
  for (size_t i = 0; i < servers.size(); ++i) {
    if (!s.probe_of[i].empty())
      on_outcome(self, i, probe_outcome{});
    v1::OptionsProbe p;
    p.set_schema(v1::SCHEMA_V1);
    p.set_probe_id(fmt::format("{}-{}", s.probe_prefix, ++s.probes_sent));
    p.set_owner(s.instance);
    p.set_target_uri("sip:" + servers[i].address.str());
    p.set_timeout_ms(s.cfg->media.options_timeout_ms);
    s.probe_of[i] = p.probe_id();
    s.nats->publish(subj::edge_options(s.edges->pick(servers[i].address.str())), p);
  }
  s.book.expire(now_us());
}

void on_probe_result(media_pointer self, const v1::OptionsResult& r) {
  auto& s = self->state;
  for (size_t i = 0; i < s.probe_of.size(); ++i) {
    if (s.probe_of[i] != r.probe_id())
      continue;
    s.probe_of[i].clear();
    on_outcome(self, i, probe_outcome{r.status(), r.phrase(), r.timed_out()});
    return;
  }
  spdlog::debug("media: OPTIONS result {} is for no probe of ours (late, or another "
                "instance's)",
                r.probe_id());
}

void on_request(media_pointer self, const bus_msg& m) {
  auto& s = self->state;
  v1::MediaRequest req;
  if (!decode_bus(m.subject, m.data, req, "media_req"))
    return;
  const int64_t now = now_us();
  s.book.expire(now);
  v1::MediaReply reply = select_media(s.view(), req);
  reply.set_instance(s.instance);
  reply.set_conn_id(req.conn_id());
  reply.set_leg_id(req.leg_id());
  if (reply.refusal() == v1::MEDIA_OK)
    s.book.hold(placed_leg(req, reply), now + int64_t{s.cfg->media.pending_ms} * 1000);
  if (!s.active)
    return;
  if (reply.refusal() == v1::MEDIA_OK) {
    process_counters().add(counter_id::media_placed, v1::MediaKind_Name(req.kind()));
    spdlog::debug("media: ConnID {} leg {} -> {} ({})", req.conn_id(), req.leg_id(),
                  reply.server(), reply.uri());
  } else {
    process_counters().add(counter_id::media_refused, v1::MediaRefusal_Name(reply.refusal()));
    spdlog::info("media: ConnID {} leg {} refused: {}", req.conn_id(), req.leg_id(),
                 reply.reason());
  }
  if (!m.reply.empty())
    s.nats->publish(m.reply, reply);
}

void on_leg(media_pointer self, const bus_msg& m) {
  v1::MediaLegEvent ev;
  if (!decode_bus(m.subject, m.data, ev, "media_leg"))
    return;
  auto& book = self->state.book;
  const std::string owner = ev.owner().empty() ? last_token(m.subject) : ev.owner();
  if (ev.has_started())
    book.started(owner, ev.started(), now_us());
  else if (ev.has_ended())
    book.ended(ev.ended().leg_id(), ev.ended().ended_us() ? ev.ended().ended_us() : now_us());
}

void on_list(media_pointer self, const bus_msg& m) {
  v1::MediaLegList list;
  if (!decode_bus(m.subject, m.data, list, "media_list"))
    return;
  const std::string owner = list.owner().empty() ? last_token(m.subject) : list.owner();
  const std::vector<v1::MediaLeg> legs(list.legs().begin(), list.legs().end());
  const size_t gone = self->state.book.replace_owner(owner, legs, now_us());
  spdlog::info("media: {} holds {} media legs ({} known before ended meanwhile)", owner,
               legs.size(), gone);
}

// The active instance's health change, followed by a standby (its own are
// already applied). Counts of probes in a row start again: the next active
// probes from this state.
void on_health(media_pointer self, const bus_msg& m) {
  auto& s = self->state;
  v1::MediaHealth h;
  if (!decode_bus(m.subject, m.data, h, "media_health") || s.active || h.instance() == s.instance)
    return;
  const auto& servers = s.cfg->media.servers;
  for (size_t i = 0; i < servers.size(); ++i)
    if (servers[i].name == h.server())
      s.health[i] = server_health{h.state(), 0, 0, "as " + h.instance() + " said: " + h.reason()};
}

void on_lease_change(media_pointer self, const lease_change& c) {
  auto& s = self->state;
  if (!c.lost.empty()) {
    s.active = false;
    spdlog::warn("media {} is no longer the active instance: following as a standby",
                 s.instance);
  }
  if (c.gained.empty())
    return;
  s.active = true;
  spdlog::info("media {} is the active instance now: it answers and probes", s.instance);
  // Its first probes now, not an interval later.
  probe_all(self);
}

// An instance that (re)starts holds no media legs yet: those its previous
// run held are ended (by the edge's audit) and no longer count.
void on_ready(media_pointer self, const bus_msg& m) {
  v1::ServiceReady ready;
  if (!decode_bus(m.subject, m.data, ready, "ops_ready"))
    return;
  const size_t gone = self->state.book.replace_owner(ready.instance(), {}, now_us());
  if (gone > 0)
    spdlog::info("media: {} started again: its {} media legs no longer count", ready.instance(),
                 gone);
}

void on_bus(media_pointer self, const bus_msg& m) {
  auto& s = self->state;
  auto* info = classify_subject(m.subject);
  switch (info ? info->family : subject_family::unknown) {
    case subject_family::media_req:
      return on_request(self, m);
    case subject_family::media_leg:
      return on_leg(self, m);
    case subject_family::media_list:
      return on_list(self, m);
    case subject_family::probe: {
      v1::OptionsResult r;
      if (decode_bus(m.subject, m.data, r, "probe"))
        on_probe_result(self, r);
      return;
    }
    case subject_family::media_health:
      return on_health(self, m);
    case subject_family::media_pool:
      if (s.active && !m.reply.empty())
        s.nats->publish(m.reply, pool_state(s.view(), s.instance));
      return;
    case subject_family::ops_ready:
      return on_ready(self, m);
    default:
      spdlog::debug("bus: unexpected subject {}", m.subject);
  }
}

media_actor::behavior_type media_behavior(media_pointer self, const config* cfg,
                                          const edge_directory* edges, bus* nats,
                                          std::string instance) {
  auto& s = self->state;
  s.nats = nats;
  s.cfg = cfg;
  s.edges = edges;
  s.instance = std::move(instance);
  s.probe_prefix = fmt::format("{}-{:08x}", s.instance, std::random_device{}());
  s.health.resize(cfg->media.servers.size());
  s.probe_of.resize(cfg->media.servers.size());
  self->send(self, probe_tick{});
  const auto interval = std::chrono::milliseconds(cfg->media.options_interval_ms);
  return {
      [=](const bus_msg& m) { on_bus(self, m); },
      [=](probe_tick) {
        probe_all(self);
        self->delayed_send(self, interval, probe_tick{});
      },
      [=](const lease_change& c) { on_lease_change(self, c); },
  };
}

std::string describe_pool(const config& cfg) {
  std::string out;
  for (const auto& s : cfg.media.servers)
    out += fmt::format("{}{} {} (weight {}, {})", out.empty() ? "" : ", ", s.name,
                       s.address.str(), s.weight,
                       s.capacity ? std::to_string(s.capacity) + " sessions" : "no limit");
  return out;
}

}  // namespace

struct media_service::impl {
  service_context& ctx;
  std::unique_ptr<edge_directory> edges;
  std::unique_ptr<actor_host> host;
  media_actor actor;
  std::unique_ptr<lease_keeper> lease;
  explicit impl(service_context& c) : ctx(c) {}
};

media_service::media_service(service_context& ctx) : impl_(std::make_unique<impl>(ctx)) {}

media_service::~media_service() { stop(); }

std::string media_service::start() {
  auto& ctx = impl_->ctx;
  impl_->edges = std::make_unique<edge_directory>(*ctx.nats, ctx.cfg.edge_id);
  impl_->host = std::make_unique<actor_host>();
  impl_->actor =
      impl_->host->system().spawn(media_behavior, &ctx.cfg, impl_->edges.get(), ctx.nats.get(),
                                  ctx.instance);
  impl_->host->set_root(impl_->actor);
  const std::vector<std::string> subjects = {
      subj::media_req,  subj::media_leg_all,       subj::media_list_all,
      subj::media_pool, subj::probe(ctx.instance), subj::ops_ready_all,
      subj::media_health("*")};
  auto listed = impl_->host->bridge(*ctx.nats, subjects);
  // Asked once the leg reports and lists are subscribed: every owner's
  // answer then reaches the book.
  v1::MediaSync sync;
  sync.set_schema(v1::SCHEMA_V1);
  sync.set_instance(ctx.instance);
  ctx.nats->publish(subj::media_sync, sync);
  // One shard: its holder is the active instance.
  impl_->lease = std::make_unique<lease_keeper>(
      *ctx.nats, ctx.service, leases::lease_params{ctx.instance, 1, ctx.cfg.media.lease_ttl_ms},
      [actor = impl_->actor](const lease_change& c) { caf::anon_send(actor, c); });
  // Ready means answering when no other instance does: a lone or first
  // instance waits for the lease (a restarted one until its former lease
  // expires); beside an active one it is ready as a standby.
  if (!impl_->lease->wait_held(std::chrono::milliseconds(2 * ctx.cfg.media.lease_ttl_ms + 1000)))
    spdlog::info("media: {} is a standby (another instance holds the lease)", ctx.instance);
  return "bus " + listed + "; media servers " + describe_pool(ctx.cfg) +
         "; OPTIONS through a live edge (" + ctx.cfg.edge_id + " when none is)";
}

void media_service::stop() {
  // Released at once: a standby takes over without waiting for the TTL.
  impl_->lease.reset();
  impl_->actor = nullptr;
  if (impl_->host)
    impl_->host->shutdown();
}

}  // namespace sipcc::media
