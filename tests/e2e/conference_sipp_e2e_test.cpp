// Conferences and recording on the media server end to end: SIPp plays
// Asterisk as the trunk (the customers calling 8000), as the media server
// (`asterisk.address`, extensions.conf [media-server] conf=) and as the
// agent's phone; sip-edge and callctl run for real. The test plays the
// router (TRouteCall), the desktop (TStartRecording, TStopRecording,
// TReleaseCall) and a conference client on sipcc.conf.req.
#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

#include "call_gauges.hpp"
#include "media_requests.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipp.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;
using ev_list = std::vector<v1::EventType>;

constexpr auto kWait = 10s;

// Every message SIPp sent (`sent`) or received whose start line begins with
// `start`, in order.
std::vector<traced> all_of(const std::vector<traced>& t, bool sent, const std::string& start) {
  std::vector<traced> out;
  std::copy_if(t.begin(), t.end(), std::back_inserter(out), [&](const traced& m) {
    return m.sent == sent && m.message.start_line.rfind(start, 0) == 0;
  });
  return out;
}

std::string user_data(const v1::TEvent& ev, const std::string& key) {
  for (const auto& kv : ev.user_data().pairs())
    if (kv.key() == key)
      return kv.str();
  return "<none>";
}

// What the media server is offered for a party that sent `sdp`: the same
// body made sendrecv by hold_offer, so its o= version one up.
std::string offered(const std::string& sdp) { return with_origin(sdp, next_origin_of(sdp)); }

bool has_media_port(const std::string& sdp, int port) {
  return sdp.find("m=audio " + std::to_string(port) + " ") != std::string::npos;
}

// The ports each SIPp peer's SDP names (tests/sipp/*-until-bye.xml).
constexpr int kCustomerRtp = 31000, kAgentRtp = 32000, kMediaRtp = 34000;

class ConferenceSipp : public ::testing::Test {
protected:
  // Agent DN 1000 is a phone on Asterisk (the SIPp agent); `dn_options`
  // are its options (record: true, say).
  void configure(const std::string& dn_options = "") {
    if (!sipp_installed())
      GTEST_SKIP() << "sipp (package sip-tester) is not on PATH";
    agent_port = free_port(SOCK_DGRAM);
    media_port = free_port(SOCK_DGRAM);
    system_options opts;
    opts.asterisk_port = media_port;  // the media server is Asterisk
    opts.services = {{"sip-edge", "edge1"}, {"callctl", "callctl-0"}};
    consulted_port = free_port(SOCK_DGRAM);
    opts.dns = {{"1000", "Extension", "", dn_options,
                 "contact: \"sip:1000@127.0.0.1:" + std::to_string(agent_port) +
                     "\", monitor: false"},
                // The DN a 3pcc conference consults.
                {"1001", "Extension", "", "",
                 "contact: \"sip:1001@127.0.0.1:" + std::to_string(consulted_port) +
                     "\", monitor: false"},
                {"8000", "RoutingPoint", "", "router-timeout: 60"}};
    sys = std::make_unique<sipcc_system>(opts);
  }

  // The media server takes `legs` INVITEs as `media_xml` says, the agent answers once.
  void start(int legs, const std::string& media_xml = "media-server-holds-legs-until-bye.xml") {
    media = std::make_unique<sipp_run>(media_xml, media_port, sys->dir(),
                                       std::vector<std::string>{"-m", std::to_string(legs)},
                                       "media");
    agent = std::make_unique<sipp_run>("agent-answers-takes-reinvites-until-bye.xml", agent_port,
                                       sys->dir(), std::vector<std::string>{}, "agent");
    sys->start_services();
  }

