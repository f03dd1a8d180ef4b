// The Configuration Layer: the shipped deploy/sipcc.yaml, and one table of
// broken snippets with the exact "<file>:<line>: <reason>" each must give.
#include "sipcc/config.hpp"
#include "sipcc/agent_auth.hpp"

#include <gtest/gtest.h>

#include <map>

namespace sipcc {
namespace {

const std::string default_file = std::string(SIPCC_SOURCE_DIR) + "/deploy/sipcc.yaml";

TEST(ConfigDefaultFile, LoadsTheDemo) {
  const config cfg = load_config(default_file);
  EXPECT_EQ(cfg.file, default_file);
  EXPECT_EQ(cfg.nats_url, "nats://127.0.0.1:4222");
  EXPECT_EQ(cfg.sip_bind.str(), "127.0.0.1:5060");
  EXPECT_EQ(cfg.asterisk.str(), "127.0.0.1:5070");
  EXPECT_TRUE(cfg.asterisk_peers.empty());
  EXPECT_TRUE(cfg.resource_lists.empty());
  // No media servers listed: the one Asterisk is the pool.
  ASSERT_EQ(cfg.media.servers.size(), 1u);
  EXPECT_EQ(cfg.media.servers[0].name, "asterisk");
  EXPECT_EQ(cfg.media.servers[0].address.str(), "127.0.0.1:5070");

  struct dn_case {
    const char* number;
    v1::DnType type;
    bool monitor;
    presence_package package;
  };
  const std::vector<dn_case> dns = {
      {"1000", v1::Extension, true, presence_package::presence},
      {"1001", v1::Extension, true, presence_package::presence},
      {"1002", v1::Extension, true, presence_package::dialog},
      {"2000", v1::ACDPosition, false, presence_package::presence},  // registers on sipcc
      {"2001", v1::ACDPosition, true, presence_package::presence},
      {"8000", v1::RoutingPoint, false, presence_package::presence},
      {"9999", v1::Voicemail, false, presence_package::presence},
  };
  ASSERT_EQ(cfg.dns.size(), dns.size());
  for (const auto& c : dns) {
    SCOPED_TRACE(c.number);
    const dn_config* dn = cfg.find_dn(c.number);
    ASSERT_NE(dn, nullptr);
    EXPECT_EQ(dn->type, c.type);
    EXPECT_EQ(dn->monitor, c.monitor);
    EXPECT_EQ(dn->package, c.package);
    EXPECT_EQ(dn->contact, c.number);  // contact defaults to the number
  }
  EXPECT_EQ(cfg.find_dn("1000")->mailbox, "1000@MY_COMPANY");
  EXPECT_TRUE(cfg.find_dn("2000")->registers_on_sipcc());
  EXPECT_EQ(cfg.app_options.at("voicemail-access-number"), "9999");

  for (const char* id : {"agent1000", "agent1001", "agent2000", "agent2001"})
    EXPECT_NE(cfg.find_agent(id), nullptr) << id;
  EXPECT_EQ(cfg.agent_logins.size(), 4u);
  ASSERT_EQ(cfg.agent_groups.size(), 1u);
  EXPECT_EQ(cfg.agent_groups[0].name, "Sales");
  EXPECT_EQ(cfg.agent_groups[0].members, (std::vector<std::string>{"agent2000", "agent2001"}));
  EXPECT_EQ(cfg.agent_groups[0].mailbox, "5000@GVM_DN");
  EXPECT_EQ(cfg.mwi.instance, "mwi-0");
  EXPECT_EQ(cfg.callctl.instance, "callctl-0");
  EXPECT_EQ(cfg.callctl.shards, 16u);
  EXPECT_EQ(cfg.callctl.lease_ttl_ms, 1500u);

  // Options are validated, then kept as strings.
  EXPECT_EQ(cfg.app_options.at("mwi-extension-enable"), "true");
  EXPECT_EQ(cfg.app_options.at("default-dn"), "9999");
  EXPECT_EQ(cfg.app_options.at("agent-no-answer-action"), "notready");
  // The default router's Routing Point.
  EXPECT_EQ(cfg.find_dn("8000")->options,
            (std::map<std::string, std::string>{
                {"agent-group", "Sales"}, {"default-dn", "9999"}, {"max-wait", "120"}, {"router-timeout", "130"},
                {"treatment", "Music MUSIC=default"}}));
}

// Found through the index of a parsed config, and still in one extended by
// hand after parsing (tests do), which the index does not cover.
TEST(ConfigDefaultFile, FindsDnsAndAgentsParsedOrAddedByHand) {
  config cfg = load_config(default_file);
  EXPECT_EQ(cfg.dn_index.size(), cfg.dns.size());
  EXPECT_EQ(cfg.find_dn("2001")->number, "2001");
  EXPECT_EQ(cfg.find_agent("agent2001")->id, "agent2001");
  EXPECT_EQ(cfg.find_dn("7777"), nullptr);
  EXPECT_EQ(cfg.find_agent("nobody"), nullptr);
  dn_config added;
  added.number = "7777";
  cfg.dns.push_back(added);
  agent_login_config agent;
  agent.id = "agent7777";
  cfg.agent_logins.push_back(agent);
  EXPECT_EQ(cfg.find_dn("7777")->number, "7777");
  EXPECT_EQ(cfg.find_dn("1000")->number, "1000");
  EXPECT_EQ(cfg.find_agent("agent7777")->id, "agent7777");
  cfg.build_index();
  EXPECT_EQ(cfg.find_dn("7777"), &cfg.dns.back());
}

TEST(ConfigLoad, MissingFileSaysCannotOpen) {
  try {
    load_config("/nonexistent/sipcc.yaml");
    FAIL() << "no config_error";
  } catch (const config_error& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/sipcc.yaml: cannot open");
  }
}

// Values that are accepted and how they are stored.
TEST(ConfigParse, AcceptedValues) {
  struct good_case {
    const char* name;
    const char* yaml;
    void (*check)(const config&);
  };
  const std::vector<good_case> cases = {
      {"empty file is all defaults", "",
       [](const config& c) {
         EXPECT_TRUE(c.dns.empty());
         EXPECT_EQ(c.subscribe_expires, 600u);
       }},
      {"empty sections are empty", "bus:\ndns:\napplication:\n",
       [](const config& c) {
         EXPECT_TRUE(c.dns.empty());
         EXPECT_TRUE(c.app_options.empty());
       }},
      {"further Asterisk peers, IPv6 too",
       "asterisk: { address: 10.0.0.7:5070, peers: [ 10.0.0.8:5070, '[2001:db8::1]:5080' ] }",
       [](const config& c) {
         EXPECT_EQ(c.asterisk.str(), "10.0.0.7:5070");
         ASSERT_EQ(c.asterisk_peers.size(), 2u);
         EXPECT_EQ(c.asterisk_peers[0].str(), "10.0.0.8:5070");
         EXPECT_EQ(c.asterisk_peers[1].str(), "[2001:db8::1]:5080");
       }},
      {"yes is a bool, stored as true", "application: { mwi-extension-enable: yes }",
       [](const config& c) { EXPECT_EQ(c.app_options.at("mwi-extension-enable"), "true"); }},
      {"monitor defaults by type, contact overrides the number",
       "dns:\n  - { number: '3000', type: Trunk, contact: trunk-a }\n  - { number: '3001' }\n",
       [](const config& c) {
         EXPECT_FALSE(c.dns[0].monitor);
         EXPECT_EQ(c.dns[0].contact, "trunk-a");
         EXPECT_EQ(c.dns[1].type, v1::Extension);
         EXPECT_TRUE(c.dns[1].monitor);
         EXPECT_EQ(c.dns[1].line, 3);
       }},
      // subscribe-rate: k_min_subscribe_rate..k_max_subscribe_rate, fractions too.
      {"presence rate at the top", "presence: { subscribe-rate: 500 }",
       [](const config& c) { EXPECT_DOUBLE_EQ(c.subscribe_rate, 500); }},
      {"presence rate with a fraction", "presence: { subscribe-rate: 37.5 }",
       [](const config& c) { EXPECT_DOUBLE_EQ(c.subscribe_rate, 37.5); }},
      {"mwi rate at the bottom", "mwi: { subscribe-rate: 20 }",
       [](const config& c) { EXPECT_DOUBLE_EQ(c.mwi.subscribe_rate, 20); }},
      {"an unmonitored Extension",
       "dns: [ { number: '1000', monitor: false } ]",
       [](const config& c) { EXPECT_FALSE(c.dns[0].monitor); }},
      {"resource list over monitored DNs",
       "dns: [ { number: '1000' }, { number: '1001' } ]\n"
       "presence: { resource-lists: [ { name: agents, dns: ['1000', '1001'] } ] }\n",
       [](const config& c) {
         ASSERT_EQ(c.resource_lists.size(), 1u);
         EXPECT_EQ(c.resource_lists[0].dns, (std::vector<std::string>{"1000", "1001"}));
       }},
      {"settings and per-DN options",
       "sip-edge: { bind: '[::1]:5062', t1x64-ms: 4000 }\n"
       "presence: { subscribe-rate: 20, first-notify-timeout-ms: 1500, shards: 8,\n"
       "            lease-ttl-ms: 2000 }\n"
       "dns: [ { number: '1000', options: { no-answer-timeout: 15 } } ]\n",
       [](const config& c) {
         EXPECT_EQ(c.sip_bind.host, "[::1]");
         EXPECT_EQ(c.sip_bind.port, 5062);
         EXPECT_EQ(c.sip_t1x64_ms, 4000u);
         EXPECT_DOUBLE_EQ(c.subscribe_rate, 20);
         EXPECT_EQ(c.first_notify_timeout_ms, 1500u);
         EXPECT_EQ(c.presence_shards, 8u);
         EXPECT_EQ(c.presence_lease_ttl_ms, 2000u);
         EXPECT_EQ(c.mwi.shards, 16u);
         EXPECT_EQ(c.mwi.first_notify_timeout_ms, 5000u);
         EXPECT_EQ(c.dns[0].options.at("no-answer-timeout"), "15");
       }},
      {"callctl members", "callctl: { instance: cc-1, shards: 64, lease-ttl-ms: 3000 }\n",
       [](const config& c) {
         EXPECT_EQ(c.callctl.instance, "cc-1");
         EXPECT_EQ(c.callctl.shards, 64u);
         EXPECT_EQ(c.callctl.lease_ttl_ms, 3000u);
       }},
      {"mwi settings, mailboxes and MWI objects",
       "mwi: { instance: mwi-1, subscribe-rate: 500, subscribe-expires: 300, retry-interval: 7,\n"
       "       resubscribe-backoff-max: 9, first-notify-timeout-ms: 2500, shards: 4,\n"
       "       lease-ttl-ms: 900 }\n"
       "agent-logins: [ { id: a1, mailbox: 3001@MY_COMPANY, mwi-object: avm-3001 } ]\n"
       "agent-groups: [ { name: g, members: [a1], mailbox: '5000' } ]\n"
       "dns: [ { number: '1000', mailbox: 1000@MY_COMPANY, mwi-object: gvm.1000 } ]\n",
       [](const config& c) {
         EXPECT_EQ(c.mwi.instance, "mwi-1");
         EXPECT_DOUBLE_EQ(c.mwi.subscribe_rate, 500);
         EXPECT_EQ(c.mwi.subscribe_expires, 300u);
         EXPECT_EQ(c.mwi.retry_s, 7u);
         EXPECT_EQ(c.mwi.backoff_max_s, 9u);
         EXPECT_EQ(c.mwi.first_notify_timeout_ms, 2500u);
         EXPECT_EQ(c.mwi.shards, 4u);
         EXPECT_EQ(c.mwi.lease_ttl_ms, 900u);
         EXPECT_EQ(c.first_notify_timeout_ms, 5000u);
         EXPECT_EQ(c.agent_logins[0].mwi_object, "avm-3001");
         EXPECT_EQ(c.agent_groups[0].mailbox, "5000");
         EXPECT_EQ(c.dns[0].mwi_object, "gvm.1000");
       }},
      {"router settings",
       "router: { instance: router-9, lease-ttl-ms: 3000 }\n",
       [](const config& c) {
         EXPECT_EQ(c.router.instance, "router-9");
         EXPECT_EQ(c.router.lease_ttl_ms, 3000u);
       }},
      {"agent passwords are kept as keys only",
       "agent-logins:\n  - { password: pw, id: a1 }\n  - { id: a2, password: '' }\n"
       "  - { id: a3, password-key: eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee }\n",
       [](const config& c) {
         EXPECT_EQ(c.agent_logins[0].password_key, agent_password_key("a1", "pw"));
         EXPECT_EQ(c.agent_logins[1].password_key, "");  // no check
         EXPECT_EQ(c.agent_logins[2].password_key, std::string(64, 'e'));
       }},
      {"Routing Point options; default-dn may name a DN further down",
       "agent-logins: [ { id: a1 } ]\nagent-groups: [ { name: g, members: [a1] } ]\n"
       "dns:\n  - number: '8000'\n    type: RoutingPoint\n"
       "    options: { agent-group: g, default-dn: '9999', router-timeout: 5, max-wait: 0,\n"
       "               treatment: 'Music MUSIC=jazz' }\n"
       "  - { number: '9999', type: Voicemail }\n",
       [](const config& c) {
         EXPECT_EQ(c.dns[0].options,
                   (std::map<std::string, std::string>{{"agent-group", "g"},
                                                       {"default-dn", "9999"},
                                                       {"router-timeout", "5"},
                                                       {"max-wait", "0"},
                                                       {"treatment", "Music MUSIC=jazz"}}));
       }},
      {"SIP message cap: default, and a list whose NOTIFY fits a set one",
       "sip-edge: { max-message-bytes: 4096 }\n"
       "dns: [ { number: '1' }, { number: '2' }, { number: '3' } ]\n"
       "presence: { resource-lists: [ { name: l, dns: ['1', '2', '3'] } ] }\n",
       [](const config& c) {
         EXPECT_EQ(config{}.sip_max_message_bytes, 16384u);
         EXPECT_EQ(c.sip_max_message_bytes, 4096u);
       }},
      {"registrar defaults", "",
       [](const config& c) {
         EXPECT_EQ(c.realm, "sipcc");
         EXPECT_EQ(c.register_min_expires_s, 60u);
         EXPECT_EQ(c.register_max_expires_s, 3600u);
       }},
      {"registrar settings; a DN with a password is not monitored",
       "sip-edge: { realm: cc.example, register-min-expires: 30, register-max-expires: 30 }\n"
       "dns: [ { number: '2000', type: ACDPosition, password: s3cret },\n"
       "       { number: '9999', type: Voicemail, contact: 'sip:vm@10.0.0.5' } ]\n"
       "application: { voicemail-access-number: '9999' }\n",
       [](const config& c) {
         EXPECT_EQ(c.realm, "cc.example");
         EXPECT_EQ(c.register_min_expires_s, 30u);
         EXPECT_EQ(c.register_max_expires_s, 30u);
         EXPECT_EQ(c.dns[0].password, "s3cret");
         EXPECT_TRUE(c.dns[0].registers_on_sipcc());
         EXPECT_FALSE(c.dns[0].monitor);
         EXPECT_FALSE(c.dns[1].registers_on_sipcc());
         EXPECT_EQ(c.app_options.at("voicemail-access-number"), "9999");
       }},
      {"the TMakeCall ringback bound",
       "application: { make-call-ringback-timeout: 30 }\n",
       [](const config& c) { EXPECT_EQ(c.app_options.at("make-call-ringback-timeout"), "30"); }},
      {"a voicemail access number that is not a DN",
       "application: { voicemail-access-number: '*97' }\n",
       [](const config& c) { EXPECT_EQ(c.app_options.at("voicemail-access-number"), "*97"); }},
      {"a DN recording every call",
       "dns: [ { number: '1000', options: { record: true } } ]\n",
       [](const config& c) { EXPECT_EQ(c.dns[0].options.at("record"), "true"); }},
      {"remote answer of phones registered on sipcc",
       "dns: [ { number: '2000', type: ACDPosition, password: x, options: { remote-answer: talk } },\n"
       "       { number: '2001', password: x, options: { remote-answer: answer-after } } ]\n",
       [](const config& c) {
         EXPECT_EQ(c.dns[0].options.at("remote-answer"), "talk");
         EXPECT_EQ(c.dns[1].options.at("remote-answer"), "answer-after");
       }},
      {"without media servers, one at asterisk.address: no limit, plays everything",
       "asterisk: { address: 10.0.0.7:5070 }\n",
       [](const config& c) {
         ASSERT_EQ(c.media.servers.size(), 1u);
         const auto& s = c.media.servers[0];
         EXPECT_EQ(s.address.str(), "10.0.0.7:5070");
         EXPECT_EQ(s.weight, 1u);
         EXPECT_EQ(s.capacity, 0u);
         EXPECT_TRUE(s.treatments.empty() && s.locales.empty() && s.prompts.empty());
       }},
      {"media servers with what each serves",
       "media:\n"
       "  instance: media-1\n"
       "  options-interval-ms: 2000\n"
       "  options-timeout-ms: 500\n"
       "  out-after: 2\n"
       "  back-after: 1\n"
       "  pending-ms: 3000\n"
       "  lease-ttl-ms: 2500\n"
       "  recordings-dir: /var/spool/asterisk/monitor\n"
       "  servers:\n"
       "    - name: ms1\n"
       "      address: ms1.example.com:5060\n"
       "      weight: 3\n"
       "      capacity: 200\n"
       "      treatments: [Music, PlayAnnouncement]\n"
       "      locales: [en, fr-CA]\n"
       "      prompts: [queue-welcome, digits/1]\n"
       "    - { name: ms2, address: 10.0.0.9:5060 }\n",
       [](const config& c) {
         EXPECT_EQ(c.media.instance, "media-1");
         EXPECT_EQ(c.media.options_interval_ms, 2000u);
         EXPECT_EQ(c.media.options_timeout_ms, 500u);
         EXPECT_EQ(c.media.out_after, 2u);
         EXPECT_EQ(c.media.back_after, 1u);
         EXPECT_EQ(c.media.pending_ms, 3000u);
         EXPECT_EQ(c.media.lease_ttl_ms, 2500u);
         EXPECT_EQ(c.media.recordings_dir, "/var/spool/asterisk/monitor");
         ASSERT_EQ(c.media.servers.size(), 2u);
         const auto& s = c.media.servers[0];
         EXPECT_EQ(s.name, "ms1");
         EXPECT_EQ(s.address.str(), "ms1.example.com:5060");
         EXPECT_EQ(s.weight, 3u);
         EXPECT_EQ(s.capacity, 200u);
         EXPECT_EQ(s.treatments, (std::vector<v1::TreatmentType>{v1::Music, v1::PlayAnnouncement}));
         EXPECT_EQ(s.locales, (std::vector<std::string>{"en", "fr-CA"}));
         EXPECT_EQ(s.prompts, (std::vector<std::string>{"queue-welcome", "digits/1"}));
         EXPECT_EQ(s.line, 11);
         EXPECT_EQ(c.media.servers[1].weight, 1u);
         EXPECT_EQ(c.media.servers[1].capacity, 0u);
       }},
      {"agent-groups may follow the dns in the file",
       "dns: [ { number: '8000', type: RoutingPoint, options: { agent-group: g } } ]\n"
       "agent-groups: [ { name: g } ]\n",
       [](const config& c) { EXPECT_EQ(c.dns[0].options.at("agent-group"), "g"); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    c.check(parse_config(c.yaml, "t.yaml"));
  }
}

TEST(ConfigParse, RejectsWithFileLineAndReason) {
  struct bad_case {
    const char* name;
    std::string yaml;
    std::string error;
  };
  const std::string two_dns = "dns: [ { number: '1000' }, { number: '1001' } ]\n";
  const std::string ms1 = "media:\n  servers:\n    - { name: ms1, address: 10.0.0.1:5060";
  const std::vector<bad_case> cases = {
      // Unknown keys, in every section.
      {"top level", "bus: {}\nbogus: 1\n", "t.yaml:2: unknown key 'bogus' in top level"},
      {"bus", "bus:\n  nats: x\n", "t.yaml:2: unknown key 'nats' in bus"},
      {"sip-edge", "sip-edge: { ids: e }", "t.yaml:1: unknown key 'ids' in sip-edge"},
      {"asterisk", "asterisk: { host: x }", "t.yaml:1: unknown key 'host' in asterisk"},
      {"presence", "presence:\n  rate: 5\n", "t.yaml:2: unknown key 'rate' in presence"},
      {"mwi", "mwi:\n  retry: 5\n", "t.yaml:2: unknown key 'retry' in mwi"},
      {"callctl", "callctl:\n  shard: 4\n", "t.yaml:2: unknown key 'shard' in callctl"},
      {"RP treatment", "dns: [ { number: '8000', type: RoutingPoint, options: { treatment: Jazz } } ]",
       "t.yaml:1: treatment: 'Jazz' is not a TreatmentType (Music, RingBack, Silence, Busy, "
       "FastBusy, PlayAnnouncement, CollectDigits, PlayAnnouncementAndDigits)"},
      {"RP treatment parms",
       "dns: [ { number: '8000', type: RoutingPoint, options: { treatment: PlayAnnouncement } } ]",
       "t.yaml:1: treatment: PROMPT is required"},
      {"mwi retry", "mwi: { retry-interval: 0 }", "t.yaml:1: retry-interval: must be >= 1, got 0"},
      {"mailbox box", "dns: [ { number: '1', mailbox: '@ctx' } ]",
       "t.yaml:1: mailbox: '@ctx' must be <box>@<context> with the box in [A-Za-z0-9_+-]"},
      {"mwi object", "agent-logins: [ { id: a, mwi-object: 'gvm 1' } ]",
       "t.yaml:1: mwi-object: 'gvm 1' must match [A-Za-z0-9_+-.]+ (it becomes a bus subject "
       "token)"},
      {"resource-lists", "presence: { resource-lists: [ { name: a, dn: [] } ] }",
       "t.yaml:1: unknown key 'dn' in resource-lists"},
      {"application", "application: { router-timeuot: 1 }",
       "t.yaml:1: unknown key 'router-timeuot' in application"},
      {"dns", "dns:\n  - number: '1000'\n    typ: Extension\n", "t.yaml:3: unknown key 'typ' in dns"},
      {"DN options", "dns: [ { number: '1000', options: { foo: 1 } } ]",
       "t.yaml:1: unknown key 'foo' in options"},
      {"agent password and key", "agent-logins: [ { id: a1, password: x, password-key: x } ]",
       "t.yaml:1: password-key: give password or password-key, not both"},
      {"agent password key", "agent-logins: [ { id: a1, password-key: ABC } ]",
       "t.yaml:1: password-key: must be 64 lower-case hex digits (sipccctl password-key prints "
       "it), got 'ABC'"},
      {"agent-logins", "agent-logins: [ { id: a1, pin: 1 } ]",
       "t.yaml:1: unknown key 'pin' in agent-logins"},
      {"agent options", "agent-logins: [ { id: a1, options: { default-dn: x } } ]",
       "t.yaml:1: unknown key 'default-dn' in options"},
      {"agent-groups", "agent-groups: [ { name: g, member: [] } ]",
       "t.yaml:1: unknown key 'member' in agent-groups"},
      {"repeated key", "bus: {}\nbus: {}\n", "t.yaml:2: duplicate key 'bus' in top level (first at line 1)"},
      {"missing identity", "dns: [ { type: Extension } ]", "t.yaml:1: missing key 'number' in dns"},
      // Wrong types.
      {"not a number", "sip-edge: { t1x64-ms: abc }",
       "t.yaml:1: t1x64-ms: expected a whole number, got 'abc'"},
      // SIP message cap: an INVITE with SDP needs some KB; no datagram exceeds 64 KB.
      {"message cap too small", "sip-edge: { max-message-bytes: 1024 }",
       "t.yaml:1: max-message-bytes: must be 4096..65535, got 1024"},
      {"message cap too large", "sip-edge: { max-message-bytes: 70000 }",
       "t.yaml:1: max-message-bytes: must be 4096..65535, got 70000"},
      // The edge would drop the list's NOTIFYs unread.
      {"list NOTIFY above the message cap",
       "sip-edge: { max-message-bytes: 4096 }\n"
       "dns: [ { number: '1' }, { number: '2' }, { number: '3' }, { number: '4' } ]\n"
       "presence: { resource-lists: [ { name: l, dns: ['1', '2', '3', '4'] } ] }\n",
       "t.yaml:3: dns: resource list 'l' of 4 DNs brings NOTIFYs of up to about 4648 bytes, above "
       "sip-edge.max-message-bytes (4096): raise that to at least 4648"},
      {"negative seconds", "application: { router-timeout: -1 }",
       "t.yaml:1: router-timeout: must be >= 0, got -1"},
      // The agent phone's 2xx is retransmitted for 32 s only: the ACK must come before.
      {"ringback bound too long", "application:\n  make-call-ringback-timeout: 31\n",
       "t.yaml:2: make-call-ringback-timeout: must be 1..30, got 31"},
      {"ringback bound zero", "application: { make-call-ringback-timeout: 0 }",
       "t.yaml:1: make-call-ringback-timeout: must be 1..30, got 0"},
      {"not a bool", "application: { mwi-extension-enable: maybe }",
       "t.yaml:1: mwi-extension-enable: expected true or false, got 'maybe'"},
      {"section not a map", "bus: [ a ]", "t.yaml:1: bus: expected a map"},
      {"dns not a list", "dns: { number: '1' }", "t.yaml:1: dns: expected a list"},
      {"map for a string", "dns: [ { number: { a: 1 } } ]", "t.yaml:1: number: expected a string"},
      // Bad enums.
      {"DN type", "dns: [ { number: '1', type: Phone } ]",
       "t.yaml:1: type: 'Phone' is not one of Extension|ACDPosition|RoutingPoint|Voicemail|Trunk"},
      {"presence package", "dns: [ { number: '1', presence: xpidf } ]",
       "t.yaml:1: presence: 'xpidf' is not one of presence|dialog"},
      {"no-answer action", "application: { agent-no-answer-action: hangup }",
       "t.yaml:1: agent-no-answer-action: 'hangup' is not one of none|notready|logout"},
      // Addresses.
      {"port too big", "asterisk: { address: 127.0.0.1:70000 }",
       "t.yaml:1: address: port must be 1..65535, got '70000'"},
      {"port zero", "sip-edge: { bind: 127.0.0.1:0 }", "t.yaml:1: bind: port must be 1..65535, got '0'"},
      {"no port", "sip-edge: { bind: localhost }",
       "t.yaml:1: bind: expected host:port, got 'localhost'"},
      // Trusted peers are matched by the packet's source, which is never a name.
      {"Asterisk by name", "asterisk: { address: pbx.example:5070 }",
       "t.yaml:1: address: 'pbx.example' must be a numeric IP address (requests are matched by "
       "their source IP:port)"},
      {"peer by name", "asterisk:\n  peers:\n    - 10.0.0.8:5070\n    - pbx2:5070\n",
       "t.yaml:4: peers: 'pbx2' must be a numeric IP address (requests are matched by their "
       "source IP:port)"},
      {"peer without port", "asterisk: { peers: [ 10.0.0.8 ] }",
       "t.yaml:1: peers: expected host:port, got '10.0.0.8'"},
      {"peers not a list", "asterisk: { peers: 10.0.0.8:5070 }",
       "t.yaml:1: peers: expected a list"},
      {"peer twice", "asterisk:\n  address: 10.0.0.7:5070\n  peers: [ '10.0.0.8:5070', '[::1]:5070', '[0::1]:5070' ]\n",
       "t.yaml:3: peers: [0::1]:5070 is listed twice (address and peers count together)"},
      {"peer is the address", "asterisk: { address: 127.0.0.1:5070, peers: [ 127.0.0.1:5070 ] }",
       "t.yaml:1: peers: 127.0.0.1:5070 is listed twice (address and peers count together)"},
      // Duplicates name the first line.
      {"duplicate DN", "dns:\n  - { number: '1000' }\n  - { number: '1001' }\n  - { number: '1000' }\n",
       "t.yaml:4: duplicate DN '1000' (first at line 2)"},
      {"duplicate AgentID", "agent-logins:\n  - { id: a1 }\n  - { id: a1 }\n",
       "t.yaml:3: duplicate AgentID 'a1' (first at line 2)"},
      {"duplicate group", "agent-groups:\n  - { name: g }\n  - { name: g }\n",
       "t.yaml:3: duplicate agent group 'g' (first at line 2)"},
      // References.
      {"unknown group member", "agent-logins: [ { id: a1 } ]\nagent-groups:\n  - name: g\n    members:\n      - a1\n      - a2\n",
       "t.yaml:6: members: unknown AgentID 'a2'"},
      {"default-dn unknown", two_dns + "application: { default-dn: '7777' }",
       "t.yaml:2: default-dn: unknown DN '7777'"},
      {"list DN unknown", two_dns + "presence: { resource-lists: [ { name: l, dns: ['1002'] } ] }",
       "t.yaml:2: dns: unknown DN '1002'"},
      {"list DN not monitored",
       "dns: [ { number: '8000', type: RoutingPoint } ]\n"
       "presence: { resource-lists: [ { name: l, dns: ['8000'] } ] }",
       "t.yaml:2: dns: DN '8000' is not monitored"},
      {"list DN in two lists",
       two_dns + "presence:\n  resource-lists:\n    - { name: l1, dns: ['1000'] }\n"
                 "    - { name: l2, dns: ['1001', '1000'] }\n",
       "t.yaml:5: dns: DN '1000' is already in resource list 'l1' (line 4)"},
      {"list DN of another package",
       "dns: [ { number: '1000', presence: dialog } ]\n"
       "presence: { resource-lists: [ { name: l, package: presence, dns: ['1000'] } ] }",
       "t.yaml:2: dns: DN '1000' has another presence package than the list"},
      // Routing Point options.
      {"agent-group on an Extension",
       "agent-groups: [ { name: g } ]\ndns:\n  - { number: '1000', options: { agent-group: g } }\n",
       "t.yaml:3: agent-group: only valid on a RoutingPoint (DN 1000 is of type Extension)"},
      {"max-wait on an ACD Position",
       "dns:\n  - number: '2000'\n    type: ACDPosition\n    options:\n      max-wait: 30\n",
       "t.yaml:5: max-wait: only valid on a RoutingPoint (DN 2000 is of type ACDPosition)"},
      {"default-dn on a Voicemail DN",
       "dns: [ { number: '9999', type: Voicemail, options: { default-dn: '9999' } } ]",
       "t.yaml:1: default-dn: only valid on a RoutingPoint (DN 9999 is of type Voicemail)"},
      {"unknown agent group",
       "dns:\n  - { number: '8000', type: RoutingPoint, options: { agent-group: Support } }\n",
       "t.yaml:2: agent-group: unknown agent group 'Support'"},
      {"RP default-dn unknown",
       "dns:\n  - { number: '1000' }\n  - number: '8000'\n    type: RoutingPoint\n"
       "    options:\n      default-dn: '7777'\n",
       "t.yaml:6: default-dn: unknown DN '7777'"},
      {"RP its own default-dn",
       "dns: [ { number: '8000', type: RoutingPoint, options: { default-dn: '8000' } } ]",
       "t.yaml:1: default-dn: a Routing Point cannot be its own default-dn"},
      {"negative max-wait",
       "dns: [ { number: '8000', type: RoutingPoint, options: { max-wait: -5 } } ]",
       "t.yaml:1: max-wait: must be >= 0, got -5"},
      {"record not a bool", "dns: [ { number: '1000', options: { record: always } } ]",
       "t.yaml:1: record: expected true or false, got 'always'"},
      {"router-timeout not a number",
       "dns: [ { number: '8000', type: RoutingPoint, options: { router-timeout: soon } } ]",
       "t.yaml:1: router-timeout: expected a whole number, got 'soon'"},
      // Bus subject tokens.
      {"DN with a space", "dns: [ { number: '10 00' } ]",
       "t.yaml:1: number: '10 00' must match [A-Za-z0-9_+-]+ (it becomes a bus subject token)"},
      {"AgentID with a dot", "agent-logins: [ { id: a.b } ]",
       "t.yaml:1: id: 'a.b' must match [A-Za-z0-9_+-]+ (it becomes a bus subject token)"},
      {"edge id with a plus", "sip-edge: { id: edge+1 }",
       "t.yaml:1: id: 'edge+1' must match [A-Za-z0-9_-]+ (it becomes a bus subject token)"},
      // Leases.
      {"no shards", "mwi: { shards: 0 }", "t.yaml:1: shards: must be 1..1024, got 0"},
      {"a lease TTL too short to renew", "mwi:\n  lease-ttl-ms: 299\n",
       "t.yaml:2: lease-ttl-ms: must be 300..10000, got 299"},
      {"a router lease TTL too long", "router:\n  instance: r\n  lease-ttl-ms: 10001\n",
       "t.yaml:3: lease-ttl-ms: must be 300..10000, got 10001"},
      {"media: a lease TTL too short", "media: { lease-ttl-ms: 100 }",
       "t.yaml:1: lease-ttl-ms: must be 300..10000, got 100"},
      {"callctl: more shards than fit", "callctl:\n  shards: 1025\n",
       "t.yaml:2: shards: must be 1..1024, got 1025"},
      {"callctl: a lease TTL too long", "callctl: { lease-ttl-ms: 10001 }",
       "t.yaml:1: lease-ttl-ms: must be 300..10000, got 10001"},
      {"callctl: an instance that is no subject token", "callctl: { instance: cc.0 }",
       "t.yaml:1: instance: 'cc.0' must match [A-Za-z0-9_-]+ (it becomes a bus subject token)"},
      {"no presence shards", "presence:\n  shards: 0\n", "t.yaml:2: shards: must be 1..1024, got 0"},
      {"too many presence shards", "presence: { shards: 1025 }",
       "t.yaml:1: shards: must be 1..1024, got 1025"},
      {"a presence lease TTL too long", "presence:\n  instance: p\n  lease-ttl-ms: 10001\n",
       "t.yaml:3: lease-ttl-ms: must be 300..10000, got 10001"},
      // Presence ranges.
      {"rate 0", "presence: { subscribe-rate: 0 }", "t.yaml:1: subscribe-rate: must be 20..500, got 0"},
      {"rate below the bottom", "presence:\n  subscribe-rate: 19.9\n",
       "t.yaml:2: subscribe-rate: must be 20..500, got 19.9"},
      {"rate above the top", "presence: { subscribe-rate: 501 }",
       "t.yaml:1: subscribe-rate: must be 20..500, got 501"},
      {"rate unpaced", "presence: { subscribe-rate: 10000 }",
       "t.yaml:1: subscribe-rate: must be 20..500, got 10000"},
      {"rate negative", "presence: { subscribe-rate: -50 }",
       "t.yaml:1: subscribe-rate: must be 20..500, got -50"},
      {"rate not a number", "presence: { subscribe-rate: fast }",
       "t.yaml:1: subscribe-rate: expected a number, got 'fast'"},
      {"rate infinite", "presence: { subscribe-rate: inf }",
       "t.yaml:1: subscribe-rate: expected a number, got 'inf'"},
      {"mwi rate below the bottom", "mwi:\n  instance: mwi-0\n  subscribe-rate: 5\n",
       "t.yaml:3: subscribe-rate: must be 20..500, got 5"},
      {"mwi rate above the top", "mwi: { subscribe-rate: 2000 }",
       "t.yaml:1: subscribe-rate: must be 20..500, got 2000"},
      {"expires 4000", "presence: { subscribe-expires: 4000 }",
       "t.yaml:1: subscribe-expires: must be 1..3600, got 4000"},
      {"retry 0", "presence: { retry-interval: 0 }", "t.yaml:1: retry-interval: must be >= 1, got 0"},
      // Monitoring.
      {"monitor on a RoutingPoint", "dns:\n  - { number: '8000', type: RoutingPoint, monitor: true }\n",
       "t.yaml:2: monitor: only Extension and ACDPosition DNs can be monitored"},
      {"presence on an unmonitored DN", "dns: [ { number: '9999', type: Voicemail, presence: dialog } ]",
       "t.yaml:1: presence: DN 9999 is not monitored"},
      // Registrar.
      {"empty realm", "sip-edge: { realm: '' }", "t.yaml:1: realm: must not be empty"},
      {"min-expires 0", "sip-edge: { register-min-expires: 0 }",
       "t.yaml:1: register-min-expires: must be >= 1, got 0"},
      {"max below min", "sip-edge:\n  register-min-expires: 120\n  register-max-expires: 60\n",
       "t.yaml:3: register-max-expires: must not be below register-min-expires (120), got 60"},
      {"min above the default max", "sip-edge:\n  register-min-expires: 7200\n",
       "t.yaml:2: register-min-expires: must not exceed register-max-expires (3600), got 7200"},
      {"empty password", "dns: [ { number: '2000', password: '' } ]",
       "t.yaml:1: password: must not be empty"},
      {"password on a Routing Point", "dns: [ { number: '8000', type: RoutingPoint, password: x } ]",
       "t.yaml:1: password: only Extension and ACDPosition DNs can register on sipcc"},
      {"monitored DN with a password", "dns: [ { number: '2000', password: x, monitor: true } ]",
       "t.yaml:1: monitor: DN 2000 registers on sipcc (it has a password): it cannot be monitored "
       "on Asterisk"},
      {"access number names an Extension",
       "dns: [ { number: '1000' } ]\napplication: { voicemail-access-number: '1000' }",
       "t.yaml:2: voicemail-access-number: DN 1000 is of type Extension, not Voicemail"},
      {"access number with a dot", "application: { voicemail-access-number: '9.9' }",
       "t.yaml:1: voicemail-access-number: '9.9' is not a number a phone can dial "
       "([A-Za-z0-9*#+])"},
      // Remote answer.
      {"remote-answer value", "dns: [ { number: '2000', password: x, options: { remote-answer: yes } } ]",
       "t.yaml:1: remote-answer: 'yes' is not one of talk|answer-after"},
      {"remote-answer of a phone behind Asterisk",
       "dns:\n  - number: '1000'\n    options:\n      remote-answer: talk\n",
       "t.yaml:4: remote-answer: DN 1000 has no password: its phone is behind Asterisk, which "
       "passes neither the talk NOTIFY nor Call-Info on to it"},
      {"remote-answer on a Routing Point",
       "dns: [ { number: '8000', type: RoutingPoint, options: { remote-answer: talk } } ]",
       "t.yaml:1: remote-answer: only Extension and ACDPosition DNs have a phone to answer (DN "
       "8000 is of type RoutingPoint)"},
      // The media pool.
      {"media", "media:\n  interval: 5\n", "t.yaml:2: unknown key 'interval' in media"},
      {"media server key", ms1 + ", port: 5 }\n", "t.yaml:3: unknown key 'port' in servers"},
      {"media server name", "media:\n  servers:\n    - { address: 10.0.0.1:5060 }\n",
       "t.yaml:3: missing key 'name' in servers"},
      {"media server address", "media:\n  servers:\n    - { name: ms1 }\n",
       "t.yaml:3: missing key 'address' in servers"},
      {"media server name token", "media: { servers: [ { name: 'ms.1', address: a:1 } ] }",
       "t.yaml:1: name: 'ms.1' must match [A-Za-z0-9_-]+ (it becomes a bus subject token)"},
      {"media server name twice", ms1 + " }\n    - { name: ms1, address: 10.0.0.2:5060 }\n",
       "t.yaml:4: duplicate media server 'ms1' (first at line 3)"},
      {"media server address twice", ms1 + " }\n    - { name: ms2, address: 10.0.0.1:5060 }\n",
       "t.yaml:4: address: 10.0.0.1:5060 is already media server 'ms1' (line 3)"},
      {"media server address without port", "media: { servers: [ { name: a, address: host } ] }",
       "t.yaml:1: address: expected host:port, got 'host'"},
      {"media server weight", ms1 + ", weight: 0 }\n", "t.yaml:3: weight: must be 1..1000, got 0"},
      {"media server capacity", ms1 + ", capacity: 0 }\n",
       "t.yaml:3: capacity: must be >= 1, got 0"},
      {"media server treatment", ms1 + ", treatments: [Music, Jazz] }\n",
       "t.yaml:3: treatments: 'Jazz' is not one of Music|RingBack|Silence|Busy|FastBusy|"
       "PlayAnnouncement|CollectDigits|PlayAnnouncementAndDigits"},
      {"media server treatment twice", ms1 + ", treatments: [Music, Music] }\n",
       "t.yaml:3: treatments: 'Music' is listed twice"},
      {"media server empty list", ms1 + ", prompts: [] }\n",
       "t.yaml:3: prompts: must not be empty (leave the key out to serve every one)"},
      {"media server prompt", ms1 + ", prompts: ['queue welcome'] }\n",
       "t.yaml:3: prompts: 'queue welcome' is not a prompt name (no blanks)"},
      {"media server locale", ms1 + ", locales: ['en US'] }\n",
       "t.yaml:3: locales: 'en US' must match [A-Za-z0-9_-]+ (it becomes a bus subject token)"},
      {"media out-after", "media: { out-after: 0 }", "t.yaml:1: out-after: must be 1..100, got 0"},
      {"media recordings-dir relative", "media:\n  recordings-dir: monitor\n",
       "t.yaml:2: recordings-dir: recordings-dir must be an absolute path, got 'monitor'"},
      {"media interval", "media: { options-interval-ms: 50 }",
       "t.yaml:1: options-interval-ms: must be >= 100, got 50"},
      {"media timeout above the interval",
       "media:\n  options-interval-ms: 1000\n  options-timeout-ms: 1500\n",
       "t.yaml:3: options-timeout-ms: options-timeout-ms (1500) must be below "
       "options-interval-ms (1000): a probe must end before the next one"},
      {"media timeout as long as the interval",
       "media:\n  options-interval-ms: 1000\n  options-timeout-ms: 1000\n",
       "t.yaml:3: options-timeout-ms: options-timeout-ms (1000) must be below "
       "options-interval-ms (1000): a probe must end before the next one"},
      {"media interval below the default timeout", "media:\n  options-interval-ms: 1000\n",
       "t.yaml:2: options-interval-ms: options-timeout-ms (2000) must be below "
       "options-interval-ms (1000): a probe must end before the next one"},
      // YAML itself.
      {"syntax error", "bus:\n  nats-url: x\ndns: [ { number: '1000' }\n",
       "t.yaml:4: end of sequence flow not found"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    try {
      parse_config(c.yaml, "t.yaml");
      ADD_FAILURE() << "accepted";
    } catch (const config_error& e) {
      EXPECT_EQ(std::string(e.what()), c.error);
    }
  }
}

TEST(ConfigNotes, DialogDnsAreNoted) {
  struct notes_case {
    const char* name;
    const char* yaml;
    std::vector<std::string> notes;
  };
  const std::vector<notes_case> cases = {
      {"presence only", "dns: [ { number: '1000' } ]", {}},
      {"one dialog DN", "dns:\n  - { number: '1000' }\n  - { number: '1001', presence: dialog }\n",
       {"t.yaml:3: DN 1001 uses dialog-info: an unregistered phone shows as idle, so it never "
        "goes out of service (use presence for that)"}},
      {"max-wait with no default-dn anywhere",
       "agent-groups: [ { name: g } ]\n"
       "dns:\n  - { number: '8000', type: RoutingPoint,\n"
       "      options: { agent-group: g, max-wait: 60 } }\n",
       {"t.yaml:3: Routing Point 8000 has max-wait but no default-dn (neither its own nor the "
        "application's): its calls wait for an agent however long it takes"}},
      {"max-wait with the application's default-dn",
       "agent-groups: [ { name: g } ]\n"
       "dns:\n  - { number: '8000', type: RoutingPoint,\n"
       "      options: { agent-group: g, max-wait: 60 } }\n"
       "  - { number: '9999', type: Voicemail }\napplication: { default-dn: '9999' }\n",
       {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(config_notes(parse_config(c.yaml, "t.yaml")), c.notes);
  }
  // The demo file has one dialog DN, 1002.
  EXPECT_EQ(config_notes(load_config(default_file)).size(), 1u);
}

// A resource list Asterisk cannot NOTIFY over UDP is a warning naming its
// line: start-up goes on, and its DNs fall back to their own subscriptions.
TEST(ConfigWarnings, ResourceListsTooLargeForUdp) {
  auto with_list_of = [](size_t n) {
    std::string dns = "dns:\n", members;
    for (size_t i = 0; i < n; ++i) {
      dns += "  - { number: '" + std::to_string(10000 + i) + "' }\n";
      members += (i ? ", '" : "'") + std::to_string(10000 + i) + "'";
    }
    // A list of 100 needs the largest message cap (else a load error).
    return "sip-edge: { max-message-bytes: 65535 }\n" + dns + "presence:\n  resource-lists:\n    - { name: small, dns: [] }\n"
                 "    - { name: agents, dns: [" + members + "] }\n";
  };
  struct warning_case {
    size_t dns;
    std::vector<std::string> warnings;
  };
  const std::vector<warning_case> cases = {
      {k_max_udp_list_dns, {}},
      {k_max_udp_list_dns + 1,
       {"t.yaml:107: resource list 'agents' has 101 DNs: its full-state NOTIFY will not fit a UDP "
        "datagram above about 100 DNs, so Asterisk answers 200 and never NOTIFYs, and its DNs "
        "fall back to one subscription each; split it into lists of at most 100"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.dns) + " DNs");
    EXPECT_EQ(config_warnings(parse_config(with_list_of(c.dns), "t.yaml")), c.warnings);
  }
  EXPECT_TRUE(config_warnings(load_config(default_file)).empty());
}

// sip-edge.max-message-bytes left out grows to what the lists' NOTIFYs need;
// one the operator set that is too small stops start-up.
TEST(ConfigLoad, MessageCapLeftAtItsDefaultGrowsToTheLists) {
  std::string dns = "dns:\n", members;
  for (int i = 0; i < 30; ++i) {
    dns += "  - { number: '" + std::to_string(10000 + i) + "' }\n";
    members += (i ? ", '" : "'") + std::to_string(10000 + i) + "'";
  }
  const std::string lists = "presence:\n  resource-lists:\n    - { name: l, dns: [" + members + "] }\n";
  EXPECT_EQ(parse_config(dns + lists, "t.yaml").sip_max_message_bytes, list_notify_bytes(30));
  EXPECT_GT(list_notify_bytes(30), 16384u);
  EXPECT_THROW(parse_config("sip-edge: { max-message-bytes: 16384 }\n" + dns + lists, "t.yaml"),
               std::exception);
}

}  // namespace
}  // namespace sipcc
