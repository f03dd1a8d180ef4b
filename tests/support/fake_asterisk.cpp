#include "fake_asterisk.hpp"
#include "loopback.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace sipcc::test {
namespace {

using headers = std::vector<std::pair<std::string, std::string>>;

const char* const k_allow =
    "OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, "
    "MESSAGE, INFO, REFER";
constexpr unsigned k_max_expires = 3600;
constexpr unsigned k_min_expires = 60;  // the Min-Expires of a 423 (Asterisk's sub_min_expiry)

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Every value of a header, also under its compact name (RFC 3261 7.3.3), in
// wire order; sofia may send either form.
std::vector<std::string> all_values(const sip_message& m, std::string_view name,
                                    std::string_view compact) {
  std::vector<std::string> out;
  for (const auto& [n, v] : m.headers)
    if (iequals(n, name) || (!compact.empty() && iequals(n, compact))) out.push_back(v);
  return out;
}

std::string value(const sip_message& m, std::string_view name, std::string_view compact = {}) {
  auto all = all_values(m, name, compact);
  return all.empty() ? std::string() : all.front();
}

std::string first_token(const std::string& s) { return s.substr(0, s.find(' ')); }

// ";name=value" parameter of a header value, "" when absent.
std::string param(const std::string& v, const std::string& name) {
  std::size_t from = v.find('>');
  from = from == std::string::npos ? 0 : from;
  std::size_t p = v.find(";" + name + "=", from);
  if (p == std::string::npos) return {};
  p += name.size() + 2;
  return v.substr(p, v.find_first_of(";>, ", p) - p);
}

std::string without_tag(std::string v) {
  std::size_t p = v.find(";tag=");
  if (p != std::string::npos) v.erase(p, v.find(';', p + 1) - p);
  return v;
}

// "<sip:user@host:port>;tag=x" -> "<sip:user@host>;tag=x", as pjsip writes
// From/To.
std::string strip_port(std::string v) {
  std::size_t scheme = v.find("sip:");
  if (scheme == std::string::npos) return v;
  std::size_t end = v.find_first_of(">;?", scheme);
  if (end == std::string::npos) end = v.size();
  std::size_t at = v.find('@', scheme);
  std::size_t host = (at == std::string::npos || at > end) ? scheme + 4 : at + 1;
  std::size_t colon = v.find(':', host);
  if (colon != std::string::npos && colon < end) v.erase(colon, end - colon);
  return v;
}

std::string uri_in(const std::string& name_addr) {
  std::size_t lt = name_addr.find('<');
  if (lt == std::string::npos) return name_addr.substr(0, name_addr.find(';'));
  return name_addr.substr(lt + 1, name_addr.find('>', lt) - lt - 1);
}

// Request-URI user part: "SUBSCRIBE sip:1000@host SIP/2.0" -> "1000".
std::string request_user(const std::string& start_line) {
  std::size_t colon = start_line.find("sip:");
  std::size_t at = start_line.find('@');
  std::size_t sp = start_line.find(' ', colon);
  if (colon == std::string::npos || at == std::string::npos || at > sp) return {};
  return start_line.substr(colon + 4, at - colon - 4);
}

// host:port of a SIP URI, when the host is a literal IPv4 address.
std::optional<sockaddr_in> address_of(const std::string& uri) {
  std::size_t host = uri.find('@');
  host = host == std::string::npos ? uri.find(':') + 1 : host + 1;
  std::size_t end = uri.find_first_of(";?>", host);
  std::string hostport = uri.substr(host, end == std::string::npos ? end : end - host);
  std::size_t colon = hostport.find(':');
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(colon == std::string::npos
                         ? 5060
                         : static_cast<std::uint16_t>(std::atoi(hostport.c_str() + colon + 1)));
  if (inet_pton(AF_INET, hostport.substr(0, colon).c_str(), &a.sin_addr) != 1) return {};
  return a;
}

std::string to_string(const sockaddr_in& a) {
  char ip[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}

std::optional<unsigned> number(const std::string& s) {
  if (s.empty() || !std::isdigit(static_cast<unsigned char>(s.front()))) return {};
  return static_cast<unsigned>(std::strtoul(s.c_str(), nullptr, 10));
}

std::string reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Trying";
    case 180:
      return "Ringing";
    case 183:
      return "Session Progress";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 480:
      return "Temporarily Unavailable";
    case 481:
      return "Call/Transaction Does Not Exist";
    case 486:
      return "Busy Here";
    case 487:
      return "Request Terminated";
    case 489:
      return "Bad Event";
    case 491:
      return "Request Pending";
    case 500:
      return "Server Internal Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 603:
      return "Decline";
    default:
      return "Unknown";
  }
}

