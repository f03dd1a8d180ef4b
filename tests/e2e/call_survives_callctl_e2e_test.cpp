// A routed call outlives its callctl (issue 13): SIPp plays the customer
// (Asterisk's trunk) and the agent's phone; callctl is killed (kill -9) and
// started again. An established call is restored from the snapshot its legs
// keep at the edge and goes on (hold, retrieve, the customer's hang-up);
// a call still ringing is ended on both legs, as before.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "call_gauges.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipp.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;
using ev_list = std::vector<v1::EventType>;

constexpr auto kWait = 10s;

class RoutedCallSurvivesCallctl : public ::testing::Test {
protected:
  void SetUp() override {
    if (!sipp_installed())
      GTEST_SKIP() << "sipp (package sip-tester) is not on PATH";
    make_system();
  }

  // `t1x64_ms`: the edge's transaction timeout, Timer H for an unACKed 200.
  void make_system(int t1x64_ms = system_options{}.t1x64_ms) {
    agent_port = free_port(SOCK_DGRAM);
    system_options opts;
    opts.t1x64_ms = t1x64_ms;
    opts.dns = {{"1000", "Extension", "", "",
                 "contact: \"sip:1000@127.0.0.1:" + std::to_string(agent_port) +
                     "\", monitor: false"},
                {"8000", "RoutingPoint", "", "router-timeout: 60"}};
    opts.services = {{"sip-edge", "edge1"}, {"callctl", "callctl-0"}, {"presence", "presence-0"}};
    // Presence asks callctl about its DNs' call marks (sipcc.calls.check) often.
    opts.presence_extra = "  call-audit-interval-ms: 300\n";
    sys.reset();
    sys = std::make_unique<sipcc_system>(opts);
  }

  // The customer calls 8000 with `scenario`, the call is routed to 1000.
  std::string routed_call(const std::string& scenario) {
    auto conn = customer_calls(*sys, customer, scenario, "0", "8000", kWait);
    if (!conn.empty()) {
      EXPECT_EQ(sys->route_call("8000", conn, "1000").type(), v1::EventRouteUsed);
    }
    return conn;
  }

  // How many messages on `subject` the bus carried so far.
  size_t count(const std::string& subject) {
    size_t n = 0;
    for (const auto& m : sys->recorder().all())
      n += m.subject == subject;
    return n;
  }

  // callctl is killed and started again; its edge's next two leg audits
  // (each lists every leg it holds for callctl-0) come after the restore.
  void crash_and_restart_callctl() {
    sys->crash_service("callctl");
    sys->restart_service("callctl");
    const auto audits = count(subj::leg_audit("callctl-0"));
    EXPECT_TRUE(wait_until([&] { return count(subj::leg_audit("callctl-0")) >= audits + 2; },
                           kWait));
  }

  uint16_t agent_port = 0;
  std::unique_ptr<sipcc_system> sys;
  std::unique_ptr<sipp_run> agent, customer;
};

TEST_F(RoutedCallSurvivesCallctl, EstablishedCallIsRestoredHeldRetrievedAndReleased) {
  agent = std::make_unique<sipp_run>("agent-answers-takes-reinvites-until-bye.xml", agent_port,
                                     sys->dir(), std::vector<std::string>{}, "agent");
  sys->start_services();
  auto conn = routed_call("customer-is-held-and-retrieved-then-hangs-up.xml");
  ASSERT_FALSE(conn.empty());
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventEstablished, kWait));
  // Both legs were given the call's snapshot.
  ASSERT_TRUE(wait_until([&] { return snapshots_kept(sys->recorder()) == 2; }, kWait));

  crash_and_restart_callctl();
  // (a) the call is back and its legs are no strays: no BYE went anywhere
  // (either SIPp would fail on one), and presence's DN keeps its call mark.
  EXPECT_EQ(counter_value(*sys, "callctl-0", "calls_restored", "restored"), 1);
  EXPECT_EQ(counter_value(*sys, "callctl-0", "audit_fixes", "stray_leg"), -1);
  EXPECT_EQ(counter_value(*sys, "callctl-0", "audit_fixes", "lost_leg"), -1);
  const auto checks = count(subj::calls_checked("presence-0"));
  EXPECT_TRUE(wait_until([&] { return count(subj::calls_checked("presence-0")) > checks; },
                         kWait));
  auto marks = sys->request("1000", v1::TQueryAddress).dn_state().sipcc_calls();
  ASSERT_EQ(marks.size(), 1);
  EXPECT_EQ(marks[0], conn);

  // (b), (c) the restored call takes THoldCall and TRetrieveCall.
  auto held = sys->on_call(v1::THoldCall, "1000", conn);
  EXPECT_EQ(held.type(), v1::EventHeld) << held.error_message();
  auto retrieved = sys->on_call(v1::TRetrieveCall, "1000", conn);
  EXPECT_EQ(retrieved.type(), v1::EventRetrieved) << retrieved.error_message();

  // (d) the customer hangs up: EventReleased, and the agent's leg its BYE.
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventReleased, kWait));
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
  // Each side's offers go on in the session it had: o= version one up from
  // the last SDP it got before callctl died (RFC 3264 8).
  const std::string ip = "127.0.0.1";
  auto got = bodies_of(customer->trace(), false, "INVITE");
  ASSERT_EQ(got.size(), 2u);  // the hold, the retrieve
  EXPECT_EQ(origin_and_direction(got[0]), "o=agent 1 2 IN IP4 " + ip + " a=sendonly");
  EXPECT_EQ(origin_and_direction(got[1]), "o=agent 1 3 IN IP4 " + ip + " a=sendrecv");
  got = bodies_of(agent->trace(), false, "INVITE");
  ASSERT_EQ(got.size(), 3u);  // the call, the hold, the retrieve
  EXPECT_EQ(origin_and_direction(got[1]), "o=- 1 2 IN IP4 " + ip + " a=inactive");
  EXPECT_EQ(origin_and_direction(got[2]), "o=- 1 3 IN IP4 " + ip + " a=sendrecv");
  EXPECT_EQ(sys->recorder().events("1000"),
            (ev_list{v1::EventRinging, v1::EventEstablished, v1::EventHeld, v1::EventRetrieved,
                     v1::EventReleased}));
  expect_nothing_dangles(*sys, kWait);
}

