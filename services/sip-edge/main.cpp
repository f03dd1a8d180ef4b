#include <cstdlib>

#include "edge.hpp"
#include "sip-edge/model/edge_identity.hpp"

namespace {

sipcc::edge::edge_identity identity(const sipcc::config& c) {
  return sipcc::edge::edge_identity_of(c, std::getenv("SIPCC_INSTANCE"),
                                       std::getenv("SIPCC_EDGE_BIND"));
}

}  // namespace

int main(int argc, char** argv) {
  std::unique_ptr<sipcc::edge::sip_edge> edge;
  sipcc::service_hooks hooks;
  hooks.instance_of = [](const sipcc::config& c) { return identity(c).id; };
  hooks.start = [&](sipcc::service_context& ctx) {
    ctx.cfg.sip_bind = identity(ctx.cfg).bind;
    edge = std::make_unique<sipcc::edge::sip_edge>(ctx);
    return edge->start();
  };
  hooks.stop = [&](sipcc::service_context&) { edge->stop(); };
  return sipcc::run_service(argc, argv, "sip-edge", hooks);
}
