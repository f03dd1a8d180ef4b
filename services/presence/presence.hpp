// The presence service: one CAF actor per configured DN owns its device
// state, its presence subscription (through the edge) and the agent session
// logged in on it; a registry actor dispatches bus traffic to them, paces
// (re)subscriptions and answers state queries.
#pragma once

#include <memory>
#include <string>

#include "sipcc/service.hpp"

namespace sipcc::presence {

class presence_service {
public:
  explicit presence_service(service_context& ctx);
  ~presence_service();
  std::string start();
  void stop();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

}  // namespace sipcc::presence
