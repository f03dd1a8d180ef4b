// One call as a pure state machine: (call, event) -> (call', actions).
// callctl's call actor only feeds it bus messages (call_translate.hpp) and
// carries out the actions (SIP leg commands through the edge, T-Library
// events, the "DN has a sipcc call" fact, timers). No I/O here.
//
// Every call is a set of parties, each on a leg of its own:
//  the customer  the far party: a routed call's caller, a desktop-made call's
//                destination (OtherDN), a direct call's target (voicemail),
//                the consulted DN of a consultation that outlived its call;
//  the agent     the DN whose desktop controls the call (agent_dn): the DN a
//                routed call went to, TMakeCall's ThisDN, the registered phone
//                of a direct call;
//  the consulted DN of a consultation call (TInitiateTransfer /
//                TInitiateConference), on ConnID consult_conn_id;
//  media-server legs (treatments, conferences, recordings).
// How the call started (call_kind) decides only how its first legs are set
// up (below: routed, direct, made); once [established] every call takes the
// same desktop requests with the same events: THoldCall / TRetrieveCall,
// user data, TSendDTMF, transfers, conferences, recording, TReleaseCall,
// and re-INVITEs passed between its parties. sipcc's own re-INVITEs refused
// with 491 are sent again after 2.1-4 s (below, "glare").
//
// A routed call (incoming at a Routing Point):
//  incoming at a Routing Point
//     |  respond customer 180, EventRouteRequest(RP), arm router timer
//     v
//  [routing] --TRouteCall / router timeout (-> default DN)--> [alerting]
//     |           fact(agent DN, active), INVITE agent leg with the customer's
//     |           SDP offer, EventRouteUsed(RP), arm no-answer timer
//     |                                                    |
//     | customer CANCEL: EventAbandoned(RP), end            | agent 180/183: EventRinging(agent DN) once
//     | router timeout, no default DN: customer 480,       |
//     |   EventAbandoned(RP), end                          |
//     |                                                    | agent 200: respond customer 200 with the
//     |                                                    |   agent's SDP -> [connecting]
//     |                                                    | agent >=300: fact off, EventReleased(agent)
//     |                                                    |   if it rang, back to [routing]
//     |                                                    |   (EventRouteRequest again, new router timer)
//     |                                                    | no-answer timer: CANCEL agent, fact off,
//     |                                                    |   EventReleased(agent) if it rang, the
//     |                                                    |   agent action, then the overflow (recall
//     |                                                    |   -> [routing]; release -> customer 480,
//     |                                                    |   end, nothing more on the RP; DN -> route
//     |                                                    |   there without EventRouteUsed)
//     |                                                    | TReleaseCall on the agent DN (desktop
//     |                                                    |   rejects): as no-answer with recall,
//     |                                                    |   without the agent action
//     |                                                    | customer CANCEL: CANCEL agent, fact off,
//     |                                                    |   EventAbandoned(agent DN) and (RP), end
//  [connecting] --customer ACK--> [established]: EventEstablished(agent DN)
//     | customer CANCEL crossing the agent's 200, or customer BYE before its ACK:
//     |   BYE agent, fact off, one EventAbandoned each (agent DN, RP), end
//     | agent BYE / TReleaseCall: as in [established] (the customer has our 200)
//  [established] --BYE from either side / TReleaseCall--> BYE the other side(s),
//     fact off, EventReleased(agent DN), end
//
// EventRouteRequest, EventRouteUsed and the RP's EventAbandoned go to the RP;
// EventRinging, EventEstablished, EventReleased and the agent's EventAbandoned
// to the agent DN. other_dn is the ANI, except EventRouteUsed (the agent DN).
//  [established] re-INVITE from one leg: re-INVITE the other leg with its SDP,
//     answer the first with the other's answer (or its failure: a 491 goes
//     back as 491, so the originator backs off and retries, RFC 3261 14.1).
//     A re-INVITE while one is in progress, or outside [established], gets 491.
//     An UPDATE with SDP (RFC 3311) takes the same path and stays an UPDATE
//     on the other leg, so each side sees the method its peer used.
//
//
// A direct call (incoming_direct) comes from a phone registered on sipcc and
// goes straight to one target (the voicemail access number on Asterisk): no
// Routing Point, no timers, and no T-Library events of its own on the
// caller's DN (only the replies and events of desktop requests on it). The
// phone is the call's agent (its inbound leg), the target its customer (an
// outbound leg). The caller's DN has the call (fact on, off at the end) so
// it is not routable meanwhile.
//  incoming_direct, no target: respond 403, end
//  incoming_direct --> [alerting]: fact(caller DN), INVITE the target with the offer
//     | 180/183: the first one to the caller     | >=300: the status to the caller, end
//     | 200: respond 200 with its SDP -> [connecting] --ACK--> [established]
//     | caller CANCEL: CANCEL the target, end
//  [connecting]/[established] BYE either side: BYE the other, fact off, end
//
// A desktop-made call (make_call: TMakeCall ThisDN -> OtherDN) has both legs
// sipcc's own (RFC 3725 flow I, flow IV when the destination is slow):
// ThisDN is the agent (leg <ConnID>-1), the destination the customer (leg
// <ConnID>-2). OtherDN gets events and facts when it is a configured
// Extension or ACDPosition (far_is_dn).
//  make_call: fact(ThisDN on), fact(OtherDN on) if a DN, EventDialing(ThisDN),
//     INVITE the agent leg without SDP (ack_later) -> [dialing]
//  [dialing] --agent 2xx with the offer--> INVITE the destination with that
//     |        offer, arm the ringback timer -> [calling]
//     | agent 2xx without SDP: ACK and BYE it, released "agent phone sent no offer"
//     | agent >= 300 / timeout / its leg gone: released "agent phone answered <status>"
//     | TReleaseCall: CANCEL the agent leg, released
//  [calling] --destination 18x--> EventRinging(OtherDN) once, if a DN
//     | destination 2xx: ACK the agent leg with its answer,
//     |   EventEstablished on both DNs -> [established]
//     | ringback timer (ringback_ms; the agent's 2xx is retransmitted for
//     |   32 s only, RFC 3725 flow I): ACK the agent leg with
//     |   inactive_answer(its offer) -> [ringback]
//     | destination >= 300 / timeout: ACK (rejecting_answer) and BYE the
//     |   agent leg, released "destination answered <status>"
//     | TReleaseCall: CANCEL the destination, ACK and BYE the agent, released
//     | agent BYE (its 2xx was never ACKed in time): CANCEL the destination, released
//  [ringback] --destination 18x--> EventRinging(OtherDN) once, if a DN
//     | destination 2xx: re-INVITE the agent leg with its answer as a new
//     |   offer (the actor keeps it in the session of the inactive answer) -> [joining]
//     |   (an answer without an o= line: BYE both, released)
//     | destination >= 300 / timeout: BYE the agent leg, released "destination answered <status>"
//     | TReleaseCall / agent BYE: CANCEL the destination (and BYE the agent), released
//  [joining] --agent 2xx--> EventEstablished on both DNs -> [established]
//     | agent >= 300 (a 491 retried first): BYE both legs,
//     |   released "agent phone refused the destination's media with <status>"
//     | BYE from either leg / TReleaseCall: BYE the other leg(s), released
//  [established] as every call; TReleaseCall from ThisDN or OtherDN.
// "released": EventReleased on ThisDN (with the Reason, when there is one)
// and on OtherDN if a DN that rang or was up, each followed by its fact off,
// end. Events on ThisDN name OtherDN as other_dn, and OtherDN's name ThisDN.
//
// A treatment (TApplyTreatment) while the call waits at the Routing Point:
//  [routing] treatment: INVITE the media-server leg with the customer's offer
//     | media 2xx: respond customer 200 with its SDP, EventTreatmentApplied(RP);
//     |   the customer is answered from now on (a 2xx without SDP: BYE it,
//     |   EventTreatmentNotApplied); a re-INVITE from the media server gets 488
//     | media >=300 / timeout: EventTreatmentNotApplied(RP, the status), still routing
//     | media BYE (the announcement finished): EventTreatmentEnd(RP), still routing
//     | route before the media 2xx: CANCEL the media leg (a crossing 2xx gets a BYE),
//     |   EventTreatmentNotApplied(RP), route as usual
//     | media lost (its server out of service): BYE it and EventTreatmentEnd(RP),
//     |   or before its 2xx CANCEL it and EventTreatmentNotApplied(RP, why); still
//     |   routing, and the next treatment may start at once (a conference or
//     |   recording leg: as if its server hung up)
//  Once a treatment answered the customer, a later one re-INVITEs it (below).
//  A route once the customer is answered (RFC 3725 flow I): INVITE the agent
//  without SDP (the media server plays on while it rings), its 2xx carries the
//  offer (none: ACK and BYE it, back to [routing]) -> [connecting]: re-INVITE the customer
//  with it; the customer's 2xx -> ACK the agent with that answer, BYE the media
//  leg and EventTreatmentEnd(RP) if it still plays, EventEstablished(agent DN)
//  -> [established]. The customer refusing the re-INVITE: ACK and BYE the agent,
//  back to [routing]. The caller turned away (release overflow, no default DN)
//  gets a BYE instead of 480; a customer BYE while waiting is EventAbandoned(RP).
//  The end of the call BYEs the media leg (EventTreatmentEnd) or CANCELs it
//  (EventTreatmentNotApplied).
//
// THoldCall / TRetrieveCall from the agent DN of an [established] call, one
// step at a time, offers derived from the last SDP sent to each side
// (sdp.hpp hold_offer, RFC 3264 8.4):
//  re-INVITE the customer (hold a=sendonly, retrieve a=sendrecv)
//    --2xx--> re-INVITE the agent (hold a=inactive: no music source, so
//             neither side sends; retrieve a=sendrecv)
//    --2xx--> EventHeld / EventRetrieved(agent DN)
//  the customer refusing (after the 491 retries): EventError(agent DN),
//    nothing changed; the agent refusing: re-INVITE the customer back, then
//    EventError. A re-INVITE from either side meanwhile gets 491.
//
// Glare (RFC 3261 14.1): every re-INVITE sipcc makes of its own (hold and
// retrieve, a flow I re-INVITE of the customer, a made call's join, the
// moves of transfers, conferences and recordings) that is refused with 491
// is sent again, the same offer (its o= version is still one above the last
// accepted one), after a random 2.1-4 s: arm_timer asks for that range and
// the actor draws the delay. After kMaxReinviteTries sends the 491 counts as
// any refusal. A phone's re-INVITE passed on to the other party is not
// retried: its 491 goes back to the phone, which backs off itself.
//
// User data (TAttachUserData, TUpdateUserData, TDeleteUserData) from a DN
// party of the call: the RP while it routes, the agent DN from the route on
// (a made call: ThisDN, and OtherDN once it rang); on a consultation's
// ConnID its two DNs:
//  attach: add the keys, replace the values of keys it has; delete: remove
//  the keys given, all when none is given; EventAttachedDataChanged to each
//  DN party. Every later event of the call carries the data.
// TSendDTMF from the agent DN of an [established] call: one INFO
//  (application/dtmf-relay) per digit on the customer leg (on a talking
//  consultation's ConnID: the consulted DN's), EventDTMFSent on the agent DN. sipcc does not wait for the INFOs' responses: a digit the
//  customer side refuses is lost, as it would be in the RTP stream.
//
// Conferences, recording and a treatment after the first move a party's
// media to the media server one party at a time, one operation at a time:
// INVITE the media server (a new leg) with the SDP the party last sent, then
// re-INVITE the party with the media server's answer.
//  conf_join (sip:conf=<id>, RFC 4240) / record_start (sip:conf=rec-<ConnID>-<n>
//  ;record=<ConnID>-<n>.wav: both directions of both parties in one file):
//     [established]: the customer, then the agent, each to its own conference
//     leg; a call waiting at the Routing Point with its customer answered
//     (a treatment): the customer only, and the treatment's leg is BYEd
//     (EventTreatmentEnd). Done: conf_result, or for a recording the call's
//     user data RecordingFile / RecordingState=on and EventAttachedDataChanged.
//     The media server or the customer refusing: conf_result / EventError
//     with the status, nothing changed; the agent refusing: the customer is
//     taken back out first (as conf_leave), then the error.
//  conf_leave / record_stop: re-INVITE the customer with the agent's last SDP,
//     then the agent with the customer's answer, BYE each conference leg once
//     its party left it (a waiting customer: the BYE only, it hears nothing
//     until the router acts). RecordingState=off, EventAttachedDataChanged.
//     The media server hanging up a conference leg, or going out of service
//     (media_lost), takes the call out the same way; a 3pcc conference's
//     consulted DN leaves it first (EventReleased, EventPartyDeleted).
//  treatment on a customer answered already: INVITE the media server, re-INVITE
//     the customer with its answer, then BYE the previous treatment (its
//     EventTreatmentEnd) and EventTreatmentApplied; a refusal on the way:
//     EventTreatmentNotApplied, the previous treatment plays on.
//  Meanwhile a party's re-INVITE gets 491; once in a conference, a party's
//  re-INVITE is answered with the SDP it last got (a session refresh: the
//  media server keeps what it has). Hold, transfers and a second operation
//  are refused while in a conference; a route of a waiting customer in one
//  BYEs its conference leg when the agent is connected.
// TAnswerCall from the DN a call rings at (callctl/model/remote_answer.hpp): a
// routed call's agent DN in [alerting], a made call's OtherDN in [calling] /
// [ringback], a consultation's consulted DN while it is dialled:
//  talk: NOTIFY Event: talk on its leg; answer-after: nothing (the
//  phone answers by itself). The phone's answer then goes on as usual
//  (EventEstablished); the phone refusing the NOTIFY, or the call leaving
//  the DN first (no answer, refusal, release): EventError on that DN.
//
// Timers carry a generation: CAF 0.17 cannot cancel them, a stale one is ignored.
// So do agent legs: an event for any leg but the current one is ignored.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sipcc/v1/media.pb.h"
#include "sipcc/v1/tlib.pb.h"

