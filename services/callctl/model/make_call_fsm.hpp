// One desktop-made call (TMakeCall from ThisDN to OtherDN) as a pure state
// machine: (call, event) -> actions, RFC 3725 flow I, and flow IV when the
// destination is slow. callctl's make-call actor only carries out the
// actions. No I/O here.
//
//  make_call_start: fact(ThisDN on), fact(OtherDN on) if configured,
//     EventDialing(ThisDN), INVITE the agent leg without SDP (ack_later)
//     v
//  [dialing] --agent 2xx with the offer--> INVITE the destination leg with
//     |        that offer, arm the ringback timer -> [calling]
//     | agent 2xx without SDP: ACK and BYE it, released "agent phone sent no offer"
//     | agent >= 300 / timeout / its leg gone: released "agent phone answered <status>"
//     | TReleaseCall: CANCEL the agent leg, released
//  [calling] --destination 18x--> EventRinging(OtherDN) once, if configured
//     | destination 2xx: ACK the agent leg with its answer,
//     |   EventEstablished on both DNs -> [established]
//     | ringback timer (ringback_ms; the agent's 2xx is retransmitted for
//     |   32 s only, RFC 3725 flow I): ACK the agent leg with
//     |   inactive_answer(its offer) -> [ringback]
//     | destination >= 300 / timeout: ACK and BYE the agent leg,
//     |   released "destination answered <status>"
//     | TReleaseCall: CANCEL the destination, ACK and BYE the agent, released
//     | agent BYE (its 2xx was never ACKed in time): CANCEL the destination, released
//  [ringback] --destination 18x--> EventRinging(OtherDN) once, if configured
//     | destination 2xx: re-INVITE the agent leg with its answer as a new
//     |   offer (the actor keeps it in the session of the inactive answer) -> [joining]
//     |   (an answer without an o= line: BYE both, released)
//     | destination >= 300 / timeout: BYE the agent leg, released "destination answered <status>"
//     | TReleaseCall / agent BYE: CANCEL the destination (and BYE the agent), released
//  [joining] --agent 2xx--> EventEstablished on both DNs -> [established]
//     | agent >= 300 (a 491 retried first, below): BYE both legs,
//     |   released "agent phone refused the destination's media with <status>"
//     | BYE from either leg / TReleaseCall: BYE the other leg(s), released
//  [established] --BYE from either leg / TReleaseCall--> BYE the other leg(s), released
//
// "released": facts off, EventReleased on ThisDN (with the Reason, when
// there is one) and on OtherDN if configured and it rang or was up, end.
// EventDialing and EventEstablished on ThisDN name OtherDN as other_dn, and
// OtherDN's events name ThisDN. An event for a leg that is not the call's,
// one that makes no sense in the state, or a stale timer gives no actions.
//
// On an [established] call, as on a routed one (call_fsm.hpp):
//  THoldCall / TRetrieveCall from ThisDN, one step at a time, offers derived
//  from the last SDP sent each leg (hold_offer, RFC 3264 8.4):
//    re-INVITE the destination (hold a=sendonly, retrieve a=sendrecv)
//      --2xx--> re-INVITE the agent's phone (hold a=inactive, retrieve a=sendrecv)
//      --2xx--> EventHeld / EventRetrieved(ThisDN)
//    the destination refusing: EventError(ThisDN), nothing changed;
//    the agent's phone refusing: re-INVITE the destination back, then EventError.
//  TAttachUserData / TUpdateUserData / TDeleteUserData from ThisDN, or from
//    OtherDN once it rang or was up: change_user_data, EventAttachedDataChanged
//    to both; every later event carries the data.
//  TSendDTMF from ThisDN: one INFO application/dtmf-relay per digit on the
//    destination leg, EventDTMFSent(ThisDN).
//  A re-INVITE or UPDATE offer from either phone goes to the other leg in
//    the same method, its answer (or failure) comes back. One re-INVITE at a
//    time: another one meanwhile, or one outside [established], gets 491.
//
// sipcc's own re-INVITEs (the join, each hold step) refused with 491 are
// sent again, the same offer (its o= version is still one above the last
// accepted one), after a random 2.1-4 s (RFC 3261 14.1:
// sipcc owns the Call-ID of both legs): arm_timer asks for that range and
// the actor draws the delay. After kMaxReinviteTries sends the 491 counts as
// any refusal. A phone's own re-INVITE meanwhile gets 491.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sipcc/v1/tlib.pb.h"

