#include "sipcc/trusted_peers.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace sipcc {

std::optional<std::string> canonical_address(std::string_view host, uint16_t port) {
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  const std::string ip(bracketed ? host.substr(1, host.size() - 2) : host);
  char text[INET6_ADDRSTRLEN];
  in_addr v4{};
  in6_addr v6{};
  if (!bracketed && inet_pton(AF_INET, ip.c_str(), &v4) == 1 &&
      inet_ntop(AF_INET, &v4, text, sizeof text))
    return std::string(text) + ":" + std::to_string(port);
  if (inet_pton(AF_INET6, ip.c_str(), &v6) != 1)
    return std::nullopt;
  // An IPv4 peer seen through a dual-stack socket is still that IPv4 peer.
  if (IN6_IS_ADDR_V4MAPPED(&v6) && inet_ntop(AF_INET, &v6.s6_addr[12], text, sizeof text))
    return std::string(text) + ":" + std::to_string(port);
  if (inet_ntop(AF_INET6, &v6, text, sizeof text))
    return "[" + std::string(text) + "]:" + std::to_string(port);
  return std::nullopt;
}

bool contact_names(std::string_view contact, const std::string& source) {
  // <sip:2000@10.0.0.7:5062;transport=udp> -> host 10.0.0.7, port 5062.
  auto start = contact.find('@');
  start = start == std::string_view::npos ? contact.find(':') + 1 : start + 1;
  auto hp = contact.substr(start, contact.find_first_of(";>?", start) - start);
  auto colon = hp.rfind(':');
  uint16_t port = 5060;
  if (colon != std::string_view::npos && hp.back() != ']') {
    auto digits = hp.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size())
      return false;
    hp = hp.substr(0, colon);
  }
  return canonical_address(hp, port) == source;
}

bool phone_sent(const phone_binding& binding, const std::string& source) {
  if (source.empty())
    return false;
  return binding.registered_from == source || contact_names(binding.contact, source);
}

trusted_peers::trusted_peers(const std::vector<host_port>& addresses) {
  for (const auto& a : addresses)
    if (auto c = canonical_address(a.host, a.port))
      addresses_.insert(*c);
}

caller_kind trusted_peers::classify(const std::string& source,
                                    const std::vector<phone_binding>& caller_bindings) const {
  if (addresses_.count(source))
    return caller_kind::asterisk;
  if (std::any_of(caller_bindings.begin(), caller_bindings.end(),
                  [&](const phone_binding& b) { return phone_sent(b, source); }))
    return caller_kind::registered_phone;
  return caller_kind::stranger;
}

}  // namespace sipcc