// dialog-info's own version attribute (not the XML declaration's).
std::string with_version(std::string body, std::uint64_t version) {
  std::size_t elem = body.find("<dialog-info");
  if (elem == std::string::npos) return body;
  std::size_t attr = body.find(" version=\"", elem);
  if (attr == std::string::npos || attr > body.find('>', elem)) return body;
  attr += 10;
  body.replace(attr, body.find('"', attr) - attr, std::to_string(version));
  return body;
}

bool supports_eventlist(const sip_message& m) {
  for (const auto& v : all_values(m, "Supported", "k"))
    if (v.find("eventlist") != std::string::npos) return true;
  return false;
}

// P-Asserted-Identity of an agent's phone, from its endpoint's callerid.
std::string agent_identity(const std::string& resource) {
  return "\"Agent " + resource + "\" <sip:" + resource + "@127.0.0.1>";
}

bool is_call_method(const std::string& method) {
  return method == "INVITE" || method == "ACK" || method == "BYE" || method == "CANCEL";
}

// "17111 INVITE" -> "INVITE".
std::string cseq_method(const std::string& cseq) {
  return cseq.substr(cseq.find_last_of(' ') + 1);
}

// The dialog whose local tag is the request's To-tag or the response's From-tag.
template <class Dialogs>
auto find_dialog(Dialogs& dialogs, const std::string& call_id, const std::string& local_tag)
    -> decltype(&dialogs.front()) {
  for (auto& d : dialogs)
    if (d.call_id == call_id && d.local_tag == local_tag) return &d;
  return nullptr;
}

}  // namespace

std::pair<std::string, std::string> rls_full_state_open(const std::string& list,
                                                        const std::vector<std::string>& members,
                                                        std::uint16_t port) {
  static const std::string pidf = load_capture("presence-notify-open.sip").body;  // of 1000
  const std::string boundary = "wwdie";
  const std::string host = "127.0.0.1:" + std::to_string(port);
  auto part = [&](const std::string& cid, const std::string& type, const std::string& body) {
    return "--" + boundary + "\r\nContent-ID: <" + cid + "@127.0.0.1>\r\nContent-Type: " + type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body + "\r\n";
  };
  std::string rlmi = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" uri=\"sip:" + list + "@" + host +
                     "\" version=\"0\" fullState=\"true\">\n <name>" + list + "</name>\n";
  std::string parts;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const std::string& dn = members[i];
    const std::string cid = "p" + std::to_string(i);
    rlmi += " <resource uri=\"sip:" + dn + "@" + host + "\">\n  <name>" + dn +
            "</name>\n  <instance id=\"i" + std::to_string(i) + "\" state=\"active\" cid=\"" + cid +
            "@127.0.0.1\" />\n </resource>\n";
    parts += part(cid, "application/pidf+xml",
                  replace_all(replace_all(pidf, "sip:1000@127.0.0.1:5070", "sip:" + dn + "@" + host),
                           "<tuple id=\"1000\">", "<tuple id=\"" + dn + "\">"));
  }
  rlmi += "</list>\n";
  return {"multipart/related;type=\"application/rlmi+xml\";boundary=" + boundary,
          part("rlmi", "application/rlmi+xml", rlmi) + parts + "--" + boundary + "--\r\n"};
}

bool is_unsubscribe(const received& r) {
  return r.method == "SUBSCRIBE" && r.message.header("Expires") == "0";
}

template <class Policy>
void fake_asterisk::policy_book<Policy>::set(const std::string& resource, Policy p) {
  if (p.once)
    once[resource].push_back(p);
  else
    standing[resource] = p;
}

template <class Policy>
Policy fake_asterisk::policy_book<Policy>::next(const std::string& resource) {
  if (auto q = once.find(resource); q != once.end() && !q->second.empty()) {
    Policy p = q->second.front();
    q->second.pop_front();
    return p;
  }
  auto it = standing.find(resource);
  return it == standing.end() ? Policy{} : it->second;
}

fake_asterisk::fake_asterisk(std::uint16_t port, std::chrono::milliseconds t1)
    : t1_(t1), rng_(std::random_device{}()) {
  port_ = port;
  fd_ = bind_loopback(SOCK_DGRAM, port_);
  if (::pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "fake_asterisk pipe");
  thread_ = std::thread([this] { run(); });
}

fake_asterisk::~fake_asterisk() {
  stopping_ = true;
  wake();
  thread_.join();
  ::close(wake_[0]);
  ::close(wake_[1]);
  ::close(fd_);
}

void fake_asterisk::set_policy(const std::string& resource, subscribe_policy policy) {
  std::lock_guard lock(mu_);
  policies_.set(resource, policy);
}

void fake_asterisk::set_list(const std::string& resource, std::vector<std::string> members) {
  std::lock_guard lock(mu_);
  lists_[resource] = std::move(members);
}

void fake_asterisk::set_initial_notify(const std::string& resource,
                                       const std::string& capture_name) {
  std::lock_guard lock(mu_);
  initial_notify_[resource] = capture_name;
}

