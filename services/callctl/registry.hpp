// callctl's registry actor: it takes new inbound INVITEs from the edges'
// queue group, gives each call its ConnID and actor, and dispatches leg
// events, desktop call requests and conference requests to the call that
// owns them; it keeps the directory (directory.hpp) and audits the edges'
// legs. What it decides is pure (callctl/model/call_table.hpp, audit.hpp,
// admission.hpp); the actor carries it out.
#pragma once

#include <caf/actor_system.hpp>

#include "directory.hpp"
#include "sipcc/actor_host.hpp"

namespace sipcc::callctl {

bus_root spawn_registry(caf::actor_system& sys, shared* sh);

}  // namespace sipcc::callctl
