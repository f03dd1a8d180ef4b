#include "callctl.hpp"
#include "registry.hpp"
#include "snapshots_fetch.hpp"

#include <memory>

#include "sipcc/actor_host.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/dn_states_fetch.hpp"

namespace sipcc::callctl {

struct callctl_service::impl {
  service_context& ctx;
  shared sh;
  std::unique_ptr<actor_host> host;
  std::unique_ptr<dn_states_fetch> fetch;
  std::unique_ptr<snapshots_fetch> restore;
  explicit impl(service_context& c) : ctx(c) {}
};

callctl_service::callctl_service(service_context& ctx) : impl_(std::make_unique<impl>(ctx)) {}

callctl_service::~callctl_service() { stop(); }

std::string callctl_service::start() {
  auto& ctx = impl_->ctx;
  impl_->sh.cfg = &ctx.cfg;
  impl_->sh.nats = ctx.nats.get();
  impl_->sh.owner = ctx.instance;
  impl_->host = std::make_unique<actor_host>();
  auto registry = spawn_registry(impl_->host->system(), &impl_->sh);
  impl_->host->set_root(registry);
  // New calls come from the edges' queue group: one callctl takes each.
  impl_->host->bridge(*ctx.nats, {subj::in_invite}, subj::in_invite_queue);
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
      std::vector<std::string>{ctx.cfg.edge_id});
  // Which agent is on which DN now, not only from the next change.
  impl_->fetch = std::make_unique<dn_states_fetch>(
      *ctx.nats, caf::actor_cast<caf::actor>(registry), "callctl");
  return std::string("bus ") + subj::in_invite + " (queue " + subj::in_invite_queue + "), " +
         subj::conf_req + ", " +
         subj::leg_events_of(ctx.instance) + ", " + subj::tlib_req_family("call") + ", " +
         subj::tlib_req_family("media");
}

void callctl_service::stop() {
  impl_->fetch.reset();
  impl_->restore.reset();
  if (impl_->host)
    impl_->host->shutdown();
}

}  // namespace sipcc::callctl
