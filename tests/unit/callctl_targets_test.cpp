// Where callctl's calls go (callctl/model/targets.hpp) and the directory the
// registry keeps (directory_maps.hpp): which phone and edge reach a DN, a
// route's target with its no-answer policy and recording, voicemail targets
// and mailboxes, and the registrations and logins that change them.
#include "callctl/model/targets.hpp"

#include <gtest/gtest.h>

namespace sipcc::callctl {
namespace {

// 1000 on Asterisk; 2000 registers on sipcc; 3000 has a full contact URI.
const char* const kYaml = R"(
sip-edge: { id: edge1 }
asterisk: { address: 127.0.0.1:5070 }
agent-logins:
  - { id: a1, mailbox: 1001@GVM, options: { no-answer-timeout: 12 } }
  - { id: a2 }
agent-groups: [ { name: Sales, members: [a1, a2], mailbox: 8000@GVM } ]
dns:
  - { number: '1000', type: Extension, mailbox: 1000@GVM, options: { record: true } }
  - { number: '2000', type: Extension, password: secret }
  - { number: '3000', type: ACDPosition, contact: 'sip:3000@10.0.0.5:5062' }
  - { number: '4000', type: Extension, contact: desk4000 }
  - { number: '8000', type: RoutingPoint, options: { agent-group: Sales } }
  - { number: '9000', type: Voicemail }
application: { extn-no-answer-timeout: 20, agent-no-answer-timeout: 15 }
)";

const config& cfg() {
  static const config c = parse_config(kYaml, "t.yaml");
  return c;
}

binding bound(const std::string& contact, const std::string& edge,
              const std::string& from = "") {
  return {{contact, from}, edge};
}

directory_snapshot snapshot(agent_map agents, binding_map bindings) {
  return {std::make_shared<agent_map>(std::move(agents)),
          std::make_shared<binding_map>(std::move(bindings))};
}

v1::KVList extensions(const std::string& key, const std::string& value) {
  v1::KVList l;
  auto* kv = l.add_pairs();
  kv->set_key(key);
  kv->set_str(value);
  return l;
}

TEST(CallctlTargets, ThePhoneOfADnAndItsEdge) {
  binding_map bindings = {
      {"2000", {bound("sip:2000@10.0.0.9:5062", "edge2"), bound("sip:2000@10.0.0.7", "edge3")}}};
  struct phone_case {
    const char* dn;
    const binding_map* bindings;
    const char* uri;
    const char* edge;
  };
  const binding_map none;
  const std::vector<phone_case> cases = {
      // On Asterisk: through any live edge (none named).
      {"1000", &none, "sip:1000@127.0.0.1:5070", ""},
      {"4000", &none, "sip:desk4000@127.0.0.1:5070", ""},  // the contact names the endpoint
      {"3000", &none, "sip:3000@10.0.0.5:5062", ""},        // a full URI as it is
      {"2000", &bindings, "sip:2000@10.0.0.7", "edge3"},         // the latest binding
      {"2000", &none, "", ""},                                   // registers here, has not
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.dn);
    auto p = phone_of(cfg(), *c.bindings, *cfg().find_dn(c.dn));
    EXPECT_EQ(p.uri, c.uri);
    EXPECT_EQ(p.edge, c.edge);
  }
}

