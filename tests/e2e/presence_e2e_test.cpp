// End to end: real nats-server, the built sip-edge and presence, and the
// simulated Asterisk. Each test reads like the call flow it proves; every
// wait is on an event with a deadline.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "media_requests.hpp"
#include "sipcc/agent_auth.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/config.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipcc/v1/media.pb.h"
#include "sipcc/v1/ops.pb.h"
#include "sipcc/v1/sip.pb.h"
#include "sipcc/v1/state.pb.h"
#include "sipcc_fixture.hpp"
#include "tlib_request.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 5s;

class PresenceE2E : public ::testing::Test {
protected:
  void SetUp() override { make_system(); }
  void make_system(system_options opts = {}) {
    sys = std::make_unique<sipcc_system>(std::move(opts));
    // Phones 1000/1001 start unregistered, 1002 (dialog) starts idle.
    sys->asterisk().set_initial_notify("1000", "presence-notify-closed.sip");
    sys->asterisk().set_initial_notify("1001", "presence-notify-closed.sip");
    sys->asterisk().set_initial_notify("1002", "dialog-notify-initial-unregistered.sip");
  }
  void start() { sys->start_services(); }
  fake_asterisk& ast() { return sys->asterisk(); }
  bus_recorder& rec() { return sys->recorder(); }

  // Phone 1000 registered and an agent Ready on it.
  void ready_agent_on_1000() {
    start();
    ASSERT_TRUE(ast().wait_request("SUBSCRIBE", "1000", kWait));
    ast().send_notify("1000", "presence-notify-open.sip");
    ASSERT_TRUE(rec().wait_event("1000", v1::EventDNBackInService, kWait));
    ASSERT_EQ(sys->request("1000", v1::TAgentLogin, "agent1000").type(), v1::EventAgentLogin);
    ASSERT_EQ(sys->request("1000", v1::TAgentSetReady).type(), v1::EventAgentReady);
  }

  std::unique_ptr<sipcc_system> sys;
};

TEST_F(PresenceE2E, StartupSubscribesEveryMonitoredDnFromTheBoundPort) {
  start();
  struct expect {
    const char* dn;
    const char* event;
    const char* accept;
  };
  for (auto e : {expect{"1000", "presence", "application/pidf+xml"},
                 expect{"1001", "presence", "application/pidf+xml"},
                 expect{"1002", "dialog", "application/dialog-info+xml"}}) {
    SCOPED_TRACE(e.dn);
    auto sub = ast().wait_request("SUBSCRIBE", e.dn, kWait);
    if (!sub)
      for (auto& r : ast().received())
        ADD_FAILURE() << r.method << " " << r.status << " " << r.resource << "\n" << r.message.start_line;
    ASSERT_TRUE(sub);
    EXPECT_EQ(sub->header("Event"), e.event);
    EXPECT_EQ(sub->header("Accept"), e.accept);
    EXPECT_EQ(sub->header("Expires"), "600");
  }
  // The Routing Point is not a device: nobody subscribes to it.
  EXPECT_EQ(ast().count("SUBSCRIBE", "8000"), 0u);
  // Asterisk identifies sipcc by IP:port, so every request comes from the bind.
  for (auto& r : ast().received()) {
    if (!r.method.empty()) {
      EXPECT_EQ(r.source, "127.0.0.1:" + std::to_string(sys->edge_port())) << r.method;
    }
  }
}

TEST_F(PresenceE2E, RegisteringPhoneGoesBackInService) {
  start();
  ASSERT_TRUE(ast().wait_request("SUBSCRIBE", "1000", kWait));
  auto cseq = ast().send_notify("1000", "presence-notify-open.sip");
  EXPECT_EQ(ast().wait_response_to_notify(cseq, kWait), 200);
  ASSERT_TRUE(rec().wait_event("1000", v1::EventDNBackInService, kWait));
  ast().send_notify("1000", "presence-notify-closed-after-unregister.sip");
  ASSERT_TRUE(rec().wait_event("1000", v1::EventDNOutOfService, kWait));
  EXPECT_EQ(rec().events("1000"),
            (std::vector<v1::EventType>{v1::EventDNBackInService, v1::EventDNOutOfService}));
}

TEST_F(PresenceE2E, PrivateCallMakesReadyAgentNotReadyThenReady) {
  ready_agent_on_1000();
  ast().send_notify("1000", "presence-notify-busy-inuse.sip");
  auto nr = rec().wait_event("1000", v1::EventAgentNotReady, kWait);
  ASSERT_TRUE(nr);
  EXPECT_EQ(nr->agent_id(), "agent1000");
  ast().send_notify("1000", "presence-notify-open-after-call.sip");
  // The first EventAgentReady answered TAgentSetReady; the second ends the call.
  ASSERT_TRUE(rec().wait_event("1000", v1::EventAgentReady, kWait, 2));
  auto seq = rec().events("1000");
  EXPECT_EQ(std::vector<v1::EventType>(seq.end() - 2, seq.end()),
            (std::vector<v1::EventType>{v1::EventAgentNotReady, v1::EventAgentReady}));
}

// A killed presence's dialogs are ended at the configured subscribe-rate,
// not in one burst: 12 DNs at 20 SUBSCRIBEs/s take over half a second.
// (A presence member's 1,815 went at once in bench/failover.)
TEST_F(PresenceE2E, OldSubscriptionsOfAKilledPresenceAreEndedAtTheSubscribeRate) {
  system_options opts;
  opts.subscribe_rate = 20;
  opts.extra_yaml = "mwi: { subscribe-rate: 20 }\n";  // the edge paces at the larger
  opts.dns.clear();
  for (int i = 0; i < 12; ++i)
    opts.dns.emplace_back(std::to_string(3000 + i));
  make_system(opts);
  start();
  auto subscribed = [&] { return ast().active_subscriptions().size() == opts.dns.size(); };
  ASSERT_TRUE(wait_until(subscribed, kWait));

  sys->crash_service("presence");
  sys->restart_service("presence");
  ASSERT_TRUE(wait_until(
      [&] {
        size_t ended = 0;
        for (const auto& r : ast().received())
          ended += is_unsubscribe(r);
        return ended == opts.dns.size();
      },
      kWait));
  std::vector<std::chrono::steady_clock::time_point> at;
  for (const auto& r : ast().received())
    if (is_unsubscribe(r))
      at.push_back(r.at);
  // 11 gaps of 50 ms; the bucket may hold one token at the start.
  EXPECT_GE(std::chrono::duration_cast<std::chrono::milliseconds>(at.back() - at.front()).count(),
            450);
  EXPECT_TRUE(wait_until(subscribed, kWait));
}

