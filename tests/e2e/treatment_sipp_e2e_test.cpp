// Treatments at a Routing Point end to end: SIPp plays Asterisk three times,
// as the trunk (the customer calling 8000), as the media server
// (`asterisk.address`, extensions.conf [media-server]) and as the agent's
// phone; sip-edge and callctl run for real. The test plays the desktop that
// sends TApplyTreatment and the router that sends TRouteCall.
#include <algorithm>

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "call_gauges.hpp"
#include "media_requests.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipcc/v1/media.pb.h"
#include "sipcc/v1/sip.pb.h"
#include "sipp.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;
using ev_list = std::vector<v1::EventType>;

constexpr auto kWait = 10s;

size_t count_of(const std::vector<traced>& t, bool sent, const std::string& start) {
  return static_cast<size_t>(std::count_if(t.begin(), t.end(), [&](const traced& m) {
    return m.sent == sent && m.message.start_line.rfind(start, 0) == 0;
  }));
}

v1::KVList parms(const std::string& key, const std::string& value) {
  v1::KVList l;
  auto* kv = l.add_pairs();
  kv->set_key(key);
  kv->set_str(value);
  return l;
}

class TreatmentSipp : public ::testing::Test {
protected:
  void SetUp() override { configure(false); }

  // With the default router, 8000 routes to group Sales (agent a1) and plays
  // music to a caller who waits; agent DN 1000's phone is registered on
  // sipcc (published by the test), so presence knows it in service without
  // subscribing to the SIPp media server.
  void configure(bool router) {
    if (!sipp_installed())
      GTEST_SKIP() << "sipp (package sip-tester) is not on PATH";
    agent_port = free_port(SOCK_DGRAM);
    media_port = free_port(SOCK_DGRAM);
    opts = {};
    opts.asterisk_port = media_port;  // the media server is Asterisk
    opts.services = {{"sip-edge", "edge1"}, {"callctl", "callctl-0"}};
    if (router) {
      opts.dns = {{"1000", "Extension", "", "", "password: secret"},
                  {"8000", "RoutingPoint", "",
                   "router-timeout: 60, agent-group: Sales, treatment: \"Music MUSIC=default\""}};
      opts.agents = {"a1"};
      opts.extra_yaml = "agent-groups: [ { name: Sales, members: [a1] } ]\n";
      opts.services.emplace_back("presence", "presence-0");
      opts.services.emplace_back("router", "router-0");
    } else {
      opts.dns = {{"1000", "Extension", "", "",
                   "contact: \"sip:1000@127.0.0.1:" + std::to_string(agent_port) +
                       "\", monitor: false"},
                  {"8000", "RoutingPoint", "", "router-timeout: 60"}};
    }
    sys = std::make_unique<sipcc_system>(opts);
  }

  void start(const std::string& media_xml, const std::string& agent_xml,
             const std::vector<std::string>& media_args = {}) {
    media = std::make_unique<sipp_run>(media_xml, media_port, sys->dir(), media_args, "media");
    agent = std::make_unique<sipp_run>(agent_xml, agent_port, sys->dir(),
                                       std::vector<std::string>{}, "agent");
    sys->start_services();
  }

  // Starts the customer calling 8000 and returns the ConnID of its route request.
  std::string customer_calls(const std::string& scenario, const std::string& pause_ms) {
    return test::customer_calls(*sys, customer, scenario, pause_ms, "8000", kWait);
  }

