#include "edge_subscriptions.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <set>
#include <vector>

#include <sofia-sip/msg.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_protos.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_string.h>
#include <spdlog/spdlog.h>

#include "edge_calls.hpp"  // sip_text, name_addr
#include "sip-edge/model/sub_dialog.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"

namespace sipcc::edge {

using clock = std::chrono::steady_clock;

struct subscriptions::entry {
  subscriptions* set = nullptr;
  std::string sub_id;
  std::string owner;
  std::string key;
  std::string target;
  // What every SUBSCRIBE of the dialog carries (the un-SUBSCRIBE: Expires 0).
  std::string event;
  std::string accept;
  std::string contact_params;
  uint32_t expires = 0;
  bool eventlist = false;
  std::optional<uint32_t> shard;  // the owner's shard, when it owns by leases
  nta_leg_t* leg = nullptr;
  // The SUBSCRIBE in flight: one at a time, the dialog's CSeq in order.
  nta_outgoing_t* orq = nullptr;
  bool unsub_sent = false;     // orq (or the last one) is the un-SUBSCRIBE
  bool established = false;    // a 2xx or a NOTIFY was seen: later answers are refreshes
  bool unsubscribing = false;  // the owner let go: un-SUBSCRIBE once orq is answered
  bool min_expires_tried = false;
  // Its owner restarted (ForgetOwnerCmd): nobody waits for its events.
  bool forgotten = false;
  clock::time_point refresh_at = clock::time_point::max();
  // Un-SUBSCRIBE answered: the final NOTIFY is still to come, until then.
  std::optional<clock::time_point> linger_until;
};

namespace {

std::string cause_for(int status, const std::string& bind) {
  switch (status) {
    case 401:
    case 407:
      // Asterisk identifies the sipcc peer by source IP:port and challenges
      // anyone it does not recognise; retrying with the same address cannot help.
      return "Asterisk did not recognise sipcc as its peer: its 'identify' for the sipcc "
             "endpoint must match " + bind + " (the address sipcc sends from)";
    case 404:
      return "Asterisk has no such resource (no hint, list or MWI object for it)";
    case 408:
      return "no answer from Asterisk (transaction timed out)";
    case 423:
      // Asterisk sends no Min-Expires to ask again with.
      return "Asterisk's minimum for subscriptions (the sipcc endpoint's sub_min_expiry, 60 s "
             "by default) is above subscribe-expires";
    case 489:
      return "Asterisk does not serve this event package or Accept type for it";
    default:
      return "";
  }
}

// The edge's own answer, sent as a message (nta_incoming_mreply) like nua's
// answers: nta_incoming_treply is what the stack's automatic answers go
// through, and what stack_counts counts as theirs.
void answer(nta_agent_t* agent, nta_incoming_t* irq, int status, const char* phrase,
            const char* allow = nullptr, const char* contact = nullptr) {
  msg_t* m = nta_msg_create(agent, 0);
  if (m && nta_incoming_complete_response(irq, m, status, phrase,
                                          TAG_IF(allow, SIPTAG_ALLOW_STR(allow)),
                                          TAG_IF(contact, SIPTAG_CONTACT_STR(contact)),
                                          TAG_END()) == 0)
    nta_incoming_mreply(irq, m);
  else
    msg_destroy(m);
  nta_incoming_destroy(irq);
}

// Forgotten dialogs end at the larger of presence's and mwi's subscribe-rate.
double forget_rate(const config& cfg) {
  return std::max(cfg.subscribe_rate, cfg.mwi.subscribe_rate);
}

// Whether a NOTIFY's Contact is the leg's remote target already.
bool same_target(nta_leg_t* leg, const sip_contact_t* m) {
  const sip_route_t* route = nullptr;
  const sip_contact_t* target = nullptr;
  nta_leg_get_route(leg, &route, &target);
  return target && url_cmp(target->m_url, m->m_url) == 0;
}

}  // namespace

subscriptions::subscriptions(service_context& ctx, nta_agent_t* agent, su_root_t* root)
    : ctx_(ctx),
      agent_(agent),
      root_(root),
      own_uri_(own_uri(ctx.cfg)),
      draw_(std::random_device{}()),
      forget_pace_(token_bucket::for_pacing(forget_rate(ctx.cfg), token_bucket::clock::now())) {
  forget_timer_ =
      su_timer_create(su_root_task(root_),
                      static_cast<su_duration_t>(pacing_interval(forget_rate(ctx.cfg)).count()));
}

subscriptions::~subscriptions() {
  su_timer_destroy(forget_timer_);
  shutdown();
}

void subscriptions::count() {
  process_counters().set(counter_id::subscriptions, "edge_dialogs",
                         static_cast<int64_t>(subs_.size()));
}

void subscriptions::publish(entry& e, v1::SubEvent& ev) {
  if (e.forgotten)
    return;
  ev.set_schema(v1::SCHEMA_V1);
  ev.set_sub_id(e.sub_id);
  ev.set_key(e.key);
  ev.set_edge_id(ctx_.instance);
  ctx_.nats->publish(subj::sub_event(e.owner, e.sub_id), ev);
}

void subscriptions::subscribe(const v1::SubscribeCmd& c) {
  if (c.sub_id().empty() || !valid_subject_token(c.sub_id()) ||
      !valid_subject_token(c.owner()) || c.target_uri().empty() || c.event().empty()) {
    spdlog::warn("edge: malformed subscribe command (sub '{}', owner '{}', target '{}')",
                 c.sub_id(), c.owner(), c.target_uri());
    return;
  }
  if (subs_.count(c.sub_id())) {
    spdlog::debug("edge: duplicate subscribe {} ignored", c.sub_id());
    return;
  }
  auto e = std::make_unique<entry>();
  e->set = this;
  e->sub_id = c.sub_id();
  e->owner = c.owner();
  e->key = c.key();
  e->target = c.target_uri();
  e->event = c.event();
  e->accept = c.accept();
  e->contact_params = c.contact_params();
  e->expires = c.expires();
  e->eventlist = c.eventlist();
  if (c.has_shard())
    e->shard = c.shard();
  const std::string from = name_addr(own_uri_);
  const std::string to = name_addr(c.target_uri());
  // nta makes the Call-ID; the local tag is the dialog's half that the
  // NOTIFYs' To carries, and by which nta hands them to this leg.
  e->leg = nta_leg_tcreate(agent_, &subscriptions::on_request,
                           reinterpret_cast<nta_leg_magic_t*>(e.get()),
                           SIPTAG_FROM_STR(from.c_str()), SIPTAG_TO_STR(to.c_str()),
                           TAG_END());
  if (!e->leg || !nta_leg_tag(e->leg, nullptr) || !send(*e, e->expires)) {
    spdlog::error("edge: cannot make the SUBSCRIBE for {} (sub {}): target '{}'", e->key,
                  e->sub_id, e->target);
    v1::SubEvent ev;
    auto* r = ev.mutable_response();
    r->set_status(500);
    r->set_phrase("Internal Server Error");
    r->set_cause("the edge could not make a SUBSCRIBE for this target");
    publish(*e, ev);
    if (e->leg)
      nta_leg_destroy(e->leg);
    return;
  }
  subs_.emplace(e->sub_id, std::move(e));
  count();
}

// The Contact carries the owner's parameters (MWI's mb=<box>;dn=<DN>).
std::string subscriptions::contact(const entry& e) const {
  std::string c = "<" + own_uri_ + ";transport=udp";
  if (!e.contact_params.empty())
    c += ";" + e.contact_params;
  return c + ">";
}

bool subscriptions::send(entry& e, uint32_t expires) {
  const std::string exp = std::to_string(expires);
  const std::string contact = this->contact(e);
  // Within the dialog nta sends to the remote target the 2xx or a NOTIFY
  // gave the leg; the first request goes to the owner's target.
  e.orq = nta_outgoing_tcreate(
      e.leg, &subscriptions::on_response, reinterpret_cast<nta_outgoing_magic_t*>(&e), nullptr,
      SIP_METHOD_SUBSCRIBE,
      e.established ? nullptr : URL_STRING_MAKE(e.target.c_str()),
      SIPTAG_EVENT_STR(e.event.c_str()),
      TAG_IF(!e.accept.empty(), SIPTAG_ACCEPT_STR(e.accept.c_str())),
      SIPTAG_EXPIRES_STR(exp.c_str()), SIPTAG_CONTACT_STR(contact.c_str()),
      TAG_IF(e.eventlist, SIPTAG_SUPPORTED_STR("eventlist")), SIPTAG_USER_AGENT_STR("sipcc"),
      TAG_END());
  return e.orq != nullptr;
}

int subscriptions::on_response(nta_outgoing_magic_t* magic, nta_outgoing_t* orq,
                               sip_t const* sip) {
  auto* e = reinterpret_cast<entry*>(magic);
  const int status =
      sip && sip->sip_status ? sip->sip_status->st_status : nta_outgoing_status(orq);
  if (status < 200)
    return 0;
  const char* phrase = sip && sip->sip_status ? sip->sip_status->st_phrase : "";
  e->orq = nullptr;
  auto* self = e->set;
  self->response(*e, status, phrase, sip);  // may drop e
  // The response (sip) lives with the transaction: destroyed last.
  nta_outgoing_destroy(orq);
  return 0;
}

void subscriptions::reschedule(entry& e, uint32_t granted_s, bool sooner_only) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const auto at = clock::now() + sub_dialog::refresh_delay(
                                     granted_s, u(draw_),
                                     std::chrono::milliseconds(ctx_.cfg.sip_t1x64_ms));
  if (!sooner_only || at < e.refresh_at)
    e.refresh_at = at;
}

