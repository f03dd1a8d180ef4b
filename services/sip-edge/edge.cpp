#include "edge.hpp"
#include "edge_calls.hpp"
#include "edge_load.hpp"
#include "edge_options.hpp"
#include "edge_registrar.hpp"
#include "edge_subscriptions.hpp"
#include "stack_counts.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_protos.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport_tag.h>
#include <spdlog/spdlog.h>

#include "sip-edge/model/request_checks.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/edge_directory.hpp"
#include "sipcc/trusted_peers.hpp"
#include "sipcc/v1/sip.pb.h"

namespace sipcc::edge {

namespace {

const char* str_or_empty(const char* s) { return s ? s : ""; }

// The IP:port the request's packet came from (tport keeps it with the
// message); the Via and From are only what the sender wrote.
std::string source_of(msg_t* request) {
  su_addrinfo_t* ai = request ? msg_addrinfo(request) : nullptr;
  if (!ai || !ai->ai_addr)
    return {};
  auto* su = reinterpret_cast<su_sockaddr_t*>(ai->ai_addr);
  char ip[SU_ADDRSIZE];
  if (!su_inet_ntop(su->su_family, SU_ADDR(su), ip, sizeof ip))
    return {};
  return canonical_address(ip, ntohs(su->su_port)).value_or("");
}

// A header as it was received (its name and folding included); empty when
// sofia kept no text for it.
std::string_view received_text(const msg_common_t* h) {
  return h && h->h_data ? std::string_view(static_cast<const char*>(h->h_data), h->h_len)
                        : std::string_view();
}

// The request as the edge's own checks read it.
sip_checks::request_text request_text_of(const sip_t* sip) {
  sip_checks::request_text r;
  if (sip->sip_request) {
    r.request_line = received_text(sip->sip_request->rq_common);
    r.uri_has_headers = sip->sip_request->rq_url->url_headers != nullptr;
  }
  for (const msg_common_t* h : {sip->sip_from ? sip->sip_from->a_common : nullptr,
                                sip->sip_to ? sip->sip_to->a_common : nullptr})
    r.name_addrs.push_back(received_text(h));
  for (auto* m = sip->sip_contact; m; m = m->m_next)
    r.name_addrs.push_back(received_text(m->m_common));
  if (sip->sip_payload && sip->sip_payload->pl_len > 0)
    r.content_type = sip->sip_content_type && sip->sip_content_type->c_type
                         ? sip->sip_content_type->c_type
                         : "";
  if (sip->sip_accept) {
    r.accept.emplace();
    for (auto* a = sip->sip_accept; a; a = a->ac_next)
      if (a->ac_type)
        r.accept->push_back(a->ac_type);
  }
  return r;
}

std::vector<host_port> trusted_addresses(const config& cfg) {
  std::vector<host_port> all{cfg.asterisk};
  all.insert(all.end(), cfg.asterisk_peers.begin(), cfg.asterisk_peers.end());
  return all;
}

// sofia-sip writes its own diagnostics to stderr; keep them in our log
// (one line each, at debug: the edge logs what matters itself).
void sofia_log(void*, char const* fmt, va_list ap) {
  char buf[1024];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  std::string line(buf);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.pop_back();
  if (!line.empty())
    spdlog::debug("sofia: {}", line);
}

}  // namespace

struct sip_edge::impl {
  service_context& ctx;
  su_root_t* root = nullptr;
  nua_t* nua = nullptr;
  std::thread thread;
  std::promise<std::string> started;
  std::unique_ptr<subscriptions> subs;
  std::unique_ptr<call_legs> legs;
  std::unique_ptr<load_guard> load;
  std::unique_ptr<options_prober> probes;
  std::unique_ptr<registrar_edge> registrar;
  // Owners spread their work over the live edges by these heartbeats.
  std::unique_ptr<edge_heartbeat> heartbeat;
  trusted_peers peers;
  explicit impl(service_context& c)
      : ctx(c), peers(trusted_addresses(c.cfg)) {}