  // Routes to the agent, waits for the end of the call and for every SIPp.
  void route_and_hang_up(const std::string& conn) {
    EXPECT_EQ(sys->route_call("8000", conn, "1000").type(), v1::EventRouteUsed);
    ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventReleased, kWait))
        << "logs in " << sys->dir();
    EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
    EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
    EXPECT_EQ(media->wait_exit(kWait), 0) << media->log();
    EXPECT_EQ(sys->recorder().events("1000"),
              (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventReleased}));
  }

  // RFC 3725 flow I as the peers saw it: the agent was INVITEd without SDP,
  // the customer re-INVITEd with the agent's offer, the agent's ACK carried
  // the customer's answer. (The customer scenario then holds and hangs up.)
  void expect_flow_i() {
    auto c = customer->trace(), a = agent->trace(), m = media->trace();
    EXPECT_EQ(body_of(a, false, "INVITE"), "");
    // In the session the customer has with sipcc: the media server's, one version on.
    EXPECT_EQ(body_of(c, false, "INVITE"),
              with_origin(body_of(a, true, "SIP/2.0 200"), "o=media 1 2 IN IP4 127.0.0.1"));
    EXPECT_EQ(body_of(a, false, "ACK"), body_of(c, true, "SIP/2.0 200"));
    // The customer's later hold reached the agent, and the edge ACKed its
    // 200 by itself: only the first 2xx of a flow I leg waits for callctl.
    EXPECT_EQ(count_of(a, false, "INVITE"), 2u);
    EXPECT_EQ(count_of(a, false, "ACK"), 2u);
    // Before that the media server had the customer's offer and answered it.
    EXPECT_EQ(body_of(m, false, "INVITE"), body_of(c, true, "INVITE"));
    EXPECT_EQ(body_of(c, false, "SIP/2.0 200"), body_of(m, true, "SIP/2.0 200"));
  }

  // The customer waits at 8000 with music playing (TApplyTreatment): its
  // ConnID, and the media leg callctl reported started to the media service.
  void music_plays(std::string& conn, v1::MediaLegEvent& started) {
    start("media-server-plays-music-until-bye.xml",
          "agent-answers-offerless-invite-with-an-offer.xml");
    conn = customer_calls("customer-hears-treatment-then-takes-the-agents-reinvite.xml", "500");
    ASSERT_FALSE(conn.empty());
    EXPECT_EQ(sys->apply_treatment("8000", conn, v1::Music).type(), v1::EventTreatmentApplied);
    ASSERT_TRUE(sys->recorder().wait(
        [&](const bus_msg& m) {
          return m.subject == subj::media_leg("callctl-0") && started.ParseFromString(m.data) &&
                 started.has_started();
        },
        kWait));
  }

  // callctl reported media leg `leg_id` ended, within the deadline.
  bool media_leg_ended(const std::string& leg_id) {
    v1::MediaLegEvent ended;
    return sys->recorder()
        .wait(
            [&](const bus_msg& m) {
              return m.subject == subj::media_leg("callctl-0") && ended.ParseFromString(m.data) &&
                     ended.has_ended() && ended.ended().leg_id() == leg_id;
            },
            kWait)
        .has_value();
  }

  uint16_t agent_port = 0, media_port = 0;
  system_options opts;
  std::unique_ptr<sipcc_system> sys;
  std::unique_ptr<sipp_run> agent, customer, media;
};

TEST_F(TreatmentSipp, MusicWhileQueuedThenRoutedToAnAgent) {
  start("media-server-plays-music-until-bye.xml", "agent-answers-offerless-invite-with-an-offer.xml");
  auto conn = customer_calls("customer-hears-treatment-then-takes-the-agents-reinvite.xml", "500");
  ASSERT_FALSE(conn.empty());
  auto applied = sys->apply_treatment("8000", conn, v1::Music);
  EXPECT_EQ(applied.type(), v1::EventTreatmentApplied) << applied.error_message();
  EXPECT_EQ(applied.conn_id(), conn);
  route_and_hang_up(conn);
  EXPECT_EQ(sys->recorder().events("8000"),
            (ev_list{v1::EventRouteRequest, v1::EventTreatmentApplied, v1::EventRouteUsed,
                     v1::EventTreatmentEnd}));
  expect_flow_i();
  auto m = media->trace();
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m.front().message.start_line,
            "INVITE sip:annc@127.0.0.1:" + std::to_string(media_port) +
                ";play=moh:default;repeat=forever SIP/2.0");
  // The RFC 4240 parameters stay inside the To URI: outside the brackets
  // they are To-header parameters, where a real Asterisk refuses the ':'.
  EXPECT_EQ(m.front().message.header("To"),
            "<sip:annc@127.0.0.1:" + std::to_string(media_port) +
                ";play=moh:default;repeat=forever>");
  EXPECT_EQ(count_of(m, false, "BYE"), 1u);
  expect_nothing_dangles(*sys, kWait);
}

