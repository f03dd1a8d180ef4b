// The default router's strategy: scenarios of bus inputs (DN states, route
// requests, route used, call ends, ticks), each with the routes it must give.
#include "router/model/router_core.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace sipcc {

void PrintTo(const route_command& r, std::ostream* os) {
  *os << "{" << r.conn_id << " at " << r.rp << " -> " << r.target_dn << " ("
      << route_reason_name(r.because) << ")}";
}

namespace {

// Sales: a1..a3 on ACD Positions 2001..2003; Support: b1 on 2004.
// 8000 Sales, waits 60 s then its own default-dn; 8001 Sales, waits for
// ever; 8002 Support, waits 30 s then the application's default-dn; 8003 has
// no agent-group (another router's).
const char* const demo_yaml = R"(
agent-logins: [ { id: a1 }, { id: a2 }, { id: a3 }, { id: b1 } ]
agent-groups:
  - { name: Sales, members: [a1, a2, a3] }
  - { name: Support, members: [b1] }
dns:
  - { number: '2001', type: ACDPosition }
  - { number: '2002', type: ACDPosition }
  - { number: '2003', type: ACDPosition }
  - { number: '2004', type: ACDPosition }
  - number: '8000'
    type: RoutingPoint
    options: { agent-group: Sales, max-wait: 60, default-dn: '9999' }
  - { number: '8001', type: RoutingPoint, options: { agent-group: Sales } }
  - { number: '8002', type: RoutingPoint, options: { agent-group: Support, max-wait: 30 } }
  - { number: '8003', type: RoutingPoint }
  - { number: '9000', type: Voicemail }
  - { number: '9999', type: Voicemail }
application: { default-dn: '9000' }
)";

// No default-dn anywhere: max-wait cannot route.
const char* const no_default_yaml = R"(
agent-logins: [ { id: a1 } ]
agent-groups: [ { name: Sales, members: [a1] } ]
dns:
  - { number: '2001', type: ACDPosition }
  - { number: '8000', type: RoutingPoint, options: { agent-group: Sales, max-wait: 60 } }
)";

// 8000 plays music to a caller who waits; 8001 has no treatment.
const char* const treatment_yaml = R"(
agent-logins: [ { id: a1 } ]
agent-groups: [ { name: Sales, members: [a1] } ]
dns:
  - { number: '2001', type: ACDPosition }
  - { number: '8000', type: RoutingPoint, options: { agent-group: Sales, treatment: 'Music MUSIC=jazz' } }
  - { number: '8001', type: RoutingPoint, options: { agent-group: Sales } }
)";

constexpr int64_t sec = 1'000'000;

v1::DnState dn_state(const std::string& dn, const std::string& agent, bool routable,
                     int64_t agent_since, int64_t device_since,
                     std::vector<std::string> calls = {}) {
  v1::DnState st;
  st.set_dn(dn);
  st.set_routable(routable);
  st.set_since_us(device_since);
  if (!agent.empty()) {
    st.mutable_agent()->set_agent_id(agent);
    st.mutable_agent()->set_state(routable ? v1::AGENT_READY : v1::AGENT_NOT_READY);
    st.mutable_agent()->set_since_us(agent_since);
  }
  for (auto& c : calls)
    st.add_sipcc_calls(c);
  return st;
}

struct step {
  enum kind { state, snapshot, request, waiting, used, end, tick } what;
  std::vector<v1::DnState> states;  // one for `state`, any for `snapshot`
  std::string conn_id;
  std::string dn;  // RP of a request, target of a route used
  int64_t now_us = 0;
  route_commands expect;
};

