// Two processes of every service that scales out (presence, callctl, router,
// mwi) on one edge, as `docker-compose up --scale ...=2` runs them (issue 13).
// With two routed calls established, agents in different states and every
// Extension's mailbox subscribed, one process of each service is killed
// (kill -9) in turn, each once the previous one's work was taken over. Then:
// no established call was dropped, every agent's state is as before, each DN
// and mailbox is subscribed once, and sipcc goes on (a new call is routed to
// the agent who becomes Ready; the calls from before end with EventReleased,
// reported by the callctl that took them over).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "call_gauges.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipcc/v1/state.pb.h"
#include "sipcc_fixture.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;
using ev_list = std::vector<v1::EventType>;

constexpr auto kWait = 10s;
const std::vector<std::string> kDns = {"1000", "1001", "1002"};

// One scaled-out service: its two processes (fixture names) and members.
struct pair_of {
  std::string service;            // the fixture's name of the first process
  std::string a, b;               // member names of the first and second process
  int64_t shards;                 // what one member holds alone
};
const std::vector<pair_of> kPairs = {{"presence", "presence-a", "presence-b", 16},
                                     {"callctl", "callctl-a", "callctl-b", 16},
                                     {"router", "router-a", "router-b", 1},
                                     {"mwi", "mwi-a", "mwi-b", 16}};

// A DN's events without the mailbox counts (a new mwi holder tells them again).
ev_list without_user_events(ev_list events) {
  events.erase(std::remove(events.begin(), events.end(), v1::EventUserEvent), events.end());
  return events;
}