  // ---- sofia thread -------------------------------------------------------

  void run() {
    su_init();
    su_log_redirect(su_log_default, sofia_log, nullptr);
    su_log_redirect(su_log_global, sofia_log, nullptr);
    root = su_root_create(this);
    // One thread for the whole stack: nua's default second thread doubles
    // the CPU per message (STACK-NOTES).
    su_root_threading(root, 0);
    std::string bind_url =
        "sip:" + ctx.cfg.sip_bind.str() + ";transport=udp";
    nua = nua_create(root, &impl::on_event, reinterpret_cast<nua_magic_t*>(this),
                     NUTAG_URL(bind_url.c_str()),
                     NUTAG_MEDIA_ENABLE(0),
                     NUTAG_M_USERNAME(ctx.cfg.sip_user.c_str()),
                     NUTAG_OUTBOUND("no-validate no-natify no-options-keepalive"),
                     // Replaces nua's default list (NUTAG_ALLOW would add to it):
                     // anything else gets 405 from the stack itself.
                     SIPTAG_ALLOW_STR(k_allow),
                     NTATAG_SIP_T1X64(ctx.cfg.sip_t1x64_ms),
                     // nta answers a larger request 413 itself, with no
                     // transaction (its default takes up to 2 MB): bounds
                     // what one request from anyone may hold.
                     NTATAG_MAXSIZE(ctx.cfg.sip_max_message_bytes),
                     // Keep each header's text as received (h_data): sofia's
                     // parser takes some malformed lines the edge refuses
                     // (sip_checks). About +10% on a message's parsed size.
                     NTATAG_SIPFLAGS(MSG_DO_CANONIC | MSG_DO_EXTRACT_COPY),
                     // Session timers, explicitly: nua refreshes each leg by
                     // itself, with UPDATE where the peer allows it (no SDP
                     // to renegotiate through the B2BUA).
                     NUTAG_SESSION_TIMER(ctx.cfg.session_expires_s),
                     NUTAG_MIN_SE(ctx.cfg.min_se_s),
                     NUTAG_SESSION_REFRESHER(nua_any_refresher),
                     NUTAG_UPDATE_REFRESH(1),
                     // nua would answer an UPDATE offer itself (with no SDP,
                     // media being off): the edge passes it to the other leg.
                     // REGISTER reaches the edge's registrar only as an
                     // application method, and REFER (allowed in call legs)
                     // the edge that refuses it: else nua would accept it
                     // itself (202) and NOTIFY. nua would answer OPTIONS and
                     // INFO 200 whatever they hold: the edge checks the one
                     // and refuses the other outside a call (RFC 6086: 481).
                     NUTAG_APPL_METHOD("UPDATE, REGISTER, REFER, OPTIONS, INFO"),
                     SIPTAG_USER_AGENT_STR("sipcc"),
                     TAG_END());
    if (!nua) {
      started.set_value("cannot bind SIP to " + ctx.cfg.sip_bind.str() +
                        " (address in use or not local)");
      su_root_destroy(root);
      su_deinit();
      return;
    }
    if (!stack_agent()) {
      // The subscriptions live on nua's agent (edge_subscriptions.hpp).
      started.set_value("this libsofia-sip-ua binds its own calls: the edge cannot reach its "
                        "SIP transaction layer (nta_agent_create is not interposable)");
      nua_destroy(nua);
      su_root_destroy(root);
      su_deinit();
      return;
    }
    subs = std::make_unique<subscriptions>(ctx, stack_agent(), root);
    legs = std::make_unique<call_legs>(ctx, nua, root);
    load = std::make_unique<load_guard>(ctx.cfg.sip_bind, root, *legs);
    probes = std::make_unique<options_prober>(ctx, nua, root);
    su_timer_t* audit_timer =
        su_timer_create(su_root_task(root), static_cast<su_duration_t>(ctx.cfg.audit_interval_ms));
    su_timer_set_for_ever(
        audit_timer,
        [](su_root_magic_t* magic, su_timer_t*, su_timer_arg_t*) {
          reinterpret_cast<impl*>(magic)->legs->audit();
        },
        nullptr);
    registrar = std::make_unique<registrar_edge>(ctx);
    // Bindings expire to the second; a missed tick only delays one. The
    // same tick refreshes the subscriptions that are due, lets go of
    // unsubscribed dialogs whose final NOTIFY is lost, and copies nta's own
    // counts (it has no per-event hook for them).
    su_timer_t* expiry_timer = su_timer_create(su_root_task(root), 1000);
    su_timer_set_for_ever(
        expiry_timer,
        [](su_root_magic_t* magic, su_timer_t*, su_timer_arg_t*) {
          auto* self = reinterpret_cast<impl*>(magic);
          self->registrar->expire();
          self->subs->tick();
          sample_stack();
        },
        nullptr);
    started.set_value("");
    su_root_run(root);
    su_timer_destroy(expiry_timer);
    su_timer_destroy(audit_timer);
    load.reset();
    subs.reset();
    legs.reset();
    probes.reset();
    nua_destroy(nua);
    su_root_destroy(root);
    su_deinit();
  }