// presence killed (kill -9) and started again: each agent's session goes on
// as it was (the desktops are told nothing, as nothing changed for them) and
// stays routable, and the subscriptions the dead instance left are ended at
// Asterisk instead of refreshing for ever beside the new ones.
TEST_F(PresenceE2E, KilledPresenceResumesEveryAgentAndEndsItsOldSubscriptions) {
  ready_agent_on_1000();
  ASSERT_EQ(sys->request("1001", v1::TAgentLogin, "agent1001").type(), v1::EventAgentLogin);
  ASSERT_EQ(sys->request("1001", v1::TAgentSetNotReady, "", v1::AuxWork).type(),
            v1::EventAgentNotReady);
  const std::vector<std::string> dns = {"1000", "1001", "1002"};
  auto subscribed = [&](const std::string& dn, size_t n) {
    size_t live = 0;
    for (auto& a : ast().active_subscriptions())
      live += a.resource == dn;
    return live == n;
  };
  for (auto& dn : dns)
    ASSERT_TRUE(wait_until([&] { return subscribed(dn, 1); }, kWait)) << dn;
  // Asterisk's next NOTIFY for 1000 says what the phone is now: idle.
  ast().set_initial_notify("1000", "presence-notify-open.sip");
  auto before = rec().events("1000");

  sys->crash_service("presence");
  sys->restart_service("presence");

  for (auto& dn : dns) {
    SCOPED_TRACE(dn);
    ASSERT_TRUE(ast().wait_request(
        [&](const received& r) { return r.resource == dn && is_unsubscribe(r); }, kWait));
    // One dialog of the DN at Asterisk, made by the new instance.
    EXPECT_TRUE(wait_until(
        [&] {
          size_t made = 0;
          for (auto& r : ast().received())
            made += r.resource == dn && r.method == "SUBSCRIBE" && !is_unsubscribe(r);
          return made >= 2 && subscribed(dn, 1);
        },
        kWait));
  }
  auto on_1001 = sys->request("1001", v1::TQueryAddress);
  EXPECT_EQ(on_1001.dn_state().agent().agent_id(), "agent1001");
  EXPECT_EQ(on_1001.dn_state().agent().state(), v1::AGENT_NOT_READY);
  EXPECT_EQ(on_1001.dn_state().agent().work_mode(), v1::AuxWork);
  auto on_1000 = sys->request("1000", v1::TQueryAddress);
  EXPECT_EQ(on_1000.dn_state().agent().state(), v1::AGENT_READY);
  EXPECT_TRUE(on_1000.dn_state().routable());
  EXPECT_TRUE(on_1000.dn_state().in_service());
  // A private call now is the first thing 1000's desktop hears since the
  // crash: neither the resume nor the new subscription's NOTIFY made events.
  ast().send_notify("1000", "presence-notify-busy-inuse.sip");
  ASSERT_TRUE(rec().wait_event("1000", v1::EventAgentNotReady, kWait));
  auto after = rec().events("1000");
  ASSERT_GE(after.size(), before.size());
  EXPECT_EQ(std::vector<v1::EventType>(after.begin() + before.size(), after.end()),
            std::vector<v1::EventType>{v1::EventAgentNotReady});
  // A second login of the same agent elsewhere is still refused: the
  // AgentID index was resumed too.
  EXPECT_EQ(sys->request("1002", v1::TAgentLogin, "agent1000").error_code(),
            v1::ERR_AGENT_LOGGED_IN_ELSEWHERE);
}

// An agent's password comes from a file or the environment, never from the
// command line (ps shows it); presence checks it; nothing sipcc writes shows it.
TEST_F(PresenceE2E, AgentPasswordFromAFileIsCheckedAndNeverWritten) {
  const std::string password = "pw-e2e-7731";
  system_options opts;
  opts.agents = {"agent1000, password: " + password, "agent1001"};
  make_system(opts);
  start();
  ASSERT_TRUE(ast().wait_request("SUBSCRIBE", "1000", kWait));
  ast().send_notify("1000", "presence-notify-open.sip");
  ASSERT_TRUE(rec().wait_event("1000", v1::EventDNBackInService, kWait));
  const std::vector<std::string> login = {"request", "1000", "TAgentLogin", "--agent-id",
                                          "agent1000"};
  int code = 0;

  auto out = sys->ctl(login, &code, {{"SIPCC_AGENT_PASSWORD", "not-it"}});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("wrong password for AgentID agent1000"), std::string::npos) << out;

  auto args = login;
  args.push_back("--password");
  args.push_back(password);
  sys->ctl(args, &code);
  EXPECT_NE(code, 0) << "--password is not an option any more";

  const std::string file = sys->dir() + "/agent1000.password";
  std::ofstream(file) << password << "\n";
  args = login;
  args.push_back("--password-file");
  args.push_back(file);
  out = sys->ctl(args, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("EventAgentLogin"), std::string::npos) << out;

  // The key for sipcc.yaml's password-key, so the file need not hold the password.
  EXPECT_EQ(sys->ctl({"password-key", "agent1000", "--password-file", file}, &code),
            agent_password_key("agent1000", password) + "\n");
  EXPECT_EQ(code, 0);

  // What anyone on the bus saw: a proof, not the password, good only once.
  std::optional<v1::TRequest> seen;
  for (const auto& m : rec().all()) {
    v1::TRequest r;
    if (m.subject == subj::tlib_req(v1::TAgentLogin, "1000") && r.ParseFromString(m.data))
      seen = r;  // the last: the accepted login
  }
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->password(), "");
  EXPECT_EQ(seen->password_proof().size(), 64u);
  auto replayed = sys->call_request(*seen);
  EXPECT_EQ(replayed.type(), v1::EventError);
  EXPECT_EQ(replayed.error_message(), "password_proof for AgentID agent1000 was used already");
  auto clear = *seen;
  clear.clear_password_proof();
  clear.set_password(password);
  EXPECT_EQ(sys->call_request(clear).error_message(),
            "TAgentLogin carries the password itself: send password_proof instead (the password "
            "never travels on the bus)");

  // Every log and output of the run, but the configuration and the file.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(sys->dir())) {
    if (!entry.is_regular_file() || entry.path() == file ||
        entry.path().filename() == "sipcc.yaml")
      continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text.find(password), std::string::npos) << entry.path();
  }
}

