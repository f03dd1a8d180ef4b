#include "edge.hpp"

int main(int argc, char** argv) {
  std::unique_ptr<sipcc::edge::sip_edge> edge;
  sipcc::service_hooks hooks;
  hooks.instance_of = [](const sipcc::config& c) { return c.edge_id; };
  hooks.start = [&](sipcc::service_context& ctx) {
    edge = std::make_unique<sipcc::edge::sip_edge>(ctx);
    return edge->start();
  };
  hooks.stop = [&](sipcc::service_context&) { edge->stop(); };
  return sipcc::run_service(argc, argv, "sip-edge", hooks);
}
