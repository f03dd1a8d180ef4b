// The media service end to end: sip-edge and media run for real, two SIPp
// media servers answer OPTIONS, and the test plays callctl (it asks where
// media legs go, reports legs started and answers the media service's sync).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/media.pb.h"
#include "loopback.hpp"
#include "media_requests.hpp"
#include "sipp.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 10s;
const std::string kOwner = "callctl-0";

class MediaPoolSipp : public ::testing::Test {
protected:
  void SetUp() override {
    if (!sipp_installed())
      GTEST_SKIP() << "sipp (package sip-tester) is not on PATH";
  }

  void TearDown() override {
    if (silent_fd >= 0)
      ::close(silent_fd);
  }

  // ms1 and ms2 answer OPTIONS (SIPp); `more_servers` are further entries.
  void start(const std::string& more_servers = "") {
    ms1_port = free_port(SOCK_DGRAM);
    ms2_port = free_port(SOCK_DGRAM);
    system_options opts;
    opts.services = services;
    // ms1 plays music only and weighs twice ms2, whose catalog has one prompt.
    opts.extra_yaml =
        "media:\n"
        "  options-interval-ms: " + std::to_string(options_interval_ms) + "\n"
        "  options-timeout-ms: 200\n"
        "  out-after: 2\n"
        "  back-after: 2\n"
        "  servers:\n"
        "    - { name: ms1, address: 127.0.0.1:" + std::to_string(ms1_port) +
        ", weight: 2, capacity: 20, treatments: [Music] }\n"
        "    - { name: ms2, address: 127.0.0.1:" + std::to_string(ms2_port) +
        ", capacity: 20, prompts: [welcome] }\n" +
        more_servers;
    sys = std::make_unique<sipcc_system>(opts);
    ms1 = answer_options(ms1_port, "ms1");
    ms2 = answer_options(ms2_port, "ms2");
    sys->start_services();
  }

  std::unique_ptr<sipp_run> answer_options(uint16_t port, const std::string& name) {
    auto run = std::make_unique<sipp_run>(
        "media-server-answers-options-until-stopped.xml", port, sys->dir(),
        std::vector<std::string>{"-m", "100000", "-timeout", "170s"}, name);
    EXPECT_TRUE(wait_udp_bound(port, kWait)) << name << " did not start";
    return run;
  }

  // The nth MediaHealth of `server` in state `state`.
  std::optional<v1::MediaHealth> health_event(const std::string& server,
                                              v1::MediaHealthState state, int nth = 1) {
    v1::MediaHealth found;
    int seen = 0;
    auto& rec = sys->recorder();
    auto m = rec.wait(
        [&](const bus_msg& msg) {
          if (&msg == &rec.all_front())
            seen = 0;
          v1::MediaHealth h;
          if (msg.subject != subj::media_health(server) || !h.ParseFromString(msg.data) ||
              h.state() != state || ++seen < nth)
            return false;
          found = h;
          return true;
        },
        kWait);
    if (!m)
      return std::nullopt;
    return found;
  }

  v1::MediaReply ask(const v1::MediaRequest& req) {
    v1::MediaReply reply;
    auto answer = sys->recorder().client().request(subj::media_req, req, 2s);
    EXPECT_TRUE(answer && reply.ParseFromString(*answer)) << "no MediaReply";
    return reply;
  }

  v1::MediaReply treatment(const std::string& leg, v1::TreatmentType type,
                           const std::string& prompt = "") {
    std::map<std::string, std::string> parms;
    if (!prompt.empty())
      parms["PROMPT"] = prompt;
    return ask(treatment_ask(leg, type, parms));
  }

  v1::MediaReply conference(const std::string& leg, const std::string& conf_id) {
    return ask(conference_ask(leg, conf_id));
  }

  std::optional<v1::MediaPool> pool() { return ask_pool(sys->recorder().client()); }
  bool pool_until(const std::function<bool(const v1::MediaPool&)>& done) {
    return test::pool_until(sys->recorder().client(), done, kWait);
  }

  static v1::MediaLeg leg(const std::string& id, const std::string& server,
                          v1::MediaKind kind = v1::MEDIA_TREATMENT,
                          const std::string& conf_id = "") {
    v1::MediaLeg l;
    l.set_conn_id("00000001000000" + id.substr(id.size() - 2));
    l.set_leg_id(id);
    l.set_server(server);
    l.set_kind(kind);
    l.set_conf_id(conf_id);
    return l;
  }

  void started(const v1::MediaLeg& l) {
    v1::MediaLegEvent ev;
    ev.set_schema(v1::SCHEMA_V1);
    ev.set_owner(kOwner);
    *ev.mutable_started() = l;
    sys->recorder().client().publish(subj::media_leg(kOwner), ev);
  }

  std::vector<std::pair<std::string, std::string>> services = {{"sip-edge", "edge1"},
                                                               {"media", "media-0"}};
  int options_interval_ms = 300;
  uint16_t ms1_port = 0, ms2_port = 0;
  int silent_fd = -1;
  std::unique_ptr<sipcc_system> sys;
  std::unique_ptr<sipp_run> ms1, ms2;
};

