#include "presence/model/agent_places.hpp"

#include <algorithm>

namespace sipcc {

const std::string* dn_of(const agent_places& p, const std::string& agent_id) {
  auto at = p.dn_of.find(agent_id);
  return at == p.dn_of.end() ? nullptr : &at->second;
}

void place_agent(agent_places& p, const std::string& agent_id, const std::string& dn) {
  auto& on = p.agents_on[dn];
  if (std::find(on.begin(), on.end(), agent_id) == on.end())
    on.push_back(agent_id);
  p.dn_of[agent_id] = dn;
}

void dn_reports_agent(agent_places& p, const std::string& dn, const std::string& agent_id,
                      bool logged_in) {
  auto on = p.agents_on.find(dn);
  if (on != p.agents_on.end()) {
    auto& agents = on->second;
    agents.erase(std::remove_if(agents.begin(), agents.end(),
                                [&](const std::string& a) {
                                  auto at = p.dn_of.find(a);
                                  if (at == p.dn_of.end() || at->second != dn)
                                    return true;  // stale: it moved on
                                  if (a == agent_id)
                                    return false;
                                  p.dn_of.erase(at);
                                  return true;
                                }),
                 agents.end());
    if (agents.empty())
      p.agents_on.erase(on);
  }
  if (logged_in)
    place_agent(p, agent_id, dn);
}

}  // namespace sipcc
