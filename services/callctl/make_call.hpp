// The actor of one desktop-made call (TMakeCall): it runs the pure
// make_call_fsm and carries out its actions. The registry (callctl.cpp)
// checks the request, gives the call its ConnID, spawns this actor and sends
// it the call's leg events and call requests, as it does for routed calls.
#pragma once

#include <string>

#include <caf/all.hpp>

#include "sipcc/bus.hpp"
#include "callctl/model/make_call_fsm.hpp"
#include "sipcc/v1/tlib.pb.h"

namespace sipcc::callctl {

struct make_call_setup {
  bus* nats = nullptr;
  std::string owner;      // callctl instance, e.g. callctl-0: the edge sends leg events there
  std::string edge;       // the edge that holds both legs
  std::string from_host;  // host:port in the From of the INVITEs (the edge's address)
  make_call call;         // conn_id, DNs and URIs set
  v1::TRequest request;   // the TMakeCall
  std::string reply_to;   // its inbox: the reply is the EventDialing
};

// Spawns the call's actor, monitored by and linked to the registry.
caf::actor spawn_make_call(caf::event_based_actor* registry, make_call_setup setup);

}  // namespace sipcc::callctl