// callctl tells the media service of each media leg: started when its
// INVITE goes (kind, server by its pool name), ended with its dialog, and
// listed whenever a media service instance asks (sipcc.media.sync), so the
// pool's counts are the legs callctl really holds, after a restart too.
TEST_F(TreatmentSipp, MediaLegsAreReportedToTheMediaService) {
  std::string conn;
  v1::MediaLegEvent started;
  ASSERT_NO_FATAL_FAILURE(music_plays(conn, started));
  auto& rec = sys->recorder();
  const auto& leg = started.started();
  EXPECT_EQ(started.owner(), "callctl-0");
  EXPECT_EQ(leg.conn_id(), conn);
  EXPECT_EQ(leg.kind(), v1::MEDIA_TREATMENT);
  EXPECT_EQ(leg.server(), "asterisk");  // the default pool: the one at asterisk.address
  EXPECT_GT(leg.started_us(), 0);

  // The legs callctl holds, as a (re)started media service asks for them.
  auto listed = [&](size_t n) {
    v1::MediaSync sync;
    sync.set_schema(v1::SCHEMA_V1);
    sync.set_instance("media-0");
    rec.client().publish(subj::media_sync, sync);
    v1::MediaLegList list;
    return rec.wait([&](const bus_msg& m) {
      return m.subject == subj::media_list("callctl-0") && list.ParseFromString(m.data) &&
             static_cast<size_t>(list.legs_size()) == n &&
             (n == 0 || list.legs(0).leg_id() == leg.leg_id());
    }, kWait).has_value();
  };
  EXPECT_TRUE(listed(1));

  route_and_hang_up(conn);
  EXPECT_TRUE(media_leg_ended(leg.leg_id()));
  EXPECT_TRUE(listed(0));
  expect_nothing_dangles(*sys, kWait);
}

// Failover: the media service says the treatment's server went out of
// service (the test plays it; MediaPoolSipp tests how it finds out). callctl
// takes the treatment off the call (BYE, EventTreatmentEnd), reports the leg
// ended, and the waiting caller is routed as usual.
TEST_F(TreatmentSipp, ATreatmentOnADeadMediaServerEndsAndTheCallIsRouted) {
  std::string conn;
  v1::MediaLegEvent started;
  ASSERT_NO_FATAL_FAILURE(music_plays(conn, started));
  auto& rec = sys->recorder();

  publish_out_of_service(rec.client(), "asterisk");
  ASSERT_TRUE(rec.wait_event("8000", v1::EventTreatmentEnd, kWait));
  EXPECT_TRUE(media_leg_ended(started.started().leg_id()));

  route_and_hang_up(conn);
  EXPECT_EQ(rec.events("8000"), (ev_list{v1::EventRouteRequest, v1::EventTreatmentApplied,
                                         v1::EventTreatmentEnd, v1::EventRouteUsed}));
  EXPECT_EQ(count_of(media->trace(), false, "BYE"), 1u);  // sipcc's, at the failover
  expect_nothing_dangles(*sys, kWait);
}

// With the media service running, callctl asks it before each media INVITE:
// a treatment no server of the pool serves is refused with its reason and
// sends nothing; one it serves plays on the server it chose (ms1, the SIPp
// media server), not at asterisk.address (nobody listens there).
TEST_F(TreatmentSipp, TreatmentsGoWhereTheMediaServiceSaysAndARefusalSendsNothing) {
  opts.asterisk_port = free_port(SOCK_DGRAM);
  opts.services.emplace_back("media", "media-0");
  // One probe at start-up, none more while the test runs.
  opts.extra_yaml = "media:\n  options-interval-ms: 60000\n  servers:\n"
                    "    - { name: ms1, address: 127.0.0.1:" + std::to_string(media_port) +
                    ", treatments: [Music] }\n";
  sys = std::make_unique<sipcc_system>(opts);
  start("media-server-answers-a-probe-and-plays-music-until-bye.xml",
        "agent-answers-offerless-invite-with-an-offer.xml", {"-m", "2"});
  auto conn = customer_calls("customer-hears-treatment-then-takes-the-agents-reinvite.xml", "500");
  ASSERT_FALSE(conn.empty());

  auto na = sys->apply_treatment("8000", conn, v1::PlayAnnouncement, parms("PROMPT", "welcome"));
  EXPECT_EQ(na.type(), v1::EventTreatmentNotApplied) << "logs in " << sys->dir();
  ASSERT_EQ(na.reasons().pairs_size(), 1);
  const auto why = na.reasons().pairs(0).str();
  EXPECT_NE(why.find("PlayAnnouncement"), std::string::npos) << why;  // the media service's words

  EXPECT_EQ(sys->apply_treatment("8000", conn, v1::Music).type(), v1::EventTreatmentApplied);
  v1::MediaLegEvent started;
  ASSERT_TRUE(sys->recorder().wait(
      [&](const bus_msg& m) {
        return m.subject == subj::media_leg("callctl-0") && started.ParseFromString(m.data) &&
               started.has_started();
      },
      kWait));
  EXPECT_EQ(started.started().server(), "ms1");
  route_and_hang_up(conn);
  EXPECT_EQ(count_of(media->trace(), false, "INVITE"), 1u);  // the Music one only
  EXPECT_EQ(sys->recorder().events("8000"),
            (ev_list{v1::EventRouteRequest, v1::EventTreatmentNotApplied,
                     v1::EventTreatmentApplied, v1::EventRouteUsed, v1::EventTreatmentEnd}));
  expect_nothing_dangles(*sys, kWait);
}

