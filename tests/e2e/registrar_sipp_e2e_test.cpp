// sipcc as the registrar of agent DN 2000's phone (the DN has a password):
// SIPp plays the phone, registering on sip-edge with digest authentication,
// and Asterisk, which only keeps the voicemail. sip-edge, presence and
// callctl run for real on a real nats-server.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "call_gauges.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/sip.pb.h"
#include "sipcc/v1/state.pb.h"
#include "sipp.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 10s;

class RegistrarSipp : public ::testing::Test {
protected:
  void SetUp() override {
    if (!sipp_installed())
      GTEST_SKIP() << "sipp (package sip-tester) is not on PATH";
    asterisk_port = free_port(SOCK_DGRAM);
    phone_port = contact_port = free_port(SOCK_DGRAM);
    system_options opts;
    opts.dns = {{"2000", "ACDPosition", "", "", "password: secret, mailbox: 2000@GVM_DN"},
                {"9999", "Voicemail", "", "",
                 "contact: \"sip:vm-9999@127.0.0.1:" + std::to_string(asterisk_port) +
                     "\", monitor: false"},
                {"8000", "RoutingPoint", "", "router-timeout: 60"}};
    opts.asterisk_port = asterisk_port;
    opts.services = {{"sip-edge", "edge1"}, {"presence", "presence-0"}, {"callctl", "callctl-0"}};
    if (second_edge) {
      opts.services.insert(opts.services.begin() + 1, {"sip-edge#2", "edge2"});
      opts.env_of["sip-edge#2"] = {
          {"SIPCC_EDGE_BIND", "127.0.0.1:" + std::to_string(free_port(SOCK_DGRAM))}};
    }
    opts.extra_yaml = "application:\n  voicemail-access-number: \"" + access_number + "\"\n";
    // Short bindings may be asked for, so expiry is seen within a test.
    opts.edge_extra = "register-min-expires: 1";
    sys = std::make_unique<sipcc_system>(opts);
    sys->start_services();
  }

  std::string edge() const { return "127.0.0.1:" + std::to_string(sys->edge_port()); }

  // The phone of DN 2000 runs `scenario` with `password`, more `args` after.
  std::unique_ptr<sipp_run> phone(const std::string& scenario, const std::string& password,
                                  std::vector<std::string> args = {}) {
    std::vector<std::string> argv{"-s", "2000", "-au", "2000", "-ap", password};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(edge());
    // One port, so each run speaks for the same Contact.
    return std::make_unique<sipp_run>(scenario, phone_port, sys->dir(), argv,
                                      "phone" + std::to_string(++phones));
  }

  // The phone registers for `expires` seconds (0: un-registers) and sees 200.
  void registers(uint32_t expires) {
    auto p = phone("phone-registers-after-digest-challenge.xml", "secret",
                   {"-key", "expires", std::to_string(expires), "-key", "contact_port",
                    std::to_string(contact_port)});
    ASSERT_EQ(p->wait_exit(kWait), 0) << p->log();
    last_trace = p->trace();
  }

  std::optional<v1::Registration> registration(uint32_t expires_s) {
    auto m = sys->recorder().wait(
        [&](const bus_msg& m) {
          v1::Registration r;
          return m.subject == subj::reg("2000") && r.ParseFromString(m.data) &&
                 r.expires_s() == expires_s;
        },
        kWait);
    if (!m)
      return std::nullopt;
    v1::Registration r;
    r.ParseFromString(m->data);
    return r;
  }

  static const sip_message* received(const std::vector<traced>& t, const std::string& start) {
    return first(t, false, start);
  }
  static const sip_message* first(const std::vector<traced>& t, bool sent,
                                  const std::string& start) {
    for (auto& m : t)
      if (m.sent == sent && m.message.start_line.rfind(start, 0) == 0)
        return &m.message;
    return nullptr;
  }

  // The phone registers, dials the access number and hangs up; the call
  // reaches the SIPp Asterisk at sip:<asterisk_user>@..., SDP end to end.
  void phone_reaches_voicemail(const std::string& asterisk_user);

  // TRouteCall from Routing Point 8000 to `dn`, as a router would.
  v1::TEvent route(const std::string& conn_id, const std::string& dn) {
    return sys->route_call("8000", conn_id, dn);
  }