// callctl killed between its 200 to the customer (the agent's answer) and
// the customer's ACK, which comes 4 s late: the call's legs keep its
// snapshot already, the restarted callctl restores it and takes the ACK as
// come (EventEstablished, from the new process), and the customer's
// hang-up releases it. Before, the edge ended such a call as unknown.
TEST_F(RoutedCallSurvivesCallctl, CallAnsweredButNotYetAckedIsRestored) {
  make_system(32000);  // RFC 3261's Timer H: the 200 waits for an ACK 4 s late
  agent = std::make_unique<sipp_run>("sn:uas", agent_port, sys->dir(), std::vector<std::string>{},
                                     "agent");
  sys->start_services();
  auto conn = customer_calls(*sys, customer, "customer-acks-late-then-hangs-up.xml", "4000", "8000",
                             kWait);
  ASSERT_FALSE(conn.empty());
  EXPECT_EQ(sys->route_call("8000", conn, "1000").type(), v1::EventRouteUsed);
  ASSERT_TRUE(wait_until([&] { return snapshots_kept(sys->recorder(), true) == 2; }, kWait));
  EXPECT_FALSE(sys->recorder().wait_event("1000", v1::EventEstablished, 0ms));

  crash_and_restart_callctl();
  EXPECT_EQ(counter_value(*sys, "callctl-0", "calls_restored", "restored"), 1);
  expect_answered_call_ended(*sys, *customer, *agent, "1000", kWait);
}

// The customer hangs up while callctl is dead: the edge's word of the BYE
// went to the dead process. Once the restarted callctl has restored the
// call, the edge tells it again that the customer's leg is gone, which ends
// the call at once (the agent's BYE, EventReleased) instead of at the
// audit's second miss.
TEST_F(RoutedCallSurvivesCallctl, CustomerHangingUpWhileCallctlIsDeadIsReleasedOnRestore) {
  agent = std::make_unique<sipp_run>("sn:uas", agent_port, sys->dir(), std::vector<std::string>{},
                                     "agent");
  sys->start_services();
  auto conn = customer_calls(*sys, customer, "sn:uac", "1000", "8000", kWait);
  ASSERT_FALSE(conn.empty());
  EXPECT_EQ(sys->route_call("8000", conn, "1000").type(), v1::EventRouteUsed);
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventEstablished, kWait));
  ASSERT_TRUE(wait_until([&] { return snapshots_kept(sys->recorder()) == 2; }, kWait));

  sys->crash_service("callctl");
  ASSERT_TRUE(sys->recorder().wait(
      [&](const bus_msg& m) {
        v1::LegEvent le;
        return m.subject.rfind("sipcc.leg.callctl-0.", 0) == 0 && le.ParseFromString(m.data) &&
               le.has_bye() && le.conn_id() == conn;
      },
      kWait));
  sys->restart_service("callctl");
  expect_answered_call_ended(*sys, *customer, *agent, "1000", kWait);
  EXPECT_EQ(counter_value(*sys, "callctl-0", "calls_restored", "restored"), 1);
  EXPECT_EQ(counter_value(*sys, "callctl-0", "audit_fixes", "lost_leg"), -1);
}

// A call being set up has no snapshot: the restarted callctl's audit ends
// both legs (480 to the customer, CANCEL to the ringing phone), and
// presence's call audit, finding no callctl with the call, clears the
// agent DN's mark and tells its desktop EventReleased.
TEST_F(RoutedCallSurvivesCallctl, CallStillRingingIsEndedOnBothLegs) {
  agent = std::make_unique<sipp_run>("agent-rings-until-cancelled.xml", agent_port, sys->dir(),
                                     std::vector<std::string>{}, "agent");
  sys->start_services();
  auto conn = routed_call("customer-is-refused-480-while-ringing.xml");
  ASSERT_FALSE(conn.empty());
  ASSERT_TRUE(sys->recorder().wait_event("1000", v1::EventRinging, kWait));

  crash_and_restart_callctl();
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  EXPECT_EQ(agent->wait_exit(kWait), 0) << agent->log();
  EXPECT_EQ(counter_value(*sys, "callctl-0", "audit_fixes", "stray_leg"), 2);
  EXPECT_EQ(counter_value(*sys, "callctl-0", "calls_restored", "restored"), -1);
  auto released = sys->recorder().wait_event("1000", v1::EventReleased, kWait);
  ASSERT_TRUE(released) << "logs in " << sys->dir();
  EXPECT_EQ(released->conn_id(), conn);
  EXPECT_EQ(sys->recorder().events("1000"), (ev_list{v1::EventRinging, v1::EventReleased}));
  expect_nothing_dangles(*sys, kWait);
}

}  // namespace
}  // namespace sipcc::test