// Agent `agent` Ready on `dn` since `since` s (device idle since then too).
step ready(const std::string& dn, const std::string& agent, int64_t since,
           route_commands expect = {}) {
  return {step::state, {dn_state(dn, agent, true, since * sec, since * sec)}, {}, {}, 0, expect};
}
// Not routable: NotReady, or busy with `calls`.
step busy(const std::string& dn, const std::string& agent, std::vector<std::string> calls = {},
          route_commands expect = {}) {
  return {step::state, {dn_state(dn, agent, false, 0, 0, calls)}, {}, {}, 0, expect};
}
step state_of(v1::DnState st, route_commands expect = {}) {
  return {step::state, {std::move(st)}, {}, {}, 0, expect};
}
step snapshot(std::vector<v1::DnState> states, route_commands expect = {}) {
  return {step::snapshot, std::move(states), {}, {}, 0, expect};
}
step request(const std::string& conn, const std::string& rp, int64_t at,
             route_commands expect = {}) {
  return {step::request, {}, conn, rp, at * sec, expect};
}
// callctl's answer to a starting router: `conn` waits at `rp` since `since` s.
step waiting(const std::string& conn, const std::string& rp, int64_t since,
             route_commands expect = {}) {
  return {step::waiting, {}, conn, rp, since * sec, expect};
}
step used(const std::string& conn, const std::string& target, route_commands expect = {}) {
  return {step::used, {}, conn, target, 0, expect};
}
// EventReleased / EventAbandoned for `conn` on `dn`.
step end(const std::string& conn, const std::string& dn, route_commands expect = {}) {
  return {step::end, {}, conn, dn, 0, expect};
}
step tick(int64_t at, route_commands expect = {}) {
  return {step::tick, {}, {}, {}, at * sec, expect};
}

route_command to_agent(const std::string& conn, const std::string& rp, const std::string& dn) {
  return {conn, rp, dn, route_reason::agent};
}
route_command gave_up(const std::string& conn, const std::string& rp, const std::string& dn) {
  return {conn, rp, dn, route_reason::max_wait};
}

route_commands run(router_core& core, const step& s) {
  switch (s.what) {
    case step::state:
      return core.on_dn_state(s.states.at(0));
    case step::snapshot:
      return core.on_snapshot(s.states);
    case step::request:
      return core.on_route_request(s.conn_id, s.dn, s.now_us);
    case step::waiting:
      return core.on_waiting_call(s.conn_id, s.dn, s.now_us);
    case step::used:
      return core.on_route_used(s.conn_id, s.dn);
    case step::end:
      return core.on_call_end(s.conn_id, s.dn);
    case step::tick:
      return core.on_tick(s.now_us);
  }
  return {};
}

struct scenario {
  const char* name;
  std::vector<step> steps;
  const char* yaml = demo_yaml;
};

