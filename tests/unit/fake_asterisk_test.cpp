// The simulated Asterisk tested against itself: a raw UDP socket plays the
// part sipcc plays in the end-to-end tests (subscriber, and both ends of the
// B2BUA: the caller of agents, the callee of customers).
#include "fake_asterisk.hpp"
#include "loopback.hpp"
#include "sipcc/presence_body.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto k_wait = 2000ms;
// The fake's T1, shortened so that retransmissions and give-ups come fast.
constexpr auto k_t1 = 10ms;
// Longer than any retransmission interval (T2 = 8*T1): silence this long
// means the fake stopped re-sending.
constexpr auto k_quiet = 2 * 8 * k_t1;

// ";tag=" (or any) parameter of a header value.
std::string param(const std::string& v, const std::string& name) {
  std::size_t p = v.find(";" + name + "=");
  if (p == std::string::npos) return {};
  p += name.size() + 2;
  return v.substr(p, v.find(';', p) - p);
}

// "<sip:127.0.0.1:5070>" -> "sip:127.0.0.1:5070"
std::string uri_of(const std::string& contact) {
  return contact.substr(1, contact.find('>') - 1);
}

bool same(const sip_message& a, const sip_message& b) {
  return a.start_line == b.start_line && a.headers == b.headers && a.body == b.body;
}

std::string dialog_info_version(const std::string& body) {
  std::size_t p = body.find("version=\"", body.find("<dialog-info")) + 9;
  return body.substr(p, body.find('"', p) - p);
}

struct subscribe_request {
  subscribe_request(std::string res = "1000", std::string id = "call-1")
      : resource(std::move(res)), call_id(std::move(id)) {}
  std::string resource;
  std::string call_id;
  std::string event = "presence";
  std::optional<std::string> expires = "600";
  std::string to_tag;  // set: in-dialog refresh/unsubscribe
  int cseq = 1;
  bool eventlist = false;
};

class FakeAsteriskTest : public ::testing::Test {
 protected:
  FakeAsteriskTest() {
    fd_ = bind_loopback(SOCK_DGRAM, peer_port_);
    port_ = std::to_string(peer_port_);
  }
  ~FakeAsteriskTest() override { ::close(fd_); }

  void send(const std::string& text) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(asterisk.port());
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(
        ::sendto(fd_, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
        static_cast<ssize_t>(text.size()));
  }

