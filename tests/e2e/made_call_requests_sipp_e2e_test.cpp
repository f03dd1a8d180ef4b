// A desktop-made call (TMakeCall from Extension 1000 to ACDPosition 2000) is
// a call like any other: transferred single-step and by consultation to
// Extension 1001, conferenced with it, recorded. SIPp plays Asterisk as the
// phones of 1000 (flow I: answers the offerless INVITE with its offer, port
// 32000), 2000 (answers that offer, port 35000) and 1001 (flow I again,
// port 34000 or 33000), and as the media server (port 34000). sip-edge and
// callctl run for real; the test plays the desktops.
#include <algorithm>

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "call_gauges.hpp"
#include "kvlist.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipp.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;
using lines = std::vector<std::string>;

constexpr auto kWait = 10s;

// The m= port of an SDP body: whose media it is.
std::string port_of(const std::string& sdp) {
  auto at = sdp.find("m=audio ");
  return at == std::string::npos ? "" : sdp.substr(at + 8, sdp.find(' ', at + 8) - at - 8);
}

// What `run` received (one per Call-ID and CSeq: a retransmission is the same
// message again) whose start line begins with `start`.
std::vector<sip_message> messages_to(const sipp_run& run, const std::string& start) {
  std::vector<sip_message> out;
  std::vector<std::string> seen;
  for (auto& m : run.trace()) {
    auto key = m.message.header("Call-ID") + " " + m.message.header("CSeq");
    if (m.sent || m.message.start_line.rfind(start, 0) != 0 ||
        std::find(seen.begin(), seen.end(), key) != seen.end())
      continue;
    seen.push_back(key);
    out.push_back(m.message);
  }
  return out;
}

class MadeCallRequestsSipp : public ::testing::Test {
protected:
  void SetUp() override {
    if (!sipp_installed())
      GTEST_SKIP() << "sipp (package sip-tester) is not on PATH";
    this_port = free_port(SOCK_DGRAM);
    dest_port = free_port(SOCK_DGRAM);
    other_port = free_port(SOCK_DGRAM);
    media_port = free_port(SOCK_DGRAM);
    auto at = [](const std::string& dn, uint16_t port) {
      return "contact: \"sip:" + dn + "@127.0.0.1:" + std::to_string(port) + "\", monitor: false";
    };
    system_options opts;
    opts.asterisk_port = media_port;  // the media server is Asterisk
    opts.services = {{"sip-edge", "edge1"}, {"callctl", "callctl-0"}};
    opts.dns = {{"1000", "Extension", "", "", at("1000", this_port)},
                {"2000", "ACDPosition", "", "", at("2000", dest_port)},
                {"1001", "Extension", "", "", at("1001", other_port)}};
    sys = std::make_unique<sipcc_system>(opts);
  }

  // Each phone runs its scenario ("": never called); the media server takes
  // `media_legs` INVITEs. Then 1000 calls 2000: the ConnID once both are up.
  std::string made_call(const std::string& this_xml, const std::string& other_xml,
                        int media_legs = 0) {
    auto run = [&](const std::string& xml, uint16_t port, const std::string& name,
                   lines args = {}) {
      return std::make_unique<sipp_run>(xml, port, sys->dir(), args, name);
    };
    this_phone = run(this_xml, this_port, "this");
    dest = run("destination-answers-then-takes-reinvites-until-bye.xml", dest_port, "dest");
    if (!other_xml.empty())
      other = run(other_xml, other_port, "other");
    if (media_legs > 0)
      media = run("media-server-holds-legs-until-bye.xml", media_port, "media",
                  {"-m", std::to_string(media_legs)});
    sys->start_services();
    v1::TRequest r;
    r.set_type(v1::TMakeCall);
    r.set_this_dn("1000");
    r.set_other_dn("2000");
    auto dialing = sys->call_request(r);
    EXPECT_EQ(dialing.type(), v1::EventDialing) << dialing.error_message();
    if (!sys->recorder().wait_event("2000", v1::EventEstablished, kWait)) {
      ADD_FAILURE() << "never up; logs in " << sys->dir();
      return "";
    }
    return c1 = dialing.conn_id();
  }

