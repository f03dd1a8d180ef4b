// Voicemail end to end: real nats-server, the built sip-edge, presence and
// mwi, and the simulated Asterisk sending the captured message-summary
// bodies. Subscriptions follow the scope of the reference (extensions from
// start-up, agent mailboxes while logged in, one per logged-in member for a
// group mailbox) and each change reaches the right DN once.
#include <gtest/gtest.h>

#include <algorithm>

#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/sip.pb.h"
#include "sipp.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 5s;

class MwiE2E : public ::testing::Test {
protected:
  // Extension 1000 has its own mailbox; 1001 gets the default one. Agent a1
  // has a mailbox, a2/a3 do not; Sales (a2, a3) has a group mailbox.
  void SetUp() override { configure(true); }

  void configure(bool extensions) {
    system_options opts;
    opts.dns = {{"1000", "Extension", "presence", "", "mailbox: 1000@MY_COMPANY"},
                {"1001"},
                {"2000", "ACDPosition"},
                {"2001", "ACDPosition"}};
    opts.agents = {"a1, mailbox: 3001@MY_COMPANY", "a2", "a3"};
    opts.extra_yaml = std::string("agent-groups:\n  - { name: Sales, members: [a2, a3], "
                                  "mailbox: 5000@GVM_DN }\n"
                                  "mwi: { retry-interval: 1, resubscribe-backoff-max: 2 }\n"
                                  "application:\n  mwi-extension-enable: ") +
                      (extensions ? "true" : "false") + "\n";
    opts.services = {{"sip-edge", "edge1"}, {"presence", "presence-0"}, {"mwi", "mwi-0"}};
    sys = std::make_unique<sipcc_system>(opts);
    ast().set_default_initial_notify("message-summary", "mwi-notify-initial-no-messages.sip");
  }

  fake_asterisk& ast() { return sys->asterisk(); }
  bus_recorder& rec() { return sys->recorder(); }
  // The gsipmwi list of the DN's nth EventUserEvent, waited for.
  std::string nth_mwi(const std::string& dn, int nth) {
    auto ev = rec().wait_event(dn, v1::EventUserEvent, kWait, nth);
    return ev ? gsipmwi(*ev) : "<no event>";
  }

  void login(const std::string& dn, const std::string& agent) {
    ASSERT_EQ(sys->request(dn, v1::TAgentLogin, agent).type(), v1::EventAgentLogin);
  }
  void logout(const std::string& dn) {
    ASSERT_EQ(sys->request(dn, v1::TAgentLogout).type(), v1::EventAgentLogout);
  }
  size_t active(const std::string& object) {
    size_t n = 0;
    for (auto& s : ast().active_subscriptions())
      n += s.resource == object;
    return n;
  }
  // Time between the object's SUBSCRIBE number i and i+1 (0-based).
  std::chrono::steady_clock::duration sub_gap(const std::string& object, size_t i) {
    std::vector<std::chrono::steady_clock::time_point> at;
    for (auto& r : ast().received())
      if (r.method == "SUBSCRIBE" && r.resource == object)
        at.push_back(r.at);
    return at.size() > i + 1 ? at[i + 1] - at[i] : std::chrono::steady_clock::duration::zero();
  }
  // Waits for the un-SUBSCRIBE of the object (one more each call).
  bool wait_unsubscribe(const std::string& object) {
    return ast()
        .wait_request([&](const received& r) { return r.resource == object && is_unsubscribe(r); },
                      kWait)
        .has_value();
  }

  std::unique_ptr<sipcc_system> sys;
};

TEST_F(MwiE2E, ExtensionMailboxesAreSubscribedAtStartupWithMailboxAndDnInTheContact) {
  sys->start_services();
  struct expect {
    const char* object;
    const char* params;
  };
  for (auto e : {expect{"gvm-1000", ";mb=1000;dn=1000"}, expect{"gvm-1001", ";mb=1001;dn=1001"}}) {
    SCOPED_TRACE(e.object);
    auto sub = ast().wait_request("SUBSCRIBE", e.object, kWait);
    ASSERT_TRUE(sub);
    EXPECT_EQ(sub->header("Event"), "message-summary");
    EXPECT_EQ(sub->header("Accept"), "application/simple-message-summary");
    EXPECT_NE(sub->header("Contact").find(e.params), std::string::npos) << sub->header("Contact");
  }
  // ACD Positions are not extensions, and no agent is logged in.
  EXPECT_EQ(ast().count("SUBSCRIBE", "gvm-2000"), 0u);
  EXPECT_EQ(ast().count("SUBSCRIBE", "gvm-3001"), 0u);
  EXPECT_EQ(ast().count("SUBSCRIBE", "gvm-5000"), 0u);
}