TEST(CallctlTargets, ARouteTargetCarriesTheAgentsNoAnswerPolicyAndRecording) {
  auto rec = extensions("record", "source");
  auto timeout = extensions("NO_ANSWER_TIMEOUT", "7");
  struct target_case {
    const char* name;
    const char* dn;
    agent_map agents;
    const v1::KVList* ext;
    const char* contact;
    uint32_t timeout_s;
    bool record;
  };
  const std::vector<target_case> cases = {
      {"not configured: no phone", "5555", {}, nullptr, "", 0, false},
      {"extension without agent", "4000", {}, nullptr, "sip:desk4000@127.0.0.1:5070", 20, false},
      {"agent's own option", "4000", {{"4000", "a1"}}, nullptr, "sip:desk4000@127.0.0.1:5070",
       12, false},
      {"agent without option: application's", "4000", {{"4000", "a2"}}, nullptr,
       "sip:desk4000@127.0.0.1:5070", 15, false},
      {"Extensions first", "4000", {{"4000", "a1"}}, &timeout, "sip:desk4000@127.0.0.1:5070", 7,
       false},
      {"DN records", "1000", {}, nullptr, "sip:1000@127.0.0.1:5070", 20, true},
      {"request records", "4000", {}, &rec, "sip:desk4000@127.0.0.1:5070", 20, true},
      {"registers on sipcc, not registered", "2000", {}, nullptr, "", 20, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto t = target_for(cfg(), snapshot(c.agents, {}), c.dn, c.ext);
    EXPECT_EQ(t.dn, c.dn);
    EXPECT_EQ(t.contact_uri, c.contact);
    EXPECT_EQ(t.no_answer.timeout_s, c.timeout_s);
    EXPECT_EQ(t.record, c.record);
  }
}

TEST(CallctlTargets, VoicemailNamesTheMailboxAndWhereTheCallWasDivertedFrom) {
  struct vm_case {
    const char* name;
    const char* target;
    const char* dn;
    const char* agent;
    const char* mailbox;
    const char* diverted_from;
  };
  const std::vector<vm_case> cases = {
      {"agent's mailbox first", "9000", "1000", "a1", "1001@GVM", "1000"},
      {"else the DN's", "9000", "1000", "a2", "1000@GVM", "1000"},
      {"no agent had it: the RP's group", "9000", "", "", "8000@GVM", "8000"},
      {"not a Voicemail DN: unchanged", "4000", "1000", "a1", "", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    route_target t;
    t.dn = c.target;
    voicemail_for(cfg(), t, c.dn, c.agent, "8000");
    EXPECT_EQ(t.mailbox, c.mailbox);
    EXPECT_EQ(t.diverted_from, c.diverted_from);
  }
  EXPECT_EQ(voicemail_target(cfg(), "9000").contact_uri, "sip:9000@127.0.0.1:5070");
  EXPECT_EQ(voicemail_target(cfg(), "*97").contact_uri, "sip:*97@127.0.0.1:5070");
  EXPECT_EQ(voicemail_target(cfg(), "3000").contact_uri, "sip:3000@10.0.0.5:5062");
}

TEST(CallctlTargets, RecordExtensionAndOptions) {
  auto str = extensions("record", "destination");
  v1::KVList num;
  auto* kv = num.add_pairs();
  kv->set_key("record");
  kv->set_num(1);
  EXPECT_EQ(record_extension(nullptr), "");
  EXPECT_EQ(record_extension(&str), "destination");
  EXPECT_EQ(record_extension(&num), "?");
  auto other = extensions("other", "x");
  EXPECT_EQ(record_extension(&other), "");
  std::map<std::string, std::string> opts = {{"router-timeout", "12"}};
  EXPECT_EQ(option_seconds(opts, "router-timeout", 30), 12u);
  EXPECT_EQ(option_seconds(opts, "absent", 30), 30u);
  EXPECT_EQ(option_text(opts, "router-timeout"), "12");
  EXPECT_EQ(option_text(opts, "absent"), "");
}

v1::Registration registration(const std::string& dn, const std::string& contact, uint32_t expires,
                              const std::string& edge = "edge1") {
  v1::Registration r;
  r.set_dn(dn);
  r.set_contact(contact);
  r.set_expires_s(expires);
  r.set_edge_id(edge);
  r.set_source("10.0.0.9:5062");
  return r;
}

std::vector<std::string> contacts(const binding_map& b, const std::string& dn) {
  std::vector<std::string> out;
  if (auto it = b.find(dn); it != b.end())
    for (const auto& x : it->second)
      out.push_back(x.contact + "@" + x.edge);
  return out;
}

TEST(CallctlDirectory, RegistrationsKeepTheLatestBindingLast) {
  binding_map b;
  apply_registration(b, registration("2000", "sip:a", 60));
  apply_registration(b, registration("2000", "sip:b", 60, "edge2"));
  EXPECT_EQ(contacts(b, "2000"), (std::vector<std::string>{"sip:a@edge1", "sip:b@edge2"}));
  apply_registration(b, registration("2000", "sip:a", 60));  // refreshed: latest now
  EXPECT_EQ(contacts(b, "2000"), (std::vector<std::string>{"sip:b@edge2", "sip:a@edge1"}));
  EXPECT_EQ(b.at("2000").back().registered_from, "10.0.0.9:5062");
  apply_registration(b, registration("2000", "sip:b", 0));
  EXPECT_EQ(contacts(b, "2000"), (std::vector<std::string>{"sip:a@edge1"}));
  EXPECT_TRUE(drop_edge_bindings(b, "edge1"));
  EXPECT_FALSE(b.count("2000"));  // none left: the DN goes
  EXPECT_FALSE(drop_edge_bindings(b, "edge1"));
}

TEST(CallctlDirectory, AnEdgeRestartDropsOnlyItsOwnBindings) {
  binding_map b;
  apply_registration(b, registration("2000", "sip:a", 60, "edge1"));
  apply_registration(b, registration("2000", "sip:b", 60, "edge2"));
  apply_registration(b, registration("2001", "sip:c", 60, "edge2"));
  EXPECT_TRUE(drop_edge_bindings(b, "edge2"));
  EXPECT_EQ(contacts(b, "2000"), (std::vector<std::string>{"sip:a@edge1"}));
  EXPECT_FALSE(b.count("2001"));
}

v1::DnState login_state(const std::string& dn, const std::string& agent, v1::AgentState state) {
  v1::DnState st;
  st.set_dn(dn);
  st.mutable_agent()->set_agent_id(agent);
  st.mutable_agent()->set_state(state);
  return st;
}

TEST(CallctlDirectory, LoginsFollowTheDnStates) {
  struct login_case {
    const char* name;
    agent_map before;
    v1::DnState st;
    bool changes;
    agent_map after;
  };
  const std::vector<login_case> cases = {
      {"login", {}, login_state("1000", "a1", v1::AGENT_READY), true, {{"1000", "a1"}}},
      {"same agent again", {{"1000", "a1"}}, login_state("1000", "a1", v1::AGENT_NOT_READY),
       false, {{"1000", "a1"}}},
      {"another agent", {{"1000", "a1"}}, login_state("1000", "a2", v1::AGENT_READY), true,
       {{"1000", "a2"}}},
      {"logout", {{"1000", "a1"}}, login_state("1000", "", v1::AGENT_LOGGED_OUT), true, {}},
      {"still out", {}, login_state("1000", "", v1::AGENT_LOGGED_OUT), false, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(changes_login(c.before, c.st), c.changes);
    auto agents = c.before;
    apply_login(agents, c.st);
    EXPECT_EQ(agents, c.after);
    EXPECT_EQ(agent_on(agents, "1000"), c.after.count("1000") ? c.after.at("1000") : "");
  }
}

TEST(CallctlDirectory, ADirectCallComesFromWhereThePhoneRegistered) {
  binding_map b = {{"2000", {bound("sip:2000@10.0.0.9:5062", "edge1", "192.0.2.1:40000")}}};
  struct direct_case {
    const char* dn;
    const char* source;
    bool direct;
  };
  const std::vector<direct_case> cases = {
      {"2000", "192.0.2.1:40000", true},   // where its REGISTER came from (NAT)
      {"2000", "10.0.0.9:5062", true},     // its Contact
      {"2000", "10.0.0.9:5099", false},    // same host, another port
      {"2000", "", false},
      {"2001", "10.0.0.9:5062", false},    // no binding for that DN
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.dn) + " from " + c.source);
    EXPECT_EQ(from_binding(b, c.dn, c.source), c.direct);
  }
}

}  // namespace
}  // namespace sipcc::callctl
