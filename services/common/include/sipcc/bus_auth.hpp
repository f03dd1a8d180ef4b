// Credentials on the bus (sipcc/bus.hpp's connection), as pure code.
#pragma once

#include <functional>
#include <string>

namespace sipcc {

// Who this process is on the bus, from the environment (never the command
// line):
//   SIPCC_NATS_USER           the nats-server user (deploy/nats/auth.conf)
//   SIPCC_NATS_PASSWORD       its password, or
//   SIPCC_NATS_PASSWORD_FILE  a file holding it (one line; what
//                             scripts/nats-auth.sh writes); one of the two
// None set: no credentials (a server without authorization).
struct bus_auth {
  std::string user, password, password_file;
  bool on() const { return !user.empty(); }
  // The user's own reply subjects, _INBOX_<user>.<...>: the server lets each
  // user subscribe only its own, so nobody reads another's replies.
  std::string inbox_prefix() const { return "_INBOX_" + user; }
};
// Reads them through `env` (getenv); empty values count as unset. Throws
// std::invalid_argument naming the variable when they do not fit together.
bus_auth bus_auth_from(const std::function<const char*(const char*)>& env);

// The password in a SIPCC_NATS_PASSWORD_FILE's text: its first line.
std::string password_of_file_text(const std::string& text);

}  // namespace sipcc