TEST(RouterCore, Scenarios) {
  const std::vector<scenario> cases = {
      {"one Ready agent gets the call",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")})}},
      {"two Ready: the longest idle gets it",
       {ready("2001", "a1", 10), ready("2002", "a2", 5),
        request("c1", "8000", 20, {to_agent("c1", "8000", "2002")})}},
      {"idle since the later of Ready and the device's last change",
       // a2 has been Ready longer, but its last call ended after a1 became Ready.
       {state_of(dn_state("2001", "a1", true, 10 * sec, 8 * sec)),
        state_of(dn_state("2002", "a2", true, 5 * sec, 12 * sec)),
        request("c1", "8000", 20, {to_agent("c1", "8000", "2001")})}},
      {"equal idle times: the lower DN, every time",
       {ready("2002", "a2", 10), ready("2001", "a1", 10),
        request("c1", "8000", 20, {to_agent("c1", "8000", "2001")})}},
      {"nobody Ready: waits, then routed when an agent becomes Ready",
       {busy("2001", "a1"), request("c1", "8000", 20), tick(25),
        ready("2001", "a1", 30, {to_agent("c1", "8000", "2001")})}},
      {"a newer state's idle time replaces the older one",
       {ready("2001", "a1", 5), ready("2002", "a2", 10), ready("2001", "a1", 15),
        request("c1", "8000", 20, {to_agent("c1", "8000", "2002")})}},
      {"an agent who is no longer routable is not picked",
       {ready("2001", "a1", 10), busy("2001", "a1"), request("c1", "8000", 20)}},
      {"two calls never reach one agent",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        request("c2", "8000", 21),
        // presence publishes again before the call reaches the DN: still reserved.
        ready("2001", "a1", 10)}},
      {"Routing Points sharing a group never share an agent",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        request("c2", "8001", 21), ready("2002", "a2", 22, {to_agent("c2", "8001", "2002")})}},
      {"reservation released on call end",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        busy("2001", "a1", {"c1"}), request("c2", "8000", 21), end("c1", "2001"),
        ready("2001", "a1", 40, {to_agent("c2", "8000", "2001")})}},
      {"caller abandons while the agent rings: the agent is free at once",
       // The agent's DN has not reported the call yet: still routable.
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        request("c2", "8000", 21), end("c1", "2001", {to_agent("c2", "8000", "2001")}),
        end("c1", "8000")}},
      {"caller abandons while waiting: the call leaves the queue",
       {request("c1", "8000", 20), request("c2", "8000", 21), end("c1", "8000"),
        ready("2001", "a1", 30, {to_agent("c2", "8000", "2001")})}},
      {"a release on another DN keeps the reservation",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        request("c2", "8000", 21), end("c1", "9999"), ready("2001", "a1", 10)}},
      {"failed agent leg (callctl: EventReleased on the agent DN, then the request again)",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        request("c2", "8000", 21), busy("2001", "a1"), end("c1", "2001"),
        request("c1", "8000", 25), ready("2002", "a2", 30, {to_agent("c1", "8000", "2002")}),
        ready("2003", "a3", 31, {to_agent("c2", "8000", "2003")})}},
      {"a finished call is forgotten after a minute: its next request is a new arrival",
       {ready("2001", "a1", 10), request("c1", "8001", 20, {to_agent("c1", "8001", "2001")}),
        busy("2001", "a1", {"c1"}), request("c2", "8001", 21), end("c1", "2001"), tick(22),
        tick(82), request("c1", "8001", 83),
        ready("2002", "a2", 84, {to_agent("c2", "8001", "2002")}),
        ready("2003", "a3", 85, {to_agent("c1", "8001", "2003")})}},
      {"re-request: reservation released, the call goes first again",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        request("c2", "8000", 21),
        busy("2001", "a1"),  // no answer: the agent went NotReady
        request("c1", "8000", 25), ready("2002", "a2", 30, {to_agent("c1", "8000", "2002")}),
        ready("2003", "a3", 31, {to_agent("c2", "8000", "2003")})}},
      {"re-request with the agent still free: routed again at once",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        request("c1", "8000", 22, {to_agent("c1", "8000", "2001")})}},
      {"re-request keeps the arrival time for max-wait",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        busy("2001", "a1"), request("c1", "8000", 70), tick(79),
        tick(80, {gave_up("c1", "8000", "9999")})}},
      {"re-request on a Routing Point of another router frees the agent",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        request("c2", "8000", 21), request("c1", "8003", 22, {to_agent("c2", "8000", "2001")})}},
      {"calls wait in arrival order",
       {request("c1", "8000", 20), request("c2", "8000", 21), request("c3", "8000", 22),
        ready("2002", "a2", 30, {to_agent("c1", "8000", "2002")}),
        ready("2001", "a1", 31, {to_agent("c2", "8000", "2001")}),
        ready("2003", "a3", 32, {to_agent("c3", "8000", "2003")})}},
      {"several agents at once: in arrival order, longest idle first",
       {request("c1", "8000", 20), request("c2", "8000", 21), request("c3", "8000", 22),
        snapshot({dn_state("2001", "a1", true, 15 * sec, 0),
                  dn_state("2002", "a2", true, 12 * sec, 0)},
                 {to_agent("c1", "8000", "2002"), to_agent("c2", "8000", "2001")})}},
      {"a repeated request while waiting keeps the call's place",
       {request("c1", "8000", 20), request("c2", "8000", 21), request("c1", "8000", 22),
        ready("2001", "a1", 30, {to_agent("c1", "8000", "2001")})}},
      {"across Routing Points the first arrival goes first",
       {request("c1", "8001", 20), request("c2", "8000", 15),
        ready("2001", "a1", 30, {to_agent("c2", "8000", "2001")}),
        ready("2002", "a2", 31, {to_agent("c1", "8001", "2002")})}},
      {"max-wait: routed to the RP's default-dn, in arrival order",
       {request("c1", "8000", 0), request("c2", "8000", 30), tick(59),
        tick(60, {gave_up("c1", "8000", "9999")}), tick(89),
        tick(95, {gave_up("c2", "8000", "9999")}),
        // Gone from the queue: a Ready agent gets nothing.
        ready("2001", "a1", 100)}},
      {"max-wait: the application's default-dn when the RP has none",
       {request("c1", "8002", 0), tick(30, {gave_up("c1", "8002", "9000")})}},
      {"no max-wait: waits for ever",
       {request("c1", "8001", 0), tick(100000),
        ready("2001", "a1", 100001, {to_agent("c1", "8001", "2001")})}},
      {"max-wait with no default-dn anywhere: keeps waiting",
       {request("c1", "8000", 0), tick(1000),
        ready("2001", "a1", 1001, {to_agent("c1", "8000", "2001")})},
       no_default_yaml},
      {"an agent of another group is ignored",
       {ready("2004", "b1", 10), request("c1", "8000", 20),
        request("c2", "8002", 21, {to_agent("c2", "8002", "2004")}),
        ready("2001", "a1", 30, {to_agent("c1", "8000", "2001")})}},
      {"an agent not in any group is ignored",
       {state_of(dn_state("2001", "stranger", true, 0, 0)), request("c1", "8000", 20)}},
      {"Routing Points without agent-group and unknown ones are ignored",
       {ready("2001", "a1", 10), request("c1", "8003", 20), request("c2", "7777", 21),
        tick(1000), end("c1", "8003"), ready("2002", "a2", 1001)}},
      {"route used while waiting: another router took it",
       {request("c1", "8000", 20), used("c1", "9999"), ready("2001", "a1", 30), tick(1000)}},
      {"route used to our agent keeps the reservation",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        used("c1", "2001"), request("c2", "8000", 21)}},
      {"route used elsewhere releases our agent",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        request("c2", "8000", 21), used("c1", "9999", {to_agent("c2", "8000", "2001")})}},
      {"the call leaving the agent's DN releases it (EventReleased lost)",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        request("c2", "8000", 21), busy("2001", "a1", {"c1"}),
        ready("2001", "a1", 40, {to_agent("c2", "8000", "2001")})}},
      {"a route used that the agent DN's state never lists frees the DN after 30 s",
       {ready("2001", "a1", 10), request("c1", "8001", 20, {to_agent("c1", "8001", "2001")}),
        used("c1", "2001"), request("c2", "8001", 21), tick(100), tick(129),
        tick(130, {to_agent("c2", "8001", "2001")})}},
      {"a route used that the agent DN's state lists keeps its DN",
       {ready("2001", "a1", 10), request("c1", "8001", 20, {to_agent("c1", "8001", "2001")}),
        used("c1", "2001"), state_of(dn_state("2001", "a1", true, 10 * sec, 10 * sec, {"c1"})),
        request("c2", "8001", 23), tick(100), tick(200)}},
      {"a route not yet used keeps its DN however long (a standby sends it again)",
       {ready("2001", "a1", 10), request("c1", "8001", 20, {to_agent("c1", "8001", "2001")}),
        request("c2", "8001", 21), tick(100), tick(200)}},
      {"a call callctl says waits is routed like one whose request was heard",
       {ready("2001", "a1", 10), waiting("c1", "8000", 5, {to_agent("c1", "8000", "2001")})}},
      {"calls callctl reports go in arrival order among those heard",
       {request("c2", "8000", 20), waiting("c1", "8000", 10), waiting("c3", "8000", 30),
        ready("2001", "a1", 40, {to_agent("c1", "8000", "2001")}),
        ready("2002", "a2", 41, {to_agent("c2", "8000", "2002")}),
        ready("2003", "a3", 42, {to_agent("c3", "8000", "2003")})}},
      {"a call the router knows is not queued twice",
       {request("c1", "8000", 20), waiting("c1", "8000", 20),
        ready("2001", "a1", 30, {to_agent("c1", "8000", "2001")}), ready("2002", "a2", 31)}},
      {"a call this router routed stays routed",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        waiting("c1", "8000", 20), ready("2002", "a2", 31)}},
      {"a reported call at a Routing Point this router does not serve is left alone",
       {waiting("c1", "8003", 10), ready("2001", "a1", 20)}},
      {"snapshot: a published state wins over the start-up snapshot",
       {busy("2001", "a1"),
        snapshot({dn_state("2001", "a1", true, 5 * sec, 0),
                  dn_state("2002", "a2", true, 9 * sec, 0)}),
        request("c1", "8000", 20, {to_agent("c1", "8000", "2002")}), request("c2", "8000", 21)}},
  };
  for (const auto& sc : cases) {
    SCOPED_TRACE(sc.name);
    router_core core(parse_config(sc.yaml, "t.yaml"));
    for (size_t i = 0; i < sc.steps.size(); ++i) {
      SCOPED_TRACE("step " + std::to_string(i + 1));
      EXPECT_EQ(run(core, sc.steps[i]), sc.steps[i].expect);
    }
  }
}

