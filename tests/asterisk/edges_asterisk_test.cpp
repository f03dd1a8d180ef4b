// Two named edges against a real Asterisk (deploy/asterisk/pjsip.conf: a
// contact with qualify and an identify match per edge): kill -9 of the edge
// that carries a routed call ends that call with its events, moves that
// edge's subscriptions to the other, and Asterisk's next call reaches sipcc
// through the edge still alive.
#include <gtest/gtest.h>

#include <sstream>

#include "call_gauges.hpp"
#include "interop.hpp"

namespace sipcc::test {
namespace {

class InteropEdges : public Interop {
protected:
  void SetUp() override {
    two_edges = true;
    start();
  }
  int64_t dialogs(const std::string& edge) {
    return sys->counter(edge, "subscriptions", "edge_dialogs");
  }
};

// Whether `pjsip show contacts` lists the contact at `port` as Unavailable.
bool unavailable(const std::string& contacts, uint16_t port) {
  std::istringstream lines(contacts);
  const std::string at = "127.0.0.1:" + std::to_string(port);
  for (std::string line; std::getline(lines, line);)
    if (line.find(at) != std::string::npos && line.find("Unavail") != std::string::npos)
      return true;
  return false;
}

TEST_F(InteropEdges, ADeadEdgesCallEndsItsDnsMoveAndAsterisksNextCallTakesTheOther) {
  // Asterisk's subscriptions are spread over both edges.
  ASSERT_TRUE(wait_until([&] { return dialogs("edge1") > 0 && dialogs("edge2") > 0; }, kAst))
      << "edge1 " << dialogs("edge1") << ", edge2 " << dialogs("edge2");
  const auto conn = routed_call_established();
  ASSERT_FALSE(conn.empty());
  // presence's and mwi's (agent2001's mailbox since its login).
  const auto total = dialogs("edge1") + dialogs("edge2");
  // Asterisk sent the call to one edge (its first contact not Unavailable).
  const bool on1 = actor_gauge(*sys, "edge1", "edge_legs") > 0;
  const std::string carrier = on1 ? "edge1" : "edge2", other = on1 ? "edge2" : "edge1";
  const uint16_t carrier_port = on1 ? sys->edge_port() : edge2_port;

  sys->crash_service(on1 ? "sip-edge" : "sip-edge#2");
  // callctl ends the call it carried: EventReleased on the agent's DN.
  auto released = rec().wait_event("2001", v1::EventReleased, kAst);
  ASSERT_TRUE(released) << "logs in " << sys->dir();
  EXPECT_EQ(released->conn_id(), conn);
  // presence subscribes its DNs again through the other edge, and Asterisk's
  // NOTIFYs reach it there: every DN in service.
  EXPECT_TRUE(wait_until([&] { return dialogs(other) == total; }, kAst))
      << other << " " << dialogs(other) << " of " << total;
  for (auto dn : {"1000", "2001"})
    EXPECT_TRUE(wait_in_service(dn, true)) << dn;
  customer->hangup();
  agent->hangup();
  EXPECT_TRUE(customer->wait_ended(kAst));
  EXPECT_TRUE(agent->wait_ended(kAst));

  // The qualify finds the dead edge; the next call goes to the other.
  ASSERT_TRUE(ast->wait_cli(
      "pjsip show contacts",
      [&](const std::string& out) { return unavailable(out, carrier_port); }, kAst))
      << ast->cli("pjsip show contacts");
  customer->call("sip:8000@" + ast->address());
  EXPECT_TRUE(rec().wait_event("8000", v1::EventRouteRequest, kAst, 2)) << "logs in " << sys->dir();
  EXPECT_TRUE(agent->wait_incoming(kAst)) << "routed to 2001 through " << other;
  agent->answer();
  EXPECT_TRUE(customer->wait_established(kAst));
  both_hear_each_other();
  customer->hangup();
  EXPECT_TRUE(agent->wait_ended(kAst));
  EXPECT_TRUE(rec().wait_event("2001", v1::EventReleased, kAst, 2));
}

}  // namespace
}  // namespace sipcc::test
