// End to end at the SIP edge: what the edge answers to SIP nobody should send
// it, subscription refresh, NOTIFY ordering and bad bodies, and the call fact
// that tells a routed call from a private one. Real nats-server, the built
// sip-edge and presence, the simulated Asterisk; every wait has a deadline.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <stdexcept>

#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/sip.pb.h"
#include "sipcc/v1/state.pb.h"
#include "sipcc_fixture.hpp"
#include "udp_peer.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 5s;

// One request from the bare peer to the edge.
struct raw_request {
  std::string method;
  std::string branch;
  std::string call_id;  // "" leaves Call-ID out
  std::string cseq;     // "" leaves CSeq out
  std::string to;       // "" = the edge's URI without a tag
  std::string extra;    // more header lines, each ending in CRLF
};

std::string text_of(const raw_request& r, uint16_t peer_port, uint16_t edge_port) {
  std::string edge = "127.0.0.1:" + std::to_string(edge_port);
  std::string peer = "127.0.0.1:" + std::to_string(peer_port);
  std::string t = r.method + " sip:sipcc@" + edge + " SIP/2.0\r\n";
  t += "Via: SIP/2.0/UDP " + peer + ";rport;branch=" + r.branch + "\r\n";
  t += "Max-Forwards: 70\r\n";
  t += "From: <sip:stranger@" + peer + ">;tag=from-" + r.branch + "\r\n";
  t += "To: " + (r.to.empty() ? "<sip:sipcc@" + edge + ">" : r.to) + "\r\n";
  if (!r.call_id.empty())
    t += "Call-ID: " + r.call_id + "\r\n";
  if (!r.cseq.empty())
    t += "CSeq: " + r.cseq + "\r\n";
  t += "Contact: <sip:stranger@" + peer + ">\r\n" + r.extra + "Content-Length: 0\r\n\r\n";
  return t;
}

std::string random_token() {
  static std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng());
}

// ---- bus and counter helpers ----------------------------------------------------

// The first DnState on sipcc.state.dn.<dn> that satisfies `pred`.
std::optional<v1::DnState> wait_state(bus_recorder& rec, const std::string& dn,
                                      const std::function<bool(const v1::DnState&)>& pred) {
  auto subject = subj::state_dn(dn);
  auto m = rec.wait(
      [&](const bus_msg& m) {
        v1::DnState st;
        return m.subject == subject && st.ParseFromString(m.data) && pred(st);
      },
      kWait);
  if (!m)
    return std::nullopt;
  v1::DnState st;
  st.ParseFromString(m->data);
  return st;
}

bool has_call(const v1::DnState& st, const std::string& conn_id) {
  return std::find(st.sipcc_calls().begin(), st.sipcc_calls().end(), conn_id) !=
         st.sipcc_calls().end();
}

// Device states the DN went through, from its first IDLE on, by name (repeats
// folded: a state message may change only the agent or the calls).
std::vector<std::string> devices_since_idle(const bus_recorder& rec, const std::string& dn) {
  std::vector<std::string> out;
  for (auto& m : rec.all()) {
    v1::DnState st;
    if (m.subject != subj::state_dn(dn) || !st.ParseFromString(m.data))
      continue;
    auto name = v1::DeviceState_Name(st.device());
    if (out.empty() ? st.device() == v1::DEVICE_IDLE : out.back() != name)
      out.push_back(name);
  }
  return out;
}

// Events on the DN after the agent's first EventAgentReady (the TAgentSetReady), by name.
std::vector<std::string> events_since_ready(const bus_recorder& rec, const std::string& dn) {
  auto seq = rec.events(dn);
  auto ready = std::find(seq.begin(), seq.end(), v1::EventAgentReady);
  std::vector<std::string> out;
  for (auto it = ready == seq.end() ? seq.begin() : ready + 1; it != seq.end(); ++it)
    out.push_back(v1::EventType_Name(*it));
  return out;
}

// ---- fixture ---------------------------------------------------------------------