  // A customer calls 8000 and is routed to agent DN 1000 with these
  // Extensions; returns the ConnID once the call is established.
  std::string routed_call(const v1::KVList& extensions = {}) {
    auto conn = customer_calls(*sys, customer, "customer-takes-reinvites-until-bye.xml", "0",
                               "8000", kWait);
    if (conn.empty())
      return "";
    v1::TRequest r;
    r.set_type(v1::TRouteCall);
    r.set_this_dn("8000");
    r.set_conn_id(conn);
    r.set_other_dn("1000");
    *r.mutable_extensions() = extensions;
    EXPECT_EQ(sys->call_request(r).type(), v1::EventRouteUsed);
    EXPECT_TRUE(sys->recorder().wait_event("1000", v1::EventEstablished, kWait))
        << "logs in " << sys->dir();
    return conn;
  }

  // TInitiateConference from 1000 to 1001 on call `conn`: the consultation
  // call's ConnID once 1001 answered ("" and a failure otherwise).
  std::string initiate_conference(const std::string& conn) {
    auto dialing = desktop(v1::TInitiateConference, conn, "1001");
    EXPECT_EQ(dialing.type(), v1::EventDialing) << dialing.error_message();
    EXPECT_EQ(dialing.transfer_conn_id(), conn);
    if (!sys->recorder().wait_event("1001", v1::EventEstablished, kWait)) {
      ADD_FAILURE() << "1001 never established; logs in " << sys->dir();
      return "";
    }
    return dialing.conn_id();
  }

  v1::TEvent desktop(v1::RequestType type, const std::string& conn,
                     const std::string& other_dn = "") {
    v1::TRequest r;
    r.set_type(type);
    r.set_this_dn("1000");
    r.set_conn_id(conn);
    r.set_other_dn(other_dn);
    return sys->call_request(r);
  }

  v1::ConfReply conf(v1::ConfOp op, const std::string& conf_id, const std::string& conn) {
    v1::ConfRequest r;
    r.set_schema(v1::SCHEMA_V1);
    r.set_op(op);
    r.set_reference_id("ref-" + conn);
    r.set_conf_id(conf_id);
    r.set_conn_id(conn);
    auto raw = sys->recorder().client().request(subj::conf_req, r, kWait);
    v1::ConfReply reply;
    EXPECT_TRUE(raw && reply.ParseFromString(*raw)) << "no ConfReply; logs in " << sys->dir();
    return reply;
  }

  // The release from the desktop ends every leg; every SIPp ran to its end.
  void release_and_finish(const std::string& conn) {
    EXPECT_EQ(desktop(v1::TReleaseCall, conn).type(), v1::EventReleased);
    EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
    EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
    EXPECT_EQ(media->wait_exit(kWait), 0) << media->log();
  }

  // The call was recorded into <ConnID>-<n>.wav: the media server got one
  // conference leg per party, each with what that party had sent, and each
  // party was re-INVITEd with the media server's answer.
  void expect_recorded(const std::string& conn, int n) {
    auto m = media->trace(), c = customer->trace(), a = agent->trace();
    auto invites = all_of(m, false, "INVITE");
    ASSERT_EQ(invites.size(), 2u);
    const std::string id = conn + "-" + std::to_string(n);
    for (const auto& inv : invites)
      EXPECT_EQ(inv.message.start_line, "INVITE sip:conf=rec-" + id + "@127.0.0.1:" +
                                             std::to_string(media_port) + ";record=" + id +
                                             ".wav SIP/2.0");
    // Each party's SDP made a sendrecv offer.
    EXPECT_EQ(invites[0].message.body, offered(body_of(c, true, "INVITE")));
    EXPECT_EQ(invites[1].message.body, offered(body_of(a, true, "SIP/2.0 200")));
    auto to_customer = all_of(c, false, "INVITE");
    auto to_agent = all_of(a, false, "INVITE");
    ASSERT_GE(to_customer.size(), 1u);
    ASSERT_GE(to_agent.size(), 2u);  // the call's INVITE, then the re-INVITE
    EXPECT_TRUE(has_media_port(to_customer[0].message.body, kMediaRtp));
    EXPECT_TRUE(has_media_port(to_agent[1].message.body, kMediaRtp));
    // Each keeps its session with sipcc: the agent's o= goes on for the customer.
    EXPECT_NE(to_customer[0].message.body.find("o=agent 1 2 "), std::string::npos);
    EXPECT_EQ(all_of(m, false, "BYE").size(), 2u);
  }