// What a standby router sends once it becomes the active one: the routes to
// agents it made that no EventRouteUsed (or the agent DN's state) confirmed.
TEST(RouterCore, UnconfirmedRoutesAreThoseNotYetSeenUsed) {
  struct unconfirmed_case {
    const char* name;
    std::vector<step> steps;
    route_commands expect;
  };
  const std::vector<unconfirmed_case> cases = {
      {"nothing routed", {request("c1", "8000", 20)}, {}},
      {"routed, not yet used",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")})},
       {to_agent("c1", "8000", "2001")}},
      {"in arrival order across Routing Points",
       {ready("2002", "a2", 10), ready("2001", "a1", 11),
        request("c1", "8000", 20, {to_agent("c1", "8000", "2002")}),
        ready("2004", "b1", 12), request("c0", "8002", 19, {to_agent("c0", "8002", "2004")}),
        request("c2", "8001", 21, {to_agent("c2", "8001", "2001")})},
       {to_agent("c0", "8002", "2004"), to_agent("c1", "8000", "2002"),
        to_agent("c2", "8001", "2001")}},
      {"used to our agent: confirmed",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        used("c1", "2001")},
       {}},
      {"listed on the agent's DN: confirmed (EventRouteUsed lost)",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        busy("2001", "a1", {"c1"})},
       {}},
      {"used elsewhere: not ours to send",
       {ready("2001", "a1", 10), request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}),
        used("c1", "9999")},
       {}},
      {"a failed route routed again is unconfirmed again",
       {ready("2001", "a1", 10), ready("2002", "a2", 11),
        request("c1", "8000", 20, {to_agent("c1", "8000", "2001")}), used("c1", "2001"),
        busy("2001", "a1"), end("c1", "2001"),
        request("c1", "8000", 25, {to_agent("c1", "8000", "2002")})},
       {to_agent("c1", "8000", "2002")}},
      {"max-wait routes reserve nobody",
       {request("c1", "8000", 20), tick(80, {gave_up("c1", "8000", "9999")})},
       {}},
  };
  for (const auto& uc : cases) {
    SCOPED_TRACE(uc.name);
    router_core core(parse_config(demo_yaml, "t.yaml"));
    for (size_t i = 0; i < uc.steps.size(); ++i) {
      SCOPED_TRACE("step " + std::to_string(i + 1));
      EXPECT_EQ(run(core, uc.steps[i]), uc.steps[i].expect);
    }
    EXPECT_EQ(core.unconfirmed(), uc.expect);
  }
}