TEST_F(MwiE2E, ExtensionMailboxesAreUnsubscribedWhenMwiStops) {
  sys->start_services();
  for (const char* object : {"gvm-1000", "gvm-1001"})
    ASSERT_TRUE(ast().wait_request("SUBSCRIBE", object, kWait)) << object;
  EXPECT_EQ(sys->stop_service("mwi"), 0);
  for (const char* object : {"gvm-1000", "gvm-1001"})
    EXPECT_TRUE(wait_unsubscribe(object)) << object;
}

TEST_F(MwiE2E, RejectedAndTimedOutSubscriptionsAreRetriedAfterTheInterval) {
  ast().set_policy("gvm-1000", subscribe_policy::reject(403).only_once());
  ast().set_policy("gvm-1001", subscribe_policy::drop().only_once());
  sys->start_services();
  for (const char* object : {"gvm-1000", "gvm-1001"}) {
    SCOPED_TRACE(object);
    ASSERT_TRUE(ast().wait_request("SUBSCRIBE", object, kWait));
    // retry-interval 1 s; the time-out takes t1x64 (1 s here) first.
    ASSERT_TRUE(ast().wait_request("SUBSCRIBE", object, kWait));
  }
  EXPECT_GE(sub_gap("gvm-1000", 0), 900ms);
  EXPECT_GE(sub_gap("gvm-1001", 0), 1800ms);
  // Both work once retried.
  EXPECT_TRUE(rec().wait_event("1000", v1::EventUserEvent, kWait));
  EXPECT_TRUE(rec().wait_event("1001", v1::EventUserEvent, kWait));
}

TEST_F(MwiE2E, EachChangeIsOneUserEventAndRepeatsAndStaleNotifiesAreNot) {
  sys->start_services();
  ASSERT_TRUE(ast().wait_request("SUBSCRIBE", "gvm-1000", kWait));
  // The initial NOTIFY (no messages) is the first state the desktops hear.
  EXPECT_EQ(nth_mwi("1000", 1),
            "Mailbox='1000' Messages-Waiting='false' Voice-Message='0/0' NewMessages=0 "
            "OldMessages=0");

  auto cseq = ast().send_notify("gvm-1000", "mwi-notify-new-message.sip");
  EXPECT_EQ(nth_mwi("1000", 2),
            "Mailbox='1000' Messages-Waiting='true' Voice-Message='1/0' NewMessages=1 "
            "OldMessages=0");
  // The same counts again (a refresh), then a stale NOTIFY that overtook
  // nothing: its lower CSeq loses, as Asterisk's stale-then-true pair must.
  ast().send_notify("gvm-1000", "mwi-notify-new-message.sip");
  notify_options stale;
  stale.cseq = cseq;
  ast().send_notify("gvm-1000", "mwi-notify-cleared.sip", stale);
  ast().send_notify("gvm-1000", "mwi-notify-new-plus-old.sip");
  EXPECT_EQ(nth_mwi("1000", 3),
            "Mailbox='1000' Messages-Waiting='true' Voice-Message='1/1' NewMessages=1 "
            "OldMessages=1");
  // No other DN heard of mailbox 1000: 1001 has its own mailbox's first state only.
  ASSERT_TRUE(rec().wait_event("1001", v1::EventUserEvent, kWait));
  EXPECT_TRUE(rec().events("1001") == std::vector<v1::EventType>{v1::EventUserEvent});
}

TEST_F(MwiE2E, DesktopThatRegistersLaterGetsTheCurrentStateAtOnce) {
  sys->start_services();
  ASSERT_TRUE(ast().wait_request("SUBSCRIBE", "gvm-1000", kWait));
  ASSERT_TRUE(rec().wait_event("1000", v1::EventUserEvent, kWait));
  ast().send_notify("gvm-1000", "mwi-notify-new-plus-old.sip");
  ASSERT_TRUE(rec().wait_event("1000", v1::EventUserEvent, kWait, 2));
  ASSERT_EQ(sys->request("1000", v1::TRegisterAddress).type(), v1::EventRegistered);
  EXPECT_EQ(nth_mwi("1000", 3),
            "Mailbox='1000' Messages-Waiting='true' Voice-Message='1/1' NewMessages=1 "
            "OldMessages=1");
}