class EdgeE2E : public ::testing::Test {
protected:
  // The whole system, with phone 1000's first NOTIFY saying `initial_1000`;
  // returns once 1000 has been subscribed.
  void start(system_options opts = {}, const char* initial_1000 = "presence-notify-open.sip") {
    sys = std::make_unique<sipcc_system>(std::move(opts));
    ast().set_initial_notify("1000", initial_1000);
    if (policy_1000)
      ast().set_policy("1000", *policy_1000);
    sys->start_services();
    subscribe_1000 = ast().wait_request("SUBSCRIBE", "1000", kWait);
    ASSERT_TRUE(subscribe_1000);
  }
  fake_asterisk& ast() { return sys->asterisk(); }
  bus_recorder& rec() { return sys->recorder(); }

  // The edge's answer to the fake's NOTIFY with this CSeq: it carries the
  // dialog's Call-ID and both tags.
  sip_message answer_to_notify(uint32_t cseq) {
    auto want = std::to_string(cseq) + " NOTIFY";
    for (auto& r : ast().received())
      if (r.status == 200 && r.message.header("CSeq") == want)
        return r.message;
    throw std::runtime_error("no 200 to NOTIFY " + want);
  }

  // A request in 1000's subscription dialog with any headers and body, sent
  // by the fake: the captures only hold well-formed NOTIFYs.
  void send_in_dialog(const std::string& method, uint32_t cseq, const sip_message& answer,
                      const std::string& headers, const std::string& body) {
    const auto& contact = subscribe_1000->header("Contact");
    auto target = contact.substr(contact.find('<') + 1, contact.find('>') - contact.find('<') - 1);
    auto port = std::to_string(ast().port());
    std::string t = method + " " + target + " SIP/2.0\r\n";
    t += "Via: SIP/2.0/UDP 127.0.0.1:" + port + ";rport;branch=z9hG4bK" + random_token() + "\r\n";
    t += "From: " + answer.header("From") + "\r\n";  // the fake's side, with its tag
    t += "To: " + answer.header("To") + "\r\n";
    t += "Contact: <sip:127.0.0.1:" + port + ">\r\n";
    t += "Call-ID: " + answer.header("Call-ID") + "\r\n";
    t += "CSeq: " + std::to_string(cseq) + " " + method + "\r\nMax-Forwards: 70\r\n" + headers;
    t += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    ast().send_raw(t);  // to the edge: it sent the fake's last datagram
  }

  void send_notify_body(uint32_t cseq, const sip_message& answer, const std::string& body) {
    send_in_dialog("NOTIFY", cseq, answer,
                   "Event: presence\r\nSubscription-State: active;expires=500\r\n"
                   "Content-Type: application/pidf+xml\r\n",
                   body);
  }

  // The edge's answer to the request with this CSeq (any method).
  std::optional<sip_message> wait_answer(const std::string& cseq) {
    std::optional<sip_message> found;
    wait_until(
        [&] {
          for (auto& r : ast().received())
            if (r.status >= 200 && r.message.header("CSeq") == cseq)
              found = r.message;
          return found.has_value();
        },
        kWait);
    return found;
  }

  std::unique_ptr<sipcc_system> sys;
  std::optional<subscribe_policy> policy_1000;  // set before start()
  std::optional<sip_message> subscribe_1000;
};

// ---- tests -----------------------------------------------------------------------

