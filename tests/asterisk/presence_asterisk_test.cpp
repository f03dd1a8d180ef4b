// Presence and agent state against the real Asterisk: phones register and
// unregister, and a private call (straight from phone to phone, sipcc not in
// the path) makes a Ready agent NotReady and Ready again, through per-DN
// presence subscriptions, an RFC 4662 list and the dialog package; presence
// killed and started again leaves no subscription of its own behind.
#include <map>

#include "sipcc/v1/sip.pb.h"

#include "interop.hpp"

namespace sipcc::test {
namespace {

class InteropPresence : public Interop {
protected:
  void SetUp() override {}

  // The agent on `dn` (phone sending `hz`) takes a private call from 1000:
  // both hear each other, the agent is NotReady (PrivateCall) while it lasts
  // and Ready again after.
  void private_call_flips_agent(const std::string& dn, double hz, const std::string& agent) {
    auto caller = phone("1000", kTone1000);
    auto callee = phone(dn, hz);
    ASSERT_TRUE(rec().wait_event(dn, v1::EventDNBackInService, kAst));
    ready_agent(dn, agent);
    private_call(*caller, *callee, dn, hz, agent);
  }

  // 1000's phone (`caller`) calls `dn`'s (`callee`, sending `hz`), where
  // `agent` is Ready since its first EventAgentReady: the same as above.
  void private_call(rtp_phone& caller, rtp_phone& callee, const std::string& dn, double hz,
                    const std::string& agent) {
    caller.call("sip:" + dn + "@" + ast->address());
    ASSERT_TRUE(callee.wait_incoming(kAst));
    callee.answer();
    ASSERT_TRUE(caller.wait_established(kAst));
    EXPECT_TRUE(callee.wait_hears(kTone1000, kAst));
    EXPECT_TRUE(caller.wait_hears(hz, kAst));
    auto nr = rec().wait_event(dn, v1::EventAgentNotReady, kAst);
    ASSERT_TRUE(nr);
    EXPECT_EQ(nr->agent_id(), agent);
    ASSERT_GT(nr->reasons().pairs_size(), 0);
    EXPECT_EQ(nr->reasons().pairs(0).str(), "PrivateCall");
    caller.hangup();
    EXPECT_TRUE(callee.wait_ended(kAst));
    // The first EventAgentReady answered TAgentSetReady; the second ends the call.
    EXPECT_TRUE(rec().wait_event(dn, v1::EventAgentReady, kAst, 2));
  }
};

TEST_F(InteropPresence, PhoneRegistersAndUnregisters) {
  start();
  ASSERT_TRUE(wait_in_service("1000", false));
  auto p = phone("1000", kTone1000);
  ASSERT_TRUE(rec().wait_event("1000", v1::EventDNBackInService, kAst));
  ASSERT_TRUE(p->unregister(kAst));
  ASSERT_TRUE(rec().wait_event("1000", v1::EventDNOutOfService, kAst));
}

TEST_F(InteropPresence, PrivateCallMakesTheAgentNotReadyThenReady) {
  start();
  private_call_flips_agent("1001", kTone1001, "agent1001");
}

// The edge's own subscriber side (on nta, not nua) refreshes in the dialog
// Asterisk made. Asterisk grants at least its sub_min_expiry (60 s; shorter
// gets 423): the refresh goes half-way, is answered 200, and the owner's
// subscription is the same one throughout (one sub-id, no new SUBSCRIBE).
TEST_F(InteropPresence, SubscriptionIsRefreshedInItsDialog) {
  start([](std::string& yaml) {
    replace_in(yaml, "subscribe-expires: 600", "subscribe-expires: 60");  // presence's
  });
  auto sub_event = [&](const std::function<bool(const v1::SubEvent&)>& match,
                       std::chrono::milliseconds deadline) -> std::optional<v1::SubEvent> {
    auto m = rec().wait(
        [&](const bus_msg& m) {
          v1::SubEvent ev;
          return m.subject.rfind("sipcc.sub.", 0) == 0 && ev.ParseFromString(m.data) &&
                 ev.key() == "1000" && match(ev);
        },
        deadline);
    if (!m)
      return std::nullopt;
    v1::SubEvent ev;
    ev.ParseFromString(m->data);
    return ev;
  };
  auto first = sub_event([](const v1::SubEvent& ev) { return ev.has_response(); }, kAst);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->response().status(), 200u);
  EXPECT_FALSE(first->response().refresh());
  EXPECT_LE(first->response().expires(), 60u);
  auto refresh = sub_event(
      [](const v1::SubEvent& ev) { return ev.has_response() && ev.response().refresh(); }, 45s);
  ASSERT_TRUE(refresh);
  EXPECT_EQ(refresh->response().status(), 200u) << refresh->response().phrase();
  EXPECT_EQ(refresh->sub_id(), first->sub_id());
  int fresh = 0;
  for (auto& m : rec().all()) {
    v1::SubEvent ev;
    fresh += m.subject.rfind("sipcc.sub.", 0) == 0 && ev.ParseFromString(m.data) &&
             ev.key() == "1000" && ev.has_response() && !ev.response().refresh();
  }
  EXPECT_EQ(fresh, 1) << "one SUBSCRIBE out of dialog: the refresh kept it";
}

// 1001 and 2001 watched through Asterisk's `agents` list (pjsip.conf): one
// SUBSCRIBE, RLMI NOTIFYs.
TEST_F(InteropPresence, PrivateCallThroughTheAgentsResourceList) {
  start([](std::string& yaml) {
    // The first (presence's) backoff line: the list goes under `presence:`.
    replace_in(yaml, "  resubscribe-backoff-max: 30\n",
               "  resubscribe-backoff-max: 30\n  resource-lists:\n"
               "    - { name: agents, package: presence, dns: [\"1000\", \"1001\", \"2001\"] }\n");
  });
  ASSERT_TRUE(ast->wait_cli("pjsip show subscriptions inbound", "agents", kAst));
  private_call_flips_agent("2001", kTone2001, "agent2001");
}

// 1002 is watched with the dialog package (sipcc.yaml presence: dialog).
TEST_F(InteropPresence, PrivateCallThroughTheDialogPackage) {
  start();
  ASSERT_TRUE(ast->wait_cli("pjsip show subscriptions inbound", "dialog", kAst));
  private_call_flips_agent("1002", kTone1002, "agent1001");
}

// Presence killed (kill -9) and started again while agents work (issue 13).
// A killed instance cannot un-SUBSCRIBE: its edge ends those dialogs when the
// new one sends ForgetOwnerCmd before its first SUBSCRIBE; without it the
// edge keeps refreshing them: two per DN. Agents resume from the saved DN
// states; before, they came back logged out with no event.
TEST_F(InteropPresence, KilledPresenceLeavesOneSubscriptionPerDnAndEveryAgentAsBefore) {
  start();
  // The DNs sipcc.yaml has Asterisk watch, by package (2000 registers on sipcc).
  const std::vector<std::string> pidf = {"1000", "1001", "2001"}, dialog = {"1002"};
  const std::vector<std::string> dns = {"1000", "1001", "1002", "2001"};
  auto p1000 = phone("1000", kTone1000);
  auto p1001 = phone("1001", kTone1001);
  auto p2001 = phone("2001", kTone2001);
  for (auto& dn : dns)
    ASSERT_TRUE(wait_in_service(dn, true)) << dn;
  ready_agent("2001", "agent2001");
  ASSERT_EQ(sys->request("1001", v1::TAgentLogin, "agent1001").type(), v1::EventAgentLogin);
  v1::TRequest aux;
  aux.set_type(v1::TAgentSetNotReady);
  aux.set_this_dn("1001");
  aux.set_work_mode(v1::AuxWork);
  aux.set_reference_id("aux");
  auto* reason = aux.mutable_reasons()->add_pairs();
  reason->set_key("ReasonCode");
  reason->set_str("Lunch");
  ASSERT_EQ(sys->call_request(aux).type(), v1::EventAgentNotReady);
  ASSERT_TRUE(wait_one_subscription_each(pidf, "presence"));
  ASSERT_TRUE(wait_one_subscription_each(dialog, "dialog"));
  const auto old_pidf = subscription_call_ids(pidf, "presence");
  const auto old_dialog = subscription_call_ids(dialog, "dialog");
  ASSERT_EQ(old_pidf.size() + old_dialog.size(), dns.size());
  std::map<std::string, v1::DnState> before;
  std::map<std::string, size_t> events_before;
  for (auto& dn : dns) {
    before[dn] = sys->request(dn, v1::TQueryAddress).dn_state();
    events_before[dn] = rec().events(dn).size();
  }
  ASSERT_EQ(before["1001"].agent().reasons().DebugString(), aux.reasons().DebugString());

  sys->crash_service("presence");
  sys->restart_service("presence");

  EXPECT_TRUE(wait_one_subscription_each(pidf, "presence", old_pidf))
      << ast->cli("pjsip show subscriptions inbound");
  EXPECT_TRUE(wait_one_subscription_each(dialog, "dialog", old_dialog))
      << ast->cli("pjsip show subscriptions inbound");
  for (auto& dn : dns) {
    SCOPED_TRACE(dn);
    const auto now = sys->request(dn, v1::TQueryAddress).dn_state();
    const auto& was = before[dn];
    EXPECT_EQ(now.agent().agent_id(), was.agent().agent_id());
    EXPECT_EQ(now.agent().state(), was.agent().state());
    EXPECT_EQ(now.agent().work_mode(), was.agent().work_mode());
    EXPECT_EQ(now.agent().reasons().DebugString(), was.agent().reasons().DebugString());
    EXPECT_EQ(now.routable(), was.routable());
    EXPECT_TRUE(now.in_service());
  }
  EXPECT_TRUE(before["2001"].routable());
  EXPECT_EQ(before["1001"].agent().state(), v1::AGENT_NOT_READY);

  // Monitoring is live: Asterisk's busy NOTIFY to the new dialog makes the
  // Ready agent NotReady.
  private_call(*p1000, *p2001, "2001", kTone2001, "agent2001");
  // And no desktop heard of the restart itself: since the crash, 2001 heard
  // the private call only, the others nothing of logout or service.
  auto since = [&](const std::string& dn) {
    auto all = rec().events(dn);
    return std::vector<v1::EventType>(all.begin() + events_before[dn], all.end());
  };
  EXPECT_EQ(since("2001"), (std::vector<v1::EventType>{v1::EventAgentNotReady,
                                                        v1::EventAgentReady}));
  for (auto& dn : dns)
    for (auto type : since(dn))
      EXPECT_TRUE(type != v1::EventAgentLogout && type != v1::EventDNOutOfService)
          << dn << ": " << v1::EventType_Name(type);
}

}  // namespace
}  // namespace sipcc::test
