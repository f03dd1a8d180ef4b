// The edge and callctl audit each other (core NATS may lose a message, a
// process may crash): nothing may stay stuck. Crashes are real SIGKILLs.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "sipcc/bus_schema.hpp"
#include "call_gauges.hpp"
#include "sipp.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;
constexpr auto kWait = 10s;

system_options calls_only(uint16_t agent_port) {
  system_options opts;
  opts.dns = {{"1000", "Extension", "", "",
               "contact: \"sip:1000@127.0.0.1:" + std::to_string(agent_port) +
                   "\", monitor: false"},
              {"8000", "RoutingPoint", "", "router-timeout: 60"}};
  opts.services = {{"sip-edge", "edge1"}, {"callctl", "callctl-0"}};
  return opts;
}

// callctl dies with a caller waiting at the Routing Point; the next callctl
// learns of the leg only from the edge's audit and ends it: the caller is
// told (480) instead of ringing for ever.
TEST(AuditE2E, LegOfACrashedCallctlIsDropped) {
  sipcc_system sys(calls_only(free_port(SOCK_DGRAM)));
  sys.start_services();
  auto call = sys.asterisk().place_call("8000", sys.edge_port());
  ASSERT_TRUE(sys.recorder().wait_event("8000", v1::EventRouteRequest, kWait));
  sys.crash_service("callctl");
  sys.restart_service("callctl");
  EXPECT_EQ(sys.asterisk().wait_final(call, kWait), 480);
  EXPECT_TRUE(sys.asterisk().wait_calls_ended(kWait));
  expect_nothing_dangles(sys, kWait);
}

// The edge dies during an established call; when it is back, callctl ends
// the call it can no longer carry: EventReleased, no call actor left.
TEST(AuditE2E, CallsOfACrashedEdgeAreEnded) {
  if (!sipp_installed())
    GTEST_SKIP() << "sipp (package sip-tester) is not on PATH";
  auto agent_port = free_port(SOCK_DGRAM);
  sipcc_system sys(calls_only(agent_port));
  sipp_run agent("sn:uas", agent_port, sys.dir(), {}, "agent");
  sys.start_services();
  auto call = sys.asterisk().place_call("8000", sys.edge_port());
  auto rr = sys.recorder().wait_event("8000", v1::EventRouteRequest, kWait);
  ASSERT_TRUE(rr);
  v1::TRequest route;
  route.set_schema(v1::SCHEMA_V1);
  route.set_type(v1::TRouteCall);
  route.set_this_dn("8000");
  route.set_conn_id(rr->conn_id());
  route.set_other_dn("1000");
  ASSERT_TRUE(sys.recorder().client().request(subj::tlib_req(v1::TRouteCall, "8000"), route, 5s));
  ASSERT_TRUE(sys.recorder().wait_event("1000", v1::EventEstablished, kWait));
  sys.crash_service("sip-edge");
  sys.restart_service("sip-edge");
  auto released = sys.recorder().wait_event("1000", v1::EventReleased, kWait);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->conn_id(), rr->conn_id());
  expect_nothing_dangles(sys, kWait);
}

}  // namespace
}  // namespace sipcc::test
