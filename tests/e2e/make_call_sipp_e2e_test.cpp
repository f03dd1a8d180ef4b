// TMakeCall end to end (RFC 3725 flow I): SIPp plays Asterisk twice, as the
// agent's phone on ThisDN 1000 (answers the offerless INVITE with an offer,
// takes the answer in the ACK) and as the destination (ACD Position 2000, or
// a number on Asterisk); sip-edge and callctl run for real. The test plays
// the desktop.
#include <algorithm>

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "call_gauges.hpp"
#include "kvlist.hpp"
#include "sipcc/bus_schema.hpp"
#include "callctl/model/sdp.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipcc/v1/state.pb.h"
#include "sipp.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;
using ev_list = std::vector<v1::EventType>;

constexpr auto kWait = 10s;

ev_list operator+(ev_list a, const ev_list& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
// make-call-ringback-timeout in these tests.
constexpr int kRingbackS = 5;

std::string reason_of(const v1::TEvent& ev) {
  for (auto& kv : ev.reasons().pairs())
    if (kv.key() == "Reason")
      return kv.str();
  return "";
}

void expect_error(const v1::TEvent& ev, v1::ErrorCode code, const std::string& message) {
  EXPECT_EQ(ev.type(), v1::EventError) << message;
  EXPECT_EQ(ev.error_code(), code) << message;
  EXPECT_EQ(ev.error_message(), message);
}

class MakeCallSipp : public ::testing::Test {
protected:
  void SetUp() override { configure(false); }

  // With `presence`, presence runs too and follows the calls' DnCallFacts.
  void configure(bool presence) {
    if (!sipp_installed())
      GTEST_SKIP() << "sipp (package sip-tester) is not on PATH";
    agent_port = free_port(SOCK_DGRAM);
    dest_port = free_port(SOCK_DGRAM);
    system_options opts;
    opts.asterisk_port = dest_port;  // numbers that are not DNs are dialled there
    opts.services = {{"sip-edge", "edge1"}, {"callctl", "callctl-0"}};
    if (presence)
      opts.services.emplace_back("presence", "presence-0");
    auto phone = [](const std::string& dn, uint16_t port) {
      return "contact: \"sip:" + dn + "@127.0.0.1:" + std::to_string(port) + "\", monitor: false";
    };
    opts.dns = {{"1000", "Extension", "", "", phone("1000", agent_port)},
                {"2000", "ACDPosition", "", "", phone("2000", dest_port)},
                {"8000", "RoutingPoint", ""}};
    opts.extra_yaml = "application:\n  make-call-ringback-timeout: " +
                      std::to_string(kRingbackS) + "\n";
    sys = std::make_unique<sipcc_system>(opts);
  }

  // No `dest_xml`: the destination must never be called. `sipp_args` go
  // to both SIPp runs.
  void start(const std::string& agent_xml, const std::string& dest_xml,
             const std::vector<std::string>& sipp_args = {}) {
    agent = std::make_unique<sipp_run>(agent_xml, agent_port, sys->dir(), sipp_args, "agent");
    if (!dest_xml.empty())
      dest = std::make_unique<sipp_run>(dest_xml, dest_port, sys->dir(), sipp_args, "dest");
    sys->start_services();
  }

  v1::TEvent make_call(const std::string& this_dn, const std::string& other_dn) {
    v1::TRequest r;
    r.set_type(v1::TMakeCall);
    r.set_this_dn(this_dn);
    r.set_other_dn(other_dn);
    r.set_reference_id("mk");
    return sys->call_request(r);
  }

  v1::TEvent release_call(const std::string& dn, const std::string& conn) {
    v1::TRequest r;
    r.set_type(v1::TReleaseCall);
    r.set_this_dn(dn);
    r.set_conn_id(conn);
    return sys->call_request(r);
  }

  // TMakeCall from 1000 to `other`: the reply is ThisDN's EventDialing.
  std::string dial(const std::string& other) {
    auto dialing = make_call("1000", other);
    EXPECT_EQ(dialing.type(), v1::EventDialing) << dialing.error_message();
    EXPECT_EQ(dialing.this_dn(), "1000");
    EXPECT_EQ(dialing.other_dn(), other);
    EXPECT_EQ(dialing.reference_id(), "mk");
    EXPECT_EQ(dialing.conn_id().size(), 16u);
    return dialing.conn_id();
  }

  // Flow I as both phones saw it, up to the destination's answer.
  void expect_flow_i() {
    auto a = agent->trace(), d = dest->trace();
    EXPECT_EQ(body_of(a, false, "INVITE"), "");
    EXPECT_NE(body_of(a, true, "SIP/2.0 200"), "");
    EXPECT_EQ(body_of(d, false, "INVITE"), body_of(a, true, "SIP/2.0 200"));
    EXPECT_EQ(body_of(a, false, "ACK"), body_of(d, true, "SIP/2.0 200"));
  }

  void expect_sipp_done() {
    EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
    if (dest) {
      EXPECT_EQ(dest->wait_exit(kWait), 0) << dest->log();
    }
  }

  // The call ended before it was up: ThisDN saw EventDialing, then
  // EventReleased with `reason`.
  void expect_refused(const std::string& reason) {
    auto released = sys->recorder().wait_event("1000", v1::EventReleased, kWait);
    ASSERT_TRUE(released) << "logs in " << sys->dir();
    EXPECT_EQ(reason_of(*released), reason);
    expect_sipp_done();
    EXPECT_EQ(sys->recorder().events("1000"), (ev_list{v1::EventDialing, v1::EventReleased}));
  }

  const ev_list kBothUpThenReleased1000 = {v1::EventDialing, v1::EventEstablished,
                                           v1::EventReleased};
  const ev_list kBothUpThenReleased2000 = {v1::EventRinging, v1::EventEstablished,
                                           v1::EventReleased};

  // The call was up on both DNs, then released, and nothing is left of it.
  void expect_up_then_released() {
    EXPECT_EQ(sys->recorder().events("1000"), kBothUpThenReleased1000);
    EXPECT_EQ(sys->recorder().events("2000"), kBothUpThenReleased2000);
    expect_nothing_dangles(*sys, kWait);
  }

  uint16_t agent_port = 0, dest_port = 0;
  std::unique_ptr<sipcc_system> sys;
  std::unique_ptr<sipp_run> agent, dest;
};

TEST_F(MakeCallSipp, MadeToAnAgentDnAndReleasedByTReleaseCall) {
  start("agent-answers-offerless-invite-then-waits-for-bye.xml",
        "destination-answers-the-offer-then-waits-for-bye.xml");
  auto conn = dial("2000");
  auto& rec = sys->recorder();
  auto up = rec.wait_event("1000", v1::EventEstablished, kWait);
  ASSERT_TRUE(up) << "logs in " << sys->dir();
  EXPECT_EQ(up->other_dn(), "2000");
  EXPECT_EQ(up->conn_id(), conn);
  auto other_up = rec.wait_event("2000", v1::EventEstablished, kWait);
  ASSERT_TRUE(other_up);
  EXPECT_EQ(other_up->other_dn(), "1000");
  // Both DNs have the call, for presence (busy, not a private call).
  for (std::string dn : {"1000", "2000"}) {
    const auto subject = sys->dn_calls_subject(dn);
    auto fact = rec.wait(
        [&](const bus_msg& m) {
          v1::DnCallFact f;
          return m.subject == subject && f.ParseFromString(m.data) && f.active() &&
                 f.conn_id() == conn;
        },
        kWait);
    EXPECT_TRUE(fact) << dn;
  }

  // One call per DN at a time.
  expect_error(make_call("1000", "2000"), v1::ERR_INVALID_STATE, "ThisDN 1000 has a call already");

  auto released = release_call("1000", conn);
  EXPECT_EQ(released.type(), v1::EventReleased) << released.error_message();
  EXPECT_EQ(released.conn_id(), conn);
  ASSERT_TRUE(rec.wait_event("1000", v1::EventReleased, kWait));
  ASSERT_TRUE(rec.wait_event("2000", v1::EventReleased, kWait));
  expect_sipp_done();
  EXPECT_EQ(rec.events("1000"), kBothUpThenReleased1000);
  EXPECT_EQ(rec.events("2000"), kBothUpThenReleased2000);
  expect_flow_i();
  expect_nothing_dangles(*sys, kWait);
}

// The destination answers after 40 s, longer than the agent phone
// retransmits its 2xx (32 s): the phone is ACKed with an inactive answer
// after make-call-ringback-timeout, then re-INVITEd with the destination's
// media in that same session (RFC 3725 flow IV).
TEST_F(MakeCallSipp, ASlowDestinationIsJoinedAfterTheRingback) {
  start("agent-is-acked-inactive-then-reinvited-with-the-destination.xml",
        "destination-answers-after-40-s-then-waits-for-bye.xml", {"-timeout", "90s"});
  auto conn = dial("2000");
  auto& rec = sys->recorder();
  auto up = rec.wait_event("1000", v1::EventEstablished, 60s);
  ASSERT_TRUE(up) << "logs in " << sys->dir();
  auto other_up = rec.wait_event("2000", v1::EventEstablished, kWait);
  ASSERT_TRUE(other_up);
  auto dialing = rec.wait_event("1000", v1::EventDialing, kWait);
  auto ringing = rec.wait_event("2000", v1::EventRinging, kWait);
  ASSERT_TRUE(dialing && ringing);
  for (auto* ev : {&*up, &*other_up, &*dialing, &*ringing})
    EXPECT_EQ(ev->conn_id(), conn) << v1::EventType_Name(ev->type());
  EXPECT_GE(up->timestamp_us() - dialing->timestamp_us(), 40'000'000);

  auto a = agent->trace(), d = dest->trace();
  // Flow I up to the bound: the agent's offer went to the destination...
  EXPECT_EQ(body_of(a, false, "INVITE"), "");
  auto offer = body_of(a, true, "SIP/2.0 200");
  EXPECT_EQ(body_of(d, false, "INVITE"), offer);
  // ... the phone's 2xx was ACKed with an inactive answer to it...
  auto ack = body_of(a, false, "ACK");
  EXPECT_EQ(ack, inactive_answer(offer));
  EXPECT_NE(ack.find("a=inactive"), std::string::npos) << ack;
  // ... and the destination's answer came in a re-INVITE of that session.
  std::vector<std::string> invites;
  for (auto& m : a)
    if (!m.sent && m.message.start_line.rfind("INVITE", 0) == 0)
      invites.push_back(m.message.body);
  ASSERT_EQ(invites.size(), 2u);
  EXPECT_EQ(invites[1],
            with_origin(body_of(d, true, "SIP/2.0 200"), "o=sipcc 1 2 IN IP4 0.0.0.0"));
  EXPECT_NE(invites[1].find("o=sipcc 1 2 "), std::string::npos) << invites[1];
  EXPECT_NE(invites[1].find("m=audio 34000 "), std::string::npos) << invites[1];

  EXPECT_EQ(release_call("1000", conn).type(), v1::EventReleased);
  ASSERT_TRUE(rec.wait_event("2000", v1::EventReleased, kWait));
  expect_sipp_done();
  expect_up_then_released();
}

TEST_F(MakeCallSipp, TheDestinationHangsUp) {
  start("agent-answers-offerless-invite-then-waits-for-bye.xml",
        "destination-answers-the-offer-then-hangs-up.xml");
  auto conn = dial("2000");
  auto& rec = sys->recorder();
  ASSERT_TRUE(rec.wait_event("1000", v1::EventReleased, kWait)) << "logs in " << sys->dir();
  ASSERT_TRUE(rec.wait_event("2000", v1::EventReleased, kWait));
  expect_sipp_done();
  EXPECT_EQ(rec.events("1000"), kBothUpThenReleased1000);
  EXPECT_EQ(rec.events("2000"), kBothUpThenReleased2000);
  expect_flow_i();
  // The call is over: its ConnID is no longer known.
  expect_error(release_call("1000", conn), v1::ERR_INVALID_STATE,
               "no call with ConnID '" + conn + "'");
  expect_nothing_dangles(*sys, kWait);
}

TEST_F(MakeCallSipp, ANumberThatIsBusyReleasesTheAgent) {
  start("agent-answers-offerless-invite-then-waits-for-bye.xml", "agent-rejects-busy-486.xml");
  dial("5551234");
  expect_refused("destination answered 486");
  EXPECT_TRUE(sys->recorder().events("5551234").empty());
  auto a = agent->trace(), d = dest->trace();
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(d.front().message.start_line,
            "INVITE sip:5551234@127.0.0.1:" + std::to_string(dest_port) + " SIP/2.0");
  EXPECT_EQ(body_of(d, false, "INVITE"), body_of(a, true, "SIP/2.0 200"));
  // The agent's 2xx offer was ACKed with an answer rejecting its streams
  // (an ACK to a 2xx offer must carry an answer), then BYEd.
  EXPECT_EQ(body_of(a, false, "ACK"), rejecting_answer(body_of(a, true, "SIP/2.0 200")));
  EXPECT_NE(body_of(a, false, "ACK").find("m=audio 0 "), std::string::npos)
      << body_of(a, false, "ACK");
  expect_nothing_dangles(*sys, kWait);
}

TEST_F(MakeCallSipp, TheAgentsPhoneIsBusy) {
  start("agent-rejects-busy-486.xml", "");
  dial("2000");
  expect_refused("agent phone answered 486");
  // OtherDN never rang: no events there, and its call fact came and went.
  auto& rec = sys->recorder();
  EXPECT_TRUE(rec.events("2000").empty());
  auto fact_off = rec.wait(
      [subject = sys->dn_calls_subject("2000")](const bus_msg& m) {
        v1::DnCallFact f;
        return m.subject == subject && f.ParseFromString(m.data) && !f.active();
      },
      kWait);
  EXPECT_TRUE(fact_off);
  expect_nothing_dangles(*sys, kWait);
}

class MakeCallSippPresence : public MakeCallSipp {
protected:
  void SetUp() override { configure(true); }

  // Waits for a DnState of `dn` that lists ConnID `conn` (or, with `has`
  // false, that no longer does after one did).
  bool wait_dn_state(const std::string& dn, const std::string& conn, bool has) {
    bool seen = false;
    return sys->recorder()
        .wait(
            [&](const bus_msg& m) {
              v1::DnState st;
              if (m.subject != subj::state_dn(dn) || !st.ParseFromString(m.data))
                return false;
              bool lists = std::find(st.sipcc_calls().begin(), st.sipcc_calls().end(), conn) !=
                           st.sipcc_calls().end();
              seen = seen || lists;
              return has ? lists : seen && !lists;
            },
            kWait)
        .has_value();
  }
};

TEST_F(MakeCallSippPresence, BothDnsHaveTheCallUntilOtherDnReleasesIt) {
  start("agent-answers-offerless-invite-then-waits-for-bye.xml",
        "destination-answers-the-offer-then-waits-for-bye.xml");
  auto conn = dial("2000");
  auto& rec = sys->recorder();
  ASSERT_TRUE(rec.wait_event("2000", v1::EventEstablished, kWait)) << "logs in " << sys->dir();
  EXPECT_TRUE(wait_dn_state("1000", conn, true));
  EXPECT_TRUE(wait_dn_state("2000", conn, true));
  // Only the call's own DNs may release it.
  expect_error(release_call("8000", conn), v1::ERR_INVALID_STATE,
               "DN 8000 is not on call " + conn);
  auto released = release_call("2000", conn);
  EXPECT_EQ(released.type(), v1::EventReleased) << released.error_message();
  EXPECT_EQ(released.this_dn(), "2000");
  ASSERT_TRUE(rec.wait_event("1000", v1::EventReleased, kWait));
  ASSERT_TRUE(rec.wait_event("2000", v1::EventReleased, kWait));
  EXPECT_TRUE(wait_dn_state("1000", conn, false));
  EXPECT_TRUE(wait_dn_state("2000", conn, false));
  expect_sipp_done();
  expect_flow_i();
  expect_nothing_dangles(*sys, kWait);
}

// A hold re-INVITE from the agent's phone goes to the destination as it
// came, and the destination's answer back to the phone.
TEST_F(MakeCallSipp, APhonesReinviteIsPassedToTheOtherParty) {
  start("agent-answers-then-puts-call-on-hold.xml", "destination-answers-then-accepts-a-hold.xml");
  auto conn = dial("2000");
  auto& rec = sys->recorder();
  // The destination's answer goes back to the agent's leg.
  auto answered = rec.wait(
      [&](const bus_msg& m) {
        v1::LegCommand cmd;
        return m.subject == subj::edge_leg("edge1") && cmd.ParseFromString(m.data) &&
               cmd.leg_id() == conn + "-1" && cmd.has_respond() && cmd.respond().status() == 200;
      },
      kWait);
  ASSERT_TRUE(answered) << "logs in " << sys->dir();
  EXPECT_EQ(release_call("1000", conn).type(), v1::EventReleased);
  ASSERT_TRUE(rec.wait_event("2000", v1::EventReleased, kWait));
  expect_sipp_done();
  auto a = agent->trace(), d = dest->trace();
  auto offers = bodies_of(a, true, "INVITE"), passed = bodies_of(d, false, "INVITE");
  ASSERT_EQ(offers.size(), 1u);
  ASSERT_EQ(passed.size(), 2u);  // the call, the hold
  EXPECT_EQ(passed[1], offers[0]);
  EXPECT_NE(passed[1].find("a=sendonly"), std::string::npos) << passed[1];
  // The destination's 200s: the call, the hold, the BYE.
  auto answers = bodies_of(d, true, "SIP/2.0 200");
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(bodies_of(a, false, "SIP/2.0 200"), std::vector<std::string>{answers[1]});
  expect_up_then_released();
}

// THoldCall and TRetrieveCall from ThisDN: sipcc re-INVITEs the destination,
// then the agent's phone, with offers derived from what each last got from
// sipcc (same o= session, version one up each time). Bad requests get
// EventError and send no SIP.
TEST_F(MakeCallSipp, ThisDnHoldsAndRetrievesTheOtherParty) {
  start("agent-answers-takes-hold-and-retrieve-then-hangs-up.xml",
        "destination-is-held-and-retrieved-then-gets-bye.xml");
  auto conn = dial("2000");
  auto& rec = sys->recorder();
  ASSERT_TRUE(rec.wait_event("2000", v1::EventEstablished, kWait)) << "logs in " << sys->dir();

  expect_error(sys->on_call(v1::TRetrieveCall, "1000", conn), v1::ERR_INVALID_STATE,
               "ConnID " + conn + " is not held");
  expect_error(sys->on_call(v1::THoldCall, "2000", conn), v1::ERR_INVALID_STATE,
               "DN 2000 has no established call " + conn);
  auto held = sys->on_call(v1::THoldCall, "1000", conn);
  EXPECT_EQ(held.type(), v1::EventHeld) << held.error_message();
  EXPECT_EQ(held.conn_id(), conn);
  expect_error(sys->on_call(v1::THoldCall, "1000", conn), v1::ERR_INVALID_STATE,
               "ConnID " + conn + " is held already");
  auto retrieved = sys->on_call(v1::TRetrieveCall, "1000", conn);
  EXPECT_EQ(retrieved.type(), v1::EventRetrieved) << retrieved.error_message();

  // The agent hangs up once retrieved.
  ASSERT_TRUE(rec.wait_event("2000", v1::EventReleased, kWait));
  expect_sipp_done();
  const std::string ip = "127.0.0.1";
  auto to_dest = bodies_of(dest->trace(), false, "INVITE");
  ASSERT_EQ(to_dest.size(), 3u);  // the call, the hold, the retrieve
  EXPECT_EQ(origin_and_direction(to_dest[1]), "o=agent 1 2 IN IP4 " + ip + " a=sendonly");
  EXPECT_EQ(origin_and_direction(to_dest[2]), "o=agent 1 3 IN IP4 " + ip + " a=sendrecv");
  auto to_agent = bodies_of(agent->trace(), false, "INVITE");
  ASSERT_EQ(to_agent.size(), 3u);
  EXPECT_EQ(origin_and_direction(to_agent[1]), "o=dest 1 2 IN IP4 " + ip + " a=inactive");
  EXPECT_EQ(origin_and_direction(to_agent[2]), "o=dest 1 3 IN IP4 " + ip + " a=sendrecv");
  EXPECT_EQ(rec.events("1000"), (ev_list{v1::EventDialing, v1::EventEstablished, v1::EventHeld,
                                         v1::EventRetrieved, v1::EventReleased}));
  EXPECT_EQ(rec.events("2000"), kBothUpThenReleased2000);
  expect_nothing_dangles(*sys, kWait);
}

// The destination answers the hold re-INVITE with 491 (glare): sipcc owns
// the Call-ID, so it sends the offer again after 2.1-4 s, one o= version up,
// and the desktop gets EventHeld once both legs took the hold.
TEST_F(MakeCallSipp, AHoldRefusedWith491IsSentAgainAfterABackOff) {
  start("agent-answers-offerless-invite-with-an-offer.xml",
        "destination-answers-a-hold-with-491-then-200-on-the-retry.xml");
  auto conn = dial("2000");
  auto& rec = sys->recorder();
  ASSERT_TRUE(rec.wait_event("2000", v1::EventEstablished, kWait)) << "logs in " << sys->dir();
  auto asked = std::chrono::steady_clock::now();
  auto held = sys->on_call(v1::THoldCall, "1000", conn);
  auto took = std::chrono::steady_clock::now() - asked;
  EXPECT_EQ(held.type(), v1::EventHeld) << held.error_message();
  EXPECT_GE(took, 2100ms);
  EXPECT_EQ(release_call("1000", conn).type(), v1::EventReleased);
  ASSERT_TRUE(rec.wait_event("2000", v1::EventReleased, kWait));
  expect_sipp_done();
  const std::string ip = "127.0.0.1";
  auto to_dest = bodies_of(dest->trace(), false, "INVITE");
  ASSERT_EQ(to_dest.size(), 3u);  // the call, the hold refused with 491, its retry
  EXPECT_EQ(origin_and_direction(to_dest[1]), "o=agent 1 2 IN IP4 " + ip + " a=sendonly");
  // The same offer again: the refused one never became the session's SDP.
  EXPECT_EQ(origin_and_direction(to_dest[2]), "o=agent 1 2 IN IP4 " + ip + " a=sendonly");
  auto to_agent = bodies_of(agent->trace(), false, "INVITE");
  ASSERT_EQ(to_agent.size(), 2u);  // the call, the hold
  EXPECT_EQ(origin_and_direction(to_agent[1]), "o=dest 1 2 IN IP4 " + ip + " a=inactive");
  EXPECT_EQ(rec.events("1000"), (ev_list{v1::EventDialing, v1::EventEstablished, v1::EventHeld,
                                         v1::EventReleased}));
  EXPECT_EQ(rec.events("2000"), kBothUpThenReleased2000);
  expect_nothing_dangles(*sys, kWait);
}

// User data from either DN reaches both and travels with the call; ThisDN's
// DTMF reaches the destination as one INFO per digit. Bad requests get
// EventError and send no SIP.
TEST_F(MakeCallSipp, UserDataOnBothDnsAndDtmfToTheOtherParty) {
  start("agent-answers-offerless-invite-then-waits-for-bye.xml",
        "destination-answers-then-gets-dtmf-info-and-hangs-up.xml");
  auto conn = dial("2000");
  auto& rec = sys->recorder();
  ASSERT_TRUE(rec.wait_event("2000", v1::EventEstablished, kWait)) << "logs in " << sys->dir();

  auto attached = sys->on_call(v1::TAttachUserData, "1000", conn,
                               str_pairs({{"Segment", "gold"}, {"Lang", "en"}}));
  EXPECT_EQ(attached.type(), v1::EventAttachedDataChanged) << attached.error_message();
  EXPECT_EQ(attached.this_dn(), "1000");
  EXPECT_EQ(str_pairs_text(attached.user_data()), "Segment=gold,Lang=en");
  auto on_other = rec.wait_event("2000", v1::EventAttachedDataChanged, kWait);
  ASSERT_TRUE(on_other);
  EXPECT_EQ(str_pairs_text(on_other->user_data()), "Segment=gold,Lang=en");
  auto updated = sys->on_call(v1::TUpdateUserData, "2000", conn,
                              str_pairs({{"Lang", "fr"}, {"Case", "42"}}));
  EXPECT_EQ(updated.this_dn(), "2000");
  EXPECT_EQ(str_pairs_text(updated.user_data()), "Segment=gold,Lang=fr,Case=42");
  auto deleted = sys->on_call(v1::TDeleteUserData, "1000", conn, str_pairs({{"Segment", ""}}));
  EXPECT_EQ(str_pairs_text(deleted.user_data()), "Lang=fr,Case=42");
  expect_error(sys->on_call(v1::TAttachUserData, "1000", conn), v1::ERR_BAD_REQUEST,
               "TAttachUserData without UserData");
  expect_error(sys->on_call(v1::TAttachUserData, "8000", conn, str_pairs({{"x", "1"}})),
               v1::ERR_INVALID_STATE, "DN 8000 is no party of ConnID " + conn);

  expect_error(sys->on_call(v1::TSendDTMF, "2000", conn, {}, "1"), v1::ERR_INVALID_STATE,
               "DN 2000 has no established call " + conn);
  expect_error(sys->on_call(v1::TSendDTMF, "1000", conn, {}, "1x"), v1::ERR_BAD_REQUEST,
               "'x' in '1x' is no DTMF digit");
  auto sent = sys->on_call(v1::TSendDTMF, "1000", conn, {}, "12#");
  EXPECT_EQ(sent.type(), v1::EventDTMFSent) << sent.error_message();
  ASSERT_EQ(sent.extensions().pairs_size(), 1);
  EXPECT_EQ(sent.extensions().pairs(0).key(), "DTMFDigits");
  EXPECT_EQ(sent.extensions().pairs(0).str(), "12#");

  // The destination hangs up once it has the three INFOs.
  auto released = rec.wait_event("1000", v1::EventReleased, kWait);
  ASSERT_TRUE(released);
  EXPECT_EQ(str_pairs_text(released->user_data()), "Lang=fr,Case=42");
  ASSERT_TRUE(rec.wait_event("2000", v1::EventReleased, kWait));
  expect_sipp_done();
  EXPECT_EQ(infos_received(dest->trace()), kDtmf12Hash);
  EXPECT_TRUE(infos_received(agent->trace()).empty());
  const ev_list changes = {v1::EventAttachedDataChanged, v1::EventAttachedDataChanged,
                           v1::EventAttachedDataChanged};
  EXPECT_EQ(rec.events("1000"), (ev_list{v1::EventDialing, v1::EventEstablished} + changes +
                                 ev_list{v1::EventDTMFSent, v1::EventReleased}));
  EXPECT_EQ(rec.events("2000"), (ev_list{v1::EventRinging, v1::EventEstablished} + changes +
                                 ev_list{v1::EventReleased}));
  expect_nothing_dangles(*sys, kWait);
}

// A routed call on ThisDN is known from presence's DN state: no TMakeCall
// from it meanwhile.
TEST_F(MakeCallSippPresence, ThisDnWithARoutedCallCannotMakeOne) {
  start("sn:uas", "");
  std::unique_ptr<sipp_run> customer;
  auto conn = customer_calls(*sys, customer, "sn:uac", "2000", "8000", kWait);
  ASSERT_FALSE(conn.empty());
  EXPECT_EQ(sys->route_call("8000", conn, "1000").type(), v1::EventRouteUsed);
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventEstablished, kWait))
      << "logs in " << sys->dir();
  ASSERT_TRUE(wait_dn_state("1000", conn, true));
  expect_error(make_call("1000", "2000"), v1::ERR_INVALID_STATE, "ThisDN 1000 has a call already");
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventReleased, kWait));
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  expect_sipp_done();
  expect_nothing_dangles(*sys, kWait);
}