  // Out of the media server again, before the reply: the customer was
  // re-INVITEd with the agent's media, then the agent with the customer's.
  void expect_back_to_each_other() {
    auto to_customer = all_of(customer->trace(), false, "INVITE");
    auto to_agent = all_of(agent->trace(), false, "INVITE");
    ASSERT_EQ(to_customer.size(), 2u);
    ASSERT_EQ(to_agent.size(), 3u);
    EXPECT_TRUE(has_media_port(to_customer[1].message.body, kAgentRtp));
    EXPECT_TRUE(has_media_port(to_agent[2].message.body, kCustomerRtp));
  }

  // TCompleteConference refused by the media server (with `status`, after
  // `media_invites` conference INVITEs) on a consultation from 1000 to 1001:
  // EventError with the reason; the customer, held for the consultation,
  // gets the agent's media back (sendrecv) and the agent the customer's,
  // each in its session with sipcc; 1001 is held (the agent's media,
  // sendonly) and its consultation call stays, so the desktop ends it and
  // then the call as usual.
  void expect_refused_conference_joins_back(const std::string& media_xml, int media_invites,
                                            uint32_t status) {
    configure();
    auto consulted = std::make_unique<sipp_run>(
        "consulted-dn-answers-offerless-invite-takes-reinvites-until-bye.xml", consulted_port,
        sys->dir(), std::vector<std::string>{}, "consulted");
    start(media_invites, media_xml);
    auto conn = routed_call();
    ASSERT_FALSE(conn.empty());
    const auto consult = initiate_conference(conn);
    ASSERT_FALSE(consult.empty());

    auto refused = desktop(v1::TCompleteConference, conn);
    ASSERT_EQ(refused.type(), v1::EventError);
    EXPECT_EQ(refused.error_message(), "conference: media server answered " + std::to_string(status));
    auto held = sys->recorder().wait_event("1000", v1::EventHeld, kWait, 2);
    ASSERT_TRUE(held) << "logs in " << sys->dir();
    EXPECT_EQ(held->conn_id(), consult);
    auto retrieved = sys->recorder().wait_event("1000", v1::EventRetrieved, kWait);
    ASSERT_TRUE(retrieved) << "logs in " << sys->dir();
    EXPECT_EQ(retrieved->conn_id(), conn);

    auto invites = all_of(media->trace(), false, "INVITE");
    ASSERT_EQ(invites.size(), static_cast<size_t>(media_invites));
    for (const auto& inv : invites)
      EXPECT_EQ(inv.message.start_line, "INVITE sip:conf=" + conn + "@127.0.0.1:" +
                                            std::to_string(media_port) + " SIP/2.0");
    EXPECT_TRUE(has_media_port(invites[0].message.body, kCustomerRtp));

    // The re-INVITEs' 200s of each SIPp carry the same body every time.
    const auto c = customer->trace(), a = agent->trace(), o = consulted->trace();
    const auto customer_sent = bodies_of(c, true, "SIP/2.0 200").back();
    const auto agent_sent = bodies_of(a, true, "SIP/2.0 200").back();
    // The customer: held for the consultation, then (taken out of the
    // conference) the agent's media, sendrecv, one o= version up.
    auto to_customer = bodies_of(c, false, "INVITE");
    ASSERT_EQ(to_customer.size(), static_cast<size_t>(media_invites + 1));
    EXPECT_EQ(origin_and_direction(to_customer.front()), "o=agent 1 2 IN IP4 127.0.0.1 a=sendonly");
    EXPECT_EQ(to_customer.back(), with_origin(agent_sent, next_origin_of(to_customer.end()[-2])));
    EXPECT_TRUE(has_media_port(to_customer.back(), kAgentRtp));
    EXPECT_NE(to_customer.back().find("a=sendrecv"), std::string::npos);
    // The agent: the call, the hold, 1001's offer, then the customer's media.
    auto to_agent = bodies_of(a, false, "INVITE");
    ASSERT_EQ(to_agent.size(), 4u);
    EXPECT_EQ(to_agent.back(), with_origin(customer_sent, next_origin_of(to_agent[2])));
    EXPECT_TRUE(has_media_port(to_agent.back(), kCustomerRtp));
    // 1001: the offerless INVITE, then held with the agent's media.
    auto to_consulted = bodies_of(o, false, "INVITE");
    ASSERT_EQ(to_consulted.size(), 2u);
    EXPECT_EQ(to_consulted[0], "");
    auto sendonly = agent_sent;
    sendonly.replace(sendonly.find("a=sendrecv"), 10, "a=sendonly");
    EXPECT_EQ(to_consulted[1],
              with_origin(sendonly, next_origin_of(body_of(o, false, "ACK"))));

    EXPECT_EQ(desktop(v1::TReleaseCall, consult).type(), v1::EventReleased);
    EXPECT_EQ(consulted->wait_exit(kWait), 0) << consulted->log();
    release_and_finish(conn);
    EXPECT_EQ(all_of(media->trace(), false, "BYE").size(), static_cast<size_t>(media_invites - 1));
    EXPECT_EQ(sys->recorder().events("1000"),
              (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventHeld, v1::EventDialing,
                       v1::EventEstablished, v1::EventError, v1::EventHeld, v1::EventRetrieved,
                       v1::EventReleased, v1::EventReleased}));
    EXPECT_EQ(sys->recorder().events("1001"),
              (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventReleased}));
    expect_nothing_dangles(*sys, kWait);
  }

  uint16_t agent_port = 0, media_port = 0, consulted_port = 0;
  std::unique_ptr<sipcc_system> sys;
  std::unique_ptr<sipp_run> agent, customer, media;
};

