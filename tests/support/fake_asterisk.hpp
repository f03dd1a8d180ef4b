// A controllable simulated Asterisk for end-to-end tests: a raw-UDP SIP peer
// on 127.0.0.1 that answers SUBSCRIBEs and sends NOTIFYs the way the real
// Asterisk in tests/data/asterisk did (see README.md there), with per-resource
// failure policies so tests can provoke 403/404/489/401, timeouts and
// stale/out-of-order NOTIFYs.
//
// Typical call flow:
//   fake_asterisk asterisk;
//   asterisk.set_initial_notify("1000", "presence-notify-closed.sip");
//   ... sipcc subscribes to sip:1000@127.0.0.1:<asterisk.port()> ...
//   ASSERT_TRUE(asterisk.wait_request("SUBSCRIBE", "1000", 2s));
//   auto cseq = asterisk.send_notify("1000", "presence-notify-open.sip");
//   EXPECT_EQ(asterisk.wait_response_to_notify(cseq, 2s), 200);
//
// Behaviour (the real Asterisk's, unless noted):
// - Initial SUBSCRIBE: 200 with a UUID To-tag, Expires = min(requested, 3600)
//   (none -> 3600), Contact <sip:127.0.0.1:PORT>; Expires: 0 -> 400. A list
//   resource (set_list) needs Supported: eventlist (else 404) and its 200 and
//   NOTIFYs carry Require: eventlist. No NOTIFY follows unless
//   set_initial_notify was called for the resource or
//   set_default_initial_notify for its event package (the fake's choice).
// - In-dialog SUBSCRIBE: refresh -> 200 plus a NOTIFY repeating the last body;
//   Expires: 0 -> 200 plus a final NOTIFY "terminated" with the last body;
//   unknown dialog -> 481.
// - A policy other than "answer 200" applies to initial and in-dialog
//   SUBSCRIBEs alike, so refreshes can be made to fail too.
// - Error responses carry To-tag = Via branch and no Contact, as pjsip does.
// - From/To URIs lose their port in responses and NOTIFYs, as in the captures.
// - NOTIFYs go to the host:port of the subscriber's Contact (the dialog's
//   remote target), so a wrong Contact in sipcc shows up as a lost NOTIFY.
// - Not modelled: NOTIFY retransmission, expiry timers (use send_notify with
//   a "terminated" state), authentication beyond sending the 401.
// - A retransmitted request (same Via branch and method) gets the cached
//   response again and is recorded once.
// - Other requests get 501 (ACK gets nothing).
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sip_capture.hpp"

namespace sipcc::test {

// How the fake answers the SUBSCRIBEs of one resource.
struct subscribe_policy {
  enum class action { answer, drop };
  action what = action::answer;
  int status = 200;   // 2xx accepts; anything else rejects with that status
  bool once = false;  // applies to the next SUBSCRIBE only

  static subscribe_policy accept() { return {}; }
  // 401 carries the WWW-Authenticate of error-subscribe-unknown-source-response.sip.
  static subscribe_policy reject(int status) { return {action::answer, status, false}; }
  // No answer at all, so the subscriber's transaction times out.
  static subscribe_policy drop() { return {action::drop, 0, false}; }
  subscribe_policy only_once() const {
    subscribe_policy p = *this;
    p.once = true;
    return p;
  }
};

struct notify_options {
  // Default "active;expires=<seconds remaining>". A value starting with
  // "terminated" ends the subscription after this NOTIFY.
  std::optional<std::string> subscription_state;
  // Forces the CSeq; the dialog's own counter is not advanced.
  std::optional<std::uint32_t> cseq;
  // dialog-info only: force version="N", or keep the captured one. Either way
  // the dialog's version counter is not advanced (a replayed/stale NOTIFY).
  std::optional<unsigned> version;
  bool keep_version = false;
};

// One datagram the fake received (requests and responses alike).
struct received {
  sip_message message;
  std::string method;    // request method; "" for a response
  int status = 0;        // response status; 0 for a request
  std::string resource;  // Request-URI user, or the dialog's resource for in-dialog messages
  std::string source;    // "ip:port" it came from
  std::chrono::steady_clock::time_point at;
};

struct active_subscription {
  std::string resource;
  std::string event;         // the SUBSCRIBE's Event value
  std::string last_capture;  // body of the last NOTIFY; "" before the first
};

class fake_asterisk {
 public:
  explicit fake_asterisk(std::uint16_t port = 0);  // 0 = any free port
  ~fake_asterisk();
  fake_asterisk(const fake_asterisk&) = delete;
  fake_asterisk& operator=(const fake_asterisk&) = delete;