namespace sipcc {

// routing, alerting, connecting: a routed or direct call being set up;
// dialing, calling, ringback, joining: a desktop-made call being set up.
enum class call_state {
  routing, alerting, connecting, dialing, calling, ringback, joining, established, ended
};
const char* to_string(call_state s);

// How the call started; it decides how its first legs are set up.
enum class call_kind {
  routed,  // a customer's INVITE at a Routing Point (incoming)
  direct,  // a phone registered on sipcc calling out (incoming_direct)
  made,    // TMakeCall (make_call), or a consultation that outlived its call
};

// How many times sipcc sends one re-INVITE of its own that gets 491.
inline constexpr uint32_t kMaxReinviteTries = 3;

// Where a hold or retrieve is: re-INVITing the customer, then the agent;
// `undo`: the agent refused, the customer is re-INVITEd back.
enum class hold_step { none, customer, agent, undo };

// The media-server leg of a treatment: none, INVITEd, answered (playing), or
// CANCELled while its 2xx may still come (that one gets a BYE).
enum class media_state { none, starting, playing, stopping };

// What moves a party's media to the media server (conferences, recording, a
// treatment after the first); none when nothing does.
enum class mix_op { none, join, leave, treat };

// What no-answer supervision does when the agent does not answer in time.
struct no_answer_policy {
  uint32_t timeout_s = 0;   // 0 = no supervision
  // "recall" (back to the Routing Point), "release", or a DN to route to
  // (for instance the agent's voicemail).
  std::string overflow = "recall";
  // "none", "notready", "logout": what happens to the agent who did not answer
  // (carried out by presence on the agent DN; the FSM only reports it).
  std::string action = "none";
};

// Where a route goes: the DN and how to reach it on Asterisk.
struct route_target {
  std::string dn;
  std::string contact_uri;  // sip:1000@127.0.0.1:5070
  no_answer_policy no_answer;
  // For a Voicemail DN: the mailbox the caller leaves a message in (or, with
  // `listen`, the phone's own mailbox whose messages it hears), and the DN
  // the call was diverted from (its Diversion); empty otherwise.
  std::string mailbox;
  std::string diverted_from;
  bool listen = false;
  // Record the call once established: the DN's `record` option, or the
  // TRouteCall Extensions `record` (source or destination).
  bool record = false;
};

// transfers (call_fsm_transfer.cpp)
// Transfers of an [established] call by its agent DN (A). sipcc is a
// B2BUA: A's phone keeps its one dialog with sipcc, which re-points its media
// with re-INVITEs, so the phone needs no second line. The customer gets no
// events unless it is a DN (a made call's OtherDN).
//
// TSingleStepTransfer(A, ConnID, OtherDN B): BYE A, EventReleased(A,
//   ThirdPartyDN B), fact A off; then B is routed to as after a treatment
//   (flow I: INVITE without SDP, its 2xx offer re-INVITEs the customer, the
//   answer goes in B's ACK), without EventRouteUsed: [alerting] ->
//   [connecting] -> [established] with B as the agent DN, its EventRinging /
//   EventEstablished (and EventReleased / EventAbandoned if it fails) naming
//   A as ThirdPartyDN. EventPartyChanged would go to the other DN parties:
//   there are none (the customer is no DN). B failing, not answering or
//   rejecting is what it is for any route: the call is recalled to the
//   Routing Point (EventRouteRequest) or overflows by B's no-answer policy;
//   the RP gets no EventAbandoned for a caller leaving while B rings (the
//   RP's part ended with its route). A call without a Routing Point (made,
//   direct) is released instead of recalled.
//
// TInitiateTransfer(A, C1, OtherDN B) -> consult:
//  [holding]  the customer is held as THoldCall does (customer a=sendonly,
//             then A a=inactive; a refusal takes the customer back):
//             EventHeld(A, C1); refused: EventError, no consultation.
//             (A call held already skips this.)
//  [dialing]  consultation ConnID C2 (the request's TransferConnID, filled
//             by callctl) joins the call; fact A and B on for C2; B INVITEd
//             without SDP, From A; EventDialing(A, C2, OtherDN B,
//             TransferConnID C1); 18x: EventRinging(B, C2, OtherDN A);
//             B >= 300: EventReleased(A, C2) (and B if it rang), C1 stays held
//  [joining]  B's 2xx offer re-INVITEs A; A's answer goes in B's ACK ->
//             EventEstablished on B and A (C2); A refusing: B is ACKed with
//             an answer rejecting its streams and BYEd, C2 released
//  [talking]  A <-> B, the customer held
//   TCompleteTransfer (C1 or C2): the customer is offered B's media
//     (sendrecv); on its 2xx: BYE A, EventReleased(A, C2), EventReleased(A,
//     C1), EventPartyChanged(B, ConnID C1, PreviousConnID C2, OtherDN the
//     customer, ThirdPartyDN A), facts moved; B is the agent DN of C1 from
//     now on and is re-INVITEd with the customer's answer (refused: the call
//     cannot be joined and is released). The customer refusing: EventError,
//     nothing changed.
//   TReconnectCall: BYE B (CANCEL while [dialing]), EventReleased(A, C2)
//     (and B), then the customer and A are taken back (both sendrecv):
//     EventRetrieved(A, C1).
//   TAlternateCall: [talking] -> [alternated]: B held (sendonly), the
//     customer retrieved, A given the customer's media: EventHeld(A, C2),
//     EventRetrieved(A, C1); and back: EventHeld(A, C1), EventRetrieved(A, C2).
//     A refused move takes the done ones back, then EventError.
//   TReleaseCall on C2 (from A or B): as TReconnectCall without the retrieve.
//   B hangs up: C2 released on both DNs; C1 stays as it is (held: the
//     desktop retrieves it). A hangs up: both calls end (C2 with
//     EventReleased on A and B, C1 with EventReleased on A): A has one phone
//     dialog. The customer hangs up while [talking] or [alternated]: C1 is
//     released (EventReleased(A, C1), fact off) and C2 goes on as a call of
//     its own, as on a desk phone: ConnID C2, A its agent, B its customer (a
//     DN: EventReleased on both at its end), [established], held when it was
//     [alternated]; TReleaseCall, hold, transfers and the rest work on it.
//     Before that (holding, dialing, joining) both calls end as for A.
// Every re-INVITE is one at a time: a re-INVITE from any leg meanwhile, or
// while a consultation is up, gets 491; THoldCall / TRetrieveCall are
// refused (TAlternateCall and TReconnectCall move between the calls).
// On C2 A may also send DTMF (to B), and A or B change user data.
// Offers derive from the last SDP each party sent (hold_offer: its o=
// version one up, the direction set). Events on C2 carry the call's user data.
//
// 3pcc conferences: TInitiateConference is TInitiateTransfer's consultation
// (the same events), remembered as one for a conference.
//  TCompleteConference(A, C1 or C2) in [talking] / [alternated]: the
//    customer, A, then B each join conference C1 on the media server as
//    conf_join does (sendrecv offers from what each sent last); done:
//    EventReleased(A, C2), facts moved, EventPartyChanged(B, ConnID C1,
//    PreviousConnID C2, ThirdPartyDN A), EventPartyAdded on A (ThirdPartyDN
//    B) and on B (ThirdPartyDN A) -> [conferenced], all on C1. A refusal on
//    the way (the media server or a party): the conference legs made so far
//    are BYEd, then, as TAlternateCall from [talking], the customer is
//    offered A's media (sendrecv), A the customer's (sendrecv) and B A's
//    (sendonly), one re-INVITE at a time; a party still as it should be and
//    in no conference is skipped. Done: EventError(A, "conference: <why>"),
//    and from [talking] EventHeld(A, C2), EventRetrieved(A, C1) ->
//    [alternated]: the consultation call stays (as Genesys leaves it), for
//    TAlternateCall, TCompleteTransfer, another TCompleteConference or its
//    release. One of these re-INVITEs refused: the ones after it are not
//    sent, the EventError says both whys, and the state follows what the
//    parties accepted (the customer not back: still [talking], C1 held).
//  [conferenced] TDeleteFromConference(ThisDN a party, OtherDN B) or B
//    hanging up / TReleaseCall from B: BYE B and its conference leg,
//    EventReleased(B), EventPartyDeleted(A, ThirdPartyDN B); the last two
//    (customer and A) are joined back directly (conf_leave). OtherDN A, A
//    hanging up or A's TReleaseCall: the same with B taking A's place as the
//    call's agent DN. The customer hanging up ends it for everyone. A
//    session refresh from any party is answered with the SDP it last got.
// The parties whose media a transfer moves: the customer, the agent (the DN
// that has the call) and the DN a consultation call reached.
enum class party { customer, agent, consult };

// Where TInitiateTransfer's consultation call is.
enum class consult_state {
  none,
  holding,     // the customer is being held (a move plan), then the consultation is dialled
  dialing,     // the consultation leg rings: INVITEd without SDP (flow I)
  joining,     // it answered with an offer; the agent's phone is re-INVITEd with it
  talking,     // the agent talks to the consulted DN, the customer is held
  alternated,  // after TAlternateCall: the agent talks to the customer, the consulted DN is held
  // after TCompleteConference: the customer, the agent and the consulted DN
  // in conference <ConnID> on the media server, all on ConnID
  conferenced,
};

// What a party's leg was last offered: the media of party `from`, in direction `dir`.
struct media_view {
  party from = party::agent;
  std::string dir = "sendrecv";
};

// One re-INVITE of a move plan: party `to` is offered `view`; `before` is
// what it had, for taking the move back when a later one is refused.
struct media_move {
  party to = party::customer;
  media_view view, before;
};

// What a plan of moves carries out, which says what its end and failure do.
enum class plan_goal {
  none,          // nothing: the request it served is over (the consulted DN left)
  consult_hold,  // TInitiateTransfer: hold the customer, then dial
  join_consult,  // the consulted DN answered: the agent's phone gets its offer
  alternate,     // TAlternateCall
  complete,      // TCompleteTransfer: the customer gets the consulted DN's media
  join_target,   // ... then the consulted DN, now the agent, the customer's
  retrieve,      // TReconnectCall: the customer and the agent back together
  // TCompleteConference refused: the customer and the agent back together,
  // the consulted DN held (plan_error starts with the conference's why)
  conference_back,
};

struct call {
  call_state state = call_state::routing;
  call_kind kind = call_kind::routed;
  // conn_id is set by the actor before the incoming event; it may also fill
  // rp, customer_leg and customer_sdp then (incoming sets them again).
  std::string conn_id;
  std::string rp;            // the Routing Point (DNIS); empty for a call without one
  std::string ani, dnis;
  std::string call_id;       // the inbound INVITE's Call-ID, for the desktops
  std::string ani_name;      // the caller's display name, for the desktops
  std::string inbound_leg;   // the leg whose INVITE came in (routed: the customer's)
  std::string customer_leg;  // the far party's leg
  std::string customer_sdp;  // the customer's offer
  std::string agent_leg;     // the agent's leg (a routed call: the current outbound one)
  std::string agent_dn;
  // The far party as the agent DN's events name it (other_dn) when it is not
  // the ANI (a made call's OtherDN, a direct call's target), and whether it is
  // a configured Extension or ACDPosition, which gets events and facts.
  std::string far_dn;
  bool far_is_dn = false;
  bool far_rang = false;     // EventRinging went to far_dn
  // A made call: the phones' URIs, and the offer in the agent phone's 2xx.
  std::string agent_uri, far_uri;
  std::string agent_offer;
  no_answer_policy no_answer;
  bool agent_rang = false;   // EventRinging was emitted for the current agent leg
  uint32_t outbound_legs = 0;   // to name the next outbound leg <ConnID>-<n>
  // The treatment's media-server leg, and whether the customer's INVITE was
  // answered by it (then routes take RFC 3725 flow I: `handover`).
  std::string media_leg;
  media_state media = media_state::none;
  // A collecting treatment: the digits its media server sent so far (SIP
  // INFO), reported with EventTreatmentEnd.
  bool media_collects = false;
  std::string collected;
  bool customer_answered = false;
  bool handover = false;     // the agent leg was INVITEd without SDP, its ACK is ours
  uint64_t timer_gen = 0;    // router / no-answer timer generation
  // The leg whose re-INVITE is being passed to the other side (one at a time:
  // a re-INVITE from either side meanwhile gets 491, RFC 3261 14.1).
  std::string reinvite_from;
  bool reinvite_update = false;  // ... and it was an UPDATE
  // The last SDP sipcc sent each side, which its own offers derive from.
  std::string sdp_to_customer, sdp_to_agent;
  std::string sdp_to_consult;  // ... and the consulted DN in a 3pcc conference
  bool held = false;
  hold_step holding = hold_step::none;
  bool hold_wanted = false;   // holding: to hold (or to retrieve)
  std::string hold_error;     // undo: why, for the EventError at its end
  v1::KVList user_data;
  // Conferences, recording and a treatment after the first (see mix_op).
  std::string conf_id;           // the conference the parties' media goes through; empty: none
  bool recording = false;        // ... and it is this call's recording
  std::string record_file;       // <ConnID>-<n>.wav
  uint32_t recordings = 0;
  bool record_when_established = false;
  std::string customer_conf_leg, agent_conf_leg, consult_conf_leg;  // each party's conference leg
  mix_op mixing = mix_op::none;
  party mix_at = party::customer;  // the party the operation is at
  bool mix_three = false;        // a join of the consulted DN too (TCompleteConference)
  bool mix_ms_answered = false;  // mix_leg answered: the party's re-INVITE is out
  std::string mix_leg;           // the media-server leg being set up
  std::string mix_uri;
  bool mix_collects = false;     // treat: a collecting treatment
  v1::TreatmentType mix_treatment_type = v1::TREATMENT_UNSPECIFIED;  // treat
  v1::KVList mix_treatment_parms;                                   // treat
  std::string mix_error;         // a join being undone: why, for its result
  std::string mix_offer;         // the re-INVITE out to the party (its last SDP from sipcc once accepted)
  // A TAnswerCall was accepted for DN answer_dn ringing on leg answer_leg:
  // its EventEstablished answers it, or an EventError if the leg goes first.
  bool answering = false;
  std::string answer_dn, answer_leg;
  // sipcc's own re-INVITE out (glare, above): its leg and offer, how many
  // times it was sent, and whether it waits for its retry timer (retry_gen).
  std::string own_leg, own_sdp;
  uint32_t own_tries = 0;
  bool retry_wait = false;
  uint64_t retry_gen = 0;
  // transfers
  // TSingleStepTransfer: the DN that transferred the call to agent_dn, while
  // it rings and connects there (the ThirdPartyDN of those events).
  std::string transferred_by;
  // TInitiateTransfer: the consultation call (ConnID consult_conn_id) from
  // agent_dn to consult_dn (reached at consult_uri) on leg consult_leg.
  consult_state consult = consult_state::none;
  std::string consult_conn_id, consult_dn, consult_uri, consult_leg;
  bool consult_rang = false;      // EventRinging went to consult_dn
  bool consult_answered = false;  // it reached talking (the consulted DN took the call)
  bool consult_conference = false;  // TInitiateConference: it may become a conference
  // The last SDP each party sent sipcc (indexed by party), which the offers
  // moving media derive from, and what each party's leg was last offered.
  std::array<std::string, 3> sdp_from;
  std::array<media_view, 3> views;
  // The re-INVITEs a transfer request is carrying out, one at a time:
  // moves[move_at] is out; `undoing`: one was refused (plan_error says
  // why) and moves[move_at - 1], ... are being taken back.
  std::vector<media_move> moves;
  size_t move_at = 0;
  bool undoing = false;
  plan_goal goal = plan_goal::none;
  std::string plan_error;
  std::string offered;  // the SDP of the move that is out
};

// The last SDP party `p` sent sipcc (call::sdp_from).
inline std::string& sdp_from(call& c, party p) { return c.sdp_from[static_cast<size_t>(p)]; }
inline const std::string& sdp_from(const call& c, party p) {
  return c.sdp_from[static_cast<size_t>(p)];
}

struct call_event {
  enum kind {
    incoming,            // customer INVITE at the RP (ani, dnis, its leg id in `leg`, sdp)
    // INVITE from the phone of DN `ani` registered on sipcc, as incoming,
    // passed on to `target` (without dn and contact_uri: refused).
    incoming_direct,
    // TMakeCall from ThisDN `dn`, whose phone is at `uri`, to `target`
    // (OtherDN and its URI; `far_is_dn`: a configured Extension or ACDPosition).
    make_call,
    route,               // TRouteCall to `target`
    router_timeout,      // timer with `timer_gen`
    leg_progress,        // 18x on outbound leg `leg`
    leg_answered,        // 2xx on outbound leg `leg`, with `sdp`
    leg_failed,          // final >= 300 (or local timeout) on outbound leg `leg`, `status`
    acked,               // the ACK of our 2xx on the inbound leg
    cancelled,           // CANCEL on the inbound leg
    customer_bye,        // the customer (far party) hung up
    leg_bye,             // BYE on leg `leg`, not the customer's
    release,             // TReleaseCall from `dn`
    // Timer with `timer_gen`. When the call's no_answer.overflow names a DN,
    // the actor fills `target` for that DN; without it the call is recalled.
    no_answer_timeout,
    ringback_timeout,    // a made call's ringback timer, with `timer_gen`
    retry_timeout,       // the 491 retry timer, with `timer_gen` (call::retry_gen)
    reinvite,            // a re-INVITE arrived on leg `leg` (either side) with `sdp`
    reinvite_answered,   // our re-INVITE on leg `leg` got a 2xx with `sdp`
    reinvite_failed,     // our re-INVITE on leg `leg` failed with `status` (491: glare)
    treatment,           // TApplyTreatment accepted (treatment_refusal empty): INVITE `uri`
    media_answered,      // 2xx on the media-server leg `leg`, with `sdp`
    media_failed,        // final >= 300, timeout or loss of the media-server leg `leg`, `status`
    media_bye,           // the media server hung up leg `leg`
    media_lost,          // leg `leg`'s media server went out of service (`text` says so)
    media_digit,         // the media server on leg `leg` collected `digit`
    // TAttachUserData / TUpdateUserData (`user_data` added or replaced) or,
    // with `delete_data`, TDeleteUserData from `dn` (user_data_refusal empty).
    user_data_change,
    send_dtmf,           // TSendDTMF of `digits` from `dn` (dtmf_refusal empty, digits valid)
    hold,                // THoldCall from `dn` (hold_refusal empty)
    retrieve,            // TRetrieveCall from `dn` (hold_refusal empty)
    // conferences and recording (mix_refusal empty)
    conf_join,           // into conference `conf_id` at `uri`
    conf_leave,
    record_start,
    record_stop,
    // TAnswerCall from `dn` (answer_refusal empty); with `talk` the phone is
    // sent NOTIFY Event: talk, else it answers by itself (answer-after).
    answer,
    talk_failed,         // the phone on agent leg `leg` refused the talk NOTIFY with `status`
    // transfers: requests from `dn` on ConnID `conn_id` (transfer_refusal empty)
    single_step_transfer,  // TSingleStepTransfer to `target`
    initiate_transfer,     // TInitiateTransfer to `target`; `transfer_conn_id`: the new ConnID
    complete_transfer,     // TCompleteTransfer
    reconnect_call,        // TReconnectCall
    alternate_call,        // TAlternateCall
    // 3pcc conferences (TInitiateConference is initiate_transfer with `conference`)
    complete_conference,   // TCompleteConference
    delete_from_conference,  // TDeleteFromConference of `target.dn`
  } what;
  call_event(kind k) : what(k) {}
  std::string leg;
  std::string sdp;
  bool update = false;       // reinvite*: the offer came, or went, in an UPDATE
  uint32_t status = 0;
  uint64_t timer_gen = 0;
  // route; the overflow DN for no_answer_timeout (router_timeout uses
  // call_settings::default_route).
  route_target target;
  std::string dn;            // ThisDN of release, user_data_change, send_dtmf, hold, retrieve
  std::string ani, dnis;     // incoming
  std::string uri;           // treatment: the media server's Request-URI
  std::string text;          // media_lost: why, for the events
  bool collects = false;     // treatment: it collects digits
  // treatment: what was asked, for the media service to place it.
  v1::TreatmentType treatment_type = v1::TREATMENT_UNSPECIFIED;
  v1::KVList treatment_parms;
  char digit = 0;            // media_digit
  v1::KVList user_data;      // user_data
  bool delete_data = false;  // user_data: remove these keys (all when empty)
  std::string digits;        // send_dtmf
  std::string conf_id;       // conf_join
  bool talk = false;         // answer
  bool far_is_dn = false;    // make_call
  // transfers: the ConnID a request names (release included: the
  // consultation call's is its own), and its TransferConnID.
  std::string conn_id;
  std::string transfer_conn_id;
  bool conference = false;   // initiate_transfer: for TCompleteConference
};

struct call_action {
  enum kind {
    respond_inbound,    // status (+ sdp) to the inbound INVITE (call::inbound_leg)
    invite_leg,         // new leg `leg` to `uri` with `sdp`; `dn` called, `caller` the
                        // From user (empty: the ANI), `own_phone` the agent DN's own
                        // phone, `ring_ms` how long the edge lets it ring; for voicemail
                        // `mailbox`, `other_dn` (diverted from) and `listen`; with
                        // `ack_later` no SDP, and the 2xx waits for ack_leg
    invite_media,       // new media-server leg `leg` to `uri` with `sdp` (the customer's offer)
    ack_leg,            // ACK the 2xx of leg `leg` (INVITEd with ack_later) with `sdp`
    cancel_leg,         // CANCEL leg `leg` (an agent's or the media server's)
    bye_leg,            // BYE leg `leg` (an agent's or the media server's)
    bye_customer,       // BYE the customer's leg
    emit,               // T-Library event `event` for DN `dn` (other_dn set as T-Library does;
                        // `text`, when set, is the Reason; for EventError the message)
    call_fact,          // sipcc.dn.calls.<dn> active / not
    // In `ms` (to `max_ms`: the actor draws the delay), the event `timer`
    // tagged with `gen`; at most one per step and kind.
    arm_timer,
    agent_no_answer,    // tell presence what to do with agent DN `dn` (`text` = action)
    reinvite_leg,       // send a re-INVITE (an UPDATE if `update`) with `sdp` on leg `leg`
    respond_leg,        // answer the re-INVITE (UPDATE if `update`) pending on leg `leg`
                        // with `status` (+ `sdp`)
    info_leg,           // send an INFO with `content_type` and `body` on leg `leg`
    conf_result,        // conf_join / conf_leave done: `text` empty, or why not
    end,                // the call is over: the actor stops after these actions
    talk_leg,           // send NOTIFY Event: talk on leg `leg` (TAnswerCall)
    // transfers
    conn_alias,         // requests on ConnID `conn_id` reach this call (`active`) or no longer
  } what;
  std::string leg;
  std::string uri;
  std::string sdp;
  bool update = false;
  bool ack_later = false;
  uint32_t status = 0;
  v1::EventType event = v1::EVENT_UNSPECIFIED;
  std::string dn;
  std::string other_dn;
  bool active = false;
  bool answered = false;  // call_fact off: the agent had answered the call
  uint32_t ms = 0;
  uint32_t max_ms = 0;
  call_event::kind timer = call_event::router_timeout;  // arm_timer
  uint64_t gen = 0;                                     // arm_timer
  bool own_phone = false;   // invite_leg
  uint32_t ring_ms = 0;     // invite_leg
  std::string text;       // respond_inbound: the phrase (empty: the standard one)
  // emit: the event may be the reply a request waits for; not so for one a
  // request was answered otherwise (user data changes reply at once).
  bool reply = true;
  std::string mailbox;
  bool listen = false;
  // emit EventTreatmentEnd of a collecting treatment: the digits collected.
  bool collects = false;
  // ... or, for EventDTMFSent, the digits sent.
  std::string digits;
  std::string content_type;  // info_leg
  std::string body;          // info_leg
  // transfers
  std::string conn_id;           // emit, call_fact, conn_alias: a ConnID not the call's own
  std::string third_party_dn;    // emit: ThirdPartyDN
  std::string transfer_conn_id;  // emit: TransferConnID
  std::string previous_conn_id;  // emit: PreviousConnID
  std::string caller;            // invite_leg: the From user when not the ANI
  // invite_media: what the leg is for, as the media service counts it, with
  // the conference (conference and recording legs) and the recording's file.
  v1::MediaKind media_kind = v1::MEDIA_KIND_UNSPECIFIED;
  std::string conf_id;
  std::string record_file;
  // invite_media of a treatment: its type and parameters (the media service
  // checks them against what each server serves).
  v1::TreatmentType treatment_type = v1::TREATMENT_UNSPECIFIED;
  v1::KVList treatment_parms;
};

struct call_settings {
  uint32_t router_timeout_s = 30;   // 0 = wait for the router forever
  // Where the router timeout sends a call; without a dn and contact_uri the
  // caller gets 480 and the RP EventAbandoned.
  route_target default_route;
  bool routing_point = true;        // the dialled number is a configured Routing Point
  std::string media_server;         // host:port of the media server (recording URIs)
  // How long a made call's agent 2xx may wait for its ACK before it gets
  // inactive_answer (make-call-ringback-timeout; 0: no bound).
  uint32_t ringback_ms = 0;
};

// Advances the call; an event that makes no sense in the state (stale leg,
// late timer, a route target without dn or contact_uri) gives no actions.
// Never throws. The requests are checked before they come here
// (call_requests.hpp): a request that would be refused gives no actions.
std::vector<call_action> call_step(call& c, const call_event& ev, const call_settings& cfg);

// The far party as events on the agent DN name it: the ANI of a routed
// call, far_dn of the others.
const std::string& far(const call& c);

// Whether leg `leg` is one of the call's media-server legs (a treatment's,
// a conference's, or one being set up).
bool is_media_leg(const call& c, const std::string& leg);

// Where the call rings at DN `dn` for TAnswerCall: the leg and whether its
// phone sent an 18x (an early dialog to send talk in). `party` says that
// `dn` is a DN of the call that rings when called (routed: the agent DN; made:
// a configured OtherDN; a consultation's DN), `ringing` that it rings now.
struct ringing_leg {
  bool party = false;
  bool ringing = false;
  std::string leg;
  bool rang = false;
};
ringing_leg rings_at(const call& c, const std::string& dn);

// No-answer settings by precedence: call Extensions (NO_ANSWER_TIMEOUT,
// NO_ANSWER_OVERFLOW, NO_ANSWER_ACTION) > Agent Login options > DN options >
// application options (agent-no-answer-* for an agent, extn-no-answer-* for
// an extension without an agent). Each source is a key/value map with the
// option names of its level; each field is resolved on its own, and missing
// keys or unusable values (a timeout that is not whole seconds, an unknown
// action, an empty overflow; Extensions may be str or num) fall through.
// There is no DN-level action and no extn-no-answer-action.
struct no_answer_sources {
  const v1::KVList* extensions = nullptr;
  // Only for a logged-in agent.
  const std::map<std::string, std::string>* agent_options = nullptr;  // no-answer-*
  const std::map<std::string, std::string>* dn_options = nullptr;     // no-answer-*
  const std::map<std::string, std::string>* app_options = nullptr;
  bool agent_logged_in = false;
};
no_answer_policy resolve_no_answer(const no_answer_sources& src);

}  // namespace sipcc