TEST_F(EdgeE2E, BadSipGetsItsRfc3261AnswerAndPresenceKeepsWorking) {
  ASSERT_NO_FATAL_FAILURE(start({}, "presence-notify-closed.sip"));
  udp_peer stranger;
  // Asterisk's trunk as a further configured peer (asterisk.peers).
  udp_peer trunk(sys->trunk_port());
  struct bad_case {
    const char* what;
    raw_request req;
    int status;
    udp_peer* from = nullptr;  // the stranger when not given
  };
  const std::string presence_notify =
      "Event: presence\r\nSubscription-State: active;expires=600\r\n";
  const std::vector<bad_case> cases = {
      // RFC 3261 8.1.1: Call-ID and CSeq are mandatory; the transaction layer says 400.
      {"no Call-ID, no CSeq", {"NOTIFY", "", "", "", "", presence_notify}, 400},
      // 8.2.1 / 21.5.2: a method the UAS does not recognise is 501, not 405.
      {"unknown method", {"FOO", "", "id", "1 FOO", "", ""}, 501},
      // 12.2.2: an in-dialog request for no dialog is 481.
      {"NOTIFY for no subscription",
       {"NOTIFY", "", "id", "7 NOTIFY", "<sip:sipcc@127.0.0.1>;tag=nosuchtag", presence_notify},
       481},
      // No callctl runs in this test: nobody claims the call, the edge says 503.
      {"INVITE from Asterisk", {"INVITE", "", "id", "1 INVITE", "", ""}, 503, &trunk},
      // Calls are taken only from the configured Asterisk peers (and phones
      // registered on sipcc); a stranger's never reaches callctl.
      {"INVITE from a stranger", {"INVITE", "", "id", "1 INVITE", "", ""}, 403},
      // sipcc serves no subscriptions at all: SUBSCRIBE is a method it does
      // not allow, 405 with Allow (RFC 3261 8.2.1).
      {"SUBSCRIBE", {"SUBSCRIBE", "", "id", "1 SUBSCRIBE", "", "Event: presence\r\nExpires: 60\r\n"},
       405},
      // The registrar serves only DNs with a password (none here), but says
      // so only after authentication: first everyone gets the challenge.
      {"REGISTER for a DN without a password",
       {"REGISTER", "", "id", "1 REGISTER", "<sip:1000@127.0.0.1>", "Expires: 600\r\n"}, 401},
      {"REGISTER for no DN", {"REGISTER", "", "id", "1 REGISTER", "", "Expires: 600\r\n"}, 401},
  };
  for (auto c : cases) {
    SCOPED_TRACE(c.what);
    udp_peer& peer = c.from ? *c.from : stranger;
    c.req.branch = "z9hG4bK" + random_token();
    if (!c.req.call_id.empty())
      c.req.call_id = random_token() + "@127.0.0.1";
    peer.send(sys->edge_port(), text_of(c.req, peer.port(), sys->edge_port()));
    auto resp = peer.final_response(c.req.branch, kWait);
    ASSERT_TRUE(resp);
    EXPECT_EQ(status_of(*resp), c.status) << resp->start_line;
    if (c.req.method == "INVITE") {
      // A non-2xx final answer to INVITE is ACKed in its transaction (17.1.1.3).
      raw_request ack = c.req;
      ack.method = "ACK";
      ack.cseq = "1 ACK";
      ack.to = resp->header("To");
      ack.extra.clear();
      peer.send(sys->edge_port(), text_of(ack, peer.port(), sys->edge_port()));
    }
  }
  // The same edge still carries the presence subscription.
  auto cseq = ast().send_notify("1000", "presence-notify-open.sip");
  EXPECT_EQ(ast().wait_response_to_notify(cseq, kWait), 200);
  EXPECT_TRUE(rec().wait_event("1000", v1::EventDNBackInService, kWait));
}

