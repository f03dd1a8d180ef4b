#include "callctl.hpp"
#include "registry.hpp"
#include "snapshots_fetch.hpp"

#include <chrono>
#include <future>
#include <memory>
#include <mutex>

#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "sipcc/actor_host.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/dn_states_fetch.hpp"
#include "sipcc/lease_keeper.hpp"
#include "sipcc/lease_messages.hpp"

namespace sipcc::callctl {

struct callctl_service::impl {
  service_context& ctx;
  shared sh;
  std::unique_ptr<edge_directory> edges;
  std::unique_ptr<actor_host> host;
  std::unique_ptr<dn_states_fetch> fetch;
  std::unique_ptr<snapshots_fetch> restore;
  std::unique_ptr<lease_keeper> leases;
  std::once_flag first_gain;
  std::promise<void> first_shard;
  explicit impl(service_context& c) : ctx(c) {}
};

callctl_service::callctl_service(service_context& ctx) : impl_(std::make_unique<impl>(ctx)) {}

callctl_service::~callctl_service() { stop(); }

std::string callctl_service::start() {
  auto& ctx = impl_->ctx;
  impl_->sh.cfg = &ctx.cfg;
  impl_->sh.presence = make_presence_shards(ctx.cfg);
  impl_->sh.nats = ctx.nats.get();
  impl_->sh.owner = ctx.instance;
  impl_->edges = std::make_unique<edge_directory>(*ctx.nats, ctx.cfg.edge_id, edges::kCallsTtlMs);
  impl_->sh.edges = impl_->edges.get();
  impl_->host = std::make_unique<actor_host>();
  auto registry = spawn_registry(impl_->host->system(), &impl_->sh);
  impl_->host->set_root(registry);
  impl_->edges->on_change([to = caf::actor_cast<caf::actor>(registry)](const edges::change& c) {
    for (const auto& e : c.gone)
      caf::anon_send(to, edge_gone{e});
  });
  // Every member hears every call request; the holder of the call's shard
  // answers (registry.cpp).
  impl_->host->bridge(*ctx.nats,
                      {subj::leg_events_of(ctx.instance), subj::leg_audit(ctx.instance),
                       subj::ops_ready_all, subj::tlib_req_family("call"),
                       subj::tlib_req_family("media"), subj::state_dn_all, subj::reg_all,
                       subj::conf_req, subj::media_sync, subj::media_health("*"),
                       subj::calls_check, subj::calls_waiting,
                       subj::media_placed_of(ctx.instance)});
  // The calls of a previous run that its edge still holds (the registry
  // handles nothing else until they are back).
  impl_->restore = std::make_unique<snapshots_fetch>(
      *ctx.nats, caf::actor_cast<caf::actor>(registry), ctx.instance,
      impl_->edges->live());
  // Which agent is on which DN now, not only from the next change.
  impl_->fetch = std::make_unique<dn_states_fetch>(
      *ctx.nats, caf::actor_cast<caf::actor>(registry), "callctl");
  auto* im = impl_.get();
  auto to = caf::actor_cast<caf::actor>(registry);
  impl_->leases = std::make_unique<lease_keeper>(
      *ctx.nats, ctx.service,
      leases::lease_params{ctx.instance, ctx.cfg.callctl.shards, ctx.cfg.callctl.lease_ttl_ms},
      [im, to](const lease_change& c) {
        im->sh.restore_begins(c.previous);
        caf::anon_send(to, c);
        // New calls come from the edges' queue group, one member takes each:
        // a member joins it once it holds a shard (a new call needs a ConnID
        // in one), not before, or the edge answers the INVITEs it offers
        // this member 503 after waiting for a claim.
        if (!c.gained.empty())
          std::call_once(im->first_gain, [&] {
            im->host->bridge(*im->ctx.nats, {subj::in_invite}, subj::in_invite_queue);
            im->first_shard.set_value();
          });
      },
      [im] { return im->sh.busy_shards(); });
  // Start-up waits for the first shard, so "ready" means taking calls. A
  // restarted member's own leases are claimable once they expired; a member
  // beyond the shard count may never get one.
  const auto wait = std::chrono::milliseconds(3 * ctx.cfg.callctl.lease_ttl_ms);
  if (impl_->first_shard.get_future().wait_for(wait) != std::future_status::ready)
    spdlog::warn("callctl {}: no shard lease within {} ms: it takes no new call until it holds "
                 "one",
                 ctx.instance, wait.count());
  return std::string("bus ") + subj::in_invite + " (queue " + subj::in_invite_queue + "), " +
         subj::conf_req + ", " +
         subj::leg_events_of(ctx.instance) + ", " + subj::tlib_req_family("call") + ", " +
         subj::tlib_req_family("media") + "; leases " + subj::lease_bucket;
}

void callctl_service::stop() {
  impl_->fetch.reset();
  impl_->restore.reset();
  if (impl_->edges)
    impl_->edges->on_change({});
  // Released first: the other members take the shards over at once.
  impl_->leases.reset();
  if (impl_->host)
    impl_->host->shutdown();
}

}  // namespace sipcc::callctl