  static void on_event(nua_event_t event, int status, char const* phrase, nua_t*,
                       nua_magic_t* magic, nua_handle_t* nh, nua_hmagic_t* hmagic,
                       sip_t const* sip, tagi_t tags[]) {
    auto* self = reinterpret_cast<impl*>(magic);
    // Only call legs bind a handle (subscriptions live on nta's legs).
    if (hmagic) {
      self->legs->event(static_cast<leg*>(hmagic), event, status, phrase, sip, tags);
      return;
    }
    switch (event) {
      case nua_i_notify:
        // No subscription's leg took it: nua made a handle and answered 481.
        if (nh)
          nua_handle_destroy(nh);
        break;
      case nua_i_invite:
        if (sip)
          self->on_invite(nh, sip);
        break;
      case nua_i_register:
        process_counters().add(counter_id::sip_requests_in, "REGISTER");
        if (auto bad = sip ? sip_checks::malformed(request_text_of(sip)) : std::nullopt)
          self->answer_alone(nh, *bad, !hmagic);
        else
          self->registrar->on_register(self->nua, nh, sip,
                                       source_of(nua_current_request(self->nua)));
        break;
      case nua_r_options:
        self->probes->on_response(nh, status, phrase);
        break;
      case nua_r_shutdown:
        if (status >= 200)
          su_root_break(self->root);
        break;
      case nua_i_options:
        // Asterisk's qualify, for one.
        process_counters().add(counter_id::sip_requests_in, "OPTIONS");
        self->on_options(nh, sip, !hmagic);
        break;
      case nua_i_info:
        // Only a call leg takes INFO (DTMF): none outside an INVITE dialog.
        process_counters().add(counter_id::sip_requests_in, "INFO");
        self->answer_alone(nh, {481, "No Call for this INFO", "", "", ""}, !hmagic);
        break;
      default:
        // A request on a handle nua made for it and the edge does not keep:
        // answered if nua left it to the edge, and let go at once.
        if (!hmagic && nh && nua_event_is_incoming_request(event)) {
          if (status < 200)
            self->answer_alone(nh, {481, "Call Does Not Exist", "", "", ""}, true);
          else
            nua_handle_destroy(nh);
        } else if (status >= 300 && event < nua_r_set_params)
          spdlog::debug("sip: {} {} {}", nua_event_name(event), status, str_or_empty(phrase));
        break;
    }
  }

