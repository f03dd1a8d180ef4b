// The actor of one routed or direct call (ConnID): it runs the pure
// call_fsm and carries out its actions. The registry (registry.cpp) gives
// the call its ConnID, spawns this actor and sends it the call's leg events,
// timers' and desktop requests.
#pragma once

#include <string>

#include <caf/all.hpp>

#include "directory.hpp"
#include "sipcc/v1/call.pb.h"

namespace sipcc::callctl {

// Spawns the actor of the call that `incoming` (the customer's INVITE)
// starts, monitored by and linked to the registry.
caf::actor spawn_call(caf::event_based_actor* registry, shared* sh, std::string conn_id,
                      v1::LegEvent incoming);

}  // namespace sipcc::callctl
