// The mwi service (Asterisk as voicemail server): one CAF actor per
// monitored mailbox keeps its message-summary subscriptions (through the
// edge) and turns each changed NOTIFY into an EventUserEvent (gsipmwi) for
// the DN each subscription belongs to. A registry actor follows agent
// logins from presence's DN states and tells each mailbox which
// subscriptions it must hold (sipcc/mwi.hpp decides which).
#pragma once

#include <memory>
#include <string>

#include "sipcc/service.hpp"

namespace sipcc::mwi {

class mwi_service {
public:
  explicit mwi_service(service_context& ctx);
  ~mwi_service();
  std::string start();
  void stop();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

}  // namespace sipcc::mwi
