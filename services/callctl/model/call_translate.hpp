// Between the bus and the call machine (call_fsm.hpp), as pure functions:
// what an edge's leg event is for the call, and the T-Library event an
// emit action becomes. The call actor only passes them along.
#pragma once

#include <optional>
#include <string>

#include "callctl/model/call_fsm.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipcc/v1/tlib.pb.h"

namespace sipcc {

// A leg event of call `c` as the machine's event (its leg set); nothing for
// one the call has no use for. An INFO from the media server that carries
// no DTMF digit gives nothing and its reason in `bad_info` (and its
// Content-Type in `bad_info_type`), which the actor counts and logs.
struct leg_input {
  std::optional<call_event> ev;
  std::string bad_info;
  std::string bad_info_type;
};
leg_input leg_input_of(const call& c, const v1::LegEvent& le);

// The event emit action `a` of call `c` publishes (its timestamp is the
// actor's to set): the call's ConnID unless the action names another, its
// ANI, DNIS, Call-ID and user data, and what the action adds. For
// EventError `a.text` is the message (a far end refused one of the
// request's offers: ERR_INVALID_STATE), for any other event the Reason, when
// set; EventDTMFSent carries its digits (Extensions DTMFDigits), a
// collecting treatment's EventTreatmentEnd its collected digits.
v1::TEvent tevent_of(const call& c, const call_action& a);

// The command to the edge that action `a` is, and the leg it goes to: a
// response, CANCEL, ACK, BYE, re-INVITE, INFO or talk NOTIFY; nothing for
// the other actions (invites are the actor's: they need the configuration).
struct leg_command_out {
  std::string leg;
  v1::LegCommand cmd;
};
std::optional<leg_command_out> leg_command_of(const call& c, const call_action& a);

}  // namespace sipcc
