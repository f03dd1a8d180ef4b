// Routed calls end to end with the whole product running: sip-edge,
// presence, callctl and the default router on a real nats-server, the
// simulated Asterisk playing the trunk (the customer calling Routing Point
// 8000) and the agents' phones. Nobody routes by hand: agents log in and go
// Ready, the router picks one. Each test asserts every T-Library event of
// every DN involved, once, in order, and that no leg or call is left behind.
#include <gtest/gtest.h>

#include <functional>

#include <nlohmann/json.hpp>

#include "call_gauges.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/service.hpp"
#include "sipcc/v1/state.pb.h"
#include "sipcc_fixture.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;
using ev_list = std::vector<v1::EventType>;
using conn_list = std::vector<std::string>;

constexpr auto kWait = 10s;
const std::vector<std::string> kAgentDns = {"1000", "1001", "1002"};

// An agent DN before its first call: the phone is registered (open at the
// first NOTIFY), then the agent logs in and goes Ready.
const ev_list kReadyAgent = {v1::EventDNBackInService, v1::EventAgentLogin,
                             v1::EventAgentReady};
// One answered call, on the DN that took it.
const ev_list kAnsweredCall = {v1::EventRinging, v1::EventEstablished, v1::EventReleased};
// One call, on its Routing Point.
const ev_list kRouted = {v1::EventRouteRequest, v1::EventRouteUsed};

