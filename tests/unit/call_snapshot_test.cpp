// Snapshots of established calls (callctl/model/call_snapshot.hpp): a call
// brought to [established] by the call model gives a snapshot, the call
// restored from it takes the next event as the original does, and a call
// with anything under way gives none.
#include "callctl/model/call_snapshot.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "call_fsm_table.hpp"
#include "callctl/model/audit.hpp"
#include "callctl/model/sdp.hpp"
#include "kvlist.hpp"

namespace sipcc::callctl {
namespace {

using namespace fsm_table;
using E = call_event;

const call_settings kCfg{30, {}, true, "ms"};
const std::string kEdge = "edge1";
// The call's ConnID once up (its legs keep the table's CONN-<n> names).
const std::string kConnId = "0000000000000001";

E on(E::kind k, const std::string& leg, const std::string& sdp = "") {
  E e(k);
  e.leg = leg;
  e.sdp = sdp;
  return e;
}

// TMakeCall 1000 -> 2000 (a configured DN): legs CONN-1 (1000), CONN-2 (2000).
E make_call() {
  E e(E::make_call);
  e.dn = "1000";
  e.uri = "sip:1000@ast";
  e.target.dn = "2000";
  e.target.contact_uri = "sip:2000@ast";
  e.far_is_dn = true;
  return e;
}

// The customer's INVITE with an SDP offer hold offers derive from.
E offer() {
  E e = incoming();
  e.sdp = kCustomerSdp;
  return e;
}

// The agent answered, the customer has the 200 and has not ACKed it.
const std::vector<E> kAnswered = {offer(), route(target("1001", 20, "recall", "none")),
                                  answered("CONN-1", kAgentSdp)};
const std::vector<E> kRoutedUp = [] {
  auto v = kAnswered;
  v.push_back(acked());
  return v;
}();
const std::vector<E> kHeld = [] {
  auto v = kRoutedUp;
  v.push_back(hold("1001", E::hold));
  v.push_back(reinvite_ok("cust", kCustomerSdp));
  v.push_back(reinvite_ok("CONN-1", kAgentSdp));
  return v;
}();
const std::vector<E> kMadeUp = {make_call(), on(E::leg_answered, "CONN-1", kAgentSdp),
                                on(E::leg_answered, "CONN-2", kCustomerSdp)};
const std::vector<E> kWithData = [] {
  auto v = kRoutedUp;
  v.push_back(attach("1001", test::str_pairs({{"CustomerSegment", "gold"}, {"Language", "fr"}})));
  return v;
}();

// A new call (as the actor starts one) through `events`; the o= lines sipcc
// sent its legs, as the actor's leg_origins keeps them, in `origins`.
call run(const std::vector<E>& events, origin_map* origins = nullptr) {
  call c;
  c.conn_id = kConn;
  c.customer_leg = "cust";
  for (const auto& e : events)
    for (const auto& a : call_step(c, e, kCfg))
      if (origins && !a.sdp.empty())
        stamp_origin((*origins)[a.what == call_action::respond_inbound ? c.inbound_leg : a.leg],
                     a.sdp);
  c.conn_id = kConnId;
  return c;
}

std::string bytes(const std::optional<v1::CallSnapshot>& s) {
  return s ? s->SerializeAsString() : "(none)";
}

TEST(CallSnapshot, RestoredCallsTakeTheNextEventAsTheOriginal) {
  struct row {
    std::string name;
    std::vector<E> events;
    E next;
  };
  const std::vector<row> rows = {
      {"routed call, held by the agent", kRoutedUp, hold("1001", E::hold)},
      {"routed call, the customer hangs up", kRoutedUp, customer_bye()},
      {"routed call, the agent hangs up", kRoutedUp, agent_bye("CONN-1")},
      {"routed call, re-INVITE from the customer", kRoutedUp, reinvite("cust", kCustomerSdp)},
      {"held call, retrieved", kHeld, retrieve("1001")},
      {"held call, released by the desktop", kHeld, release("1001")},
      {"made call, released by ThisDN", kMadeUp, release("1000")},
      {"made call, the destination holds", kMadeUp, reinvite("CONN-2", kCustomerSdp)},
      {"user data, the customer hangs up", kWithData, customer_bye()},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    origin_map origins;
    call original = run(r.events, &origins);
    ASSERT_EQ(original.state, established);
    auto snap = snapshot_of(original, kEdge, origins);
    ASSERT_TRUE(snap);
    // Through the bus as bytes, as the edge keeps it.
    v1::CallSnapshot wire;
    ASSERT_TRUE(wire.ParseFromString(snap->SerializeAsString()));
    auto out = restore_call(wire);
    ASSERT_TRUE(out.call) << out.error;
    call restored = out.call->c;
    EXPECT_EQ(out.call->edge, kEdge);
    EXPECT_EQ(bytes(snapshot_of(restored, out.call->edge, out.call->origins)), bytes(snap));
    for (const auto& leg : {original.customer_leg, original.agent_leg}) {
      SCOPED_TRACE(leg);
      ASSERT_TRUE(origins.count(leg));
      ASSERT_TRUE(out.call->origins.count(leg));
      // The next SDP to the leg goes one o= version up, after the restore too.
      auto next_sdp = "v=0\no=x 7 7 IN IP4 x\na=sendonly\n";
      EXPECT_EQ(stamp_origin(out.call->origins[leg], next_sdp),
                stamp_origin(origins[leg], next_sdp));
    }
    EXPECT_EQ(describe(call_step(restored, r.next, kCfg), restored),
              describe(call_step(original, r.next, kCfg), original));
    EXPECT_STREQ(to_string(restored.state), to_string(original.state));
    EXPECT_EQ(restored.held, original.held);
  }
}

// A callctl dying between its 200 to the customer and the customer's ACK:
// the call is restored waiting for the ACK and takes it, or either side's
// BYE, or TReleaseCall, as the original does.
TEST(CallSnapshot, AnAnsweredCallWaitingForItsAckIsRestoredWaiting) {
  const std::vector<std::pair<std::string, E>> rows = {{"the ACK", acked()},
                                                        {"the customer's BYE", customer_bye()},
                                                        {"the agent's BYE", agent_bye("CONN-1")},
                                                        {"TReleaseCall", release("1001")}};
  for (const auto& [name, next] : rows) {
    SCOPED_TRACE(name);
    origin_map origins;
    call original = run(kAnswered, &origins);
    ASSERT_EQ(original.state, connecting);
    ASSERT_TRUE(awaiting_ack(original));
    auto snap = snapshot_of(original, kEdge, origins);
    ASSERT_TRUE(snap);
    EXPECT_FALSE(snap->customer_answered());
    auto out = restore_call(*snap);
    ASSERT_TRUE(out.call) << out.error;
    call restored = out.call->c;
    EXPECT_STREQ(to_string(restored.state), "connecting");
    EXPECT_EQ(bytes(snapshot_of(restored, kEdge, out.call->origins)), bytes(snap));
    EXPECT_EQ(describe(call_step(restored, next, kCfg), restored),
              describe(call_step(original, next, kCfg), original));
    EXPECT_STREQ(to_string(restored.state), to_string(original.state));
  }
}

TEST(CallSnapshot, KeepsWhatTheDesktopsSee) {
  auto c = run(kWithData);
  c.call_id = "abc@host";
  c.ani_name = "Jane Doe";
  auto out = restore_call(*snapshot_of(c, kEdge, {}));
  ASSERT_TRUE(out.call);
  const call& r = out.call->c;
  EXPECT_EQ(r.conn_id, kConnId);
  EXPECT_EQ(r.kind, call_kind::routed);
  EXPECT_EQ(r.rp, kRp);
  EXPECT_EQ(r.ani, kAni);
  EXPECT_EQ(r.dnis, kRp);
  EXPECT_EQ(r.call_id, "abc@host");
  EXPECT_EQ(r.ani_name, "Jane Doe");
  EXPECT_EQ(r.agent_dn, "1001");
  EXPECT_EQ(r.customer_leg, "cust");
  EXPECT_EQ(r.agent_leg, "CONN-1");
  EXPECT_EQ(r.outbound_legs, c.outbound_legs);
  EXPECT_EQ(r.no_answer.timeout_s, 20u);
  EXPECT_EQ(r.user_data.SerializeAsString(), c.user_data.SerializeAsString());
}

TEST(CallSnapshot, NoneWhileAnythingIsUnderWay) {
  struct row {
    std::string name;
    std::vector<E> events;
    std::function<void(call&)> change;  // on the call after the events
  };
  auto none = [](call&) {};
  auto up = kRoutedUp;
  auto with = [&](std::vector<E> v, E e) {
    v.push_back(std::move(e));
    return v;
  };
  const std::vector<row> rows = {
      {"routing", {incoming()}, none},
      {"alerting", {incoming(), route(target("1001", 0, "recall", "none"))}, none},
      {"connecting by flow I (a customer answered before)", kAnswered,
       [](call& c) { c.handover = c.customer_answered = true; }},
      {"connecting, to record once established", kAnswered,
       [](call& c) { c.record_when_established = true; }},
      {"made call dialing", {make_call()}, none},
      {"ended", with(up, customer_bye()), none},
      {"a hold under way", with(up, hold("1001", E::hold)), none},
      {"a re-INVITE passed on", with(up, reinvite("cust", kCustomerSdp)), none},
      {"a recording starting", with(up, record("1001", true)), none},
      {"a treatment's media leg", up, [](call& c) { c.media = media_state::playing; }},
      {"a conference", up, [](call& c) { c.conf_id = "conf-1"; }},
      {"a mix operation", up, [](call& c) { c.mixing = mix_op::join; }},
      {"a conference leg", up, [](call& c) { c.agent_conf_leg = "CONN-3"; }},
      {"recording", up, [](call& c) { c.recording = true; }},
      {"answering", up, [](call& c) { c.answering = true; }},
      {"own re-INVITE out", up, [](call& c) { c.own_leg = "cust"; }},
      {"a 491 retry waits", up, [](call& c) { c.retry_wait = true; }},
      {"a consultation", up, [](call& c) { c.consult = consult_state::talking; }},
      {"a move plan", up, [](call& c) { c.moves.push_back({}); }},
      {"a plan goal", up, [](call& c) { c.goal = plan_goal::alternate; }},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    auto c = run(r.events);
    r.change(c);
    EXPECT_FALSE(quiescent(c));
    EXPECT_FALSE(snapshot_of(c, kEdge, {}));
  }
  EXPECT_TRUE(snapshot_of(run(up), kEdge, {}));
}

TEST(CallSnapshot, PlanKeepsTheNewestOfEachCallAndSaysWhyNot) {
  auto snap = *snapshot_of(run(kRoutedUp), kEdge, {});
  auto held = *snapshot_of(run(kHeld), kEdge, {});
  snap.set_seq(1);
  held.set_seq(2);  // the same ConnID, later
  auto other = snap;
  other.set_conn_id("00000000000000ff");
  auto bad_kind = snap;
  bad_kind.set_conn_id("00000000000000fe");
  bad_kind.set_kind(v1::SNAPSHOT_KIND_UNSPECIFIED);
  auto no_leg = snap;
  no_leg.set_conn_id("00000000000000fd");
  no_leg.clear_agent_leg();
  auto bad_view = snap;
  bad_view.set_conn_id("00000000000000fc");
  bad_view.mutable_views(1)->set_from(3);
  auto plan = plan_restore({held.SerializeAsString(), snap.SerializeAsString(),
                            other.SerializeAsString(), std::string("\xff\xff\xff", 3),
                            bad_kind.SerializeAsString(), no_leg.SerializeAsString(),
                            bad_view.SerializeAsString()});
  ASSERT_EQ(plan.calls.size(), 2u);
  EXPECT_EQ(plan.calls[0].c.conn_id, kConnId);
  EXPECT_TRUE(plan.calls[0].c.held);  // seq 2 won, whatever the order
  EXPECT_EQ(plan.calls[0].seq, 2u);
  EXPECT_EQ(plan.calls[1].c.conn_id, "00000000000000ff");
  const std::vector<std::string> errors = {
      "undecodable snapshot (3 bytes)",
      "ConnID '00000000000000fe': unknown call kind 0",
      "ConnID '00000000000000fd': no edge, customer leg or agent leg",
      "ConnID '00000000000000fc': a view of party 3",
  };
  EXPECT_EQ(plan.errors, errors);
  auto not_conn = snap;
  not_conn.set_conn_id("C1");
  EXPECT_EQ(restore_call(not_conn).error, "ConnID 'C1': not a ConnID");
}

// The restored call's legs are known: the next audit finds no stray.
TEST(CallSnapshot, RestoredLegsAreNoStrays) {
  struct row {
    std::string name;
    std::vector<E> events;
    bool made;
  };
  for (const auto& r : std::vector<row>{{"routed", kRoutedUp, false}, {"made", kMadeUp, true}}) {
    SCOPED_TRACE(r.name);
    auto c = run(r.events);
    auto out = restore_call(*snapshot_of(c, kEdge, {}));
    ASSERT_TRUE(out.call);
    call_table t;
    open_restored_call(t, *out.call);
    v1::LegAudit audit;
    audit.set_edge_id(kEdge);
    audit.add_leg_ids(c.customer_leg);
    audit.add_leg_ids(c.agent_leg);
    audit.add_leg_ids("edge1-99");
    auto outcome = reconcile_audit(t.legs, audit, k_audit_misses);
    EXPECT_EQ(outcome.strays, std::vector<std::string>{"edge1-99"});
    EXPECT_TRUE(outcome.lost.empty());
    EXPECT_TRUE(t.calls.count(c.conn_id));
    EXPECT_EQ(t.made_calls.count("1000"), r.made ? 1u : 0u);
    close_call(t, c.conn_id);
    EXPECT_TRUE(t.legs.empty());
    EXPECT_TRUE(t.made_calls.empty());
  }
}

}  // namespace
}  // namespace sipcc::callctl
