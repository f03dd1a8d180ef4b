// TMakeCall: each row is a ladder of events fed to make_call_step() after
// make_call_start(), with the actions of each step (written as short text)
// and the state it leaves.
#include "callctl/model/make_call_fsm.hpp"
#include "callctl/model/sdp.hpp"

#include <gtest/gtest.h>

#include "kvlist.hpp"

#include <string>
#include <vector>

namespace sipcc {
namespace {

using E = make_call_event;
using lines = std::vector<std::string>;

std::string text(const make_call_action& a) {
  switch (a.what) {
    case make_call_action::invite_leg:
      return "invite " + a.leg + " " + a.uri + " from " + a.dn + (a.ack_later ? " ack_later" : " sdp=" + a.sdp);
    case make_call_action::ack_leg: return "ack " + a.leg + " sdp=" + a.sdp;
    case make_call_action::reinvite_leg:
      return (a.update ? "update " : "reinvite ") + a.leg + " sdp=" + a.sdp;
    case make_call_action::respond_leg:
      return "respond " + a.leg + (a.update ? " update " : " ") + std::to_string(a.status) +
             (a.sdp.empty() ? "" : " sdp=" + a.sdp);
    case make_call_action::info_leg: return "info " + a.leg + " " + a.content_type + " " + a.body;
    case make_call_action::arm_timer:
      return "timer " + std::to_string(a.ms) +
             (a.max_ms == a.ms ? "" : "-" + std::to_string(a.max_ms)) + "ms";
    case make_call_action::cancel_leg: return "cancel " + a.leg;
    case make_call_action::bye_leg: return "bye " + a.leg;
    case make_call_action::emit:
      return v1::EventType_Name(a.event) + " " + a.dn + " other=" + a.other_dn +
             (a.text.empty() ? "" : " reason=" + a.text) +
             (a.digits.empty() ? "" : " digits=" + a.digits);
    case make_call_action::call_fact:
      return "fact " + a.dn + (a.active ? " on" : " off") + (a.answered ? " answered" : "");
    case make_call_action::end: return "end";
  }
  return "?";
}

lines texts(const std::vector<make_call_action>& actions) {
  lines l;
  for (auto& a : actions)
    l.push_back(text(a));
  return l;
}

make_call new_call(bool other_configured) {
  make_call c;
  c.conn_id = "C";
  c.this_dn = "1000";
  c.other_dn = "2000";
  c.other_configured = other_configured;
  c.agent_uri = "sip:1000@ast";
  c.dest_uri = "sip:2000@ast";
  c.ringback_ms = 10000;
  return c;
}

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

E timer(uint64_t gen) {
  E e(E::timer);
  e.timer_gen = gen;
  return e;
}

template <class T>
std::vector<T> operator+(std::vector<T> a, const std::vector<T>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct step_row {
  E event;
  lines actions;
  make_call_state after;
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

const E kAgentOffer = on(E::agent_answered, "C-1", "offer");
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
const E kAgentSdpOffer = on(E::agent_answered, "C-1", kAgentSdp);
const lines kInviteDestSdp = {"invite C-2 sip:2000@ast from 1000 sdp=" + kAgentSdp,
                              "timer 10000ms"};
const lines kRingbackAck = {"ack C-1 sdp=" + kInactive};
const lines kJoinAgent = {"reinvite C-1 sdp=" + kJoin};
const lines kUpBoth = {"EventEstablished 1000 other=2000", "EventEstablished 2000 other=1000"};

// The end of a call that was up on both configured DNs.
const lines kReleasedUpBoth = {"fact 1000 off answered", "EventReleased 1000 other=2000",
                               "fact 2000 off answered", "EventReleased 2000 other=1000", "end"};

const std::vector<scenario> kScenarios = {
    {"the destination answers after the ringback bound",
     true,
     {{kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
      {on(E::dest_progress, "C-2"), {"EventRinging 2000 other=1000"}, make_call_state::calling},
      {timer(1), kRingbackAck, make_call_state::ringback},
      {on(E::dest_progress, "C-2"), {}, make_call_state::ringback},
      {on(E::dest_answered, "C-2", kDestSdp), kJoinAgent, make_call_state::joining},
      {on(E::reinvite_answered, "C-1", "agent answer"), kUpBoth, make_call_state::established},
      {on(E::agent_bye, "C-1"), lines{"bye C-2"} + kReleasedUpBoth, make_call_state::ended}}},
    {"a destination answering in time makes the ringback timer stale",
     false,
     {{kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
      {on(E::dest_answered, "C-2", kDestSdp),
       {"ack C-1 sdp=" + kDestSdp, "EventEstablished 1000 other=2000"},
       make_call_state::established},
      {timer(1), {}, make_call_state::established}}},
    {"a timer of an older generation does not ring back",
     false,
     {{kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
      {timer(0), {}, make_call_state::calling},
      {timer(1), kRingbackAck, make_call_state::ringback},
      {timer(1), {}, make_call_state::ringback}}},
    {"the destination refuses after the ringback",
     true,
     {{kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
      {timer(1), kRingbackAck, make_call_state::ringback},
      {on(E::dest_failed, "C-2", "", 408),
       {"bye C-1", "fact 1000 off", "EventReleased 1000 other=2000 reason=destination answered 408",
        "fact 2000 off", "end"},
       make_call_state::ended}}},
    {"TReleaseCall during the ringback",
     true,
     {{kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
      {on(E::dest_progress, "C-2"), {"EventRinging 2000 other=1000"}, make_call_state::calling},
      {timer(1), kRingbackAck, make_call_state::ringback},
      {E(E::release),
       {"cancel C-2", "bye C-1", "fact 1000 off", "EventReleased 1000 other=2000",
        "fact 2000 off", "EventReleased 2000 other=1000", "end"},
       make_call_state::ended}}},
    {"the agent hangs up during the ringback",
     false,
     {{kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
      {timer(1), kRingbackAck, make_call_state::ringback},
      {on(E::agent_bye, "C-1"),
       {"cancel C-2", "fact 1000 off", "EventReleased 1000 other=2000", "end"},
       make_call_state::ended}}},
    {"a destination answer without an o= line cannot be offered to the agent",
     false,
     {{kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
      {timer(1), kRingbackAck, make_call_state::ringback},
      {on(E::dest_answered, "C-2", "m=audio 1 RTP/AVP 0\r\n"),
       {"bye C-1", "bye C-2", "fact 1000 off",
        "EventReleased 1000 other=2000 reason=destination answered without usable SDP", "end"},
       make_call_state::ended}}},
    {"the agent's phone refuses the destination's media",
     true,
     {{kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
      {timer(1), kRingbackAck, make_call_state::ringback},
      {on(E::dest_answered, "C-2", kDestSdp), kJoinAgent, make_call_state::joining},
      {on(E::reinvite_failed, "C-1", "", 488),
       {"bye C-1", "bye C-2", "fact 1000 off",
        "EventReleased 1000 other=2000 reason=agent phone refused the destination's media with 488",
        "fact 2000 off", "end"},
       make_call_state::ended}}},
    {"the destination hangs up while the agent's phone is re-INVITEd",
     true,
     {{kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
      {on(E::dest_progress, "C-2"), {"EventRinging 2000 other=1000"}, make_call_state::calling},
      {timer(1), kRingbackAck, make_call_state::ringback},
      {on(E::dest_answered, "C-2", kDestSdp), kJoinAgent, make_call_state::joining},
      {on(E::dest_bye, "C-2"),
       {"bye C-1", "fact 1000 off", "EventReleased 1000 other=2000", "fact 2000 off",
        "EventReleased 2000 other=1000", "end"},
       make_call_state::ended}}},
    {"TReleaseCall while the agent's phone is re-INVITEd",
     false,
     {{kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
      {timer(1), kRingbackAck, make_call_state::ringback},
      {on(E::dest_answered, "C-2", kDestSdp), kJoinAgent, make_call_state::joining},
      {E(E::release),
       {"bye C-1", "bye C-2", "fact 1000 off", "EventReleased 1000 other=2000", "end"},
       make_call_state::ended}}},
    {"ringback and joining ignore what is not theirs",
     true,
     {{kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
      {on(E::reinvite_answered, "C-1", "x"), {}, make_call_state::calling},
      {timer(1), kRingbackAck, make_call_state::ringback},
      {on(E::reinvite_answered, "C-1", "x"), {}, make_call_state::ringback},
      {on(E::agent_answered, "C-1", kAgentSdp), {}, make_call_state::ringback},
      {on(E::dest_bye, "C-2"), {}, make_call_state::ringback},
      {on(E::dest_answered, "C-2", kDestSdp), kJoinAgent, make_call_state::joining},
      {on(E::dest_answered, "C-2", kDestSdp), {}, make_call_state::joining},
      {on(E::dest_progress, "C-2"), {}, make_call_state::joining},
      {on(E::reinvite_answered, "C-2", "x"), {}, make_call_state::joining},
      {on(E::reinvite_failed, "C-2", "", 500), {}, make_call_state::joining},
      {timer(1), {}, make_call_state::joining},
      {on(E::reinvite_answered, "C-1", "x"), kUpBoth, make_call_state::established},
      {on(E::reinvite_failed, "C-1", "", 500), {}, make_call_state::established}}},
    {"released by TReleaseCall when up",
     true,
     {{kAgentOffer, kInviteDest, make_call_state::calling},
      {on(E::dest_progress, "C-2"), {"EventRinging 2000 other=1000"}, make_call_state::calling},
      {on(E::dest_progress, "C-2"), {}, make_call_state::calling},
      {on(E::dest_answered, "C-2", "answer"), kEstablishedBoth, make_call_state::established},
      {E(E::release),
       lines{"bye C-1", "bye C-2"} + kReleasedUpBoth,
       make_call_state::ended}}},
    {"the destination hangs up",
     true,
     {{kAgentOffer, kInviteDest, make_call_state::calling},
      {on(E::dest_answered, "C-2", "answer"), kEstablishedBoth, make_call_state::established},
      {on(E::dest_bye, "C-2"), lines{"bye C-1"} + kReleasedUpBoth, make_call_state::ended}}},
    {"the agent hangs up, destination a plain number",
     false,
     {{kAgentOffer, kInviteDest, make_call_state::calling},
      {on(E::dest_progress, "C-2"), {}, make_call_state::calling},
      {on(E::dest_answered, "C-2", "answer"),
       {"ack C-1 sdp=answer", "EventEstablished 1000 other=2000"},
       make_call_state::established},
      {on(E::agent_bye, "C-1"),
       {"bye C-2", "fact 1000 off answered", "EventReleased 1000 other=2000", "end"},
       make_call_state::ended}}},
    {"the destination is busy",
     true,
     {{kAgentOffer, kInviteDest, make_call_state::calling},
      {on(E::dest_failed, "C-2", "", 486),
       {"ack C-1 sdp=" + kReject, "bye C-1", "fact 1000 off", "EventReleased 1000 other=2000 reason=destination answered 486",
        "fact 2000 off", "end"},
       make_call_state::ended}}},
    {"the destination rings out",
     true,
     {{kAgentOffer, kInviteDest, make_call_state::calling},
      {on(E::dest_progress, "C-2"), {"EventRinging 2000 other=1000"}, make_call_state::calling},
      {on(E::dest_failed, "C-2", "", 408),
       {"ack C-1 sdp=" + kReject, "bye C-1", "fact 1000 off",
        "EventReleased 1000 other=2000 reason=destination answered 408", "fact 2000 off",
        "EventReleased 2000 other=1000 reason=destination answered 408", "end"},
       make_call_state::ended}}},
    {"the agent's phone is busy",
     true,
     {{on(E::agent_failed, "C-1", "", 486),
       {"fact 1000 off", "EventReleased 1000 other=2000 reason=agent phone answered 486",
        "fact 2000 off", "end"},
       make_call_state::ended}}},
    {"the agent's phone answers without an offer",
     false,
     {{on(E::agent_answered, "C-1"),
       {"ack C-1 sdp=", "bye C-1", "fact 1000 off",
        "EventReleased 1000 other=2000 reason=agent phone sent no offer", "end"},
       make_call_state::ended}}},
    {"TReleaseCall while the agent's phone rings",
     false,
     {{E(E::release),
       {"cancel C-1", "fact 1000 off", "EventReleased 1000 other=2000", "end"},
       make_call_state::ended}}},
    {"TReleaseCall while the destination rings",
     true,
     {{kAgentOffer, kInviteDest, make_call_state::calling},
      {on(E::dest_progress, "C-2"), {"EventRinging 2000 other=1000"}, make_call_state::calling},
      {E(E::release),
       {"cancel C-2", "ack C-1 sdp=" + kReject, "bye C-1", "fact 1000 off", "EventReleased 1000 other=2000",
        "fact 2000 off", "EventReleased 2000 other=1000", "end"},
       make_call_state::ended}}},
    {"the agent gives up while the destination rings",
     false,
     {{kAgentOffer, kInviteDest, make_call_state::calling},
      {on(E::agent_bye, "C-1"),
       {"cancel C-2", "fact 1000 off", "EventReleased 1000 other=2000", "end"},
       make_call_state::ended}}},
    {"events of other legs and out of place are ignored",
     true,
     {{on(E::agent_answered, "C-9", "offer"), {}, make_call_state::dialing},
      {on(E::dest_answered, "C-2", "answer"), {}, make_call_state::dialing},
      {on(E::agent_bye, "C-1"), {}, make_call_state::dialing},
      {kAgentOffer, kInviteDest, make_call_state::calling},
      {on(E::agent_answered, "C-1", "offer"), {}, make_call_state::calling},
      {on(E::dest_bye, "C-2"), {}, make_call_state::calling},
      {on(E::dest_answered, "C-1", "answer"), {}, make_call_state::calling},
      {on(E::dest_answered, "C-2", "answer"), kEstablishedBoth, make_call_state::established},
      {on(E::dest_progress, "C-2"), {}, make_call_state::established},
      {on(E::dest_failed, "C-2", "", 500), {}, make_call_state::established},
      {on(E::agent_bye, "C-2"), {}, make_call_state::established}}},
    {"nothing after the end",
     false,
     {{E(E::release),
       {"cancel C-1", "fact 1000 off", "EventReleased 1000 other=2000", "end"},
       make_call_state::ended},
      {E(E::release), {}, make_call_state::ended},
      {kAgentOffer, {}, make_call_state::ended}}},
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
    {kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
    {on(E::dest_progress, "C-2"), {"EventRinging 2000 other=1000"}, make_call_state::calling},
    {on(E::dest_answered, "C-2", kDestSdp), lines{"ack C-1 sdp=" + kDestSdp} + kUpBoth,
     make_call_state::established}};

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
    {{from(E::hold, "1000"), {"reinvite C-2 sdp=" + kDestHold}, make_call_state::established},
     {on(E::reinvite_answered, "C-2", "recvonly"), {"reinvite C-1 sdp=" + kAgentHold},
      make_call_state::established},
     {on(E::reinvite_failed, "C-1", "", 488), {"reinvite C-2 sdp=" + kDestBack},
      make_call_state::established}});
const std::string kAgentRefusedHold =
    "EventError 1000 other=2000 reason=the agent's phone refused the hold offer with 488";

const std::vector<scenario> kMidCallScenarios = {
    {"ThisDN holds and retrieves: the destination first, then the agent's phone",
     true,
     up_then({{from(E::hold, "1000"), {"reinvite C-2 sdp=" + kDestHold}, make_call_state::established},
              {on(E::reinvite_answered, "C-2", "recvonly"), {"reinvite C-1 sdp=" + kAgentHold},
               make_call_state::established},
              {on(E::reinvite_answered, "C-1", "inactive"), {"EventHeld 1000 other=2000"},
               make_call_state::established},
              {from(E::retrieve, "1000"), {"reinvite C-2 sdp=" + kDestBack},
               make_call_state::established},
              {on(E::reinvite_answered, "C-2", "sendrecv"), {"reinvite C-1 sdp=" + kAgentBack},
               make_call_state::established},
              {on(E::reinvite_answered, "C-1", "sendrecv"), {"EventRetrieved 1000 other=2000"},
               make_call_state::established},
              {on(E::agent_bye, "C-1"), kReleasedByAgent, make_call_state::ended}})},
    {"the destination refuses the hold: nothing changed",
     true,
     up_then({{from(E::hold, "1000"), {"reinvite C-2 sdp=" + kDestHold}, make_call_state::established},
              {on(E::reinvite_failed, "C-2", "", 488),
               {"EventError 1000 other=2000 reason=the other party refused the hold offer with 488"},
               make_call_state::established},
              // Not held: a retrieve is no step; a new hold goes out one version up.
              {from(E::retrieve, "1000"), {}, make_call_state::established},
              {from(E::hold, "1000"),
               {"reinvite C-2 sdp=" + edit(kDestHold, {{"1 2 IN", "1 3 IN"}})},
               make_call_state::established}})},
    {"the agent's phone refuses the hold: the destination goes back",
     true,
     kAgentRefusesHold + std::vector<step_row>{{on(E::reinvite_answered, "C-2", "sendrecv"),
                                                {kAgentRefusedHold}, make_call_state::established}}},
    {"hold answers from the wrong leg, and phones' offers meanwhile",
     true,
     up_then({{from(E::hold, "1000"), {"reinvite C-2 sdp=" + kDestHold}, make_call_state::established},
              {on(E::reinvite_answered, "C-1", "x"), {}, make_call_state::established},
              {offer_from("C-1", "x"), {"respond C-1 491"}, make_call_state::established},
              {offer_from("C-2", "x", true), {"respond C-2 update 491"}, make_call_state::established},
              {from(E::hold, "1000"), {}, make_call_state::established},
              {on(E::reinvite_answered, "C-2", "recvonly"), {"reinvite C-1 sdp=" + kAgentHold},
               make_call_state::established},
              {on(E::reinvite_failed, "C-2", "", 500), {}, make_call_state::established},
              {on(E::reinvite_answered, "C-1", "inactive"), {"EventHeld 1000 other=2000"},
               make_call_state::established}})},
    {"the call ends in the middle of a hold",
     true,
     up_then({{from(E::hold, "1000"), {"reinvite C-2 sdp=" + kDestHold}, make_call_state::established},
              {on(E::agent_bye, "C-1"), kReleasedByAgent, make_call_state::ended},
              {on(E::reinvite_answered, "C-2", "recvonly"), {}, make_call_state::ended}})},
    {"phones' offers are passed to the other leg in their method",
     true,
     up_then({{offer_from("C-1", "agent hold"), {"reinvite C-2 sdp=agent hold"},
               make_call_state::established},
              // One at a time (RFC 3261 14.1); and no hold meanwhile.
              {offer_from("C-2", "crossing"), {"respond C-2 491"}, make_call_state::established},
              {from(E::hold, "1000"), {}, make_call_state::established},
              {on(E::reinvite_answered, "C-1", "x"), {}, make_call_state::established},
              {on(E::reinvite_answered, "C-2", "dest answer"), {"respond C-1 200 sdp=dest answer"},
               make_call_state::established},
              {offer_from("C-2", "dest offer", true), {"update C-1 sdp=dest offer"},
               make_call_state::established},
              {on(E::reinvite_failed, "C-1", "", 491), {"respond C-2 update 491"},
               make_call_state::established},
              {offer_from("C-2", "again"), {"reinvite C-1 sdp=again"}, make_call_state::established},
              // A failure without a status (a timeout) is a 500.
              {on(E::reinvite_failed, "C-1", "", 0), {"respond C-2 500"},
               make_call_state::established},
              {offer_from("C-9", "x"), {}, make_call_state::established}})},
    {"a later hold derives from what the phones passed",
     true,
     up_then({{offer_from("C-1", kAgentSdp), {"reinvite C-2 sdp=" + kAgentSdp},
               make_call_state::established},
              {on(E::reinvite_answered, "C-2", kAgentBack), {"respond C-1 200 sdp=" + kAgentBack},
               make_call_state::established},
              {from(E::hold, "1000"), {"reinvite C-2 sdp=" + kDestHold}, make_call_state::established},
              {on(E::reinvite_answered, "C-2", "recvonly"),
               {"reinvite C-1 sdp=" + edit(kAgentBack, {{"5 3 IN", "5 4 IN"}, {"sendrecv", "inactive"}})},
               make_call_state::established}})},
    {"offers before the call is up get 491",
     true,
     {{kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
      {offer_from("C-1", "x"), {"respond C-1 491"}, make_call_state::calling},
      {timer(1), kRingbackAck, make_call_state::ringback},
      {offer_from("C-1", "x", true), {"respond C-1 update 491"}, make_call_state::ringback},
      {on(E::dest_answered, "C-2", kDestSdp), kJoinAgent, make_call_state::joining},
      {offer_from("C-1", "x"), {"respond C-1 491"}, make_call_state::joining},
      {offer_from("C-2", "x"), {"respond C-2 491"}, make_call_state::joining}}},
    {"user data from ThisDN at once, from OtherDN once it rang; both hear of it",
     true,
     {{data("1000", test::str_pairs({{"a", "1"}})), {"EventAttachedDataChanged 1000 other=2000"},
       make_call_state::dialing},
      {data("2000", test::str_pairs({{"b", "2"}})), {}, make_call_state::dialing},
      {kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
      {on(E::dest_progress, "C-2"), {"EventRinging 2000 other=1000"}, make_call_state::calling},
      {data("2000", test::str_pairs({{"b", "2"}})),
       {"EventAttachedDataChanged 1000 other=2000", "EventAttachedDataChanged 2000 other=1000"},
       make_call_state::calling},
      {data("1000", {}, true),
       {"EventAttachedDataChanged 1000 other=2000", "EventAttachedDataChanged 2000 other=1000"},
       make_call_state::calling},
      {data("8000", test::str_pairs({{"c", "3"}})), {}, make_call_state::calling}}},
    {"user data on a call to a plain number stays on ThisDN",
     false,
     {{kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
      {on(E::dest_answered, "C-2", kDestSdp),
       {"ack C-1 sdp=" + kDestSdp, "EventEstablished 1000 other=2000"},
       make_call_state::established},
      {data("1000", test::str_pairs({{"a", "1"}})), {"EventAttachedDataChanged 1000 other=2000"},
       make_call_state::established},
      {data("2000", test::str_pairs({{"a", "2"}})), {}, make_call_state::established}}},
    {"ThisDN sends DTMF to the destination, one INFO per digit",
     true,
     {{from(E::send_dtmf, "1000", "1"), {}, make_call_state::dialing},
      kUp[0], kUp[1], kUp[2],
      {from(E::send_dtmf, "2000", "1"), {}, make_call_state::established},
      {from(E::send_dtmf, "1000", "1x"), {}, make_call_state::established},
      {from(E::send_dtmf, "1000", "1#"),
       {"info C-2 application/dtmf-relay Signal=1\r\nDuration=160\r\n",
        "info C-2 application/dtmf-relay Signal=#\r\nDuration=160\r\n",
        "EventDTMFSent 1000 other=2000 digits=1#"},
       make_call_state::established}}},
    {"hold only from ThisDN of an established call",
     true,
     {{from(E::hold, "1000"), {}, make_call_state::dialing},
      kUp[0], kUp[1], kUp[2],
      {from(E::hold, "2000"), {}, make_call_state::established},
      {from(E::retrieve, "1000"), {}, make_call_state::established}}},
};

// After kUp the timer generation is 2: the ringback timer was 1, the
// destination's answer made it stale.
const lines kRetry = {"timer 2100-4000ms"};

// A 491 to sipcc's re-INVITE on `leg`, then the retry timer (generation
// `gen`) sending it again as `sdp`.
std::vector<step_row> glare(const std::string& leg, uint64_t gen, const std::string& sdp,
                            make_call_state in) {
  return {{on(E::reinvite_failed, leg, "", 491), kRetry, in},
          {timer(gen), {"reinvite " + leg + " sdp=" + sdp}, in}};
}

const auto kUpState = make_call_state::established;

const std::vector<scenario> kRetryScenarios = {
    {"a 491 to the hold is sent again after 2.1-4 s, the same offer",
     true,
     up_then({{from(E::hold, "1000"), {"reinvite C-2 sdp=" + kDestHold}, make_call_state::established},
              {on(E::reinvite_failed, "C-2", "", 491), kRetry, make_call_state::established},
              // Meanwhile: no new hold, and a phone's offer gets 491 as ours did.
              {offer_from("C-1", "x"), {"respond C-1 491"}, make_call_state::established},
              {from(E::hold, "1000"), {}, make_call_state::established},
              {timer(2), {}, make_call_state::established},
              {timer(3), {"reinvite C-2 sdp=" + kDestHold},
               make_call_state::established},
              {timer(3), {}, make_call_state::established},
              {on(E::reinvite_answered, "C-2", "recvonly"), {"reinvite C-1 sdp=" + kAgentHold},
               make_call_state::established},
              // The agent's phone gets its own tries.
              {on(E::reinvite_failed, "C-1", "", 491), kRetry, make_call_state::established},
              {timer(4), {"reinvite C-1 sdp=" + kAgentHold},
               make_call_state::established},
              {on(E::reinvite_answered, "C-1", "inactive"), {"EventHeld 1000 other=2000"},
               make_call_state::established}})},
    {"a third 491 to the hold is a refusal",
     true,
     up_then(std::vector<step_row>{{from(E::hold, "1000"), {"reinvite C-2 sdp=" + kDestHold},
                                    kUpState}} +
             glare("C-2", 3, kDestHold, kUpState) +
             glare("C-2", 4, kDestHold, kUpState) +
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
     kAgentRefusesHold + glare("C-2", 3, kDestBack, kUpState) +
         std::vector<step_row>{{on(E::reinvite_answered, "C-2", "sendrecv"), {kAgentRefusedHold},
                                kUpState}}},
    {"a 491 to the ringback's re-INVITE is sent again",
     true,
     {{kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
      {timer(1), kRingbackAck, make_call_state::ringback},
      {on(E::dest_answered, "C-2", kDestSdp), kJoinAgent, make_call_state::joining},
      {on(E::reinvite_failed, "C-1", "", 491), kRetry, make_call_state::joining},
      {offer_from("C-1", "x"), {"respond C-1 491"}, make_call_state::joining},
      {timer(2), {"reinvite C-1 sdp=" + kJoin},
       make_call_state::joining},
      {on(E::reinvite_answered, "C-1", "x"), kUpBoth, make_call_state::established}}},
    {"three 491s to the ringback's re-INVITE end the call",
     false,
     std::vector<step_row>{
         {kAgentSdpOffer, kInviteDestSdp, make_call_state::calling},
         {timer(1), kRingbackAck, make_call_state::ringback},
         {on(E::dest_answered, "C-2", kDestSdp), kJoinAgent, make_call_state::joining}} +
         glare("C-1", 2, kJoin, make_call_state::joining) +
         glare("C-1", 3, kJoin, make_call_state::joining) +
         std::vector<step_row>{
             {on(E::reinvite_failed, "C-1", "", 491),
              {"bye C-1", "bye C-2", "fact 1000 off",
               "EventReleased 1000 other=2000 reason=agent phone refused the destination's media "
               "with 491",
               "end"},
              make_call_state::ended}}},
    {"a 491 to a passed offer goes back, not retried",
     true,
     up_then({{offer_from("C-1", "x"), {"reinvite C-2 sdp=x"}, make_call_state::established},
              {on(E::reinvite_failed, "C-2", "", 491), {"respond C-1 491"},
               make_call_state::established},
              {timer(2), {}, make_call_state::established}})},
};

void run(const std::vector<scenario>& scenarios) {
  for (auto& sc : scenarios) {
    auto c = new_call(sc.other_configured);
    make_call_start(c);
    int n = 0;
    for (auto& st : sc.steps) {
      ++n;
      EXPECT_EQ(texts(make_call_step(c, st.event)), st.actions) << sc.name << ", step " << n;
      EXPECT_STREQ(to_string(c.state), to_string(st.after)) << sc.name << ", step " << n;
    }
  }
}

TEST(MakeCallFsm, StartDialsTheAgentWithoutSdp) {
  auto c = new_call(true);
  EXPECT_EQ(texts(make_call_start(c)), kStartConfigured);
  EXPECT_EQ(c.state, make_call_state::dialing);
  auto n = new_call(false);
  EXPECT_EQ(texts(make_call_start(n)), kStartNumber);
  EXPECT_EQ(n.agent_leg, "C-1");
  EXPECT_EQ(n.dest_leg, "C-2");
}

TEST(MakeCallFsm, Scenarios) { run(kScenarios); }

TEST(MakeCallFsm, MidCallScenarios) { run(kMidCallScenarios); }

TEST(MakeCallFsm, RetryScenarios) { run(kRetryScenarios); }

// Each request is refused (the actor's EventError) exactly when the FSM
// would not act on it.
TEST(MakeCallFsm, Refusals) {
  struct row {
    const char* name;
    std::vector<step_row> steps;  // from the start, configured OtherDN
    std::string (*refusal)(const make_call&, const std::string&);
    std::string dn;
    std::string message;
  };
  auto hold = [](const make_call& c, const std::string& dn) {
    return make_call_hold_refusal(c, dn, false);
  };
  auto retrieve = [](const make_call& c, const std::string& dn) {
    return make_call_hold_refusal(c, dn, true);
  };
  const std::vector<row> rows = {
      {"hold before the call is up", {}, hold, "1000", "DN 1000 has no established call C"},
      {"hold from OtherDN", kUp, hold, "2000", "DN 2000 has no established call C"},
      {"hold", kUp, hold, "1000", ""},
      {"retrieve when not held", kUp, retrieve, "1000", "ConnID C is not held"},
      {"hold while one is under way",
       up_then({{from(E::hold, "1000"), {}, make_call_state::established}}), hold, "1000",
       "ConnID C has a re-INVITE in progress"},
      {"hold while a 491 retry waits",
       up_then({{from(E::hold, "1000"), {}, make_call_state::established},
                {on(E::reinvite_failed, "C-2", "", 491), {}, make_call_state::established}}),
       retrieve, "1000", "ConnID C has a re-INVITE in progress"},
      {"hold while a phone's offer is passed",
       up_then({{offer_from("C-1", "x"), {}, make_call_state::established}}), retrieve, "1000",
       "ConnID C has a re-INVITE in progress"},
      {"hold when held",
       up_then({{from(E::hold, "1000"), {}, make_call_state::established},
                {on(E::reinvite_answered, "C-2", "x"), {}, make_call_state::established},
                {on(E::reinvite_answered, "C-1", "x"), {}, make_call_state::established}}),
       hold, "1000", "ConnID C is held already"},
      {"hold without SDP to derive from",
       {{on(E::agent_answered, "C-1", "offer"), {}, make_call_state::calling},
        {on(E::dest_answered, "C-2", "answer"), {}, make_call_state::established}},
       hold, "1000", "ConnID C: no SDP sent to both legs to derive the offers from"},
      {"DTMF before the call is up", {}, make_call_dtmf_refusal, "1000",
       "DN 1000 has no established call C"},
      {"DTMF from OtherDN", kUp, make_call_dtmf_refusal, "2000", "DN 2000 has no established call C"},
      {"DTMF", kUp, make_call_dtmf_refusal, "1000", ""},
      {"user data from ThisDN while it dials", {}, make_call_user_data_refusal, "1000", ""},
      {"user data from OtherDN before it rang", {}, make_call_user_data_refusal, "2000",
       "DN 2000 is no party of ConnID C"},
      {"user data from OtherDN once up", kUp, make_call_user_data_refusal, "2000", ""},
      {"user data from another DN", kUp, make_call_user_data_refusal, "8000",
       "DN 8000 is no party of ConnID C"},
      {"user data after the end", {{E(E::release), {}, make_call_state::ended}},
       make_call_user_data_refusal, "1000", "DN 1000 is no party of ConnID C"},
  };
  for (auto& r : rows) {
    auto c = new_call(true);
    make_call_start(c);
    for (auto& st : r.steps)
      make_call_step(c, st.event);
    EXPECT_EQ(r.refusal(c, r.dn), r.message) << r.name;
  }
}

TEST(MakeCallFsm, UserDataIsChangedAndKept) {
  auto c = new_call(true);
  make_call_start(c);
  make_call_step(c, data("1000", test::str_pairs({{"a", "1"}, {"b", "2"}})));
  make_call_step(c, data("1000", test::str_pairs({{"b", "3"}, {"c", "4"}})));
  make_call_step(c, data("1000", test::str_pairs({{"a", ""}}), true));
  EXPECT_EQ(c.user_data.DebugString(), test::str_pairs({{"b", "3"}, {"c", "4"}}).DebugString());
  make_call_step(c, data("1000", {}, true));
  EXPECT_EQ(c.user_data.pairs_size(), 0);
}

}  // namespace
}  // namespace sipcc