// A datagram above sip-edge.max-message-bytes (default 16384) is refused by
// the stack itself (nta's NTATAG_MAXSIZE), so a stream of them from a
// stranger cannot make the edge grow; the edge keeps answering everyone else.
TEST_F(EdgeE2E, OversizedRequestsAreRefusedAndTheEdgeKeepsServing) {
  ASSERT_NO_FATAL_FAILURE(start());
  udp_peer stranger;
  udp_peer trunk(sys->trunk_port());
  auto oversized = [&] {
    raw_request r{"INVITE", "z9hG4bK" + random_token(), random_token() + "@127.0.0.1", "1 INVITE",
                  "", "X-Pad: " + std::string(20000, 'a') + "\r\n"};
    stranger.send(sys->edge_port(), text_of(r, stranger.port(), sys->edge_port()));
    return r.branch;
  };
  // An answered request from the same socket: UDP on loopback keeps order,
  // so once it is answered every datagram sent before it was handled.
  auto options_answered = [&](udp_peer& peer) {
    raw_request r{"OPTIONS", "z9hG4bK" + random_token(), random_token() + "@127.0.0.1",
                  "1 OPTIONS", "", ""};
    peer.send(sys->edge_port(), text_of(r, peer.port(), sys->edge_port()));
    auto resp = peer.final_response(r.branch, kWait);
    return resp ? status_of(*resp) : 0;
  };

  // nta answers statelessly, before any transaction or nua handle exists
  // (RFC 3261 would have 513 Message Too Large; sofia says 413).
  const std::string branch = oversized();
  auto refused = stranger.final_response(branch, kWait);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->start_line, "SIP/2.0 413 Request Entity Too Large");
  EXPECT_EQ(options_answered(stranger), 200);

  const pid_t edge = sys->service_pid("sip-edge");
  const long before_kb = rss_kb(edge);
  // 2,000 x 20 KB, a few at a time so the socket's receive buffer (about
  // 200 KB by default) does not drop them before the edge sees them.
  for (int i = 0; i < 2000; ++i) {
    oversized();
    if (i % 5 == 4) {
      ASSERT_EQ(options_answered(stranger), 200) << "after " << i + 1;
    }
  }
  const long grown_kb = rss_kb(edge) - before_kb;
  RecordProperty("edge_rss_growth_kb", static_cast<int>(grown_kb));
  EXPECT_LT(grown_kb, 20 * 1024) << "the edge grew by " << grown_kb << " KB";

  // Asterisk's calls still get their usual answer (503: no callctl runs here).
  raw_request invite{"INVITE", "z9hG4bK" + random_token(), random_token() + "@127.0.0.1",
                     "1 INVITE", "", ""};
  trunk.send(sys->edge_port(), text_of(invite, trunk.port(), sys->edge_port()));
  auto resp = trunk.final_response(invite.branch, kWait);
  ASSERT_TRUE(resp);
  EXPECT_EQ(status_of(*resp), 503) << resp->start_line;
}

TEST_F(EdgeE2E, MethodsTheEdgeDoesNotServeAreNotAcceptedOrAdvertised) {
  ASSERT_NO_FATAL_FAILURE(start());
  udp_peer peer;
  // Accepting these would drop the request after telling the sender it was
  // taken (MESSAGE 200, REFER 202); RFC 3261 8.2.1 wants 405 with Allow.
  for (std::string method : {"MESSAGE", "REFER"}) {
    SCOPED_TRACE(method);
    raw_request r{method, "z9hG4bK" + random_token(), random_token() + "@127.0.0.1",
                  "1 " + method, "", method == "REFER" ? "Refer-To: <sip:1001@127.0.0.1>\r\n" : ""};
    peer.send(sys->edge_port(), text_of(r, peer.port(), sys->edge_port()));
    auto resp = peer.final_response(r.branch, kWait);
    ASSERT_TRUE(resp);
    EXPECT_EQ(status_of(*resp), 405) << resp->start_line;
    EXPECT_EQ(resp->header("Allow").find(method), std::string::npos) << resp->header("Allow");
  }
}

TEST_F(EdgeE2E, SubscriptionIsRefreshedBeforeItExpiresAndTheDnStaysInService) {
  system_options opts;
  opts.subscribe_expires = 4;
  ASSERT_NO_FATAL_FAILURE(start(opts));
  ASSERT_TRUE(rec().wait_event("1000", v1::EventDNBackInService, kWait));
  auto in_dialog = [](const received& r) {
    return r.method == "SUBSCRIBE" && r.resource == "1000" &&
           r.message.header("To").find(";tag=") != std::string::npos;
  };
  // Two refreshes cover twice the 4 s the subscription was granted for.
  auto first = ast().wait_request(in_dialog, kWait);
  ASSERT_TRUE(first);
  auto second = ast().wait_request(in_dialog, kWait);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->header("Call-ID"), subscribe_1000->header("Call-ID"));
  EXPECT_EQ(first->header("Expires"), "4");
  std::vector<std::chrono::steady_clock::time_point> at;
  for (auto& r : ast().received())
    if (r.method == "SUBSCRIBE" && r.resource == "1000")
      at.push_back(r.at);
  ASSERT_EQ(at.size(), 3u);  // no fresh SUBSCRIBE: the dialog never lapsed
  EXPECT_LT(at[1] - at[0], 4s);
  EXPECT_LT(at[2] - at[1], 4s);
  EXPECT_EQ(rec().events("1000"), std::vector<v1::EventType>{v1::EventDNBackInService});
}

