// Lints the shipped Asterisk configuration (deploy/asterisk/*.conf) against
// itself and against deploy/sipcc.yaml: a dangling reference there is a
// silent 404/401 at run time.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "asterisk_conf.hpp"
#include "sipcc/config.hpp"
#include "sipcc/media_uri.hpp"
#include "sipcc/mwi.hpp"
#include "sip_capture.hpp"

namespace sipcc::test {
namespace {

const std::string deploy_dir = SIPCC_SOURCE_DIR "/deploy/";

const asterisk_conf& shipped() {
  static const asterisk_conf conf{
      parse_asterisk_conf(read_file(deploy_dir + "asterisk/pjsip.conf")),
      parse_asterisk_conf(read_file(deploy_dir + "asterisk/extensions.conf")),
      parse_asterisk_conf(read_file(deploy_dir + "asterisk/voicemail.conf"))};
  return conf;
}

std::string joined(const finding_list& findings) {
  std::string out;
  for (const auto& f : findings) out += f + "\n";
  return out;
}

struct named_check {
  const char* name;
  finding_list (*check)(const asterisk_conf&);
};

const named_check all_checks[] = {
    {"Parse", check_parse},
    {"EndpointRefs", check_endpoint_refs},
    {"Identifies", check_identifies},
    {"HintDevices", check_hint_devices},
    {"DialEndpoints", check_dial_endpoints},
    {"Contexts", check_contexts},
    {"ResourceLists", check_resource_lists},
    {"Mailboxes", check_mailboxes},
    {"Gosubs", check_gosubs},
    {"HostOnly", check_host_only},
};

// Names the check in gtest's failure messages instead of dumping its bytes.
void PrintTo(const named_check& check, std::ostream* os) { *os << check.name; }

class AsteriskLintShipped : public ::testing::TestWithParam<named_check> {};

TEST_P(AsteriskLintShipped, IsClean) {
  const auto findings = GetParam().check(shipped());
  EXPECT_TRUE(findings.empty()) << joined(findings);
}

INSTANTIATE_TEST_SUITE_P(Check, AsteriskLintShipped, ::testing::ValuesIn(all_checks),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(AsteriskLint, ShippedFilesHaveTheExpectedObjects) {
  // Guards the clean checks above against passing on an empty file.
  const auto& conf = shipped();
  struct want {
    const conf_file* file;
    const char* name;
    const char* type;
  };
  const std::vector<want> cases = {
      {&conf.pjsip, "transport-udp", "transport"}, {&conf.pjsip, "sipcc", "endpoint"},
      {&conf.pjsip, "sipcc", "aor"},               {&conf.pjsip, "sipcc", "identify"},
      {&conf.pjsip, "1000", "endpoint"},           {&conf.pjsip, "2001", "aor"},
      {&conf.pjsip, "2001-auth", "auth"},          {&conf.pjsip, "agents", "resource_list"},
      {&conf.pjsip, "agents-dialog", "resource_list"}, {&conf.pjsip, "gvm-1000", "aor"},
      {&conf.pjsip, "gvm-2000", "aor"},            {&conf.extensions, "hints", ""},
      {&conf.extensions, "phones", ""},            {&conf.extensions, "from-sipcc", ""},
      {&conf.voicemail, "MY_COMPANY", ""},         {&conf.voicemail, "GVM_DN", ""},
  };
  for (const auto& c : cases)
    EXPECT_NE(c.file->find(c.name, c.type), nullptr) << c.name << " type=" << c.type;
}

TEST(AsteriskLint, SipccEndpointSuitsTheB2bua) {
  const auto& conf = shipped();
  const auto* ep = conf.pjsip.find("sipcc", "endpoint");
  ASSERT_NE(ep, nullptr);
  struct option {
    const char* key;
    std::vector<std::string> accepted;  // "" stands for "not set" (the default)
  };
  const std::vector<option> cases = {
      {"direct_media", {"no"}},  {"allow_subscribe", {"yes", ""}},
      {"send_pai", {"yes"}},     {"dtmf_mode", {"rfc4733"}},
      {"context", {"from-sipcc"}}, {"subscribe_context", {"hints"}},
  };
  for (const auto& c : cases) {
    const auto value = ep->value(c.key).value_or("");
    EXPECT_NE(std::find(c.accepted.begin(), c.accepted.end(), value), c.accepted.end())
        << c.key << "=" << value;
  }
  for (const char* key : {"context", "subscribe_context"})
    EXPECT_NE(conf.extensions.find(ep->value(key).value_or("")), nullptr) << key;
}

TEST(AsteriskLint, SipccYamlDnsExistOnAsterisk) {
  const auto yaml = YAML::LoadFile(deploy_dir + "sipcc.yaml");
  int monitored = 0;
  for (const auto& dn : yaml["dns"]) {
    const auto number = dn["number"].as<std::string>();
    const auto type = dn["type"].as<std::string>("Extension");
    const bool monitor = dn["monitor"].as<bool>(type == "Extension" || type == "ACDPosition");
    if (monitor) {
      ++monitored;
      // sipcc SUBSCRIBEs to the DN's contact, which defaults to its number.
      const auto contact = dn["contact"].as<std::string>(number);
      EXPECT_TRUE(has_hint(shipped().extensions, "hints", contact)) << "DN " << number;
    }
    if (dn["mailbox"]) {
      EXPECT_TRUE(has_mailbox(shipped().voicemail, dn["mailbox"].as<std::string>()))
          << "DN " << number;
    }
  }
  EXPECT_GT(monitored, 0) << "sipcc.yaml monitors no DN";
}

// Every agent phone on Asterisk (the endpoint of each Extension and
// ACDPosition DN) has its own transfers refused: transfers are desktop
// requests (the reference requires desktop control of every call).
TEST(AsteriskLint, AgentEndpointsRefusePhoneTransfers) {
  const auto cfg = load_config(deploy_dir + "sipcc.yaml");
  const auto& pjsip = shipped().pjsip;
  std::vector<std::string> agents;
  for (const auto& dn : cfg.dns)
    if ((dn.type == v1::Extension || dn.type == v1::ACDPosition) &&
        (!dn.registers_on_sipcc() || pjsip.find(dn.contact, "endpoint")))
      agents.push_back(dn.contact);
  ASSERT_FALSE(agents.empty());
  const auto findings = check_agent_transfers(pjsip, agents);
  EXPECT_TRUE(findings.empty()) << joined(findings);
}

TEST(AsteriskLint, CatchesAgentTransfersLeftOn) {
  struct transfer_case {
    const char* what;
    const char* pjsip;
    const char* expected;  // part of the one finding; nullptr: clean
  };
  const std::vector<transfer_case> cases = {
      {"not set (Asterisk's default is yes)", "[ep]\ntype=endpoint\n",
       "endpoint ep: allow_transfer is not no"},
      {"set to yes", "[ep]\ntype=endpoint\nallow_transfer=yes\n",
       "endpoint ep: allow_transfer is not no"},
      {"no from a template", "[t](!)\nallow_transfer=no\n[ep](t)\ntype=endpoint\n", nullptr},
      {"own yes over the template's no",
       "[t](!)\nallow_transfer=no\n[ep](t)\ntype=endpoint\nallow_transfer=yes\n",
       "endpoint ep: allow_transfer is not no"},
      {"false", "[ep]\ntype=endpoint\nallow_transfer=false\n", nullptr},
      {"no such endpoint", "[ep]\ntype=aor\nallow_transfer=no\n",
       "agent endpoint ep does not exist"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const auto findings = check_agent_transfers(parse_asterisk_conf(c.pjsip), {"ep"});
    if (!c.expected) {
      EXPECT_TRUE(findings.empty()) << joined(findings);
      continue;
    }
    ASSERT_EQ(findings.size(), 1u) << joined(findings);
    EXPECT_NE(findings[0].find(c.expected), std::string::npos) << findings[0];
  }
}

// Every mailbox sipcc would watch (all extensions, every agent logged in)
// has the pjsip.conf AOR it SUBSCRIBEs to, pointing at that mailbox, and the
// mailbox is in voicemail.conf: else Asterisk answers 404 and sipcc backs off.
TEST(AsteriskLint, SipccYamlMailboxesHaveTheirMwiObjects) {
  auto cfg = load_config(deploy_dir + "sipcc.yaml");
  cfg.app_options["mwi-extension-enable"] = "true";
  std::map<std::string, std::string> everyone;
  for (const auto& a : cfg.agent_logins)
    everyone[a.id] = "dn-of-" + a.id;
  const auto targets = mwi_targets(cfg, everyone);
  ASSERT_FALSE(targets.empty());
  for (const auto& t : targets) {
    SCOPED_TRACE(t.key);
    const auto* aor = shipped().pjsip.find(t.object, "aor");
    ASSERT_NE(aor, nullptr) << "no aor " << t.object;
    const auto boxes = aor->values("mailboxes");
    EXPECT_NE(std::find(boxes.begin(), boxes.end(), t.mailbox), boxes.end()) << t.object;
    EXPECT_TRUE(has_mailbox(shipped().voicemail, t.mailbox)) << t.mailbox;
  }
}

// The media-server requests sipcc makes (sipcc/media_uri.hpp) reach the
// media-server context from the sipcc endpoint's context, ahead of the
// catch-all to the trunk.
TEST(AsteriskLint, MediaServerUrisReachTheMediaContext) {
  const auto& conf = shipped();
  const auto* ep = conf.pjsip.find("sipcc", "endpoint");
  ASSERT_NE(ep, nullptr);
  const auto context = ep->value("context").value_or("");
  const std::string ms = "127.0.0.1:5070";
  const std::vector<std::string> uris = {
      treatment_request(v1::Music, {}, ms).uri,
      treatment_request(v1::CollectDigits, [] {
        v1::KVList l;
        auto* p = l.add_pairs();
        p->set_key("MAX_DIGITS");
        p->set_num(4);
        return l;
      }(), ms).uri,
      conf_uri(ms, "4f2a9", "call-4f2a9.wav"),
  };
  for (const auto& uri : uris) {
    SCOPED_TRACE(uri);
    ASSERT_FALSE(uri.empty());
    const auto user = uri.substr(4, uri.find('@') - 4);  // after "sip:"
    EXPECT_EQ(find_extension(conf.extensions, context, user), "media-server");
  }
  // And the Voicemail DN sipcc overflows to stays voicemail, not the trunk.
  EXPECT_EQ(find_extension(conf.extensions, context, "9999"), "from-sipcc");
}

TEST(AsteriskConfParser, ExtensionPatternsMatchAsAsteriskDoes) {
  struct pattern_case {
    const char* pattern;
    const char* exten;
    bool match;
  };
  const std::vector<pattern_case> cases = {
      {"annc", "annc", true},      {"annc", "annc2", false},    {"_X.", "1000", true},
      {"_X.", "annc", false},      {"_X.", "1", false},         {"_X!", "1", true},
      {"_co[n]f=.", "conf=42", true}, {"_co[n]f=.", "conf=", false}, {"_NXX", "200", true},
      {"_NXX", "100", false},      {"_Z[0-5]", "15", true},     {"_Z[0-5]", "16", false},
      // Lower-case x, z, n are pattern characters too.
      {"_conf=.", "conf=42", false}, {"_conf=.", "co2f=42", true}, {"_nxx", "200", true},
      {"_x.", "1000", true},        {"_z", "0", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(exten_matches(c.pattern, c.exten), c.match) << c.pattern << " " << c.exten;
}

TEST(AsteriskLint, SipccYamlAddressesMatchPjsip) {
  const auto yaml = YAML::LoadFile(deploy_dir + "sipcc.yaml");
  const auto bind = yaml["sip-edge"]["bind"].as<std::string>();
  const auto& pjsip = shipped().pjsip;
  const auto* id = pjsip.find("sipcc", "identify");
  const auto* aor = pjsip.find("sipcc", "aor");
  const auto* transport = pjsip.find("transport-udp", "transport");
  ASSERT_NE(id, nullptr);
  ASSERT_NE(aor, nullptr);
  ASSERT_NE(transport, nullptr);
  // Asterisk knows each edge by its source IP:port and sends to it there:
  // edge1 at sip-edge.bind, edge2 where docker-compose.yml binds it (and
  // scripts/sipcc.sh, by default).
  const auto compose = YAML::LoadFile(SIPCC_SOURCE_DIR "/docker-compose.yml");
  const auto edge2 = compose["services"]["sip-edge-2"]["environment"];
  ASSERT_TRUE(edge2.IsMap()) << "docker-compose.yml: sip-edge-2's environment";
  const auto bind2 = edge2["SIPCC_EDGE_BIND"].as<std::string>();
  EXPECT_EQ(edge2["SIPCC_INSTANCE"].as<std::string>(), "edge2");
  const auto script = read_file(SIPCC_SOURCE_DIR "/scripts/sipcc.sh");
  EXPECT_NE(script.find("SIPCC_EDGE2_BIND:-" + bind2 + "}"), std::string::npos)
      << "scripts/sipcc.sh runs edge2 at " << bind2 << " by default";
  EXPECT_EQ(id->values("match"), (std::vector<std::string>{bind, bind2}));
  EXPECT_EQ(id->value("endpoint"), "sipcc");
  EXPECT_EQ(aor->values("contact"), (std::vector<std::string>{"sip:" + bind, "sip:" + bind2}));
  // A dead edge is skipped only once the qualify has found it Unavailable.
  EXPECT_NE(aor->value("qualify_frequency").value_or("0"), "0");
  // sipcc sends to the port Asterisk listens on.
  const auto port = [](const std::string& host_port) {
    return host_port.substr(host_port.rfind(':'));
  };
  EXPECT_EQ(port(yaml["asterisk"]["address"].as<std::string>()),
            port(transport->value("bind").value_or("")));
}

TEST(AsteriskConfParser, ReadsSectionsTemplatesAndDialplan) {
  const auto file = parse_asterisk_conf(
      "; leading comment\r\n"
      "[base](!)\n"
      "type=endpoint\n"
      "allow = ulaw ; trailing comment\n"
      "[1000](base)\n"
      "allow=alaw\n"
      "aors=1000\n"
      "[1000]\n"
      "type=aor\n"
      "[ctx]\n"
      "exten => 1000,hint,PJSIP/1000&Custom:x,CustomPresence:1000\n"
      "exten => 8000,1,Set(A=b\\;c)\n"
      " same => n,Hangup()\n");
  ASSERT_TRUE(file.errors.empty()) << file.errors.front();

  struct value_case {
    const char* section;
    const char* type;
    const char* key;
    std::vector<std::string> values;
  };
  const std::vector<value_case> cases = {
      {"1000", "endpoint", "allow", {"ulaw", "alaw"}},  // inherited first, then own
      {"1000", "endpoint", "aors", {"1000"}},
      {"1000", "aor", "aors", {}},  // same name, other object
      {"ctx", "", "exten",
       {"1000,hint,PJSIP/1000&Custom:x,CustomPresence:1000", "8000,1,Set(A=b;c)"}},
  };
  for (const auto& c : cases) {
    const auto* section = file.find(c.section, c.type);
    ASSERT_NE(section, nullptr) << c.section << " type=" << c.type;
    EXPECT_EQ(section->values(c.key), c.values) << c.section << " " << c.key;
  }
  EXPECT_EQ(file.find("base"), nullptr) << "a template is not an object";
  EXPECT_EQ(file.find("1000", "endpoint")->value("allow"), "alaw") << "last one wins";

  const auto steps = dialplan_steps(file);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].priority, "hint");
  EXPECT_EQ(steps[0].data, "PJSIP/1000&Custom:x,CustomPresence:1000");
  EXPECT_EQ(steps[2].exten, "8000") << "same => continues the previous exten";
  EXPECT_EQ(steps[2].priority, "n");
  EXPECT_EQ(steps[2].data, "Hangup()");
}

// A valid miniature config; each broken case below replaces one file.
const char* const good_pjsip =
    "[t]\ntype=transport\nbind=127.0.0.1:5070\n"
    "[ep]\ntype=endpoint\naors=ep\nauth=ep-auth\ncontext=ctx\nsubscribe_context=hints\n"
    "[ep]\ntype=aor\nmailboxes=1@vm\n"
    "[ep-auth]\ntype=auth\n"
    "[ep]\ntype=identify\nendpoint=ep\nmatch=127.0.0.1:5060\n"
    "[list]\ntype=resource_list\nlist_item=ep\n";
const char* const good_extensions =
    "[hints]\nexten => ep,hint,PJSIP/ep\n"
    "[ctx]\nexten => 1,1,Dial(PJSIP/ep)\ninclude => hints\n";
const char* const good_voicemail = "[general]\n[vm]\n1 => 1234,One\n";

TEST(AsteriskLint, CatchesBrokenConfig) {
  struct broken {
    const char* what;
    const char* pjsip;
    const char* extensions;
    const char* voicemail;
    const char* expected;  // part of one finding
  };
  const std::vector<broken> cases = {
      {"endpoint to a missing aor",
       "[ep]\ntype=endpoint\naors=nope\ncontext=ctx\nsubscribe_context=hints\n",
       nullptr, nullptr, "aor nope does not exist"},
      {"endpoint without aors", "[ep]\ntype=endpoint\n", nullptr, nullptr, "no aors="},
      {"endpoint to a missing auth",
       "[ep]\ntype=endpoint\naors=ep\nauth=gone\n[ep]\ntype=aor\n", nullptr, nullptr,
       "auth gone does not exist"},
      {"identify to a missing endpoint",
       "[x]\ntype=identify\nendpoint=ghost\nmatch=1.2.3.4\n", nullptr, nullptr,
       "endpoint 'ghost' does not exist"},
      {"identify without match", "[ep]\ntype=endpoint\naors=ep\n[ep]\ntype=aor\n"
       "[x]\ntype=identify\nendpoint=ep\n", nullptr, nullptr, "no match="},
      {"hint to a missing endpoint", nullptr,
       "[hints]\nexten => ep,hint,PJSIP/ep\nexten => 7,hint,PJSIP/ghost\n[ctx]\n",
       nullptr, "PJSIP/ghost names no endpoint"},
      {"Dial to a missing endpoint", nullptr,
       "[hints]\nexten => ep,hint,PJSIP/ep\n[ctx]\nexten => 7,1,Dial(PJSIP/${EXTEN})\n",
       nullptr, "Dial PJSIP/7 names no endpoint"},
      {"Dial through a missing endpoint", nullptr,
       "[hints]\nexten => ep,hint,PJSIP/ep\n[ctx]\nexten => _X.,1,Dial(PJSIP/${EXTEN}@gw)\n",
       nullptr, "Dial PJSIP/${EXTEN}@gw names no endpoint"},
      {"missing context", nullptr, "[hints]\nexten => ep,hint,PJSIP/ep\n", nullptr,
       "context ctx is not in extensions.conf"},
      {"missing include", nullptr,
       "[hints]\nexten => ep,hint,PJSIP/ep\n[ctx]\ninclude => elsewhere\n", nullptr,
       "include elsewhere is not in extensions.conf"},
      {"list item without a hint", nullptr, "[hints]\n[ctx]\n", nullptr,
       "item ep has no hint in hints"},
      {"missing mailbox", nullptr, nullptr, "[vm]\n2 => 1234\n",
       "mailbox 1@vm is not in voicemail.conf"},
      {"unknown template", "[ep](nothere)\n", nullptr, nullptr,
       "pjsip.conf line 1: unknown template 'nothere'"},
      {"line that is no entry", nullptr, "[ctx]\nexten 1,1,Hangup()\n", nullptr,
       "extensions.conf line 2: expected 'key = value'"},
      {"transport open to the network", "[t]\ntype=transport\nbind=0.0.0.0:5070\n", nullptr,
       nullptr, "transport t: bind=0.0.0.0:5070 is not on this host"},
      {"transport without bind (every address)", "[t]\ntype=transport\n", nullptr, nullptr,
       "transport t: no bind="},
      {"trunk off the host", "[trunk]\ntype=aor\ncontact=sip:192.0.2.1:5060\n", nullptr, nullptr,
       "aor trunk: contact=sip:192.0.2.1:5060 is not on this host"},
      {"identify of a network", "[x]\ntype=identify\nendpoint=ep\nmatch=127.0.0.1,10.0.0.0/8\n",
       nullptr, nullptr, "identify x: match=10.0.0.0/8 is not on this host"},
  };
  for (const auto& c : cases) {
    const asterisk_conf conf{
        parse_asterisk_conf(c.pjsip ? c.pjsip : good_pjsip),
        parse_asterisk_conf(c.extensions ? c.extensions : good_extensions),
        parse_asterisk_conf(c.voicemail ? c.voicemail : good_voicemail)};
    finding_list findings;
    for (const auto& check : all_checks) {
      const auto found = check.check(conf);
      findings.insert(findings.end(), found.begin(), found.end());
    }
    const auto hit = std::find_if(findings.begin(), findings.end(), [&](const auto& f) {
      return f.find(c.expected) != std::string::npos;
    });
    EXPECT_NE(hit, findings.end()) << c.what << "; findings:\n" << joined(findings);
  }
}

TEST(AsteriskConfParser, AddressHostOfEveryForm) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"127.0.0.1", "127.0.0.1"},
      {"0.0.0.0:5070", "0.0.0.0"},
      {"10.0.0.0/8", "10.0.0.0"},
      {"[::1]:5070", "::1"},
      {"[::]:5070", "::"},
      {"::1", "::1"},
      {"fe80::/10", "fe80::"},
      {"sip:192.0.2.1:5060", "192.0.2.1"},
      {"sip:trunk@127.0.0.1:5090;transport=udp", "127.0.0.1"},
      {"sips:carrier.example.com", "carrier.example.com"},
      {" localhost:5060 ", "localhost"},
  };
  for (const auto& [address, host] : cases) EXPECT_EQ(address_host(address), host) << address;
}

TEST(AsteriskLint, MiniatureConfigIsClean) {
  // The baseline the broken cases start from must itself pass every check.
  const asterisk_conf conf{parse_asterisk_conf(good_pjsip),
                           parse_asterisk_conf(good_extensions),
                           parse_asterisk_conf(good_voicemail)};
  for (const auto& check : all_checks)
    EXPECT_TRUE(check.check(conf).empty()) << check.name << ":\n"
                                           << joined(check.check(conf));
}

}  // namespace
}  // namespace sipcc::test