  // An answer the edge gives by itself, no service asked; the handle goes
  // too when nua made it for this request (`handle_is_ours`).
  void answer_alone(nua_handle_t* nh, const sip_checks::refusal& r, bool handle_is_ours) {
    count_own_answer(r.status);
    spdlog::debug("edge: answered {} {} by itself", r.status, r.phrase);
    // nua reads the phrase when it builds the response, later: a copy in the
    // handle's memory lives until the handle goes.
    nua_respond(nh, r.status, su_strdup(nua_handle_home(nh), r.phrase.c_str()),
                NUTAG_WITH_THIS(nua),
                TAG_IF(!r.accept.empty(), SIPTAG_ACCEPT_STR(r.accept.c_str())),
                TAG_IF(!r.warning.empty(), SIPTAG_WARNING_STR(r.warning.c_str())),
                TAG_IF(!r.retry_after.empty(), SIPTAG_RETRY_AFTER_STR(r.retry_after.c_str())),
                TAG_END());
    if (handle_is_ours)
      nua_handle_destroy(nh);
  }

  // OPTIONS: 200 (nua adds Allow, Accept and Supported), unless malformed.
  void on_options(nua_handle_t* nh, sip_t const* sip, bool handle_is_ours) {
    if (auto bad = sip ? sip_checks::malformed(request_text_of(sip)) : std::nullopt) {
      answer_alone(nh, *bad, handle_is_ours);
      return;
    }
    nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(nua), TAG_END());
    if (handle_is_ours)
      nua_handle_destroy(nh);
  }

  // A new INVITE. Only Asterisk's, or a registered phone's own from where it
  // registered (the REGISTER's source, or its Contact), reaches callctl:
  // anyone else gets 403 before the bus hears of it (sipcc does not challenge
  // INVITEs, so a stranger could otherwise reach an agent with any caller
  // number).
  void on_invite(nua_handle_t* nh, sip_t const* sip) {
    process_counters().add(counter_id::sip_requests_in, "INVITE");
    const auto text = request_text_of(sip);
    if (auto bad = sip_checks::malformed(text)) {
      answer_alone(nh, *bad, true);
      return;
    }
    const std::string source = source_of(nua_current_request(nua));
    const char* from_user = sip->sip_from ? sip->sip_from->a_url->url_user : nullptr;
    const auto phones =
        from_user ? registrar->phones(from_user) : std::vector<phone_binding>{};
    if (peers.classify(source, phones) == caller_kind::stranger) {
      process_counters().add(counter_id::untrusted_requests, "INVITE");
      spdlog::warn("edge: INVITE from {} (From user '{}') refused with 403: not "
                   "asterisk.address, not in asterisk.peers, not a phone registered there",
                   source.empty() ? "an unknown address" : source, str_or_empty(from_user));
      answer_alone(nh, {403, "Forbidden", "", "", ""}, true);
      return;
    }
    // What a trusted peer offers must be something sipcc can answer.
    if (auto bad = sip_checks::unacceptable_offer(text)) {
      answer_alone(nh, *bad, true);
      return;
    }
    if (!load->admit()) {
      answer_alone(nh, load_guard::refusal(), true);
      return;
    }
    legs->incoming(nh, sip, source);
  }

  void on_command(const std::string& data) {
    v1::EdgeCommand cmd;
    if (!cmd.ParseFromString(data)) {
      process_counters().add(counter_id::bus_decode_errors, "edge_cmd");
      spdlog::warn("edge: undecodable command ({} bytes) dropped", data.size());
      return;
    }
    switch (cmd.cmd_case()) {
      case v1::EdgeCommand::kSubscribe:
        subs->subscribe(cmd.subscribe());
        break;
      case v1::EdgeCommand::kUnsubscribe:
        subs->unsubscribe(cmd.unsubscribe());
        break;
      case v1::EdgeCommand::kForgetOwner:
        subs->forget_owner(cmd.forget_owner());
        break;
      default:
        spdlog::warn("edge: command {} has no body", cmd.cmd_id());
        break;
    }
  }

  // ---- hand-over from other threads --------------------------------------

  // Runs `fn(self, msg)` on the sofia thread.
  using task_fn = void (*)(impl*, bus_msg&);
  struct task {
    impl* self;
    task_fn fn;
    bus_msg msg;
  };