TEST_F(EdgeE2E, NotifyWithLowerCSeqThanTheLastAppliedIsIgnored) {
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_TRUE(wait_state(rec(), "1000", [](auto& st) { return st.device() == v1::DEVICE_IDLE; }));
  auto base = ast().send_notify("1000", "presence-notify-open.sip");
  ASSERT_EQ(ast().wait_response_to_notify(base, kWait), 200);
  notify_options busy;
  busy.cseq = base + 10;
  ast().send_notify("1000", "presence-notify-busy-inuse.sip", busy);
  EXPECT_EQ(ast().wait_response_to_notify(*busy.cseq, kWait), 200);
  ASSERT_TRUE(wait_state(rec(), "1000", [](auto& st) { return st.device() == v1::DEVICE_BUSY; }));

  // A stale idle NOTIFY (lower CSeq than the busy one) reaches the edge:
  // RFC 3261 12.2.2 has the dialog layer reject it with 500.
  notify_options stale;
  stale.cseq = base + 5;
  ast().send_notify("1000", "presence-notify-open-after-call.sip", stale);
  EXPECT_EQ(ast().wait_response_to_notify(*stale.cseq, kWait), 500);
  // The same stale NOTIFY reaching presence anyway (a bus replay): the busy
  // NOTIFY's event with the lower CSeq and the idle body.
  auto busy_ev = rec().wait(
      [&](const bus_msg& m) {
        v1::SubEvent ev;
        return m.subject.rfind("sipcc.sub.presence-0.1000_", 0) == 0 &&
               ev.ParseFromString(m.data) && ev.has_notify() && ev.notify().cseq() == *busy.cseq;
      },
      kWait);
  ASSERT_TRUE(busy_ev);
  v1::SubEvent replay;
  replay.ParseFromString(busy_ev->data);
  replay.mutable_notify()->set_cseq(*stale.cseq);
  replay.mutable_notify()->set_body(load_capture("presence-notify-open-after-call.sip").body);
  ASSERT_TRUE(rec().client().publish(busy_ev->subject, replay));
  ASSERT_TRUE(rec().client().flush());  // on the server before the next NOTIFY leaves the fake

  notify_options ringing;
  ringing.cseq = base + 11;
  ast().send_notify("1000", "presence-notify-ringing.sip", ringing);
  EXPECT_EQ(ast().wait_response_to_notify(*ringing.cseq, kWait), 200);
  ASSERT_TRUE(
      wait_state(rec(), "1000", [](auto& st) { return st.device() == v1::DEVICE_RINGING; }));
  EXPECT_EQ(devices_since_idle(rec(), "1000"),
            (std::vector<std::string>{"DEVICE_IDLE", "DEVICE_BUSY", "DEVICE_RINGING"}));
  // Only the replay reached presence's own CSeq check.
  EXPECT_EQ(sys->counter("presence-0", "notify_stale", "cseq"), 1);
}