TEST_F(MakeCallSipp, BadRequestsGetTheirErrorAndSendNoSip) {
  sys->start_services();
  struct row {
    std::string this_dn, other_dn;
    v1::ErrorCode code;
    std::string message;
  };
  const std::vector<row> rows = {
      {"1999", "2000", v1::ERR_UNKNOWN_DN, "ThisDN 1999 is not configured"},
      {"8000", "2000", v1::ERR_DN_TYPE, "ThisDN 8000 is a RoutingPoint, not an Extension or ACDPosition"},
      {"1000", "", v1::ERR_BAD_REQUEST, "TMakeCall needs an OtherDN"},
      {"1000", "2000@evil", v1::ERR_BAD_REQUEST, "OtherDN '2000@evil' is not a number to dial"},
      {"1000", "1000", v1::ERR_BAD_REQUEST, "OtherDN is ThisDN 1000"},
  };
  for (auto& r : rows) {
    auto ev = make_call(r.this_dn, r.other_dn);
    expect_error(ev, r.code, r.message);
    EXPECT_EQ(ev.reference_id(), "mk");
  }
  expect_error(release_call("1000", "00000000deadbeef"), v1::ERR_INVALID_STATE,
               "no call with ConnID '00000000deadbeef'");
  for (auto& m : sys->recorder().all())
    EXPECT_NE(m.subject, subj::edge_leg("edge1")) << "a leg command was sent";
  expect_nothing_dangles(*sys, kWait);
}

}  // namespace
}  // namespace sipcc::test
