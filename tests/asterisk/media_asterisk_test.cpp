// Asterisk as sipcc's media server, with the shipped [media-server] dialplan:
// every TApplyTreatment type heard by the caller, digits the caller sends as
// RFC 4733 events coming back in EventTreatmentEnd, conferences and
// recordings. The test plays the router of Routing Point 8000 (the default
// router is told to leave it alone).
#include "interop.hpp"
#include "kvlist.hpp"
#include "media_requests.hpp"
#include "sipcc/media_uri.hpp"
#include "sipcc/v1/media.pb.h"

namespace sipcc::test {
namespace {

class InteropMedia : public Interop {
protected:
  void SetUp() override {
    start(without_default_routing);
    customer = phone("1000", kTone1000);
  }

  // The customer calls 8000: the ConnID of its EventRouteRequest.
  std::string customer_waits() {
    customer->call("sip:8000@" + ast->address());
    auto rr = rec().wait_event("8000", v1::EventRouteRequest, kAst);
    EXPECT_TRUE(rr);
    return rr ? rr->conn_id() : "";
  }

  // Agent2001 Ready on 2001 takes the call `conn` (TRouteCall) and answers:
  // the two hear each other.
  void route_to_agent(const std::string& conn) {
    if (!agent) {
      agent = phone("2001", kTone2001);
      ASSERT_TRUE(rec().wait_event("2001", v1::EventDNBackInService, kAst));
      ready_agent("2001", "agent2001");
    }
    ASSERT_EQ(sys->route_call("8000", conn, "2001").type(), v1::EventRouteUsed);
    ASSERT_TRUE(agent->wait_incoming(kAst));
    agent->answer();
    ASSERT_TRUE(rec().wait_event("2001", v1::EventEstablished, kAst));
    EXPECT_TRUE(agent->wait_hears(kTone1000, kAst));
    EXPECT_TRUE(customer->wait_hears(kTone2001, kAst));
  }
};

// Each treatment that plays something: the caller hears it (audio that is not
// a phone's tone), then the call is routed to an agent as usual.
class InteropTreatment : public InteropMedia,
                         public ::testing::WithParamInterface<std::pair<const char*, int>> {};

TEST_P(InteropTreatment, CallerHearsItThenIsRouted) {
  const auto [name, type] = GetParam();
  const auto conn = customer_waits();
  ASSERT_FALSE(conn.empty());
  const auto t = static_cast<v1::TreatmentType>(type);
  v1::KVList p;
  if (t == v1::PlayAnnouncement)
    p = str_pairs({{"PROMPT", "queue-thankyou"}, {"REPEAT", "100"}});
  auto applied = sys->apply_treatment("8000", conn, t, p);
  ASSERT_EQ(applied.type(), v1::EventTreatmentApplied) << name << ": " << applied.error_message();
  // Silence: Asterisk's Wait() sends no audio; either way nothing is heard.
  if (t == v1::Silence)
    EXPECT_TRUE(customer->hears_silence_for(2s)) << name;
  else
    EXPECT_TRUE(customer->wait_hears_other_than(0, kAst)) << name;
  route_to_agent(conn);
  agent->hangup();
  EXPECT_TRUE(customer->wait_ended(kAst));
}

INSTANTIATE_TEST_SUITE_P(
    EveryType, InteropTreatment,
    ::testing::Values(std::pair{"Music", int(v1::Music)}, std::pair{"RingBack", int(v1::RingBack)},
                      std::pair{"Silence", int(v1::Silence)}, std::pair{"Busy", int(v1::Busy)},
                      std::pair{"FastBusy", int(v1::FastBusy)},
                      std::pair{"PlayAnnouncement", int(v1::PlayAnnouncement)}),
    [](const auto& info) { return std::string(info.param.first); });

// The media service counts the treatment's leg on the pool's one server
// (Asterisk) while it plays, from callctl's reports, and no longer once the
// call went to the agent and ended.
TEST_F(InteropMedia, ThePoolCountsATreatmentWhileItPlays) {
  const auto conn = customer_waits();
  ASSERT_FALSE(conn.empty());
  auto& bus = rec().client();
  ASSERT_TRUE(pool_until(bus, [](const v1::MediaPool& p) { return sessions(p, "asterisk") == 0; },
                         kAst));
  auto applied = sys->apply_treatment("8000", conn, v1::Music);
  ASSERT_EQ(applied.type(), v1::EventTreatmentApplied) << applied.error_message();
  EXPECT_TRUE(customer->wait_hears_other_than(0, kAst));
  EXPECT_TRUE(pool_until(bus, [](const v1::MediaPool& p) { return sessions(p, "asterisk") == 1; },
                         kAst))
      << sys->ctl({"media"});
  route_to_agent(conn);
  EXPECT_TRUE(pool_until(bus, [](const v1::MediaPool& p) { return sessions(p, "asterisk") == 0; },
                         kAst))
      << sys->ctl({"media"});
  agent->hangup();
  EXPECT_TRUE(customer->wait_ended(kAst));
}

// Failover against the real Asterisk: told that the treatment's server is
// out of service (the test plays the media service's health event), callctl
// BYEs Asterisk's media leg and ends the treatment; the caller, still
// answered, is then routed and talks to the agent.
TEST_F(InteropMedia, ATreatmentOnAServerOutOfServiceEndsAndTheCallGoesOn) {
  const auto conn = customer_waits();
  ASSERT_FALSE(conn.empty());
  auto applied = sys->apply_treatment("8000", conn, v1::Music);
  ASSERT_EQ(applied.type(), v1::EventTreatmentApplied) << applied.error_message();
  EXPECT_TRUE(customer->wait_hears_other_than(0, kAst));
  publish_out_of_service(rec().client(), "asterisk");
  ASSERT_TRUE(rec().wait_event("8000", v1::EventTreatmentEnd, kAst));
  EXPECT_TRUE(pool_until(rec().client(),
                         [](const v1::MediaPool& p) { return sessions(p, "asterisk") == 0; }, kAst));
  route_to_agent(conn);
  agent->hangup();
  EXPECT_TRUE(customer->wait_ended(kAst));
}

// Defects: the INVITE's To lost the URI parameters (Asterisk refused it), and
// the collected digits went back as RTP instead of SIP INFO.
TEST_F(InteropMedia, CollectedDigitsComeBackInTreatmentEnd) {
  const auto conn = customer_waits();
  ASSERT_FALSE(conn.empty());
  auto applied = sys->apply_treatment("8000", conn, v1::PlayAnnouncementAndDigits,
                                      str_pairs({{"PROMPT", "vm-intro"}, {"MAX_DIGITS", "3"}}));
  ASSERT_EQ(applied.type(), v1::EventTreatmentApplied) << applied.error_message();
  EXPECT_TRUE(customer->wait_hears_other_than(0, kAst)) << "the prompt";
  customer->send_dtmf_rfc4733("427");
  auto end = rec().wait_event("8000", v1::EventTreatmentEnd, kAst);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->collected_digits(), "427");
  route_to_agent(conn);
  customer->hangup();
  EXPECT_TRUE(agent->wait_ended(kAst));
}

TEST_F(InteropMedia, CollectDigitsWithoutAPrompt) {
  const auto conn = customer_waits();
  ASSERT_FALSE(conn.empty());
  auto applied = sys->apply_treatment("8000", conn, v1::CollectDigits, str_pairs({{"MAX_DIGITS", "2"}}));
  ASSERT_EQ(applied.type(), v1::EventTreatmentApplied) << applied.error_message();
  // Until the media server answers, Read() may not listen yet: the applied
  // event comes with its 200, the digits after.
  customer->send_dtmf_rfc4733("9#");
  auto end = rec().wait_event("8000", v1::EventTreatmentEnd, kAst);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->collected_digits(), "9");
  customer->hangup();
}