// Failover with the media service's own detection: two SIPp media servers
// answer its OPTIONS; the one playing the caller's music is stopped. The media
// service takes it out of service (its health event), callctl ends the
// treatment there (EventTreatmentEnd), and the caller's next treatment plays
// on the other server; then the caller is routed and released as usual.
TEST_F(TreatmentSipp, AServerStoppedMidTreatmentTheNextTreatmentPlaysOnTheOther) {
  const uint16_t ms2_port = free_port(SOCK_DGRAM);
  opts.asterisk_port = free_port(SOCK_DGRAM);  // nobody: media INVITEs go where media says
  opts.services.emplace_back("media", "media-0");
  opts.extra_yaml = "media:\n  options-interval-ms: 300\n  options-timeout-ms: 200\n"
                    "  out-after: 2\n  back-after: 2\n  servers:\n"
                    "    - { name: ms1, address: 127.0.0.1:" + std::to_string(media_port) +
                    ", treatments: [Music] }\n"
                    "    - { name: ms2, address: 127.0.0.1:" + std::to_string(ms2_port) +
                    ", treatments: [Music] }\n";
  sys = std::make_unique<sipcc_system>(opts);
  // Each probe is a call of its own to SIPp: enough calls for the whole test.
  const std::vector<std::string> probes_too = {"-m", "100000", "-timeout", "170s"};
  const std::string server_xml = "media-server-answers-a-probe-and-plays-music-until-bye.xml";
  auto media2 = std::make_unique<sipp_run>(server_xml, ms2_port, sys->dir(), probes_too, "media2");
  start(server_xml, "agent-answers-offerless-invite-takes-reinvites-until-bye.xml", probes_too);
  auto& rec = sys->recorder();
  ASSERT_TRUE(pool_until(
      rec.client(), [](const v1::MediaPool& p) { return all_in_service(p, 2); }, kWait))
      << sys->ctl({"media"});

  auto conn = customer_calls("customer-takes-reinvites-until-bye.xml", "500");
  ASSERT_FALSE(conn.empty());
  EXPECT_EQ(sys->apply_treatment("8000", conn, v1::Music).type(), v1::EventTreatmentApplied);
  const auto first = wait_leg_started(rec, "callctl-0", conn, "", kWait);
  ASSERT_FALSE(first.leg_id().empty());
  const bool on_ms1 = first.server() == "ms1";
  ASSERT_TRUE(on_ms1 || first.server() == "ms2") << first.server();

  (on_ms1 ? media : media2).reset();  // the playing server is gone
  ASSERT_TRUE(wait_out_of_service(rec, first.server(), kWait));
  ASSERT_TRUE(rec.wait_event("8000", v1::EventTreatmentEnd, kWait)) << "logs in " << sys->dir();
  EXPECT_TRUE(media_leg_ended(first.leg_id()));

  EXPECT_EQ(sys->apply_treatment("8000", conn, v1::Music).type(), v1::EventTreatmentApplied);
  const auto second = wait_leg_started(rec, "callctl-0", conn, first.leg_id(), kWait);
  EXPECT_EQ(second.server(), on_ms1 ? "ms2" : "ms1");
  EXPECT_EQ(second.conn_id(), conn);

  EXPECT_EQ(sys->route_call("8000", conn, "1000").type(), v1::EventRouteUsed);
  ASSERT_TRUE(rec.wait_event("1000", v1::EventEstablished, kWait)) << "logs in " << sys->dir();
  EXPECT_TRUE(media_leg_ended(second.leg_id()));
  EXPECT_EQ(sys->on_call(v1::TReleaseCall, "1000", conn).type(), v1::EventReleased);
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
  EXPECT_EQ(rec.events("8000"),
            (ev_list{v1::EventRouteRequest, v1::EventTreatmentApplied, v1::EventTreatmentEnd,
                     v1::EventTreatmentApplied, v1::EventRouteUsed, v1::EventTreatmentEnd}));
  // The survivor played the second treatment only, and sipcc hung it up.
  auto survivor = (on_ms1 ? media2 : media)->trace();
  EXPECT_EQ(count_of(survivor, false, "INVITE"), 1u);
  EXPECT_EQ(count_of(survivor, false, "BYE"), 1u);
  expect_nothing_dangles(*sys, kWait);
}