  // The next datagram from the fake; an empty message when none comes in time.
  sip_message next(std::chrono::milliseconds within = k_wait) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(within.count())) != 1) return {};
    std::string buf(65536, '\0');
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    return parse_sip_message(buf.substr(0, n > 0 ? static_cast<std::size_t>(n) : 0));
  }

  // The next datagram that is not a retransmission of `seen`.
  sip_message next_new(const sip_message& seen) {
    for (;;) {
      sip_message m = next();
      if (!same(m, seen)) return m;
    }
  }

  // Reads what is queued: retransmissions sent before the fake saw the answer.
  void drain() {
    while (!next(0ms).start_line.empty()) {
    }
  }

  // Whether nothing more comes within `quiet`, once what is already queued
  // (retransmissions sent before the fake saw the answer) is read.
  bool silent_after_drain(std::chrono::milliseconds quiet) {
    drain();
    return next(quiet).start_line.empty();
  }

  std::string subscribe(const subscribe_request& r) {
    const std::string ast = "127.0.0.1:" + std::to_string(asterisk.port());
    std::string m =
        "SUBSCRIBE sip:" + (r.to_tag.empty() ? r.resource + "@" : "") + ast + " SIP/2.0\r\n";
    m += "Via: SIP/2.0/UDP 127.0.0.1:" + port_ + ";rport;branch=z9hG4bK-" +
         std::to_string(++branches_) + "\r\n";
    m += "Max-Forwards: 70\r\n";
    m += "From: <sip:sipserver@127.0.0.1:" + port_ + ">;tag=" + k_tag + "\r\n";
    m += "To: <sip:" + r.resource + "@" + ast + ">" + (r.to_tag.empty() ? "" : ";tag=" + r.to_tag) +
         "\r\n";
    m += "Call-ID: " + r.call_id + "\r\nCSeq: " + std::to_string(r.cseq) + " SUBSCRIBE\r\n";
    m += "Contact: <sip:sipserver@127.0.0.1:" + port_ + ">\r\nEvent: " + r.event + "\r\n";
    if (r.expires) m += "Expires: " + *r.expires + "\r\n";
    if (r.eventlist) m += "Supported: eventlist\r\n";
    m += "Content-Length: 0\r\n\r\n";
    send(m);
    return m;
  }

  // The peer's response to a request from the fake. An answer to an INVITE
  // gets the peer's To-tag and Contact.
  void answer(const sip_message& req, const std::string& status = "200 OK",
              const std::string& sdp = "") {
    const bool invite = req.start_line.rfind("INVITE ", 0) == 0;
    std::string to = req.header("To");
    if (invite && param(to, "tag").empty()) to += std::string(";tag=") + k_tag;
    std::string m = "SIP/2.0 " + status + "\r\n";
    m += "Via: " + req.header("Via") + "\r\nFrom: " + req.header("From") + "\r\nTo: " + to +
         "\r\nCall-ID: " + req.header("Call-ID") + "\r\nCSeq: " + req.header("CSeq") + "\r\n";
    if (invite) m += "Contact: <sip:sipserver@127.0.0.1:" + port_ + ">\r\n";
    if (!sdp.empty()) m += "Content-Type: application/sdp\r\n";
    send(m + "Content-Length: " + std::to_string(sdp.size()) + "\r\n\r\n" + sdp);
  }

  // SUBSCRIBE, 200, initial NOTIFY answered; returns the NOTIFY.
  sip_message subscribed(const subscribe_request& r, const std::string& initial_capture) {
    asterisk.set_initial_notify(r.resource, initial_capture);
    subscribe(r);
    EXPECT_EQ(next().start_line, "SIP/2.0 200 OK");
    sip_message notify = next();
    answer(notify);
    return notify;
  }

  std::string agent_uri(const std::string& resource) const {
    return "sip:" + resource + "@127.0.0.1:" + std::to_string(asterisk.port());
  }

  // sipcc's INVITE to an agent: the captured one, between this test's sockets.
  std::string sipcc_invite(const std::string& resource, const std::string& call_id) {
    std::string m = read_file(std::string(SIPCC_TEST_DATA_DIR) +
                              "/asterisk/inbound-sipserver-to-1000-invite.sip");
    m = replace_all(m, "127.0.0.1:5060", "127.0.0.1:" + port_);
    m = replace_all(m, "sip:1000@127.0.0.1:5070", agent_uri(resource));
    m = replace_all(m, "76smr1vom0rtbqkf@127.0.0.1", call_id);
    m = replace_all(m, "z9hG4bK-k6ri4f8k4zau", "z9hG4bK-" + call_id);
    send(m);
    return m;
  }

  // A request of sipcc's in the dialog (or transaction) of `from_fake`, a
  // response of the fake's to sipcc's INVITE.
  void peer_request(const std::string& method, const std::string& uri, const std::string& branch,
                    const sip_message& from_fake, const std::string& cseq,
                    const std::string& sdp = "") {
    std::string m = method + " " + uri + " SIP/2.0\r\n";
    m += "Via: SIP/2.0/UDP 127.0.0.1:" + port_ + ";rport;branch=" + branch + "\r\n";
    m += "From: " + from_fake.header("From") + "\r\nTo: " + from_fake.header("To") + "\r\n";
    m += "Call-ID: " + from_fake.header("Call-ID") + "\r\nCSeq: " + cseq + "\r\n";
    m += "Contact: <sip:sipserver@127.0.0.1:" + port_ + ">\r\n";
    if (!sdp.empty()) m += "Content-Type: application/sdp\r\n";
    send(m + "Content-Length: " + std::to_string(sdp.size()) + "\r\n\r\n" + sdp);
  }

  // sipcc's ACK of the fake's final response: a new transaction to the
  // Contact for a 2xx, the INVITE's own for any other (RFC 3261 17.1.1.3).
  void ack(const sip_message& final_response, const std::string& invite_uri) {
    const bool ok = final_response.start_line.rfind("SIP/2.0 2", 0) == 0;
    const std::string cseq = final_response.header("CSeq");
    peer_request("ACK", ok ? uri_of(final_response.header("Contact")) : invite_uri,
                 ok ? "z9hG4bK-ack-" + std::to_string(++branches_)
                    : param(final_response.header("Via"), "branch"),
                 final_response, cseq.substr(0, cseq.find(' ')) + " ACK");
  }

  // sipcc calls the agent, the agent answers (auto_answer) and sipcc ACKs;
  // returns the 200.
  sip_message answered_call(const std::string& resource, const std::string& call_id) {
    asterisk.set_call_policy(resource, call_policy::auto_answer().only_once());
    sipcc_invite(resource, call_id);
    EXPECT_EQ(next().start_line, "SIP/2.0 100 Trying");
    EXPECT_EQ(next().start_line, "SIP/2.0 180 Ringing");
    const sip_message ok = next();
    EXPECT_EQ(ok.start_line, "SIP/2.0 200 OK");
    ack(ok, agent_uri(resource));
    EXPECT_TRUE(asterisk.wait_request("ACK", resource, k_wait));
    drain();
    return ok;
  }

  // The fake places a call to the peer, the peer answers 200 with `sdp`, the
  // fake ACKs; returns the INVITE.
  sip_message placed_call(const std::string& id, const std::string& sdp) {
    const sip_message invite = next();
    EXPECT_EQ(invite.header("Call-ID"), id);
    answer(invite, "200 OK", sdp);
    EXPECT_EQ(next_new(invite).start_line, "ACK sip:sipserver@127.0.0.1:" + port_ + " SIP/2.0");
    return invite;
  }

  static constexpr const char* k_tag = "sub-tag";  // the peer's tag in every dialog
  fake_asterisk asterisk{0, k_t1};
  int fd_ = -1;
  std::uint16_t peer_port_ = 0;
  std::string port_;
  int branches_ = 0;
};