TEST_F(EdgeE2E, NotifyWithGarbageBodyIsAnsweredCountedAndChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_TRUE(rec().wait_event("1000", v1::EventDNBackInService, kWait));
  auto base = ast().send_notify("1000", "presence-notify-open.sip");
  ASSERT_EQ(ast().wait_response_to_notify(base, kWait), 200);
  auto answer = answer_to_notify(base);
  const std::vector<std::string> garbage = {
      "this is not XML at all",
      // Truncated mid-document.
      "<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
      "entity=\"sip:1000@127.0.0.1\"><tuple id=\"1000\"><status><basic>clo",
  };
  uint32_t cseq = base;
  for (auto& body : garbage) {
    SCOPED_TRACE(body);
    send_notify_body(++cseq, answer, body);
    EXPECT_EQ(ast().wait_response_to_notify(cseq, kWait), 200);
  }
  // A good NOTIFY after them: once it shows, the bad ones were handled.
  notify_options o;
  o.cseq = ++cseq;
  ast().send_notify("1000", "presence-notify-busy-inuse.sip", o);
  ASSERT_TRUE(wait_state(rec(), "1000", [](auto& st) { return st.device() == v1::DEVICE_BUSY; }));
  EXPECT_EQ(devices_since_idle(rec(), "1000"),
            (std::vector<std::string>{"DEVICE_IDLE", "DEVICE_BUSY"}));
  EXPECT_EQ(rec().events("1000"), std::vector<v1::EventType>{v1::EventDNBackInService});
  EXPECT_EQ(sys->counter("presence-0", "notify_bad_body", "application/pidf+xml"),
            static_cast<int64_t>(garbage.size()));
}

// RFC 6665 4.1.2.4: the first NOTIFY may overtake the SUBSCRIBE's 200. The
// edge makes the dialog from it (its own subscriber side, on nta's legs):
// answered 200, the DN in service, the refreshes in that dialog.
TEST_F(EdgeE2E, NotifyOvertakingTheSubscribeAnswerMakesTheDialog) {
  system_options opts;
  opts.subscribe_expires = 4;
  policy_1000 = subscribe_policy::accept_notify_first();
  ASSERT_NO_FATAL_FAILURE(start(opts));
  ASSERT_TRUE(rec().wait_event("1000", v1::EventDNBackInService, kWait));
  auto refresh = ast().wait_request(
      [](const received& r) {
        return r.method == "SUBSCRIBE" && r.resource == "1000" &&
               r.message.header("To").find(";tag=") != std::string::npos;
      },
      kWait);
  ASSERT_TRUE(refresh);
  std::vector<received> notify_answers;
  for (auto& r : ast().received())
    if (r.status > 0 && r.message.header("CSeq").find("NOTIFY") != std::string::npos)
      notify_answers.push_back(r);
  ASSERT_FALSE(notify_answers.empty());
  EXPECT_EQ(notify_answers.front().status, 200) << notify_answers.front().message.start_line;
  // The dialog is the NOTIFY's: its tag, the SUBSCRIBE's Call-ID.
  EXPECT_EQ(refresh->header("Call-ID"), subscribe_1000->header("Call-ID"));
  const auto& notifier = notify_answers.front().message.header("From");
  EXPECT_EQ(refresh->header("To").substr(refresh->header("To").find(";tag=")),
            notifier.substr(notifier.find(";tag=")));
  size_t fresh = 0;
  for (auto& r : ast().received())
    fresh += r.method == "SUBSCRIBE" && r.resource == "1000" &&
             r.message.header("To").find(";tag=") == std::string::npos;
  EXPECT_EQ(fresh, 1u) << "no fresh SUBSCRIBE: the dialog held";
  EXPECT_EQ(rec().events("1000"), std::vector<v1::EventType>{v1::EventDNBackInService});
}

