// Asterisk as sipcc's voicemail server: an unanswered call overflows into the
// DN's mailbox, the caller leaves a message, and Asterisk's MWI NOTIFY becomes
// EventUserEvent gsipmwi on the right desktop; the MWI subscription scope
// (extension, agent login, agent group per logged-in member) as Asterisk
// sees it, also after mwi was killed and started again; a phone registered
// on sipcc calls its own mailbox.
#include <filesystem>
#include <fstream>

#include "interop.hpp"
#include "sipcc/bus_schema.hpp"

namespace sipcc::test {
namespace {

namespace fs = std::filesystem;

class InteropVoicemail : public Interop {
protected:
  void SetUp() override {}

  // Whether Asterisk has (or has not) an MWI subscription from sipcc to
  // the pjsip.conf AOR `aor`, within the deadline.
  bool subscribed(const std::string& aor, bool yes) {
    return ast->wait_cli(
        "pjsip show subscriptions inbound",
        [&](const std::string& out) { return (out.find(aor) != std::string::npos) == yes; }, kAst);
  }

  // Whether DN `dn`'s desktop is told (EventUserEvent gsipmwi) that mailbox
  // `box` has messages waiting, within the deadline.
  bool told_messages_waiting(const std::string& dn, const std::string& box) {
    const auto subject = subj::tlib_evt(dn);
    const auto told = "Mailbox='" + box + "' Messages-Waiting='true'";
    return rec()
        .wait(
            [&](const bus_msg& m) {
              v1::TEvent ev;
              return m.subject == subject && ev.ParseFromString(m.data) &&
                     ev.type() == v1::EventUserEvent &&
                     gsipmwi(ev).find(told) != std::string::npos;
            },
            kAst)
        .has_value();
  }