TEST_F(FakeAsteriskTest, InitialSubscribeGets200ThenTheCapturedNotify) {
  asterisk.set_initial_notify("1000", "presence-notify-closed.sip");
  subscribe({});

  sip_message ok = next();
  EXPECT_EQ(ok.start_line, "SIP/2.0 200 OK");
  EXPECT_EQ(ok.header("Via"), "SIP/2.0/UDP 127.0.0.1:" + port_ + ";rport=" + port_ +
                                  ";received=127.0.0.1;branch=z9hG4bK-1");
  EXPECT_EQ(ok.header("Expires"), "600");
  EXPECT_EQ(ok.header("Contact"), "<sip:127.0.0.1:" + std::to_string(asterisk.port()) + ">");
  EXPECT_EQ(ok.header("Server"), "Asterisk-peer");
  const std::string dialog_tag = param(ok.header("To"), "tag");
  EXPECT_EQ(dialog_tag.size(), 36u);  // UUID, like Asterisk's

  const sip_message notify = next();
  const sip_message capture = load_capture("presence-notify-closed.sip");
  EXPECT_EQ(notify.start_line, "NOTIFY sip:sipserver@127.0.0.1:" + port_ + " SIP/2.0");
  EXPECT_EQ(notify.header("From"), "<sip:1000@127.0.0.1>;tag=" + dialog_tag);
  EXPECT_EQ(notify.header("To"), std::string("<sip:sipserver@127.0.0.1>;tag=") + k_tag);
  EXPECT_EQ(notify.header("Call-ID"), "call-1");
  EXPECT_EQ(notify.header("Event"), "presence");
  EXPECT_EQ(notify.header("Subscription-State").rfind("active;expires=", 0), 0u);
  EXPECT_EQ(notify.header("Content-Type"), capture.header("Content-Type"));
  EXPECT_EQ(notify.body, capture.body);

  answer(notify);
  const auto cseq = static_cast<std::uint32_t>(std::stoul(notify.header("CSeq")));
  EXPECT_EQ(asterisk.wait_response_to_notify(cseq, k_wait), 200);
  const std::vector<received> all = asterisk.received();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].method, "SUBSCRIBE");
  EXPECT_EQ(all[0].source, "127.0.0.1:" + port_);
  EXPECT_EQ(all[1].status, 200);
  EXPECT_EQ(all[1].resource, "1000");
}

TEST_F(FakeAsteriskTest, GrantedExpiresFollowsAsterisk) {
  struct row {
    std::optional<std::string> requested;
    std::string status_line;
    std::string granted;
  };
  const std::vector<row> rows = {
      {"600", "SIP/2.0 200 OK", "600"},
      {"86400", "SIP/2.0 200 OK", "3600"},
      {std::nullopt, "SIP/2.0 200 OK", "3600"},
      {"0", "SIP/2.0 400 Bad Request", ""},  // initial Expires: 0
  };
  for (const row& r : rows) {
    SCOPED_TRACE(r.requested.value_or("none"));
    subscribe_request req("1000", "call-" + r.requested.value_or("none"));
    req.expires = r.requested;
    subscribe(req);
    const sip_message resp = next();
    EXPECT_EQ(resp.start_line, r.status_line);
    EXPECT_EQ(resp.header("Expires"), r.granted);
  }
}

TEST_F(FakeAsteriskTest, PolicyAnswersThenFallsBackWhenOnce) {
  struct row {
    std::string resource;
    subscribe_policy policy;
    std::string first, second, www_authenticate;
  };
  const std::string digest =
      load_capture("error-subscribe-unknown-source-response.sip").header("WWW-Authenticate");
  const std::vector<row> rows = {
      {"1000", subscribe_policy::reject(403).only_once(), "SIP/2.0 403 Forbidden", "SIP/2.0 200 OK",
       ""},
      {"2000", subscribe_policy::reject(489), "SIP/2.0 489 Bad Event", "SIP/2.0 489 Bad Event", ""},
      {"3000", subscribe_policy::reject(401).only_once(), "SIP/2.0 401 Unauthorized",
       "SIP/2.0 200 OK", digest},
  };
  for (const row& r : rows) {
    SCOPED_TRACE(r.resource);
    asterisk.set_policy(r.resource, r.policy);
    subscribe({r.resource, r.resource + "-a"});
    const sip_message rejected = next();
    EXPECT_EQ(rejected.start_line, r.first);
    EXPECT_EQ(rejected.header("WWW-Authenticate"), r.www_authenticate);
    EXPECT_EQ(rejected.header("Contact"), "");  // like pjsip's error responses
    subscribe({r.resource, r.resource + "-b"});
    EXPECT_EQ(next().start_line, r.second);
    // Each wait_request returns the next SUBSCRIBE not returned yet.
    EXPECT_EQ(asterisk.wait_request("SUBSCRIBE", r.resource, k_wait)->header("Call-ID"),
              r.resource + "-a");
    EXPECT_EQ(asterisk.wait_request("SUBSCRIBE", r.resource, k_wait)->header("Call-ID"),
              r.resource + "-b");
    EXPECT_FALSE(asterisk.wait_request("SUBSCRIBE", r.resource, 0ms));
  }
}

TEST_F(FakeAsteriskTest, DroppedSubscribeIsRecordedButNeverAnswered) {
  asterisk.set_policy("1000", subscribe_policy::drop());
  subscribe({"1000", "dropped"});
  subscribe({"2000", "answered"});
  // The fake answers in arrival order, so the first answer must be 2000's.
  EXPECT_EQ(next().header("Call-ID"), "answered");
  EXPECT_TRUE(asterisk.wait_request("SUBSCRIBE", "1000", k_wait));
}

TEST_F(FakeAsteriskTest, ListNeedsSupportedEventlist) {
  asterisk.set_list("agents");
  asterisk.set_initial_notify("agents", "rls-notify-full-state.sip");
  subscribe({"agents", "no-eventlist"});
  EXPECT_EQ(next().start_line, "SIP/2.0 404 Not Found");

  subscribe_request with_eventlist("agents", "eventlist");
  with_eventlist.eventlist = true;
  subscribe(with_eventlist);
  const sip_message ok = next();
  EXPECT_EQ(ok.start_line, "SIP/2.0 200 OK");
  EXPECT_EQ(ok.header("Require"), "eventlist");
  const sip_message notify = next();
  const sip_message capture = load_capture("rls-notify-full-state.sip");
  EXPECT_EQ(notify.header("Require"), "eventlist");
  EXPECT_EQ(notify.header("Content-Type"), capture.header("Content-Type"));
  EXPECT_EQ(notify.body, capture.body);
}