TEST_F(MediaPoolSipp, HealthEventsWhenAServerStopsAnsweringAndComesBack) {
  // ms3 hears every OPTIONS and never answers (a bound socket that reads
  // nothing): the edge's own deadline ends each probe. It plays Busy only,
  // so nothing below goes to it.
  uint16_t ms3_port = 0;
  silent_fd = bind_loopback(SOCK_DGRAM, ms3_port);
  start("    - { name: ms3, address: 127.0.0.1:" + std::to_string(ms3_port) +
        ", treatments: [Busy] }\n");
  auto silent = health_event("ms3", v1::MEDIA_OUT_OF_SERVICE);
  ASSERT_TRUE(silent);
  EXPECT_EQ(silent->previous(), v1::MEDIA_HEALTH_UNKNOWN);
  EXPECT_EQ(silent->reason(), "2 OPTIONS in a row failed (last: 408 timed out)");
  ASSERT_TRUE(health_event("ms1", v1::MEDIA_IN_SERVICE));
  ASSERT_TRUE(health_event("ms2", v1::MEDIA_IN_SERVICE));

  // A conference on ms2 (two parties), as callctl reports its legs.
  started(leg("0000000100000021-1", "ms2", v1::MEDIA_CONFERENCE, "c5"));
  started(leg("0000000100000022-1", "ms2", v1::MEDIA_CONFERENCE, "c5"));
  ASSERT_TRUE(pool_until([](const v1::MediaPool& p) { return sessions(p, "ms2") == 2; }));
  ms2.reset();  // SIPp gone: OPTIONS to ms2 go unanswered
  auto down = health_event("ms2", v1::MEDIA_OUT_OF_SERVICE);
  ASSERT_TRUE(down);
  // The conference is reported lost with its server.
  ASSERT_EQ(down->conferences_size(), 1);
  EXPECT_EQ(down->conferences(0).conf_id(), "c5");
  EXPECT_EQ(down->conferences(0).parties_size(), 2);
  EXPECT_EQ(down->recordings_size(), 0);
  EXPECT_EQ(down->previous(), v1::MEDIA_IN_SERVICE);
  EXPECT_EQ(down->address(), "127.0.0.1:" + std::to_string(ms2_port));
  EXPECT_EQ(down->instance(), "media-0");
  EXPECT_NE(down->reason().find("2 OPTIONS in a row failed"), std::string::npos)
      << down->reason();
  // Only ms2 has the prompt: refused, not sent to a dead server.
  auto welcome = treatment("0000000100000001-2", v1::PlayAnnouncement, "welcome");
  EXPECT_EQ(welcome.refusal(), v1::MEDIA_SERVER_DOWN) << welcome.reason();
  EXPECT_NE(sys->ctl({"media"}).find("out of service"), std::string::npos);

  ms2 = answer_options(ms2_port, "ms2-again");
  auto up = health_event("ms2", v1::MEDIA_IN_SERVICE, 2);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->previous(), v1::MEDIA_OUT_OF_SERVICE);
  EXPECT_NE(up->reason().find("2 OPTIONS in a row answered (last: 200 OK)"), std::string::npos)
      << up->reason();
  welcome = treatment("0000000100000001-3", v1::PlayAnnouncement, "welcome");
  EXPECT_EQ(welcome.server(), "ms2") << welcome.reason();
  // ms1 never failed: no event of it but its first.
  int ms1_events = 0;
  for (const auto& m : sys->recorder().all())
    ms1_events += m.subject == subj::media_health("ms1");
  EXPECT_EQ(ms1_events, 1);
}

TEST_F(MediaPoolSipp, SelectionByWeightAffinityAndCatalog) {
  start();
  // Music: ms1 weighs 2, ms2 1; each answer holds its session.
  std::string order;
  for (int i = 0; i < 6; ++i) {
    auto r = treatment("0000000100000001-" + std::to_string(i), v1::Music);
    ASSERT_EQ(r.refusal(), v1::MEDIA_OK) << r.reason();
    order += r.server() == "ms1" ? "1" : "2";
  }
  EXPECT_EQ(order, "121121");
  // ms1 4/2 ties ms2 2/1: the first; the next party follows it, though ms2
  // would be lighter now.
  auto first = conference("0000000100000002-1", "c1");
  EXPECT_EQ(first.server(), "ms1");
  EXPECT_EQ(first.uri(), "sip:conf=c1@127.0.0.1:" + std::to_string(ms1_port));
  EXPECT_EQ(conference("0000000100000002-2", "c1").server(), "ms1");
  EXPECT_EQ(conference("0000000100000002-3", "c2").server(), "ms2");
  // The catalog, before any INVITE.
  auto missing = treatment("0000000100000001-7", v1::PlayAnnouncement, "goodbye");
  EXPECT_EQ(missing.refusal(), v1::MEDIA_NO_PROMPT);
  EXPECT_EQ(missing.reason(), "no media server has prompt 'goodbye' (ms2)");
  auto welcome = treatment("0000000100000001-8", v1::PlayAnnouncement, "welcome");
  EXPECT_EQ(welcome.server(), "ms2");
  EXPECT_EQ(welcome.uri(),
            "sip:annc@127.0.0.1:" + std::to_string(ms2_port) + ";play=file:welcome");
  EXPECT_EQ(sys->counter("media-0", "media_refused", "MEDIA_NO_PROMPT"), 1);
}