void fake_asterisk::set_default_initial_notify(const std::string& event,
                                               const std::string& capture_name) {
  std::lock_guard lock(mu_);
  default_initial_notify_[event] = capture_name;
}

std::uint32_t fake_asterisk::send_notify(const std::string& resource,
                                         const std::string& capture_name,
                                         const notify_options& opts) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(subscriptions_.rbegin(), subscriptions_.rend(), [&](const subscription& d) {
    return d.active && d.resource == resource;
  });
  if (it == subscriptions_.rend())
    throw std::runtime_error("no active subscription for " + resource);
  return notify_locked(*it, capture_name, opts);
}

void fake_asterisk::send_raw(const std::string& text) {
  std::lock_guard lock(mu_);
  if (last_peer_.sin_port == 0) throw std::runtime_error("send_raw: nobody has sent anything yet");
  send_to(text, last_peer_);
}

void fake_asterisk::set_call_policy(const std::string& resource, call_policy policy) {
  std::lock_guard lock(mu_);
  call_policies_.set(resource, policy);
}

void fake_asterisk::set_reinvite_glare(const std::string& resource) {
  std::lock_guard lock(mu_);
  reinvite_glare_.insert(resource);
}

void fake_asterisk::answer_call(const std::string& resource) {
  std::lock_guard lock(mu_);
  call* c = latest_call(resource, call_state::proceeding);
  if (!c) throw std::runtime_error("answer_call: no INVITE to " + resource + " is ringing");
  if (c->policy.answer == call_policy::answer_mode::never)
    throw std::runtime_error("answer_call: the call policy of " + resource + " is never");
  answer_invite(*c, 200);
  cv_.notify_all();
}

void fake_asterisk::hangup(const std::string& resource) {
  std::lock_guard lock(mu_);
  call* c = latest_call(resource, call_state::confirmed);
  if (!c) c = latest_call(resource, call_state::answered);
  if (!c) throw std::runtime_error("hangup: no answered call to " + resource);
  // Before the ACK, the BYE waits for it (RFC 3261 15).
  if (c->state == call_state::answered)
    c->hangup_on_ack = true;
  else
    send_bye(*c);
  cv_.notify_all();
}

std::string fake_asterisk::place_call(const std::string& to_user, std::uint16_t sipcc_port,
                                      const std::string& from_user) {
  const sip_message capture = load_capture("service-8000-invite-asterisk-to-sipserver.sip");
  headers extra;
  for (const char* h : {"Allow", "Supported", "Session-Expires", "Min-SE"})
    extra.emplace_back(h, capture.header(h));

  std::lock_guard lock(mu_);
  call& c = calls_.emplace_back();
  c.resource = to_user;
  c.call_id = uuid();
  c.local_tag = uuid();
  c.local_uri = "<sip:" + from_user + "@127.0.0.1>";
  c.remote_uri = "<sip:" + to_user + "@127.0.0.1>";
  c.local_contact = "<sip:asterisk@127.0.0.1:" + std::to_string(port_) + ">";
  c.invite_uri = c.remote_target = "sip:" + to_user + "@127.0.0.1:" + std::to_string(sipcc_port);
  c.target = *address_of(c.remote_target);
  c.invite_branch = branch();
  c.local_sdp = capture.body;
  c.next_cseq = 2;
  extra.emplace_back("P-Asserted-Identity", c.local_uri);
  std::string invite = request(c, "INVITE", c.invite_uri, c.invite_branch, 1, extra,
                               capture.header("Content-Type"), c.local_sdp);
  send_to(invite, c.target);
  resend_until_answered(c, std::move(invite), c.target, false);
  return c.call_id;
}

void fake_asterisk::cancel_call(const std::string& id) {
  std::lock_guard lock(mu_);
  call& c = call_by_id(id);
  if (c.cancelled || (c.state != call_state::calling && c.state != call_state::proceeding))
    throw std::runtime_error("cancel_call: " + id + " is cancelled or has a final answer");
  c.cancelled = true;
  // Before any provisional response, the CANCEL waits for one (RFC 3261 9.1).
  if (c.state == call_state::proceeding) send_cancel(c);
}

void fake_asterisk::hangup_call(const std::string& id) {
  std::lock_guard lock(mu_);
  call& c = call_by_id(id);
  if (c.state != call_state::confirmed)
    throw std::runtime_error("hangup_call: " + id + " is not confirmed");
  send_bye(c);
  cv_.notify_all();
}

std::optional<int> fake_asterisk::wait_final(const std::string& id,
                                             std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  const call& c = call_by_id(id);
  cv_.wait_for(lock, deadline,
               [&] { return c.final_status.has_value() || c.state == call_state::ended; });
  return c.final_status;
}

