// Presence's AgentID <-> DN places (presence/model/agent_places.hpp): a table
// of logins and DN reports, and a long mixed run checked against the plain
// definition (a DN's report drops every other agent placed on it).
#include "presence/model/agent_places.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace sipcc {
namespace {

std::map<std::string, std::string> places_of(const agent_places& p) {
  return {p.dn_of.begin(), p.dn_of.end()};
}

struct step {
  bool report;  // a DN report, else a login reservation
  const char* dn;
  const char* agent;
  bool logged_in;
  std::map<std::string, std::string> after;
};

TEST(AgentPlaces, LoginsAndDnReports) {
  const std::vector<step> steps = {
      {false, "1000", "a1", true, {{"a1", "1000"}}},
      {true, "1000", "a1", true, {{"a1", "1000"}}},
      // a2 reserves 1000 too; the DN still reports a1: a2's login failed.
      {false, "1000", "a2", true, {{"a1", "1000"}, {"a2", "1000"}}},
      {true, "1000", "a1", true, {{"a1", "1000"}}},
      // a1 moves to 1001; 1000's next report (nobody) leaves it there.
      {false, "1001", "a1", true, {{"a1", "1001"}}},
      {true, "1000", "", false, {{"a1", "1001"}}},
      {true, "1001", "a1", true, {{"a1", "1001"}}},
      // Logged out, the DN's own agent keeps its place; the others go.
      {false, "1001", "a3", true, {{"a1", "1001"}, {"a3", "1001"}}},
      {true, "1001", "a1", false, {{"a1", "1001"}}},
      {true, "1001", "", false, {}},
      // A report names an agent nobody reserved: placed.
      {true, "2000", "a4", true, {{"a4", "2000"}}},
  };
  agent_places p;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto& s = steps[i];
    SCOPED_TRACE(i);
    if (s.report)
      dn_reports_agent(p, s.dn, s.agent, s.logged_in);
    else
      place_agent(p, s.agent, s.dn);
    EXPECT_EQ(places_of(p), s.after);
  }
  EXPECT_EQ(*dn_of(p, "a4"), "2000");
  EXPECT_EQ(dn_of(p, "a1"), nullptr);
}

TEST(AgentPlaces, AgreesWithTheScanOfEveryAgent) {
  std::mt19937 rng(12);  // fixed: the same run every time
  const std::vector<std::string> dns = {"1000", "1001", "1002", "1003"};
  const std::vector<std::string> agents = {"", "a1", "a2", "a3", "a4", "a5"};
  agent_places p;
  std::map<std::string, std::string> plain;
  for (int i = 0; i < 5000; ++i) {
    const auto& dn = dns[rng() % dns.size()];
    const auto& agent = agents[rng() % agents.size()];
    if (rng() % 2) {
      place_agent(p, agent, dn);
      plain[agent] = dn;
    } else {
      bool logged_in = rng() % 3 != 0;
      dn_reports_agent(p, dn, agent, logged_in);
      for (auto it = plain.begin(); it != plain.end();)
        it = it->second == dn && it->first != agent ? plain.erase(it) : std::next(it);
      if (logged_in)
        plain[agent] = dn;
    }
    ASSERT_EQ(places_of(p), plain) << "step " << i;
  }
}

}  // namespace
}  // namespace sipcc
