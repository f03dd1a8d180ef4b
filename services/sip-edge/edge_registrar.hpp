// The registrar half of the SIP edge: answers REGISTER (digest-authenticated
// for the DNs that carry a password; any other DN is challenged alike and
// then refused), keeps the bindings with the pure registrar::binding_table,
// expires them on a timer and publishes each change on sipcc.reg.<dn>. Runs
// on the sofia thread only.
#pragma once

#include <string>
#include <vector>

#include <sofia-sip/nua.h>

#include "sip-edge/model/registrar.hpp"
#include "sipcc/service.hpp"
#include "sipcc/trusted_peers.hpp"

namespace sipcc::edge {

class registrar_edge {
public:
  explicit registrar_edge(service_context& ctx);

  // A REGISTER (nua_i_register) from `source` (the packet's canonical
  // IP:port): answered at once; the handle is freed.
  void on_register(nua_t* nua, nua_handle_t* nh, const sip_t* sip, const std::string& source);
  // Removes the bindings whose time has come (called every second).
  void expire();
  // Every live binding again: another service instance just started.
  void republish();
  // The bindings DN `dn`'s phone holds now (none for any other DN).
  std::vector<phone_binding> phones(const std::string& dn) const;

private:
  void publish(const registrar::change& c);

  service_context& ctx_;
  registrar::binding_table table_;
};

}  // namespace sipcc::edge
