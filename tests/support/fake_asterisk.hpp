// A controllable simulated Asterisk for end-to-end tests: a raw-UDP SIP peer
// on 127.0.0.1 that answers SUBSCRIBEs and sends NOTIFYs the way the real
// Asterisk in tests/data/asterisk did (see README.md there), with per-resource
// failure policies so tests can provoke 403/404/489/401, timeouts and
// stale/out-of-order NOTIFYs. It also plays both ends of the calls sipcc
// bridges: the agent's phone that sipcc calls, and the customer who calls a
// Routing Point. Everything goes out of its one UDP socket, the address sipcc
// knows Asterisk by.
//
// Typical subscription flow:
//   fake_asterisk asterisk;
//   asterisk.set_initial_notify("1000", "presence-notify-closed.sip");
//   ... sipcc subscribes to sip:1000@127.0.0.1:<asterisk.port()> ...
//   ASSERT_TRUE(asterisk.wait_request("SUBSCRIBE", "1000", 2s));
//   auto cseq = asterisk.send_notify("1000", "presence-notify-open.sip");
//   EXPECT_EQ(asterisk.wait_response_to_notify(cseq, 2s), 200);
//
// Typical call flow (a customer calls Routing Point 8000, sipcc calls agent 1000):
//   const std::string call = asterisk.place_call("8000", sipcc_port);
//   auto invite = asterisk.wait_request("INVITE", "1000", 2s);  // offer = customer's SDP
//   asterisk.answer_call("1000");
//   EXPECT_EQ(asterisk.wait_final(call, 2s), 200);
//   ASSERT_TRUE(asterisk.wait_request("ACK", "1000", 2s));
//   asterisk.hangup("1000");                                  // the agent hangs up
//   EXPECT_TRUE(asterisk.wait_bye_from_sipcc(call, 2s));
//   EXPECT_TRUE(asterisk.wait_calls_ended(2s));
//
// Subscriptions (the real Asterisk's behaviour, unless noted):
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
//   SUBSCRIBEs alike, so refreshes can be made to fail too, or be answered
//   without their NOTIFY.
// - NOTIFYs go to the host:port of the subscriber's Contact (the dialog's
//   remote target), so a wrong Contact in sipcc shows up as a lost NOTIFY.
// - Not modelled: NOTIFY retransmission, expiry timers (use send_notify with
//   a "terminated" state), authentication beyond sending the 401.
//
// Calls:
// - INVITE from sipcc (no To-tag): 100 Trying at once, then per the
//   resource's call_policy: 180 Ringing, 200 now or on answer_call(), or a
//   rejection. The 200 carries the SDP of inbound-200ok-to-sipserver.sip and
//   is re-sent (T1, 2T1, ... capped at T2) until the ACK; after 64*T1 without
//   one the fake sends BYE (RFC 3261 13.3.1.4). A rejection is re-sent the
//   same way until its ACK. CANCEL of a pending INVITE: 200, then 487.
// - place_call(): INVITE like service-8000-invite-asterisk-to-sipserver.sip,
//   re-sent on timer A until any response (given up after 64*T1). A 2xx is
//   ACKed to its Contact, any other final in its transaction; a repeated final
//   gets the same ACK again. cancel_call() before any provisional response
//   waits for one; a 2xx arriving after the CANCEL is ACKed, then ended with
//   BYE. hangup() before sipcc's ACK waits for it.
// - In either dialog: BYE from sipcc -> 200; re-INVITE -> 200 with the same
//   SDP (491 after set_reinvite_glare), re-sent until its ACK; unknown dialog
//   -> 481.
// - Not modelled: 100rel/PRACK, UPDATE, session-timer refreshes, forking,
//   re-sending the fake's own BYE and CANCEL, BYE in an early dialog.
//
// Both:
// - Error responses carry To-tag = Via branch and no Contact, as pjsip does
//   (except those to an INVITE, which carry the call's tag).
// - From/To URIs lose their port in responses and in-dialog requests, as in
//   the captures.
// - A retransmitted request (same Via branch and method) gets the latest
//   response again and is recorded once.
// - Every datagram is recorded (received()); requests inside a dialog are
//   attributed to the dialog's resource, so wait_request("ACK", "1000") finds
//   the ACK whose Request-URI is the fake's Contact.
// - Other requests get 501 (an ACK outside any call gets nothing).
#pragma once