  // A message in `box`@`context`, as VoiceMail() leaves one: Asterisk polls
  // the spool (voicemail.conf pollmailboxes) and NOTIFYs the change.
  void drop_message(const std::string& context, const std::string& box) {
    const auto inbox = ast->spool() + "/voicemail/" + context + "/" + box + "/INBOX";
    fs::create_directories(inbox);
    std::ofstream(inbox + "/msg0000.txt")
        << ";\n; Message Information file\n;\n[message]\norigmailbox=" << box
        << "\ncontext=from-sipcc\nmacrocontext=\nexten=9999\ncallerid=\"Customer\" <1001>\n"
        << "origdate=Sun Dec  6 12:00:00 UTC 2026\norigtime=1796558400\ncategory=\nduration=3\n";
    fs::copy_file(asterisk_prefix() + "/var/lib/asterisk/sounds/en/beep.wav", inbox + "/msg0000.wav",
                  fs::copy_options::overwrite_existing);
  }
};

// The customer is routed to Extension 1000, which does not answer: after
// no-answer-timeout the call goes to the Voicemail DN with 1000's mailbox;
// the caller's message lands there and 1000's desktop hears of it.
TEST_F(InteropVoicemail, UnansweredCallLeavesAMessageAndTheDesktopIsTold) {
  start([](std::string& yaml) {
    without_default_routing(yaml);
    replace_in(yaml, "  extn-no-answer-timeout: 20\n", "  extn-no-answer-timeout: 3\n");
  });
  auto callee = phone("1000", kTone1000);
  customer = phone("1001", kTone1001);
  ASSERT_TRUE(subscribed("gvm-1000", true));
  ASSERT_TRUE(rec().wait_event("1000", v1::EventUserEvent, kAst));  // the mailbox's first state
  customer->call("sip:8000@" + ast->address());
  auto rr = rec().wait_event("8000", v1::EventRouteRequest, kAst);
  ASSERT_TRUE(rr);
  ASSERT_EQ(sys->route_call("8000", rr->conn_id(), "1000").type(), v1::EventRouteUsed);
  ASSERT_TRUE(callee->wait_incoming(kAst));  // rings, nobody answers
  EXPECT_TRUE(callee->wait_ended(kAst));     // cancelled at no-answer-timeout
  ASSERT_TRUE(customer->wait_established(kAst));
  EXPECT_TRUE(customer->wait_hears_other_than(0, kAst)) << "the voicemail greeting";
  // After the greeting and its beep, VoiceMail() records into tmp/: the
  // caller's tone goes on into the message for a second before it hangs up.
  const auto box = ast->spool() + "/voicemail/MY_COMPANY/1000";
  ASSERT_TRUE(wait_until(
      [&] {
        std::error_code ec;
        for (auto& f : fs::directory_iterator(box + "/tmp", ec))
          if (f.path().extension() == ".wav" && f.file_size(ec) > 16000)
            return true;
        return false;
      },
      kAst));
  customer->hangup();
  auto ev = rec().wait_event("1000", v1::EventUserEvent, kAst, 2);
  ASSERT_TRUE(ev);
  EXPECT_EQ(gsipmwi(*ev),
            "Mailbox='1000' Messages-Waiting='true' Voice-Message='1/0' NewMessages=1 "
            "OldMessages=0");
  EXPECT_TRUE(wav_has_tone(box + "/INBOX/msg0000.wav", kTone1001)) << "the caller's voice";
}

// Agent2000 (phone on sipcc) logs in: its own mailbox (2000@GVM_DN) and its
// group's (Sales, 5000@GVM_DN) are watched while it is logged in, and a group
// message reaches its desktop; after logout neither is.
TEST_F(InteropVoicemail, AgentAndGroupMailboxesWhileLoggedIn) {
  start();
  auto p2000 = phone("2000", kTone2000);
  ASSERT_TRUE(subscribed("gvm-1000", true));  // extensions: from start-up
  EXPECT_TRUE(subscribed("gvm-2000", false));
  EXPECT_TRUE(subscribed("gvm-5000", false));
  ASSERT_EQ(sys->request("2000", v1::TAgentLogin, "agent2000").type(), v1::EventAgentLogin);
  ASSERT_TRUE(subscribed("gvm-2000", true));
  ASSERT_TRUE(subscribed("gvm-5000", true));
  drop_message("GVM_DN", "5000");
  ASSERT_TRUE(told_messages_waiting("2000", "5000"));
  ASSERT_EQ(sys->request("2000", v1::TAgentLogout).type(), v1::EventAgentLogout);
  EXPECT_TRUE(subscribed("gvm-2000", false));
  EXPECT_TRUE(subscribed("gvm-5000", false));
}

// mwi killed (kill -9) and started again (issue 13): Asterisk is left with
// one message-summary subscription per mailbox, the new instance's (the old
// ones un-SUBSCRIBEd through ForgetOwnerCmd; without it the edge keeps
// refreshing them: two per mailbox), for the Extensions' mailboxes and for the one a login
// brought (Sales', for agent2001 on 2001); a new message still reaches the
// desktop.
TEST_F(InteropVoicemail, KilledMwiLeavesOneSubscriptionPerMailboxAndStillTells) {
  start();
  ASSERT_EQ(sys->request("2001", v1::TAgentLogin, "agent2001").type(), v1::EventAgentLogin);
  const std::vector<std::string> objects = {"gvm-1000", "gvm-1001", "gvm-1002", "gvm-5000"};
  ASSERT_TRUE(wait_one_subscription_each(objects, "message-summary"))
      << ast->cli("pjsip show subscriptions inbound");
  const auto old = subscription_call_ids(objects, "message-summary");
  ASSERT_EQ(old.size(), objects.size());

  sys->crash_service("mwi");
  sys->restart_service("mwi");

  EXPECT_TRUE(wait_one_subscription_each(objects, "message-summary", old))
      << ast->cli("pjsip show subscriptions inbound");
  drop_message("MY_COMPANY", "1001");
  drop_message("GVM_DN", "5000");
  EXPECT_TRUE(told_messages_waiting("1001", "1001"));
  EXPECT_TRUE(told_messages_waiting("2001", "5000"));
}

// A phone registered on sipcc (2000) dials the voicemail access number: sipcc
// passes the call to Asterisk's VoiceMailMain for its own mailbox.
TEST_F(InteropVoicemail, PhoneOnSipccCallsItsMailbox) {
  start();
  auto p2000 = phone("2000", kTone2000);
  p2000->call("sip:9999@127.0.0.1:" + std::to_string(sys->edge_port()));
  ASSERT_TRUE(p2000->wait_established(kAst));
  EXPECT_TRUE(p2000->wait_hears_other_than(0, kAst)) << "VoiceMailMain's prompt";
  // The mailbox's owner listens (X-Voicemail: listen), nobody leaves a message.
  EXPECT_NE(ast->log().find("] VoiceMailMain(\"PJSIP/sipcc-"), std::string::npos);
  p2000->hangup();
  EXPECT_TRUE(ast->wait_no_calls(kAst));
}

// A routed call to the phone registered on sipcc: agent2000 in group Sales.
// TSendDTMF from its desktop reaches the customer; the customer's own digits
// would reach this phone as INFO.
TEST_F(InteropVoicemail, RoutedCallToAPhoneOnSipcc) {
  start();
  customer = phone("1000", kTone1000);
  auto p2000 = phone("2000", kTone2000);
  ASSERT_TRUE(rec().wait_event("2000", v1::EventDNBackInService, kAst));
  ready_agent("2000", "agent2000");
  customer->call("sip:8000@" + ast->address());
  ASSERT_TRUE(p2000->wait_incoming(kAst));
  p2000->answer();
  ASSERT_TRUE(rec().wait_event("2000", v1::EventEstablished, kAst));
  EXPECT_TRUE(p2000->wait_hears(kTone1000, kAst));
  EXPECT_TRUE(customer->wait_hears(kTone2000, kAst));
  auto est = rec().wait_event("2000", v1::EventEstablished, kAst);
  ASSERT_TRUE(est);
  ASSERT_EQ(sys->on_call(v1::TSendDTMF, "2000", est->conn_id(), {}, "47").type(),
            v1::EventDTMFSent);
  EXPECT_TRUE(customer->wait_rfc4733_digits("47", kAst));
  customer->hangup();
  EXPECT_TRUE(p2000->wait_ended(kAst));
}

}  // namespace
}  // namespace sipcc::test
