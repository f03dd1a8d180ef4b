// What the registry and the call actors share: the messages between them,
// and how a call publishes its leg commands, T-Library events and DnCallFacts.
#pragma once

#include <string>
#include <unordered_map>

#include <caf/all.hpp>

#include "sipcc/bus.hpp"
#include "callctl/model/sdp.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipcc/v1/tlib.pb.h"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sipcc::v1::LegEvent)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sipcc::v1::TRequest)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sipcc::v1::ConfRequest)

namespace sipcc::callctl {

// On the INVITE of a leg to the phone of the DN whose desktop controls the
// call (a routed call's agent, a TMakeCall's ThisDN). Asterisk plays music to
// the phone behind every leg sipcc holds; the shipped dialplan ([agent-leg])
// gives this phone the silent class, so the agent who holds hears nothing and
// held parties (customer, destination, consulted DN) hear music.
inline constexpr const char* k_own_phone_header = "X-Sipcc-Leg: agent";

// registry -> call: a leg event, a call request, a conference request (with
// their reply inbox).
using leg_atom = caf::atom_constant<caf::atom("leg")>;
using req_atom = caf::atom_constant<caf::atom("req")>;
using conf_atom = caf::atom_constant<caf::atom("conf")>;  // a ConfRequest (with its reply inbox)
// call -> itself: a delayed message, with the generation of the timer it was armed as.
using timer_atom = caf::atom_constant<caf::atom("timer")>;
// call -> registry: the call made leg `leg` on edge `edge`.
using leg_map_atom = caf::atom_constant<caf::atom("legmap")>;
// transfers: call -> registry: requests on ConnID `alias` (a consultation
// call's) go to the call with ConnID `conn` (`active`), or no longer.
using conn_alias_atom = caf::atom_constant<caf::atom("connalias")>;

// sipcc's o= line toward each leg of one call (sdp.hpp stamp_origin): every
// SDP a command carries to a leg goes through stamp() first.
class leg_origins {
public:
  void stamp(const std::string& leg_id, v1::LegCommand& cmd);

private:
  std::unordered_map<std::string, leg_origin> by_leg_;
};

// To edge `edge`, for leg `leg_id` (schema and leg id set here).
void publish_leg_command(bus& nats, const std::string& edge, const std::string& leg_id,
                         v1::LegCommand cmd);

// sipcc.dn.calls.<dn>: DN `dn` has (or no longer has) sipcc call `conn_id`.
void publish_call_fact(bus& nats, const std::string& dn, const std::string& conn_id, bool active,
                       bool answered);

// Event `type` on `this_dn` about call `conn_id` with `other_dn`.
v1::TEvent call_tevent(v1::EventType type, const std::string& this_dn,
                       const std::string& other_dn, const std::string& conn_id);

// `ev` (timestamped here) on sipcc.tlib.evt.<its ThisDN>, counted and logged.
void publish_call_event(bus& nats, v1::TEvent& ev);

// The reply to a conference request: done, or `error`.
v1::ConfReply conf_answer(const v1::ConfRequest& req, const std::string& error);

// The event's Reason (the `Reason` key of its Reasons).
void set_reason(v1::TEvent& ev, const std::string& reason);

// EventDTMFSent's digits (the `DTMFDigits` key of its Extensions).
void add_dtmf_digits(v1::TEvent& ev, const std::string& digits);

// What a call machine's emit adds to its event `ev`: for EventError `text` is
// the message (a far end refused one of the request's offers:
// ERR_INVALID_STATE), for any other event the Reason, when set; EventDTMFSent
// carries `digits`.
void set_emitted(v1::TEvent& ev, const std::string& text, const std::string& digits);

}  // namespace sipcc::callctl