bool fake_asterisk::wait_provisional(const std::string& id, int status,
                                     std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  const call& c = call_by_id(id);
  return cv_.wait_for(lock, deadline, [&] {
    return std::find(c.invite_statuses.begin(), c.invite_statuses.end(), status) !=
           c.invite_statuses.end();
  });
}

bool fake_asterisk::wait_bye_from_sipcc(const std::string& id,
                                        std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  const call& c = call_by_id(id);
  return cv_.wait_for(lock, deadline, [&] { return c.bye_received; });
}

std::string fake_asterisk::answer_sdp(const std::string& id) const {
  std::lock_guard lock(mu_);
  return call_by_id(id).remote_sdp;
}

std::size_t fake_asterisk::active_calls() const {
  std::lock_guard lock(mu_);
  return active_calls_locked();
}

bool fake_asterisk::wait_calls_ended(std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, deadline, [&] { return active_calls_locked() == 0; });
}

std::optional<sip_message> fake_asterisk::wait_request(
    const std::function<bool(const test::received&)>& match, std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  std::optional<sip_message> found;
  cv_.wait_for(lock, deadline, [&] {
    for (std::size_t i = 0; i < received_.size(); ++i) {
      if (returned_[i] || received_[i].method.empty() || !match(received_[i])) continue;
      returned_[i] = true;
      found = received_[i].message;
      return true;
    }
    return false;
  });
  return found;
}

std::optional<sip_message> fake_asterisk::wait_request(const std::string& method,
                                                       const std::string& resource,
                                                       std::chrono::milliseconds deadline) {
  return wait_request(
      [&](const test::received& r) { return r.method == method && r.resource == resource; },
      deadline);
}

std::optional<int> fake_asterisk::wait_response_to_notify(std::uint32_t cseq,
                                                          std::chrono::milliseconds deadline) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, deadline, [&] { return notify_status_.count(cseq) > 0; })) return {};
  return notify_status_.at(cseq);
}

std::size_t fake_asterisk::count(const std::string& method, const std::string& resource) const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(std::count_if(
      received_.begin(), received_.end(),
      [&](const test::received& r) { return r.method == method && r.resource == resource; }));
}

std::vector<received> fake_asterisk::received() const {
  std::lock_guard lock(mu_);
  return received_;
}

std::vector<active_subscription> fake_asterisk::active_subscriptions() const {
  std::lock_guard lock(mu_);
  std::vector<active_subscription> out;
  for (const subscription& d : subscriptions_)
    if (d.active) out.push_back({d.resource, d.event, d.last_capture});
  return out;
}

// One thread receives, answers and re-sends; it sleeps in poll until a
// datagram, the next retransmission, or a wake() from the test's thread.
void fake_asterisk::run() {
  std::string buf(65536, '\0');
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
  for (;;) {
    const int ready = ::poll(fds, 2, next_timer_ms());
    if (ready < 0 && errno != EINTR) return;
    if (ready > 0 && (fds[1].revents & POLLIN)) {
      char drain[64];
      while (::read(wake_[0], drain, sizeof drain) > 0) {
      }
      if (stopping_) return;
    }
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      sockaddr_in from{};
      socklen_t len = sizeof from;
      ssize_t n =
          ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n > 0) handle(buf.substr(0, static_cast<std::size_t>(n)), from);
    }
    fire_timers();
  }
}

int fake_asterisk::next_timer_ms() {
  std::lock_guard lock(mu_);
  std::optional<std::chrono::steady_clock::time_point> next;
  for (const call& c : calls_)
    if (!c.resend.text.empty() && (!next || c.resend.next < *next)) next = c.resend.next;
  if (!next) return -1;
  const auto wait =
      std::chrono::ceil<std::chrono::milliseconds>(*next - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, wait.count()));
}

void fake_asterisk::fire_timers() {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  for (call& c : calls_) {
    retransmission& r = c.resend;
    if (r.text.empty() || r.next > now) continue;
    if (now < r.give_up) {
      send_to(r.text, r.to);
      r.interval = r.capped ? std::min(2 * r.interval, 8 * t1_) : 2 * r.interval;
      r.next = std::min(now + r.interval, r.give_up);
      continue;
    }
    // Nobody answered in 64*T1: an unACKed 2xx ends the dialog with a BYE
    // (RFC 3261 13.3.1.4); an unanswered INVITE or unACKed failure just ends.
    r = {};
    if (c.state == call_state::answered)
      send_bye(c);
    else if (c.state == call_state::calling || c.state == call_state::rejected)
      c.state = call_state::ended;
    cv_.notify_all();
  }
}

void fake_asterisk::wake() {
  const char c = 0;
  // A full pipe (EAGAIN) already wakes the thread.
  if (::write(wake_[1], &c, 1) < 0 && errno != EAGAIN) std::abort();  // it would never stop
}

