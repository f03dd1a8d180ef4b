// Which DN each agent is logged in on (or has a login pending on), kept both
// ways: the registry looks an agent up by AgentID at every login and state
// query, and clears a DN's former agents at every DN state report, which
// must not cost a scan of thousands of agents.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

namespace sipcc {

struct agent_places {
  std::unordered_map<std::string, std::string> dn_of;  // AgentID -> DN
  // DN -> the agents that were placed on it; an entry whose agent moved on
  // since is stale, and dropped at the DN's next report.
  std::unordered_map<std::string, std::vector<std::string>> agents_on;
};

// The DN of AgentID `agent_id`, or nullptr.
const std::string* dn_of(const agent_places& p, const std::string& agent_id);

// AgentID `agent_id` is on DN `dn` (a login, reserved until the DN reports).
void place_agent(agent_places& p, const std::string& agent_id, const std::string& dn);

// DN `dn` reports AgentID `agent_id` (empty: none), logged in or not: every
// other agent placed on the DN is not on it any more.
void dn_reports_agent(agent_places& p, const std::string& dn, const std::string& agent_id,
                      bool logged_in);

}  // namespace sipcc