// A prompt that is not installed: NotApplied at once (Asterisk's 404), not
// after a transaction timeout; the call can still be routed.
TEST_F(InteropMedia, MissingPromptIsNotAppliedAtOnce) {
  const auto conn = customer_waits();
  ASSERT_FALSE(conn.empty());
  const auto before = std::chrono::steady_clock::now();
  auto r = sys->apply_treatment("8000", conn, v1::PlayAnnouncement,
                                str_pairs({{"PROMPT", "no-such-prompt"}}));
  EXPECT_EQ(r.type(), v1::EventTreatmentNotApplied);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 4s);
  route_to_agent(conn);
  agent->hangup();
  EXPECT_TRUE(customer->wait_ended(kAst));
}

// Two real Asterisks as the media service's pool: "asterisk-b", a second
// Asterisk with the same shipped configuration that serves as media server
// only, listed first (the tie goes to it), and "asterisk", the PBX the
// customer calls through. Probed twice a second, so a loss is seen in time.
class InteropTwoMediaServers : public InteropMedia {
protected:
  void SetUp() override {
    const uint16_t b_port = free_port(SOCK_DGRAM);
    start([&](std::string& yaml) {
      without_default_routing(yaml);
      replace_in(yaml, "  options-interval-ms: 5000\n", "  options-interval-ms: 500\n");
      replace_in(yaml, "  options-timeout-ms: 2000\n", "  options-timeout-ms: 300\n");
      replace_in(yaml, "  # servers:\n",
                 "  servers:\n"
                 "    - { name: asterisk-b, address: \"127.0.0.1:" + std::to_string(b_port) +
                     "\" }\n"
                 "    - { name: asterisk, address: \"127.0.0.1:" + std::to_string(ast_port) +
                     "\" }\n");
    });
    ast_b = std::make_unique<real_asterisk>(asterisk_options{b_port, sys->edge_port(), 1});
    ast_b->start();
    ASSERT_TRUE(pool_until(
        rec().client(), [](const v1::MediaPool& p) { return all_in_service(p, 2); }, kAst))
        << sys->ctl({"media"});
    customer = phone("1000", kTone1000);
  }

