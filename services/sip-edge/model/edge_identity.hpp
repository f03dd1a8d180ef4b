// Which edge this process is: several named edges run from one
// configuration file, each with SIPCC_INSTANCE (its edge id, the bus name
// owners send its commands to) and SIPCC_EDGE_BIND (its own SIP address,
// which Asterisk's identify must match) in its environment.
#pragma once

#include <stdexcept>
#include <string>

#include "sipcc/config.hpp"

namespace sipcc::edge {

struct edge_identity {
  std::string id;
  host_port bind;
};

// The configured sip-edge.id and sip-edge.bind, each replaced by its
// variable when set and not empty. Throws std::invalid_argument naming the
// variable when it is not valid: an id is [A-Za-z0-9_-]+, a bind
// <IPv4 or name>:<port 1-65535>.
edge_identity edge_identity_of(const config& cfg, const char* instance_env, const char* bind_env);

}  // namespace sipcc::edge