  v1::TEvent request(v1::RequestType type, const std::string& dn, const std::string& conn,
                     const std::string& other_dn = "") {
    return sys->to_other(type, dn, conn, other_dn);
  }

  // TInitiateTransfer or TInitiateConference from 1000 to 1001: the
  // consultation's ConnID once 1001 answered.
  std::string consult_1001(v1::RequestType type) {
    auto dialing = request(type, "1000", c1, "1001");
    EXPECT_EQ(dialing.type(), v1::EventDialing) << dialing.error_message();
    EXPECT_EQ(dialing.transfer_conn_id(), c1);
    if (!sys->recorder().wait_event("1001", v1::EventEstablished, kWait))
      ADD_FAILURE() << "1001 never up; logs in " << sys->dir();
    return c2 = dialing.conn_id();
  }

  // Every event on `dn` (bus_recorder::ladder), TransferConnIDs left out.
  lines ladder(const std::string& dn) { return sys->recorder().ladder(dn, c1, c2, false); }

  void all_scenarios_end() {
    for (auto* run : {&this_phone, &dest, &other, &media}) {
      if (*run) {
        EXPECT_EQ((*run)->wait_exit(kWait), 0) << (*run)->log();
      }
    }
  }

  // Whether sipcc's re-INVITE of leg `leg` was answered (its media moved)
  // `nth` times, or it sent `leg` its BYE (`bye`).
  bool wait_leg(const std::string& leg, bool bye, int nth = 1) {
    int seen = 0;
    return sys->recorder()
        .wait(
            [&](const bus_msg& m) {
              v1::LegEvent ev;
              v1::LegCommand cmd;
              if (bye)
                return m.subject == subj::edge_leg("edge1") && cmd.ParseFromString(m.data) &&
                       cmd.leg_id() == leg && cmd.has_bye();
              bool answered = m.subject == subj::leg_event("callctl-0", leg) &&
                              ev.ParseFromString(m.data) && ev.has_answered() &&
                              ev.answered().reinvite();
              return answered && ++seen == nth;
            },
            kWait)
        .has_value();
  }

  // The ports of the SDP bodies `run` was sent in INVITEs (the call's and re-INVITEs).
  static lines invite_ports(const sipp_run& run) {
    lines out;
    for (auto& body : bodies_of(run.trace(), false, "INVITE"))
      out.push_back(port_of(body));
    return out;
  }

  uint16_t this_port = 0, dest_port = 0, other_port = 0, media_port = 0;
  std::string c1, c2;
  std::unique_ptr<sipcc_system> sys;
  std::unique_ptr<sipp_run> this_phone, dest, other, media;
};

// TSingleStepTransfer from ThisDN: its phone is hung up and 1001 joins the
// destination by flow I (its offer re-INVITEs 2000, whose answer goes in
// 1001's ACK); 2000 learns of its new party by EventPartyChanged.
TEST_F(MadeCallRequestsSipp, SingleStepTransferJoinsTheDestinationToTheTarget) {
  ASSERT_FALSE(made_call("agent-answers-offerless-invite-then-waits-for-bye.xml",
                         "consulted-dn-answers-offerless-invite-then-waits-for-bye.xml")
                   .empty());
  auto moved = request(v1::TSingleStepTransfer, "1000", c1, "1001");
  EXPECT_EQ(moved.type(), v1::EventReleased) << moved.error_message();
  ASSERT_TRUE(sys->recorder().wait_event("1001", v1::EventEstablished, kWait))
      << "logs in " << sys->dir();
  auto released = request(v1::TReleaseCall, "2000", c1);
  EXPECT_EQ(released.type(), v1::EventReleased) << released.error_message();
  ASSERT_TRUE(sys->recorder().wait_event("1001", v1::EventReleased, kWait));
  all_scenarios_end();
  // 2000: the call (1000's offer), then 1001's offer.
  EXPECT_EQ(invite_ports(*dest), (lines{"32000", "34000"}));
  EXPECT_EQ(port_of(body_of(other->trace(), false, "ACK")), "35000");
  EXPECT_EQ(ladder("1000"), (lines{"EventDialing C1", "EventEstablished C1",
                                   "EventReleased C1 third=1001"}));
  EXPECT_EQ(ladder("2000"), (lines{"EventRinging C1", "EventEstablished C1",
                                   "EventPartyChanged C1 third=1000", "EventReleased C1"}));
  EXPECT_EQ(ladder("1001"), (lines{"EventRinging C1 third=1000", "EventEstablished C1 third=1000",
                                   "EventReleased C1"}));
  expect_nothing_dangles(*sys, kWait);
}