TEST_F(PresenceE2E, AuxWorkSurvivesPrivateCall) {
  ready_agent_on_1000();
  auto nr = sys->request("1000", v1::TAgentSetNotReady, "", v1::AuxWork);
  ASSERT_EQ(nr.type(), v1::EventAgentNotReady);
  ast().send_notify("1000", "presence-notify-busy-inuse.sip");
  ast().send_notify("1000", "presence-notify-open-after-call.sip");
  // The idle NOTIFY has been applied once the DN state says idle again.
  ASSERT_TRUE(rec().wait(
      [](const bus_msg& m) {
        v1::DnState st;
        return m.subject == "sipcc.state.dn.1000" && st.ParseFromString(m.data) &&
               st.device() == v1::DEVICE_IDLE && st.since_us() > 0 &&
               st.agent().state() == v1::AGENT_NOT_READY;
      },
      kWait));
  auto state = sys->request("1000", v1::TQueryAddress);
  EXPECT_EQ(state.dn_state().agent().state(), v1::AGENT_NOT_READY);
  EXPECT_EQ(state.dn_state().agent().work_mode(), v1::AuxWork);
  auto seq = rec().events("1000");
  EXPECT_EQ(std::count(seq.begin(), seq.end(), v1::EventAgentReady), 1);  // only the SetReady
}

// Presence follows the other members' DN states on sipcc.state.dn.*; its
// own publications there do not come back to it (two per routed call were
// delivered only to be dropped).
TEST_F(PresenceE2E, OwnDnStatesAreNotDeliveredBackToIt) {
  ready_agent_on_1000();
  ASSERT_TRUE(rec().wait(
      [](const bus_msg& m) {
        v1::DnState st;
        return m.subject == subj::state_dn("1000") && st.ParseFromString(m.data) &&
               st.agent().state() == v1::AGENT_READY;
      },
      kWait));
  EXPECT_GE(sys->counter("presence-0", "bus_out", "state_dn"), 3);
  EXPECT_EQ(sys->counter("presence-0", "bus_in", "state_dn"), 0);
}

TEST_F(PresenceE2E, RejectedSubscriptionIsRetriedAfterTheInterval) {
  ast().set_policy("1000", subscribe_policy::reject(403).only_once());
  start();
  ASSERT_TRUE(ast().wait_request("SUBSCRIBE", "1000", kWait));
  auto retry = ast().wait_request("SUBSCRIBE", "1000", kWait);
  ASSERT_TRUE(retry);
  auto subs = ast().received();
  std::vector<std::chrono::steady_clock::time_point> at;
  for (auto& r : subs)
    if (r.method == "SUBSCRIBE" && r.resource == "1000")
      at.push_back(r.at);
  ASSERT_GE(at.size(), 2u);
  // retry-interval is 1 s in the test configuration.
  EXPECT_GE(at[1] - at[0], 900ms);
  ast().send_notify("1000", "presence-notify-open.sip");
  EXPECT_TRUE(rec().wait_event("1000", v1::EventDNBackInService, kWait));
}

TEST_F(PresenceE2E, TimedOutSubscriptionIsRetried) {
  ast().set_policy("1000", subscribe_policy::drop().only_once());
  start();
  ASSERT_TRUE(ast().wait_request("SUBSCRIBE", "1000", kWait));
  // t1x64 is 1 s: the edge reports a 408 timeout, presence retries 1 s later.
  auto timeout = rec().wait(
      [](const bus_msg& m) {
        v1::SubEvent ev;
        return m.subject.rfind("sipcc.sub.presence-0.1000_", 0) == 0 &&
               ev.ParseFromString(m.data) && ev.has_response() && ev.response().timed_out();
      },
      kWait);
  ASSERT_TRUE(timeout);
  EXPECT_TRUE(ast().wait_request("SUBSCRIBE", "1000", kWait));
}

TEST_F(PresenceE2E, UnauthorizedIsReportedWithItsCause) {
  ast().set_policy("1001", subscribe_policy::reject(401));
  start();
  auto m = rec().wait(
      [](const bus_msg& m) {
        v1::SubEvent ev;
        return m.subject.rfind("sipcc.sub.presence-0.1001_", 0) == 0 &&
               ev.ParseFromString(m.data) && ev.has_response() && ev.response().status() == 401;
      },
      kWait);
  ASSERT_TRUE(m);
  v1::SubEvent ev;
  ev.ParseFromString(m->data);
  EXPECT_NE(ev.response().cause().find("identify"), std::string::npos) << ev.response().cause();
}

TEST_F(PresenceE2E, TerminatedSubscriptionIsRenewedAtOnce) {
  start();
  ASSERT_TRUE(ast().wait_request("SUBSCRIBE", "1000", kWait));
  ast().send_notify("1000", "presence-notify-open.sip");
  ASSERT_TRUE(rec().wait_event("1000", v1::EventDNBackInService, kWait));
  // Asterisk ends subscriptions with no reason (RFC 6665: re-subscribe).
  notify_options term;
  term.subscription_state = "terminated";
  ast().send_notify("1000", "presence-notify-open.sip", term);
  ASSERT_TRUE(rec().wait_event("1000", v1::EventDNOutOfService, kWait));
  ASSERT_TRUE(ast().wait_request("SUBSCRIBE", "1000", kWait));
  ast().send_notify("1000", "presence-notify-open.sip");
  ASSERT_TRUE(rec().wait_event("1000", v1::EventDNBackInService, kWait, 2));
  auto seq = rec().events("1000");
  EXPECT_EQ(std::count(seq.begin(), seq.end(), v1::EventDNBackInService), 2) ;
}

TEST_F(PresenceE2E, StaleDialogVersionIgnoredAndVersionZeroAcceptedAfterResubscribe) {
  start();
  ASSERT_TRUE(ast().wait_request("SUBSCRIBE", "1002", kWait));
  auto device_is = [&](v1::DeviceState d) {
    return rec().wait([d](const bus_msg& m) {
      v1::DnState st;
      return m.subject == "sipcc.state.dn.1002" && st.ParseFromString(m.data) && st.device() == d;
    }, kWait).has_value();
  };
  ASSERT_TRUE(device_is(v1::DEVICE_IDLE));          // version 0
  ast().send_notify("1002", "dialog-notify-early-ringing.sip");  // version 1
  ASSERT_TRUE(device_is(v1::DEVICE_RINGING));
  notify_options stale;
  stale.version = 1;  // same version again: must be ignored
  ast().send_notify("1002", "dialog-notify-confirmed-inbound.sip", stale);
  ast().send_notify("1002", "dialog-notify-early-ringing.sip");  // version 2, still ringing
  // The stale NOTIFY was counted, and the DN never went busy.
  ASSERT_TRUE(rec().wait([](const bus_msg& m) { return m.subject == "sipcc.state.dn.1002"; }, kWait));
  int code = 0;
  auto counters = sys->ctl({"counters", "presence-0"}, &code);
  ASSERT_EQ(code, 0) << counters;
  EXPECT_NE(counters.find("\"version\""), std::string::npos) << counters;
  EXPECT_FALSE(rec().wait([](const bus_msg& m) {
    v1::DnState st;
    return m.subject == "sipcc.state.dn.1002" && st.ParseFromString(m.data) &&
           st.device() == v1::DEVICE_BUSY;
  }, 0ms));
  // A new subscription dialog starts again at version 0.
  notify_options term;
  term.subscription_state = "terminated";
  ast().send_notify("1002", "dialog-notify-terminated-inbound.sip", term);
  ASSERT_TRUE(ast().wait_request("SUBSCRIBE", "1002", kWait));
  ast().send_notify("1002", "dialog-notify-confirmed-inbound.sip");  // version 0 of the new dialog
  EXPECT_TRUE(device_is(v1::DEVICE_BUSY));
}