// Extensions off: only logins make subscriptions.
class MwiScopeE2E : public MwiE2E {
protected:
  void SetUp() override { configure(false); }
};

TEST_F(MwiScopeE2E, AgentMailboxFollowsTheAgentsLoginToWhicheverDn) {
  sys->start_services();
  login("2001", "a1");
  auto sub = ast().wait_request("SUBSCRIBE", "gvm-3001", kWait);
  ASSERT_TRUE(sub);
  EXPECT_NE(sub->header("Contact").find(";mb=3001;dn=2001"), std::string::npos);
  // Events for the agent's mailbox go to the DN it is logged in on.
  ASSERT_TRUE(rec().wait_event("2001", v1::EventUserEvent, kWait));
  ast().send_notify("gvm-3001", "mwi-notify-new-message.sip");
  EXPECT_EQ(nth_mwi("2001", 2),
            "Mailbox='3001' Messages-Waiting='true' Voice-Message='1/0' NewMessages=1 "
            "OldMessages=0");
  logout("2001");
  EXPECT_TRUE(wait_unsubscribe("gvm-3001"));
  // Extensions are off: no extension mailbox was ever subscribed.
  EXPECT_EQ(ast().count("SUBSCRIBE", "gvm-1000"), 0u);
}

TEST_F(MwiScopeE2E, GroupMailboxHasOneSubscriptionPerLoggedInMember) {
  sys->start_services();
  EXPECT_EQ(active("gvm-5000"), 0u);
  login("2000", "a2");
  ASSERT_TRUE(ast().wait_request("SUBSCRIBE", "gvm-5000", kWait));
  EXPECT_EQ(active("gvm-5000"), 1u);
  login("2001", "a3");
  auto second = ast().wait_request("SUBSCRIBE", "gvm-5000", kWait);
  ASSERT_TRUE(second);
  EXPECT_NE(second->header("Contact").find(";mb=5000;dn=2001"), std::string::npos);
  EXPECT_EQ(active("gvm-5000"), 2u);
  // Each subscription's initial NOTIFY reaches its own member's DN once.
  ASSERT_TRUE(rec().wait_event("2000", v1::EventUserEvent, kWait));
  ASSERT_TRUE(rec().wait_event("2001", v1::EventUserEvent, kWait));
  // A change on the newest subscription (a3's) reaches 2001 only.
  ast().send_notify("gvm-5000", "mwi-notify-new-message.sip");
  ASSERT_TRUE(rec().wait_event("2001", v1::EventUserEvent, kWait, 2));
  logout("2000");
  ASSERT_TRUE(wait_unsubscribe("gvm-5000"));
  EXPECT_EQ(active("gvm-5000"), 1u);
  logout("2001");
  ASSERT_TRUE(wait_unsubscribe("gvm-5000"));
  EXPECT_EQ(active("gvm-5000"), 0u);
  // The logout's reply can come before its event on the DN's subject.
  ASSERT_TRUE(rec().wait_event("2000", v1::EventAgentLogout, kWait));
  EXPECT_EQ(rec().events("2000"),
            (std::vector<v1::EventType>{v1::EventAgentLogin, v1::EventUserEvent,
                                        v1::EventAgentLogout}));
}

TEST_F(MwiScopeE2E, RejectedSubscriptionIsRetriedAfterTheIntervalAnd404BacksOff) {
  ast().set_policy("gvm-3001", subscribe_policy::reject(403).only_once());
  ast().set_policy("gvm-5000", subscribe_policy::reject(404));
  sys->start_services();
  login("2000", "a1");
  login("2001", "a2");
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(ast().wait_request("SUBSCRIBE", "gvm-3001", kWait));
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(ast().wait_request("SUBSCRIBE", "gvm-5000", kWait));
  // retry-interval is 1 s here; 404 doubles it each time (1 s, then 2 s).
  EXPECT_GE(sub_gap("gvm-3001", 0), 900ms);
  EXPECT_GE(sub_gap("gvm-5000", 0), 900ms);
  EXPECT_GE(sub_gap("gvm-5000", 1), 1800ms);
  // The retried agent subscription works.
  EXPECT_TRUE(rec().wait_event("2000", v1::EventUserEvent, kWait));
}