TEST_F(ConferenceSipp, DnOptionRecordsEveryCallOnceEstablished) {
  configure("record: true");
  start(2);
  auto conn = routed_call();
  ASSERT_FALSE(conn.empty());
  auto on = sys->recorder().wait_event("1000", v1::EventAttachedDataChanged, kWait);
  ASSERT_TRUE(on) << "logs in " << sys->dir();
  EXPECT_EQ(user_data(*on, "RecordingFile"), conn + "-1.wav");
  EXPECT_EQ(user_data(*on, "RecordingState"), "on");
  release_and_finish(conn);
  expect_recorded(conn, 1);
  EXPECT_EQ(sys->recorder().events("1000"),
            (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventAttachedDataChanged,
                     v1::EventReleased}));
  expect_nothing_dangles(*sys, kWait);
}

// Failover: the recording's media server goes out of service (the test plays
// the media service's event). callctl takes both parties out of its
// conference, back to each other (RecordingState off), and the call goes on.
TEST_F(ConferenceSipp, ARecordingOnADeadMediaServerStopsAndThePartiesTalkOn) {
  configure("record: true");
  start(2);
  auto conn = routed_call();
  ASSERT_FALSE(conn.empty());
  auto& rec = sys->recorder();
  auto on = rec.wait_event("1000", v1::EventAttachedDataChanged, kWait);
  ASSERT_TRUE(on) << "logs in " << sys->dir();
  EXPECT_EQ(user_data(*on, "RecordingState"), "on");

  publish_out_of_service(rec.client(), "asterisk");
  auto off = rec.wait_event("1000", v1::EventAttachedDataChanged, kWait, 2);
  ASSERT_TRUE(off) << "logs in " << sys->dir();
  EXPECT_EQ(user_data(*off, "RecordingState"), "off");
  expect_back_to_each_other();
  release_and_finish(conn);
  EXPECT_EQ(rec.events("1000"),
            (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventAttachedDataChanged,
                     v1::EventAttachedDataChanged, v1::EventReleased}));
  expect_nothing_dangles(*sys, kWait);
}

