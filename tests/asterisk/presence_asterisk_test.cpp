// Presence and agent state against the real Asterisk: phones register and
// unregister, and a private call (straight from phone to phone, sipcc not in
// the path) makes a Ready agent NotReady and Ready again, through per-DN
// presence subscriptions, an RFC 4662 list and the dialog package.
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
    caller->call("sip:" + dn + "@" + ast->address());
    ASSERT_TRUE(callee->wait_incoming(kAst));
    callee->answer();
    ASSERT_TRUE(caller->wait_established(kAst));
    EXPECT_TRUE(callee->wait_hears(kTone1000, kAst));
    EXPECT_TRUE(caller->wait_hears(hz, kAst));
    auto nr = rec().wait_event(dn, v1::EventAgentNotReady, kAst);
    ASSERT_TRUE(nr);
    EXPECT_EQ(nr->agent_id(), agent);
    ASSERT_GT(nr->reasons().pairs_size(), 0);
    EXPECT_EQ(nr->reasons().pairs(0).str(), "PrivateCall");
    caller->hangup();
    EXPECT_TRUE(callee->wait_ended(kAst));
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

}  // namespace
}  // namespace sipcc::test