// SIPp plays Asterisk: a stale count, the true count, then a late NOTIFY
// with a lower CSeq. The desktops hear the first two, and the true count is
// where they stay.
TEST(SippMwiE2E, StaleThenFreshThenLateNotifyEndsInTheFreshCounts) {
  if (!sipp_installed()) GTEST_SKIP() << "sipp (package sip-tester) is not on PATH";
  const uint16_t port = free_port(SOCK_DGRAM);
  system_options opts;
  // Not monitored: presence sends nothing to the scenario, mwi one SUBSCRIBE.
  opts.dns = {{"1000", "Extension", "", "", "monitor: false, mailbox: 1000@MY_COMPANY"}};
  opts.agents = {};
  opts.extra_yaml = "application:\n  mwi-extension-enable: true\n";
  opts.asterisk_port = port;
  opts.services = {{"sip-edge", "edge1"}, {"presence", "presence-0"}, {"mwi", "mwi-0"}};
  sipcc_system sys(opts);
  sipp_run sipp("asterisk-accepts-mwi-subscribe-and-notifies-stale-fresh-then-late.xml", port,
                sys.dir());
  sys.start_services();
  // 0 = the whole scenario ran: 200, 200, then 500 for the lower CSeq.
  ASSERT_EQ(sipp.wait_exit(25s), 0) << sipp.log() << "\nlogs in " << sys.dir();
  auto second = sys.recorder().wait_event("1000", v1::EventUserEvent, kWait, 2);
  ASSERT_TRUE(second);
  EXPECT_EQ(gsipmwi(*second),
            "Mailbox='1000' Messages-Waiting='true' Voice-Message='1/1' NewMessages=1 "
            "OldMessages=1");
  EXPECT_EQ(sys.recorder().events("1000"),
            (std::vector<v1::EventType>{v1::EventUserEvent, v1::EventUserEvent}));

  auto msgs = sipp.trace();
  ASSERT_FALSE(msgs.empty());
  const sip_message& sub = msgs.front().message;
  EXPECT_EQ(sub.start_line, "SUBSCRIBE sip:gvm-1000@127.0.0.1:" + std::to_string(port) + " SIP/2.0");
  EXPECT_EQ(sub.header("Event"), "message-summary");
  EXPECT_NE(sub.header("Contact").find(";mb=1000;dn=1000"), std::string::npos);
  // The captured bodies, byte for byte.
  std::vector<std::string> bodies;
  for (auto& m : msgs)
    if (m.sent && m.message.start_line.rfind("NOTIFY ", 0) == 0)
      bodies.push_back(m.message.body);
  EXPECT_EQ(bodies, (std::vector<std::string>{load_capture("mwi-notify-new-message.sip").body,
                                              load_capture("mwi-notify-new-plus-old.sip").body,
                                              load_capture("mwi-notify-message-read-old.sip").body}));
}

// SIPp plays Asterisk for every subscription of a test, from SUBSCRIBE to
// un-SUBSCRIBE (asterisk-accepts-mwi-subscriptions-notifies-and-ends-them.xml);
// nothing else talks SIP to it (no DN is monitored).
class SippMwiScope : public ::testing::Test {
protected:
  void start(bool extensions, int subscriptions) {
    if (!sipp_installed())
      GTEST_SKIP() << "sipp (package sip-tester) is not on PATH";
    const uint16_t port = free_port(SOCK_DGRAM);
    system_options opts;
    opts.dns = {{"1000", "Extension", "", "", "monitor: false, mailbox: 1000@MY_COMPANY"},
                {"1001", "Extension", "", "", "monitor: false"},
                {"2000", "ACDPosition", "", "", "monitor: false"},
                {"2001", "ACDPosition", "", "", "monitor: false"}};
    opts.agents = {"a1, mailbox: 3001@MY_COMPANY", "a2", "a3"};
    opts.extra_yaml = std::string("agent-groups:\n  - { name: Sales, members: [a2, a3], "
                                  "mailbox: 5000@GVM_DN }\n"
                                  "application:\n  mwi-extension-enable: ") +
                      (extensions ? "true" : "false") + "\n";
    opts.asterisk_port = port;
    opts.services = {{"sip-edge", "edge1"}, {"presence", "presence-0"}, {"mwi", "mwi-0"}};
    sys = std::make_unique<sipcc_system>(opts);
    sipp = std::make_unique<sipp_run>(
        "asterisk-accepts-mwi-subscriptions-notifies-and-ends-them.xml", port, sys->dir(),
        std::vector<std::string>{"-m", std::to_string(subscriptions)});
    sys->start_services();
  }