  // 9999 is the Voicemail DN, whose contact is vm-9999 on the SIPp Asterisk.
  std::string access_number = "9999";
  uint16_t asterisk_port = 0, phone_port = 0;
  // Where the registered Contact points: the phone itself, unless a test
  // runs the phone's answering side as a SIPp of its own, or plays a phone
  // whose Contact is not where it sends from.
  std::string contact_host = "127.0.0.1";
  uint16_t contact_port = 0;
  int phones = 0;
  std::vector<traced> last_trace;
  bool second_edge = false;  // edge2 too (sip-edge#2); the phone registers on edge1
  std::unique_ptr<sipcc_system> sys;
};

class RegistrarSippTwoEdges : public RegistrarSipp {
protected:
  RegistrarSippTwoEdges() { second_edge = true; }
};

// Each binding is its edge's: edge2's restart leaves the phone registered on
// edge1 in service; edge1's restart takes its binding, and the DN out of service.
TEST_F(RegistrarSippTwoEdges, OnlyTheRestartedEdgesBindingsAreGone) {
  registers(600);
  auto& rec = sys->recorder();
  ASSERT_TRUE(rec.wait_event("2000", v1::EventDNBackInService, kWait));
  sys->crash_service("sip-edge#2");
  sys->restart_service("sip-edge#2");
  // Asked after edge2's ready announcement, which presence heard first.
  EXPECT_TRUE(sys->request("2000", v1::TQueryAddress).dn_state().in_service());
  sys->crash_service("sip-edge");
  sys->restart_service("sip-edge");
  ASSERT_TRUE(rec.wait_event("2000", v1::EventDNOutOfService, kWait));
  std::vector<v1::EventType> service;
  for (auto t : rec.events("2000"))
    if (t == v1::EventDNBackInService || t == v1::EventDNOutOfService)
      service.push_back(t);
  EXPECT_EQ(service,
            (std::vector<v1::EventType>{v1::EventDNBackInService, v1::EventDNOutOfService}))
      << "no other change of service";
}

TEST_F(RegistrarSipp, PhoneRegistersWithDigestAndUnregisters) {
  registers(600);
  auto* challenge = received(last_trace, "SIP/2.0 401");
  ASSERT_NE(challenge, nullptr);
  EXPECT_EQ(challenge->header("WWW-Authenticate").rfind("Digest realm=\"sipcc\"", 0), 0u)
      << challenge->header("WWW-Authenticate");
  auto* ok = received(last_trace, "SIP/2.0 200");
  ASSERT_NE(ok, nullptr);
  EXPECT_NE(ok->header("Contact").find(";expires=600"), std::string::npos)
      << ok->header("Contact");

  auto bound = registration(600);
  ASSERT_TRUE(bound);
  EXPECT_EQ(bound->edge_id(), "edge1");
  EXPECT_EQ(bound->contact().rfind("sip:2000@127.0.0.1:", 0), 0u) << bound->contact();
  ASSERT_TRUE(sys->recorder().wait_event("2000", v1::EventDNBackInService, kWait));

  registers(0);
  ASSERT_TRUE(registration(0));
  ASSERT_TRUE(sys->recorder().wait_event("2000", v1::EventDNOutOfService, kWait));
}

TEST_F(RegistrarSipp, WrongPasswordGets403AndNoBinding) {
  auto p = phone("phone-register-gets-403-for-wrong-password.xml", "guess",
                 {"-key", "expires", "600"});
  ASSERT_EQ(p->wait_exit(kWait), 0) << p->log();
  // A good REGISTER after it: its binding is the first one on the bus.
  registers(600);
  ASSERT_TRUE(registration(600));
  auto all = sys->recorder().all();
  EXPECT_EQ(std::count_if(all.begin(), all.end(),
                          [](const bus_msg& m) { return m.subject == subj::reg("2000"); }),
            1);
}

// Each Registration with `expires_s` for DN 2000 the bus carried so far.
long registrations(sipcc_system& sys, uint32_t expires_s) {
  auto all = sys.recorder().all();
  return std::count_if(all.begin(), all.end(), [&](const bus_msg& m) {
    v1::Registration r;
    return m.subject == subj::reg("2000") && r.ParseFromString(m.data) &&
           r.expires_s() == expires_s;
  });
}