void subscriptions::response(entry& e, int status, const char* phrase, sip_t const* sip) {
  process_counters().add(counter_id::sip_responses_in, sip_status_label(status));
  if (e.unsub_sent || (e.unsubscribing && status >= 300)) {
    // For the owner the subscription is over. The notifier still sends a
    // final NOTIFY (RFC 6665 4.1.2.3), usually after this 200: the leg
    // lingers until it comes (answered 200, not 481), or 64*T1 passes.
    v1::SubEvent ev;
    ev.mutable_ended()->set_status(static_cast<uint32_t>(status));
    ev.mutable_ended()->set_reason("unsubscribed");
    publish(e, ev);
    if (status >= 300 || !e.unsub_sent) {
      drop(e);
      return;
    }
    e.linger_until = clock::now() + std::chrono::milliseconds(ctx_.cfg.sip_t1x64_ms);
    return;
  }
  // RFC 6665 4.1.2.1: ask again for at least the notifier's minimum, once.
  if (status == 423 && sip && sip->sip_min_expires && !e.min_expires_tried) {
    e.min_expires_tried = true;
    e.expires = static_cast<uint32_t>(sip->sip_min_expires->me_delta);
    if (send(e, e.expires))
      return;
  }
  v1::SubEvent ev;
  auto* r = ev.mutable_response();
  r->set_status(static_cast<uint32_t>(status));
  r->set_phrase(sip_text(phrase));
  r->set_refresh(e.established);
  // nta reports a transaction timeout as 408; a 408 from the peer means the same.
  r->set_timed_out(status == 408);
  if (sip && sip->sip_expires)
    r->set_expires(static_cast<uint32_t>(sip->sip_expires->ex_delta));
  auto cause = cause_for(status, ctx_.cfg.sip_bind.str());
  r->set_cause(cause);
  if (status >= 300) {
    spdlog::warn("sip: SUBSCRIBE {} (sub {} for {}) failed: {} {}{}{}", e.target, e.sub_id,
                 e.key, status, phrase ? phrase : "", cause.empty() ? "" : ": ", cause);
    publish(e, ev);
    drop(e);
    return;
  }
  // The dialog is made by the first 2xx unless a NOTIFY overtook it (and
  // set the route: a later 2xx only updates the target).
  if (sip && !nta_sip_is_internal(sip)) {
    const bool first = !nta_leg_get_rtag(e.leg);
    if (first && sip->sip_to && sip->sip_to->a_tag)
      nta_leg_rtag(e.leg, sip->sip_to->a_tag);
    nta_leg_client_reroute(e.leg, sip->sip_record_route, sip->sip_contact, first);
  }
  // A notifier may grant less than asked, never more (RFC 6665 4.2.1.1).
  uint32_t granted = e.expires;
  if (sip && sip->sip_expires)
    granted = std::min(granted, static_cast<uint32_t>(sip->sip_expires->ex_delta));
  e.established = true;
  publish(e, ev);
  if (granted == 0) {
    // Granted nothing: the subscription ends with its final NOTIFY, which
    // the owner still hears; no refresh.
    e.linger_until = clock::now() + std::chrono::milliseconds(ctx_.cfg.sip_t1x64_ms);
    return;
  }
  reschedule(e, granted, false);  // the grant replaces any earlier refresh time
  if (e.unsubscribing)
    end_dialog(e);
}