void fake_asterisk::handle(const std::string& raw, const sockaddr_in& from) {
  sip_message msg = parse_sip_message(raw);
  if (msg.start_line.empty()) return;
  test::received rec{msg, {}, 0, {}, to_string(from), std::chrono::steady_clock::now()};
  std::lock_guard lock(mu_);
  last_peer_ = from;
  if (msg.start_line.rfind("SIP/2.0 ", 0) == 0) {
    rec.status = number(msg.start_line.substr(8)).value_or(0);
    handle_response(msg, rec);
  } else {
    rec.method = first_token(msg.start_line);
    std::string key = param(value(msg, "Via", "v"), "branch") + " " + rec.method;
    if (auto it = responses_.find(key); it != responses_.end() && rec.method != "ACK") {
      if (it->second) send_to(*it->second, from);  // retransmission: same answer, not recorded
      return;
    }
    rec.resource = request_user(msg.start_line);
    if (rec.method == "SUBSCRIBE")
      handle_subscribe(msg, rec, from);
    else if (is_call_method(rec.method))
      handle_call_request(msg, rec, from);
    else
      respond(msg, from, 501, {}, {});
  }
  received_.push_back(std::move(rec));
  returned_.push_back(false);
  cv_.notify_all();
}

void fake_asterisk::handle_subscribe(const sip_message& req, test::received& rec,
                                     const sockaddr_in& from) {
  const std::string to_tag = param(value(req, "To", "t"), "tag");
  const std::optional<unsigned> expires = number(value(req, "Expires"));
  subscription* d = nullptr;
  if (!to_tag.empty()) {
    d = find_dialog(subscriptions_, value(req, "Call-ID", "i"), to_tag);
    if (!d || !d->active) {
      respond(req, from, 481, {}, to_tag);
      return;
    }
    rec.resource = d->resource;
  }

  const subscribe_policy policy = policies_.next(rec.resource);
  if (policy.what == subscribe_policy::action::drop) {
    responses_[param(value(req, "Via", "v"), "branch") + " SUBSCRIBE"] = std::nullopt;
    return;
  }
  if (policy.status >= 300) {
    headers extra;
    if (policy.status == 401)
      extra.emplace_back(
          "WWW-Authenticate",
          load_capture("error-subscribe-unknown-source-response.sip").header("WWW-Authenticate"));
    if (policy.status == 423) extra.emplace_back("Min-Expires", std::to_string(k_min_expires));
    if (d && policy.status == 481) d->active = false;
    respond(req, from, policy.status, extra, to_tag);
    return;
  }

  const unsigned granted = std::min(expires.value_or(k_max_expires), k_max_expires);
  if (!d) {
    const std::string event = value(req, "Event", "o");
    const bool is_list = lists_.count(rec.resource) > 0;
    int refusal = 0;
    if (event.empty())
      refusal = 489;
    else if (granted == 0)
      refusal = 400;
    else if (is_list && !supports_eventlist(req))
      refusal = 404;
    if (refusal) {
      respond(req, from, refusal, {}, {});
      return;
    }
    subscription& nd = subscriptions_.emplace_back();
    open_dialog(nd, req, rec.resource, from);
    nd.event = event;
    nd.eventlist = is_list;
    d = &nd;
  } else if (std::string contact = value(req, "Contact", "m"); !contact.empty()) {
    d->remote_target = uri_in(contact);
    d->target = address_of(d->remote_target).value_or(from);
  }
  d->expires_at = std::chrono::steady_clock::now() + std::chrono::seconds(granted);

  headers extra{{"Expires", std::to_string(granted)}};
  if (d->eventlist) extra.emplace_back("Require", "eventlist");
  const bool notify_first = policy.notify_first && policy.notify && to_tag.empty();
  if (!notify_first) respond(req, from, 200, extra, d->local_tag);

  if (!policy.notify) {
    if (granted == 0) d->active = false;  // the final NOTIFY is what is withheld
    return;
  }
  if (to_tag.empty()) {
    const std::string* initial = nullptr;
    const std::string package = d->event.substr(0, d->event.find(';'));
    auto list = lists_.find(d->resource);
    if (auto it = initial_notify_.find(d->resource); it != initial_notify_.end())
      initial = &it->second;
    else if (list != lists_.end() && !list->second.empty()) {
      auto [content_type, body] = rls_full_state_open(d->resource, list->second, port_);
      notify_body_locked(*d, content_type, std::move(body), {});
    } else if (auto def = default_initial_notify_.find(package); def != default_initial_notify_.end())
      initial = &def->second;
    if (initial) notify_locked(*d, *initial, {});
    if (notify_first) respond(req, from, 200, extra, d->local_tag);
  } else if (granted == 0) {
    notify_locked(*d, d->last_capture, {std::string("terminated"), {}, {}, false});
  } else if (!d->last_capture.empty()) {
    notify_locked(*d, d->last_capture, {});  // Asterisk re-sends the state on refresh
  }
}

