#include "edge_registrar.hpp"

#include <charconv>
#include <chrono>
#include <cstring>
#include <random>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_protos.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_tag.h>
#include <spdlog/spdlog.h>

#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/text.hpp"
#include "sipcc/v1/sip.pb.h"

namespace sipcc::edge {

namespace {

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Nonces are only good for this process: a restarted edge challenges again.
std::string process_secret() {
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 4; ++i)
    s += std::to_string(rd());
  return s;
}

registrar::binding_table table_for(const config& cfg) {
  registrar::limits lim;
  lim.realm = cfg.realm;
  lim.min_expires_s = cfg.register_min_expires_s;
  lim.max_expires_s = cfg.register_max_expires_s;
  std::map<std::string, std::string> passwords;
  for (auto& dn : cfg.dns)
    if (dn.registers_on_sipcc())
      passwords.emplace(dn.number, dn.password);
  return registrar::binding_table(lim, std::move(passwords), process_secret());
}

std::optional<uint32_t> seconds(const char* s, bool& bad) {
  if (!s)
    return std::nullopt;
  uint32_t v = 0;
  auto end = s + std::strlen(s);
  auto [p, ec] = std::from_chars(s, end, v);
  if (ec != std::errc() || p != end)
    bad = true;
  return v;
}

// The message as the pure registrar reads it; false for a Contact it cannot use.
bool read_request(const sip_t* sip, registrar::register_request& r, std::string& why) {
  if (sip->sip_to && sip->sip_to->a_url->url_user)
    r.aor = sip->sip_to->a_url->url_user;
  char buf[512];
  if (sip->sip_request) {
    if (url_e(buf, sizeof buf, sip->sip_request->rq_url) >= static_cast<issize_t>(sizeof buf)) {
      why = "Request-URI too long";
      return false;
    }
    r.request_uri = buf;
  }
  if (sip->sip_call_id && sip->sip_call_id->i_id)
    r.call_id = sip->sip_call_id->i_id;
  if (sip->sip_cseq)
    r.cseq = sip->sip_cseq->cs_seq;
  if (sip->sip_expires)
    r.expires = static_cast<uint32_t>(sip->sip_expires->ex_delta);
  if (auto* au = sip->sip_authorization) {
    std::string v = au->au_scheme ? au->au_scheme : "";
    for (auto p = au->au_params; p && *p; ++p)
      v += std::string(p == au->au_params ? " " : ", ") + *p;
    r.authorization = v;
  }
  for (auto* m = sip->sip_contact; m; m = m->m_next) {
    if (m->m_url->url_type == url_any) {
      r.wildcard = true;
      continue;
    }
    if (url_e(buf, sizeof buf, m->m_url) >= static_cast<issize_t>(sizeof buf)) {
      why = "Contact URI too long";
      return false;
    }
    bool bad = false;
    r.contacts.push_back({buf, seconds(m->m_expires, bad)});
    if (bad) {
      why = "Bad expires parameter in Contact";
      return false;
    }
  }
  return true;
}

}  // namespace

registrar_edge::registrar_edge(service_context& ctx) : ctx_(ctx), table_(table_for(ctx.cfg)) {}

void registrar_edge::publish(const registrar::change& c) {
  v1::Registration r;
  r.set_schema(v1::SCHEMA_V1);
  r.set_dn(c.dn);
  // Bus strings are UTF-8 (docs/bus.md); an escaped byte names the same Contact.
  r.set_contact(uri_to_utf8(c.contact));
  r.set_expires_s(c.expires_s);
  r.set_edge_id(ctx_.instance);
  r.set_source(c.source);
  ctx_.nats->publish(subj::reg(c.dn), r);
}

void registrar_edge::on_register(nua_t* nua, nua_handle_t* nh, const sip_t* sip,
                                 const std::string& source) {
  registrar::register_request req;
  req.source = source;
  std::string why;
  registrar::outcome o;
  if (!sip || !read_request(sip, req, why)) {
    o.status = 400;
    o.phrase = why.empty() ? "Malformed REGISTER" : why;
  } else {
    o = table_.handle(req, now_s());
  }
  std::string contacts, min_expires = std::to_string(o.min_expires),
                        retry_after = std::to_string(o.retry_after);
  for (auto& b : o.bindings)
    contacts += (contacts.empty() ? "<" : ", <") + b.contact + ">;expires=" +
                std::to_string(b.expires_s);
  process_counters().add(counter_id::sip_responses_out, std::to_string(o.status));
  // nua keeps the phrase pointer until it builds the response, later: a
  // copy in the handle's memory lives until the handle goes.
  nua_respond(nh, o.status, su_strdup(nua_handle_home(nh), o.phrase.c_str()), NUTAG_WITH_THIS(nua),
              TAG_IF(!o.www_authenticate.empty(),
                     SIPTAG_WWW_AUTHENTICATE_STR(o.www_authenticate.c_str())),
              TAG_IF(o.status == 423, SIPTAG_MIN_EXPIRES_STR(min_expires.c_str())),
              TAG_IF(o.retry_after != 0, SIPTAG_RETRY_AFTER_STR(retry_after.c_str())),
              TAG_IF(!contacts.empty(), SIPTAG_CONTACT_STR(contacts.c_str())), TAG_END());
  nua_handle_destroy(nh);
  if (o.status >= 300 && (o.status != 401 || !o.detail.empty()))
    spdlog::info("registrar: REGISTER for DN '{}' refused: {} {}{}", req.aor, o.status, o.phrase,
                 o.detail.empty() ? "" : " (" + o.detail + ")");
  for (auto& c : o.changes) {
    spdlog::info("registrar: DN {}: {} {}", c.dn, c.contact,
                 c.expires_s ? "bound for " + std::to_string(c.expires_s) + " s" : "unbound");
    publish(c);
  }
}

void registrar_edge::expire() {
  for (auto& c : table_.expire(now_s())) {
    spdlog::info("registrar: DN {}: {} expired", c.dn, c.contact);
    publish(c);
  }
}

void registrar_edge::republish() {
  for (auto& c : table_.all(now_s()))
    publish(c);
}

std::vector<phone_binding> registrar_edge::phones(const std::string& dn) const {
  std::vector<phone_binding> out;
  for (auto& c : table_.current(dn, now_s()))
    out.push_back({c.contact, c.source});
  return out;
}

}  // namespace sipcc::edge
