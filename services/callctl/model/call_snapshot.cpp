#include "callctl/model/call_snapshot.hpp"

#include <algorithm>
#include <map>

#include "callctl/model/ids.hpp"

namespace sipcc::callctl {

namespace {

v1::SnapshotKind kind_to_proto(call_kind k) {
  switch (k) {
    case call_kind::routed: return v1::SNAPSHOT_ROUTED;
    case call_kind::direct: return v1::SNAPSHOT_DIRECT;
    case call_kind::made: return v1::SNAPSHOT_MADE;
  }
  return v1::SNAPSHOT_KIND_UNSPECIFIED;
}

std::optional<call_kind> kind_of(v1::SnapshotKind k) {
  switch (k) {
    case v1::SNAPSHOT_ROUTED: return call_kind::routed;
    case v1::SNAPSHOT_DIRECT: return call_kind::direct;
    case v1::SNAPSHOT_MADE: return call_kind::made;
    default: return std::nullopt;
  }
}

constexpr size_t kParties = std::tuple_size_v<decltype(call::sdp_from)>;

}  // namespace

bool awaiting_ack(const call& c) {
  // A recording to start at establishment is not in a snapshot.
  return c.state == call_state::connecting && c.kind == call_kind::routed && !c.handover &&
         !c.customer_answered && !c.record_when_established;
}

bool quiescent(const call& c) {
  return (c.state == call_state::established || awaiting_ack(c)) && !c.customer_leg.empty() &&
         !c.agent_leg.empty() && c.reinvite_from.empty() && c.holding == hold_step::none &&
         c.media == media_state::none && c.media_leg.empty() && c.mixing == mix_op::none &&
         c.mix_leg.empty() && c.conf_id.empty() && !c.recording &&
         c.customer_conf_leg.empty() && c.agent_conf_leg.empty() &&
         c.consult_conf_leg.empty() && !c.answering && c.own_leg.empty() && !c.retry_wait &&
         c.consult == consult_state::none && c.moves.empty() && c.goal == plan_goal::none &&
         !c.undoing;
}

std::optional<v1::CallSnapshot> snapshot_of(const call& c, const std::string& edge,
                                            const origin_map& origins) {
  if (!quiescent(c))
    return std::nullopt;
  v1::CallSnapshot s;
  s.set_edge_id(edge);
  s.set_conn_id(c.conn_id);
  s.set_kind(kind_to_proto(c.kind));
  s.set_rp(c.rp);
  s.set_ani(c.ani);
  s.set_dnis(c.dnis);
  s.set_call_id(c.call_id);
  s.set_ani_name(c.ani_name);
  s.set_inbound_leg(c.inbound_leg);
  s.set_customer_leg(c.customer_leg);
  s.set_agent_leg(c.agent_leg);
  s.set_agent_dn(c.agent_dn);
  s.set_far_dn(c.far_dn);
  s.set_far_is_dn(c.far_is_dn);
  s.set_far_rang(c.far_rang);
  s.set_agent_uri(c.agent_uri);
  s.set_far_uri(c.far_uri);
  s.set_agent_rang(c.agent_rang);
  s.set_outbound_legs(c.outbound_legs);
  s.set_customer_answered(c.customer_answered);
  s.set_customer_sdp(c.customer_sdp);
  s.set_sdp_to_customer(c.sdp_to_customer);
  s.set_sdp_to_agent(c.sdp_to_agent);
  for (size_t p = 0; p < kParties; ++p) {
    s.add_sdp_from(c.sdp_from[p]);
    auto* v = s.add_views();
    v->set_from(static_cast<uint32_t>(c.views[p].from));
    v->set_dir(c.views[p].dir);
  }
  s.set_held(c.held);
  *s.mutable_user_data() = c.user_data;
  s.set_recordings(c.recordings);
  s.set_no_answer_timeout_s(c.no_answer.timeout_s);
  s.set_no_answer_overflow(c.no_answer.overflow);
  s.set_no_answer_action(c.no_answer.action);
  // Only the call's own two legs, in leg-id order: the same call, the same bytes.
  std::vector<std::string> legs{c.customer_leg, c.agent_leg};
  std::sort(legs.begin(), legs.end());
  for (const auto& id : legs) {
    auto o = origins.find(id);
    if (o == origins.end())
      continue;
    auto* so = s.add_origins();
    so->set_leg_id(id);
    so->set_session(o->second.session);
    so->set_version(o->second.version);
    so->set_last(o->second.last);
  }
  return s;
}

restore_outcome restore_call(const v1::CallSnapshot& s) {
  auto refuse = [&](const std::string& why) {
    return restore_outcome{std::nullopt, "ConnID '" + s.conn_id() + "': " + why};
  };
  auto kind = kind_of(s.kind());
  if (!kind)
    return refuse("unknown call kind " + std::to_string(s.kind()));
  if (!parse_conn_id(s.conn_id()))
    return refuse("not a ConnID");
  if (s.edge_id().empty() || s.customer_leg().empty() || s.agent_leg().empty())
    return refuse("no edge, customer leg or agent leg");
  if (static_cast<size_t>(s.sdp_from_size()) != kParties ||
      static_cast<size_t>(s.views_size()) != kParties)
    return refuse("not one SDP and one view per party");
  restored_call r;
  call& c = r.c;
  // Only a routed call still waiting for the customer's ACK was not yet
  // answered on the customer's side (established() says it was).
  c.state = *kind == call_kind::routed && !s.customer_answered() ? call_state::connecting
                                                                 : call_state::established;
  c.kind = *kind;
  c.conn_id = s.conn_id();
  c.rp = s.rp();
  c.ani = s.ani();
  c.dnis = s.dnis();
  c.call_id = s.call_id();
  c.ani_name = s.ani_name();
  c.inbound_leg = s.inbound_leg();
  c.customer_leg = s.customer_leg();
  c.agent_leg = s.agent_leg();
  c.agent_dn = s.agent_dn();
  c.far_dn = s.far_dn();
  c.far_is_dn = s.far_is_dn();
  c.far_rang = s.far_rang();
  c.agent_uri = s.agent_uri();
  c.far_uri = s.far_uri();
  c.agent_rang = s.agent_rang();
  c.outbound_legs = s.outbound_legs();
  c.customer_answered = s.customer_answered();
  c.customer_sdp = s.customer_sdp();
  c.sdp_to_customer = s.sdp_to_customer();
  c.sdp_to_agent = s.sdp_to_agent();
  for (size_t p = 0; p < kParties; ++p) {
    const auto& v = s.views(static_cast<int>(p));
    if (v.from() >= kParties)
      return refuse("a view of party " + std::to_string(v.from()));
    c.sdp_from[p] = s.sdp_from(static_cast<int>(p));
    c.views[p] = {static_cast<party>(v.from()), v.dir()};
  }
  c.held = s.held();
  c.user_data = s.user_data();
  c.recordings = s.recordings();
  c.no_answer.timeout_s = s.no_answer_timeout_s();
  c.no_answer.overflow = s.no_answer_overflow();
  c.no_answer.action = s.no_answer_action();
  for (const auto& o : s.origins())
    r.origins[o.leg_id()] = {o.session(), o.version(), o.last()};
  r.edge = s.edge_id();
  r.seq = s.seq();
  return {std::move(r), ""};
}

restore_plan plan_restore(const std::vector<std::string>& snapshots) {
  restore_plan plan;
  std::map<std::string, restored_call> by_conn;  // ordered: the calls in ConnID order
  for (const auto& bytes : snapshots) {
    v1::CallSnapshot s;
    if (!s.ParseFromString(bytes)) {
      plan.errors.push_back("undecodable snapshot (" + std::to_string(bytes.size()) + " bytes)");
      continue;
    }
    auto out = restore_call(s);
    if (!out.call) {
      plan.errors.push_back(out.error);
      continue;
    }
    // try_emplace leaves its argument alone when the ConnID is there.
    auto [it, fresh] = by_conn.try_emplace(s.conn_id(), std::move(*out.call));
    if (!fresh && s.seq() > it->second.seq)
      it->second = std::move(*out.call);
  }
  for (auto& [conn, r] : by_conn)
    plan.calls.push_back(std::move(r));
  return plan;
}

void open_restored_call(call_table& t, const restored_call& r) {
  const auto& c = r.c;
  open_call(t, c.conn_id, c.customer_leg, r.edge);
  leg_made(t, c.agent_leg, c.conn_id, r.edge);
  if (c.kind == call_kind::made)
    open_made_call(t, c.conn_id, c.agent_dn);
}

}  // namespace sipcc::callctl