// What the subscription's dialog does not take is refused, and the dialog
// goes on: RFC 6665 4.1.3 (489 for another package, 400 without
// Subscription-State), 405 with an Allow for other methods.
TEST_F(EdgeE2E, InDialogRequestsTheSubscriptionDoesNotTakeAreRefused) {
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_TRUE(rec().wait_event("1000", v1::EventDNBackInService, kWait));
  auto base = ast().send_notify("1000", "presence-notify-open.sip");
  ASSERT_EQ(ast().wait_response_to_notify(base, kWait), 200);
  auto answer = answer_to_notify(base);
  struct row {
    std::string name, method, headers;
    int status;
  };
  const std::vector<row> rows = {
      {"another event package", "NOTIFY",
       "Event: dialog\r\nSubscription-State: active;expires=500\r\n", 489},
      {"no Subscription-State", "NOTIFY", "Event: presence\r\n", 400},
      {"not a NOTIFY", "INFO", "", 405},
  };
  uint32_t cseq = base;
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    send_in_dialog(r.method, ++cseq, answer, r.headers, "");
    auto got = wait_answer(std::to_string(cseq) + " " + r.method);
    ASSERT_TRUE(got);
    EXPECT_EQ(status_of(*got), r.status) << got->start_line;
    if (r.status == 405) {
      EXPECT_NE(got->header("Allow").find("NOTIFY"), std::string::npos) << got->header("Allow");
    }
  }
  notify_options o;
  o.cseq = ++cseq;
  ast().send_notify("1000", "presence-notify-busy-inuse.sip", o);
  EXPECT_EQ(ast().wait_response_to_notify(cseq, kWait), 200);
  ASSERT_TRUE(wait_state(rec(), "1000", [](auto& st) { return st.device() == v1::DEVICE_BUSY; }));
  EXPECT_EQ(rec().events("1000"), std::vector<v1::EventType>{v1::EventDNBackInService});
}

// RFC 3261 21.4.17 / RFC 6665 4.1.2.1: a 423 is asked again, once, in the
// same dialog with the notifier's Min-Expires; the owner hears only the
// outcome (no retry of its own a minute later).
TEST_F(EdgeE2E, IntervalTooBriefIsAskedAgainWithTheMinimum) {
  system_options opts;
  opts.subscribe_expires = 30;
  policy_1000 = subscribe_policy::reject(423).only_once();
  ASSERT_NO_FATAL_FAILURE(start(opts));
  EXPECT_EQ(subscribe_1000->header("Expires"), "30");
  auto again = ast().wait_request("SUBSCRIBE", "1000", kWait);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->header("Expires"), "60");
  EXPECT_EQ(again->header("Call-ID"), subscribe_1000->header("Call-ID"));
  ASSERT_TRUE(rec().wait_event("1000", v1::EventDNBackInService, kWait));
  for (auto& m : rec().all()) {
    v1::SubEvent ev;
    if (m.subject.rfind("sipcc.sub.", 0) == 0 && ev.ParseFromString(m.data) &&
        ev.key() == "1000" && ev.has_response()) {
      EXPECT_EQ(ev.response().status(), 200u) << "the 423 is the edge's to handle";
    }
  }
}

// An edge stopped by its operator (SIGTERM) ends its dialogs at Asterisk
// before it exits: one un-SUBSCRIBE each, in its dialog.
TEST_F(EdgeE2E, StoppedEdgeUnsubscribesEveryDialog) {
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_TRUE(rec().wait_event("1000", v1::EventDNBackInService, kWait));
  ASSERT_FALSE(ast().active_subscriptions().empty());
  EXPECT_EQ(sys->stop_service("sip-edge"), 0);
  EXPECT_TRUE(wait_until([&] { return ast().active_subscriptions().empty(); }, kWait))
      << ast().active_subscriptions().size() << " still active";
  size_t made = 0, ended = 0;
  for (const auto& r : ast().received()) {
    if (r.method != "SUBSCRIBE")
      continue;
    const bool in_dialog = r.message.header("To").find(";tag=") != std::string::npos;
    made += !in_dialog;
    ended += in_dialog && is_unsubscribe(r);
  }
  EXPECT_EQ(ended, made);
}

// ---- the call fact ------------------------------------------------------------------

class CallFactE2E : public EdgeE2E {
protected:
  static constexpr const char* kConnId = "007d0000000042";

  // Phone 1000 registered and idle, an agent Ready on it.
  void ready_agent_on_1000() {
    ASSERT_NO_FATAL_FAILURE(start());
    ASSERT_TRUE(rec().wait_event("1000", v1::EventDNBackInService, kWait));
    ASSERT_EQ(sys->request("1000", v1::TAgentLogin, "agent1000").type(), v1::EventAgentLogin);
    ASSERT_EQ(sys->request("1000", v1::TAgentSetReady).type(), v1::EventAgentReady);
  }