  std::uint16_t port() const { return port_; }

  // A once policy is queued ahead of the standing one (200 by default).
  void set_policy(const std::string& resource, subscribe_policy policy);
  // Makes the resource an RLS list (needs Supported: eventlist).
  void set_list(const std::string& resource);
  // NOTIFY sent right after the 200 to each initial SUBSCRIBE of the resource.
  void set_initial_notify(const std::string& resource, const std::string& capture_name);
  // The same for every resource of an event package ("presence", "dialog")
  // that has no set_initial_notify of its own.
  void set_default_initial_notify(const std::string& event, const std::string& capture_name);

  // Sends the capture's body and Content-Type in the latest active
  // subscription dialog of the resource; returns the CSeq used. Throws
  // std::runtime_error if there is no such dialog.
  std::uint32_t send_notify(const std::string& resource, const std::string& capture_name,
                            const notify_options& opts = {});
  // Any bytes, to the address the last datagram came from.
  void send_raw(const std::string& text);

  // Earliest matching request not yet returned by a wait_request; marks it
  // returned, so consecutive waits walk through retries in order.
  std::optional<sip_message> wait_request(const std::function<bool(const received&)>& match,
                                          std::chrono::milliseconds deadline);
  std::optional<sip_message> wait_request(const std::string& method, const std::string& resource,
                                          std::chrono::milliseconds deadline);
  // Status of the subscriber's final response to the NOTIFY with this CSeq.
  std::optional<int> wait_response_to_notify(std::uint32_t cseq,
                                             std::chrono::milliseconds deadline);
  std::size_t count(const std::string& method, const std::string& resource) const;
  std::vector<test::received> received() const;
  // Dialogs not terminated yet, oldest first (expiry is not modelled).
  std::vector<active_subscription> active_subscriptions() const;

 private:
  struct dialog {
    std::string resource, event, call_id, local_tag, remote_tag;
    std::string remote_uri;     // subscriber's From URI (name-addr, port stripped)
    std::string remote_target;  // subscriber's Contact URI
    sockaddr_in target{};
    bool eventlist = false;
    bool active = true;
    std::chrono::steady_clock::time_point expires_at;
    std::uint32_t next_cseq = 0;
    unsigned next_version = 0;
    std::string last_capture;  // for refresh and unsubscribe NOTIFYs
  };

  void run();
  void handle(const std::string& raw, const sockaddr_in& from);
  void handle_subscribe(const sip_message& req, test::received& rec, const sockaddr_in& from);
  void handle_response(const sip_message& resp, test::received& rec);
  subscribe_policy next_policy(const std::string& resource);
  dialog* find_dialog(const std::string& call_id, const std::string& local_tag);
  void respond(const sip_message& req, const sockaddr_in& from, int status,
               const std::vector<std::pair<std::string, std::string>>& extra,
               const std::string& to_tag);
  std::uint32_t notify_locked(dialog& d, const std::string& capture_name,
                              const notify_options& opts);
  void send_to(const std::string& text, const sockaddr_in& to);
  std::string uuid();

  int fd_ = -1;
  int wake_[2] = {-1, -1};  // self-pipe that stops the receive thread
  std::uint16_t port_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::mt19937 rng_;
  std::map<std::string, subscribe_policy> policies_;
  std::map<std::string, std::deque<subscribe_policy>> once_policies_;
  std::set<std::string> lists_;
  std::map<std::string, std::string> initial_notify_;
  std::map<std::string, std::string> default_initial_notify_;  // by event package
  std::deque<dialog> dialogs_;  // deque: pointers stay valid as it grows
  std::map<std::string, std::optional<std::string>> responses_;  // branch+method -> sent answer
  std::vector<test::received> received_;
  std::vector<bool> returned_;  // parallel to received_, for wait_request
  std::map<std::uint32_t, int> notify_status_;
  sockaddr_in last_peer_{};
  std::thread thread_;
};

}  // namespace sipcc::test