// bench/startup's lists: what sipcc's own parser reads from the generated
// full-state NOTIFY is every member, idle, in order.
TEST_F(FakeAsteriskTest, ListWithMembersNotifiesEveryMemberOpen) {
  const std::vector<std::string> members = {"100000", "100001", "100002"};
  asterisk.set_list("agents", members);
  subscribe_request r("agents", "members");
  r.eventlist = true;
  subscribe(r);
  EXPECT_EQ(next().start_line, "SIP/2.0 200 OK");
  const sip_message notify = next();
  EXPECT_EQ(notify.header("Require"), "eventlist");
  auto list = sipcc::parse_list_notify(notify.header("Content-Type"), notify.body);
  ASSERT_TRUE(list) << list.error;
  EXPECT_TRUE(list.value->full_state);
  ASSERT_EQ(list.value->resources.size(), members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    const auto& res = list.value->resources[i];
    const std::string uri = "sip:" + members[i] + "@127.0.0.1:" + std::to_string(asterisk.port());
    EXPECT_EQ(res.uri, uri);
    EXPECT_EQ(res.state, "active");
    ASSERT_TRUE(res.report) << res.error;
    EXPECT_EQ(res.report->device, sipcc::v1::DEVICE_IDLE);
    EXPECT_EQ(res.report->entity, uri);
  }
}

TEST_F(FakeAsteriskTest, AcceptWithoutNotifyAnswers200AndNeverNotifies) {
  asterisk.set_list("agents");
  asterisk.set_initial_notify("agents", "rls-notify-full-state.sip");
  asterisk.set_policy("agents", subscribe_policy::accept_without_notify());
  subscribe_request list("agents", "too-large");
  list.eventlist = true;
  subscribe(list);
  const sip_message ok = next();
  EXPECT_EQ(ok.start_line, "SIP/2.0 200 OK");
  EXPECT_TRUE(silent_after_drain(300ms));  // no initial NOTIFY

  subscribe_request unsubscribe = list;
  unsubscribe.to_tag = param(ok.header("To"), "tag");
  unsubscribe.expires = "0";
  unsubscribe.cseq = 2;
  subscribe(unsubscribe);
  EXPECT_EQ(next().start_line, "SIP/2.0 200 OK");
  EXPECT_TRUE(silent_after_drain(300ms));  // no final NOTIFY either
  // The dialog is over all the same.
  EXPECT_THROW(asterisk.send_notify("agents", "rls-notify-full-state.sip"), std::runtime_error);
}

TEST_F(FakeAsteriskTest, DialogInfoVersionCountsPerDialogUnlessForced) {
  subscribe_request dialog_package;
  dialog_package.event = "dialog";
  const sip_message initial = subscribed(dialog_package, "dialog-notify-initial-unregistered.sip");
  EXPECT_EQ(dialog_info_version(initial.body), "0");
  const std::uint32_t first_cseq = std::stoul(initial.header("CSeq"));

  struct row {
    std::string capture;  // the comment gives the captured version
    notify_options opts;
    std::string version;
  };
  notify_options forced;
  forced.version = 0;
  notify_options keep;
  keep.keep_version = true;
  const std::vector<row> rows = {
      {"dialog-notify-confirmed-outbound.sip", {}, "1"},   // captured 2
      {"dialog-notify-early-ringing.sip", {}, "2"},        // captured 4
      {"dialog-notify-after-register.sip", forced, "0"},   // a stale replay
      {"dialog-notify-confirmed-inbound.sip", keep, "5"},  // captured 5
      {"dialog-notify-terminated-after-call.sip", {}, "3"},
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(rows[i].capture);
    const std::uint32_t cseq = asterisk.send_notify("1000", rows[i].capture, rows[i].opts);
    EXPECT_EQ(cseq, first_cseq + i + 1);
    const sip_message notify = next();
    EXPECT_EQ(notify.header("CSeq"), std::to_string(cseq) + " NOTIFY");
    EXPECT_EQ(dialog_info_version(notify.body), rows[i].version);
    answer(notify);
    EXPECT_EQ(asterisk.wait_response_to_notify(cseq, k_wait), 200);
  }
}

TEST_F(FakeAsteriskTest, RefreshRepeatsLastBodyAndUnsubscribeTerminates) {
  const sip_message initial = subscribed({}, "presence-notify-closed.sip");
  notify_options out_of_order;
  out_of_order.cseq = 5;
  EXPECT_EQ(asterisk.send_notify("1000", "presence-notify-open.sip", out_of_order), 5u);
  EXPECT_EQ(next().header("CSeq"), "5 NOTIFY");

  subscribe_request in_dialog;
  in_dialog.to_tag = param(initial.header("From"), "tag");
  in_dialog.expires = "300";
  in_dialog.cseq = 2;
  subscribe(in_dialog);
  EXPECT_EQ(next().header("Expires"), "300");
  const sip_message refreshed = next();  // Asterisk re-sends the current state
  EXPECT_EQ(refreshed.header("Subscription-State").rfind("active;expires=", 0), 0u);
  EXPECT_EQ(refreshed.body, load_capture("presence-notify-open.sip").body);

  in_dialog.expires = "0";
  in_dialog.cseq = 3;
  subscribe(in_dialog);
  const sip_message ok = next();
  EXPECT_EQ(ok.start_line, "SIP/2.0 200 OK");
  EXPECT_EQ(ok.header("Expires"), "0");
  const sip_message last = next();
  EXPECT_EQ(last.header("Subscription-State"), "terminated");  // no reason, like Asterisk
  EXPECT_EQ(last.body, load_capture("presence-notify-open.sip").body);

  EXPECT_EQ(asterisk.count("SUBSCRIBE", "1000"), 3u);  // in-dialog ones mapped to the resource
  EXPECT_THROW(asterisk.send_notify("1000", "presence-notify-open.sip"), std::runtime_error);
}

