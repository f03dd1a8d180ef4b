// What call_fsm.cpp and call_fsm_transfer.cpp share: the action helpers of
// the routed call's machine, and the transfer steps call_step hands events to.
// Internal to sipcc_core.
#pragma once

#include <string>
#include <vector>

#include "callctl/model/call_fsm.hpp"

namespace sipcc {

namespace fsm {

using actions = std::vector<call_action>;

call_action act(call_action::kind k);
// EventX for `dn` (other_dn as T-Library sets it; `reason`, when set, the
// Reason, or for EventError the message).
void emit(actions& a, v1::EventType event, const std::string& dn, const std::string& other_dn,
          const std::string& reason);
void fact(actions& a, const std::string& dn, bool active, bool answered);
void leg_command(actions& a, call_action::kind k, const std::string& leg, const std::string& sdp);
void respond_leg(actions& a, const std::string& leg, bool update, uint32_t status,
                 const std::string& sdp);
// The leg of party `p` (the consulted DN's: empty without a consultation).
const std::string& party_leg(const call& c, party p);
// Party `p`'s leg to the media server's conference (empty: not in one).
std::string& conf_leg(call& c, party p);
// The next outbound leg's name, <ConnID>-<n>.
std::string next_leg(call& c);
// Routes the call to `t` (INVITE, fact, no-answer timer); flow I when the
// customer is answered.
void route_to(call& c, actions& a, const route_target& t, bool route_used);
void end(call& c, actions& a);

// Conferences (call_fsm.cpp): moves the call's parties into the media
// server's `uri` one at a time, from the customer on (a 3pcc conference,
// c.mix_three, takes the consulted DN too) ...
void start_mix(call& c, actions& a, mix_op op, const std::string& uri, bool collects);
// ... or, the next step of taking the customer and the agent back out to
// each other (the last two parties of a conference).
void leave_next(call& c, actions& a);

}  // namespace fsm

// transfers (call_fsm_transfer.cpp)
// Carries out a transfer request, or an event while a consultation or a
// transfer's re-INVITEs are under way; false for every other event.
bool transfer_step(call& c, const call_event& ev, fsm::actions& a, const call_settings& cfg);

// The end of a 3pcc conference's join: made (the consultation call merges
// into the conference), or refused for `why` (the parties leave the
// conference, the customer and the agent are joined back, the consultation
// call stays, held).
void conference_made(call& c, fsm::actions& a);
void conference_refused(call& c, fsm::actions& a, const std::string& why);

// Why THoldCall / TRetrieveCall cannot be carried out because of a transfer
// (empty: no transfer stands in the way).
std::string transfer_hold_refusal(const call& c);

// Names the transferrer (ThirdPartyDN) in the events a single-step transfer's
// target gets while it rings and connects: what the call was before the step
// is kept, the actions of the step are annotated after it.
class transfer_watch {
public:
  explicit transfer_watch(const call& c);
  void name_transferrer(call& c, fsm::actions& a) const;

private:
  std::string target_, by_;
};

}  // namespace sipcc