TEST_F(TreatmentSipp, MissingPromptIsNotAppliedAndTheCallIsStillRouted) {
  start("media-server-has-no-such-prompt-404.xml", "sn:uas");
  auto conn = customer_calls("sn:uac", "500");
  ASSERT_FALSE(conn.empty());

  // Bad requests, each with its reason, and nothing sent to the media server.
  auto error = [&](const std::string& rp, const std::string& conn_id, v1::TreatmentType type,
                   const v1::KVList& p, v1::ErrorCode code, const std::string& why) {
    auto e = sys->apply_treatment(rp, conn_id, type, p);
    EXPECT_EQ(e.type(), v1::EventError);
    EXPECT_EQ(e.error_code(), code);
    EXPECT_EQ(e.error_message(), why);
  };
  error("8000", "00000000000000ff", v1::Music, {}, v1::ERR_INVALID_STATE,
        "no call with ConnID '00000000000000ff'");
  error("8001", conn, v1::Music, {}, v1::ERR_INVALID_STATE,
        "ConnID " + conn + " is not at Routing Point 8001");
  error("8000", conn, v1::PlayAnnouncement, {}, v1::ERR_BAD_REQUEST, "PROMPT is required");
  int code = 0;  // the same from the operator's CLI
  auto out = sys->ctl({"request", "8000", "TApplyTreatment", "--conn-id", conn, "--treatment",
                       "PlayAnnouncement", "--treatment-parm", "PROMPT=welcome", "--treatment-parm",
                       "REPEAT=0"},
                      &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("REPEAT must be a whole number 1..100, got '0'"), std::string::npos) << out;
  error("8000", conn, v1::CollectDigits, parms("TERMINATOR", "#"), v1::ERR_BAD_REQUEST,
        "MAX_DIGITS is required");

  auto na = sys->apply_treatment("8000", conn, v1::PlayAnnouncement, parms("PROMPT", "no-such"));
  EXPECT_EQ(na.type(), v1::EventTreatmentNotApplied);
  ASSERT_EQ(na.reasons().pairs_size(), 1);
  EXPECT_EQ(na.reasons().pairs(0).key(), "Reason");
  EXPECT_EQ(na.reasons().pairs(0).str(), "media server answered 404");
  // Still waiting at the Routing Point, unanswered: routed as without treatment.
  route_and_hang_up(conn);
  EXPECT_EQ(sys->recorder().events("8000"),
            (ev_list{v1::EventRouteRequest, v1::EventTreatmentNotApplied, v1::EventRouteUsed}));
  auto m = media->trace();
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(count_of(m, false, "INVITE"), 1u);
  EXPECT_NE(m.front().message.start_line.find(";play=file:no-such"), std::string::npos);
  auto a = agent->trace();
  EXPECT_NE(body_of(a, false, "INVITE"), "");  // the customer's offer, as ever
  expect_nothing_dangles(*sys, kWait);
}