// Issue 16: a version past RFC 4235's 32 bits was accepted, and every later
// NOTIFY of the subscription was then dropped as stale: the DN froze.
TEST_F(PresenceE2E, OutOfRangeDialogVersionIsRefusedAndDoesNotFreezeTheDn) {
  start();
  ASSERT_TRUE(ast().wait_request("SUBSCRIBE", "1002", kWait));
  auto device_is = [&](v1::DeviceState d, std::chrono::milliseconds wait) {
    return rec().wait([d](const bus_msg& m) {
      v1::DnState st;
      return m.subject == "sipcc.state.dn.1002" && st.ParseFromString(m.data) && st.device() == d;
    }, wait).has_value();
  };
  ASSERT_TRUE(device_is(v1::DEVICE_IDLE, kWait));  // version 0
  notify_options too_big;
  too_big.version = 4294967296ULL;  // 2^32
  auto cseq = ast().send_notify("1002", "dialog-notify-early-ringing.sip", too_big);
  EXPECT_EQ(ast().wait_response_to_notify(cseq, kWait), 200);
  ast().send_notify("1002", "dialog-notify-confirmed-inbound.sip");  // version 1
  EXPECT_TRUE(device_is(v1::DEVICE_BUSY, kWait));
  // The bad body was refused, under its content type, and never applied.
  EXPECT_FALSE(device_is(v1::DEVICE_RINGING, 0ms));
  EXPECT_EQ(sys->counter("presence-0", "notify_bad_body", "application/dialog-info+xml"), 1);
}

TEST_F(PresenceE2E, UnknownDnOrAgentGetsEventError) {
  start();
  auto unknown_dn = sys->request("5555", v1::TAgentLogin, "agent1000");
  EXPECT_EQ(unknown_dn.type(), v1::EventError);
  EXPECT_EQ(unknown_dn.error_code(), v1::ERR_UNKNOWN_DN);
  auto unknown_agent = sys->request("1000", v1::TAgentLogin, "nobody");
  EXPECT_EQ(unknown_agent.type(), v1::EventError);
  EXPECT_EQ(unknown_agent.error_code(), v1::ERR_UNKNOWN_AGENT);
  auto not_logged_in = sys->request("1001", v1::TAgentSetReady);
  EXPECT_EQ(not_logged_in.error_code(), v1::ERR_INVALID_STATE);
  EXPECT_FALSE(not_logged_in.error_message().empty());
}

TEST_F(PresenceE2E, RegisterAddressReturnsSnapshotAndStateIsQueryable) {
  ready_agent_on_1000();
  auto reg = sys->request("1000", v1::TRegisterAddress);
  ASSERT_EQ(reg.type(), v1::EventRegistered);
  EXPECT_EQ(reg.dn_state().agent().agent_id(), "agent1000");
  EXPECT_TRUE(reg.dn_state().routable());
  int code = 0;
  auto out = sys->ctl({"state", "agent", "agent1000"}, &code);
  ASSERT_EQ(code, 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["agents"][0]["dn"], "1000");
  EXPECT_EQ(j["agents"][0]["session"]["state"], "AGENT_READY");
}

TEST(WatchE2E, DecodesEverySubjectFamily) {
  system_options opts;
  opts.services.emplace_back("callctl", "callctl-0");
  // media: its sync at start-up, OPTIONS probes through the edge and their
  // results, a health event (the simulated Asterisk answers), the pool.
  opts.services.emplace_back("media", "media-0");
  // mwi: its shard leases and heartbeat in the sipcc_leases bucket.
  opts.services.emplace_back("mwi", "mwi-0");
  // The call fact below names a call callctl does not have: presence's call
  // audit asks about it (calls_check) and callctl answers (calls_checked).
  opts.presence_extra = "  call-audit-interval-ms: 500\n";
  auto sys = std::make_unique<sipcc_system>(opts);
  sys->asterisk().set_initial_notify("1000", "presence-notify-open.sip");
  auto& rec = sys->recorder();
  child_process watch(sys->ctl_argv({"watch", "sipcc.>"}), sys->config_path() + ".watch");
  ASSERT_TRUE(watch.wait_output("watching", kWait));
  // What the services write to their key-value buckets: presence's DN
  // states, mwi's leases.
  child_process watch_kv(sys->ctl_argv({"watch", "$KV.>"}),
                         sys->config_path() + ".watch-kv");
  ASSERT_TRUE(watch_kv.wait_output("watching", kWait));
  sys->start_services();
  ASSERT_EQ(sys->request("1000", v1::TAgentLogin, "agent1000").type(), v1::EventAgentLogin);
  // A customer call that gives up before it is routed: in_invite, edge_leg, leg_event.
  auto call = sys->asterisk().place_call("8000", sys->edge_port());
  ASSERT_TRUE(sys->asterisk().wait_provisional(call, 180, kWait));
  sys->asterisk().cancel_call(call);
  ASSERT_TRUE(rec.wait_event("8000", v1::EventAbandoned, kWait));
  sys->ctl({"request", "1000", "TAgentLogout"});
  sys->ctl({"state", "dn", "1000"});
  sys->ctl({"counters", "edge1"});
  sys->ctl({"health", "presence-0"});
  // Test-only; no service here runs with SIPCC_FAULT_INJECTION=1, so none takes it.
  v1::FaultInjection fault;
  fault.set_schema(v1::SCHEMA_V1);
  rec.client().publish(subj::ops_fault("presence-0"), fault);
  v1::SnapshotQuery snapshots;  // what a restarting callctl asks its edge
  snapshots.set_schema(v1::SCHEMA_V1);
  snapshots.set_owner("callctl-0");
  rec.client().request(subj::edge_snapshots("edge1"), snapshots, kWait);
    v1::WaitingCallsQuery waiting;  // what a starting router asks callctl
  waiting.set_schema(v1::SCHEMA_V1);
  rec.client().publish(subj::calls_waiting, waiting, subj::calls_waiting_for("router-0"));
  v1::CallWaiting waits;  // and what each waiting call answers
  waits.set_schema(v1::SCHEMA_V1);
  waits.set_conn_id("007d0000000001");
  waits.set_rp("8000");
  rec.client().publish(subj::calls_waiting_for("router-0"), waits);
  v1::DnCallFact fact;  // what callctl publishes for a routed call
  fact.set_schema(v1::SCHEMA_V1);
  fact.set_dn("1001");
  fact.set_conn_id("007d0000000001");
  fact.set_active(true);
  rec.client().publish(sys->dn_calls_subject("1001"), fact);
  v1::Registration binding;  // what the edge publishes when a phone registers
  binding.set_schema(v1::SCHEMA_V1);
  binding.set_dn("1001");
  binding.set_contact("sip:1001@127.0.0.1:5999");
  binding.set_expires_s(60);
  binding.set_edge_id("edge1");
  rec.client().publish(subj::reg("1001"), binding);
  // No callctl runs here: the request goes unanswered, but it is on the bus.
  sys->ctl({"--timeout", "100", "conf", "create"});
  // What callctl sends the media service, and its answer.
  rec.client().publish(subj::media_req, treatment_ask("007d0000000001-2", v1::Music),
                       subj::media_placed("callctl-0", "007d0000000001"));
  v1::MediaLegEvent started;
  started.set_schema(v1::SCHEMA_V1);
  started.mutable_started()->set_leg_id("007d0000000001-2");
  rec.client().publish(subj::media_leg("callctl-0"), started);
  v1::MediaLegList list;
  list.set_schema(v1::SCHEMA_V1);
  rec.client().publish(subj::media_list("callctl-0"), list);
  sys->ctl({"media"});
  std::set<std::string> want;
  for (auto* i = subjects_begin(); i != subjects_end(); ++i)
    want.insert(i->name);
  std::set<std::string> seen;
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (seen != want && std::chrono::steady_clock::now() < deadline) {
    seen.clear();
    std::istringstream lines(watch.output(false) + watch_kv.output(false));
    for (std::string line; std::getline(lines, line);) {
      auto j = nlohmann::json::parse(line);
      ASSERT_FALSE(j.contains("error")) << line;
      ASSERT_TRUE(j.contains("time") && j.contains("type") && j.contains("message")) << line;
      if (auto* info = classify_subject(j["subject"].get<std::string>())) {
        EXPECT_EQ(j["type"], info->type);
        seen.insert(info->name);
      }
    }
    if (seen != want)
      std::this_thread::sleep_for(50ms);  // the watcher writes to a file
  }
  EXPECT_EQ(seen, want);
}

