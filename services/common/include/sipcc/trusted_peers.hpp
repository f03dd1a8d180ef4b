// Who may start a call at sipcc: the configured Asterisk peers
// (asterisk.address and asterisk.peers), and phones registered on sipcc for
// their own calls. Pure: the edge reads the packet's source address and the
// caller's bindings, this decides; callctl tells a direct call by the same
// phone_sent(). Addresses are compared as IP:port: an
// Asterisk sends every UDP request from its transport's bound port, so a
// stranger on the same host (another port) is not Asterisk.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sipcc/config.hpp"

namespace sipcc {

// "ip:port" with the IP in its one text form (IPv6 in brackets, shortest
// form: "[::1]:5060"), so that addresses compare as strings; nullopt when
// `host` is not a numeric IPv4 or IPv6 address (brackets allowed).
std::optional<std::string> canonical_address(std::string_view host, uint16_t port);

// True when SIP URI `contact` names the address `source` (canonical): its
// host:port, port 5060 when none. A registered phone sends from where its
// binding says it is reached.
bool contact_names(std::string_view contact, const std::string& source);

// A registered phone's binding as far as telling its requests goes.
struct phone_binding {
  std::string contact;          // the Contact URI it registered
  std::string registered_from;  // the REGISTER's packet source (canonical), if known
};

// True when a request from `source` comes from the phone of `binding`: from
// where its REGISTER came (behind NAT, or a softphone whose Contact names
// another port or a host name), or from its Contact's host:port. An empty
// source matches nothing.
bool phone_sent(const phone_binding& binding, const std::string& source);

enum class caller_kind { asterisk, registered_phone, stranger };

class trusted_peers {
public:
  // The addresses must be numeric (the configuration checks it).
  explicit trusted_peers(const std::vector<host_port>& addresses);

  // The sender of an out-of-dialog INVITE from `source` (canonical IP:port),
  // whose From user's bindings on this edge are `caller_bindings`.
  caller_kind classify(const std::string& source,
                       const std::vector<phone_binding>& caller_bindings) const;

private:
  std::set<std::string> addresses_;
};

}  // namespace sipcc