TEST_F(ConferenceSipp, RouteExtensionsRecordTheCall) {
  configure();
  start(2);
  v1::KVList ext;
  auto* kv = ext.add_pairs();
  kv->set_key("record");
  kv->set_str("destination");
  auto conn = routed_call(ext);
  ASSERT_FALSE(conn.empty());
  auto on = sys->recorder().wait_event("1000", v1::EventAttachedDataChanged, kWait);
  ASSERT_TRUE(on) << "logs in " << sys->dir();
  EXPECT_EQ(user_data(*on, "RecordingState"), "on");
  release_and_finish(conn);
  expect_recorded(conn, 1);
  expect_nothing_dangles(*sys, kWait);
}

TEST_F(ConferenceSipp, DesktopStartsAndStopsRecording) {
  configure();
  start(2);
  auto conn = routed_call();
  ASSERT_FALSE(conn.empty());
  // Stop before start, and a bad Extensions value, are refused without SIP.
  auto early = desktop(v1::TStopRecording, conn);
  EXPECT_EQ(early.type(), v1::EventError);
  EXPECT_EQ(early.error_message(), "ConnID " + conn + " is in no conference");
  auto on = desktop(v1::TStartRecording, conn);
  ASSERT_EQ(on.type(), v1::EventAttachedDataChanged) << on.error_message();
  EXPECT_EQ(user_data(on, "RecordingFile"), conn + "-1.wav");
  EXPECT_EQ(user_data(on, "RecordingState"), "on");
  auto off = desktop(v1::TStopRecording, conn);
  ASSERT_EQ(off.type(), v1::EventAttachedDataChanged) << off.error_message();
  EXPECT_EQ(user_data(off, "RecordingState"), "off");
  expect_back_to_each_other();
  release_and_finish(conn);
  expect_recorded(conn, 1);
  EXPECT_EQ(sys->recorder().events("1000"),
            (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventAttachedDataChanged,
                     v1::EventAttachedDataChanged, v1::EventReleased}));
  expect_nothing_dangles(*sys, kWait);
}

// A caller answered by one treatment gets another: the media server's new
// leg first, then the caller's re-INVITE, then the old leg goes; a route
// then reaches the agent by RFC 3725 flow I.
TEST_F(ConferenceSipp, SecondTreatmentOnAnAnsweredCallerThenRouted) {
  configure();
  start(2);
  auto conn = customer_calls(*sys, customer, "customer-takes-reinvites-until-bye.xml", "0",
                             "8000", kWait);
  ASSERT_FALSE(conn.empty());
  auto music = sys->apply_treatment("8000", conn, v1::Music);
  ASSERT_EQ(music.type(), v1::EventTreatmentApplied) << music.error_message();
  v1::KVList prompt;
  auto* kv = prompt.add_pairs();
  kv->set_key("PROMPT");
  kv->set_str("queue-welcome");
  auto annc = sys->apply_treatment("8000", conn, v1::PlayAnnouncement, prompt);
  ASSERT_EQ(annc.type(), v1::EventTreatmentApplied) << annc.error_message();
  auto m = media->trace();
  auto invites = all_of(m, false, "INVITE");
  ASSERT_EQ(invites.size(), 2u);
  EXPECT_EQ(invites[1].message.start_line,
            "INVITE sip:annc@127.0.0.1:" + std::to_string(media_port) +
                ";play=file:queue-welcome SIP/2.0");
  // The announcement got what the caller had sent; the caller the announcement's SDP.
  EXPECT_EQ(invites[1].message.body, offered(body_of(customer->trace(), true, "INVITE")));
  auto to_customer = all_of(customer->trace(), false, "INVITE");
  ASSERT_EQ(to_customer.size(), 1u);
  // The second media server leg's SDP is the first one's, so the customer's
  // session keeps its o= version (RFC 3264 8: it changes only with the body).
  EXPECT_EQ(to_customer[0].message.body, body_of(m, true, "SIP/2.0 200"));
  EXPECT_EQ(sys->route_call("8000", conn, "1000").type(), v1::EventRouteUsed);
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventEstablished, kWait))
      << "logs in " << sys->dir();
  release_and_finish(conn);
  EXPECT_EQ(all_of(media->trace(), false, "BYE").size(), 2u);
  EXPECT_EQ(sys->recorder().events("8000"),
            (ev_list{v1::EventRouteRequest, v1::EventTreatmentApplied, v1::EventTreatmentEnd,
                     v1::EventTreatmentApplied, v1::EventRouteUsed, v1::EventTreatmentEnd}));
  expect_nothing_dangles(*sys, kWait);
}

