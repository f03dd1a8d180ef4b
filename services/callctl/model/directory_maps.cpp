#include "callctl/model/directory_maps.hpp"

#include <algorithm>

namespace sipcc::callctl {

std::string agent_on(const agent_map& agents, const std::string& dn) {
  auto it = agents.find(dn);
  return it == agents.end() ? std::string() : it->second;
}

bool apply_registration(binding_map& bindings, const v1::Registration& r) {
  auto& list = bindings[r.dn()];
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](const binding& b) { return b.contact == r.contact(); }),
             list.end());
  if (r.expires_s() > 0)
    list.push_back({{r.contact(), r.source()}, r.edge_id()});
  if (list.empty())
    bindings.erase(r.dn());
  return true;
}

bool drop_edge_bindings(binding_map& bindings, const std::string& edge) {
  bool changed = false;
  for (auto it = bindings.begin(); it != bindings.end();) {
    auto& list = it->second;
    auto size = list.size();
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const binding& b) { return b.edge == edge; }),
               list.end());
    changed = changed || list.size() != size;
    it = list.empty() ? bindings.erase(it) : std::next(it);
  }
  return changed;
}

namespace {

bool logged_in(const v1::DnState& st) { return st.agent().state() != v1::AGENT_LOGGED_OUT; }

}  // namespace

bool changes_login(const agent_map& agents, const v1::DnState& st) {
  auto it = agents.find(st.dn());
  if (logged_in(st))
    return it == agents.end() || it->second != st.agent().agent_id();
  return it != agents.end();
}

void apply_login(agent_map& agents, const v1::DnState& st) {
  if (logged_in(st))
    agents[st.dn()] = st.agent().agent_id();
  else
    agents.erase(st.dn());
}

bool from_binding(const binding_map& bindings, const std::string& dn, const std::string& source) {
  auto it = bindings.find(dn);
  if (it == bindings.end())
    return false;
  return std::any_of(it->second.begin(), it->second.end(),
                     [&](const binding& b) { return phone_sent(b, source); });
}

}  // namespace sipcc::callctl