TEST_F(FakeAsteriskTest, DefaultInitialNotifyPerEventPackageUnlessTheResourceHasOne) {
  asterisk.set_default_initial_notify("presence", "presence-notify-closed.sip");
  asterisk.set_default_initial_notify("dialog", "dialog-notify-initial-unregistered.sip");
  asterisk.set_initial_notify("1001", "presence-notify-open.sip");
  struct row {
    std::string resource, event;
    std::string capture;  // "" = no NOTIFY after the 200
  };
  const std::vector<row> rows = {
      {"gvm-1000", "message-summary", ""},  // no default for the package
      {"1000", "presence", "presence-notify-closed.sip"},
      {"1002", "dialog", "dialog-notify-initial-unregistered.sip"},
      {"1001", "presence", "presence-notify-open.sip"},  // the resource's own wins
  };
  for (const row& r : rows) {
    SCOPED_TRACE(r.resource);
    subscribe_request req(r.resource, "call-" + r.resource);
    req.event = r.event;
    subscribe(req);
    // The fake answers in order: a NOTIFY missing here, or one that should
    // not have been sent, shows up in place of the next row's 200.
    const sip_message ok = next();
    EXPECT_EQ(ok.start_line, "SIP/2.0 200 OK");
    EXPECT_EQ(ok.header("Call-ID"), "call-" + r.resource);
    if (r.capture.empty()) continue;
    const sip_message notify = next();
    EXPECT_EQ(notify.header("Event"), r.event);
    EXPECT_EQ(notify.body, load_capture(r.capture).body);  // dialog-info: version 0 both
    answer(notify);
  }
  std::vector<std::string> active;
  for (const active_subscription& s : asterisk.active_subscriptions())
    active.push_back(s.resource + " " + s.event + " " + s.last_capture);
  EXPECT_EQ(active, (std::vector<std::string>{
                        "gvm-1000 message-summary ",
                        "1000 presence presence-notify-closed.sip",
                        "1002 dialog dialog-notify-initial-unregistered.sip",
                        "1001 presence presence-notify-open.sip",
                    }));
}

TEST_F(FakeAsteriskTest, UnknownRequestGets501) {
  send(
      "MESSAGE sip:7006@127.0.0.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 127.0.0.1:" +
      port_ +
      ";branch=z9hG4bK-msg\r\n"
      "From: <sip:1000@127.0.0.1>;tag=a\r\nTo: <sip:7006@127.0.0.1>\r\n"
      "Call-ID: msg-1\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n");
  const sip_message resp = next();
  EXPECT_EQ(resp.start_line, "SIP/2.0 501 Not Implemented");
  EXPECT_EQ(param(resp.header("To"), "tag"), "z9hG4bK-msg");  // pjsip tags errors with the branch
  EXPECT_EQ(asterisk.count("MESSAGE", "7006"), 1u);
}

TEST_F(FakeAsteriskTest, RetransmissionGetsSameAnswerAndIsRecordedOnce) {
  const std::string request = subscribe({});
  const sip_message first = next();
  send(request);
  const sip_message again = next();
  EXPECT_EQ(again.start_line, first.start_line);
  EXPECT_EQ(again.headers, first.headers);  // same To-tag: same dialog
  EXPECT_EQ(asterisk.count("SUBSCRIBE", "1000"), 1u);
}

// --- Calls, agent side: the peer is sipcc calling an agent through the fake ---

TEST_F(FakeAsteriskTest, AgentCallRingsIsAnsweredAndResentUntilAckedThenAgentHangsUp) {
  sipcc_invite("1000", "call-a");
  const sip_message trying = next();
  EXPECT_EQ(trying.start_line, "SIP/2.0 100 Trying");
  EXPECT_EQ(param(trying.header("To"), "tag"), "");  // a 100 makes no dialog
  const sip_message ringing = next();
  EXPECT_EQ(ringing.start_line, "SIP/2.0 180 Ringing");
  const std::string tag = param(ringing.header("To"), "tag");
  EXPECT_EQ(tag.size(), 36u);
  EXPECT_EQ(ringing.header("P-Asserted-Identity"),
            load_capture("inbound-180-ringing-to-sipserver.sip").header("P-Asserted-Identity"));
  const std::optional<sip_message> invite = asterisk.wait_request("INVITE", "1000", k_wait);
  ASSERT_TRUE(invite);
  EXPECT_EQ(invite->body, load_capture("inbound-sipserver-to-1000-invite.sip").body);

  EXPECT_TRUE(silent_after_drain(k_quiet));  // manual: nothing until answer_call
  asterisk.answer_call("1000");
  const sip_message ok = next();
  const sip_message captured_ok = load_capture("inbound-200ok-to-sipserver.sip");
  EXPECT_EQ(ok.start_line, "SIP/2.0 200 OK");
  EXPECT_EQ(param(ok.header("To"), "tag"), tag);
  EXPECT_EQ(ok.header("Contact"), "<sip:127.0.0.1:" + std::to_string(asterisk.port()) + ">");
  EXPECT_EQ(ok.header("Content-Type"), "application/sdp");
  EXPECT_EQ(ok.body, captured_ok.body);
  EXPECT_TRUE(same(next(), ok));  // re-sent: no ACK yet

  ack(ok, agent_uri("1000"));
  ASSERT_TRUE(asterisk.wait_request("ACK", "1000", k_wait));  // attributed to the dialog
  EXPECT_TRUE(silent_after_drain(k_quiet));

  asterisk.hangup("1000");
  const sip_message bye = next();
  EXPECT_EQ(bye.start_line, "BYE sip:sipserver@127.0.0.1:" + port_ + " SIP/2.0");
  EXPECT_EQ(bye.header("From"), "<sip:1000@127.0.0.1>;tag=" + tag);
  EXPECT_EQ(bye.header("To"), "<sip:5551234@127.0.0.1>;tag=pwr5pqnz");
  EXPECT_EQ(bye.header("Call-ID"), "call-a");
  EXPECT_EQ(asterisk.active_calls(), 1u);  // until sipcc answers the BYE
  answer(bye);
  EXPECT_TRUE(asterisk.wait_calls_ended(k_wait));
  EXPECT_THROW(asterisk.hangup("1000"), std::runtime_error);
}

