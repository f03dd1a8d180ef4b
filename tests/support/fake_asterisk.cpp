#include "fake_asterisk.hpp"
#include "loopback.hpp"

#include <arpa/inet.h>
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
    case 489:
      return "Bad Event";
    case 500:
      return "Server Internal Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

// dialog-info's own version attribute (not the XML declaration's).
std::string with_version(std::string body, unsigned version) {
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

}  // namespace

fake_asterisk::fake_asterisk(std::uint16_t port) : rng_(std::random_device{}()) {
  port_ = port;
  fd_ = bind_loopback(SOCK_DGRAM, port_);
  if (::pipe(wake_) != 0)
    throw std::system_error(errno, std::generic_category(), "fake_asterisk pipe");
  thread_ = std::thread([this] { run(); });
}

fake_asterisk::~fake_asterisk() {
  char c = 0;
  if (::write(wake_[1], &c, 1) != 1) std::abort();  // the thread would never stop
  thread_.join();
  ::close(wake_[0]);
  ::close(wake_[1]);
  ::close(fd_);
}

void fake_asterisk::set_policy(const std::string& resource, subscribe_policy policy) {
  std::lock_guard lock(mu_);
  if (policy.once)
    once_policies_[resource].push_back(policy);
  else
    policies_[resource] = policy;
}

void fake_asterisk::set_list(const std::string& resource) {
  std::lock_guard lock(mu_);
  lists_.insert(resource);
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
  auto it = std::find_if(dialogs_.rbegin(), dialogs_.rend(),
                         [&](const dialog& d) { return d.active && d.resource == resource; });
  if (it == dialogs_.rend()) throw std::runtime_error("no active subscription for " + resource);
  return notify_locked(*it, capture_name, opts);
}

void fake_asterisk::send_raw(const std::string& text) {
  std::lock_guard lock(mu_);
  if (last_peer_.sin_port == 0) throw std::runtime_error("send_raw: nobody has sent anything yet");
  send_to(text, last_peer_);
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
  for (const dialog& d : dialogs_)
    if (d.active) out.push_back({d.resource, d.event, d.last_capture});
  return out;
}

void fake_asterisk::run() {
  std::string buf(65536, '\0');
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n =
        ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n > 0) handle(buf.substr(0, static_cast<std::size_t>(n)), from);
  }
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
    else if (rec.method != "ACK")
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
  dialog* d = nullptr;
  if (!to_tag.empty()) {
    d = find_dialog(value(req, "Call-ID", "i"), to_tag);
    if (!d || !d->active) return respond(req, from, 481, {}, to_tag);
    rec.resource = d->resource;
  }

  const subscribe_policy policy = next_policy(rec.resource);
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
    if (d && policy.status == 481) d->active = false;
    return respond(req, from, policy.status, extra, to_tag);
  }

  const unsigned granted = std::min(expires.value_or(k_max_expires), k_max_expires);
  if (!d) {
    const std::string event = value(req, "Event", "o");
    const bool is_list = lists_.count(rec.resource) > 0;
    if (event.empty()) return respond(req, from, 489, {}, {});
    if (granted == 0) return respond(req, from, 400, {}, {});
    if (is_list && !supports_eventlist(req)) return respond(req, from, 404, {}, {});

    dialog& nd = dialogs_.emplace_back();
    nd.resource = rec.resource;
    nd.event = event;
    nd.call_id = value(req, "Call-ID", "i");
    nd.local_tag = uuid();
    nd.remote_tag = param(value(req, "From", "f"), "tag");
    nd.remote_uri = strip_port(without_tag(value(req, "From", "f")));
    nd.remote_target = uri_in(value(req, "Contact", "m"));
    nd.target = address_of(nd.remote_target).value_or(from);
    nd.eventlist = is_list;
    nd.next_cseq = std::uniform_int_distribution<std::uint32_t>(1, 60000)(rng_);
    d = &nd;
  } else if (std::string contact = value(req, "Contact", "m"); !contact.empty()) {
    d->remote_target = uri_in(contact);
    d->target = address_of(d->remote_target).value_or(from);
  }
  d->expires_at = std::chrono::steady_clock::now() + std::chrono::seconds(granted);

  headers extra{{"Expires", std::to_string(granted)}};
  if (d->eventlist) extra.emplace_back("Require", "eventlist");
  respond(req, from, 200, extra, d->local_tag);

  if (to_tag.empty()) {
    const std::string* initial = nullptr;
    const std::string package = d->event.substr(0, d->event.find(';'));
    if (auto it = initial_notify_.find(d->resource); it != initial_notify_.end())
      initial = &it->second;
    else if (auto def = default_initial_notify_.find(package); def != default_initial_notify_.end())
      initial = &def->second;
    if (initial) notify_locked(*d, *initial, {});
  } else if (granted == 0) {
    notify_locked(*d, d->last_capture, {std::string("terminated"), {}, {}, false});
  } else if (!d->last_capture.empty()) {
    notify_locked(*d, d->last_capture, {});  // Asterisk re-sends the state on refresh
  }
}