// A binding whose removal never reaches presence (core NATS may lose it)
// still ends: the DN goes out of service a little after the binding expires.
TEST(PresenceRegistrarE2E, BindingEndsAtItsExpiryWhenTheEdgesWordIsLost) {
  system_options opts;
  opts.dns = {{"2000", "ACDPosition", "", "", "password: secret"}};
  sipcc_system sys(opts);
  sys.start_services();
  v1::Registration r;
  r.set_schema(v1::SCHEMA_V1);
  r.set_dn("2000");
  r.set_contact("sip:2000@127.0.0.1:5999");
  r.set_expires_s(1);
  r.set_edge_id("edge1");
  sys.recorder().client().publish(subj::reg("2000"), r);
  ASSERT_TRUE(sys.recorder().wait_event("2000", v1::EventDNBackInService, kWait));
  // 1 s of binding and 2 s of grace, and no word from the edge at all.
  EXPECT_TRUE(sys.recorder().wait_event("2000", v1::EventDNOutOfService, kWait));
}

}  // namespace
}  // namespace sipcc::test

namespace sipcc::test {
namespace {

TEST(ResourceListE2E, OneListSubscriptionServesEveryMember) {
  system_options opts;
  opts.dns = {{"1000"}, {"2000"}, {"1001"}};
  opts.presence_extra = "  resource-lists:\n    - { name: agents, package: presence, dns: [\"1000\", \"2000\"] }\n";
  sipcc_system sys(opts);
  sys.asterisk().set_list("agents");
  sys.asterisk().set_initial_notify("agents", "rls-notify-full-state.sip");
  sys.asterisk().set_initial_notify("1001", "presence-notify-open.sip");
  sys.start_services();
  auto sub = sys.asterisk().wait_request("SUBSCRIBE", "agents", kWait);
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->header("Supported"), "eventlist");
  EXPECT_NE(sub->header("Accept").find("application/rlmi+xml"), std::string::npos);
  // In the captured list 1000 is registered and idle, 2000 is not registered.
  ASSERT_TRUE(sys.recorder().wait_event("1000", v1::EventDNBackInService, kWait));
  ASSERT_TRUE(sys.recorder().wait([](const bus_msg& m) {
    v1::DnState st;
    return m.subject == "sipcc.state.dn.2000" && st.ParseFromString(m.data) &&
           st.monitor() == v1::MONITOR_ACTIVE && st.device() == v1::DEVICE_OUT_OF_SERVICE;
  }, kWait));
  // A DN outside the list keeps its own subscription; list members have none.
  EXPECT_TRUE(sys.asterisk().wait_request("SUBSCRIBE", "1001", kWait));
  EXPECT_EQ(sys.asterisk().count("SUBSCRIBE", "1000"), 0u);
  EXPECT_EQ(sys.asterisk().count("SUBSCRIBE", "2000"), 0u);
  // Losing the list subscription takes every member out of service.
  notify_options term;
  term.subscription_state = "terminated";
  sys.asterisk().send_notify("agents", "rls-notify-full-state.sip", term);
  EXPECT_TRUE(sys.recorder().wait_event("1000", v1::EventDNOutOfService, kWait));
}

// Matches sipcc's un-SUBSCRIBE (Expires: 0) of the resource.
std::function<bool(const received&)> unsubscribe_of(std::string resource) {
  return [resource](const received& r) {
    return r.method == "SUBSCRIBE" && r.resource == resource && r.message.header("Expires") == "0";
  };
}

bool is_subscribe(const received& r) {
  return r.method == "SUBSCRIBE" && r.message.header("Expires") != "0";
}

// The SUBSCRIBE that opened m's dialog.
std::function<bool(const received&)> subscribe_in_call_of(const sip_message& m) {
  return [call_id = m.header("Call-ID")](const received& r) {
    return is_subscribe(r) && r.message.header("Call-ID") == call_id;
  };
}

// Whether a DN's state on the bus said MONITOR_ACTIVE before the fake
// received the earliest datagram matching; nothing if none matched. The
// NOTIFY answering that SUBSCRIBE cannot have had any effect by then.
std::optional<bool> monitored_before(sipcc_system& sys,
                                     const std::function<bool(const received&)>& match) {
  for (auto& r : sys.asterisk().received())
    if (match(r)) {
      for (auto& m : sys.recorder().before(r.at)) {
        v1::DnState st;
        if (m.subject.rfind("sipcc.state.dn.", 0) == 0 && st.ParseFromString(m.data) &&
            st.monitor() == v1::MONITOR_ACTIVE)
          return true;
      }
      return false;
    }
  return std::nullopt;
}

// Asterisk answers 200 and never NOTIFYs a resource list whose full state
// does not fit a UDP datagram. For a list of more than k_max_udp_list_dns DNs
// sipcc says so, ends the list and watches each of its DNs with a
// subscription of its own.
TEST(ResourceListE2E, ListTooLargeForUdpFallsBackToOneSubscriptionPerDn) {
  system_options opts;
  opts.dns.clear();
  std::string members;
  for (size_t i = 0; i <= k_max_udp_list_dns; ++i) {
    auto dn = std::to_string(1000 + i);
    opts.dns.emplace_back(dn);
    members += (members.empty() ? "\"" : ", \"") + dn + "\"";
  }
  const std::string last = opts.dns.back().number;
  opts.presence_extra = "  first-notify-timeout-ms: 1000\n"
                        "  resource-lists:\n    - { name: agents, package: presence, dns: [" +
                        members + "] }\n";
  sipcc_system sys(opts);
  auto& ast = sys.asterisk();
  ast.set_list("agents");
  ast.set_policy("agents", subscribe_policy::accept_without_notify());
  ast.set_default_initial_notify("presence", "presence-notify-open.sip");
  sys.start_services();
  ASSERT_TRUE(ast.wait_request("SUBSCRIBE", "agents", kWait));
  ASSERT_TRUE(ast.wait_request(unsubscribe_of("agents"), kWait));
  EXPECT_TRUE(sys.wait_log("presence",
                           "@agents: SUBSCRIBE answered 2xx but no NOTIFY came within 1000 ms: "
                           "the list's full-state NOTIFY is likely too large for a UDP datagram",
                           kWait));
  ASSERT_TRUE(ast.wait_request("SUBSCRIBE", "1000", kWait));
  ASSERT_TRUE(ast.wait_request("SUBSCRIBE", last, kWait));
  EXPECT_TRUE(sys.recorder().wait_event("1000", v1::EventDNBackInService, kWait));
  EXPECT_TRUE(sys.recorder().wait_event(last, v1::EventDNBackInService, kWait));
  // Until the first DN's own SUBSCRIBE no member was monitored: the list's
  // 200 alone proves nothing.
  EXPECT_EQ(monitored_before(sys, [](const received& r) {
              return is_subscribe(r) && r.resource != "agents";
            }),
            false);
  EXPECT_EQ(sys.counter("presence-0", "no_first_notify", "list"), 1);
  // The SUBSCRIBE and its un-SUBSCRIBE: the list is not tried again.
  EXPECT_EQ(ast.count("SUBSCRIBE", "agents"), 2u);
}

// A list that fits UDP and still has no first NOTIFY in time met a busy
// Asterisk (just restarted, most likely): it is ended and subscribed again
// as a list after retry-interval, not spread over one subscription per DN.
TEST(ResourceListE2E, ListThatFitsUdpWithoutFirstNotifyIsSubscribedAgainAsAList) {
  system_options opts;
  opts.dns = {{"1000"}, {"2000"}};
  opts.presence_extra =
      "  first-notify-timeout-ms: 1000\n"
      "  resource-lists:\n    - { name: agents, package: presence, dns: [\"1000\", \"2000\"] }\n";
  sipcc_system sys(opts);
  auto& ast = sys.asterisk();
  ast.set_list("agents");
  ast.set_initial_notify("agents", "rls-notify-full-state.sip");
  ast.set_policy("agents", subscribe_policy::accept_without_notify().only_once());
  sys.start_services();
  auto first = ast.wait_request("SUBSCRIBE", "agents", kWait);
  ASSERT_TRUE(first);
  ASSERT_TRUE(ast.wait_request(unsubscribe_of("agents"), kWait));
  EXPECT_TRUE(sys.wait_log(
      "presence", "@agents: SUBSCRIBE answered 2xx but no NOTIFY came within 1000 ms; ended, "
                  "to be retried", kWait));
  auto again = ast.wait_request(
      [](const received& r) { return is_subscribe(r) && r.resource == "agents"; }, kWait);
  ASSERT_TRUE(again);
  EXPECT_NE(again->header("Call-ID"), first->header("Call-ID"));  // a new subscription
  EXPECT_EQ(again->header("Supported"), "eventlist");
  // In the captured list 1000 is registered and idle.
  EXPECT_TRUE(sys.recorder().wait_event("1000", v1::EventDNBackInService, kWait));
  // Until the list's new SUBSCRIBE no member was monitored.
  EXPECT_EQ(monitored_before(sys, subscribe_in_call_of(*again)), false);
  EXPECT_EQ(sys.counter("presence-0", "no_first_notify", "list"), 1);
  EXPECT_EQ(ast.count("SUBSCRIBE", "1000"), 0u);
  EXPECT_EQ(ast.count("SUBSCRIBE", "2000"), 0u);
}

// A DN's subscription answered 200 without its NOTIFY is ended and made
// again after retry-interval; the DN is monitored from the NOTIFY on.
TEST(PresenceFirstNotifyE2E, SubscriptionWithoutFirstNotifyIsMadeAgain) {
  system_options opts;
  opts.dns = {{"1000"}};
  opts.presence_extra = "  first-notify-timeout-ms: 1000\n";
  sipcc_system sys(opts);
  auto& ast = sys.asterisk();
  ast.set_initial_notify("1000", "presence-notify-open.sip");
  ast.set_policy("1000", subscribe_policy::accept_without_notify().only_once());
  sys.start_services();
  auto first = ast.wait_request("SUBSCRIBE", "1000", kWait);
  ASSERT_TRUE(first);
  auto unsubscribe = ast.wait_request(unsubscribe_of("1000"), kWait);
  ASSERT_TRUE(unsubscribe);
  EXPECT_TRUE(sys.wait_log(
      "presence", "1000: SUBSCRIBE answered 2xx but no NOTIFY came within 1000 ms; ended", kWait));
  auto again = ast.wait_request(
      [](const received& r) { return is_subscribe(r) && r.resource == "1000"; }, kWait);
  ASSERT_TRUE(again);
  EXPECT_EQ(unsubscribe->header("Call-ID"), first->header("Call-ID"));
  EXPECT_NE(again->header("Call-ID"), first->header("Call-ID"));  // a new subscription
  EXPECT_TRUE(sys.recorder().wait_event("1000", v1::EventDNBackInService, kWait));
  // Until the new SUBSCRIBE the DN was not monitored: the 200 alone proves nothing.
  EXPECT_EQ(monitored_before(sys, subscribe_in_call_of(*again)), false);
  EXPECT_EQ(sys.counter("presence-0", "no_first_notify", "single"), 1);
}

// Two presence members share the DNs by shard leases: each DN is subscribed
// once, by the holder of its shard, which alone answers its desktops; the
// AgentID index spans both. kill -9 of one: the survivor takes its shards
// over, ends its dialogs through the edge, resumes its agents as they were
// (no event) and subscribes its DNs again.
// DNs 1000..1007, which fall in shards 1..14 (FNV-1a mod 16): in both
// halves; the edge and two presence members, presence-a and presence-b.
system_options two_presence_members(std::vector<std::string>& dns) {
  system_options opts;
  opts.dns.clear();
  opts.agents.clear();
  for (int n = 1000; n < 1008; ++n) {
    dns.push_back(std::to_string(n));
    opts.dns.emplace_back(dns.back());
  }
  opts.services = {{"sip-edge", "edge1"}, {"presence", "presence-a"}, {"presence#2", "presence-b"}};
  return opts;
}

TEST(PresenceLeasesE2E, TwoMembersShareTheDnsAndTheSurvivorTakesOver) {
  std::vector<std::string> dns;
  auto opts = two_presence_members(dns);
  for (auto& dn : dns)
    opts.agents.push_back("a" + dn);
  sipcc_system sys(opts);
  auto& ast = sys.asterisk();
  auto& rec = sys.recorder();
  for (auto& dn : dns)
    ast.set_initial_notify(dn, "presence-notify-open.sip");
  auto held = [&](const std::string& member) { return sys.counter(member, "leases", "held"); };
  auto once_each = [&] {
    std::map<std::string, size_t> active;
    for (auto& a : ast.active_subscriptions())
      ++active[a.resource];
    for (auto& dn : dns)
      if (active[dn] != 1)
        return false;
    return active.size() == dns.size();
  };
  // Each request's reply comes on a subject of its own that the recorder
  // keeps: the replies are counted at the end.
  std::vector<std::string> inboxes;
  auto ask = [&](const std::string& dn, v1::RequestType type, const std::string& agent = "") {
    v1::TRequest r;
    r.set_schema(v1::SCHEMA_V1);
    r.set_type(type);
    r.set_this_dn(dn);
    r.set_agent_id(agent);
    inboxes.push_back("sipcc.test.reply." + std::to_string(inboxes.size()));
    rec.client().publish(subj::tlib_req(type, dn), r, inboxes.back());
    auto reply = rec.wait([&](const bus_msg& m) { return m.subject == inboxes.back(); }, kWait);
    v1::TEvent ev;
    if (!reply || !ev.ParseFromString(reply->data))
      throw std::runtime_error("no reply to " + v1::RequestType_Name(type) + " on DN " + dn);
    return ev;
  };
  auto all_dns = [&] {
    v1::StateQuery q;
    q.set_schema(v1::SCHEMA_V1);
    q.set_kind(v1::StateQuery::ALL_DNS);
    v1::StateReply r;
    auto reply = rec.client().request(subj::state_query, q, kWait);
    EXPECT_TRUE(reply && r.ParseFromString(*reply));
    return r;
  };

  sys.start_services();
  // presence-a held all 16 until presence-b came: it released 8, which b took.
  ASSERT_TRUE(wait_until(
      [&] { return held("presence-a") == 8 && held("presence-b") == 8 && once_each(); }, 10s))
      << "presence-a " << held("presence-a") << ", presence-b " << held("presence-b");
  for (auto& dn : dns)
    ASSERT_TRUE(rec.wait_event(dn, v1::EventDNBackInService, kWait)) << dn;
  int code = -1;
  sys.ctl({"health", "presence-0"}, &code);
  EXPECT_EQ(code, 0) << "the configured name answers through one member";

  // Every agent logs in and gets Ready; each DN's holder answers.
  std::map<std::string, std::vector<std::string>> by_member;
  for (auto& dn : dns) {
    SCOPED_TRACE(dn);
    ASSERT_EQ(ask(dn, v1::TAgentLogin, "a" + dn).type(), v1::EventAgentLogin);
    ASSERT_EQ(ask(dn, v1::TAgentSetReady).type(), v1::EventAgentReady);
    // Which member logged the event: the DN's holder.
    auto logged = [&](const char* service) {
      return sys.wait_log(service, "DN " + dn + ": EventAgentLogin", 1ms);
    };
    ASSERT_TRUE(wait_until([&] { return logged("presence") || logged("presence#2"); }, kWait));
    by_member[logged("presence") ? "presence" : "presence#2"].push_back(dn);
  }
  ASSERT_FALSE(by_member["presence"].empty());
  ASSERT_FALSE(by_member["presence#2"].empty());
  const auto on_a = by_member["presence"].front(), on_b = by_member["presence#2"].front();
  // Logged in on a DN of presence-a, refused on a DN of presence-b.
  auto twice = ask(on_b, v1::TAgentLogin, "a" + on_a);
  EXPECT_EQ(twice.error_code(), v1::ERR_AGENT_LOGGED_IN_ELSEWHERE) << twice.error_message();
  auto ready = [](const v1::DnState& st, const std::string& dn) {
    return st.agent().agent_id() == "a" + dn && st.agent().state() == v1::AGENT_READY &&
           st.in_service() && st.routable();
  };
  auto every_agent_ready = [&] {
    auto r = all_dns();
    std::map<std::string, v1::DnState> got;
    for (auto& st : r.dns())
      got[st.dn()] = st;
    for (auto& dn : dns)
      if (!got.count(dn) || !ready(got[dn], dn))
        return false;
    return true;
  };
  EXPECT_TRUE(every_agent_ready());
  // callctl's DnCallFacts reach the DN's holder alone (by shard subject).
  auto fact = [&](const std::string& dn, const std::string& conn_id, bool active) {
    v1::DnCallFact f;
    f.set_schema(v1::SCHEMA_V1);
    f.set_dn(dn);
    f.set_conn_id(conn_id);
    f.set_active(active);
    rec.client().publish(sys.dn_calls_subject(dn), f);
  };
  auto has_call = [&](const std::string& dn, const std::string& conn_id) {
    const auto calls = ask(dn, v1::TQueryAddress).dn_state().sipcc_calls();
    return std::find(calls.begin(), calls.end(), conn_id) != calls.end();
  };
  fact(on_b, "007d00000000b1", true);
  ASSERT_TRUE(wait_until([&] { return has_call(on_b, "007d00000000b1"); }, kWait));
  EXPECT_EQ(sys.counter("presence-b", "bus_in", "dn_calls"), 1);
  EXPECT_EQ(sys.counter("presence-a", "bus_in", "dn_calls"), 0) << "a member heard another's";
  fact(on_b, "007d00000000b1", false);
  ASSERT_TRUE(wait_until([&] { return !has_call(on_b, "007d00000000b1"); }, kWait));
  // presence-a let the shards it released go without a word.
  std::map<std::string, std::vector<v1::EventType>> before;
  for (auto& dn : dns) {
    before[dn] = rec.events(dn);
    EXPECT_EQ(before[dn], (std::vector<v1::EventType>{v1::EventDNBackInService,
                                                      v1::EventAgentLogin, v1::EventAgentReady}))
        << dn;
  }

  sys.crash_service("presence");
  auto killed = std::chrono::steady_clock::now();
  // The TTL (1.5 s) plus a tick, and the time sipccctl takes to ask.
  ASSERT_TRUE(wait_until([&] { return held("presence-b") == 16; }, 3s));
  RecordProperty("takeover_ms", static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                     std::chrono::steady_clock::now() - killed)
                                                     .count()));
  ASSERT_TRUE(wait_until(once_each, 5s)) << "a DN is not subscribed exactly once";
  EXPECT_GT(sys.counter("edge1", "subscriptions_forgotten", "shard"), 0);
  // presence-b answers for every DN now, each agent as it was.
  for (auto& dn : dns) {
    SCOPED_TRACE(dn);
    EXPECT_TRUE(ready(ask(dn, v1::TQueryAddress).dn_state(), dn));
  }
  EXPECT_TRUE(every_agent_ready()) << "router and callctl see every Ready agent";
  EXPECT_EQ(ask(on_a, v1::TAgentLogin, "a" + on_b).error_code(), v1::ERR_AGENT_LOGGED_IN_ELSEWHERE);
  // The facts of the shards taken over come to presence-b now.
  fact(on_a, "007d00000000a1", true);
  EXPECT_TRUE(wait_until([&] { return has_call(on_a, "007d00000000a1"); }, kWait));
  fact(on_a, "007d00000000a1", false);
  EXPECT_TRUE(wait_until([&] { return !has_call(on_a, "007d00000000a1"); }, kWait));
  // A private call on a taken-over DN is the first thing its desktop hears
  // since the crash: the takeover said nothing.
  ast.send_notify(on_a, "presence-notify-busy-inuse.sip");
  ASSERT_TRUE(rec.wait_event(on_a, v1::EventAgentNotReady, kWait));
  for (auto& dn : dns) {
    SCOPED_TRACE(dn);
    auto after = rec.events(dn);
    auto news = dn == on_a ? std::vector<v1::EventType>{v1::EventAgentNotReady}
                           : std::vector<v1::EventType>{};
    ASSERT_GE(after.size(), before[dn].size());
    EXPECT_EQ(std::vector<v1::EventType>(after.begin() + before[dn].size(), after.end()), news);
  }
  // Every request was answered once, by one member.
  std::map<std::string, int> replies;
  for (auto& m : rec.all())
    ++replies[m.subject];
  for (auto& inbox : inboxes)
    EXPECT_EQ(replies[inbox], 1) << inbox;
}

