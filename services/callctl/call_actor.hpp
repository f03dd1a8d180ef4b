// The actor of one call (ConnID), whatever started it: a customer's INVITE
// at a Routing Point, a registered phone's own call, or TMakeCall. It feeds
// the call's bus messages into the pure call machine (callctl/model/
// call_fsm.hpp, call_requests.hpp, call_translate.hpp) and carries out the
// actions it returns. The registry (registry.cpp) gives the call its ConnID,
// spawns this actor and sends it the call's leg events and requests.
#pragma once

#include <string>

#include <caf/all.hpp>

#include "call_messages.hpp"
#include "directory.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipcc/v1/tlib.pb.h"

namespace sipcc::callctl {

// Spawns the actor of the call that `incoming` (an inbound INVITE) starts,
// monitored by the registry (which ends it when it ends itself).
call_handle spawn_call(caf::local_actor* registry, shared* sh, std::string conn_id,
                       v1::LegEvent incoming);

// A TMakeCall the registry checked: the call's ConnID, and how to reach both DNs.
struct make_call_setup {
  std::string conn_id;
  std::string edge;          // the edge that holds both legs
  std::string this_uri;      // ThisDN's phone
  std::string other_uri;     // OtherDN's phone, or sip:<number>@<asterisk.address>
  bool other_is_dn = false;  // OtherDN is a configured Extension or ACDPosition
  uint32_t ringback_ms = 0;  // make-call-ringback-timeout
  v1::TRequest request;      // the TMakeCall
  std::string reply_to;      // its inbox: the reply is the EventDialing
};

// Spawns the actor of a desktop-made call, monitored by the registry likewise.
call_handle spawn_made_call(caf::local_actor* registry, shared* sh, make_call_setup setup);

// Spawns the actor of a call restored from its legs' snapshot
// (callctl/model/call_snapshot.hpp), established, monitored likewise.
call_handle spawn_restored_call(caf::local_actor* registry, shared* sh, restored_call r);

}  // namespace sipcc::callctl