  void post(task_fn fn, bus_msg msg) {
    su_msg_r m = SU_MSG_R_INIT;
    if (su_msg_create(m, su_root_task(root), su_task_null,
                      [](su_root_magic_t*, su_msg_r msg, su_msg_arg_t* arg) {
                        task* t = *static_cast<task**>(arg);
                        t->fn(t->self, t->msg);
                        delete t;
                        (void)msg;
                      },
                      sizeof(task*)) != 0) {
      spdlog::error("edge: cannot hand a task to the SIP thread");
      return;
    }
    auto* t = new task{this, fn, std::move(msg)};
    std::memcpy(su_msg_data(m), &t, sizeof(t));
    if (su_msg_send(m) != 0) {
      delete t;
      spdlog::error("edge: cannot hand a task to the SIP thread");
    }
  }
};

sip_edge::sip_edge(service_context& ctx) : impl_(std::make_unique<impl>(ctx)) {}

sip_edge::~sip_edge() { stop(); }

std::string sip_edge::start() {
  auto ready = impl_->started.get_future();
  impl_->thread = std::thread([this] { impl_->run(); });
  auto err = ready.get();
  if (!err.empty()) {
    impl_->thread.join();
    throw std::runtime_error(err);
  }
  impl_->ctx.nats->subscribe(subj::edge_cmd(impl_->ctx.instance), [this](bus_msg m) {
    impl_->post([](impl* self, bus_msg& m) { self->on_command(m.data); }, std::move(m));
  });
  // Leg commands on their own subscription: one delivery thread keeps the
  // commands of a leg in order.
  impl_->ctx.nats->subscribe(subj::edge_leg(impl_->ctx.instance), [this](bus_msg m) {
    impl_->post(
        [](impl* self, bus_msg& m) {
          v1::LegCommand cmd;
          if (!cmd.ParseFromString(m.data)) {
            process_counters().add(counter_id::bus_decode_errors, "edge_leg");
            spdlog::warn("edge: undecodable leg command ({} bytes) dropped", m.data.size());
            return;
          }
          self->legs->command(cmd);
        },
        std::move(m));
  });
  // A restarted callctl asks for the snapshots of its calls (edge_calls.hpp).
  impl_->ctx.nats->subscribe(subj::edge_snapshots(impl_->ctx.instance), [this](bus_msg m) {
    impl_->post([](impl* self, bus_msg& m) { self->legs->snapshots(m); }, std::move(m));
  });
  impl_->ctx.nats->subscribe(subj::edge_options(impl_->ctx.instance), [this](bus_msg m) {
    impl_->post([](impl* self, bus_msg& m) { self->probes->probe(m.data); }, std::move(m));
  });
  // A service instance that starts after the phones registered learns their
  // bindings from this re-publication (its bus subscriptions are up before it
  // announces itself). The edge's own announcement counts too: owners forget
  // an announcing edge's bindings, and SIP is up, so phones may have
  // registered, before it announces itself.
  impl_->ctx.nats->subscribe(subj::ops_ready_all, [this](bus_msg) {
    impl_->post([](impl* self, bus_msg&) { self->registrar->republish(); }, {});
  });
  impl_->heartbeat = std::make_unique<edge_heartbeat>(*impl_->ctx.nats, impl_->ctx.instance);
  return "SIP udp " + impl_->ctx.cfg.sip_bind.str() + ", commands on " +
         subj::edge_cmd(impl_->ctx.instance) + " and " + subj::edge_leg(impl_->ctx.instance);
}

void sip_edge::stop() {
  if (!impl_->thread.joinable())
    return;
  // Owners move their new work elsewhere as this edge stops.
  impl_->heartbeat.reset();
  // Every subscription is un-SUBSCRIBEd, then nua_shutdown ends the calls
  // before the loop stops; the agent goes with nua.
  impl_->post(
      [](impl* self, bus_msg&) {
        self->subs->shutdown();
        forget_stack();
        nua_shutdown(self->nua);
      },
      {});
  impl_->thread.join();
}

}  // namespace sipcc::edge