TEST(ScaleOutE2E, OneProcessOfEachServiceKilledInTurnLosesNothing) {
  system_options opts;
  opts.dns = {{"1000"},
              {"1001"},
              {"1002"},
              {"8000", "RoutingPoint", "", "agent-group: Sales, router-timeout: 60"}};
  opts.agents = {"agent1000", "agent1001", "agent1002"};
  opts.extra_yaml = "agent-groups:\n  - { name: Sales, members: [agent1000, agent1001, agent1002] }\n"
                    "mwi: { retry-interval: 1, resubscribe-backoff-max: 2 }\n"
                    "application:\n  mwi-extension-enable: true\n";
  opts.presence_extra = "  call-audit-interval-ms: 500\n";
  opts.services = {{"sip-edge", "edge1"}};
  for (const auto& p : kPairs) {
    opts.services.emplace_back(p.service, p.a);
    opts.services.emplace_back(p.service + "#2", p.b);
  }
  sipcc_system sys(opts);
  auto& ast = sys.asterisk();
  auto& rec = sys.recorder();
  ast.set_default_initial_notify("message-summary", "mwi-notify-initial-no-messages.sip");
  for (const auto& dn : kDns) {
    ast.set_initial_notify(dn, "presence-notify-open.sip");
    ast.set_call_policy(dn, call_policy::auto_answer());
  }
  auto held = [&](const std::string& member) { return sys.counter(member, "leases", "held"); };
  // Each DN's presence and each Extension's mailbox subscribed exactly once.
  auto once_each = [&] {
    std::map<std::string, size_t> active;
    for (auto& s : ast.active_subscriptions())
      ++active[s.resource];
    for (const auto& dn : kDns)
      if (active[dn] != 1 || active["gvm-" + dn] != 1)
        return false;
    return active.size() == 2 * kDns.size();
  };

  sys.start_services();
  for (const auto& p : kPairs)
    ASSERT_TRUE(wait_until([&] { return held(p.a) + held(p.b) == p.shards; }, kWait)) << p.service;
  ASSERT_TRUE(wait_until(once_each, kWait)) << "logs in " << sys.dir();
  for (const auto& dn : kDns)
    ASSERT_TRUE(rec.wait_event(dn, v1::EventDNBackInService, kWait)) << dn;

  // 1000 and 1001 Ready (1000 first: it gets the first call), 1002 NotReady.
  for (const auto& dn : kDns)
    ASSERT_EQ(sys.request(dn, v1::TAgentLogin, "agent" + dn).type(), v1::EventAgentLogin) << dn;
  for (const auto& dn : {"1000", "1001"}) {
    ASSERT_EQ(sys.request(dn, v1::TAgentSetReady).type(), v1::EventAgentReady) << dn;
    ASSERT_TRUE(wait_until([&] { return sys.request(dn, v1::TQueryAddress).dn_state().routable(); },
                           kWait))
        << dn;
  }
  ASSERT_EQ(sys.request("1002", v1::TAgentSetNotReady).type(), v1::EventAgentNotReady);

  std::vector<std::string> calls;
  for (const auto& dn : {"1000", "1001"}) {
    calls.push_back(ast.place_call("8000", sys.edge_port()));
    ASSERT_EQ(ast.wait_final(calls.back(), kWait), 200) << "logs in " << sys.dir();
    ASSERT_TRUE(rec.wait_event(dn, v1::EventEstablished, kWait)) << dn;
  }
  // Both legs of both calls keep the call's snapshot at the edge.
  ASSERT_TRUE(wait_until([&] { return snapshots_kept(rec) == 4; }, kWait));
  std::map<std::string, v1::AgentState> before;
  for (const auto& dn : kDns)
    before[dn] = sys.request(dn, v1::TQueryAddress).dn_state().agent().state();

  std::vector<std::string> survivors;
  for (const auto& p : kPairs) {
    SCOPED_TRACE(p.service);
    // callctl: the member with calls (both may be on one); router: the
    // active one; the others: the first.
    bool kill_b = false;
    if (p.service == "callctl")
      kill_b = actor_gauge(sys, p.b, "call") > 0 && actor_gauge(sys, p.a, "call") == 0;
    if (p.service == "router")
      kill_b = held(p.b) == 1;
    const std::string survivor = kill_b ? p.a : p.b;
    if (p.service == "callctl") {  // a takeover of calls, not of empty shards
      EXPECT_GT(actor_gauge(sys, kill_b ? p.b : p.a, "call"), 0);
    }
    sys.crash_service(kill_b ? p.service + "#2" : p.service);
    ASSERT_TRUE(wait_until([&] { return held(survivor) == p.shards; }, 5s))
        << survivor << " holds " << held(survivor) << "; logs in " << sys.dir();
    ASSERT_TRUE(wait_until(once_each, kWait)) << "a DN or mailbox is not subscribed once";
    survivors.push_back(survivor);
  }
  const std::string callctl = survivors[1];
  // The survivor has both calls (it took over what the dead one had).
  EXPECT_EQ(wait_counter(sys, callctl, "actors", "call", [](int64_t v) { return v == 2; }, kWait),
            2);

  // Nothing was dropped: no BYE anywhere, every agent as before, no event
  // but the mailbox counts since the calls were established.
  for (const auto& id : calls)
    EXPECT_FALSE(ast.wait_bye_from_sipcc(id, 0ms));
  for (const auto& dn : kDns) {
    EXPECT_EQ(ast.count("BYE", dn), 0u) << dn;
    auto st = sys.request(dn, v1::TQueryAddress).dn_state();
    EXPECT_EQ(st.agent().agent_id(), "agent" + dn);
    EXPECT_EQ(st.agent().state(), before[dn]) << dn;
  }
  const ev_list answered_agent = {v1::EventDNBackInService, v1::EventAgentLogin,
                                  v1::EventAgentReady, v1::EventRinging, v1::EventEstablished};
  EXPECT_EQ(without_user_events(rec.events("1000")), answered_agent);
  EXPECT_EQ(without_user_events(rec.events("1001")), answered_agent);
  EXPECT_EQ(without_user_events(rec.events("1002")),
            (ev_list{v1::EventDNBackInService, v1::EventAgentLogin, v1::EventAgentNotReady}));

  // sipcc goes on: 1002 becomes Ready and gets the next call from the
  // surviving router, through the surviving callctl.
  ASSERT_EQ(sys.request("1002", v1::TAgentSetReady).type(), v1::EventAgentReady);
  calls.push_back(ast.place_call("8000", sys.edge_port()));
  ASSERT_EQ(ast.wait_final(calls.back(), kWait), 200) << "logs in " << sys.dir();
  ASSERT_TRUE(rec.wait_event("1002", v1::EventEstablished, kWait));

  // The agents hang up: each call ends with EventReleased and both legs.
  for (size_t i = 0; i < kDns.size(); ++i) {
    ast.hangup(kDns[i]);
    EXPECT_TRUE(ast.wait_bye_from_sipcc(calls[i], kWait)) << kDns[i];
    EXPECT_TRUE(rec.wait_event(kDns[i], v1::EventReleased, kWait)) << kDns[i];
  }
  EXPECT_TRUE(ast.wait_calls_ended(kWait));
  expect_nothing_dangles(sys, kWait, {callctl});
}

}  // namespace
}  // namespace sipcc::test