// TInitiateTransfer then TCompleteTransfer from ThisDN: 2000 is held while
// 1000 consults 1001, then gets 1001's media; 1000 leaves.
TEST_F(MadeCallRequestsSipp, ConsultationTransferHandsTheDestinationToTheConsultedDn) {
  ASSERT_FALSE(made_call("agent-answers-offerless-invite-takes-reinvites-until-bye.xml",
                         "consulted-dn-answers-offerless-invite-takes-reinvites-until-bye.xml")
                   .empty());
  ASSERT_FALSE(consult_1001(v1::TInitiateTransfer).empty());
  auto done = request(v1::TCompleteTransfer, "1000", c2);
  EXPECT_EQ(done.type(), v1::EventReleased) << done.error_message();
  ASSERT_TRUE(sys->recorder().wait_event("2000", v1::EventPartyChanged, kWait))
      << "logs in " << sys->dir();
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventReleased, kWait, 2));
  // 1001 takes 2000's answer before anybody hangs up.
  ASSERT_TRUE(wait_leg(c1 + "-3", false));
  auto released = request(v1::TReleaseCall, "1001", c1);
  EXPECT_EQ(released.type(), v1::EventReleased) << released.error_message();
  ASSERT_TRUE(sys->recorder().wait_event("2000", v1::EventReleased, kWait));
  all_scenarios_end();
  // 2000: the call, the hold (1000's media, sendonly), then 1001's media.
  auto to_dest = bodies_of(dest->trace(), false, "INVITE");
  ASSERT_EQ(to_dest.size(), 3u);
  EXPECT_NE(to_dest[1].find("a=sendonly"), std::string::npos) << to_dest[1];
  EXPECT_EQ(port_of(to_dest[2]), "33000");
  // 1000: the offerless call, the hold (inactive), 1001's offer.
  EXPECT_EQ(invite_ports(*this_phone), (lines{"", "35000", "33000"}));
  // 1001: the offerless consultation, then 2000's answer.
  EXPECT_EQ(invite_ports(*other), (lines{"", "35000"}));
  EXPECT_EQ(ladder("1000"),
            (lines{"EventDialing C1", "EventEstablished C1", "EventHeld C1", "EventDialing C2",
                   "EventEstablished C2", "EventReleased C2", "EventReleased C1 third=1001"}));
  EXPECT_EQ(ladder("2000"), (lines{"EventRinging C1", "EventEstablished C1",
                                   "EventPartyChanged C1 third=1000", "EventReleased C1"}));
  EXPECT_EQ(ladder("1001"),
            (lines{"EventRinging C2", "EventEstablished C2",
                   "EventPartyChanged C1 third=1000 previous=C2", "EventReleased C1"}));
  expect_nothing_dangles(*sys, kWait);
}