  // What callctl publishes when a sipcc call starts or ends on DN 1000.
  void call_fact(bool active) {
    v1::DnCallFact f;
    f.set_schema(v1::SCHEMA_V1);
    f.set_dn("1000");
    f.set_conn_id(kConnId);
    f.set_active(active);
    ASSERT_TRUE(rec().client().publish(sys->dn_calls_subject("1000"), f));
  }

  // The routed call rings and is answered on the phone; returns the state
  // that shows it busy.
  std::optional<v1::DnState> routed_call_answered() {
    call_fact(true);
    auto on = wait_state(rec(), "1000", [](auto& st) {
      return has_call(st, kConnId) && st.device() == v1::DEVICE_IDLE;
    });
    if (!on)
      return std::nullopt;
    EXPECT_FALSE(on->routable());  // a DN with a sipcc call takes no other
    ast().send_notify("1000", "presence-notify-ringing.sip");
    ast().send_notify("1000", "presence-notify-busy-inbound.sip");
    return wait_state(rec(), "1000", [](auto& st) {
      return has_call(st, kConnId) && st.device() == v1::DEVICE_BUSY;
    });
  }
};

TEST_F(CallFactE2E, RoutedCallKeepsTheReadyAgentReady) {
  ASSERT_NO_FATAL_FAILURE(ready_agent_on_1000());
  auto busy = routed_call_answered();
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->agent().state(), v1::AGENT_READY);
  // The phone reports idle first, then callctl ends the call.
  ast().send_notify("1000", "presence-notify-open-after-inbound.sip");
  auto t = busy->since_us();
  ASSERT_TRUE(wait_state(rec(), "1000", [t](auto& st) {
    return st.device() == v1::DEVICE_IDLE && st.since_us() > t;
  }));
  ASSERT_NO_FATAL_FAILURE(call_fact(false));
  auto done = wait_state(rec(), "1000", [t](auto& st) {
    return st.device() == v1::DEVICE_IDLE && st.since_us() > t && st.sipcc_calls_size() == 0;
  });
  ASSERT_TRUE(done);
  EXPECT_TRUE(done->routable());
  EXPECT_EQ(events_since_ready(rec(), "1000"), std::vector<std::string>{});
}

TEST_F(CallFactE2E, CallEndingBeforeTheIdleNotifyIsNotAPrivateCall) {
  ASSERT_NO_FATAL_FAILURE(ready_agent_on_1000());
  auto busy = routed_call_answered();
  ASSERT_TRUE(busy);
  // callctl sees the BYE before Asterisk reports the phone idle: the phone
  // is still busy for a moment with no sipcc call on it, but the busy period
  // belongs to the call that just ended.
  ASSERT_NO_FATAL_FAILURE(call_fact(false));
  ASSERT_TRUE(wait_state(rec(), "1000", [](auto& st) {
    return st.device() == v1::DEVICE_BUSY && st.sipcc_calls_size() == 0;
  }));
  ast().send_notify("1000", "presence-notify-open-after-inbound.sip");
  auto t = busy->since_us();
  auto idle = wait_state(rec(), "1000", [t](auto& st) {
    return st.device() == v1::DEVICE_IDLE && st.since_us() > t;
  });
  ASSERT_TRUE(idle);
  EXPECT_EQ(idle->agent().state(), v1::AGENT_READY);
  EXPECT_EQ(events_since_ready(rec(), "1000"), std::vector<std::string>{});
}

TEST_F(CallFactE2E, WithoutCallFactTheSameCallIsPrivate) {
  ASSERT_NO_FATAL_FAILURE(ready_agent_on_1000());
  ast().send_notify("1000", "presence-notify-ringing.sip");
  auto nr = rec().wait_event("1000", v1::EventAgentNotReady, kWait);
  ASSERT_TRUE(nr);
  EXPECT_EQ(nr->agent_id(), "agent1000");
  ASSERT_EQ(nr->reasons().pairs_size(), 1);
  EXPECT_EQ(nr->reasons().pairs(0).str(), "PrivateCall");
}

}  // namespace
}  // namespace sipcc::test
