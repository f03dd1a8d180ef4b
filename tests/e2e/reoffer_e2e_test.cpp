// An INVITE offered to a callctl member that dies before claiming it: the
// edge offers it once more after a second (to whichever member the queue
// group picks), so the call is not lost with that member; a second claim
// of one leg is told at once that another member has it, and a member
// offered a leg it already took keeps its one call.
#include <gtest/gtest.h>

#include "call_gauges.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipcc_fixture.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 10s;

// The nth offer on sipcc.in.invite.
std::optional<v1::LegEvent> offer(bus_recorder& rec, int nth) {
  int seen = 0;
  auto m = rec.wait(
      [&](const bus_msg& m) {
        if (&m == &rec.all_front())
          seen = 0;
        return m.subject == subj::in_invite && ++seen == nth;
      },
      kWait);
  v1::LegEvent ev;
  if (!m || !ev.ParseFromString(m->data))
    return std::nullopt;
  return ev;
}

void command(bus_recorder& rec, const std::string& leg, v1::LegCommand cmd) {
  cmd.set_schema(v1::SCHEMA_V1);
  cmd.set_leg_id(leg);
  rec.client().publish(subj::edge_leg("edge1"), cmd);
}

// The test plays two callctl members: the first offer goes unclaimed (its
// member died), the second is claimed by both.
TEST(ReofferE2E, AnUnclaimedInviteIsOfferedOnceMoreAndASecondClaimerIsToldAtOnce) {
  system_options opts;
  opts.services = {{"sip-edge", "edge1"}};
  sipcc_system sys(opts);
  auto& rec = sys.recorder();
  sys.start_services();
  const auto call = sys.asterisk().place_call("8000", sys.edge_port());
  auto first = offer(rec, 1);
  ASSERT_TRUE(first);
  auto again = offer(rec, 2);
  ASSERT_TRUE(again) << "offered once more";
  EXPECT_EQ(again->leg_id(), first->leg_id());
  EXPECT_EQ(again->incoming().call_id(), first->incoming().call_id());
  EXPECT_EQ(sys.counter("edge1", "audit_fixes", "reoffered_invite"), 1);

  const auto leg = first->leg_id();
  for (auto [owner, conn] : {std::pair{"member-x", "c1"}, std::pair{"member-y", "c2"}}) {
    v1::LegCommand claim;
    claim.mutable_claim()->set_owner(owner);
    claim.mutable_claim()->set_conn_id(conn);
    command(rec, leg, claim);
  }
  auto told = rec.wait(
      [&](const bus_msg& m) { return m.subject == subj::leg_event("member-y", leg); }, kWait);
  ASSERT_TRUE(told);
  v1::LegEvent gone;
  ASSERT_TRUE(gone.ParseFromString(told->data));
  EXPECT_EQ(gone.gone().why(), "claimed by member-x");
  EXPECT_EQ(gone.conn_id(), "c2");
  // The first claimer owns the leg: its answer is the caller's, not a 503.
  v1::LegCommand busy;
  busy.mutable_respond()->set_status(486);
  busy.mutable_respond()->set_phrase("Busy Here");
  command(rec, leg, busy);
  EXPECT_EQ(sys.asterisk().wait_final(call, kWait), 486);
}

// callctl offered the same leg twice (its first claim was slow) keeps one call.
TEST(ReofferE2E, AMemberOfferedALegItTookKeepsItsOneCall) {
  system_options opts;
  opts.dns = {{"1000"}, {"8000", "RoutingPoint", "", "router-timeout: 60"}};
  opts.agents = {};
  opts.services = {{"sip-edge", "edge1"}, {"presence", "presence-0"}, {"callctl", "callctl-0"}};
  sipcc_system sys(opts);
  auto& rec = sys.recorder();
  auto& ast = sys.asterisk();
  ast.set_initial_notify("1000", "presence-notify-open.sip");
  sys.start_services();
  ASSERT_TRUE(rec.wait_event("1000", v1::EventDNBackInService, kWait));
  const auto call = ast.place_call("8000", sys.edge_port());
  auto rr = rec.wait_event("8000", v1::EventRouteRequest, kWait);
  ASSERT_TRUE(rr);
  auto first = offer(rec, 1);
  ASSERT_TRUE(first);
  rec.client().publish(subj::in_invite, *first);

  ASSERT_EQ(sys.route_call("8000", rr->conn_id(), "1000").type(), v1::EventRouteUsed);
  ASSERT_TRUE(ast.wait_request("INVITE", "1000", kWait));
  ast.answer_call("1000");
  ASSERT_EQ(ast.wait_final(call, kWait), 200);
  ASSERT_TRUE(rec.wait_event("1000", v1::EventEstablished, kWait));
  ast.hangup("1000");
  EXPECT_TRUE(ast.wait_bye_from_sipcc(call, kWait));
  ASSERT_TRUE(rec.wait_event("1000", v1::EventReleased, kWait));
  EXPECT_EQ(rec.events("8000"), (std::vector<v1::EventType>{v1::EventRouteRequest,
                                                           v1::EventRouteUsed}))
      << "one call";
  expect_nothing_dangles(sys, kWait);
}

}  // namespace
}  // namespace sipcc::test