void fake_asterisk::handle_call_request(const sip_message& req, test::received& rec,
                                        const sockaddr_in& from) {
  if (rec.method == "CANCEL") return handle_cancel(req, rec, from);
  const std::string to_tag = param(value(req, "To", "t"), "tag");
  if (rec.method == "INVITE" && to_tag.empty()) return handle_invite(req, rec.resource, from);

  call* c = find_dialog(calls_, value(req, "Call-ID", "i"), to_tag);
  if (c) rec.resource = c->resource;
  if (rec.method == "ACK") {
    if (!c) return;  // nothing answers an ACK
    c->resend = {};
    if (c->state == call_state::rejected) c->state = call_state::ended;
    if (c->state != call_state::answered) return;
    c->state = call_state::confirmed;
    if (c->hangup_on_ack) send_bye(*c);
    return;
  }
  if (!c || c->state == call_state::ended) {
    respond(req, from, 481, {}, to_tag);
    return;
  }
  if (rec.method == "BYE") {
    respond(req, from, 200, {}, to_tag);
    c->resend = {};
    c->state = call_state::ended;
    c->bye_received = true;
    return;
  }
  // re-INVITE: the media stay as they are.
  const bool glare = reinvite_glare_.erase(c->resource) > 0;
  std::string answer =
      respond(req, from, glare ? 491 : 200, {}, to_tag, glare ? std::string() : c->local_sdp);
  resend_until_answered(*c, std::move(answer), from, true);
}

void fake_asterisk::handle_invite(const sip_message& req, const std::string& resource,
                                  const sockaddr_in& from) {
  call& c = calls_.emplace_back();
  open_dialog(c, req, resource, from);
  c.answering = true;
  c.state = call_state::proceeding;
  c.policy = call_policies_.next(resource);
  c.invite = req;
  c.source = from;
  c.invite_branch = param(value(req, "Via", "v"), "branch");
  c.local_sdp = load_capture("inbound-200ok-to-sipserver.sip").body;

  respond(req, from, 100, {}, {});
  if (c.policy.reject_status) return answer_invite(c, c.policy.reject_status);
  if (c.policy.ring)
    respond(req, from, 180, {{"P-Asserted-Identity", agent_identity(resource)}}, c.local_tag);
  if (c.policy.answer == call_policy::answer_mode::automatic) answer_invite(c, 200);
}

void fake_asterisk::handle_cancel(const sip_message& req, test::received& rec,
                                  const sockaddr_in& from) {
  const std::string call_id = value(req, "Call-ID", "i");
  const std::string branch = param(value(req, "Via", "v"), "branch");
  auto c = std::find_if(calls_.begin(), calls_.end(), [&](const call& x) {
    return x.answering && x.call_id == call_id && x.invite_branch == branch;
  });
  if (c == calls_.end()) {
    respond(req, from, 481, {}, {});
    return;
  }
  rec.resource = c->resource;
  respond(req, from, 200, {}, c->local_tag);
  // After the final response a CANCEL changes nothing (RFC 3261 9.2).
  if (c->state == call_state::proceeding) answer_invite(*c, 487);
}

void fake_asterisk::handle_response(const sip_message& resp, test::received& rec) {
  const std::string method = cseq_method(value(resp, "CSeq"));
  const std::string call_id = value(resp, "Call-ID", "i");
  const std::string from_tag = param(value(resp, "From", "f"), "tag");
  if (call* c = find_dialog(calls_, call_id, from_tag)) {
    rec.resource = c->resource;
    if (method == "INVITE" && !c->answering) handle_invite_response(*c, resp, rec.status);
    if (method == "BYE" && rec.status >= 200) c->state = call_state::ended;
    return;
  }
  subscription* d = find_dialog(subscriptions_, call_id, from_tag);
  if (d) rec.resource = d->resource;
  if (method != "NOTIFY" || rec.status < 200) return;
  notify_status_[number(value(resp, "CSeq")).value_or(0)] = rec.status;
  if (d && rec.status == 481) d->active = false;  // the subscriber forgot the dialog
}

void fake_asterisk::handle_invite_response(call& c, const sip_message& resp, int status) {
  c.invite_statuses.push_back(status);
  if (c.state == call_state::calling) c.resend = {};  // any response stops timer A
  if (status < 200) {
    if (c.state != call_state::calling) return;
    c.state = call_state::proceeding;
    if (c.cancelled) send_cancel(c);
    return;
  }
  if (!c.final_status) {  // a repeated final only gets the ACK again
    const bool ok = status < 300;
    c.final_status = status;
    c.remote_tag = param(value(resp, "To", "t"), "tag");
    if (std::string contact = value(resp, "Contact", "m"); ok && !contact.empty()) {
      c.remote_target = uri_in(contact);
      c.target = address_of(c.remote_target).value_or(c.target);
    }
    if (ok) c.remote_sdp = resp.body;
    // A 2xx is ACKed in the dialog, to its Contact; any other final in the
    // INVITE's transaction (RFC 3261 13.2.2.4, 17.1.1.3).
    c.ack = ok ? request(c, "ACK", c.remote_target, branch(), 1, {}, {}, {})
               : request(c, "ACK", c.invite_uri, c.invite_branch, 1, {}, {}, {});
    c.state = ok ? call_state::confirmed : call_state::ended;
  }
  send_to(c.ack, c.target);
  if (c.cancelled && c.state == call_state::confirmed) send_bye(c);  // CANCEL lost the race
}