// TInitiateConference then TCompleteConference: 2000, 1000 and 1001 each
// move to conference <C1> on the media server; 1001 is deleted, and the
// last two are joined back directly.
TEST_F(MadeCallRequestsSipp, ConferenceOfThreeThenTheConsultedDnDeleted) {
  ASSERT_FALSE(made_call("agent-answers-offerless-invite-takes-reinvites-until-bye.xml",
                         "consulted-dn-answers-offerless-invite-takes-reinvites-until-bye.xml", 3)
                   .empty());
  ASSERT_FALSE(consult_1001(v1::TInitiateConference).empty());
  auto added = request(v1::TCompleteConference, "1000", c2);
  EXPECT_EQ(added.type(), v1::EventPartyAdded) << added.error_message();
  EXPECT_EQ(added.third_party_dn(), "1001");
  auto deleted = request(v1::TDeleteFromConference, "1000", c1, "1001");
  EXPECT_EQ(deleted.type(), v1::EventPartyDeleted) << deleted.error_message();
  ASSERT_TRUE(sys->recorder().wait_event("1001", v1::EventReleased, kWait))
      << "logs in " << sys->dir();
  // The last two are back to each other: 1000's conference leg goes last.
  ASSERT_TRUE(wait_leg(c1 + "-5", true));
  auto released = request(v1::TReleaseCall, "1000", c1);
  EXPECT_EQ(released.type(), v1::EventReleased) << released.error_message();
  ASSERT_TRUE(sys->recorder().wait_event("2000", v1::EventReleased, kWait));
  all_scenarios_end();
  auto to_media = messages_to(*media, "INVITE");
  ASSERT_EQ(to_media.size(), 3u);
  for (auto& m : to_media)
    EXPECT_EQ(m.start_line.rfind("INVITE sip:conf=" + c1 + "@", 0), 0u) << m.start_line;
  EXPECT_EQ(ladder("2000"),
            (lines{"EventRinging C1", "EventEstablished C1", "EventPartyAdded C1 third=1001",
                   "EventPartyDeleted C1 third=1001", "EventReleased C1"}));
  EXPECT_EQ(ladder("1001"), (lines{"EventRinging C2", "EventEstablished C2",
                                   "EventPartyChanged C1 third=1000 previous=C2",
                                   "EventPartyAdded C1 third=1000", "EventReleased C1"}));
  expect_nothing_dangles(*sys, kWait);
}

// TStartRecording and TStopRecording from ThisDN: both parties in recorded
// conference rec-<C1>-1 (one media-server leg each), then back to each
// other; both DNs see RecordingState in the call's data.
TEST_F(MadeCallRequestsSipp, RecordedThenStopped) {
  ASSERT_FALSE(
      made_call("agent-answers-offerless-invite-takes-reinvites-until-bye.xml", "", 2).empty());
  auto on = request(v1::TStartRecording, "1000", c1);
  EXPECT_EQ(on.type(), v1::EventAttachedDataChanged) << on.error_message();
  EXPECT_EQ(str_pairs_text(on.user_data()),
            "RecordingFile=" + c1 + "-1.wav,RecordingState=on");
  auto off = request(v1::TStopRecording, "1000", c1);
  EXPECT_EQ(off.type(), v1::EventAttachedDataChanged) << off.error_message();
  EXPECT_EQ(str_pairs_text(off.user_data()),
            "RecordingFile=" + c1 + "-1.wav,RecordingState=off");
  EXPECT_EQ(request(v1::TReleaseCall, "1000", c1).type(), v1::EventReleased);
  ASSERT_TRUE(sys->recorder().wait_event("2000", v1::EventReleased, kWait))
      << "logs in " << sys->dir();
  all_scenarios_end();
  auto to_media = messages_to(*media, "INVITE");
  ASSERT_EQ(to_media.size(), 2u);
  for (auto& m : to_media)
    EXPECT_NE(m.start_line.find("record=" + c1 + "-1.wav"), std::string::npos) << m.start_line;
  // Back to each other: 2000 gets 1000's media, 1000 gets 2000's.
  EXPECT_EQ(invite_ports(*dest), (lines{"32000", "34000", "32000"}));
  EXPECT_EQ(invite_ports(*this_phone), (lines{"", "34000", "35000"}));
  EXPECT_EQ(ladder("2000"),
            (lines{"EventRinging C1", "EventEstablished C1", "EventAttachedDataChanged C1",
                   "EventAttachedDataChanged C1", "EventReleased C1"}));
  expect_nothing_dangles(*sys, kWait);
}

}  // namespace
}  // namespace sipcc::test