// Two instances: the one holding the lease answers and probes; the other
// books the same selections and follows its health events, so when the
// active one is killed it takes over within the lease TTL with that state.
TEST_F(MediaPoolSipp, TwoInstancesOneAnswersAndTheStandbyTakesOverWithItsState) {
  services = {{"sip-edge", "edge1"}, {"media", "media-a"}, {"media#2", "media-b"}};
  // Slow enough that the new active instance's own probes (two failures in
  // a row: 2 s) cannot be what keeps it off ms1 below.
  options_interval_ms = 2000;
  start();
  ASSERT_TRUE(health_event("ms1", v1::MEDIA_IN_SERVICE));
  ASSERT_TRUE(health_event("ms2", v1::MEDIA_IN_SERVICE));
  auto held = [&](const std::string& member) { return sys->counter(member, "leases", "held"); };
  ASSERT_TRUE(wait_until([&] { return held("media-a") + held("media-b") == 1; }, kWait));
  const bool a_active = held("media-a") == 1;
  const std::string active = a_active ? "media-a" : "media-b";
  const std::string standby = a_active ? "media-b" : "media-a";

  auto first = treatment("0000000100000031-1", v1::Music);
  EXPECT_EQ(first.instance(), active);
  EXPECT_EQ(first.server(), "ms1") << first.reason();
  EXPECT_EQ(sys->counter(active, "media_placed", "MEDIA_TREATMENT"), 1);
  EXPECT_EQ(sys->counter(standby, "media_placed", "MEDIA_TREATMENT"), 0) << "answered twice";
  // ms1 stops answering: the active instance takes it out of service.
  ms1.reset();
  auto down = health_event("ms1", v1::MEDIA_OUT_OF_SERVICE);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->instance(), active);
  for (const auto& m : sys->recorder().all())
    EXPECT_NE(m.subject, subj::probe(standby)) << "the standby probes";

  sys->crash_service(a_active ? "media" : "media#2");
  ASSERT_TRUE(wait_until([&] { return held(standby) == 1; }, 3s));
  // Music goes to ms2 at once: the new active instance followed ms1's end.
  // (Not knowing it, it would send the second of these to ms1: the first
  // call's hold, which it booked too, weighs 0.5 there, this one's 1 on ms2.)
  for (const char* leg : {"0000000100000032-1", "0000000100000033-1"}) {
    auto next = treatment(leg, v1::Music);
    EXPECT_EQ(next.instance(), standby);
    EXPECT_EQ(next.server(), "ms2") << leg << ": " << next.reason();
  }
}

TEST_F(MediaPoolSipp, KilledAndRestartedItRebuildsItsCounts) {
  start();
  const std::vector<v1::MediaLeg> legs = {
      leg("0000000100000011-1", "ms1"), leg("0000000100000012-1", "ms1"),
      leg("0000000100000013-1", "ms2", v1::MEDIA_CONFERENCE, "c7"),
      leg("0000000100000014-1", "ms2", v1::MEDIA_CONFERENCE, "c7")};
  for (const auto& l : legs)
    started(l);
  ASSERT_TRUE(pool_until([](const v1::MediaPool& p) {
    return sessions(p, "ms1") == 2 && sessions(p, "ms2") == 2;
  }));

  sys->crash_service("media");
  sys->restart_service("media");
  // It asks the owners for their legs; callctl (the test) answers with all
  // but one, which ended while the media service was away, and reports one
  // more leg started since.
  int syncs = 0;
  for (const auto& m : sys->recorder().all())
    syncs += m.subject == subj::media_sync;
  ASSERT_EQ(syncs, 2);
  v1::MediaLegList list;
  list.set_schema(v1::SCHEMA_V1);
  list.set_owner(kOwner);
  for (size_t i = 1; i < legs.size(); ++i)
    *list.add_legs() = legs[i];
  sys->recorder().client().publish(subj::media_list(kOwner), list);
  started(leg("0000000100000015-1", "ms1"));

  ASSERT_TRUE(pool_until([](const v1::MediaPool& p) {
    return sessions(p, "ms1") == 2 && sessions(p, "ms2") == 2 && p.conferences_size() == 1;
  })) << sys->ctl({"media"});
  auto p = pool();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->conferences(0).conf_id(), "c7");
  EXPECT_EQ(p->conferences(0).server(), "ms2");
  EXPECT_EQ(p->conferences(0).parties_size(), 2);
  // Affinity came back with the counts: c7's next party goes to ms2.
  EXPECT_EQ(conference("0000000100000016-1", "c7").server(), "ms2");
}

}  // namespace
}  // namespace sipcc::test