// Two calls, three parties: call 1 (customer and agent, established) and
// call 2 (a customer waiting at the Routing Point with music) join one
// conference; then call 1 leaves it and its parties talk to each other again.
TEST_F(ConferenceSipp, ThreePartiesFromTwoCallsJoinAndLeave) {
  configure();
  start(4);  // music for call 2, then three conference legs
  auto first = routed_call();
  ASSERT_FALSE(first.empty());
  // In the conference for a second, then it hangs up.
  auto waiting = std::make_unique<sipp_run>(
      "customer-joins-then-hangs-up.xml", sys->trunk_port(1), sys->dir(),
      std::vector<std::string>{"-s", "8000", "-d", "1000",
                               "127.0.0.1:" + std::to_string(sys->edge_port())},
      "waiting");
  auto rr = sys->recorder().wait_event("8000", v1::EventRouteRequest, kWait, 2);
  ASSERT_TRUE(rr) << "logs in " << sys->dir();
  const auto second = rr->conn_id();
  auto music = sys->apply_treatment("8000", second, v1::Music);
  ASSERT_EQ(music.type(), v1::EventTreatmentApplied) << music.error_message();

  // The shipped CLI names the conference.
  int rc = -1;
  auto created = nlohmann::json::parse(sys->ctl({"conf", "create"}, &rc));
  ASSERT_EQ(rc, 0);
  const std::string id = created.value("conf_id", "");
  ASSERT_EQ(id.rfind("conf-", 0), 0u) << created.dump();
  EXPECT_EQ(conf(v1::CONF_JOIN, id, first).error(), "");
  EXPECT_EQ(conf(v1::CONF_JOIN, id, second).error(), "");
  // The music went when call 2's customer moved into the conference.
  EXPECT_TRUE(sys->recorder().wait_event("8000", v1::EventTreatmentEnd, kWait));
  auto bad = conf(v1::CONF_JOIN, "a b", first);
  EXPECT_EQ(bad.error(), "conf_id 'a b' is not [A-Za-z0-9_-]+");
  EXPECT_EQ(conf(v1::CONF_JOIN, id, "nope").error(), "no call with ConnID 'nope'");
  EXPECT_EQ(conf(v1::CONF_JOIN, id, first).error(), "ConnID " + first + " is in conference " + id);

  auto m = media->trace();
  auto invites = all_of(m, false, "INVITE");
  ASSERT_EQ(invites.size(), 4u);
  const std::string conf_line =
      "INVITE sip:conf=" + id + "@127.0.0.1:" + std::to_string(media_port) + " SIP/2.0";
  for (size_t i = 1; i < invites.size(); ++i)
    EXPECT_EQ(invites[i].message.start_line, conf_line);
  // Each party's own media went to the media server.
  EXPECT_TRUE(has_media_port(invites[1].message.body, kCustomerRtp));
  EXPECT_TRUE(has_media_port(invites[2].message.body, kAgentRtp));
  EXPECT_TRUE(has_media_port(invites[3].message.body, kCustomerRtp));

  EXPECT_EQ(conf(v1::CONF_LEAVE, id, first).error(), "");
  expect_back_to_each_other();

  release_and_finish(first);
  // Call 2's customer hangs up in the conference: its leg there goes too.
  EXPECT_EQ(waiting->wait_exit(kWait), 0) << waiting->log();
  EXPECT_TRUE(sys->recorder().wait_event("8000", v1::EventAbandoned, kWait));
  EXPECT_EQ(media->wait_exit(kWait), 0) << media->log();
  EXPECT_EQ(all_of(media->trace(), false, "BYE").size(), 4u);
  EXPECT_EQ(sys->recorder().events("8000"),
            (ev_list{v1::EventRouteRequest, v1::EventRouteUsed, v1::EventRouteRequest,
                     v1::EventTreatmentApplied, v1::EventTreatmentEnd, v1::EventAbandoned}));
  expect_nothing_dangles(*sys, kWait);
}

