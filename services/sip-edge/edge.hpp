// The SIP edge: the only sipcc process that speaks SIP. One sofia-sip nua
// stack on one thread owns every SIP dialog; bus commands are handed to that
// thread with su_msg, and SIP events leave it as protobuf on the bus.
#pragma once

#include <memory>
#include <string>

#include "sipcc/service.hpp"

namespace sipcc::edge {

class sip_edge {
public:
  explicit sip_edge(service_context& ctx);
  ~sip_edge();
  // Binds the SIP socket and starts the sofia thread; throws when the
  // address cannot be bound. Returns what it listens on.
  std::string start();
  void stop();

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

}  // namespace sipcc::edge