TEST_F(FakeAsteriskTest, CallPolicyDecidesWhatFollowsTheTrying) {
  struct row {
    std::string resource;
    call_policy policy;
    std::vector<std::string> after_trying;  // before any answer_call
    bool answerable;                        // answer_call then gives the 200
  };
  const std::vector<row> rows = {
      {"1000", call_policy::manual(), {"180 Ringing"}, true},
      {"1001", call_policy::auto_answer(), {"180 Ringing", "200 OK"}, false},
      {"1002", call_policy::auto_answer().without_ringing(), {"200 OK"}, false},
      {"1003", call_policy::reject(486), {"486 Busy Here"}, false},
      {"1004", call_policy::reject(404), {"404 Not Found"}, false},
      {"1005", call_policy::never_answer(), {"180 Ringing"}, false},
  };
  for (const row& r : rows) {
    SCOPED_TRACE(r.resource);
    asterisk.set_call_policy(r.resource, r.policy);
    sipcc_invite(r.resource, "call-" + r.resource);
    EXPECT_EQ(next().start_line, "SIP/2.0 100 Trying");
    sip_message last;
    for (const std::string& status : r.after_trying) {
      last = next();
      EXPECT_EQ(last.start_line, "SIP/2.0 " + status);
    }
    if (r.answerable) {
      asterisk.answer_call(r.resource);
      last = next();
      EXPECT_EQ(last.start_line, "SIP/2.0 200 OK");
    } else {
      EXPECT_THROW(asterisk.answer_call(r.resource), std::runtime_error);
    }
    // Every final is re-sent until its ACK, which the fake absorbs.
    if (last.start_line.rfind("SIP/2.0 1", 0) == 0) continue;
    EXPECT_TRUE(same(next(), last));
    ack(last, agent_uri(r.resource));
    EXPECT_TRUE(asterisk.wait_request("ACK", r.resource, k_wait));
    drain();
  }
  // Answered ones are up, rejected ones over, the never-answering one rings.
  EXPECT_EQ(asterisk.active_calls(), 4u);
  EXPECT_TRUE(silent_after_drain(k_quiet));
}

TEST_F(FakeAsteriskTest, OnceCallPolicyAppliesToTheNextInviteOnly) {
  asterisk.set_call_policy("1000", call_policy::reject(480).only_once());
  sipcc_invite("1000", "call-a");
  EXPECT_EQ(next().start_line, "SIP/2.0 100 Trying");
  const sip_message rejected = next();
  EXPECT_EQ(rejected.start_line, "SIP/2.0 480 Temporarily Unavailable");
  EXPECT_EQ(rejected.header("Contact"), "");
  ack(rejected, agent_uri("1000"));
  sipcc_invite("1000", "call-b");
  EXPECT_EQ(next_new(rejected).start_line, "SIP/2.0 100 Trying");
  EXPECT_EQ(next().start_line, "SIP/2.0 180 Ringing");  // the standing policy: manual
}

TEST_F(FakeAsteriskTest, CancelOfRingingCallGets200Then487) {
  sipcc_invite("1000", "call-c");
  const sip_message trying = next();
  const sip_message ringing = next();
  peer_request("CANCEL", agent_uri("1000"), "z9hG4bK-call-c", trying, "1 CANCEL");
  const sip_message cancelled = next();
  EXPECT_EQ(cancelled.start_line, "SIP/2.0 200 OK");
  EXPECT_EQ(cancelled.header("CSeq"), "1 CANCEL");
  const sip_message terminated = next();
  EXPECT_EQ(terminated.start_line, "SIP/2.0 487 Request Terminated");
  EXPECT_EQ(terminated.header("CSeq"), "1 INVITE");
  EXPECT_EQ(param(terminated.header("To"), "tag"), param(ringing.header("To"), "tag"));
  EXPECT_EQ(asterisk.active_calls(), 1u);  // until the ACK

  ack(terminated, agent_uri("1000"));
  EXPECT_TRUE(asterisk.wait_request("CANCEL", "1000", k_wait));
  EXPECT_TRUE(asterisk.wait_request("ACK", "1000", k_wait));
  EXPECT_TRUE(asterisk.wait_calls_ended(k_wait));
  EXPECT_THROW(asterisk.answer_call("1000"), std::runtime_error);
}

