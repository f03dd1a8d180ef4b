// What callctl knows of DNs beyond the configuration, as plain values: the
// agents logged in (from presence's DN states) and the registrar bindings of
// the phones that register on sipcc (from the edges). The registry changes
// them with the pure updates below; every call reads one snapshot of both
// (directory.hpp keeps them for the process).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "sipcc/trusted_peers.hpp"
#include "sipcc/v1/sip.pb.h"
#include "sipcc/v1/state.pb.h"

namespace sipcc::callctl {

// A Contact the phone of a DN with a password holds on the registrar, with
// the edge that holds it and where its REGISTER came from.
struct binding : phone_binding {
  std::string edge;
};
// DN -> its bindings, the latest registered last.
using binding_map = std::unordered_map<std::string, std::vector<binding>>;
using agent_map = std::unordered_map<std::string, std::string>;  // DN -> AgentID

// Both maps as one call reads them.
struct directory_snapshot {
  std::shared_ptr<const agent_map> agents = std::make_shared<agent_map>();
  std::shared_ptr<const binding_map> bindings = std::make_shared<binding_map>();
};

// The AgentID logged in on DN `dn`; empty when none is.
std::string agent_on(const agent_map& agents, const std::string& dn);

// A REGISTER (expires > 0) or its end (0) for the binding's Contact: the
// refreshed binding becomes the latest. Always a change.
bool apply_registration(binding_map& bindings, const v1::Registration& r);

// Edge `edge` restarted: the bindings it held are gone (the phones register
// again). True when any was.
bool drop_edge_bindings(binding_map& bindings, const std::string& edge);

// Whether DN state `st` logs an agent in or out of `agents` (most DN states
// are about calls: no copy of the map for those).
bool changes_login(const agent_map& agents, const v1::DnState& st);
void apply_login(agent_map& agents, const v1::DnState& st);

// A call is the registered phone's own only when it comes from where that
// phone registered: the From user alone is whatever the caller says (a
// carrier's caller ID through Asterisk, say). The same test as the edge's
// trusted_peers, so a phone the edge lets in is also a direct caller here.
bool from_binding(const binding_map& bindings, const std::string& dn, const std::string& source);

}  // namespace sipcc::callctl
