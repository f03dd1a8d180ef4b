// The simulated Asterisk tested against itself: a raw UDP socket plays the
// subscriber (the part sipcc plays in the end-to-end tests).
#include "fake_asterisk.hpp"
#include "loopback.hpp"

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

// ";tag=" (or any) parameter of a header value.
std::string param(const std::string& v, const std::string& name) {
  std::size_t p = v.find(";" + name + "=");
  if (p == std::string::npos) return {};
  p += name.size() + 2;
  return v.substr(p, v.find(';', p) - p);
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
    uint16_t port = 0;
    fd_ = bind_loopback(SOCK_DGRAM, port);
    port_ = std::to_string(port);
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
  sip_message next() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(k_wait.count())) != 1) return {};
    std::string buf(65536, '\0');
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    return parse_sip_message(buf.substr(0, n > 0 ? static_cast<std::size_t>(n) : 0));
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

  // The subscriber's 200 OK to a NOTIFY.
  void answer(const sip_message& notify) {
    std::string m = "SIP/2.0 200 OK\r\n";
    for (const char* h : {"Via", "From", "To", "Call-ID", "CSeq"})
      m += std::string(h) + ": " + notify.header(h) + "\r\n";
    send(m + "Content-Length: 0\r\n\r\n");
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

  static constexpr const char* k_tag = "sub-tag";
  fake_asterisk asterisk;
  int fd_ = -1;
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
      "INVITE sip:7006@127.0.0.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 127.0.0.1:" +
      port_ +
      ";branch=z9hG4bK-inv\r\n"
      "From: <sip:1000@127.0.0.1>;tag=a\r\nTo: <sip:7006@127.0.0.1>\r\n"
      "Call-ID: inv-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
  const sip_message resp = next();
  EXPECT_EQ(resp.start_line, "SIP/2.0 501 Not Implemented");
  EXPECT_EQ(param(resp.header("To"), "tag"), "z9hG4bK-inv");  // pjsip tags errors with the branch
  EXPECT_EQ(asterisk.count("INVITE", "7006"), 1u);
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

}  // namespace
}  // namespace sipcc::test