void fake_asterisk::open_dialog(dialog& d, const sip_message& req, const std::string& resource,
                                const sockaddr_in& from) {
  d.resource = resource;
  d.call_id = value(req, "Call-ID", "i");
  d.local_tag = uuid();
  d.remote_tag = param(value(req, "From", "f"), "tag");
  d.local_uri = "<sip:" + resource + "@127.0.0.1>";
  d.remote_uri = strip_port(without_tag(value(req, "From", "f")));
  d.local_contact = "<sip:127.0.0.1:" + std::to_string(port_) + ">";
  d.remote_target = uri_in(value(req, "Contact", "m"));
  d.target = address_of(d.remote_target).value_or(from);
  d.next_cseq = std::uniform_int_distribution<std::uint32_t>(1, 60000)(rng_);
}

// The final response to the call's INVITE, re-sent until its ACK.
void fake_asterisk::answer_invite(call& c, int status) {
  const bool ok = status < 300;
  headers extra;
  if (ok) extra.emplace_back("P-Asserted-Identity", agent_identity(c.resource));
  std::string final_response =
      respond(c.invite, c.source, status, extra, c.local_tag, ok ? c.local_sdp : std::string());
  c.state = ok ? call_state::answered : call_state::rejected;
  resend_until_answered(c, std::move(final_response), c.source, true);
}

void fake_asterisk::send_bye(call& c) {
  c.resend = {};
  c.state = call_state::closing;
  send_to(request(c, "BYE", c.remote_target, branch(), c.next_cseq++, {}, {}, {}), c.target);
}

// Same branch, Request-URI and To (no tag yet) as the INVITE (RFC 3261 9.1).
void fake_asterisk::send_cancel(call& c) {
  send_to(request(c, "CANCEL", c.invite_uri, c.invite_branch, 1, {}, {}, {}), c.target);
}

void fake_asterisk::resend_until_answered(call& c, std::string text, const sockaddr_in& to,
                                          bool capped) {
  const auto now = std::chrono::steady_clock::now();
  c.resend = {std::move(text), to, t1_, capped, now + t1_, now + 64 * t1_};
  wake();  // the receive thread re-arms its poll timeout
}

fake_asterisk::call& fake_asterisk::call_by_id(const std::string& id) {
  return const_cast<call&>(std::as_const(*this).call_by_id(id));
}

const fake_asterisk::call& fake_asterisk::call_by_id(const std::string& id) const {
  auto it = std::find_if(calls_.begin(), calls_.end(),
                         [&](const call& c) { return !c.answering && c.call_id == id; });
  if (it == calls_.end()) throw std::runtime_error("no call placed with id " + id);
  return *it;
}

fake_asterisk::call* fake_asterisk::latest_call(const std::string& resource, call_state state) {
  auto it = std::find_if(calls_.rbegin(), calls_.rend(), [&](const call& c) {
    return c.answering && c.resource == resource && c.state == state;
  });
  return it == calls_.rend() ? nullptr : &*it;
}

std::size_t fake_asterisk::active_calls_locked() const {
  return static_cast<std::size_t>(std::count_if(
      calls_.begin(), calls_.end(), [](const call& c) { return c.state != call_state::ended; }));
}

std::string fake_asterisk::respond(const sip_message& req, const sockaddr_in& from, int status,
                                   const headers& extra, const std::string& to_tag,
                                   const std::string& sdp) {
  const std::string branch = param(value(req, "Via", "v"), "branch");
  char ip[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);

  std::string out = "SIP/2.0 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  bool top = true;
  for (std::string via : all_values(req, "Via", "v")) {
    std::size_t rport = via.find(";rport");
    if (top && rport != std::string::npos && via.compare(rport + 6, 1, "=") != 0)
      via.replace(rport, 6, ";rport=" + std::to_string(ntohs(from.sin_port)) + ";received=" + ip);
    out += "Via: " + via + "\r\n";
    top = false;
  }
  // A 100 is hop by hop: no tag, no dialog (RFC 3261 8.2.6.2).
  std::string to = strip_port(value(req, "To", "t"));
  if (status > 100 && param(to, "tag").empty())
    to += ";tag=" + (to_tag.empty() ? branch : to_tag);
  out += "Call-ID: " + value(req, "Call-ID", "i") + "\r\n";
  out += "From: " + strip_port(value(req, "From", "f")) + "\r\n";
  out += "To: " + to + "\r\n";
  out += "CSeq: " + value(req, "CSeq") + "\r\n";
  for (const auto& [n, v] : extra) out += n + ": " + v + "\r\n";
  if (status > 100 && status < 300) {
    out += "Contact: <sip:127.0.0.1:" + std::to_string(port_) + ">\r\n";
    out += std::string("Allow: ") + k_allow + "\r\n";
    out += "Supported: 100rel, timer, replaces, norefersub\r\n";
  }
  out += "Server: Asterisk-peer\r\n";
  if (sdp.empty())
    out += "Content-Length:  0\r\n\r\n";
  else
    out += "Content-Type: application/sdp\r\nContent-Length:   " + std::to_string(sdp.size()) +
           "\r\n\r\n" + sdp;

  responses_[branch + " " + first_token(req.start_line)] = out;
  send_to(out, from);
  return out;
}