ev_list concat(std::initializer_list<ev_list> parts) {
  ev_list out;
  for (auto& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

struct customer_call {
  std::string id;    // the fake's Call-ID of the customer leg
  std::string conn;  // sipcc's ConnID, from EventRouteRequest
};

class RoutedCallE2E : public ::testing::Test {
protected:
  // Group Sales (agent1000..1002) behind Routing Point 8000, voicemail 9999
  // as its default DN; every phone registered and idle, nobody logged in.
  void start(bool with_router = true, int router_timeout_s = 60, int after_call_work_s = 0) {
    system_options opts;
    opts.dns = {{"1000"},
                {"1001"},
                {"1002"},
                {"8000", "RoutingPoint", "",
                 "agent-group: Sales, default-dn: \"9999\", router-timeout: " +
                     std::to_string(router_timeout_s) + rp_options},
                {"9999", "Voicemail", "", "", "monitor: false"}};
    opts.agents = {"agent1000", "agent1001", "agent1002"};
    opts.extra_yaml =
        "agent-groups:\n  - { name: Sales, members: [agent1000, agent1001, agent1002] }\n"
        "application:\n  after-call-work-timeout: " +
        std::to_string(after_call_work_s) + "\n";
    opts.services = {{"sip-edge", "edge1"}, {"presence", "presence-0"}, {"callctl", "callctl-0"}};
    opts.presence_extra = "  call-audit-interval-ms: 1000\n";
    if (with_router && routers == 1)
      opts.services.emplace_back("router", "router-0");
    if (with_router && routers == 2) {
      opts.services.emplace_back("router", "router-a");
      opts.services.emplace_back("router#2", "router-b");
    }
    sys = std::make_unique<sipcc_system>(opts);
    for (auto& dn : kAgentDns)
      ast().set_initial_notify(dn, "presence-notify-open.sip");
    sys->start_services();
    for (auto& dn : kAgentDns)
      ASSERT_TRUE(rec().wait_event(dn, v1::EventDNBackInService, kWait)) << dn;
  }

  fake_asterisk& ast() { return sys->asterisk(); }
  bus_recorder& rec() { return sys->recorder(); }

  // Waits for a published state of the DN that satisfies `pred`.
  bool wait_state(const std::string& dn, const std::function<bool(const v1::DnState&)>& pred) {
    auto subject = subj::state_dn(dn);
    return rec()
        .wait(
            [&](const bus_msg& m) {
              v1::DnState st;
              return m.subject == subject && st.ParseFromString(m.data) && pred(st);
            },
            kWait)
        .has_value();
  }

  // agent<dn> logs in on the DN and goes Ready; returns once presence has
  // published the DN routable, which is what the router acts on.
  void make_ready(const std::string& dn) {
    ASSERT_EQ(sys->request(dn, v1::TAgentLogin, "agent" + dn).type(), v1::EventAgentLogin);
    ASSERT_EQ(sys->request(dn, v1::TAgentSetReady).type(), v1::EventAgentReady);
    ASSERT_TRUE(wait_state(dn, [](const v1::DnState& st) { return st.routable(); })) << dn;
  }

  // The customer calls the Routing Point; `nth` counts the EventRouteRequests
  // of the test so far.
  customer_call customer_calls(int nth = 1) {
    customer_call c;
    c.id = ast().place_call("8000", sys->edge_port());
    auto rr = rec().wait_event("8000", v1::EventRouteRequest, kWait, nth);
    EXPECT_TRUE(rr) << "logs in " << sys->dir();
    if (rr)
      c.conn = rr->conn_id();
    return c;
  }

  // The phone of `dn` answers the INVITE ringing there: the customer gets
  // 200, sipcc ACKs the phone, the DN gets its nth EventEstablished.
  void agent_answers(const std::string& dn, const customer_call& c, int nth = 1) {
    ast().answer_call(dn);
    ASSERT_EQ(ast().wait_final(c.id, kWait), 200);
    ASSERT_TRUE(ast().wait_request("ACK", dn, kWait));
    ASSERT_TRUE(rec().wait_event(dn, v1::EventEstablished, kWait, nth));
  }

  // When the fake received its first `method` for `resource`.
  std::optional<std::chrono::steady_clock::time_point> received_at(const std::string& method,
                                                                   const std::string& resource,
                                                                   int nth = 1) {
    for (auto& r : ast().received())
      if (r.method == method && r.resource == resource && --nth == 0)
        return r.at;
    return std::nullopt;
  }

  // ConnID of every call event on the DN, in order (agent and DN events
  // carry none).
  conn_list conn_ids(const std::string& dn) const {
    conn_list out;
    auto subject = subj::tlib_evt(dn);
    for (auto& m : sys->recorder().all()) {
      v1::TEvent ev;
      if (m.subject == subject && ev.ParseFromString(m.data) && !ev.conn_id().empty())
        out.push_back(ev.conn_id());
    }
    return out;
  }

  // No call left at the fake (either side), no leg at the edge, no call
  // actor in callctl.
  void expect_all_calls_ended() {
    EXPECT_TRUE(ast().wait_calls_ended(kWait));
    EXPECT_EQ(ast().active_calls(), 0u);
    expect_nothing_dangles(*sys, kWait);
  }

  // The agents on 1000 and 1001 hang up `first` and `second`: sipcc BYEs
  // each customer, and nothing is left behind.
  void agents_hang_up(const customer_call& first, const customer_call& second) {
    ast().hangup("1000");
    EXPECT_TRUE(ast().wait_bye_from_sipcc(first.id, kWait));
    ast().hangup("1001");
    EXPECT_TRUE(ast().wait_bye_from_sipcc(second.id, kWait));
    ASSERT_TRUE(rec().wait_event("1001", v1::EventReleased, kWait));
    expect_all_calls_ended();
  }

  // Every request of `type` published to 8000 for `conn` (by any router).
  size_t requests_of(v1::RequestType type, const std::string& conn) const {
    size_t n = 0;
    for (auto& m : sys->recorder().all()) {
      v1::TRequest r;
      if (m.subject == subj::tlib_req(type, "8000") && r.ParseFromString(m.data) &&
          r.type() == type && r.conn_id() == conn)
        ++n;
    }
    return n;
  }
  size_t routes_of(const std::string& conn) const { return requests_of(v1::TRouteCall, conn); }

  // With two routers: waits until one holds the lease; {active, standby}.
  std::pair<std::string, std::string> active_router() {
    auto held = [&](const std::string& r) { return sys->counter(r, "leases", "held"); };
    std::pair<std::string, std::string> out;
    EXPECT_TRUE(wait_until(
        [&] {
          const auto a = held("router-a"), b = held("router-b");
          out = a == 1 ? std::pair{"router-a", "router-b"} : std::pair{"router-b", "router-a"};
          return a + b == 1;
        },
        kWait))
        << "logs in " << sys->dir();
    return out;
  }
  // The process of router member `name` (router-a: "router", router-b: "router#2").
  static std::string router_process(const std::string& name) {
    return name == "router-a" ? "router" : "router#2";
  }

  int routers = 1;  // 2: router-a and router-b, one active, one standing by
  std::string rp_options;  // more options of Routing Point 8000: ", key: value"
  std::unique_ptr<sipcc_system> sys;
};

TEST_F(RoutedCallE2E, RoutedToTheOneReadyAgentWhoHangsUp) {
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_NO_FATAL_FAILURE(make_ready("1000"));
  auto call = customer_calls();
  ASSERT_FALSE(call.conn.empty());
  auto invite = ast().wait_request("INVITE", "1000", kWait);
  ASSERT_TRUE(invite);
  // SDP end to end: the agent is offered the customer's SDP...
  EXPECT_EQ(invite->body, load_capture("service-8000-invite-asterisk-to-sipserver.sip").body);
  // Asterisk reports the phone ringing, then busy, as it does for any call:
  // this one is sipcc's, so it is no private call.
  ast().send_notify("1000", "presence-notify-ringing.sip");
  ASSERT_NO_FATAL_FAILURE(agent_answers("1000", call));
  // ...and the customer gets the agent's answer.
  EXPECT_EQ(ast().answer_sdp(call.id), load_capture("inbound-200ok-to-sipserver.sip").body);
  ast().send_notify("1000", "presence-notify-busy-inbound.sip");
  ASSERT_TRUE(wait_state("1000", [](const v1::DnState& st) {
    return st.device() == v1::DEVICE_BUSY;
  }));
  auto during = sys->request("1000", v1::TQueryAddress).dn_state();
  EXPECT_FALSE(during.routable());
  EXPECT_EQ(during.agent().state(), v1::AGENT_READY);
  EXPECT_EQ(conn_list(during.sipcc_calls().begin(), during.sipcc_calls().end()),
            conn_list{call.conn});

  ast().hangup("1000");
  EXPECT_TRUE(ast().wait_bye_from_sipcc(call.id, kWait));
  ASSERT_TRUE(rec().wait_event("1000", v1::EventReleased, kWait));
  // The phone is idle again: the agent, Ready all along, is routable again.
  const int64_t idle_from = now_us();
  ast().send_notify("1000", "presence-notify-open-after-inbound.sip");
  EXPECT_TRUE(wait_state("1000", [&](const v1::DnState& st) {
    return st.device() == v1::DEVICE_IDLE && st.since_us() >= idle_from && st.routable();
  }));

  expect_all_calls_ended();
  EXPECT_EQ(rec().events("8000"), kRouted);
  EXPECT_EQ(rec().events("1000"), concat({kReadyAgent, kAnsweredCall}));  // no EventAgentNotReady
  EXPECT_EQ(conn_ids("8000"), conn_list(2, call.conn));
  EXPECT_EQ(conn_ids("1000"), conn_list(3, call.conn));
}

// callctl killed (kill -9) while a routed call rings at the agent (a call
// being set up has no snapshot to restore it from): the restarted callctl
// ends the legs it does not know (the edge's audit), and presence's call
// audit clears the DN's mark of the dead call, so the agent, Ready all
// along, gets the next call instead of staying unroutable for good. An
// established call survives instead (call_survives_callctl_e2e_test.cpp).
TEST_F(RoutedCallE2E, AgentOfARingingCallLostWithItsCallctlGetsTheNextCall) {
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_NO_FATAL_FAILURE(make_ready("1000"));
  auto call = customer_calls();
  ASSERT_TRUE(ast().wait_request("INVITE", "1000", kWait));
  ASSERT_TRUE(wait_state("1000", [](const v1::DnState& st) { return st.sipcc_calls_size() == 1; }));

  sys->crash_service("callctl");
  sys->restart_service("callctl");
  EXPECT_TRUE(ast().wait_calls_ended(kWait));
  EXPECT_TRUE(wait_until(
      [&] {
        auto st = sys->request("1000", v1::TQueryAddress).dn_state();
        return st.sipcc_calls_size() == 0 && st.routable();
      },
      kWait));
  EXPECT_EQ(sys->counter("presence-0", "audit_fixes", "stale_call_mark"), 1);
  EXPECT_EQ(sys->request("1000", v1::TQueryAddress).dn_state().agent().state(), v1::AGENT_READY);

  // callctl may or may not have said EventRinging for the lost call before
  // it died (the kill races its step after the INVITE); if it did,
  // presence's audit ended that call with EventReleased.
  const auto lost = rec().events("1000");
  const bool rang = lost.size() > kReadyAgent.size();
  EXPECT_EQ(lost, rang ? concat({kReadyAgent, {v1::EventRinging, v1::EventReleased}}) : kReadyAgent);
  auto next = customer_calls(2);
  ASSERT_TRUE(rec().wait_event("1000", v1::EventRinging, kWait, rang ? 2 : 1))
      << "logs in " << sys->dir();
  EXPECT_EQ(conn_ids("1000").back(), next.conn);
}

// Two routers: the one holding the router's lease routes, the other follows
// the same events without a word. The active one is killed (kill -9) while
// one call is established and another waits for an agent; an agent becomes
// Ready at once, before the standby may take over: the standby reserves her
// for the waiting call, and once it holds the lease (the TTL, 1.5 s, plus a
// tick) sends that route. Each call is routed exactly once, the established
// one goes on, nothing dangles.
TEST_F(RoutedCallE2E, TwoRoutersRouteEachCallOnceAndTheStandbyTakesOver) {
  routers = 2;
  ASSERT_NO_FATAL_FAILURE(start());
  const auto [active, standby] = active_router();
  ASSERT_FALSE(HasFailure());
  auto held = [&](const std::string& r) { return sys->counter(r, "leases", "held"); };

  ASSERT_NO_FATAL_FAILURE(make_ready("1000"));
  auto first = customer_calls();
  ASSERT_TRUE(ast().wait_request("INVITE", "1000", kWait));
  ASSERT_NO_FATAL_FAILURE(agent_answers("1000", first));
  // Nobody else is Ready: the second call waits, in both routers' queues.
  auto second = customer_calls(2);
  ASSERT_TRUE(ast().wait_provisional(second.id, 180, kWait));
  EXPECT_EQ(routes_of(first.conn), 1u);
  EXPECT_EQ(sys->counter(active, "routes", "agent"), 1);
  EXPECT_EQ(sys->counter(standby, "routes", "agent"), 0);

  sys->crash_service(router_process(active));
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_NO_FATAL_FAILURE(make_ready("1001"));
  ASSERT_TRUE(ast().wait_request("INVITE", "1001", kWait)) << "logs in " << sys->dir();
  const auto took_over = std::chrono::steady_clock::now() - killed;
  RecordProperty("takeover_ms", static_cast<int>(
                                    std::chrono::duration_cast<std::chrono::milliseconds>(took_over)
                                        .count()));
  EXPECT_LT(took_over, 3s);
  EXPECT_EQ(held(standby), 1);
  EXPECT_EQ(sys->counter(standby, "routes", "agent"), 1);
  ASSERT_NO_FATAL_FAILURE(agent_answers("1001", second));
  EXPECT_EQ(routes_of(second.conn), 1u);

  // The first call was never touched by the router's death.
  ASSERT_NO_FATAL_FAILURE(agents_hang_up(first, second));
  EXPECT_EQ(rec().events("8000"), concat({kRouted, kRouted}));
  EXPECT_EQ(rec().events("1000"), concat({kReadyAgent, kAnsweredCall}));
  EXPECT_EQ(rec().events("1001"), concat({kReadyAgent, kAnsweredCall}));
}

// A caller who waits at 8000 hears its treatment (music from the media
// server, here the fake Asterisk). The active router asked for it; callctl
// has not reported it (the media server still rings) when that router dies:
// the standby, now active, asks again. A call whose treatment was reported
// is not treated again.
TEST_F(RoutedCallE2E, TheNewActiveRouterSendsTheTreatmentsNotYetReportedAgain) {
  routers = 2;
  rp_options = ", treatment: 'Music MUSIC=default'";
  ASSERT_NO_FATAL_FAILURE(start());
  const auto [active, standby] = active_router();
  ASSERT_FALSE(HasFailure());

  // The first caller's music is answered: EventTreatmentApplied on 8000.
  ast().set_call_policy("annc", call_policy::auto_answer().only_once());
  auto first = customer_calls();
  ASSERT_TRUE(rec().wait_event("8000", v1::EventTreatmentApplied, kWait));
  ASSERT_TRUE(ast().wait_request("INVITE", "annc", kWait));
  // The second caller's music server rings and does not answer yet.
  auto second = customer_calls(2);
  ASSERT_TRUE(ast().wait_request("INVITE", "annc", kWait));
  EXPECT_EQ(requests_of(v1::TApplyTreatment, first.conn), 1u);
  EXPECT_EQ(requests_of(v1::TApplyTreatment, second.conn), 1u);

  sys->crash_service(router_process(active));
  ASSERT_TRUE(wait_until([&] { return requests_of(v1::TApplyTreatment, second.conn) == 2; },
                         kWait))
      << "logs in " << sys->dir();
  EXPECT_EQ(sys->counter(standby, "leases", "held"), 1);
  EXPECT_EQ(requests_of(v1::TApplyTreatment, first.conn), 1u);

  // Both callers still reach agents, and everything ends.
  ASSERT_NO_FATAL_FAILURE(make_ready("1000"));
  ASSERT_TRUE(ast().wait_request("INVITE", "1000", kWait)) << "logs in " << sys->dir();
  ASSERT_NO_FATAL_FAILURE(agent_answers("1000", first));
  ASSERT_NO_FATAL_FAILURE(make_ready("1001"));
  ASSERT_TRUE(ast().wait_request("INVITE", "1001", kWait)) << "logs in " << sys->dir();
  ASSERT_NO_FATAL_FAILURE(agent_answers("1001", second));
  ASSERT_NO_FATAL_FAILURE(agents_hang_up(first, second));
}

// A router that starts after a call began to wait never heard its
// EventRouteRequest: it asks callctl which calls wait (sipcc.calls.waiting)
// and routes this one to the agent Ready meanwhile, long before callctl's
// router-timeout (60 s here) would have sent it to the default DN.
TEST_F(RoutedCallE2E, ACallWaitingBeforeTheRouterStartedIsRoutedByIt) {
  ASSERT_NO_FATAL_FAILURE(start());
  sys->crash_service("router");
  auto call = customer_calls();
  ASSERT_FALSE(call.conn.empty());
  ASSERT_NO_FATAL_FAILURE(make_ready("1000"));
  sys->restart_service("router");
  ASSERT_TRUE(ast().wait_request("INVITE", "1000", kWait)) << "logs in " << sys->dir();
  ASSERT_NO_FATAL_FAILURE(agent_answers("1000", call));
  EXPECT_EQ(routes_of(call.conn), 1u);
  ast().hangup("1000");
  EXPECT_TRUE(ast().wait_bye_from_sipcc(call.id, kWait));
  ASSERT_TRUE(rec().wait_event("1000", v1::EventReleased, kWait));
  expect_all_calls_ended();
  EXPECT_EQ(rec().events("8000"), kRouted);
  EXPECT_EQ(rec().events("1000"), concat({kReadyAgent, kAnsweredCall}));
}

TEST_F(RoutedCallE2E, LongestIdleReadyAgentGetsTheCall) {
  ASSERT_NO_FATAL_FAILURE(start());
  // 1001 has been Ready longer; 1000 would win any tie (first DN, lower number).
  ASSERT_NO_FATAL_FAILURE(make_ready("1001"));
  ASSERT_NO_FATAL_FAILURE(make_ready("1000"));
  auto call = customer_calls();
  ASSERT_TRUE(ast().wait_request("INVITE", "1001", kWait));
  ASSERT_NO_FATAL_FAILURE(agent_answers("1001", call));
  ast().hangup_call(call.id);
  EXPECT_TRUE(ast().wait_request("BYE", "1001", kWait));
  ASSERT_TRUE(rec().wait_event("1001", v1::EventReleased, kWait));

  expect_all_calls_ended();
  EXPECT_EQ(ast().count("INVITE", "1000"), 0u);
  EXPECT_EQ(rec().events("8000"), kRouted);
  EXPECT_EQ(rec().events("1001"), concat({kReadyAgent, kAnsweredCall}));
  EXPECT_EQ(rec().events("1000"), kReadyAgent);
}

TEST_F(RoutedCallE2E, CallWaitsForAReadyAgent) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto call = customer_calls();
  ASSERT_FALSE(call.conn.empty());
  // Nobody is Ready: the customer hears ringing and no phone is called.
  EXPECT_TRUE(ast().wait_provisional(call.id, 180, kWait));
  EXPECT_FALSE(ast().wait_final(call.id, 0ms));
  for (auto& dn : kAgentDns)
    EXPECT_EQ(ast().count("INVITE", dn), 0u) << dn;

  const auto ready_from = std::chrono::steady_clock::now();
  ASSERT_NO_FATAL_FAILURE(make_ready("1002"));
  ASSERT_TRUE(ast().wait_request("INVITE", "1002", kWait));
  EXPECT_GE(received_at("INVITE", "1002").value(), ready_from);
  ASSERT_NO_FATAL_FAILURE(agent_answers("1002", call));
  ast().hangup("1002");
  EXPECT_TRUE(ast().wait_bye_from_sipcc(call.id, kWait));
  ASSERT_TRUE(rec().wait_event("1002", v1::EventReleased, kWait));

  expect_all_calls_ended();
  EXPECT_FALSE(ast().wait_provisional(call.id, 183, 0ms));
  EXPECT_EQ(rec().events("8000"), kRouted);  // one EventRouteRequest: it waited, once
  EXPECT_EQ(rec().events("1002"), concat({kReadyAgent, kAnsweredCall}));
  EXPECT_EQ(rec().events("1000"), ev_list{v1::EventDNBackInService});
  EXPECT_EQ(rec().events("1001"), ev_list{v1::EventDNBackInService});
}

TEST_F(RoutedCallE2E, TwoCallsNeverReachOneAgent) {
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_NO_FATAL_FAILURE(make_ready("1000"));
  auto first = customer_calls();
  auto first_invite = ast().wait_request("INVITE", "1000", kWait);
  ASSERT_TRUE(first_invite);
  auto second = customer_calls(2);
  ASSERT_FALSE(second.conn.empty());
  EXPECT_TRUE(ast().wait_provisional(second.id, 180, kWait));
  ASSERT_NO_FATAL_FAILURE(agent_answers("1000", first));
  // The agent is on the first call; the second waits at the Routing Point.
  EXPECT_EQ(ast().count("INVITE", "1000"), 1u);
  EXPECT_FALSE(ast().wait_final(second.id, 0ms));

  const auto first_ends = std::chrono::steady_clock::now();
  ast().hangup("1000");
  EXPECT_TRUE(ast().wait_bye_from_sipcc(first.id, kWait));
  // Free again and still Ready, the agent gets the waiting call, not before.
  auto second_invite = ast().wait_request("INVITE", "1000", kWait);
  ASSERT_TRUE(second_invite);
  EXPECT_NE(second_invite->header("Call-ID"), first_invite->header("Call-ID"));
  EXPECT_GE(received_at("INVITE", "1000", 2).value(), first_ends);
  ASSERT_NO_FATAL_FAILURE(agent_answers("1000", second, 2));
  ast().hangup_call(second.id);
  EXPECT_TRUE(ast().wait_request("BYE", "1000", kWait));
  ASSERT_TRUE(rec().wait_event("1000", v1::EventReleased, kWait, 2));

  expect_all_calls_ended();
  EXPECT_EQ(rec().events("8000"), concat({kRouted, kRouted}));
  EXPECT_EQ(rec().events("1000"), concat({kReadyAgent, kAnsweredCall, kAnsweredCall}));
  EXPECT_EQ(conn_ids("8000"), (conn_list{first.conn, first.conn, second.conn, second.conn}));
  EXPECT_EQ(conn_ids("1000"), (conn_list{first.conn, first.conn, first.conn, second.conn,
                                         second.conn, second.conn}));
}

TEST_F(RoutedCallE2E, ReleaseCallFromTheDesktopEndsBothLegs) {
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_NO_FATAL_FAILURE(make_ready("1000"));
  auto call = customer_calls();
  ASSERT_TRUE(ast().wait_request("INVITE", "1000", kWait));
  ASSERT_NO_FATAL_FAILURE(agent_answers("1000", call));

  int code = -1;
  auto out = sys->ctl({"request", "1000", "TReleaseCall", "--conn-id", call.conn}, &code);
  ASSERT_EQ(code, 0) << out;
  auto reply = nlohmann::json::parse(out);
  EXPECT_EQ(reply["type"], "EventReleased");
  EXPECT_EQ(reply["conn_id"], call.conn);
  // The desktop asked on its DN's call-family subject.
  EXPECT_TRUE(rec().wait([](const bus_msg& m) { return m.subject == "sipcc.tlib.req.call.1000"; },
                         0ms));
  EXPECT_TRUE(ast().wait_bye_from_sipcc(call.id, kWait));
  EXPECT_TRUE(ast().wait_request("BYE", "1000", kWait));
  ASSERT_TRUE(rec().wait_event("1000", v1::EventReleased, kWait));

  expect_all_calls_ended();
  EXPECT_EQ(rec().events("8000"), kRouted);
  EXPECT_EQ(rec().events("1000"), concat({kReadyAgent, kAnsweredCall}));
}

TEST_F(RoutedCallE2E, RouterTimeoutWithoutRouterGoesToTheDefaultDn) {
  ASSERT_NO_FATAL_FAILURE(start(/*with_router=*/false, /*router_timeout_s=*/1));
  // A Ready agent, but nobody routes to it.
  ASSERT_NO_FATAL_FAILURE(make_ready("1000"));
  ast().set_call_policy("9999", call_policy::auto_answer());
  auto call = customer_calls();
  auto invite = ast().wait_request("INVITE", "9999", kWait);
  ASSERT_TRUE(invite);
  EXPECT_EQ(invite->start_line,
            "INVITE sip:9999@127.0.0.1:" + std::to_string(ast().port()) + " SIP/2.0");
  EXPECT_EQ(ast().wait_final(call.id, kWait), 200);
  auto rr = rec().wait_event("8000", v1::EventRouteRequest, kWait);
  auto used = rec().wait_event("8000", v1::EventRouteUsed, kWait);
  ASSERT_TRUE(rr && used);
  EXPECT_EQ(used->other_dn(), "9999");
  // Not before the router timeout.
  EXPECT_GE(used->timestamp_us() - rr->timestamp_us(), 1'000'000);
  ASSERT_TRUE(rec().wait_event("9999", v1::EventEstablished, kWait));
  ast().hangup_call(call.id);
  EXPECT_TRUE(ast().wait_request("BYE", "9999", kWait));
  ASSERT_TRUE(rec().wait_event("9999", v1::EventReleased, kWait));

  expect_all_calls_ended();
  EXPECT_EQ(ast().count("INVITE", "1000"), 0u);
  EXPECT_EQ(rec().events("8000"), kRouted);
  EXPECT_EQ(rec().events("9999"), kAnsweredCall);
  EXPECT_EQ(rec().events("1000"), kReadyAgent);
}

TEST_F(RoutedCallE2E, CustomerHangsUpAfterAnswer) {
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_NO_FATAL_FAILURE(make_ready("1000"));
  auto call = customer_calls();
  ASSERT_TRUE(ast().wait_request("INVITE", "1000", kWait));
  ASSERT_NO_FATAL_FAILURE(agent_answers("1000", call));
  ast().hangup_call(call.id);
  EXPECT_TRUE(ast().wait_request("BYE", "1000", kWait));
  ASSERT_TRUE(rec().wait_event("1000", v1::EventReleased, kWait));

  expect_all_calls_ended();
  EXPECT_EQ(rec().events("8000"), kRouted);
  EXPECT_EQ(rec().events("1000"), concat({kReadyAgent, kAnsweredCall}));
}

}  // namespace
}  // namespace sipcc::test