// A captured Authorization (qop=auth signs neither Contact nor Expires)
// replayed to remove the phone's binding: with another Request-URI it gets
// 400, with the same one 401 and a fresh nonce (not stale: the nonce-count
// was used). The binding stays.
TEST_F(RegistrarSipp, ReplayedAuthorizationChangesNothing) {
  registers(600);
  ASSERT_TRUE(registration(600));
  std::string captured;
  for (auto& m : last_trace)
    if (m.sent && !m.message.header("Authorization").empty())
      captured = m.message.header("Authorization");
  ASSERT_NE(captured, "");
  struct replay_case {
    std::string request_uri, status_line;
  };
  const replay_case cases[] = {
      {"sip:elsewhere@" + edge(), "SIP/2.0 400 Digest uri is not the Request-URI"},
      {"sip:" + edge(), "SIP/2.0 401 Unauthorized"},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.request_uri);
    auto replay = std::make_unique<sipp_run>(
        "attacker-replays-captured-authorization-with-contact-star.xml", free_port(SOCK_DGRAM),
        sys->dir(),
        std::vector<std::string>{"-s", "2000", "-key", "authorization", captured, "-key",
                                 "request_uri", c.request_uri, edge()},
        "replay" + std::to_string(++phones));
    ASSERT_EQ(replay->wait_exit(kWait), 0) << replay->log();
    auto trace = replay->trace();
    auto* answer = received(trace, "SIP/2.0 ");
    ASSERT_NE(answer, nullptr);
    EXPECT_EQ(answer->start_line, c.status_line);
    EXPECT_EQ(answer->header("WWW-Authenticate").find("stale"), std::string::npos);
  }
  // The edge publishes a change before it reads the next REGISTER: had a
  // replay unbound the phone, that would be on the bus before this refresh.
  registers(1200);
  ASSERT_TRUE(registration(1200));
  EXPECT_EQ(registrations(*sys, 0), 0);
}

// A DN that is not configured (or has no password) is challenged like 2000,
// so a REGISTER does not tell which DNs exist; its credentials get the
// wrong-password answer.
TEST_F(RegistrarSipp, UnknownDnIsChallengedLikeAKnownOne) {
  auto challenge_of = [&](const std::string& dn) {
    auto p = std::make_unique<sipp_run>(
        "phone-register-gets-403-for-wrong-password.xml", free_port(SOCK_DGRAM), sys->dir(),
        std::vector<std::string>{"-s", dn, "-au", dn, "-ap", "guess", "-key", "expires", "600",
                                 edge()},
        "dn" + dn);
    EXPECT_EQ(p->wait_exit(kWait), 0) << p->log();
    auto trace = p->trace();
    auto* refused = received(trace, "SIP/2.0 403");
    EXPECT_EQ(refused ? refused->start_line : "no 403", "SIP/2.0 403 Authentication failed");
    auto* c = received(trace, "SIP/2.0 401");
    if (!c)
      return std::string("no 401");
    // The nonce differs by design; all else must be the same.
    auto v = c->header("WWW-Authenticate");
    auto at = v.find("nonce=\"") + 7;
    return v.erase(at, v.find('"', at) - at);
  };
  auto known = challenge_of("2000");
  EXPECT_EQ(known, R"(Digest realm="sipcc", nonce="", algorithm=MD5, qop="auth")");
  EXPECT_EQ(challenge_of("3000"), known);
}

// Five wrong passwords within a minute and DN 2000 is not checked for a
// minute: even the right password then gets 403 (the scenario ends only on
// a 403), like a wrong one.
TEST_F(RegistrarSipp, PasswordGuessingIsThrottled) {
  for (int i = 0; i < 6; ++i) {
    SCOPED_TRACE("attempt " + std::to_string(i));
    auto p = phone("phone-register-gets-403-for-wrong-password.xml", i < 5 ? "guess" : "secret",
                   {"-key", "expires", "600"});
    ASSERT_EQ(p->wait_exit(kWait), 0) << p->log();
    auto trace = p->trace();
    auto* refused = received(trace, "SIP/2.0 403");
    ASSERT_NE(refused, nullptr);
    EXPECT_EQ(refused->start_line, "SIP/2.0 403 Authentication failed");
  }
}

