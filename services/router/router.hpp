// The default router: one CAF actor runs router_core (the strategy, pure)
// over the DN states presence publishes and the Routing Points' events, and
// answers each EventRouteRequest with a TRouteCall to callctl when an agent
// is free (or max-wait is up). An external router may serve the same
// requests instead: Routing Points without an agent-group are left alone.
// Several processes may run: the holder of the router's one lease routes,
// the others stand by (docs/architecture.md, "Inside router").
#pragma once

#include <memory>
#include <string>

#include "sipcc/service.hpp"

namespace sipcc::router {

class router_service {
public:
  explicit router_service(service_context& ctx);
  ~router_service();
  std::string start();
  void stop();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

}  // namespace sipcc::router