int subscriptions::on_request(nta_leg_magic_t* magic, nta_leg_t*, nta_incoming_t* irq,
                              sip_t const* sip) {
  auto* e = reinterpret_cast<entry*>(magic);
  e->set->notify(*e, irq, sip);
  return 0;  // answered
}

void subscriptions::notify(entry& e, nta_incoming_t* irq, sip_t const* sip) {
  const char* method = sip->sip_request ? sip->sip_request->rq_method_name : "";
  process_counters().add(counter_id::sip_requests_in, method);
  const char* event = sip->sip_event && sip->sip_event->o_type ? sip->sip_event->o_type : "";
  if (auto refused =
          sub_dialog::refusal(method, e.event, event, sip->sip_subscription_state != nullptr)) {
    answer(agent_, irq, refused->status, refused->phrase.c_str(),
           refused->status == 405 ? "NOTIFY" : nullptr);
    return;
  }
  // RFC 6665 4.1.2.4: a NOTIFY may come before the SUBSCRIBE's 2xx, and
  // then makes the dialog itself; later ones refresh the remote target.
  if (!nta_leg_get_rtag(e.leg)) {
    if (sip->sip_from && sip->sip_from->a_tag)
      nta_leg_rtag(e.leg, sip->sip_from->a_tag);
    nta_leg_server_route(e.leg, sip->sip_record_route, sip->sip_contact);
  } else if (sip->sip_contact && !same_target(e.leg, sip->sip_contact)) {
    nta_leg_client_reroute(e.leg, nullptr, sip->sip_contact, 0);
  }
  answer(agent_, irq, SIP_200_OK, nullptr, contact(e).c_str());
  v1::SubEvent ev;
  auto* n = ev.mutable_notify();
  if (sip->sip_cseq)
    n->set_cseq(sip->sip_cseq->cs_seq);
  auto* ss = sip->sip_subscription_state;
  n->set_substate(sip_text(ss->ss_substate));
  n->set_reason(sip_text(ss->ss_reason));
  if (ss->ss_expires)
    n->set_expires(static_cast<uint32_t>(std::strtoul(ss->ss_expires, nullptr, 10)));
  if (ss->ss_retry_after)
    n->set_retry_after(static_cast<uint32_t>(std::strtoul(ss->ss_retry_after, nullptr, 10)));
  if (sip->sip_content_type && sip->sip_content_type->c_type) {
    std::string ct = sip->sip_content_type->c_type;
    if (sip->sip_content_type->c_params)
      for (auto p = sip->sip_content_type->c_params; *p; ++p)
        ct += std::string(";") + *p;
    n->set_content_type(to_utf8(ct));
  }
  if (sip->sip_payload && sip->sip_payload->pl_data)
    n->set_body(std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len));
  if (sip->sip_call_id)
    n->set_call_id(sip_text(sip->sip_call_id->i_id));
  if (sip->sip_from)
    n->set_dialog_tag(sip_text(sip->sip_from->a_tag));
  const bool terminated = ss->ss_substate && su_casematch(ss->ss_substate, "terminated");
  // A NOTIFY tells how long the subscription has left: refresh by then.
  if (!terminated && ss->ss_expires && e.established)
    reschedule(e, n->expires(), true);
  e.established = true;
  // After the un-SUBSCRIBE the owner has let go: only the dialog's end matters.
  if (!e.unsub_sent)
    publish(e, ev);
  if (terminated)
    drop(e);
}

