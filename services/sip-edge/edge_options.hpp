// OPTIONS probes the edge sends for an owner (the media service's health
// checks of its media servers): one out-of-dialog OPTIONS per probe, and its
// outcome (the final response, or a time-out at the probe's own deadline,
// well before the transaction's 64*T1) on sipcc.probe.<owner>. Runs on the
// sofia thread only.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include <sofia-sip/nua.h>
#include <sofia-sip/su_wait.h>

#include "sipcc/service.hpp"

namespace sipcc::edge {

class options_prober {
public:
  options_prober(service_context& ctx, nua_t* nua, su_root_t* root);
  ~options_prober();

  // An OptionsProbe from the bus (serialized).
  void probe(const std::string& data);
  // nua_r_options for handle `nh` (none of ours: ignored).
  void on_response(nua_handle_t* nh, int status, const char* phrase);

  struct pending;

private:
  static void on_timeout(su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg);
  void finish(pending& p, int status, const char* phrase, bool timed_out);

  service_context& ctx_;
  nua_t* nua_;
  su_root_t* root_;
  std::unordered_map<nua_handle_t*, std::unique_ptr<pending>> pending_;
};

}  // namespace sipcc::edge
