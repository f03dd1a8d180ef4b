// TMakeCall: each row is a ladder of events fed to make_call_step() after
// make_call_start(), with the actions of each step (written as short text)
// and the state it leaves.
#include "sipcc/make_call_fsm.hpp"
#include "sipcc/sdp.hpp"

#include <gtest/gtest.h>

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
    case make_call_action::reinvite_leg: return "reinvite " + a.leg + " sdp=" + a.sdp;
    case make_call_action::arm_timer: return "timer " + std::to_string(a.ms) + "ms";
    case make_call_action::cancel_leg: return "cancel " + a.leg;
    case make_call_action::bye_leg: return "bye " + a.leg;
    case make_call_action::emit:
      return v1::EventType_Name(a.event) + " " + a.dn + " other=" + a.other_dn +
             (a.text.empty() ? "" : " reason=" + a.text);
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

E timer(uint64_t gen) {
  E e(E::timer);
  e.timer_gen = gen;
  return e;
}

lines operator+(lines a, const lines& b) {
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
// The agent's phone is ACKed with an inactive answer of sipcc's session...
const std::string kInactive =
    "v=0\r\no=sipcc 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
    "m=audio 9 RTP/AVP 0\r\na=inactive\r\na=rtpmap:0 PCMU/8000\r\n";
// ... and re-INVITEd with the destination's media in that session, version 2.
const std::string kJoin =
    "v=0\r\no=sipcc 1 2 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 10.0.0.3\r\nt=0 0\r\n"
    "m=audio 34000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
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

TEST(MakeCallFsm, StartDialsTheAgentWithoutSdp) {
  auto c = new_call(true);
  EXPECT_EQ(texts(make_call_start(c)), kStartConfigured);
  EXPECT_EQ(c.state, make_call_state::dialing);
  auto n = new_call(false);
  EXPECT_EQ(texts(make_call_start(n)), kStartNumber);
  EXPECT_EQ(n.agent_leg, "C-1");
  EXPECT_EQ(n.dest_leg, "C-2");
}

TEST(MakeCallFsm, Scenarios) {
  for (auto& sc : kScenarios) {
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

}  // namespace
}  // namespace sipcc
