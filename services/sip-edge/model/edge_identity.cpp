#include "sip-edge/model/edge_identity.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>

#include "sipcc/leases.hpp"

namespace sipcc::edge {

namespace {

// A host name or IPv4 address, as the edge's UDP bind takes it.
bool host(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
  });
}

}  // namespace

edge_identity edge_identity_of(const config& cfg, const char* instance_env, const char* bind_env) {
  edge_identity out{cfg.edge_id, cfg.sip_bind};
  if (instance_env && *instance_env) {
    if (!leases::valid_instance_name(instance_env))
      throw std::invalid_argument(std::string("SIPCC_INSTANCE '") + instance_env +
                                  "' is not an edge id ([A-Za-z0-9_-]+)");
    out.id = instance_env;
  }
  if (bind_env && *bind_env) {
    std::string_view b = bind_env;
    auto colon = b.rfind(':');
    unsigned port = 0;
    auto digits = colon == std::string_view::npos ? std::string_view() : b.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (colon == std::string_view::npos || !host(b.substr(0, colon)) ||
        ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535)
      throw std::invalid_argument(std::string("SIPCC_EDGE_BIND '") + bind_env +
                                  "' is not <address>:<port> (e.g. 127.0.0.1:5062)");
    out.bind = {std::string(b.substr(0, colon)), static_cast<uint16_t>(port)};
  }
  return out;
}

}  // namespace sipcc::edge
