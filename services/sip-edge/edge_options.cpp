#include "edge_options.hpp"

#include <sofia-sip/sip_status.h>
#include <spdlog/spdlog.h>

#include "edge_calls.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/v1/media.pb.h"

namespace sipcc::edge {

struct options_prober::pending {
  options_prober* prober = nullptr;
  nua_handle_t* nh = nullptr;
  su_timer_t* timer = nullptr;
  std::string probe_id;
  std::string owner;
};

options_prober::options_prober(service_context& ctx, nua_t* nua, su_root_t* root)
    : ctx_(ctx), nua_(nua), root_(root) {}

options_prober::~options_prober() {
  for (auto& [nh, p] : pending_) {
    su_timer_destroy(p->timer);
    nua_handle_destroy(nh);
  }
}

void options_prober::probe(const std::string& data) {
  v1::OptionsProbe cmd;
  if (!cmd.ParseFromString(data)) {
    process_counters().add(counter_id::bus_decode_errors, "edge_options");
    spdlog::warn("edge: undecodable OPTIONS probe ({} bytes) dropped", data.size());
    return;
  }
  if (cmd.probe_id().empty() || !valid_subject_token(cmd.owner()) ||
      cmd.target_uri().rfind("sip:", 0) != 0 || cmd.timeout_ms() == 0) {
    spdlog::warn("edge: malformed OPTIONS probe (id '{}', owner '{}', target '{}') dropped",
                 cmd.probe_id(), cmd.owner(), cmd.target_uri());
    return;
  }
  const std::string from = name_addr(own_uri(ctx_.cfg));
  const std::string to = name_addr(cmd.target_uri());
  auto p = std::make_unique<pending>();
  p->prober = this;
  p->probe_id = cmd.probe_id();
  p->owner = cmd.owner();
  p->nh = nua_handle(nua_, nullptr, SIPTAG_TO_STR(to.c_str()), SIPTAG_FROM_STR(from.c_str()),
                     TAG_END());
  p->timer = su_timer_create(su_root_task(root_), 0);
  su_timer_set_interval(p->timer, &options_prober::on_timeout,
                        reinterpret_cast<su_timer_arg_t*>(p.get()), cmd.timeout_ms());
  nua_options(p->nh, NUTAG_URL(cmd.target_uri().c_str()), TAG_END());
  pending_.emplace(p->nh, std::move(p));
}

void options_prober::on_response(nua_handle_t* nh, int status, const char* phrase) {
  auto it = pending_.find(nh);
  if (it == pending_.end() || status < 200)
    return;
  process_counters().add(counter_id::sip_responses_in, sip_status_label(status));
  finish(*it->second, status, phrase, false);
}

void options_prober::on_timeout(su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg) {
  auto* p = reinterpret_cast<pending*>(arg);
  p->prober->finish(*p, SIP_408_REQUEST_TIMEOUT, true);
}

// Reports the outcome and forgets the probe; destroying the handle ends a
// transaction still waiting, so a late response reaches no one.
void options_prober::finish(pending& p, int status, const char* phrase, bool timed_out) {
  v1::OptionsResult r;
  r.set_schema(v1::SCHEMA_V1);
  r.set_probe_id(p.probe_id);
  r.set_edge_id(ctx_.instance);
  r.set_status(static_cast<uint32_t>(status));
  r.set_phrase(sip_text(phrase));
  r.set_timed_out(timed_out);
  ctx_.nats->publish(subj::probe(p.owner), r);
  su_timer_destroy(p.timer);
  nua_handle_t* nh = p.nh;
  nua_handle_destroy(nh);
  pending_.erase(nh);  // frees p
}

}  // namespace sipcc::edge
