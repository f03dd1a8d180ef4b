// What the call machine's files share (call_fsm*.cpp): the action helpers,
// and the steps call_step (call_fsm.cpp) hands each event to. Internal to
// callctl_model.
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
          const std::string& reason = "");
void fact(actions& a, const std::string& dn, bool active, bool answered = false);
void leg_command(actions& a, call_action::kind k, const std::string& leg,
                 const std::string& sdp = "");
// A new outbound leg `leg` to `uri` with `sdp`: `dn` is called, `caller` is
// who it sees calling (empty: the ANI), the edge lets it ring `ring_ms`.
call_action& invite_leg(actions& a, const std::string& leg, const std::string& uri,
                        const std::string& dn, const std::string& caller, const std::string& sdp,
                        uint32_t ring_ms);
// How long the edge lets a phone ring: well after any no-answer timer.
uint32_t ring_ms(const no_answer_policy& p);
// A final response to the inbound INVITE (`phrase` empty: the standard one).
void respond(actions& a, uint32_t status, const std::string& sdp = "",
             const std::string& phrase = "");
void respond_leg(actions& a, const std::string& leg, bool update, uint32_t status,
                 const std::string& sdp = "");
// The leg of party `p` (the consulted DN's: empty without a consultation).
const std::string& party_leg(const call& c, party p);
// Party `p`'s leg to the media server's conference (empty: not in one).
std::string& conf_leg(call& c, party p);
// The next outbound leg's name, <ConnID>-<n>.
std::string next_leg(call& c);
// The SDP just sent on `leg` is what that party's next offer from sipcc derives from.
void sent_sdp(call& c, const std::string& leg, const std::string& sdp);

// Every timer of the call's one generation (router, no-answer, ringback)
// goes stale; `ms` > 0 arms event `timer` in that many milliseconds.
void restart_timer(call& c, actions& a, uint32_t ms, call_event::kind timer);
// One of sipcc's own re-INVITEs: sent now, and again after a 491 (glare).
void own_reinvite(call& c, actions& a, const std::string& leg, const std::string& sdp);

// Who the far party is in an EventError's words: "the customer" of a
// routed call, "the other party" of the others.
std::string far_party_name(const call& c);
// Whether the far party is a DN that is in the call (it rang or is up).
bool far_in_call(const call& c);
// EventAttachedDataChanged to each DN party of the call.
void data_changed(call& c, actions& a);
// A TAnswerCall still waiting gets its EventError: the call left its DN.
void stop_answering(call& c, actions& a);
// The call is over for its DNs: EventReleased (with `reason`) and the fact
// off on the agent DN and on a far DN in the call (nothing on a direct
// call's own DN), then the end. The legs are the caller's to end first.
void released(call& c, actions& a, const std::string& reason = "");
// Routes the call to `t` (INVITE, fact, no-answer timer); flow I when the
// customer is answered.
void route_to(call& c, actions& a, const route_target& t, bool route_used);
// Back to the Routing Point (EventRouteRequest, router timer); a call
// without one has nobody to go back to and is released.
void to_routing(call& c, actions& a, const call_settings& cfg);
void end(call& c, actions& a);
// The call is up at its agent DN (EventEstablished); its recording starts
// when asked for.
void established(call& c, actions& a, const call_settings& cfg);

// Conferences (call_fsm_media.cpp): moves the call's parties into the media
// server's `uri` one at a time, from the customer on (a 3pcc conference,
// c.mix_three, takes the consulted DN too) ...
void start_mix(call& c, actions& a, mix_op op, const std::string& uri, bool collects);
// ... or, the next step of taking the customer and the agent back out to
// each other (the last two parties of a conference).
void leave_next(call& c, actions& a);
void start_recording(call& c, actions& a, const call_settings& cfg);
// A treatment's media server leaves the call (BYE, or CANCEL while it is
// unanswered), with its EventTreatmentEnd / EventTreatmentNotApplied.
void stop_media(call& c, actions& a, const std::string& reason);
// The conference legs and the one being set up go with the call.
void drop_mix_legs(call& c, actions& a);

// The steps, each for the events it owns: false for the others.
bool retry_step(call& c, const call_event& ev, actions& a);          // call_fsm_hold.cpp
bool hold_or_retrieve(call& c, const call_event& ev, actions& a);           // call_fsm_hold.cpp
bool pass_step(call& c, const call_event& ev, actions& a);           // call_fsm_hold.cpp
bool media_step(call& c, const call_event& ev, actions& a);          // call_fsm_media.cpp
bool mix_step(call& c, const call_event& ev, actions& a, const call_settings& cfg);
bool routed_step(call& c, const call_event& ev, actions& a, const call_settings& cfg);
bool direct_step(call& c, const call_event& ev, actions& a);         // call_fsm_routed.cpp
bool made_step(call& c, const call_event& ev, actions& a, const call_settings& cfg);
bool up_step(call& c, const call_event& ev, actions& a);             // call_fsm.cpp

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
// The consulted DN leaves a 3pcc conference (hung up, deleted, released, or
// the conference's media server lost; `bye`: its leg gets a BYE): the
// customer and the agent are the last two and join back directly.
void consulted_leaves(call& c, fsm::actions& a, bool bye);

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