// Presence learns the bindings made before it started: the edge publishes
// them again when presence announces itself ready. The DN resumes in
// service (no new event), and the phone's un-REGISTER, which only a known
// binding can end, takes it out.
TEST_F(RegistrarSipp, RestartedPresenceLearnsTheBinding) {
  registers(600);
  ASSERT_TRUE(sys->recorder().wait_event("2000", v1::EventDNBackInService, kWait));
  sys->crash_service("presence");
  sys->restart_service("presence");
  EXPECT_TRUE(sys->request("2000", v1::TQueryAddress).dn_state().in_service());
  // The binding published again for the new presence (after the first one).
  ASSERT_TRUE(wait_until(
      [&] {
        int bound = 0;
        for (auto& m : sys->recorder().all()) {
          v1::Registration r;
          bound += m.subject == subj::reg("2000") && r.ParseFromString(m.data) && r.expires_s() > 0;
        }
        return bound >= 2;
      },
      kWait));
  registers(0);
  ASSERT_TRUE(sys->recorder().wait_event("2000", v1::EventDNOutOfService, kWait));
  EXPECT_EQ(sys->recorder().events("2000"),
            (std::vector<v1::EventType>{v1::EventDNBackInService, v1::EventDNOutOfService}));
}

// The agent's phone, registered on sipcc, dials the voicemail access number:
// sipcc passes the call to Asterisk (the Voicemail DN's contact) with the
// phone's SDP, returns Asterisk's answer, and the phone's BYE ends both legs.
void RegistrarSipp::phone_reaches_voicemail(const std::string& asterisk_user) {
  auto asterisk = std::make_unique<sipp_run>("sn:uas", asterisk_port, sys->dir(),
                                             std::vector<std::string>{}, "asterisk");
  auto p = phone("phone-registers-then-calls-voicemail-and-hangs-up.xml", "secret",
                 {"-key", "expires", "600", "-key", "number", access_number, "-key",
                  "contact_host", contact_host, "-key", "contact_port",
                  std::to_string(contact_port), "-d", "300"});
  ASSERT_EQ(p->wait_exit(kWait), 0) << p->log();
  ASSERT_EQ(asterisk->wait_exit(kWait), 0) << asterisk->log();
  auto ph = p->trace(), ast = asterisk->trace();
  auto* invite = first(ast, false, "INVITE");
  ASSERT_NE(invite, nullptr);
  EXPECT_EQ(invite->start_line, "INVITE sip:" + asterisk_user + "@127.0.0.1:" +
                                    std::to_string(asterisk_port) + " SIP/2.0");
  EXPECT_EQ(invite->header("From").find("<sip:2000@"), 0u) << invite->header("From");
  // The phone's own mailbox, to listen to: no Diversion, nobody to leave a message for.
  EXPECT_EQ(invite->header("X-Mailbox"), "2000@GVM_DN");
  EXPECT_EQ(invite->header("X-Voicemail"), "listen");
  EXPECT_EQ(invite->header("Diversion"), "");
  auto* offer = first(ph, true, "INVITE");
  ASSERT_NE(offer, nullptr);
  EXPECT_EQ(invite->body, offer->body);
  auto* answer = first(ast, true, "SIP/2.0 200");
  ASSERT_NE(answer, nullptr);
  // The phone's last 200 is the BYE's; the one before carries the SDP.
  std::string phone_got;
  for (auto& m : ph)
    if (!m.sent && m.message.start_line.rfind("SIP/2.0 200", 0) == 0 && !m.message.body.empty())
      phone_got = m.message.body;
  EXPECT_EQ(phone_got, answer->body);
  EXPECT_NE(first(ast, false, "BYE"), nullptr);
  // The agent's DN had the call while it lasted, and no routed-call events.
  const auto facts_of_2000 = sys->dn_calls_subject("2000");
  for (bool active : {true, false})
    EXPECT_TRUE(sys->recorder().wait(
        [&](const bus_msg& m) {
          v1::DnCallFact f;
          return m.subject == facts_of_2000 && f.ParseFromString(m.data) &&
                 f.active() == active;
        },
        kWait))
        << "active " << active;
  EXPECT_EQ(sys->recorder().events("2000"), (std::vector<v1::EventType>{v1::EventDNBackInService}));
  expect_nothing_dangles(*sys, kWait);
}