TEST_F(FakeAsteriskTest, RetransmittedInviteGetsTheLatestAnswerAndIsRecordedOnce) {
  const std::string invite = sipcc_invite("1000", "call-r");
  EXPECT_EQ(next().start_line, "SIP/2.0 100 Trying");
  const sip_message ringing = next();
  send(invite);
  EXPECT_TRUE(same(next(), ringing));
  EXPECT_EQ(asterisk.count("INVITE", "1000"), 1u);
}

TEST_F(FakeAsteriskTest, UnacknowledgedAnswerEndsWithByeAfter64T1) {
  asterisk.set_call_policy("1000", call_policy::auto_answer());
  sipcc_invite("1000", "call-n");
  next();  // 100
  next();  // 180
  const sip_message ok = next();
  const sip_message bye = next_new(ok);  // after the 200's retransmissions
  EXPECT_EQ(bye.start_line, "BYE sip:sipserver@127.0.0.1:" + port_ + " SIP/2.0");
  answer(bye);
  EXPECT_TRUE(asterisk.wait_calls_ended(k_wait));
}

TEST_F(FakeAsteriskTest, AgentHangupBeforeTheAckWaitsForIt) {
  asterisk.set_call_policy("1000", call_policy::auto_answer().without_ringing());
  sipcc_invite("1000", "call-h");
  next();  // 100
  const sip_message ok = next();
  asterisk.hangup("1000");
  EXPECT_TRUE(same(next(), ok));  // still re-sent, no BYE
  ack(ok, agent_uri("1000"));
  const sip_message bye = next_new(ok);
  EXPECT_EQ(bye.start_line, "BYE sip:sipserver@127.0.0.1:" + port_ + " SIP/2.0");
  answer(bye);
  EXPECT_TRUE(asterisk.wait_calls_ended(k_wait));
}

TEST_F(FakeAsteriskTest, ByeFromSipccEndsTheAgentCall) {
  const sip_message ok = answered_call("1000", "call-b");
  peer_request("BYE", uri_of(ok.header("Contact")), "z9hG4bK-bye", ok, "2 BYE");
  const sip_message bye_ok = next();
  EXPECT_EQ(bye_ok.start_line, "SIP/2.0 200 OK");
  EXPECT_EQ(bye_ok.header("CSeq"), "2 BYE");
  EXPECT_TRUE(asterisk.wait_request("BYE", "1000", k_wait));  // Request-URI has no user
  EXPECT_EQ(asterisk.active_calls(), 0u);

  peer_request("BYE", uri_of(ok.header("Contact")), "z9hG4bK-bye-again", ok, "3 BYE");
  EXPECT_EQ(next().start_line, "SIP/2.0 481 Call/Transaction Does Not Exist");
}

TEST_F(FakeAsteriskTest, ReInviteGetsTheSameSdpUnlessGlare) {
  const sip_message ok = answered_call("1000", "call-g");
  const std::string offer = load_capture("inbound-sipserver-to-1000-invite.sip").body;
  struct row {
    bool glare;
    std::string status_line;
    std::string body;
  };
  const std::vector<row> rows = {
      {false, "SIP/2.0 200 OK", ok.body},
      {true, "SIP/2.0 491 Request Pending", ""},
      {false, "SIP/2.0 200 OK", ok.body},  // glare was for one re-INVITE
  };
  int cseq = 1;
  for (const row& r : rows) {
    SCOPED_TRACE(r.status_line);
    if (r.glare) asterisk.set_reinvite_glare("1000");
    ++cseq;
    peer_request("INVITE", uri_of(ok.header("Contact")), "z9hG4bK-re-" + std::to_string(cseq),
                 ok, std::to_string(cseq) + " INVITE", offer);
    const sip_message answer = next();
    EXPECT_EQ(answer.start_line, r.status_line);
    EXPECT_EQ(answer.body, r.body);
    ack(answer, uri_of(ok.header("Contact")));
    EXPECT_TRUE(asterisk.wait_request("ACK", "1000", k_wait));
    EXPECT_TRUE(silent_after_drain(k_quiet));
  }
  EXPECT_EQ(asterisk.count("INVITE", "1000"), 4u);
  EXPECT_EQ(asterisk.active_calls(), 1u);
}

// --- Calls, customer side: the fake calls the peer, which plays sipcc ---