TEST_F(TreatmentSipp, MediaServerHangsUpAfterTheAnnouncement) {
  start("media-server-plays-announcement-then-hangs-up.xml",
        "agent-answers-offerless-invite-with-an-offer.xml");
  auto conn = customer_calls("customer-hears-treatment-then-takes-the-agents-reinvite.xml", "500");
  ASSERT_FALSE(conn.empty());
  auto applied = sys->apply_treatment("8000", conn, v1::PlayAnnouncement, parms("PROMPT", "welcome"));
  EXPECT_EQ(applied.type(), v1::EventTreatmentApplied) << applied.error_message();
  ASSERT_TRUE(sys->recorder().wait_event("8000", v1::EventTreatmentEnd, kWait));
  // The customer stays answered, waiting; the route joins it to the agent.
  route_and_hang_up(conn);
  EXPECT_EQ(sys->recorder().events("8000"),
            (ev_list{v1::EventRouteRequest, v1::EventTreatmentApplied, v1::EventTreatmentEnd,
                     v1::EventRouteUsed}));
  expect_flow_i();
  auto m = media->trace();
  EXPECT_EQ(count_of(m, false, "BYE"), 0u);  // it hung up itself
  expect_nothing_dangles(*sys, kWait);
}

// Prompt and collect: the media server's INFOs carry the digits, and the
// treatment's end reports them (CollectedDigits, LastCollectedDigit).
TEST_F(TreatmentSipp, CollectedDigitsComeBackWithTheTreatmentEnd) {
  start("media-server-collects-digits-and-sends-them-as-info.xml",
        "agent-answers-offerless-invite-with-an-offer.xml");
  auto conn = customer_calls("customer-hears-treatment-then-takes-the-agents-reinvite.xml", "500");
  ASSERT_FALSE(conn.empty());
  auto p = parms("PROMPT", "enter-account");
  auto* max = p.add_pairs();
  max->set_key("MAX_DIGITS");
  max->set_num(4);
  auto applied = sys->apply_treatment("8000", conn, v1::PlayAnnouncementAndDigits, p);
  EXPECT_EQ(applied.type(), v1::EventTreatmentApplied) << applied.error_message();
  auto end = sys->recorder().wait_event("8000", v1::EventTreatmentEnd, kWait);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->collected_digits(), "42");
  ASSERT_EQ(end->extensions().pairs_size(), 1);
  EXPECT_EQ(end->extensions().pairs(0).key(), "LastCollectedDigit");
  EXPECT_EQ(end->extensions().pairs(0).str(), "2");
  // The media server was asked to collect, with the prompt.
  auto m = media->trace();
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m.front().message.start_line.rfind("INVITE sip:collect@", 0), 0u)
      << m.front().message.start_line;
  EXPECT_NE(m.front().message.start_line.find(";play=file:enter-account;maxdigits=4"),
            std::string::npos);
  EXPECT_NE(m.front().message.header("To").find(";play=file:enter-account;maxdigits=4"),
            std::string::npos);
  EXPECT_EQ(m.front().message.header("To").back(), '>') << m.front().message.header("To");
  route_and_hang_up(conn);
  expect_nothing_dangles(*sys, kWait);
}

class TreatmentSippRouter : public TreatmentSipp {
protected:
  void SetUp() override { configure(true); }
};