  // The media leg of call `conn` callctl reports started other than `except`.
  v1::MediaLeg leg_started(const std::string& conn, const std::string& except) {
    return wait_leg_started(rec(), "callctl-0", conn, except, kAst);
  }

  std::unique_ptr<real_asterisk> ast_b;
};

// Two callers waiting with music, equal weights: the first on asterisk-b (the
// tie), the second on the other, now the less loaded; each hears its music.
TEST_F(InteropTwoMediaServers, TwoCallersTreatmentsSpreadOverBothServers) {
  const auto first = customer_waits();
  ASSERT_FALSE(first.empty());
  ASSERT_EQ(sys->apply_treatment("8000", first, v1::Music).type(), v1::EventTreatmentApplied);
  EXPECT_EQ(leg_started(first, "").server(), "asterisk-b");
  EXPECT_TRUE(customer->wait_hears_other_than(0, kAst)) << "music from asterisk-b";

  auto second_caller = phone("1001", kTone1001);
  second_caller->call("sip:8000@" + ast->address());
  auto rr = rec().wait_event("8000", v1::EventRouteRequest, kAst, 2);
  ASSERT_TRUE(rr);
  const auto second = rr->conn_id();
  ASSERT_NE(second, first);
  ASSERT_EQ(sys->apply_treatment("8000", second, v1::Music).type(), v1::EventTreatmentApplied);
  EXPECT_EQ(leg_started(second, "").server(), "asterisk");
  EXPECT_TRUE(second_caller->wait_hears_other_than(0, kAst)) << "music from asterisk";
  EXPECT_TRUE(pool_until(rec().client(), [](const v1::MediaPool& p) {
    return sessions(p, "asterisk-b") == 1 && sessions(p, "asterisk") == 1;
  }, kAst)) << sys->ctl({"media"});

  customer->hangup();
  second_caller->hangup();
  EXPECT_TRUE(rec().wait_event("8000", v1::EventAbandoned, kAst, 2));
  EXPECT_TRUE(pool_until(rec().client(), [](const v1::MediaPool& p) {
    return sessions(p, "asterisk-b") == 0 && sessions(p, "asterisk") == 0;
  }, kAst)) << sys->ctl({"media"});
}

