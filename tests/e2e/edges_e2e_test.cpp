// Several named edges (sipcc/edges.hpp): presence spreads its subscriptions
// over the live edges and moves a dead edge's to another; callctl ends the
// calls a dead edge carried, with their events, and the other edge's calls
// go on. Two sip-edge processes of one configuration, the second with its
// own SIPCC_INSTANCE and SIPCC_EDGE_BIND; kill -9 as the crash.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "call_gauges.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/edges.hpp"
#include "sipcc/v1/state.pb.h"
#include "sipcc_fixture.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 10s;
// A dead edge is noticed within edges::kTtlMs (callctl: kCallsTtlMs); its
// work has moved a few seconds later (the pacer, the fake's answers).
constexpr auto kMoved = std::chrono::milliseconds(edges::kTtlMs) + 7s;
constexpr auto kCallsEnded = std::chrono::milliseconds(edges::kCallsTtlMs) + 7s;

class EdgesE2E : public ::testing::Test {
protected:
  void start(std::vector<std::string> dns, std::vector<std::pair<std::string, std::string>> more,
             std::string extra_yaml = "", std::vector<std::string> agents = {}) {
    system_options opts;
    opts.dns.clear();
    for (auto& dn : dns)
      opts.dns.emplace_back(dn);
    if (!agents.empty())
      opts.dns.emplace_back("8000", "RoutingPoint", "", "agent-group: Sales");
    opts.agents = std::move(agents);
    opts.extra_yaml = std::move(extra_yaml);
    edge2_port = free_port(SOCK_DGRAM);
    opts.services = {{"sip-edge", "edge1"}, {"sip-edge#2", "edge2"}};
    opts.services.insert(opts.services.end(), more.begin(), more.end());
    opts.env_of["sip-edge#2"] = {{"SIPCC_EDGE_BIND", "127.0.0.1:" + std::to_string(edge2_port)}};
    sys = std::make_unique<sipcc_system>(opts);
    for (auto& dn : dns)
      sys->asterisk().set_initial_notify(dn, "presence-notify-open.sip");
    sys->start_services();
  }

  int64_t dialogs(const std::string& edge) {
    return sys->counter(edge, "subscriptions", "edge_dialogs");
  }

  // Whether every DN is in service by presence's answer to a state query.
  bool all_in_service(const std::vector<std::string>& dns) {
    v1::StateQuery q;
    q.set_schema(v1::SCHEMA_V1);
    q.set_kind(v1::StateQuery::ALL_DNS);
    v1::StateReply r;
    auto reply = sys->recorder().client().request(subj::state_query, q, kWait);
    if (!reply || !r.ParseFromString(*reply))
      return false;
    std::set<std::string> in;
    for (auto& st : r.dns())
      if (st.in_service())
        in.insert(st.dn());
    for (auto& dn : dns)
      if (!in.count(dn))
        return false;
    return true;
  }

  // The SUBSCRIBEs the fake received for `dn`.
  size_t subscribes(const std::string& dn) {
    size_t n = 0;
    for (auto& r : sys->asterisk().received())
      n += r.method == "SUBSCRIBE" && r.resource == dn;
    return n;
  }

  std::unique_ptr<sipcc_system> sys;
  uint16_t edge2_port = 0;
};