// A caller who has to wait hears its Routing Point's treatment, once; one
// routed at once, or at a Routing Point without one, hears nothing.
TEST(RouterCore, WaitingCallsGetTheRoutingPointsTreatmentOnce) {
  router_core core(parse_config(treatment_yaml, "t.yaml"));
  auto treated = [&](const std::string& conn) {
    auto* t = core.treatment_for(conn);
    return t ? v1::TreatmentType_Name(t->type) + " " + t->parms.pairs(0).key() + "=" +
                   t->parms.pairs(0).str()
             : std::string("none");
  };
  EXPECT_TRUE(core.on_route_request("c1", "8000", 0).empty());  // nobody Ready: waits
  EXPECT_EQ(treated("c1"), "Music MUSIC=jazz");
  EXPECT_EQ(treated("c1"), "none");  // once
  EXPECT_TRUE(core.on_route_request("c2", "8001", 1).empty());
  EXPECT_EQ(treated("c2"), "none");  // its RP has no treatment
  EXPECT_EQ(treated("c9"), "none");  // not a call of ours
  // A Ready agent takes c1 at once; c3 then has nobody and waits.
  EXPECT_EQ(core.on_dn_state(dn_state("2001", "a1", true, 0, 0)).size(), 1u);
  EXPECT_EQ(core.on_route_request("c3", "8000", 2).size(), 0u);
  EXPECT_EQ(treated("c3"), "Music MUSIC=jazz");
}

