#include "router/model/router_core.hpp"

#include <algorithm>
#include <tuple>

namespace sipcc {

const char* route_reason_name(route_reason r) {
  return r == route_reason::agent ? "agent" : "max-wait";
}

router_core::router_core(const config& cfg) {
  for (const auto& dn : cfg.dns) {
    const auto group = dn.options.find("agent-group");
    if (dn.type != v1::RoutingPoint || group == dn.options.end())
      continue;
    rp_plan plan;
    for (const auto& g : cfg.agent_groups)
      if (g.name == group->second)
        plan.members.insert(g.members.begin(), g.members.end());
    // The configuration has checked these are whole seconds.
    if (auto wait = dn.options.find("max-wait"); wait != dn.options.end())
      plan.max_wait_us = std::stoll(wait->second) * 1'000'000;
    if (auto d = dn.options.find("default-dn"); d != dn.options.end())
      plan.default_dn = d->second;
    else if (auto a = cfg.app_options.find("default-dn"); a != cfg.app_options.end())
      plan.default_dn = a->second;
    if (auto t = dn.options.find("treatment"); t != dn.options.end()) {
      std::string error;  // the configuration has checked it
      plan.treatment = parse_treatment(t->second, error);
    }
    plans_.emplace(dn.number, std::move(plan));
    queues_[dn.number];
  }
}

std::vector<std::string> router_core::routing_points() const {
  std::vector<std::string> out;
  for (const auto& [rp, plan] : plans_)
    out.push_back(rp);
  return out;
}

size_t router_core::waiting() const {
  size_t n = 0;
  for (const auto& [rp, q] : queues_)
    n += q.size();
  return n;
}

void router_core::apply_state(const v1::DnState& st) {
  heard_.insert(st.dn());
  if (auto was = ready_.find(st.dn()); was != ready_.end()) {
    idle_order_.erase({was->second.idle_since_us, st.dn()});
    ready_.erase(was);
  }
  if (st.routable() && !st.agent().agent_id().empty()) {
    // Idle since the later of becoming Ready and the device's last change
    // (the end of the agent's last call).
    const int64_t since = std::max(st.agent().since_us(), st.since_us());
    ready_[st.dn()] = {st.agent().agent_id(), since};
    idle_order_.emplace(since, st.dn());
  }

  const auto r = reserved_.find(st.dn());
  if (r == reserved_.end())
    return;
  call& c = calls_.at(r->second);
  const auto& on_dn = st.sipcc_calls();
  if (std::find(on_dn.begin(), on_dn.end(), r->second) != on_dn.end())
    c.seen_on_dn = true;
  else if (c.seen_on_dn)
    detach(c);  // the call has left the agent's DN
}

route_commands router_core::on_dn_state(const v1::DnState& st) {
  apply_state(st);
  return dispatch();
}

route_commands router_core::on_snapshot(const std::vector<v1::DnState>& states) {
  for (const auto& st : states)
    if (!heard_.count(st.dn()))
      apply_state(st);
  return dispatch();
}

route_commands router_core::on_route_request(const std::string& conn_id, const std::string& rp,
                                             int64_t now_us) {
  const bool served = plans_.count(rp) > 0;
  const auto it = calls_.find(conn_id);
  if (it == calls_.end()) {
    if (!served)
      return {};
    calls_[conn_id] = {conn_id, rp, now_us, true, {}, false, false, 0};
    queues_[rp].push_back(conn_id);
    return dispatch();
  }
  call& c = it->second;
  if (c.waiting && c.rp == rp)
    return {};  // a repeated request keeps its place
  // Its last route failed (or it moved to another RP): it goes first.
  detach(c);
  if (!served) {
    calls_.erase(it);
    return dispatch();
  }
  c.rp = rp;
  c.waiting = true;
  queues_[rp].push_front(conn_id);
  return dispatch();
}

route_commands router_core::on_waiting_call(const std::string& conn_id, const std::string& rp,
                                            int64_t since_us) {
  if (!plans_.count(rp) || calls_.count(conn_id))
    return {};
  // Not treated here: whoever routed it before may have (and one that waits
  // again asks again, with a new EventRouteRequest).
  calls_[conn_id] = {conn_id, rp, since_us, true, {}, false, false, 0, true, true};
  auto& q = queues_[rp];
  auto later = std::find_if(q.begin(), q.end(), [&](const std::string& other) {
    return calls_.at(other).arrived_us > since_us;
  });
  q.insert(later, conn_id);
  return dispatch();
}

const treatment_spec* router_core::treatment_for(const std::string& conn_id) {
  const auto it = calls_.find(conn_id);
  if (it == calls_.end() || !it->second.waiting || it->second.treated)
    return nullptr;
  const auto& plan = plans_.at(it->second.rp);
  if (!plan.treatment)
    return nullptr;
  it->second.treated = true;
  return &*plan.treatment;
}

void router_core::on_treatment_reported(const std::string& conn_id) {
  if (auto it = calls_.find(conn_id); it != calls_.end())
    it->second.treatment_reported = true;
}

std::vector<treatment_command> router_core::unreported_treatments() const {
  std::vector<const call*> calls;
  for (const auto& [id, c] : calls_)
    if (c.waiting && c.treated && !c.treatment_reported && plans_.at(c.rp).treatment)
      calls.push_back(&c);
  std::sort(calls.begin(), calls.end(), [](const call* a, const call* b) {
    return std::tie(a->arrived_us, a->conn_id) < std::tie(b->arrived_us, b->conn_id);
  });
  std::vector<treatment_command> out;
  for (const auto* c : calls)
    out.push_back({c->conn_id, c->rp, &*plans_.at(c->rp).treatment});
  return out;
}

route_commands router_core::on_route_used(const std::string& conn_id,
                                          const std::string& target_dn) {
  const auto it = calls_.find(conn_id);
  if (it == calls_.end())
    return {};
  call& c = it->second;
  // Still waiting here: another router (or callctl's router-timeout) routed
  // it. Ours but to another DN: that route won, the agent is free again.
  if (c.waiting || (!c.agent_dn.empty() && !target_dn.empty() && target_dn != c.agent_dn))
    detach(c);
  else if (!c.agent_dn.empty())
    c.route_used = true;
  return dispatch();
}

route_commands router_core::on_call_end(const std::string& conn_id, const std::string& dn) {
  const auto it = calls_.find(conn_id);
  if (it == calls_.end())
    return {};
  call& c = it->second;
  if (dn == c.rp) {
    detach(c);  // abandoned at the Routing Point: the call is over
    calls_.erase(it);
  } else if (dn == c.agent_dn) {
    detach(c);  // kept: a re-request may follow (the agent did not answer)
  }
  return dispatch();
}

route_commands router_core::on_tick(int64_t now_us) {
  route_commands out;
  for (auto& [rp, q] : queues_) {
    const rp_plan& plan = plans_.at(rp);
    if (plan.max_wait_us == 0 || plan.default_dn.empty())
      continue;
    for (auto w = q.begin(); w != q.end();) {
      call& c = calls_.at(*w);
      if (now_us - c.arrived_us < plan.max_wait_us) {
        ++w;
        continue;
      }
      out.push_back({*w, rp, plan.default_dn, route_reason::max_wait});
      c.waiting = false;
      w = q.erase(w);
    }
  }
  for (auto it = calls_.begin(); it != calls_.end();) {
    call& c = it->second;
    if (!c.route_used || c.seen_on_dn)
      c.unseen_from_us = 0;
    else if (c.unseen_from_us == 0)
      c.unseen_from_us = now_us;
    else if (now_us - c.unseen_from_us >= unseen_after_us)
      detach(c);
    if (c.waiting || !c.agent_dn.empty())
      c.idle_from_us = 0;
    else if (c.idle_from_us == 0)
      c.idle_from_us = now_us;
    else if (now_us - c.idle_from_us >= forget_after_us) {
      it = calls_.erase(it);
      continue;
    }
    ++it;
  }
  auto freed = dispatch();
  out.insert(out.end(), freed.begin(), freed.end());
  return out;
}

void router_core::detach(call& c) {
  if (c.waiting) {
    auto& q = queues_.at(c.rp);
    q.erase(std::find(q.begin(), q.end(), c.conn_id));
    c.waiting = false;
  }
  if (!c.agent_dn.empty()) {
    reserved_.erase(c.agent_dn);
    c.agent_dn.clear();
    c.seen_on_dn = false;
    c.route_used = false;
    c.unseen_from_us = 0;
  }
}

route_commands router_core::unconfirmed() const {
  route_commands out;
  for (const auto& [dn, conn_id] : reserved_) {
    const call& c = calls_.at(conn_id);
    if (!c.route_used && !c.seen_on_dn)
      out.push_back({conn_id, c.rp, dn, route_reason::agent});
  }
  // In arrival order, as they were made.
  std::sort(out.begin(), out.end(), [&](const route_command& a, const route_command& b) {
    return calls_.at(a.conn_id).arrived_us < calls_.at(b.conn_id).arrived_us;
  });
  return out;
}

const std::string* router_core::pick(const rp_plan& plan) const {
  // Idle longest first; the DN breaks ties so the choice is reproducible.
  for (const auto& [since, dn] : idle_order_)
    if (!reserved_.count(dn) && plan.members.count(ready_.at(dn).agent_id))
      return &dn;
  return nullptr;
}

// Gives free agents to waiting calls until none fits; across Routing Points
// that share agents, the call that arrived first goes first.
route_commands router_core::dispatch() {
  route_commands out;
  for (;;) {
    std::deque<std::string>* best_q = nullptr;
    const std::string* best_rp = nullptr;
    const std::string* best_dn = nullptr;
    int64_t best_arrival = 0;
    for (auto& [rp, q] : queues_) {
      if (q.empty())
        continue;
      const int64_t arrival = calls_.at(q.front()).arrived_us;
      if (best_q && arrival >= best_arrival)
        continue;
      if (const std::string* dn = pick(plans_.at(rp))) {
        best_q = &q;
        best_rp = &rp;
        best_dn = dn;
        best_arrival = arrival;
      }
    }
    if (!best_q)
      return out;
    const std::string conn_id = best_q->front();
    best_q->pop_front();
    call& c = calls_.at(conn_id);
    c.waiting = false;
    c.agent_dn = *best_dn;
    c.seen_on_dn = false;
    c.route_used = false;
    reserved_[*best_dn] = conn_id;
    out.push_back({conn_id, *best_rp, *best_dn, route_reason::agent});
  }
}

}  // namespace sipcc