#include <netinet/in.h>

#include <atomic>
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
  bool notify = true; // false: the 200 brings no NOTIFY at all
  bool notify_first = false;  // the initial NOTIFY goes before the 200

  static subscribe_policy accept() { return {}; }
  // 200, its initial NOTIFY sent before it (RFC 6665 4.1.2.4: the NOTIFY
  // may overtake the answer; the subscriber makes the dialog from it).
  static subscribe_policy accept_notify_first() {
    subscribe_policy p;
    p.notify_first = true;
    return p;
  }
  // 200, but none of the NOTIFYs it would bring (initial, refresh, final):
  // what Asterisk does when the NOTIFY is too large for a UDP datagram (a
  // resource list of hundreds of DNs). An un-SUBSCRIBE still ends the dialog.
  static subscribe_policy accept_without_notify() { return {action::answer, 200, false, false}; }
  // 401 carries the WWW-Authenticate of error-subscribe-unknown-source-response.sip,
  // 423 a Min-Expires of 60 (RFC 3261 20.23; Asterisk itself sends none).
  static subscribe_policy reject(int status) { return {action::answer, status, false}; }
  // No answer at all, so the subscriber's transaction times out.
  static subscribe_policy drop() { return {action::drop, 0, false}; }
  subscribe_policy only_once() const {
    subscribe_policy p = *this;
    p.once = true;
    return p;
  }
};

// How the agent's phone behind the fake answers sipcc's INVITEs to one
// resource (initial INVITEs only; re-INVITEs are answered 200).
struct call_policy {
  enum class answer_mode {
    manual,     // 200 when the test calls answer_call()
    automatic,  // 200 right after the 180
    never,      // rings until sipcc gives up (CANCEL); answer_call() throws
  };
  bool ring = true;  // 180 Ringing after the 100 Trying
  answer_mode answer = answer_mode::manual;
  int reject_status = 0;  // 300..699: this final right after the 100, nothing else
  bool once = false;      // applies to the next INVITE only