namespace sipcc {

// How many times sipcc sends one re-INVITE of its own that gets 491.
inline constexpr uint32_t kMaxReinviteTries = 3;

enum class make_call_state { dialing, calling, ringback, joining, established, ended };
const char* to_string(make_call_state s);

// Where a hold or retrieve is: re-INVITing the destination, then the agent's
// phone; `undo`: the phone refused, the destination is re-INVITEd back.
enum class make_call_hold { none, dest, agent, undo };

struct make_call {
  make_call_state state = make_call_state::dialing;
  std::string conn_id;
  std::string this_dn;
  std::string other_dn;
  bool other_configured = false;  // OtherDN is a configured DN (gets events and facts)
  std::string agent_uri;          // ThisDN's contact
  std::string dest_uri;           // OtherDN's contact, or sip:<number>@<asterisk>
  std::string agent_leg;          // <ConnID>-1
  std::string dest_leg;           // <ConnID>-2
  bool other_rang = false;        // EventRinging went to OtherDN
  std::string agent_offer;        // the offer in the agent phone's 2xx
  // How long the agent's 2xx may wait for its ACK before it gets
  // inactive_answer (callctl sets make-call-ringback-timeout; 0: no bound).
  uint32_t ringback_ms = 0;
  // The last SDP sipcc sent each leg, which its own offers derive from.
  std::string sdp_to_agent, sdp_to_dest;
  uint64_t timer_gen = 0;         // CAF 0.17 cannot cancel a timer: a stale one is ignored
  // The leg whose re-INVITE (or UPDATE, `passing_update`) is being passed
  // to the other leg.
  std::string passing_from;
  bool passing_update = false;
  bool held = false;
  make_call_hold holding = make_call_hold::none;
  bool hold_wanted = false;       // holding: to hold (or to retrieve)
  // sipcc's own re-INVITE under way (joining, holding): how many times it
  // was sent, and whether it waits for its retry timer after a 491.
  uint32_t reinvite_tries = 0;
  bool retry_wait = false;
  std::string hold_error;         // undo: why, for the EventError at its end
  v1::KVList user_data;
};

struct make_call_event {
  enum kind {
    agent_answered,  // 2xx on the agent leg, `sdp` = its offer
    agent_failed,    // >= 300 or timeout on the agent leg, `status`
    agent_bye,       // the agent hung up (or its leg is gone)
    dest_progress,   // 18x on the destination leg
    dest_answered,   // 2xx on the destination leg, `sdp` = its answer
    dest_failed,     // >= 300 or timeout on the destination leg, `status`
    dest_bye,        // the destination hung up (or its leg is gone)
    release,         // TReleaseCall from ThisDN or OtherDN
    reinvite_answered,  // 2xx to our re-INVITE (UPDATE) on `leg`, `sdp` = its answer
    reinvite_failed,    // our re-INVITE (UPDATE) on `leg` failed with `status`
    reinvite,        // the phone on `leg` sent a re-INVITE (UPDATE if `update`) with `sdp`
    timer,           // the timer tagged `timer_gen` fired
    hold,            // THoldCall from `dn` (make_call_hold_refusal empty)
    retrieve,        // TRetrieveCall from `dn` (make_call_hold_refusal empty)
    // TAttachUserData / TUpdateUserData with `user_data`, or TDeleteUserData
    // (`delete_data`), from `dn` (make_call_user_data_refusal empty)
    user_data_change,
    send_dtmf,       // TSendDTMF of `digits` from `dn` (make_call_dtmf_refusal empty, digits valid)
  } what;
  make_call_event(kind k) : what(k) {}
  std::string leg;
  std::string sdp;
  uint32_t status = 0;
  bool update = false;
  uint64_t timer_gen = 0;
  std::string dn;
  v1::KVList user_data;
  bool delete_data = false;
  std::string digits;
};

struct make_call_action {
  enum kind {
    invite_leg,  // new leg `leg` to `uri` with `sdp`, from `dn` (who the far end sees calling);
                 // `ack_later`: no SDP, its 2xx waits for ack_leg
    ack_leg,     // ACK the waiting 2xx of leg `leg` with `sdp`
    reinvite_leg,  // re-INVITE (UPDATE if `update`) leg `leg` with the offer `sdp`
    respond_leg,   // answer the re-INVITE (UPDATE if `update`) pending on leg `leg`:
                   // `status` (+ `sdp`)
    info_leg,      // an INFO with `content_type` and `body` on leg `leg`
    arm_timer,   // in `ms` to `max_ms` (the actor draws the delay), tagged with c.timer_gen
                 // as the step leaves it (one per step at most)
    cancel_leg,
    bye_leg,
    emit,        // T-Library `event` on `dn` with `other_dn`; `text`, when set, is the
                 // Reason (for EventError the message); `digits` of EventDTMFSent
    call_fact,   // sipcc.dn.calls.<dn> `active`; `answered` when it went off after being up
    end,         // the call is over: the actor stops after these actions
  } what;
  make_call_action(kind k) : what(k) {}
  std::string leg;
  std::string uri;
  std::string sdp;
  bool ack_later = false;
  bool update = false;
  uint32_t status = 0;
  std::string content_type;
  std::string body;
  std::string digits;
  uint32_t ms = 0;
  uint32_t max_ms = 0;
  v1::EventType event = v1::EVENT_UNSPECIFIED;
  std::string dn;
  std::string other_dn;
  std::string text;
  bool active = false;
  bool answered = false;
};

// The first actions of a call whose conn_id, DNs, URIs and ringback_ms are
// set; names its legs.
std::vector<make_call_action> make_call_start(make_call& c);

// Advances the call. Never throws.
std::vector<make_call_action> make_call_step(make_call& c, const make_call_event& ev);

// Why a request from DN `dn` cannot be carried out on the call now (empty:
// it can); the actor answers EventError (ERR_INVALID_STATE) with it and
// sends no SIP. THoldCall (TRetrieveCall with `retrieve`) and TSendDTMF:
// ThisDN of an established call; user data: ThisDN, or OtherDN once it
// rang or was up.
std::string make_call_hold_refusal(const make_call& c, const std::string& dn, bool retrieve);
std::string make_call_user_data_refusal(const make_call& c, const std::string& dn);
std::string make_call_dtmf_refusal(const make_call& c, const std::string& dn);

}  // namespace sipcc