TEST_F(FakeAsteriskTest, PlacedCallOffersTheCapturedSdpAcksTheAnswerAndHangsUp) {
  const std::string id = asterisk.place_call("8000", peer_port_);
  const sip_message invite = next();
  const sip_message capture = load_capture("service-8000-invite-asterisk-to-sipserver.sip");
  const std::string ast = "127.0.0.1:" + std::to_string(asterisk.port());
  EXPECT_EQ(invite.start_line, "INVITE sip:8000@127.0.0.1:" + port_ + " SIP/2.0");
  EXPECT_EQ(invite.header("Call-ID"), id);
  EXPECT_EQ(invite.header("CSeq"), "1 INVITE");
  EXPECT_EQ(invite.header("From").rfind("<sip:5551234@127.0.0.1>;tag=", 0), 0u);
  EXPECT_EQ(invite.header("To"), "<sip:8000@127.0.0.1>");
  EXPECT_EQ(invite.header("Contact"), "<sip:asterisk@" + ast + ">");
  EXPECT_EQ(invite.header("Session-Expires"), capture.header("Session-Expires"));
  EXPECT_EQ(invite.header("Content-Type"), "application/sdp");
  EXPECT_EQ(invite.body, capture.body);
  EXPECT_TRUE(same(next(), invite));  // timer A: re-sent until a response

  answer(invite, "180 Ringing");
  EXPECT_TRUE(asterisk.wait_provisional(id, 180, k_wait));
  EXPECT_TRUE(silent_after_drain(k_quiet));  // and not after one

  const std::string sdp = load_capture("inbound-sipserver-to-1000-invite.sip").body;
  answer(invite, "200 OK", sdp);
  const sip_message ack = next();
  EXPECT_EQ(ack.start_line, "ACK sip:sipserver@127.0.0.1:" + port_ + " SIP/2.0");
  EXPECT_EQ(ack.header("CSeq"), "1 ACK");
  EXPECT_EQ(ack.header("To"), std::string("<sip:8000@127.0.0.1>;tag=") + k_tag);
  EXPECT_NE(param(ack.header("Via"), "branch"), param(invite.header("Via"), "branch"));
  EXPECT_EQ(ack.body, "");
  EXPECT_EQ(asterisk.wait_final(id, k_wait), 200);
  EXPECT_EQ(asterisk.answer_sdp(id), sdp);
  answer(invite, "200 OK", sdp);  // a retransmitted 200 gets the ACK again
  EXPECT_TRUE(same(next(), ack));

  asterisk.hangup_call(id);
  const sip_message bye = next();
  EXPECT_EQ(bye.start_line, "BYE sip:sipserver@127.0.0.1:" + port_ + " SIP/2.0");
  EXPECT_EQ(bye.header("CSeq"), "2 BYE");
  EXPECT_EQ(bye.header("To"), ack.header("To"));
  EXPECT_EQ(asterisk.active_calls(), 1u);
  answer(bye);
  EXPECT_TRUE(asterisk.wait_calls_ended(k_wait));
  EXPECT_THROW(asterisk.hangup_call(id), std::runtime_error);
}

TEST_F(FakeAsteriskTest, PlacedCallFailureIsAckedInItsTransaction) {
  for (const std::string status : {"486 Busy Here", "480 Temporarily Unavailable", "603 Decline"}) {
    SCOPED_TRACE(status);
    const std::string id = asterisk.place_call("8000", peer_port_, "5550000");
    const sip_message invite = next();
    EXPECT_EQ(invite.header("From").rfind("<sip:5550000@127.0.0.1>;tag=", 0), 0u);
    answer(invite, status);
    const sip_message ack = next_new(invite);
    EXPECT_EQ(ack.start_line, "ACK sip:8000@127.0.0.1:" + port_ + " SIP/2.0");
    EXPECT_EQ(param(ack.header("Via"), "branch"), param(invite.header("Via"), "branch"));
    EXPECT_EQ(ack.header("CSeq"), "1 ACK");
    EXPECT_EQ(asterisk.wait_final(id, k_wait), std::stoi(status));
    EXPECT_EQ(asterisk.active_calls(), 0u);
  }
}

TEST_F(FakeAsteriskTest, CancelledPlacedCallWaitsForAProvisionalAndAcksThe487) {
  const std::string id = asterisk.place_call("8000", peer_port_);
  const sip_message invite = next();
  asterisk.cancel_call(id);  // waits for a provisional response
  EXPECT_THROW(asterisk.cancel_call(id), std::runtime_error);
  EXPECT_TRUE(same(next(), invite));
  answer(invite, "180 Ringing");
  const sip_message cancel = next_new(invite);
  EXPECT_EQ(cancel.start_line, "CANCEL sip:8000@127.0.0.1:" + port_ + " SIP/2.0");
  EXPECT_EQ(param(cancel.header("Via"), "branch"), param(invite.header("Via"), "branch"));
  EXPECT_EQ(cancel.header("To"), "<sip:8000@127.0.0.1>");
  EXPECT_EQ(cancel.header("CSeq"), "1 CANCEL");

  answer(cancel);
  answer(invite, "487 Request Terminated");
  EXPECT_EQ(next().start_line, "ACK sip:8000@127.0.0.1:" + port_ + " SIP/2.0");
  EXPECT_EQ(asterisk.wait_final(id, k_wait), 487);
  EXPECT_TRUE(asterisk.wait_calls_ended(k_wait));
}

TEST_F(FakeAsteriskTest, ByeFromSipccEndsThePlacedCall) {
  const std::string id = asterisk.place_call("8000", peer_port_);
  const sip_message invite = placed_call(id, "v=0\r\n");
  std::string bye = "BYE " + uri_of(invite.header("Contact")) + " SIP/2.0\r\n";
  bye += "Via: SIP/2.0/UDP 127.0.0.1:" + port_ + ";rport;branch=z9hG4bK-bye\r\n";
  bye += "From: " + invite.header("To") + ";tag=" + k_tag + "\r\nTo: " + invite.header("From") +
         "\r\nCall-ID: " + id + "\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n";
  send(bye);
  EXPECT_EQ(next().start_line, "SIP/2.0 200 OK");
  EXPECT_TRUE(asterisk.wait_bye_from_sipcc(id, k_wait));
  EXPECT_TRUE(asterisk.wait_request("BYE", "8000", k_wait));  // the call's resource
  EXPECT_EQ(asterisk.active_calls(), 0u);
}

TEST_F(FakeAsteriskTest, UnansweredPlacedCallGivesUpAfter64T1) {
  const std::string id = asterisk.place_call("8000", peer_port_);
  EXPECT_TRUE(asterisk.wait_calls_ended(k_wait));
  EXPECT_EQ(asterisk.wait_final(id, 0ms), std::nullopt);
  EXPECT_THROW(asterisk.wait_final("no-such-call", 0ms), std::runtime_error);
}

}  // namespace
}  // namespace sipcc::test