// Two logins of one AgentID sent at the same moment to DNs of two members:
// each member's view of the other's logins is a bus hop late, so only the
// AgentID's claim in the key-value bucket decides (login_claims.hpp).
TEST(PresenceLeasesE2E, TwoLoginsOfOneAgentAtOnceOnTwoMembersOnlyOnePasses) {
  std::vector<std::string> dns;
  auto opts = two_presence_members(dns);
  constexpr int kRounds = 6;
  for (int i = 0; i < kRounds; ++i)
    opts.agents.push_back("r" + std::to_string(i));
  sipcc_system sys(opts);
  auto& rec = sys.recorder();
  for (auto& dn : dns)
    sys.asterisk().set_initial_notify(dn, "presence-notify-open.sip");
  sys.start_services();
  auto held = [&](const std::string& member) { return sys.counter(member, "leases", "held"); };
  ASSERT_TRUE(wait_until([&] { return held("presence-a") == 8 && held("presence-b") == 8; }, 10s));
  for (auto& dn : dns)
    ASSERT_TRUE(rec.wait_event(dn, v1::EventDNBackInService, kWait)) << dn;
  // Which member holds each DN: the one that counts its query.
  std::vector<std::string> on_a, on_b;
  for (auto& dn : dns) {
    const auto before = sys.counter("presence-a", "tlib_requests", "TQueryAddress");
    ASSERT_EQ(sys.request(dn, v1::TQueryAddress).type(), v1::EventAddressInfo) << dn;
    (sys.counter("presence-a", "tlib_requests", "TQueryAddress") > before ? on_a : on_b)
        .push_back(dn);
  }
  ASSERT_FALSE(on_a.empty());
  ASSERT_FALSE(on_b.empty());

  for (int i = 0; i < kRounds; ++i) {
    SCOPED_TRACE(i);
    const std::string agent = "r" + std::to_string(i);
    const std::string dn_a = on_a[i % on_a.size()], dn_b = on_b[i % on_b.size()];
    const std::string inbox = "sipcc.test.race." + std::to_string(i);
    for (auto& dn : {dn_a, dn_b}) {
      auto r = tlib_request(v1::TAgentLogin, dn, agent);
      rec.client().publish(subj::tlib_req(v1::TAgentLogin, dn), r, inbox + "." + dn);
    }
    std::map<std::string, v1::TEvent> got;
    for (auto& dn : {dn_a, dn_b}) {
      auto reply = rec.wait([&](const bus_msg& m) { return m.subject == inbox + "." + dn; }, kWait);
      ASSERT_TRUE(reply) << dn;
      ASSERT_TRUE(got[dn].ParseFromString(reply->data));
    }
    const bool a_won = got[dn_a].type() == v1::EventAgentLogin;
    const auto& lost = got[a_won ? dn_b : dn_a];
    EXPECT_NE(a_won, got[dn_b].type() == v1::EventAgentLogin) << "exactly one login passes";
    EXPECT_EQ(lost.type(), v1::EventError);
    EXPECT_EQ(lost.error_code(), v1::ERR_AGENT_LOGGED_IN_ELSEWHERE) << lost.error_message();
    // The winner logs out: its DN is free for the next round.
    const auto& won_dn = a_won ? dn_a : dn_b;
    EXPECT_EQ(sys.request(won_dn, v1::TAgentLogout).type(), v1::EventAgentLogout);
  }
}

}  // namespace
}  // namespace sipcc::test