// What a caller in queue hears: nobody is Ready, so the default router
// applies the Routing Point's treatment (music); when the agent becomes
// Ready the router routes the call, and the caller moves from the music to
// the agent (RFC 3725 flow I).
TEST_F(TreatmentSippRouter, MusicWhileQueuedThenTheRouterRoutesToTheReadyAgent) {
  start("media-server-plays-music-until-bye.xml", "agent-answers-offerless-invite-with-an-offer.xml");
  v1::Registration r;  // the agent's phone, registered on sipcc
  r.set_schema(v1::SCHEMA_V1);
  r.set_dn("1000");
  r.set_contact("sip:1000@127.0.0.1:" + std::to_string(agent_port));
  r.set_expires_s(600);
  r.set_edge_id("edge1");
  sys->recorder().client().publish(subj::reg("1000"), r);
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventDNBackInService, kWait));
  ASSERT_EQ(sys->request("1000", v1::TAgentLogin, "a1").type(), v1::EventAgentLogin);
  auto conn = customer_calls("customer-hears-treatment-then-takes-the-agents-reinvite.xml", "500");
  ASSERT_FALSE(conn.empty());
  ASSERT_TRUE(sys->recorder().wait_event("8000", v1::EventTreatmentApplied, kWait))
      << "logs in " << sys->dir();
  ASSERT_EQ(sys->request("1000", v1::TAgentSetReady).type(), v1::EventAgentReady);
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventReleased, kWait))
      << "logs in " << sys->dir();
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
  EXPECT_EQ(media->wait_exit(kWait), 0) << media->log();
  EXPECT_EQ(sys->recorder().events("8000"),
            (ev_list{v1::EventRouteRequest, v1::EventTreatmentApplied, v1::EventRouteUsed,
                     v1::EventTreatmentEnd}));
  auto m = media->trace();
  ASSERT_FALSE(m.empty());
  EXPECT_NE(m.front().message.start_line.find("sip:annc@"), std::string::npos);
  EXPECT_NE(m.front().message.start_line.find(";play=moh:default;repeat=forever"),
            std::string::npos);
  expect_flow_i();
  expect_nothing_dangles(*sys, kWait);
}

// The media server has not answered when the route comes: its INVITE is
// CANCELled and the caller, still unanswered, is routed as without treatment.
TEST_F(TreatmentSipp, RouteBeforeTheMediaServerAnswersCancelsTheTreatment) {
  // A phone that rings until cancelled is a media server that never answers.
  start("agent-rings-until-cancelled.xml", "sn:uas");
  auto conn = customer_calls("sn:uac", "500");
  ASSERT_FALSE(conn.empty());
  // As a router does, without waiting for the reply (it comes with the outcome).
  v1::TRequest r;
  r.set_schema(v1::SCHEMA_V1);
  r.set_type(v1::TApplyTreatment);
  r.set_this_dn("8000");
  r.set_conn_id(conn);
  r.set_treatment_type(v1::RingBack);
  sys->recorder().client().publish(subj::tlib_req(v1::TApplyTreatment, "8000"), r);
  // The media server rings: its 180 reached callctl on the first outbound leg.
  auto media_leg = subj::leg_event("callctl-0", conn + "-1");
  ASSERT_TRUE(sys->recorder().wait(
      [&](const bus_msg& m) {
        v1::LegEvent le;
        return m.subject == media_leg && le.ParseFromString(m.data) && le.has_progress();
      },
      kWait));
  route_and_hang_up(conn);
  auto na = sys->recorder().wait_event("8000", v1::EventTreatmentNotApplied, kWait);
  ASSERT_TRUE(na);
  EXPECT_EQ(na->reasons().pairs(0).str(), "routed before the media server answered");
  EXPECT_EQ(sys->recorder().events("8000"),
            (ev_list{v1::EventRouteRequest, v1::EventTreatmentNotApplied, v1::EventRouteUsed}));
  auto a = agent->trace();
  EXPECT_EQ(body_of(a, false, "INVITE"), body_of(customer->trace(), true, "INVITE"));
  EXPECT_EQ(count_of(media->trace(), false, "CANCEL"), 1u);
  expect_nothing_dangles(*sys, kWait);
}

TEST_F(TreatmentSipp, CallerHangsUpDuringTheMusic) {
  start("media-server-plays-music-until-bye.xml", "sn:uas");
  auto conn = customer_calls("sn:uac", "300");  // answered by the music, then BYE
  ASSERT_FALSE(conn.empty());
  EXPECT_EQ(sys->apply_treatment("8000", conn, v1::Music).type(), v1::EventTreatmentApplied);
  ASSERT_TRUE(sys->recorder().wait_event("8000", v1::EventTreatmentEnd, kWait));
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  EXPECT_EQ(media->wait_exit(kWait), 0) << media->log();  // it got its BYE
  EXPECT_EQ(sys->recorder().events("8000"),
            (ev_list{v1::EventRouteRequest, v1::EventTreatmentApplied, v1::EventAbandoned,
                     v1::EventTreatmentEnd}));
  EXPECT_EQ(agent->trace().size(), 0u);  // never called
  expect_nothing_dangles(*sys, kWait);
}

}  // namespace
}  // namespace sipcc::test