void subscriptions::drop(entry& e) {
  if (e.orq)
    nta_outgoing_destroy(e.orq);
  nta_leg_destroy(e.leg);
  subs_.erase(e.sub_id);  // frees e
  count();
}

void subscriptions::tick() {
  const auto now = clock::now();
  std::vector<entry*> gone, due;
  for (auto& [id, e] : subs_) {
    if (e->linger_until) {
      if (*e->linger_until <= now)
        gone.push_back(e.get());
    } else if (e->established && !e->orq && !e->unsubscribing && e->refresh_at <= now) {
      due.push_back(e.get());
    }
  }
  for (auto* e : gone)
    drop(*e);
  for (auto* e : due) {
    e->refresh_at = clock::time_point::max();
    if (!send(*e, e->expires))
      response(*e, 503, "Service Unavailable", nullptr);  // drops it
  }
}

// Un-SUBSCRIBEs once: the dialog then ends with its final NOTIFY.
void subscriptions::end_dialog(entry& e) {
  e.unsubscribing = true;
  if (e.orq || e.unsub_sent)
    return;  // the un-SUBSCRIBE follows the answer in flight
  e.unsub_sent = true;
  if (!send(e, 0))
    response(e, 503, "Service Unavailable", nullptr);  // drops it
}

void subscriptions::unsubscribe(const v1::UnsubscribeCmd& c) {
  auto it = subs_.find(c.sub_id());
  if (it != subs_.end())
    end_dialog(*it->second);
}