// What a standby router also sends once it becomes the active one: the
// treatments it asked for (as the active router did) that callctl has not
// reported on, of calls still waiting.
TEST(RouterCore, UnreportedTreatmentsAreThoseOfWaitingCallsNotYetReported) {
  struct treatments_case {
    const char* name;
    std::function<void(router_core&)> steps;
    std::vector<std::string> expect;  // "<ConnID>@<RP>"
  };
  auto wait_treated = [](router_core& core, const std::string& conn, const std::string& rp,
                         int64_t at) {
    core.on_route_request(conn, rp, at);
    core.treatment_for(conn);
  };
  const std::vector<treatments_case> cases = {
      {"none asked", [](router_core&) {}, {}},
      {"asked, in arrival order",
       [&](router_core& core) {
         wait_treated(core, "c2", "8000", 20);
         wait_treated(core, "c1", "8000", 10);
       },
       {"c1@8000", "c2@8000"}},
      {"applied or not applied: reported",
       [&](router_core& core) {
         wait_treated(core, "c1", "8000", 10);
         wait_treated(core, "c2", "8000", 20);
         core.on_treatment_reported("c1");
       },
       {"c2@8000"}},
      {"waiting but not asked yet", [](router_core& core) { core.on_route_request("c1", "8000", 10); },
       {}},
      {"its Routing Point has no treatment",
       [&](router_core& core) { wait_treated(core, "c1", "8001", 10); }, {}},
      {"routed to an agent: no longer waits",
       [&](router_core& core) {
         wait_treated(core, "c1", "8000", 10);
         core.on_dn_state(dn_state("2001", "a1", true, 0, 0));
       },
       {}},
      {"learned from callctl: whoever routed it may have treated it",
       [](router_core& core) { core.on_waiting_call("c1", "8000", 10); }, {}},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    router_core core(parse_config(treatment_yaml, "t.yaml"));
    tc.steps(core);
    std::vector<std::string> got;
    for (const auto& t : core.unreported_treatments()) {
      EXPECT_EQ(t.treatment->type, v1::Music);
      got.push_back(t.conn_id + "@" + t.rp);
    }
    EXPECT_EQ(got, tc.expect);
  }
}

TEST(RouterCore, ServesRoutingPointsWithAGroup) {
  router_core core(parse_config(demo_yaml, "t.yaml"));
  EXPECT_EQ(core.routing_points(), (std::vector<std::string>{"8000", "8001", "8002"}));
  // Bookkeeping follows the calls: waiting, reserved, remembered, then nothing.
  struct count_case {
    step s;
    size_t waiting;
    size_t reserved;
    size_t known;
  };
  const std::vector<count_case> cases = {
      {request("c1", "8000", 0), 1, 0, 1},
      {request("c2", "8001", 1), 2, 0, 2},
      {ready("2001", "a1", 2), 1, 1, 2},
      {end("c2", "8001"), 0, 1, 1},
      {end("c1", "2001"), 0, 0, 1},
      {tick(10), 0, 0, 1},
      {tick(69), 0, 0, 1},
      {tick(70), 0, 0, 0},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i + 1));
    run(core, cases[i].s);
    EXPECT_EQ(core.waiting(), cases[i].waiting);
    EXPECT_EQ(core.reserved(), cases[i].reserved);
    EXPECT_EQ(core.known_calls(), cases[i].known);
  }
  EXPECT_STREQ(route_reason_name(route_reason::agent), "agent");
  EXPECT_STREQ(route_reason_name(route_reason::max_wait), "max-wait");
}

}  // namespace
}  // namespace sipcc
