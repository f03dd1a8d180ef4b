// MWI pure code: the message-summary parser over the real Asterisk captures
// and hand-made edge cases, the gsipmwi user data, and the subscription scope.
#include "sipcc/mwi.hpp"

#include <gtest/gtest.h>

#include "sip_capture.hpp"

namespace sipcc {
namespace {

using test::load_capture;

constexpr const char* kType = "application/simple-message-summary";
constexpr const char* kAccount = "sip:9999@127.0.0.1:5070";

struct capture_case {
  const char* file;
  bool waiting;
  message_counts voice;
};

TEST(MessageSummary, ParsesEveryCapturedNotify) {
  const std::vector<capture_case> cases = {
      {"mwi-notify-initial-no-messages.sip", false, {0, 0, 0, 0}},
      {"mwi-notify-new-message.sip", true, {1, 0, 0, 0}},
      {"mwi-notify-new-plus-old.sip", true, {1, 1, 0, 0}},
      {"mwi-notify-message-read-old.sip", false, {0, 1, 0, 0}},
      {"mwi-notify-cleared.sip", false, {0, 0, 0, 0}},
      {"mwi-notify-terminated.sip", false, {0, 0, 0, 0}},
      {"mwi-gvm-2000-notify-initial.sip", false, {0, 0, 0, 0}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    auto msg = load_capture(c.file);
    auto r = parse_message_summary(msg.header("Content-Type"), msg.body);
    ASSERT_TRUE(r) << r.error;
    EXPECT_EQ(r.value->waiting, c.waiting);
    EXPECT_EQ(r.value->account, kAccount);
    ASSERT_TRUE(r.value->voice);
    EXPECT_EQ(*r.value->voice, c.voice);
    EXPECT_TRUE(r.value->other.empty());
  }
}

struct body_case {
  const char* name;
  std::string content_type;
  std::string body;
  // Expected on success; error substring otherwise.
  std::optional<message_summary> want;
  const char* error = "";
};

message_summary summary(bool waiting, std::optional<message_counts> voice,
                        std::map<std::string, message_counts> other = {},
                        std::string account = "") {
  message_summary m;
  m.waiting = waiting;
  m.voice = voice;
  m.other = std::move(other);
  m.account = std::move(account);
  return m;
}

TEST(MessageSummary, HandMadeBodies) {
  const std::vector<body_case> cases = {
      {"rfc3842_example", kType,
       "Messages-Waiting: yes\r\nMessage-Account: sip:alice@vmail.example.com\r\n"
       "Voice-Message: 4/8 (1/2)\r\n\r\nTo: <alice@atlanta.example.com>\r\n",
       summary(true, message_counts{4, 8, 1, 2}, {}, "sip:alice@vmail.example.com")},
      {"case_and_blanks", "Application/Simple-Message-Summary; charset=x",
       "messages-waiting:YES\nvoice-message:  2 / 3\n", summary(true, message_counts{2, 3, 0, 0})},
      {"status_only", kType, "Messages-Waiting: no\r\n", summary(false, std::nullopt)},
      {"other_classes", kType,
       "Messages-Waiting: yes\r\nFax-Message: 1/0\r\nText-Message: 0/2 (0/1)\r\n",
       summary(true, std::nullopt, {{"fax-message", {1, 0, 0, 0}}, {"text-message", {0, 2, 0, 1}}})},
      {"extension_header_ignored", kType, "Messages-Waiting: no\r\nX-Vendor: 7\r\n",
       summary(false, std::nullopt)},
      {"wrong_type", "application/pidf+xml", "Messages-Waiting: yes\r\n", std::nullopt,
       "not application/simple-message-summary"},
      {"empty", kType, "", std::nullopt, "no Messages-Waiting"},
      {"no_status", kType, "Voice-Message: 1/0\r\n", std::nullopt, "no Messages-Waiting"},
      {"bad_status", kType, "Messages-Waiting: maybe\r\n", std::nullopt, "yes or no"},
      {"not_a_header", kType, "Messages-Waiting: yes\r\nVoice-Message 1/0\r\n", std::nullopt,
       "line 2"},
      {"counts_without_slash", kType, "Messages-Waiting: yes\r\nVoice-Message: 1\r\n",
       std::nullopt, "bad voice-message"},
      {"urgent_unclosed", kType, "Messages-Waiting: yes\r\nVoice-Message: 1/0 (1/0\r\n",
       std::nullopt, "bad voice-message"},
      {"trailing_garbage", kType, "Messages-Waiting: yes\r\nVoice-Message: 1/0 x\r\n",
       std::nullopt, "bad voice-message"},
      {"negative", kType, "Messages-Waiting: yes\r\nVoice-Message: -1/0\r\n", std::nullopt,
       "bad voice-message"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = parse_message_summary(c.content_type, c.body);
    if (c.want) {
      ASSERT_TRUE(r) << r.error;
      EXPECT_EQ(*r.value, *c.want);
    } else {
      ASSERT_FALSE(r);
      EXPECT_NE(r.error.find(c.error), std::string::npos) << r.error;
    }
  }
}

std::string describe(const v1::KVList& l) {
  std::string out;
  for (const auto& p : l.pairs()) {
    out += (out.empty() ? "" : " ") + p.key() + "=";
    if (p.has_list())
      out += "[" + describe(p.list()) + "]";
    else if (p.value_case() == v1::KVPair::kNum)
      out += std::to_string(p.num());
    else
      out += "'" + p.str() + "'";
  }
  return out;
}

TEST(MessageSummary, GsipmwiUserDataAsTheReferenceShows) {
  const std::vector<std::tuple<std::string, message_summary, std::string>> cases = {
      {"1000@MY_COMPANY", summary(true, message_counts{1, 0, 0, 0}),
       "gsipmwi=[Mailbox='1000' Messages-Waiting='true' Voice-Message='1/0' NewMessages=1 "
       "OldMessages=0]"},
      // The urgent counts are left out of Voice-Message.
      {"2000@GVM_DN", summary(false, message_counts{0, 3, 0, 2}),
       "gsipmwi=[Mailbox='2000' Messages-Waiting='false' Voice-Message='0/3' NewMessages=0 "
       "OldMessages=3]"},
      {"7", summary(true, std::nullopt),
       "gsipmwi=[Mailbox='7' Messages-Waiting='true' Voice-Message='0/0' NewMessages=0 "
       "OldMessages=0]"},
  };
  for (const auto& [mailbox, s, want] : cases)
    EXPECT_EQ(describe(gsipmwi_user_data(mailbox, s)), want) << mailbox;
}

// ---- scope ---------------------------------------------------------------------

const char* kScopeConfig = R"(
agent-logins:
  - { id: a1, mailbox: 3001@MY_COMPANY }
  - { id: a2 }
  - { id: a3, mailbox: 3003@MY_COMPANY, mwi-object: avm-3003 }
agent-groups:
  - { name: Sales, members: [a1, a2, a3], mailbox: 5000@GVM_DN }
  - { name: Quiet, members: [a2] }
dns:
  - { number: "1000", mailbox: 1000@MY_COMPANY }
  - { number: "1001" }
  - { number: "2000", type: ACDPosition }
  - { number: "2001", type: ACDPosition }
  - { number: "2002", type: ACDPosition }
  - { number: "9999", type: Voicemail }
application:
  mwi-extension-enable: EXT
)";

// One token per target: key>object(contact params)
std::string describe(const std::vector<mwi_target>& ts) {
  std::string out;
  for (const auto& t : ts)
    out += (out.empty() ? "" : " ") + t.key + ">" + t.object + "(" + t.contact_params() + ")";
  return out;
}

TEST(MwiScope, SubscriptionsFollowExtensionsLoginsAndGroupMembers) {
  struct scope_case {
    const char* name;
    bool extensions;
    std::map<std::string, std::string> agent_dn;
    std::string want;
  };
  const std::string ext = "ext:1000>gvm-1000(mb=1000;dn=1000) ext:1001>gvm-1001(mb=1001;dn=1001)";
  const std::vector<scope_case> cases = {
      {"nobody_extensions_off", false, {}, ""},
      {"nobody_extensions_on", true, {}, ext},
      // An agent mailbox follows its agent's DN; the group gets one per member.
      {"one_member", false, {{"a1", "2000"}},
       "agent:a1@2000>gvm-3001(mb=3001;dn=2000) group:Sales@2000>gvm-5000(mb=5000;dn=2000)"},
      // a2 has no mailbox of its own; the group without a mailbox adds nothing.
      {"two_members", false, {{"a1", "2000"}, {"a2", "2001"}},
       "agent:a1@2000>gvm-3001(mb=3001;dn=2000) group:Sales@2000>gvm-5000(mb=5000;dn=2000) "
       "group:Sales@2001>gvm-5000(mb=5000;dn=2001)"},
      {"configured_object", false, {{"a3", "2002"}},
       "agent:a3@2002>avm-3003(mb=3003;dn=2002) group:Sales@2002>gvm-5000(mb=5000;dn=2002)"},
      {"agent_moves_dn", false, {{"a1", "2001"}},
       "agent:a1@2001>gvm-3001(mb=3001;dn=2001) group:Sales@2001>gvm-5000(mb=5000;dn=2001)"},
      {"unknown_agent_ignored", true, {{"zz", "2000"}}, ext},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string text = kScopeConfig;
    text.replace(text.find("EXT"), 3, c.extensions ? "true" : "false");
    auto cfg = parse_config(text, "scope.yaml");
    EXPECT_EQ(describe(mwi_targets(cfg, c.agent_dn)), c.want);
  }
}

TEST(MwiScope, GroupMailboxHasOneSubscriptionPerLoggedInMember) {
  std::string text = kScopeConfig;
  text.replace(text.find("EXT"), 3, "false");
  auto cfg = parse_config(text, "scope.yaml");
  // Members log in and out: 0, 1, 2, 1, 0 subscriptions to the group mailbox.
  const std::vector<std::pair<std::map<std::string, std::string>, size_t>> steps = {
      {{}, 0},
      {{{"a2", "2001"}}, 1},
      {{{"a2", "2001"}, {"a3", "2002"}}, 2},
      {{{"a3", "2002"}}, 1},
      {{}, 0},
  };
  for (const auto& [logged_in, want] : steps) {
    auto ts = mwi_targets(cfg, logged_in);
    EXPECT_EQ(std::count_if(ts.begin(), ts.end(),
                            [](const mwi_target& t) { return t.mailbox_id == "group:Sales"; }),
              static_cast<long>(want));
  }
}

TEST(MwiScope, VoicemailBoxOfAnOverflowIsTheOneConfigured) {
  auto cfg = parse_config(R"(
agent-logins: [ { id: a1, mailbox: 3001@MY_COMPANY }, { id: a2 } ]
agent-groups: [ { name: Sales, members: [a1, a2], mailbox: 5000@GVM_DN }, { name: Quiet, members: [a2] } ]
dns:
  - { number: "1000", mailbox: 1000@MY_COMPANY }
  - { number: "2000", type: ACDPosition }
  - { number: "8000", type: RoutingPoint, options: { agent-group: Sales } }
  - { number: "8001", type: RoutingPoint, options: { agent-group: Quiet } }
  - { number: "8002", type: RoutingPoint }
)",
                          "vm.yaml");
  struct vm_case {
    const char* dn;
    const char* agent;
    const char* rp;
    const char* want;
  };
  const std::vector<vm_case> cases = {
      {"1000", "a1", "8000", "3001@MY_COMPANY"},  // the agent's own first
      {"1000", "a2", "8000", "1000@MY_COMPANY"},  // then the DN's
      {"1000", "", "8002", "1000@MY_COMPANY"},
      {"2000", "a2", "8000", "5000@GVM_DN"},      // then the RP's group
      {"", "", "8000", "5000@GVM_DN"},            // never reached an agent
      {"2000", "a2", "8001", ""},                 // a group without a mailbox
      {"2000", "", "8002", ""},                   // an RP without a group
      {"", "", "9999", ""},                       // not configured at all
  };
  for (const auto& c : cases)
    EXPECT_EQ(voicemail_box(cfg, c.dn, c.agent, c.rp), c.want)
        << c.dn << "/" << c.agent << "/" << c.rp;
}

}  // namespace
}  // namespace sipcc