  static call_policy manual() { return {}; }
  static call_policy auto_answer() { return {true, answer_mode::automatic, 0, false}; }
  static call_policy never_answer() { return {true, answer_mode::never, 0, false}; }
  static call_policy reject(int status) { return {false, answer_mode::never, status, false}; }
  call_policy without_ringing() const {
    call_policy p = *this;
    p.ring = false;
    return p;
  }
  call_policy only_once() const {
    call_policy p = *this;
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
  // 64 bits, so a test can send one past RFC 4235's 32-bit range.
  std::optional<std::uint64_t> version;
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

// A SUBSCRIBE with Expires: 0 (RFC 6665 4.1.2.3).
bool is_unsubscribe(const received& r);

struct active_subscription {
  std::string resource;
  std::string event;         // the SUBSCRIBE's Event value
  std::string last_capture;  // body of the last NOTIFY; "" before the first
};

// The Content-Type and body of a full-state RLMI NOTIFY of `list` in which
// every member is open: Asterisk's parts (rls-notify-full-state.sip), its
// PIDF of an idle phone (presence-notify-open.sip) per member, resource URIs
// at 127.0.0.1:<port>.
std::pair<std::string, std::string> rls_full_state_open(const std::string& list,
                                                        const std::vector<std::string>& members,
                                                        std::uint16_t port);

class fake_asterisk {
 public:
  // port 0 = any free port. t1 is RFC 3261's T1 for the fake's own
  // retransmissions (T2 = 8*T1, giving up after 64*T1); unit tests shorten it.
  explicit fake_asterisk(std::uint16_t port = 0,
                         std::chrono::milliseconds t1 = std::chrono::milliseconds(500));
  ~fake_asterisk();
  fake_asterisk(const fake_asterisk&) = delete;
  fake_asterisk& operator=(const fake_asterisk&) = delete;

  std::uint16_t port() const { return port_; }

  // --- Subscriptions ---

  // A once policy is queued ahead of the standing one (200 by default).
  void set_policy(const std::string& resource, subscribe_policy policy);
  // Makes the resource an RLS list (needs Supported: eventlist). With
  // members and no set_initial_notify of its own, each initial SUBSCRIBE of
  // it gets a full-state NOTIFY in which every member is open (the parts laid
  // out as in rls-notify-full-state.sip; rls_full_state_open).
  void set_list(const std::string& resource, std::vector<std::string> members = {});
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

  // --- Calls, agent side: sipcc calls sip:<resource>@<the fake> ---
  // The INVITE, ACK, CANCEL and BYE sipcc sends are waited for with
  // wait_request(method, resource, deadline).

  // A once policy is queued ahead of the standing one (manual by default).
  void set_call_policy(const std::string& resource, call_policy policy);
  // The next re-INVITE in a call of the resource gets 491 Request Pending.
  void set_reinvite_glare(const std::string& resource);
  // 200 with SDP to the resource's latest INVITE still ringing. Throws
  // std::runtime_error if there is none, or its policy is never.
  void answer_call(const std::string& resource);
  // The agent hangs up: BYE in the resource's latest answered call, once
  // sipcc has ACKed the 200. Throws std::runtime_error if there is none.
  void hangup(const std::string& resource);

  // --- Calls, customer side: the fake calls sipcc ---
  // Calls sip:<to_user>@127.0.0.1:<sipcc_port> from <from_user>; returns the
  // call's id (its Call-ID). The call's resource is to_user.
  std::string place_call(const std::string& to_user, std::uint16_t sipcc_port,
                         const std::string& from_user = "5551234");
  // CANCEL of the INVITE, sent once a provisional response has come. Throws
  // std::runtime_error after a final response, or a second time.
  void cancel_call(const std::string& id);
  // BYE in the call; throws std::runtime_error unless it is confirmed.
  void hangup_call(const std::string& id);
  // Status of sipcc's first final response to the INVITE; nothing if none
  // came in time (or the fake gave up re-sending the INVITE).
  std::optional<int> wait_final(const std::string& id, std::chrono::milliseconds deadline);
  // Whether sipcc sent this provisional status (100, 180, 183) for the INVITE.
  bool wait_provisional(const std::string& id, int status, std::chrono::milliseconds deadline);
  bool wait_bye_from_sipcc(const std::string& id, std::chrono::milliseconds deadline);
  // Body of sipcc's 2xx to the INVITE; "" before it.
  std::string answer_sdp(const std::string& id) const;
  // The wait_* and answer_sdp above throw std::runtime_error for an unknown id.

  // --- Calls, both sides ---
  // Calls not ended yet: ringing, answered but not ACKed, up, or hanging up.
  std::size_t active_calls() const;
  bool wait_calls_ended(std::chrono::milliseconds deadline);

  // --- Everything received ---

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
  // Standing policy per resource, with once policies queued ahead of it.
  template <class Policy>
  struct policy_book {
    std::map<std::string, Policy> standing;
    std::map<std::string, std::deque<Policy>> once;
    void set(const std::string& resource, Policy p);
    Policy next(const std::string& resource);
  };

  // What subscription and call dialogs share: who is who, where in-dialog
  // requests go.
  struct dialog {
    std::string resource;  // Request-URI user of the initial request; place_call: to_user
    std::string call_id, local_tag, remote_tag;
    std::string local_uri, remote_uri;  // From/To name-addr without tag, port stripped
    std::string local_contact;          // the fake's Contact in requests it sends
    std::string remote_target;          // the peer's Contact URI
    sockaddr_in target{};
    std::uint32_t next_cseq = 0;
  };

  struct subscription : dialog {
    std::string event;
    bool eventlist = false;
    bool active = true;
    std::chrono::steady_clock::time_point expires_at;
    unsigned next_version = 0;
    std::string last_capture;  // for refresh and unsubscribe NOTIFYs
  };

  // A message re-sent after T1, 2*T1, 4*T1... until answered, and given up
  // after 64*T1 (RFC 3261 17.1.1.2 timers A/B, 13.3.1.4 and 17.2.1 timers G/H).
  struct retransmission {
    std::string text;  // "" = nothing pending
    sockaddr_in to{};
    std::chrono::milliseconds interval{};
    bool capped = false;  // intervals stop growing at T2 (responses; not INVITE timer A)
    std::chrono::steady_clock::time_point next, give_up;
  };

  // One INVITE dialog, from either end:
  //
  //   agent side (sipcc called; the fake answers):
  //     proceeding --answer--> answered --ACK--> confirmed
  //     proceeding --reject | CANCEL: 487--> rejected --ACK--> ended
  //     answered --no ACK in 64*T1, or hangup before it: BYE--> closing
  //   customer side (place_call; the fake calls):
  //     calling --1xx--> proceeding --2xx: ACK--> confirmed
  //     calling | proceeding --final >= 300: ACK--> ended
  //     calling --no response in 64*T1--> ended
  //   both:
  //     confirmed --hangup: BYE--> closing --final to the BYE--> ended
  //     any but ended --BYE from sipcc: 200--> ended
  enum class call_state { calling, proceeding, answered, rejected, confirmed, closing, ended };

  struct call : dialog {
    bool answering = false;  // the fake is the called party (agent side)
    call_state state = call_state::calling;
    call_policy policy;       // agent side
    sip_message invite;       // agent side: to build the INVITE's responses
    sockaddr_in source{};     // agent side: where the INVITE came from
    std::string invite_uri;   // customer side: for CANCEL and the ACK of a failure
    std::string invite_branch;
    std::string local_sdp;   // offer or answer; repeated on re-INVITEs
    std::string remote_sdp;  // customer side: the 2xx's body
    std::vector<int> invite_statuses;  // customer side: every response to the INVITE
    std::optional<int> final_status;
    std::string ack;  // customer side: re-sent for each repeated final
    bool cancelled = false;      // customer side: cancel_call()
    bool hangup_on_ack = false;  // agent side: hangup() before the ACK
    bool bye_received = false;
    retransmission resend;
  };

  void run();
  int next_timer_ms();
  void fire_timers();
  void wake();
  void handle(const std::string& raw, const sockaddr_in& from);
  void handle_subscribe(const sip_message& req, test::received& rec, const sockaddr_in& from);
  void handle_call_request(const sip_message& req, test::received& rec, const sockaddr_in& from);
  void handle_invite(const sip_message& req, const std::string& resource,
                     const sockaddr_in& from);
  void handle_cancel(const sip_message& req, test::received& rec, const sockaddr_in& from);
  void handle_response(const sip_message& resp, test::received& rec);
  void handle_invite_response(call& c, const sip_message& resp, int status);
  void open_dialog(dialog& d, const sip_message& req, const std::string& resource,
                   const sockaddr_in& from);
  void answer_invite(call& c, int status);
  void send_bye(call& c);
  void send_cancel(call& c);
  void resend_until_answered(call& c, std::string text, const sockaddr_in& to, bool capped);
  call& call_by_id(const std::string& id);
  const call& call_by_id(const std::string& id) const;
  call* latest_call(const std::string& resource, call_state state);
  std::size_t active_calls_locked() const;
  std::string respond(const sip_message& req, const sockaddr_in& from, int status,
                      const std::vector<std::pair<std::string, std::string>>& extra,
                      const std::string& to_tag, const std::string& sdp = {});
  std::string request(const dialog& d, const std::string& method, const std::string& uri,
                      const std::string& branch, std::uint32_t cseq,
                      const std::vector<std::pair<std::string, std::string>>& extra,
                      const std::string& content_type, const std::string& body) const;
  std::uint32_t notify_locked(subscription& d, const std::string& capture_name,
                              const notify_options& opts);
  std::uint32_t notify_body_locked(subscription& d, const std::string& content_type,
                                   std::string body, const notify_options& opts);
  void send_to(const std::string& text, const sockaddr_in& to);
  std::string uuid();
  std::string branch();

  int fd_ = -1;
  int wake_[2] = {-1, -1};  // self-pipe: re-arm the timers, or stop the receive thread
  std::atomic<bool> stopping_{false};
  std::uint16_t port_ = 0;
  const std::chrono::milliseconds t1_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::mt19937 rng_;
  policy_book<subscribe_policy> policies_;
  policy_book<call_policy> call_policies_;
  std::map<std::string, std::vector<std::string>> lists_;  // members, when given
  std::map<std::string, std::string> initial_notify_;
  std::map<std::string, std::string> default_initial_notify_;  // by event package
  std::set<std::string> reinvite_glare_;
  // deques: references stay valid as they grow
  std::deque<subscription> subscriptions_;
  std::deque<call> calls_;
  std::map<std::string, std::optional<std::string>> responses_;  // branch+method -> sent answer
  std::vector<test::received> received_;
  std::vector<bool> returned_;  // parallel to received_, for wait_request
  std::map<std::uint32_t, int> notify_status_;
  sockaddr_in last_peer_{};
  std::thread thread_;
};

}  // namespace sipcc::test
