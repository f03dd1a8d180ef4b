// deploy/nats kept in step with the bus: every subject family of
// SIPCC_SUBJECTS may be published by some role of permissions.conf and heard
// by one (a new family with no allow list would be refused by nats-server
// everywhere), and every user of auth.conf may read its own inbox, the prefix
// sipcc's bus gives its replies (_INBOX_<user>).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sipcc/bus_auth.hpp"
#include "sipcc/bus_schema.hpp"

namespace sipcc {
namespace {

std::string read_deploy(const std::string& name) {
  std::ifstream f(SIPCC_SOURCE_DIR "/deploy/nats/" + name);
  std::stringstream buf;
  buf << f.rdbuf();
  return buf.str();
}

struct role {
  std::vector<std::string> publish, subscribe;
};

// Each role variable's publish and subscribe allow lists: the quoted
// subjects after `publish:` / `subscribe:`, up to the next of either or the
// next role. Comments are dropped first.
std::map<std::string, role> roles_of(const std::string& text) {
  std::map<std::string, role> roles;
  std::istringstream lines(text);
  role* current = nullptr;
  std::vector<std::string>* list = nullptr;
  const std::regex start(R"(^(SIPCC_[A-Z_]+) = \{)"), quoted(R"re("([^"]+)")re");
  for (std::string line; std::getline(lines, line);) {
    line = line.substr(0, line.find('#'));
    std::smatch m;
    if (std::regex_search(line, m, start)) {
      current = &roles[m[1]];
      list = nullptr;
    }
    if (!current)
      continue;
    if (line.find("publish:") != std::string::npos)
      list = &current->publish;
    if (line.find("subscribe:") != std::string::npos)
      list = &current->subscribe;
    if (line.find("allow_responses") != std::string::npos)
      list = nullptr;
    for (auto it = std::sregex_iterator(line.begin(), line.end(), quoted);
         list && it != std::sregex_iterator(); ++it)
      list->push_back((*it)[1]);
  }
  return roles;
}

// Whether an allow-list entry covers some subjects of a family's pattern.
bool overlaps(const std::string& allow, const std::string& family) {
  return subject_matches(allow, family) || subject_matches(family, allow);
}

bool any_covers(const std::vector<std::string>& allows, const std::string& family) {
  for (auto& a : allows)
    if (overlaps(a, family))
      return true;
  return false;
}

TEST(NatsPermissions, EverySubjectFamilyHasAPublisherAndAListener) {
  const auto roles = roles_of(read_deploy("permissions.conf"));
  ASSERT_EQ(roles.size(), 7u) << "six services and the operator";
  // Read by no service: agent events by wallboards and tools outside sipcc
  // (here the operator's `>`); the key-value writes by JetStream, whose
  // consumers deliver them on the reader's own inbox.
  std::set<std::string> no_service_subscribes = {"agent_evt"};
  for (auto* i = subjects_begin(); i != subjects_end(); ++i)
    if (std::string(i->pattern).rfind("$KV.", 0) == 0)
      no_service_subscribes.insert(i->name);
  for (auto* i = subjects_begin(); i != subjects_end(); ++i) {
    SCOPED_TRACE(i->pattern);
    bool published = false, heard = false;
    for (auto& [name, r] : roles) {
      published = published || any_covers(r.publish, i->pattern);
      if (name != "SIPCC_OPERATOR")
        heard = heard || any_covers(r.subscribe, i->pattern);
    }
    EXPECT_TRUE(published) << "no role of deploy/nats/permissions.conf may publish it";
    EXPECT_TRUE(heard || no_service_subscribes.count(i->name))
        << "no service of deploy/nats/permissions.conf may subscribe it";
  }
  // Only the operator reads everything.
  for (auto& [name, r] : roles)
    if (name != "SIPCC_OPERATOR") {
      EXPECT_EQ(std::count(r.subscribe.begin(), r.subscribe.end(), ">"), 0) << name;
      EXPECT_EQ(std::count(r.publish.begin(), r.publish.end(), ">"), 0) << name;
    }
}

TEST(NatsPermissions, EveryUserReadsItsOwnInbox) {
  const auto roles = roles_of(read_deploy("permissions.conf"));
  const std::string auth = read_deploy("auth.conf");
  const std::regex user(R"(user:\s*([A-Za-z0-9_-]+),\s*password:\s*\$PASSWORD_([A-Za-z0-9_]+),)"
                        R"(\s*permissions:\s*\$?(\w*))");
  int users = 0;
  for (auto it = std::sregex_iterator(auth.begin(), auth.end(), user);
       it != std::sregex_iterator(); ++it, ++users) {
    const std::string name = (*it)[1], variable = (*it)[2], role_name = (*it)[3];
    SCOPED_TRACE(name);
    // scripts/nats-auth.sh's variable: the user with '-' written '_'.
    std::string expected = name;
    std::replace(expected.begin(), expected.end(), '-', '_');
    EXPECT_EQ(variable, expected);
    const bus_auth a{name, "", ""};
    if (role_name.empty()) {
      // A desktop: its permissions are written out after it.
      EXPECT_NE(auth.find("\"" + a.inbox_prefix() + ".>\""), std::string::npos);
      continue;
    }
    ASSERT_TRUE(roles.count(role_name)) << role_name;
    EXPECT_TRUE(any_covers(roles.at(role_name).subscribe, a.inbox_prefix() + ".x"))
        << "cannot read its replies";
  }
  EXPECT_EQ(users, 8) << "six services, the operator and the example desktop";
}

}  // namespace
}  // namespace sipcc
