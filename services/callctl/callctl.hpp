// The call-control service: one CAF actor per call (ConnID) runs the pure
// call_fsm and carries out its actions; a registry actor takes new inbound
// INVITEs from the edge's queue group, dispatches leg events and desktop
// call requests to the call that owns them.
#pragma once

#include <memory>
#include <string>

#include "sipcc/service.hpp"

namespace sipcc::callctl {

class callctl_service {
public:
  explicit callctl_service(service_context& ctx);
  ~callctl_service();
  std::string start();
  void stop();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

}  // namespace sipcc::callctl