// A request inside the dialog d (or opening it), laid out as pjsip does.
std::string fake_asterisk::request(const dialog& d, const std::string& method,
                                   const std::string& uri, const std::string& branch,
                                   std::uint32_t cseq, const headers& extra,
                                   const std::string& content_type,
                                   const std::string& body) const {
  std::string out = method + " " + uri + " SIP/2.0\r\n";
  out += "Via: SIP/2.0/UDP 127.0.0.1:" + std::to_string(port_) + ";rport;branch=" + branch + "\r\n";
  out += "From: " + d.local_uri + ";tag=" + d.local_tag + "\r\n";
  out += "To: " + d.remote_uri + (d.remote_tag.empty() ? "" : ";tag=" + d.remote_tag) + "\r\n";
  if (method == "INVITE" || method == "NOTIFY") out += "Contact: " + d.local_contact + "\r\n";
  out += "Call-ID: " + d.call_id + "\r\n";
  out += "CSeq: " + std::to_string(cseq) + " " + method + "\r\n";
  for (const auto& [n, v] : extra) out += n + ": " + v + "\r\n";
  out += "Max-Forwards: 70\r\nUser-Agent: Asterisk-peer\r\n";
  if (!content_type.empty()) out += "Content-Type: " + content_type + "\r\n";
  return out + "Content-Length:   " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::uint32_t fake_asterisk::notify_locked(subscription& d, const std::string& capture_name,
                                           const notify_options& opts) {
  sip_message capture;
  if (!capture_name.empty()) capture = load_capture(capture_name);
  const auto cseq = notify_body_locked(d, capture.header("Content-Type"), capture.body, opts);
  if (!capture_name.empty()) d.last_capture = capture_name;
  return cseq;
}

std::uint32_t fake_asterisk::notify_body_locked(subscription& d, const std::string& content_type,
                                                std::string body, const notify_options& opts) {
  if (content_type == "application/dialog-info+xml" && !opts.keep_version)
    body = with_version(body, opts.version.value_or(d.next_version));
  if (!opts.version && !opts.keep_version) ++d.next_version;

  const std::uint32_t cseq = opts.cseq.value_or(d.next_cseq);
  if (!opts.cseq) ++d.next_cseq;
  const auto remaining = std::max<long long>(0, std::chrono::duration_cast<std::chrono::seconds>(
                                                    d.expires_at - std::chrono::steady_clock::now())
                                                    .count());
  const std::string state =
      opts.subscription_state.value_or("active;expires=" + std::to_string(remaining));

  headers extra{{"Event", d.event},
                {"Subscription-State", state},
                {"Allow-Events", "message-summary, presence, dialog, refer"}};
  if (d.eventlist) extra.emplace_back("Require", "eventlist");
  const std::string out =
      request(d, "NOTIFY", d.remote_target, branch(), cseq, extra, content_type, body);

  if (state.rfind("terminated", 0) == 0) d.active = false;
  send_to(out, d.target);
  return cseq;
}

void fake_asterisk::send_to(const std::string& text, const sockaddr_in& to) {
  // An ICMP "port unreachable" from an earlier datagram (a peer that went
  // away) fails the next sendto without sending; try once more. Other failures
  // are left to the test's deadlines: this runs on the receive thread too.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::sendto(fd_, text.data(), text.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                 sizeof to) >= 0 ||
        errno != ECONNREFUSED)
      return;
  }
}

std::string fake_asterisk::uuid() {
  static const char hex[] = "0123456789abcdef";
  std::uniform_int_distribution<int> digit(0, 15);
  std::string out;
  for (int group : {8, 4, 4, 4, 12}) {
    if (!out.empty()) out += '-';
    for (int i = 0; i < group; ++i) out += hex[digit(rng_)];
  }
  return out;
}

std::string fake_asterisk::branch() { return "z9hG4bKPj" + uuid(); }

}  // namespace sipcc::test