  // Every SUBSCRIBE SIPp received, in order: "<object> <Contact params> <Expires>"
  // (the object from the To header: in-dialog requests go to SIPp's Contact).
  std::vector<std::string> subscribes() const {
    std::vector<std::string> out;
    for (auto& m : sipp->trace()) {
      const auto& msg = m.message;
      if (m.sent || msg.start_line.rfind("SUBSCRIBE ", 0) != 0)
        continue;
      auto to = msg.header("To");
      auto user = to.substr(to.find("sip:") + 4, to.find('@') - to.find("sip:") - 4);
      auto contact = msg.header("Contact");
      auto params = contact.substr(contact.find(";mb="));
      out.push_back(user + " " + params.substr(0, params.find('>')) + " " + msg.header("Expires"));
    }
    return out;
  }

  // mwi asked the edge to end the subscription with this key.
  bool wait_unsubscribe_cmd(const std::string& key) {
    return sys->recorder()
        .wait(
            [&](const bus_msg& m) {
              v1::EdgeCommand c;
              return m.subject == subj::edge_cmd("edge1") && c.ParseFromString(m.data) &&
                     c.has_unsubscribe() && c.unsubscribe().sub_id().rfind(key + "_", 0) == 0;
            },
            kWait)
        .has_value();
  }

  void login(const std::string& dn, const std::string& agent) {
    ASSERT_EQ(sys->request(dn, v1::TAgentLogin, agent).type(), v1::EventAgentLogin);
  }
  void logout(const std::string& dn) {
    ASSERT_EQ(sys->request(dn, v1::TAgentLogout).type(), v1::EventAgentLogout);
  }

  std::unique_ptr<sipcc_system> sys;
  std::unique_ptr<sipp_run> sipp;
};

TEST_F(SippMwiScope, ExtensionMailboxesFromStartUpUntilMwiStops) {
  start(true, 2);
  EXPECT_TRUE(sys->recorder().wait_event("1000", v1::EventUserEvent, kWait));
  EXPECT_TRUE(sys->recorder().wait_event("1001", v1::EventUserEvent, kWait));
  EXPECT_EQ(sys->stop_service("mwi"), 0);
  // 0 = both subscriptions were made, notified and ended.
  ASSERT_EQ(sipp->wait_exit(kWait), 0) << sipp->log() << "\nlogs in " << sys->dir();
  auto subs = subscribes();
  std::sort(subs.begin(), subs.begin() + std::min<size_t>(2, subs.size()));
  std::sort(subs.begin() + std::min<size_t>(2, subs.size()), subs.end());
  EXPECT_EQ(subs, (std::vector<std::string>{"gvm-1000 ;mb=1000;dn=1000 600",
                                            "gvm-1001 ;mb=1001;dn=1001 600",
                                            "gvm-1000 ;mb=1000;dn=1000 0",
                                            "gvm-1001 ;mb=1001;dn=1001 0"}));
}

TEST_F(SippMwiScope, GroupMailboxFollowsItsMembersZeroOneTwoOneZero) {
  start(false, 2);
  login("2000", "a2");
  ASSERT_TRUE(sys->recorder().wait_event("2000", v1::EventUserEvent, kWait));
  login("2001", "a3");
  ASSERT_TRUE(sys->recorder().wait_event("2001", v1::EventUserEvent, kWait));
  logout("2000");
  ASSERT_TRUE(wait_unsubscribe_cmd("group:Sales@2000"));
  logout("2001");
  ASSERT_EQ(sipp->wait_exit(kWait), 0) << sipp->log() << "\nlogs in " << sys->dir();
  // In order: 1, 2, 1, 0 subscriptions, each reporting to its member's DN;
  // no extension mailbox (mwi-extension-enable is false).
  EXPECT_EQ(subscribes(), (std::vector<std::string>{"gvm-5000 ;mb=5000;dn=2000 600",
                                                    "gvm-5000 ;mb=5000;dn=2001 600",
                                                    "gvm-5000 ;mb=5000;dn=2000 0",
                                                    "gvm-5000 ;mb=5000;dn=2001 0"}));
  ASSERT_TRUE(sys->recorder().wait_event("2000", v1::EventAgentLogout, kWait));
  EXPECT_EQ(sys->recorder().events("2000"),
            (std::vector<v1::EventType>{v1::EventAgentLogin, v1::EventUserEvent,
                                        v1::EventAgentLogout}));
}