TEST_F(EdgesE2E, SubscriptionsSpreadOverTheLiveEdgesAndADeadEdgesMoveToAnother) {
  std::vector<std::string> dns;
  for (int n = 1000; n < 1012; ++n)
    dns.push_back(std::to_string(n));
  start(dns, {{"presence", "presence-0"}});
  // Both edges were live when presence started: each carries some DNs.
  ASSERT_TRUE(wait_until(
      [&] {
        return dialogs("edge1") > 0 && dialogs("edge2") > 0 &&
               dialogs("edge1") + dialogs("edge2") == static_cast<int64_t>(dns.size());
      },
      kWait))
      << "edge1 " << dialogs("edge1") << ", edge2 " << dialogs("edge2") << "; logs in "
      << sys->dir();
  ASSERT_TRUE(wait_until([&] { return all_in_service(dns); }, kWait));
  const auto on_edge2 = dialogs("edge2");
  std::map<std::string, size_t> before;
  for (auto& dn : dns)
    before[dn] = subscribes(dn);

  sys->crash_service("sip-edge#2");
  // Its DNs subscribe again through edge1; edge1's own stay where they are.
  ASSERT_TRUE(wait_until(
      [&] { return dialogs("edge1") == static_cast<int64_t>(dns.size()); }, kMoved))
      << "edge1 " << dialogs("edge1") << "; logs in " << sys->dir();
  size_t moved = 0;
  for (auto& dn : dns) {
    auto again = subscribes(dn) - before[dn];
    EXPECT_LE(again, 1u) << dn << ": subscribed once more at most";
    moved += again;
  }
  EXPECT_EQ(moved, static_cast<size_t>(on_edge2)) << "only the dead edge's DNs moved";
  EXPECT_TRUE(wait_until([&] { return all_in_service(dns); }, kWait)) << "logs in " << sys->dir();
  EXPECT_TRUE(sys->wait_log("presence", "edge edge2 is gone: moving its subscriptions", 1ms));
  // An owner that starts now reads edge2's last heartbeat as old as it is:
  // no SUBSCRIBE of it goes to the dead edge.
  sys->crash_service("presence");
  sys->restart_service("presence");
  EXPECT_TRUE(sys->wait_log("presence", "edges: live [\"edge1\"]", kWait));
}

TEST_F(EdgesE2E, ADeadEdgesCallsEndWithTheirEventsAndTheOtherEdgesCallGoesOn) {
  start({"1000", "1001"},
        {{"presence", "presence-0"}, {"callctl", "callctl-0"}, {"router", "router-0"}},
        "agent-groups:\n  - { name: Sales, members: [agent1000, agent1001] }\n"
        "application:\n  after-call-work-timeout: 0\n",
        {"agent1000", "agent1001"});
  auto& ast = sys->asterisk();
  auto& rec = sys->recorder();
  auto ready = [&](const std::string& dn) {
    ASSERT_EQ(sys->request(dn, v1::TAgentLogin, "agent" + dn).type(), v1::EventAgentLogin);
    ASSERT_EQ(sys->request(dn, v1::TAgentSetReady).type(), v1::EventAgentReady);
  };
  auto answered = [&](const std::string& dn, const std::string& call, int nth) {
    ASSERT_TRUE(rec.wait_event(dn, v1::EventRinging, kWait, nth)) << "logs in " << sys->dir();
    ast.answer_call(dn);
    ASSERT_EQ(ast.wait_final(call, kWait), 200);
    ASSERT_TRUE(rec.wait_event(dn, v1::EventEstablished, kWait, nth));
  };
  for (auto& dn : {"1000", "1001"})
    ASSERT_TRUE(rec.wait_event(dn, v1::EventDNBackInService, kWait)) << dn;
  // One agent Ready at a time, so each call's agent is known: the call
  // through edge1 to 1000, the call through edge2 to 1001.
  ready("1000");
  const auto through1 = ast.place_call("8000", sys->edge_port());
  answered("1000", through1, 1);
  ready("1001");
  const auto through2 = ast.place_call("8000", edge2_port);
  answered("1001", through2, 1);

  sys->crash_service("sip-edge#2");
  // Its call ends in callctl as if its legs had hung up: EventReleased.
  ASSERT_TRUE(rec.wait_event("1001", v1::EventReleased, kCallsEnded)) << "logs in " << sys->dir();
  EXPECT_TRUE(sys->wait_log("callctl", "edge edge2 is gone: ending the calls it carried", 1ms));
  EXPECT_FALSE(rec.wait_event("1000", v1::EventReleased, 1ms)) << "edge1's call goes on";
  // The agent of the lost call is routable again: the next call, through
  // edge1, rings there.
  const auto next = ast.place_call("8000", sys->edge_port());
  answered("1001", next, 2);
  // edge1's calls end as ever.
  ast.hangup("1000");
  EXPECT_TRUE(ast.wait_bye_from_sipcc(through1, kWait));
  EXPECT_TRUE(rec.wait_event("1000", v1::EventReleased, kWait));
  ast.hangup("1001");
  EXPECT_TRUE(ast.wait_bye_from_sipcc(next, kWait));
  EXPECT_TRUE(rec.wait_event("1001", v1::EventReleased, kWait, 2));
  expect_nothing_dangles(*sys, kWait);
}

}  // namespace
}  // namespace sipcc::test