namespace sipcc::test {
namespace {

// With after-call work configured the agent is NotReady(AfterCallWork)
// after the call and Ready again when it runs out; routable only then.
TEST_F(RoutedCallE2E, AfterCallWorkThenReady) {
  start(true, 60, 1);
  make_ready("1000");
  auto c = customer_calls();
  ASSERT_TRUE(ast().wait_request("INVITE", "1000", kWait));
  agent_answers("1000", c);
  ast().hangup("1000");
  ASSERT_TRUE(rec().wait_event("1000", v1::EventReleased, kWait));
  auto acw = rec().wait_event("1000", v1::EventAgentNotReady, kWait);
  ASSERT_TRUE(acw);
  EXPECT_EQ(acw->work_mode(), v1::AfterCallWork);
  auto ready = rec().wait_event("1000", v1::EventAgentReady, kWait, 2);
  ASSERT_TRUE(ready);
  EXPECT_GE(ready->timestamp_us() - acw->timestamp_us(), 900000);  // the 1 s of work
  EXPECT_TRUE(wait_state("1000", [](const v1::DnState& st) { return st.routable(); }));
  auto events = rec().events("1000");
  EXPECT_EQ(std::vector<v1::EventType>(events.end() - 5, events.end()),
            (std::vector<v1::EventType>{v1::EventRinging, v1::EventEstablished,
                                        v1::EventReleased, v1::EventAgentNotReady,
                                        v1::EventAgentReady}));
  expect_all_calls_ended();
}

// The caller hangs up at the very moment the agent answers: whichever wins
// at the edge, the call ends cleanly: either abandoned (the agent leg gets
// ACK then BYE) or established then released, never both, nothing left.
TEST_F(RoutedCallE2E, CancelCrossingTheAgentsAnswerEndsCleanly) {
  start();
  make_ready("1000");
  ast().set_call_policy("1000", call_policy::auto_answer());
  auto c = ast().place_call("8000", sys->edge_port());
  ASSERT_TRUE(ast().wait_request("INVITE", "1000", kWait));
  try {
    ast().cancel_call(c);
  } catch (const std::exception&) {
    // The 200 reached the caller first: nothing left to cancel.
  }
  auto final_status = ast().wait_final(c, kWait);
  ASSERT_TRUE(final_status);
  if (*final_status == 200)
    ast().hangup_call(c);  // the answer won: the caller hangs up after it
  auto done = [&](const bus_msg& m) {
    v1::TEvent ev;
    return m.subject == subj::tlib_evt("1000") && ev.ParseFromString(m.data) &&
           (ev.type() == v1::EventAbandoned || ev.type() == v1::EventReleased);
  };
  ASSERT_TRUE(rec().wait(done, kWait));
  auto events = rec().events("1000");
  auto count = [&](v1::EventType t) { return std::count(events.begin(), events.end(), t); };
  if (*final_status == 200) {
    EXPECT_EQ(count(v1::EventReleased), 1);
    EXPECT_EQ(count(v1::EventAbandoned), 0);
  } else {
    EXPECT_EQ(*final_status, 487);
    // The agent's 200 crossed the CANCEL: its leg is ACKed, then ended.
    EXPECT_TRUE(ast().wait_request("BYE", "1000", kWait));
    EXPECT_EQ(count(v1::EventAbandoned), 1);
    EXPECT_EQ(count(v1::EventReleased), 0);
    EXPECT_EQ(count(v1::EventEstablished), 0);
  }
  expect_all_calls_ended();
}

}  // namespace
}  // namespace sipcc::test