TEST_F(RegistrarSipp, RegisteredPhoneReachesVoicemailOnAsterisk) {
  phone_reaches_voicemail("vm-9999");
}

// A phone behind NAT (its Contact its private address) or a softphone whose
// Contact names another port than it sends from: its REGISTER's source is
// where its calls come from, so the edge lets its call in (no 403) and
// callctl takes it as the phone's own (its mailbox, to listen to).
TEST_F(RegistrarSipp, PhoneWhoseContactIsNotItsSourceReachesVoicemail) {
  contact_host = "192.0.2.10";  // TEST-NET-1: no packet is ever sent there
  contact_port = 5099;
  phone_reaches_voicemail("vm-9999");
  auto bound = registration(600);
  ASSERT_TRUE(bound);
  EXPECT_EQ(bound->contact(), "sip:2000@192.0.2.10:5099");
  EXPECT_EQ(bound->source(), "127.0.0.1:" + std::to_string(phone_port));
}

// An access number that is no DN is dialled on Asterisk as it is.
class RegistrarSippAccessNumberOnAsterisk : public RegistrarSipp {
protected:
  void SetUp() override {
    access_number = "8500";
    RegistrarSipp::SetUp();
  }
};

TEST_F(RegistrarSippAccessNumberOnAsterisk, RegisteredPhoneReachesIt) {
  phone_reaches_voicemail("8500");
}

TEST_F(RegistrarSipp, BindingExpiresOnTime) {
  registers(1);
  ASSERT_TRUE(sys->recorder().wait_event("2000", v1::EventDNBackInService, kWait));
  ASSERT_TRUE(registration(0));
  ASSERT_TRUE(sys->recorder().wait_event("2000", v1::EventDNOutOfService, kWait));
}

TEST_F(RegistrarSipp, RegisteredPhoneCallingAnotherNumberGets403) {
  auto p = phone("phone-registers-then-call-to-other-number-gets-403.xml", "secret",
                 {"-key", "expires", "600", "-key", "number", "1234"});
  ASSERT_EQ(p->wait_exit(kWait), 0) << p->log();
  auto trace = p->trace();
  auto* refused = received(trace, "SIP/2.0 403");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->start_line,
            "SIP/2.0 403 Only voicemail may be called from this phone");
  expect_nothing_dangles(*sys, kWait);
}

// A routed call to the registered DN goes to the phone's Contact, not to
// Asterisk; before the phone registers the route is refused.
TEST_F(RegistrarSipp, RoutedCallReachesTheRegisteredContact) {
  contact_port = free_port(SOCK_DGRAM);
  auto answering = std::make_unique<sipp_run>("sn:uas", contact_port, sys->dir(),
                                              std::vector<std::string>{}, "phone-answers");
  auto customer = std::make_unique<sipp_run>(
      "sn:uac", sys->trunk_port(), sys->dir(),
      std::vector<std::string>{"-s", "8000", "-d", "300", edge()}, "customer");
  auto rr = sys->recorder().wait_event("8000", v1::EventRouteRequest, kWait);
  ASSERT_TRUE(rr);
  auto refused = route(rr->conn_id(), "2000");
  EXPECT_EQ(refused.type(), v1::EventError);
  EXPECT_EQ(refused.error_message(), "OtherDN 2000 has no registered phone");

  registers(600);
  ASSERT_TRUE(sys->recorder().wait_event("2000", v1::EventDNBackInService, kWait));
  EXPECT_EQ(route(rr->conn_id(), "2000").type(), v1::EventRouteUsed);
  ASSERT_TRUE(sys->recorder().wait_event("2000", v1::EventReleased, kWait));
  EXPECT_EQ(customer->wait_exit(kWait), 0) << customer->log();
  EXPECT_EQ(answering->wait_exit(kWait), 0) << answering->log();
  auto trace = answering->trace();
  auto* invite = first(trace, false, "INVITE");
  ASSERT_NE(invite, nullptr);
  EXPECT_EQ(invite->start_line,
            "INVITE sip:2000@127.0.0.1:" + std::to_string(contact_port) + " SIP/2.0");
  expect_nothing_dangles(*sys, kWait);
}

}  // namespace
}  // namespace sipcc::test