// The caller hears music from the second Asterisk; that Asterisk is killed
// (no BYE: a lost machine); the media service's probes take it out of
// service, callctl ends the treatment, and the caller's next treatment is
// heard from the other Asterisk; then the call is routed as usual.
TEST_F(InteropTwoMediaServers, ATreatmentOnAKilledAsteriskMovesToTheOtherOnTheNextRequest) {
  const auto conn = customer_waits();
  ASSERT_FALSE(conn.empty());
  auto applied = sys->apply_treatment("8000", conn, v1::Music);
  ASSERT_EQ(applied.type(), v1::EventTreatmentApplied) << applied.error_message();
  const auto first = leg_started(conn, "");
  EXPECT_EQ(first.server(), "asterisk-b");
  EXPECT_TRUE(customer->wait_hears_other_than(0, kAst)) << "music from asterisk-b";

  ast_b->kill();
  ASSERT_TRUE(wait_out_of_service(rec(), "asterisk-b", kAst));
  ASSERT_TRUE(rec().wait_event("8000", v1::EventTreatmentEnd, kAst));
  EXPECT_TRUE(pool_until(rec().client(), [](const v1::MediaPool& p) {
    return sessions(p, "asterisk-b") == 0;
  }, kAst)) << sys->ctl({"media"});

  applied = sys->apply_treatment("8000", conn, v1::Music);
  ASSERT_EQ(applied.type(), v1::EventTreatmentApplied) << applied.error_message();
  EXPECT_EQ(leg_started(conn, first.leg_id()).server(), "asterisk");
  EXPECT_TRUE(customer->wait_hears_other_than(0, kAst)) << "music from asterisk";
  EXPECT_TRUE(pool_until(rec().client(), [](const v1::MediaPool& p) {
    return sessions(p, "asterisk") == 1;
  }, kAst)) << sys->ctl({"media"});

  route_to_agent(conn);
  agent->hangup();
  EXPECT_TRUE(customer->wait_ended(kAst));
  EXPECT_EQ(rec().events("8000"),
            (std::vector<v1::EventType>{v1::EventRouteRequest, v1::EventTreatmentApplied,
                                        v1::EventTreatmentEnd, v1::EventTreatmentApplied,
                                        v1::EventRouteUsed, v1::EventTreatmentEnd}));
}

// A conference's two parties go to one server (the tie goes to asterisk-b,
// and the second party follows the first there), where they hear each other
// through its ConfBridge; the media service, killed and restarted, rebuilds
// those counts from callctl while the call talks on.
TEST_F(InteropTwoMediaServers, AConferencesPartiesShareOneServerThroughAMediaServiceRestart) {
  const auto conn = customer_waits();
  ASSERT_FALSE(conn.empty());
  ASSERT_NO_FATAL_FAILURE(route_to_agent(conn));
  const std::string id = conf({"create"}).value("conf_id", "");
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(conf({"join", id, conn}).value("error", ""), "");
  ASSERT_TRUE(ast_b->wait_cli("confbridge list", id, kAst));
  EXPECT_EQ(ast->cli("confbridge list").find(id), std::string::npos);
  both_hear_each_other();
  const auto both_on_b = [&](const v1::MediaPool& p) {
    return sessions(p, "asterisk-b") == 2 && sessions(p, "asterisk") == 0 &&
           p.conferences_size() == 1 && p.conferences(0).conf_id() == id &&
           p.conferences(0).server() == "asterisk-b" && p.conferences(0).parties_size() == 2;
  };
  EXPECT_TRUE(pool_until(rec().client(), both_on_b, kAst)) << sys->ctl({"media"});

  sys->crash_service("media");
  sys->restart_service("media");
  EXPECT_TRUE(pool_until(rec().client(), both_on_b, kAst)) << sys->ctl({"media"});
  both_hear_each_other();

  EXPECT_EQ(conf({"leave", conn}).value("error", ""), "");
  EXPECT_TRUE(pool_until(rec().client(), [](const v1::MediaPool& p) {
    return sessions(p, "asterisk-b") == 0 && p.conferences_size() == 0;
  }, kAst)) << sys->ctl({"media"});
  both_hear_each_other();
  agent->hangup();
  EXPECT_TRUE(customer->wait_ended(kAst));
}

// Every kind of URI sipcc's builder makes (sipcc/media_uri.hpp) reaches the
// [media-server] context from the sipcc endpoint's context, as the real
// Asterisk reads the shipped dialplan (the lint test's parser may differ).
TEST_F(Interop, MediaServerUrisResolveInTheShippedDialplan) {
  const std::string ms = ast->address();
  v1::KVList collect = str_pairs({{"MAX_DIGITS", "4"}});
  for (const auto& uri : {treatment_request(v1::Music, {}, ms).uri,
                          treatment_request(v1::CollectDigits, collect, ms).uri,
                          conf_uri(ms, "4f2a9", "0000000000000001-1.wav")}) {
    const auto user = uri.substr(4, uri.find('@') - 4);  // after "sip:"
    const auto out = ast->cli("dialplan show " + user + "@from-sipcc");
    EXPECT_NE(out.find("[ Included context 'media-server'"), std::string::npos)
        << uri << ":\n" << out;
  }
}

}  // namespace
}  // namespace sipcc::test