// Desktop conference (3pcc): agent 1000 consults 1001 with TInitiateConference,
// TCompleteConference puts the customer, 1000 and 1001 into conference
// <ConnID> on the media server, and TDeleteFromConference takes 1001 out:
// the last two are joined back directly.
TEST_F(ConferenceSipp, DesktopConferenceOfThreeThenOneDeleted) {
  configure();
  start(3);
  auto consulted = std::make_unique<sipp_run>("agent-answers-takes-reinvites-until-bye.xml",
                                              consulted_port, sys->dir(),
                                              std::vector<std::string>{}, "consulted");
  auto conn = routed_call();
  ASSERT_FALSE(conn.empty());
  const auto consult = initiate_conference(conn);
  ASSERT_FALSE(consult.empty());
  auto added = desktop(v1::TCompleteConference, conn);
  ASSERT_EQ(added.type(), v1::EventPartyAdded) << added.error_message();
  EXPECT_EQ(added.third_party_dn(), "1001");
  // Each party's own media went to conference <ConnID>.
  auto invites = all_of(media->trace(), false, "INVITE");
  ASSERT_EQ(invites.size(), 3u);
  for (const auto& inv : invites)
    EXPECT_EQ(inv.message.start_line, "INVITE sip:conf=" + conn + "@127.0.0.1:" +
                                          std::to_string(media_port) + " SIP/2.0");
  EXPECT_TRUE(has_media_port(invites[0].message.body, kCustomerRtp));
  EXPECT_TRUE(has_media_port(invites[1].message.body, kAgentRtp));
  EXPECT_TRUE(has_media_port(invites[2].message.body, kAgentRtp));  // 1001 plays the same SIPp
  EXPECT_NE(invites[0].message.body.find("a=sendrecv"), std::string::npos);  // held no more

  auto deleted = desktop(v1::TDeleteFromConference, conn, "1001");
  ASSERT_EQ(deleted.type(), v1::EventPartyDeleted) << deleted.error_message();
  EXPECT_EQ(consulted->wait_exit(kWait), 0) << consulted->log();
  release_and_finish(conn);
  EXPECT_EQ(all_of(media->trace(), false, "BYE").size(), 3u);
  EXPECT_EQ(sys->recorder().events("1000"),
            (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventHeld, v1::EventDialing,
                     v1::EventEstablished, v1::EventReleased, v1::EventPartyAdded,
                     v1::EventPartyDeleted, v1::EventReleased}));
  EXPECT_EQ(sys->recorder().events("1001"),
            (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventPartyChanged,
                     v1::EventPartyAdded, v1::EventReleased}));
  auto changed = sys->recorder().wait_event("1001", v1::EventPartyChanged, kWait);
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->conn_id(), conn);
  EXPECT_EQ(changed->previous_conn_id(), consult);
  expect_nothing_dangles(*sys, kWait);
}

// A desktop conference the media server refuses at once: nobody moved.
TEST_F(ConferenceSipp, MediaServerRefusingTheConferenceJoinsTheAgentAndTheCustomerBack) {
  expect_refused_conference_joins_back("media-server-refuses-conference-503.xml", 1, 503);
}

// The media server takes the customer, then refuses the agent: the customer
// leaves the conference (its leg BYEd) and is joined back the same way.
TEST_F(ConferenceSipp, ConferenceFailingMidwayTakesTheCustomerOutAndJoinsItBack) {
  expect_refused_conference_joins_back("media-server-takes-the-customer-refuses-the-agent-486.xml",
                                       2, 486);
}

}  // namespace
}  // namespace sipcc::test