// As many of the forgotten dialogs as the pace allows now; the rest at the
// timer's next ticks.
void subscriptions::end_forgotten() {
  for (auto n = forget_pace_.take(token_bucket::clock::now(), to_forget_.size()); n > 0; --n) {
    auto it = subs_.find(to_forget_.front());
    to_forget_.pop_front();
    if (it != subs_.end())
      end_dialog(*it->second);
  }
  if (!to_forget_.empty())
    su_timer_set(
        forget_timer_,
        [](su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg) {
          reinterpret_cast<subscriptions*>(arg)->end_forgotten();
        },
        reinterpret_cast<su_timer_arg_t*>(this));
}

void subscriptions::forget_owner(const v1::ForgetOwnerCmd& c) {
  const std::set<uint32_t> shards(c.shards().begin(), c.shards().end());
  int n = 0;
  for (auto& [id, e] : subs_) {
    if (e->owner != c.owner() || e->forgotten)
      continue;
    if (!shards.empty() && (!e->shard || !shards.count(*e->shard)))
      continue;
    e->forgotten = true;
    ++n;
    to_forget_.push_back(id);
  }
  end_forgotten();
  if (n > 0)
    spdlog::info("edge: owner {} {}: ending the {} subscriptions it left", c.owner(),
                 shards.empty() ? "restarted" : "lost its shards to another", n);
  process_counters().add(counter_id::subscriptions_forgotten, shards.empty() ? "all" : "shard", n);
}

void subscriptions::shutdown() {
  for (auto& [id, e] : subs_) {
    if (e->orq)
      nta_outgoing_destroy(e->orq);
    e->orq = nullptr;
    // nta keeps a destroyed transaction until it ends: the un-SUBSCRIBE is
    // still sent, and retransmitted while the agent lives.
    if (e->established && !e->unsub_sent && !e->linger_until) {
      e->unsub_sent = true;
      if (send(*e, 0))
        nta_outgoing_destroy(e->orq);
    }
    nta_leg_destroy(e->leg);
  }
  subs_.clear();
  to_forget_.clear();
  count();
}

}  // namespace sipcc::edge
