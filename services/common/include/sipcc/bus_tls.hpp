// TLS on the bus (sipcc/bus.hpp's connection), as pure code.
#pragma once

#include <functional>
#include <string>

namespace sipcc {

// TLS on the bus, from the environment (files, never the command line):
//   SIPCC_NATS_CA       CA file that signed nats-server's certificate: TLS on
//   SIPCC_NATS_CERT     this party's certificate, for a server that verifies
//   SIPCC_NATS_KEY        clients (nats-server --tlsverify); both or neither
//   SIPCC_NATS_TLS_HOSTNAME  the name the server's certificate must carry when
//                       it differs from the URL's host
// A tls:// URL asks for TLS too (the system's CAs then, unless SIPCC_NATS_CA).
struct bus_tls {
  std::string ca, cert, key, hostname;
  bool on() const { return !ca.empty() || !cert.empty(); }
};
// Reads them through `env` (getenv); throws std::invalid_argument naming the
// variable when they do not fit together.
bus_tls bus_tls_from(const std::function<const char*(const char*)>& env);

}  // namespace sipcc