// Logging out and straight back in on the same DN makes a new subscription
// while the old dialog still waits for its final NOTIFY: the two must not be
// taken for one another.
TEST_F(SippMwiScope, LoggingBackInAtOnceSubscribesAgain) {
  start(false, 2);
  login("2000", "a2");
  ASSERT_TRUE(sys->recorder().wait_event("2000", v1::EventUserEvent, kWait));
  logout("2000");
  ASSERT_TRUE(wait_unsubscribe_cmd("group:Sales@2000"));
  login("2000", "a2");
  EXPECT_TRUE(sys->recorder().wait_event("2000", v1::EventUserEvent, kWait, 2));
  logout("2000");
  ASSERT_EQ(sipp->wait_exit(kWait), 0) << sipp->log() << "\nlogs in " << sys->dir();
}

// Two mwi processes share the mailboxes by shard leases (16 shards): each
// mailbox is subscribed once across both. One is killed: the survivor takes
// its shards over within the lease TTL plus a tick, the edge ends the dead
// one's subscriptions for those shards (ForgetOwnerCmd with shards), each
// mailbox is again subscribed once, and NOTIFYs still reach the desktops.
TEST(MwiLeasesE2E, TwoInstancesSubscribeEachMailboxOnceAndTheSurvivorTakesOver) {
  system_options opts;
  opts.dns.clear();
  std::vector<std::string> dns;
  // Mailboxes ext:1000..ext:1007 fall in shards of both halves (0..7: 1002,
  // 1004, 1005), so each member holds some.
  for (int n = 1000; n < 1008; ++n) {
    dns.push_back(std::to_string(n));
    opts.dns.emplace_back(dns.back());
  }
  opts.agents.clear();
  opts.extra_yaml = "mwi: { retry-interval: 1, resubscribe-backoff-max: 2 }\n"
                    "application:\n  mwi-extension-enable: true\n";
  opts.services = {{"sip-edge", "edge1"},
                   {"presence", "presence-0"},
                   {"mwi", "mwi-a"},
                   {"mwi#2", "mwi-b"}};
  sipcc_system sys(opts);
  auto& ast = sys.asterisk();
  ast.set_default_initial_notify("message-summary", "mwi-notify-initial-no-messages.sip");
  auto held = [&](const std::string& member) { return sys.counter(member, "leases", "held"); };
  auto once_each = [&] {
    std::map<std::string, size_t> active;
    for (auto& s : ast.active_subscriptions())
      ++active[s.resource];
    for (auto& dn : dns)
      if (active["gvm-" + dn] != 1)
        return false;
    return active.size() == dns.size();
  };
  sys.start_services();
  // mwi-a held all 16 until mwi-b came: it released 8, which mwi-b took.
  ASSERT_TRUE(wait_until([&] { return held("mwi-a") == 8 && held("mwi-b") == 8 && once_each(); },
                         10s))
      << "mwi-a " << held("mwi-a") << ", mwi-b " << held("mwi-b") << " shards";
  // The configured name still answers, through one member.
  int code = -1;
  sys.ctl({"health", "mwi-0"}, &code);
  EXPECT_EQ(code, 0);

  sys.crash_service("mwi");
  auto killed = std::chrono::steady_clock::now();
  // The TTL (1.5 s) plus a tick, and the time sipccctl takes to ask.
  ASSERT_TRUE(wait_until([&] { return held("mwi-b") == 16; }, 3s));
  RecordProperty("takeover_ms", static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                     std::chrono::steady_clock::now() - killed)
                                                     .count()));
  ASSERT_TRUE(wait_until(once_each, 5s)) << "a mailbox is not subscribed exactly once";
  EXPECT_GT(sys.counter("edge1", "subscriptions_forgotten", "shard"), 0);
  // Every mailbox's change reaches its DN's desktops through mwi-b.
  for (auto& dn : dns) {
    SCOPED_TRACE(dn);
    ast.send_notify("gvm-" + dn, "mwi-notify-new-message.sip");
    auto ev = sys.recorder().wait(
        [&](const bus_msg& m) {
          v1::TEvent e;
          return m.subject == subj::tlib_evt(dn) && e.ParseFromString(m.data) &&
                 e.type() == v1::EventUserEvent &&
                 gsipmwi(e).find("NewMessages=1") != std::string::npos;
        },
        kWait);
    EXPECT_TRUE(ev);
  }
}

}  // namespace
}  // namespace sipcc::test
