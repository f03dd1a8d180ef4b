// Desktop-made calls (TMakeCall, call_fsm.hpp): each row is a ladder of
// events fed to call_step() after the make_call event, with the actions of
// each step (written as short text) and the state it leaves.
#include "callctl/model/call_fsm.hpp"
#include "callctl/model/call_requests.hpp"
#include "callctl/model/sdp.hpp"

#include <gtest/gtest.h>

#include "kvlist.hpp"

#include <string>
#include <vector>

namespace sipcc {
namespace {

using lines = std::vector<std::string>;

std::string text(const call_action& a) {
  switch (a.what) {
    case call_action::invite_leg:
      return "invite " + a.leg + " " + a.uri + " from " + a.caller +
             (a.ack_later ? " ack_later" : " sdp=" + a.sdp);
    case call_action::ack_leg: return "ack " + a.leg + " sdp=" + a.sdp;
    case call_action::reinvite_leg:
      return (a.update ? "update " : "reinvite ") + a.leg + " sdp=" + a.sdp;
    case call_action::respond_leg:
      return "respond " + a.leg + (a.update ? " update " : " ") + std::to_string(a.status) +
             (a.sdp.empty() ? "" : " sdp=" + a.sdp);
    case call_action::info_leg: return "info " + a.leg + " " + a.content_type + " " + a.body;
    case call_action::arm_timer:
      return "timer " + std::to_string(a.ms) +
             (a.max_ms == a.ms ? "" : "-" + std::to_string(a.max_ms)) + "ms";
    case call_action::cancel_leg: return "cancel " + a.leg;
    case call_action::bye_leg: return "bye " + a.leg;
    case call_action::bye_customer: return "bye C-2";  // the destination's leg
    case call_action::emit:
      return v1::EventType_Name(a.event) + " " + a.dn + " other=" + a.other_dn +
             (a.text.empty() ? "" : " reason=" + a.text) +
             (a.digits.empty() ? "" : " digits=" + a.digits);
    case call_action::call_fact:
      return "fact " + a.dn + (a.active ? " on" : " off") + (a.answered ? " answered" : "");
    case call_action::end: return "end";
    default: return "?";
  }
}

lines texts(const std::vector<call_action>& actions) {
  lines l;
  for (auto& a : actions)
    l.push_back(text(a));
  return l;
}

const call_settings kSettings = [] {
  call_settings s;
  s.ringback_ms = 10000;
  return s;
}();

// TMakeCall from 1000 (at sip:1000@ast) to 2000 (at sip:2000@ast; with
// `other_configured` an ACDPosition, which gets events and facts).
call_event make_call_event(bool other_configured) {
  call_event e(call_event::make_call);
  e.dn = "1000";
  e.uri = "sip:1000@ast";
  e.target.dn = "2000";
  e.target.contact_uri = "sip:2000@ast";
  e.far_is_dn = other_configured;
  return e;
}

call new_call() {
  call c;
  c.conn_id = "C";
  return c;
}

// The legs: the agent's phone C-1, the destination C-2.
using E = call_event;
E on(E::kind k, const std::string& leg, const std::string& sdp = "", uint32_t status = 0) {
  E e(k);
  e.leg = leg;
  e.sdp = sdp;
  e.status = status;
  return e;
}

// A request from DN `dn`.
E from(E::kind k, const std::string& dn, const std::string& digits = "") {
  E e(k);
  e.dn = dn;
  e.digits = digits;
  return e;
}

E data(const std::string& dn, const v1::KVList& pairs, bool remove = false) {
  E e(E::user_data_change);
  e.dn = dn;
  e.user_data = pairs;
  e.delete_data = remove;
  return e;
}

E offer_from(const std::string& leg, const std::string& sdp, bool update = false) {
  E e = on(E::reinvite, leg, sdp);
  e.update = update;
  return e;
}

// The ringback timer of generation `gen`, and the 491 retry timer.
E timer(uint64_t gen) {
  E e(E::ringback_timeout);
  e.timer_gen = gen;
  return e;
}
E retry(uint64_t gen) {
  E e(E::retry_timeout);
  e.timer_gen = gen;
  return e;
}
// TReleaseCall from ThisDN.
const E kRelease = [] {
  E e(E::release);
  e.dn = "1000";
  return e;
}();

template <class T>
std::vector<T> operator+(std::vector<T> a, const std::vector<T>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct step_row {
  E event;
  lines actions;
  call_state after;
};

struct scenario {
  const char* name;
  bool other_configured;
  std::vector<step_row> steps;
};

const lines kStartConfigured = {"fact 1000 on", "fact 2000 on", "EventDialing 1000 other=2000",
                                "invite C-1 sip:1000@ast from 2000 ack_later"};
const lines kStartNumber = {"fact 1000 on", "EventDialing 1000 other=2000",
                            "invite C-1 sip:1000@ast from 2000 ack_later"};

const E kAgentOffer = on(E::leg_answered, "C-1", "offer");
// The agent's offer, once unwanted, is ACKed with an answer rejecting it.
const std::string kReject = rejecting_answer("offer");
// The agent's 2xx arms the ringback timer (generation 1).
const lines kInviteDest = {"invite C-2 sip:2000@ast from 1000 sdp=offer", "timer 10000ms"};
const lines kEstablishedBoth = {"ack C-1 sdp=answer", "EventEstablished 1000 other=2000",
                                "EventEstablished 2000 other=1000"};

// Real SDP for the ringback rows, whose answers and offers derive from it.
const std::string kAgentSdp =
    "v=0\r\no=agent 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\n"
    "m=audio 32000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
const std::string kDestSdp =
    "v=0\r\no=dest 5 1 IN IP4 10.0.0.3\r\ns=-\r\nc=IN IP4 10.0.0.3\r\nt=0 0\r\n"
    "m=audio 34000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
// The agent's phone is ACKed with an inactive answer of sipcc's session
// (sofia prints the rtpmap before a=inactive)...
const std::string kInactive =
    "v=0\r\no=sipcc 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
    "m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=inactive\r\n";
// ... and re-INVITEd with the destination's media (the actor's stamp_origin
// keeps it in that session, version 2).
const std::string kJoin = kDestSdp;
const E kAgentSdpOffer = on(E::leg_answered, "C-1", kAgentSdp);
const lines kInviteDestSdp = {"invite C-2 sip:2000@ast from 1000 sdp=" + kAgentSdp,
                              "timer 10000ms"};
const lines kRingbackAck = {"ack C-1 sdp=" + kInactive};
const lines kJoinAgent = {"reinvite C-1 sdp=" + kJoin};
const lines kUpBoth = {"EventEstablished 1000 other=2000", "EventEstablished 2000 other=1000"};

// The end of a call that was up on both configured DNs.
const lines kReleasedUpBoth = {"EventReleased 1000 other=2000", "fact 1000 off answered",
                               "EventReleased 2000 other=1000", "fact 2000 off answered", "end"};

const std::vector<scenario> kScenarios = {
    {"the destination answers after the ringback bound",
     true,
     {{kAgentSdpOffer, kInviteDestSdp, call_state::calling},
      {on(E::leg_progress, "C-2"), {"EventRinging 2000 other=1000"}, call_state::calling},
      {timer(1), kRingbackAck, call_state::ringback},
      {on(E::leg_progress, "C-2"), {}, call_state::ringback},
      {on(E::leg_answered, "C-2", kDestSdp), kJoinAgent, call_state::joining},
      {on(E::reinvite_answered, "C-1", "agent answer"), kUpBoth, call_state::established},
      {on(E::leg_bye, "C-1"), lines{"bye C-2"} + kReleasedUpBoth, call_state::ended}}},
    {"a destination answering in time makes the ringback timer stale",
     false,
     {{kAgentSdpOffer, kInviteDestSdp, call_state::calling},
      {on(E::leg_answered, "C-2", kDestSdp),
       {"ack C-1 sdp=" + kDestSdp, "EventEstablished 1000 other=2000"},
       call_state::established},
      {timer(1), {}, call_state::established}}},
    {"a timer of an older generation does not ring back",
     false,
     {{kAgentSdpOffer, kInviteDestSdp, call_state::calling},
      {timer(0), {}, call_state::calling},
      {timer(1), kRingbackAck, call_state::ringback},
      {timer(1), {}, call_state::ringback}}},
    {"the destination refuses after the ringback",
     true,
     {{kAgentSdpOffer, kInviteDestSdp, call_state::calling},
      {timer(1), kRingbackAck, call_state::ringback},
      {on(E::leg_failed, "C-2", "", 408),
       {"bye C-1", "EventReleased 1000 other=2000 reason=destination answered 408", "fact 1000 off",
        "fact 2000 off", "end"},
       call_state::ended}}},
    {"TReleaseCall during the ringback",
     true,
     {{kAgentSdpOffer, kInviteDestSdp, call_state::calling},
      {on(E::leg_progress, "C-2"), {"EventRinging 2000 other=1000"}, call_state::calling},
      {timer(1), kRingbackAck, call_state::ringback},
      {kRelease,
       {"cancel C-2", "bye C-1", "EventReleased 1000 other=2000", "fact 1000 off",
        "EventReleased 2000 other=1000", "fact 2000 off", "end"},
       call_state::ended}}},
    {"the agent hangs up during the ringback",
     false,
     {{kAgentSdpOffer, kInviteDestSdp, call_state::calling},
      {timer(1), kRingbackAck, call_state::ringback},
      {on(E::leg_bye, "C-1"),
       {"cancel C-2", "EventReleased 1000 other=2000", "fact 1000 off", "end"},
       call_state::ended}}},
    {"a destination answer without an o= line cannot be offered to the agent",
     false,
     {{kAgentSdpOffer, kInviteDestSdp, call_state::calling},
      {timer(1), kRingbackAck, call_state::ringback},
      {on(E::leg_answered, "C-2", "m=audio 1 RTP/AVP 0\r\n"),
       {"bye C-1", "bye C-2", "EventReleased 1000 other=2000 reason=destination answered without usable SDP",
        "fact 1000 off", "end"},
       call_state::ended}}},
    {"the agent's phone refuses the destination's media",
     true,
     {{kAgentSdpOffer, kInviteDestSdp, call_state::calling},
      {timer(1), kRingbackAck, call_state::ringback},
      {on(E::leg_answered, "C-2", kDestSdp), kJoinAgent, call_state::joining},
      {on(E::reinvite_failed, "C-1", "", 488),
       {"bye C-1", "bye C-2", "EventReleased 1000 other=2000 reason=agent phone refused the destination's media with 488",
        "fact 1000 off",
        "fact 2000 off", "end"},
       call_state::ended}}},
    {"the destination hangs up while the agent's phone is re-INVITEd",
     true,
     {{kAgentSdpOffer, kInviteDestSdp, call_state::calling},
      {on(E::leg_progress, "C-2"), {"EventRinging 2000 other=1000"}, call_state::calling},
      {timer(1), kRingbackAck, call_state::ringback},
      {on(E::leg_answered, "C-2", kDestSdp), kJoinAgent, call_state::joining},
      {E(E::customer_bye),
       {"bye C-1", "EventReleased 1000 other=2000", "fact 1000 off", "EventReleased 2000 other=1000",
        "fact 2000 off", "end"},
       call_state::ended}}},
    {"TReleaseCall while the agent's phone is re-INVITEd",
     false,
     {{kAgentSdpOffer, kInviteDestSdp, call_state::calling},
      {timer(1), kRingbackAck, call_state::ringback},
      {on(E::leg_answered, "C-2", kDestSdp), kJoinAgent, call_state::joining},
      {kRelease,
       {"bye C-1", "bye C-2", "EventReleased 1000 other=2000", "fact 1000 off", "end"},
       call_state::ended}}},
    {"ringback and joining ignore what is not theirs",
     true,
     {{kAgentSdpOffer, kInviteDestSdp, call_state::calling},
      {on(E::reinvite_answered, "C-1", "x"), {}, call_state::calling},
      {timer(1), kRingbackAck, call_state::ringback},
      {on(E::reinvite_answered, "C-1", "x"), {}, call_state::ringback},
      {on(E::leg_answered, "C-1", kAgentSdp), {}, call_state::ringback},
      {E(E::customer_bye), {}, call_state::ringback},
      {on(E::leg_answered, "C-2", kDestSdp), kJoinAgent, call_state::joining},
      {on(E::leg_answered, "C-2", kDestSdp), {}, call_state::joining},
      {on(E::leg_progress, "C-2"), {}, call_state::joining},
      {on(E::reinvite_answered, "C-2", "x"), {}, call_state::joining},
      {on(E::reinvite_failed, "C-2", "", 500), {}, call_state::joining},
      {timer(1), {}, call_state::joining},
      {on(E::reinvite_answered, "C-1", "x"), kUpBoth, call_state::established},
      {on(E::reinvite_failed, "C-1", "", 500), {}, call_state::established}}},
    {"released by TReleaseCall when up",
     true,
     {{kAgentOffer, kInviteDest, call_state::calling},
      {on(E::leg_progress, "C-2"), {"EventRinging 2000 other=1000"}, call_state::calling},
      {on(E::leg_progress, "C-2"), {}, call_state::calling},
      {on(E::leg_answered, "C-2", "answer"), kEstablishedBoth, call_state::established},
      {kRelease,
       lines{"bye C-1", "bye C-2"} + kReleasedUpBoth,
       call_state::ended}}},
    {"the destination hangs up",
     true,
     {{kAgentOffer, kInviteDest, call_state::calling},
      {on(E::leg_answered, "C-2", "answer"), kEstablishedBoth, call_state::established},
      {E(E::customer_bye), lines{"bye C-1"} + kReleasedUpBoth, call_state::ended}}},
    {"the agent hangs up, destination a plain number",
     false,
     {{kAgentOffer, kInviteDest, call_state::calling},
      {on(E::leg_progress, "C-2"), {}, call_state::calling},
      {on(E::leg_answered, "C-2", "answer"),
       {"ack C-1 sdp=answer", "EventEstablished 1000 other=2000"},
       call_state::established},
      {on(E::leg_bye, "C-1"),
       {"bye C-2", "EventReleased 1000 other=2000", "fact 1000 off answered", "end"},
       call_state::ended}}},
    {"the destination is busy",
     true,
     {{kAgentOffer, kInviteDest, call_state::calling},
      {on(E::leg_failed, "C-2", "", 486),
       {"ack C-1 sdp=" + kReject, "bye C-1", "EventReleased 1000 other=2000 reason=destination answered 486", "fact 1000 off",
        "fact 2000 off", "end"},
       call_state::ended}}},
    {"the destination rings out",
     true,
     {{kAgentOffer, kInviteDest, call_state::calling},
      {on(E::leg_progress, "C-2"), {"EventRinging 2000 other=1000"}, call_state::calling},
      {on(E::leg_failed, "C-2", "", 408),
       {"ack C-1 sdp=" + kReject, "bye C-1", "EventReleased 1000 other=2000 reason=destination answered 408",
        "fact 1000 off", "EventReleased 2000 other=1000 reason=destination answered 408",
        "fact 2000 off", "end"},
       call_state::ended}}},
    {"the agent's phone is busy",
     true,
     {{on(E::leg_failed, "C-1", "", 486),
       {"EventReleased 1000 other=2000 reason=agent phone answered 486", "fact 1000 off",
        "fact 2000 off", "end"},
       call_state::ended}}},
    {"the agent's phone answers without an offer",
     false,
     {{on(E::leg_answered, "C-1"),
       {"ack C-1 sdp=", "bye C-1", "EventReleased 1000 other=2000 reason=agent phone sent no offer",
        "fact 1000 off", "end"},
       call_state::ended}}},
    {"TReleaseCall while the agent's phone rings",
     false,
     {{kRelease,
       {"cancel C-1", "EventReleased 1000 other=2000", "fact 1000 off", "end"},
       call_state::ended}}},
    {"TReleaseCall while the destination rings",
     true,
     {{kAgentOffer, kInviteDest, call_state::calling},
      {on(E::leg_progress, "C-2"), {"EventRinging 2000 other=1000"}, call_state::calling},
      {kRelease,
       {"cancel C-2", "ack C-1 sdp=" + kReject, "bye C-1", "EventReleased 1000 other=2000", "fact 1000 off",
        "EventReleased 2000 other=1000", "fact 2000 off", "end"},
       call_state::ended}}},
    {"the agent gives up while the destination rings",
     false,
     {{kAgentOffer, kInviteDest, call_state::calling},
      {on(E::leg_bye, "C-1"),
       {"cancel C-2", "EventReleased 1000 other=2000", "fact 1000 off", "end"},
       call_state::ended}}},
    {"events of other legs and out of place are ignored",
     true,
     {{on(E::leg_answered, "C-9", "offer"), {}, call_state::dialing},
      {on(E::leg_answered, "C-2", "answer"), {}, call_state::dialing},
      {on(E::leg_bye, "C-1"), {}, call_state::dialing},
      {kAgentOffer, kInviteDest, call_state::calling},
      {on(E::leg_answered, "C-1", "offer"), {}, call_state::calling},
      {E(E::customer_bye), {}, call_state::calling},
      {on(E::leg_answered, "C-1", "answer"), {}, call_state::calling},
      {on(E::leg_answered, "C-2", "answer"), kEstablishedBoth, call_state::established},
      {on(E::leg_progress, "C-2"), {}, call_state::established},
      {on(E::leg_failed, "C-2", "", 500), {}, call_state::established},
      {on(E::leg_bye, "C-2"), {}, call_state::established}}},
    {"nothing after the end",
     false,
     {{kRelease,
       {"cancel C-1", "EventReleased 1000 other=2000", "fact 1000 off", "end"},
       call_state::ended},
      {kRelease, {}, call_state::ended},
      {kAgentOffer, {}, call_state::ended}}},
};

// `sdp` with each `edits` pair's first text replaced by its second.
std::string edit(std::string sdp, const std::vector<std::pair<std::string, std::string>>& edits) {
  for (auto& [was, is] : edits)
    sdp.replace(sdp.find(was), was.size(), is);
  return sdp;
}

// Up on both DNs: the destination answered before the ringback bound, so the
// destination last got the agent's offer and the agent the destination's answer.
const std::vector<step_row> kUp = {
    {kAgentSdpOffer, kInviteDestSdp, call_state::calling},
    {on(E::leg_progress, "C-2"), {"EventRinging 2000 other=1000"}, call_state::calling},
    {on(E::leg_answered, "C-2", kDestSdp), lines{"ack C-1 sdp=" + kDestSdp} + kUpBoth,
     call_state::established}};

std::vector<step_row> up_then(std::vector<step_row> rest) {
  auto all = kUp;
  all.insert(all.end(), rest.begin(), rest.end());
  return all;
}

// hold_offer of what each leg last got: the destination sendonly, the
// agent's phone inactive, each one version up; then both back to sendrecv.
const std::string kDestHold = edit(kAgentSdp, {{"1 1 IN", "1 2 IN"}, {"sendrecv", "sendonly"}});
const std::string kAgentHold = edit(kDestSdp, {{"5 1 IN", "5 2 IN"}, {"sendrecv", "inactive"}});
const std::string kDestBack = edit(kAgentSdp, {{"1 1 IN", "1 3 IN"}});
const std::string kAgentBack = edit(kDestSdp, {{"5 1 IN", "5 3 IN"}});
const lines kReleasedByAgent = lines{"bye C-2"} + kReleasedUpBoth;

// The agent's phone refuses the hold the destination took: the destination
// is re-INVITEd back, and its answer ends the request with kAgentRefusedHold.
const std::vector<step_row> kAgentRefusesHold = up_then(
    {{from(E::hold, "1000"), {"reinvite C-2 sdp=" + kDestHold}, call_state::established},
     {on(E::reinvite_answered, "C-2", "recvonly"), {"reinvite C-1 sdp=" + kAgentHold},
      call_state::established},
     {on(E::reinvite_failed, "C-1", "", 488), {"reinvite C-2 sdp=" + kDestBack},
      call_state::established}});
const std::string kAgentRefusedHold =
    "EventError 1000 other=2000 reason=the agent's phone refused the hold offer with 488";

const std::vector<scenario> kMidCallScenarios = {
    {"ThisDN holds and retrieves: the destination first, then the agent's phone",
     true,
     up_then({{from(E::hold, "1000"), {"reinvite C-2 sdp=" + kDestHold}, call_state::established},
              {on(E::reinvite_answered, "C-2", "recvonly"), {"reinvite C-1 sdp=" + kAgentHold},
               call_state::established},
              {on(E::reinvite_answered, "C-1", "inactive"), {"EventHeld 1000 other=2000"},
               call_state::established},
              {from(E::retrieve, "1000"), {"reinvite C-2 sdp=" + kDestBack},
               call_state::established},
              {on(E::reinvite_answered, "C-2", "sendrecv"), {"reinvite C-1 sdp=" + kAgentBack},
               call_state::established},
              {on(E::reinvite_answered, "C-1", "sendrecv"), {"EventRetrieved 1000 other=2000"},
               call_state::established},
              {on(E::leg_bye, "C-1"), kReleasedByAgent, call_state::ended}})},
    {"the destination refuses the hold: nothing changed",
     true,
     up_then({{from(E::hold, "1000"), {"reinvite C-2 sdp=" + kDestHold}, call_state::established},
              {on(E::reinvite_failed, "C-2", "", 488),
               {"EventError 1000 other=2000 reason=the other party refused the hold offer with 488"},
               call_state::established},
              // Not held: a retrieve is no step; a new hold goes out one version up.
              {from(E::retrieve, "1000"), {}, call_state::established},
              {from(E::hold, "1000"),
               {"reinvite C-2 sdp=" + edit(kDestHold, {{"1 2 IN", "1 3 IN"}})},
               call_state::established}})},
    {"the agent's phone refuses the hold: the destination goes back",
     true,
     kAgentRefusesHold + std::vector<step_row>{{on(E::reinvite_answered, "C-2", "sendrecv"),
                                                {kAgentRefusedHold}, call_state::established}}},
    {"hold answers from the wrong leg, and phones' offers meanwhile",
     true,
     up_then({{from(E::hold, "1000"), {"reinvite C-2 sdp=" + kDestHold}, call_state::established},
              {on(E::reinvite_answered, "C-1", "x"), {}, call_state::established},
              {offer_from("C-1", "x"), {"respond C-1 491"}, call_state::established},
              {offer_from("C-2", "x", true), {"respond C-2 update 491"}, call_state::established},
              {from(E::hold, "1000"), {}, call_state::established},
              {on(E::reinvite_answered, "C-2", "recvonly"), {"reinvite C-1 sdp=" + kAgentHold},
               call_state::established},
              {on(E::reinvite_failed, "C-2", "", 500), {}, call_state::established},
              {on(E::reinvite_answered, "C-1", "inactive"), {"EventHeld 1000 other=2000"},
               call_state::established}})},
    {"the call ends in the middle of a hold",
     true,
     up_then({{from(E::hold, "1000"), {"reinvite C-2 sdp=" + kDestHold}, call_state::established},
              {on(E::leg_bye, "C-1"), kReleasedByAgent, call_state::ended},
              {on(E::reinvite_answered, "C-2", "recvonly"), {}, call_state::ended}})},
    {"phones' offers are passed to the other leg in their method",
     true,
     up_then({{offer_from("C-1", "agent hold"), {"reinvite C-2 sdp=agent hold"},
               call_state::established},
              // One at a time (RFC 3261 14.1); and no hold meanwhile.
              {offer_from("C-2", "crossing"), {"respond C-2 491"}, call_state::established},
              {from(E::hold, "1000"), {}, call_state::established},
              {on(E::reinvite_answered, "C-1", "x"), {}, call_state::established},
              {on(E::reinvite_answered, "C-2", "dest answer"), {"respond C-1 200 sdp=dest answer"},
               call_state::established},
              {offer_from("C-2", "dest offer", true), {"update C-1 sdp=dest offer"},
               call_state::established},
              {on(E::reinvite_failed, "C-1", "", 491), {"respond C-2 update 491"},
               call_state::established},
              {offer_from("C-2", "again"), {"reinvite C-1 sdp=again"}, call_state::established},
              // A failure without a status (a timeout) is a 500.
              {on(E::reinvite_failed, "C-1", "", 0), {"respond C-2 500"},
               call_state::established},
              {offer_from("C-9", "x"), {}, call_state::established}})},
    {"a later hold derives from what the phones passed",
     true,
     up_then({{offer_from("C-1", kAgentSdp), {"reinvite C-2 sdp=" + kAgentSdp},
               call_state::established},
              {on(E::reinvite_answered, "C-2", kAgentBack), {"respond C-1 200 sdp=" + kAgentBack},
               call_state::established},
              {from(E::hold, "1000"), {"reinvite C-2 sdp=" + kDestHold}, call_state::established},
              {on(E::reinvite_answered, "C-2", "recvonly"),
               {"reinvite C-1 sdp=" + edit(kAgentBack, {{"5 3 IN", "5 4 IN"}, {"sendrecv", "inactive"}})},
               call_state::established}})},
    {"offers before the call is up get 491",
     true,
     {{kAgentSdpOffer, kInviteDestSdp, call_state::calling},
      {offer_from("C-1", "x"), {"respond C-1 491"}, call_state::calling},
      {timer(1), kRingbackAck, call_state::ringback},
      {offer_from("C-1", "x", true), {"respond C-1 update 491"}, call_state::ringback},
      {on(E::leg_answered, "C-2", kDestSdp), kJoinAgent, call_state::joining},
      {offer_from("C-1", "x"), {"respond C-1 491"}, call_state::joining},
      {offer_from("C-2", "x"), {"respond C-2 491"}, call_state::joining}}},
    {"user data from ThisDN at once, from OtherDN once it rang; both hear of it",
     true,
     {{data("1000", test::str_pairs({{"a", "1"}})), {"EventAttachedDataChanged 1000 other=2000"},
       call_state::dialing},
      {data("2000", test::str_pairs({{"b", "2"}})), {}, call_state::dialing},
      {kAgentSdpOffer, kInviteDestSdp, call_state::calling},
      {on(E::leg_progress, "C-2"), {"EventRinging 2000 other=1000"}, call_state::calling},
      {data("2000", test::str_pairs({{"b", "2"}})),
       {"EventAttachedDataChanged 1000 other=2000", "EventAttachedDataChanged 2000 other=1000"},
       call_state::calling},
      {data("1000", {}, true),
       {"EventAttachedDataChanged 1000 other=2000", "EventAttachedDataChanged 2000 other=1000"},
       call_state::calling},
      {data("8000", test::str_pairs({{"c", "3"}})), {}, call_state::calling}}},
    {"user data on a call to a plain number stays on ThisDN",
     false,
     {{kAgentSdpOffer, kInviteDestSdp, call_state::calling},
      {on(E::leg_answered, "C-2", kDestSdp),
       {"ack C-1 sdp=" + kDestSdp, "EventEstablished 1000 other=2000"},
       call_state::established},
      {data("1000", test::str_pairs({{"a", "1"}})), {"EventAttachedDataChanged 1000 other=2000"},
       call_state::established},
      {data("2000", test::str_pairs({{"a", "2"}})), {}, call_state::established}}},
    {"ThisDN sends DTMF to the destination, one INFO per digit",
     true,
     {{from(E::send_dtmf, "1000", "1"), {}, call_state::dialing},
      kUp[0], kUp[1], kUp[2],
      {from(E::send_dtmf, "2000", "1"), {}, call_state::established},
      {from(E::send_dtmf, "1000", "1x"), {}, call_state::established},
      {from(E::send_dtmf, "1000", "1#"),
       {"info C-2 application/dtmf-relay Signal=1\r\nDuration=160\r\n",
        "info C-2 application/dtmf-relay Signal=#\r\nDuration=160\r\n",
        "EventDTMFSent 1000 other=2000 digits=1#"},
       call_state::established}}},
    {"hold only from ThisDN of an established call",
     true,
     {{from(E::hold, "1000"), {}, call_state::dialing},
      kUp[0], kUp[1], kUp[2],
      {from(E::hold, "2000"), {}, call_state::established},
      {from(E::retrieve, "1000"), {}, call_state::established}}},
};

// The retry timer has a generation of its own, from 1 (call::retry_gen).
const lines kRetry = {"timer 2100-4000ms"};

// A 491 to sipcc's re-INVITE on `leg`, then the retry timer (generation
// `gen`) sending it again as `sdp`.
std::vector<step_row> glare(const std::string& leg, uint64_t gen, const std::string& sdp,
                            call_state in) {
  return {{on(E::reinvite_failed, leg, "", 491), kRetry, in},
          {retry(gen), {"reinvite " + leg + " sdp=" + sdp}, in}};
}

const auto kUpState = call_state::established;

const std::vector<scenario> kRetryScenarios = {
    {"a 491 to the hold is sent again after 2.1-4 s, the same offer",
     true,
     up_then({{from(E::hold, "1000"), {"reinvite C-2 sdp=" + kDestHold}, call_state::established},
              {on(E::reinvite_failed, "C-2", "", 491), kRetry, call_state::established},
              // Meanwhile: no new hold, and a phone's offer gets 491 as ours did.
              {offer_from("C-1", "x"), {"respond C-1 491"}, call_state::established},
              {from(E::hold, "1000"), {}, call_state::established},
              {retry(0), {}, call_state::established},
              {timer(1), {}, call_state::established},  // the ringback's, long stale
              {retry(1), {"reinvite C-2 sdp=" + kDestHold}, call_state::established},
              {retry(1), {}, call_state::established},
              {on(E::reinvite_answered, "C-2", "recvonly"), {"reinvite C-1 sdp=" + kAgentHold},
               call_state::established},
              // The agent's phone gets its own tries.
              {on(E::reinvite_failed, "C-1", "", 491), kRetry, call_state::established},
              {retry(2), {"reinvite C-1 sdp=" + kAgentHold},
               call_state::established},
              {on(E::reinvite_answered, "C-1", "inactive"), {"EventHeld 1000 other=2000"},
               call_state::established}})},
    {"a third 491 to the hold is a refusal",
     true,
     up_then(std::vector<step_row>{{from(E::hold, "1000"), {"reinvite C-2 sdp=" + kDestHold},
                                    kUpState}} +
             glare("C-2", 1, kDestHold, kUpState) +
             glare("C-2", 2, kDestHold, kUpState) +
             std::vector<step_row>{
                 {on(E::reinvite_failed, "C-2", "", 491),
                  {"EventError 1000 other=2000 reason=the other party refused the hold offer with 491"},
                  kUpState},
                 // A new request starts its own count.
                 {from(E::hold, "1000"),
                  {"reinvite C-2 sdp=" + edit(kDestHold, {{"1 2 IN", "1 3 IN"}})}, kUpState},
                 {on(E::reinvite_failed, "C-2", "", 491), kRetry, kUpState}})},
    {"the destination is re-INVITEd back after a 491, once the agent's phone refused",
     true,
     kAgentRefusesHold + glare("C-2", 1, kDestBack, kUpState) +
         std::vector<step_row>{{on(E::reinvite_answered, "C-2", "sendrecv"), {kAgentRefusedHold},
                                kUpState}}},
    {"a 491 to the ringback's re-INVITE is sent again",
     true,
     {{kAgentSdpOffer, kInviteDestSdp, call_state::calling},
      {timer(1), kRingbackAck, call_state::ringback},
      {on(E::leg_answered, "C-2", kDestSdp), kJoinAgent, call_state::joining},
      {on(E::reinvite_failed, "C-1", "", 491), kRetry, call_state::joining},
      {offer_from("C-1", "x"), {"respond C-1 491"}, call_state::joining},
      {retry(1), {"reinvite C-1 sdp=" + kJoin}, call_state::joining},
      {on(E::reinvite_answered, "C-1", "x"), kUpBoth, call_state::established}}},
    {"three 491s to the ringback's re-INVITE end the call",
     false,
     std::vector<step_row>{
         {kAgentSdpOffer, kInviteDestSdp, call_state::calling},
         {timer(1), kRingbackAck, call_state::ringback},
         {on(E::leg_answered, "C-2", kDestSdp), kJoinAgent, call_state::joining}} +
         glare("C-1", 1, kJoin, call_state::joining) +
         glare("C-1", 2, kJoin, call_state::joining) +
         std::vector<step_row>{
             {on(E::reinvite_failed, "C-1", "", 491),
              {"bye C-1", "bye C-2",
               "EventReleased 1000 other=2000 reason=agent phone refused the destination's media "
               "with 491",
               "fact 1000 off", "end"},
              call_state::ended}}},
    {"a 491 to a passed offer goes back, not retried",
     true,
     up_then({{offer_from("C-1", "x"), {"reinvite C-2 sdp=x"}, call_state::established},
              {on(E::reinvite_failed, "C-2", "", 491), {"respond C-1 491"},
               call_state::established},
              {retry(1), {}, call_state::established}})},
};

void run(const std::vector<scenario>& scenarios) {
  for (auto& sc : scenarios) {
    auto c = new_call();
    call_step(c, make_call_event(sc.other_configured), kSettings);
    int n = 0;
    for (auto& st : sc.steps) {
      ++n;
      EXPECT_EQ(texts(call_step(c, st.event, kSettings)), st.actions) << sc.name << ", step " << n;
      EXPECT_STREQ(to_string(c.state), to_string(st.after)) << sc.name << ", step " << n;
    }
  }
}

TEST(MadeCall, StartDialsTheAgentWithoutSdp) {
  auto c = new_call();
  EXPECT_EQ(texts(call_step(c, make_call_event(true), kSettings)), kStartConfigured);
  EXPECT_EQ(c.state, call_state::dialing);
  EXPECT_EQ(c.kind, call_kind::made);
  auto n = new_call();
  EXPECT_EQ(texts(call_step(n, make_call_event(false), kSettings)), kStartNumber);
  EXPECT_EQ(n.agent_leg, "C-1");
  EXPECT_EQ(n.customer_leg, "C-2");
}

TEST(MadeCall, Scenarios) { run(kScenarios); }

TEST(MadeCall, MidCallScenarios) { run(kMidCallScenarios); }

TEST(MadeCall, RetryScenarios) { run(kRetryScenarios); }

// Each request is refused (the actor's EventError) exactly when the machine
// would not act on it.
TEST(MadeCall, Refusals) {
  struct row {
    const char* name;
    std::vector<step_row> steps;  // from the start, configured OtherDN
    std::string (*refusal)(const call&, const std::string&);
    std::string dn;
    std::string message;
  };
  auto hold = [](const call& c, const std::string& dn) { return hold_refusal(c, dn, false); };
  auto retrieve = [](const call& c, const std::string& dn) { return hold_refusal(c, dn, true); };
  auto dtmf = [](const call& c, const std::string& dn) { return dtmf_refusal(c, dn, ""); };
  auto data = [](const call& c, const std::string& dn) { return user_data_refusal(c, dn, ""); };
  auto release = [](const call& c, const std::string& dn) { return release_refusal(c, dn); };
  const std::vector<row> rows = {
      {"hold before the call is up", {}, hold, "1000", "DN 1000 has no established call C"},
      {"hold from OtherDN", kUp, hold, "2000", "DN 2000 has no established call C"},
      {"hold", kUp, hold, "1000", ""},
      {"retrieve when not held", kUp, retrieve, "1000", "ConnID C is not held"},
      {"hold while one is under way",
       up_then({{from(E::hold, "1000"), {}, call_state::established}}), hold, "1000",
       "ConnID C has a re-INVITE in progress"},
      {"hold while a 491 retry waits",
       up_then({{from(E::hold, "1000"), {}, call_state::established},
                {on(E::reinvite_failed, "C-2", "", 491), {}, call_state::established}}),
       retrieve, "1000", "ConnID C has a re-INVITE in progress"},
      {"hold while a phone's offer is passed",
       up_then({{offer_from("C-1", "x"), {}, call_state::established}}), retrieve, "1000",
       "ConnID C has a re-INVITE in progress"},
      {"hold when held",
       up_then({{from(E::hold, "1000"), {}, call_state::established},
                {on(E::reinvite_answered, "C-2", "x"), {}, call_state::established},
                {on(E::reinvite_answered, "C-1", "x"), {}, call_state::established}}),
       hold, "1000", "ConnID C is held already"},
      {"hold without SDP to derive from",
       {{on(E::leg_answered, "C-1", "offer"), {}, call_state::calling},
        {on(E::leg_answered, "C-2", "answer"), {}, call_state::established}},
       hold, "1000", "ConnID C: no SDP sent to both sides to derive the offers from"},
      {"DTMF before the call is up", {}, dtmf, "1000", "DN 1000 has no established call C"},
      {"DTMF from OtherDN", kUp, dtmf, "2000", "DN 2000 has no established call C"},
      {"DTMF", kUp, dtmf, "1000", ""},
      {"user data from ThisDN while it dials", {}, data, "1000", ""},
      {"user data from OtherDN before it rang", {}, data, "2000",
       "DN 2000 is no party of ConnID C"},
      {"user data from OtherDN once up", kUp, data, "2000", ""},
      {"user data from another DN", kUp, data, "8000", "DN 8000 is no party of ConnID C"},
      {"user data after the end", {{kRelease, {}, call_state::ended}}, data, "1000",
       "DN 1000 is no party of ConnID C"},
      {"release from ThisDN while it dials", {}, release, "1000", ""},
      {"release from OtherDN", kUp, release, "2000", ""},
      {"release from another DN", kUp, release, "8000", "DN 8000 is not on call C"},
  };
  for (auto& r : rows) {
    auto c = new_call();
    call_step(c, make_call_event(true), kSettings);
    for (auto& st : r.steps)
      call_step(c, st.event, kSettings);
    EXPECT_EQ(r.refusal(c, r.dn), r.message) << r.name;
  }
}

TEST(MadeCall, UserDataIsChangedAndKept) {
  auto c = new_call();
  call_step(c, make_call_event(true), kSettings);
  call_step(c, data("1000", test::str_pairs({{"a", "1"}, {"b", "2"}})), kSettings);
  call_step(c, data("1000", test::str_pairs({{"b", "3"}, {"c", "4"}})), kSettings);
  call_step(c, data("1000", test::str_pairs({{"a", ""}}), true), kSettings);
  EXPECT_EQ(c.user_data.DebugString(), test::str_pairs({{"b", "3"}, {"c", "4"}}).DebugString());
  call_step(c, data("1000", {}, true), kSettings);
  EXPECT_EQ(c.user_data.pairs_size(), 0);
}

}  // namespace
}  // namespace sipcc