void fake_asterisk::handle_response(const sip_message& resp, test::received& rec) {
  const std::string cseq = value(resp, "CSeq");
  dialog* d = find_dialog(value(resp, "Call-ID", "i"), param(value(resp, "From", "f"), "tag"));
  if (d) rec.resource = d->resource;
  if (cseq.find("NOTIFY") == std::string::npos || rec.status < 200) return;
  notify_status_[number(cseq).value_or(0)] = rec.status;
  if (d && rec.status == 481) d->active = false;  // the subscriber forgot the dialog
}

subscribe_policy fake_asterisk::next_policy(const std::string& resource) {
  if (auto q = once_policies_.find(resource); q != once_policies_.end() && !q->second.empty()) {
    subscribe_policy p = q->second.front();
    q->second.pop_front();
    return p;
  }
  auto it = policies_.find(resource);
  return it == policies_.end() ? subscribe_policy::accept() : it->second;
}

fake_asterisk::dialog* fake_asterisk::find_dialog(const std::string& call_id,
                                                  const std::string& local_tag) {
  for (dialog& d : dialogs_)
    if (d.call_id == call_id && d.local_tag == local_tag) return &d;
  return nullptr;
}

void fake_asterisk::respond(const sip_message& req, const sockaddr_in& from, int status,
                            const headers& extra, const std::string& to_tag) {
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
  std::string to = strip_port(value(req, "To", "t"));
  if (param(to, "tag").empty()) to += ";tag=" + (to_tag.empty() ? branch : to_tag);
  out += "Call-ID: " + value(req, "Call-ID", "i") + "\r\n";
  out += "From: " + strip_port(value(req, "From", "f")) + "\r\n";
  out += "To: " + to + "\r\n";
  out += "CSeq: " + value(req, "CSeq") + "\r\n";
  for (const auto& [n, v] : extra) out += n + ": " + v + "\r\n";
  if (status < 300) {
    out += "Contact: <sip:127.0.0.1:" + std::to_string(port_) + ">\r\n";
    out += std::string("Allow: ") + k_allow + "\r\n";
    out += "Supported: 100rel, timer, replaces, norefersub\r\n";
  }
  out += "Server: Asterisk-peer\r\nContent-Length:  0\r\n\r\n";

  responses_[branch + " " + first_token(req.start_line)] = out;
  send_to(out, from);
}

std::uint32_t fake_asterisk::notify_locked(dialog& d, const std::string& capture_name,
                                           const notify_options& opts) {
  sip_message capture;
  if (!capture_name.empty()) capture = load_capture(capture_name);
  const std::string content_type = capture.header("Content-Type");
  std::string body = capture.body;
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

  const std::string port = std::to_string(port_);
  std::string out = "NOTIFY " + d.remote_target + " SIP/2.0\r\n";
  out += "Via: SIP/2.0/UDP 127.0.0.1:" + port + ";rport;branch=z9hG4bKPj" + uuid() + "\r\n";
  out += "From: <sip:" + d.resource + "@127.0.0.1>;tag=" + d.local_tag + "\r\n";
  out += "To: " + d.remote_uri + ";tag=" + d.remote_tag + "\r\n";
  out += "Contact: <sip:127.0.0.1:" + port + ">\r\n";
  out += "Call-ID: " + d.call_id + "\r\n";
  out += "CSeq: " + std::to_string(cseq) + " NOTIFY\r\n";
  out += "Event: " + d.event + "\r\n";
  out += "Subscription-State: " + state + "\r\n";
  out += "Allow-Events: message-summary, presence, dialog, refer\r\n";
  if (d.eventlist) out += "Require: eventlist\r\n";
  out += "Max-Forwards: 70\r\nUser-Agent: Asterisk-peer\r\n";
  if (!content_type.empty()) out += "Content-Type: " + content_type + "\r\n";
  out += "Content-Length:   " + std::to_string(body.size()) + "\r\n\r\n" + body;

  if (!capture_name.empty()) d.last_capture = capture_name;
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

}  // namespace sipcc::test
