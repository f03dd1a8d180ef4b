#include "edge_calls.hpp"

#include <chrono>
#include <cstring>
#include <optional>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_protos.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_tag.h>
#include <spdlog/spdlog.h>

#include "sip-edge/model/snapshot_page.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"

namespace sipcc::edge {

namespace {
// How long an inbound INVITE waits for a callctl member to claim it, in
// all; it is offered once more (to whichever member the queue group picks)
// when the first offer is unclaimed after kReofferMs: the member it went to
// may have died with it.
constexpr uint32_t kClaimWaitMs = 3000;
constexpr uint32_t kReofferMs = 1000;
// How long an ended leg is remembered for the owner restoring its call:
// well past a takeover (2 s) or a restart (a few seconds); and at most how
// many (30 s of 1,000 calls/s ending, two legs each, is 60,000).
constexpr std::chrono::seconds kEndedLegsKeep{30};
constexpr size_t kEndedLegsMax = 100000;

std::string sdp_of(const sip_t* sip) {
  if (sip && sip->sip_payload && sip->sip_payload->pl_data)
    return std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  return {};
}

// The From's display name as a person reads it: a quoted-string loses the
// quotes and escapes sofia keeps.
std::string display_name(const char* d) {
  if (!d || *d != '"')
    return sip_text(d);
  std::string out(std::strlen(d), '\0');  // unquoting only shortens
  const char* plain = msg_unquote(out.data(), d);
  return sip_text(plain ? plain : d);
}

// A final response (>= 200) to our INVITE, re-INVITE or UPDATE as an event.
void final_response(v1::LegEvent& ev, int status, const char* phrase, const sip_t* sip,
                    bool reinvite) {
  if (status < 300) {
    auto* a = ev.mutable_answered();
    a->set_status(static_cast<uint32_t>(status));
    a->set_sdp(sdp_of(sip));
    a->set_reinvite(reinvite);
  } else {
    auto* f = ev.mutable_failed();
    f->set_status(static_cast<uint32_t>(status));
    f->set_phrase(sip_text(phrase));
    f->set_timed_out(status == 408 && !sip);
    f->set_reinvite(reinvite);
  }
}
}  // namespace

// What a call leg's nua handle's magic points to.
struct leg {
  std::string id;
  std::string owner;       // empty until claimed (inbound)
  std::string conn_id;
  nua_handle_t* nh = nullptr;
  bool inbound = false;
  bool answered = false;   // a 2xx went (inbound) or came (outbound)
  bool final_pending = true;  // the initial INVITE still waits for its final response
  // An UPDATE offer from the far end waits for the other leg's answer (RFC
  // 3311 allows one at a time); its transaction is kept in `update_in`.
  bool update_pending = false;
  nua_saved_event_t update_in = nullptr;
  bool update_out = false;  // our UPDATE (not nua's own session refresh) is out
  // Invited with ack_later: the 2xx to the initial INVITE waits for a LegAck.
  bool ack_later = false;
  bool ack_pending = false;
  bool talk_out = false;  // our talk NOTIFY (TAnswerCall) waits for its response
  // The early dialog the ringing phone's 18x opened (outbound legs): its To
  // with the tag, and its Contact; nua keeps neither before the 2xx.
  std::string early_to, early_target;
  std::vector<v1::LegEvent> held;  // events before the claim
  // The offer on sipcc.in.invite, kept until the claim for a second offer.
  std::optional<v1::LegEvent> offer;
  bool reoffered = false;
  // Its established call's CallSnapshot from callctl (LegKeepSnapshot): it
  // lives and dies with the dialog, for a restarted callctl to restore the call.
  std::string snapshot;
  su_timer_t* timer = nullptr;     // claim wait (inbound) or answer wait (outbound)
  // When the INVITE arrived (inbound), for the setup-latency histogram.
  std::chrono::steady_clock::time_point arrived = std::chrono::steady_clock::now();
  call_legs* owner_set = nullptr;
};

namespace {
// A phone's REFER in a call (a transfer from the phone) is refused and the
// call goes on: transfers are desktop requests. 403: understood and refused
// by policy, and RFC 5057 scopes a 403 to the REFER's own implicit
// subscription, so the INVITE dialog stays up (603 is a user's decline).
void refuse_refer(nua_t* nua, const leg& l, const sip_t* sip) {
  process_counters().add(counter_id::sip_requests_in, "REFER");
  count_own_answer(403);
  char refer_to[256] = "";
  if (sip && sip->sip_refer_to)
    url_e(refer_to, sizeof refer_to, sip->sip_refer_to->r_url);
  spdlog::info("edge: leg {} (ConnID {}): REFER to {} refused, transfers are desktop requests",
               l.id, l.conn_id, refer_to);
  nua_respond(l.nh, 403, "Transfers are made from the agent desktop", NUTAG_WITH_THIS(nua),
              TAG_END());
}

// Legs take REFER (k_allow_in_calls), so that it reaches refuse_refer.
void allow_in_call(nua_handle_t* nh) {
  nua_set_hparams(nh, SIPTAG_ALLOW_STR(k_allow_in_calls), TAG_END());
}
}  // namespace

call_legs::call_legs(service_context& ctx, nua_t* nua, su_root_t* root)
    : ctx_(ctx), nua_(nua), root_(root), ended_(kEndedLegsKeep, kEndedLegsMax) {
  gauge();  // reads 0, not "unknown", before the first call
}

call_legs::~call_legs() {
  for (auto& [id, l] : legs_) {
    if (l->timer)
      su_timer_destroy(l->timer);
    if (l->update_pending)
      nua_destroy_event(&l->update_in);
  }
}

void call_legs::gauge() {
  process_counters().set(counter_id::actors, "edge_legs", static_cast<int64_t>(legs_.size()));
}

void call_legs::stamp(v1::LegEvent& ev, const std::string& leg_id,
                      const std::string& conn_id) const {
  ev.set_schema(v1::SCHEMA_V1);
  ev.set_leg_id(leg_id);
  ev.set_edge_id(ctx_.instance);
  ev.set_conn_id(conn_id);
}

void call_legs::publish(leg& l, v1::LegEvent& ev) {
  stamp(ev, l.id, l.conn_id);
  if (l.owner.empty()) {
    // Not claimed yet: keep it, in order, until callctl says who owns the leg.
    l.held.push_back(ev);
    return;
  }
  ctx_.nats->publish(subj::leg_event(l.owner, l.id), ev);
}

void call_legs::set_timer(leg& l, uint32_t ms) {
  if (!l.timer)
    l.timer = su_timer_create(su_root_task(root_), 0);
  su_timer_set_interval(l.timer, &call_legs::on_timer, reinterpret_cast<su_timer_arg_t*>(&l), ms);
}

void call_legs::on_timer(su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg) {
  auto* l = reinterpret_cast<leg*>(arg);
  auto* self = l->owner_set;
  if (l->inbound && l->owner.empty() && !l->reoffered && l->offer) {
    spdlog::warn("edge: leg {}: no callctl claimed the call in {} ms, offering it again", l->id,
                 kReofferMs);
    process_counters().add(counter_id::audit_fixes, "reoffered_invite");
    l->reoffered = true;
    self->ctx_.nats->publish(subj::in_invite, *l->offer);
    self->set_timer(*l, kClaimWaitMs - kReofferMs);
    return;
  }
  if (l->inbound && l->owner.empty()) {
    // Nobody took the call: say so to Asterisk rather than leave it ringing.
    spdlog::warn("edge: leg {}: no callctl claimed the call in {} ms, answering 503", l->id,
                 kClaimWaitMs);
    count_own_answer(503);
    nua_respond(l->nh, 503, "No call control available", TAG_END());
    self->forget(l, "not claimed");
    return;
  }
  if (!l->inbound && l->final_pending) {
    spdlog::info("edge: leg {} (ConnID {}): no answer in time, CANCEL", l->id, l->conn_id);
    nua_cancel(l->nh, TAG_END());
    v1::LegEvent ev;
    auto* f = ev.mutable_failed();
    f->set_status(408);
    f->set_phrase("No answer");
    f->set_timed_out(true);
    l->final_pending = false;
    self->publish(*l, ev);
  }
}

void call_legs::forget(leg* l, const char* why) {
  v1::LegEvent ev;
  ev.mutable_gone()->set_why(why);
  publish(*l, ev);
  if (!l->owner.empty() && !l->snapshot.empty())
    ended_.add({l->id, l->conn_id, l->owner, std::chrono::steady_clock::now()});
  if (l->timer) {
    su_timer_destroy(l->timer);
    l->timer = nullptr;
  }
  if (l->update_pending)
    nua_destroy_event(&l->update_in);
  nua_handle_bind(l->nh, nullptr);
  nua_handle_destroy(l->nh);
  legs_.erase(l->id);  // frees l
  gauge();
}

void call_legs::incoming(nua_handle_t* nh, const sip_t* sip, const std::string& source) {
  auto l = std::make_unique<leg>();
  l->id = ctx_.instance + "-" + std::to_string(++next_);
  l->nh = nh;
  l->inbound = true;
  l->owner_set = this;
  nua_handle_bind(nh, static_cast<nua_hmagic_t*>(l.get()));
  allow_in_call(nh);
  v1::LegEvent ev;
  stamp(ev, l->id, "");  // no ConnID before callctl's claim
  auto* in = ev.mutable_incoming();
  if (sip->sip_request) {
    char buf[512];
    url_e(buf, sizeof buf, sip->sip_request->rq_url);
    in->set_request_uri(uri_to_utf8(buf));
    // The dialled number: the Request-URI user, else the To user.
    in->set_to_user(sip_uri_text(sip->sip_request->rq_url->url_user));
  }
  if (in->to_user().empty() && sip->sip_to)
    in->set_to_user(sip_uri_text(sip->sip_to->a_url->url_user));
  if (sip->sip_from) {
    in->set_from_user(sip_uri_text(sip->sip_from->a_url->url_user));
    char buf[512];
    url_e(buf, sizeof buf, sip->sip_from->a_url);
    in->set_from_uri(uri_to_utf8(buf));
    in->set_from_name(display_name(sip->sip_from->a_display));
  }
  if (sip->sip_call_id)
    in->set_call_id(sip_text(sip->sip_call_id->i_id));
  in->set_source(source);
  in->set_sdp(sdp_of(sip));
  ctx_.nats->publish(subj::in_invite, ev);
  l->offer = std::move(ev);
  set_timer(*l, kReofferMs);
  spdlog::debug("edge: leg {}: INVITE {} from {} offered to callctl", l->id, in->to_user(),
                in->from_user());
  legs_.emplace(l->id, std::move(l));
  gauge();
}

void call_legs::event(leg* l, nua_event_t event, int status, const char* phrase,
                      const sip_t* sip, tagi_t tags[]) {
  switch (event) {
    case nua_i_invite:  // re-INVITE in the dialog
    case nua_i_update:
    case nua_i_info:
    case nua_i_refer:
    case nua_i_options:
    case nua_i_cancel:
    case nua_i_ack:
    case nua_i_bye:
      request_in(*l, event, sip);
      return;
    case nua_r_invite:
      invite_response(*l, status, phrase, sip);
      return;
    case nua_r_update:
      // Only the UPDATE callctl asked for is reported; nua's own refreshes are not.
      if (l->update_out && status >= 200) {
        l->update_out = false;
        process_counters().add(counter_id::sip_responses_in, sip_status_label(status));
        v1::LegEvent ev;
        final_response(ev, status, phrase, sip, true);
        publish(*l, ev);
      }
      return;
    case nua_r_info:
      // callctl does not wait for it (a lost digit is lost, as in RTP): counted only.
      if (status >= 200)
        process_counters().add(counter_id::sip_responses_in, sip_status_label(status));
      if (status >= 300)
        spdlog::info("edge: leg {}: INFO refused with {}", l->id, status);
      return;
    case nua_r_method:
      talk_response(*l, status, phrase);
      return;
    case nua_i_state: {
      int cs = nua_callstate_init;
      tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
      if (cs == nua_callstate_terminated)
        forget(l, "terminated");
      return;
    }
    default:
      return;
  }
}

// A request from the far end in the leg's dialog.
void call_legs::request_in(leg& l, nua_event_t event, const sip_t* sip) {
  v1::LegEvent ev;
  switch (event) {
    case nua_i_invite:
      process_counters().add(counter_id::sip_requests_in, "INVITE");
      ev.mutable_reinvite()->set_sdp(sdp_of(sip));
      break;
    case nua_i_update:
      update_in(l, sip);
      return;
    case nua_i_info: {
      // Taken, whatever it holds: a digit callctl cannot read is its to drop.
      process_counters().add(counter_id::sip_requests_in, "INFO");
      nua_respond(l.nh, SIP_200_OK, NUTAG_WITH_THIS(nua_), TAG_END());
      auto* info = ev.mutable_info();
      if (sip && sip->sip_content_type && sip->sip_content_type->c_type)
        info->set_content_type(sip_text(sip->sip_content_type->c_type));
      info->set_body(sdp_of(sip));
      break;
    }
    case nua_i_refer:
      refuse_refer(nua_, l, sip);
      return;
    case nua_i_options:
      process_counters().add(counter_id::sip_requests_in, "OPTIONS");
      nua_respond(l.nh, SIP_200_OK, NUTAG_WITH_THIS(nua_), TAG_END());
      return;
    case nua_i_cancel:
      process_counters().add(counter_id::sip_requests_in, "CANCEL");
      ev.mutable_cancelled();
      break;
    case nua_i_ack:
      ev.mutable_acked()->set_sdp(sdp_of(sip));
      break;
    case nua_i_bye:
      process_counters().add(counter_id::sip_requests_in, "BYE");
      ev.mutable_bye();
      break;
    default:
      return;
  }
  publish(l, ev);
}

// An UPDATE from the far end: a refresh is answered here, an offer goes to
// callctl with its transaction kept until callctl responds (RFC 3311: one
// at a time).
void call_legs::update_in(leg& l, const sip_t* sip) {
  process_counters().add(counter_id::sip_requests_in, "UPDATE");
  auto sdp = sdp_of(sip);
  if (sdp.empty()) {
    // A session refresh (or a bare target refresh): nothing for the
    // other leg; nua adds the session-timer headers to our 200.
    process_counters().add(counter_id::sip_responses_out, "200");
    nua_respond(l.nh, SIP_200_OK, NUTAG_WITH_THIS(nua_), TAG_END());
    return;
  }
  if (l.update_pending) {
    count_own_answer(500);
    nua_respond(l.nh, 500, "Overlapping UPDATE", SIPTAG_RETRY_AFTER_STR("2"),
                NUTAG_WITH_THIS(nua_), TAG_END());
    return;
  }
  nua_save_event(nua_, &l.update_in);
  l.update_pending = true;
  v1::LegEvent ev;
  auto* r = ev.mutable_reinvite();
  r->set_sdp(std::move(sdp));
  r->set_update(true);
  publish(l, ev);
}

// A response to our INVITE or re-INVITE.
void call_legs::invite_response(leg& l, int status, const char* phrase, const sip_t* sip) {
  if (status <= 100)
    return;
  if (status >= 200)
    process_counters().add(counter_id::sip_responses_in, sip_status_label(status));
  bool reinvite = l.answered && !l.final_pending;
  v1::LegEvent ev;
  if (status < 200) {
    auto* p = ev.mutable_progress();
    p->set_status(static_cast<uint32_t>(status));
    p->set_sdp(sdp_of(sip));
    if (!reinvite)
      early_dialog(l, sip);
  } else if (!reinvite && !l.final_pending) {
    // Answered across our own timeout CANCEL, already reported as failed:
    // end the dialog nobody wants any more.
    if (status < 300) {
      l.ack_pending = l.ack_later;
      ack_before_bye(l);
      nua_bye(l.nh, TAG_END());
    }
    return;
  } else {
    final_response(ev, status, phrase, sip, reinvite);
    l.ack_pending = l.ack_later && !reinvite && status < 300;
    l.answered = l.answered || status < 300;
    l.final_pending = false;
  }
  if (!l.final_pending && l.timer)
    su_timer_reset(l.timer);
  publish(l, ev);
}

void call_legs::command(const v1::LegCommand& cmd) {
  auto it = legs_.find(cmd.leg_id());
  // First: the call's other legs keep it even if this one is gone.
  if (cmd.has_keep_snapshot())
    keep_snapshot(cmd.leg_id(), cmd.keep_snapshot());
  if (cmd.cmd_case() == v1::LegCommand::kInvite) {
    if (it != legs_.end())
      spdlog::warn("edge: invite for leg '{}' refused (duplicate)", cmd.leg_id());
    else
      invite(cmd.leg_id(), cmd.invite());
    return;
  }
  if (it == legs_.end()) {
    spdlog::debug("edge: command for unknown leg {} ignored", cmd.leg_id());
    return;
  }
  leg& l = *it->second;
  switch (cmd.cmd_case()) {
    case v1::LegCommand::kClaim:
      claim(l, cmd.claim());
      return;
    case v1::LegCommand::kRespond:
      respond(l, cmd.respond());
      return;
    case v1::LegCommand::kBye:
      ack_before_bye(l);
      nua_bye(l.nh, TAG_END());
      return;
    case v1::LegCommand::kAck:
      ack(l, cmd.ack());
      return;
    case v1::LegCommand::kDrop:
      drop(l, cmd.drop().why());
      return;
    case v1::LegCommand::kCancel:
      nua_cancel(l.nh, TAG_END());
      return;
    case v1::LegCommand::kReinvite:
      reinvite(l, cmd.reinvite());
      return;
    case v1::LegCommand::kTalk:
      send_talk(l);
      return;
    case v1::LegCommand::kInfo:
      info(l, cmd.info());
      return;
    default:
      return;
  }
}

void call_legs::keep_snapshot(const std::string& leg_id, const v1::LegKeepSnapshot& keep) {
  auto keep_on = [&](const std::string& id) {
    if (auto it = legs_.find(id); it != legs_.end())
      it->second->snapshot = keep.snapshot();
  };
  keep_on(leg_id);
  for (const auto& other : keep.other_legs())
    keep_on(other);
}

// A new outbound leg.
void call_legs::invite(const std::string& leg_id, const v1::LegInvite& inv) {
  if (!valid_subject_token(leg_id) || !valid_subject_token(inv.owner()) ||
      inv.target_uri().empty()) {
    spdlog::warn("edge: invite for leg '{}' refused (malformed)", leg_id);
    return;
  }
  auto l = std::make_unique<leg>();
  l->id = leg_id;
  l->owner = inv.owner();
  l->conn_id = inv.conn_id();
  owners_.insert(l->owner);
  l->owner_set = this;
  std::string from = (inv.from_name().empty() ? "" : "\"" + inv.from_name() + "\" ") + "<" +
                     (inv.from_uri().empty()
                          ? own_uri(ctx_.cfg)
                          : inv.from_uri()) +
                     ">";
  const std::string to = name_addr(inv.target_uri());
  l->nh = nua_handle(nua_, static_cast<nua_hmagic_t*>(l.get()), SIPTAG_TO_STR(to.c_str()),
                     SIPTAG_FROM_STR(from.c_str()), TAG_END());
  allow_in_call(l->nh);
  bool offer = !inv.sdp().empty();
  std::string extra;
  for (const auto& h : inv.headers())
    extra += (extra.empty() ? "" : "\r\n") + h;
  l->ack_later = inv.ack_later();
  nua_invite(l->nh, NUTAG_URL(inv.target_uri().c_str()),
             TAG_IF(l->ack_later, NUTAG_AUTOACK(0)),
             TAG_IF(!extra.empty(), SIPTAG_HEADER_STR(extra.c_str())),
             TAG_IF(offer, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
             TAG_IF(offer, SIPTAG_PAYLOAD_STR(inv.sdp().c_str())), TAG_END());
  if (inv.timeout_ms() > 0)
    set_timer(*l, inv.timeout_ms());
  legs_.emplace(l->id, std::move(l));
  gauge();
}

// A callctl takes an inbound leg: the events held until now go to it.
void call_legs::claim(leg& l, const v1::LegClaim& c) {
  if (!valid_subject_token(c.owner()))
    return;
  if (!l.owner.empty()) {
    // First claim wins. A second one, of the offer made again, is told at
    // once: its call ends rather than waiting for the audit.
    if (c.owner() != l.owner || c.conn_id() != l.conn_id) {
      v1::LegEvent ev;
      stamp(ev, l.id, c.conn_id());
      ev.mutable_gone()->set_why("claimed by " + l.owner);
      ctx_.nats->publish(subj::leg_event(c.owner(), l.id), ev);
    }
    return;
  }
  l.owner = c.owner();
  l.conn_id = c.conn_id();
  l.offer.reset();
  if (!l.reoffered) {
    ++claims_;
    claim_ms_sum_ +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - l.arrived)
            .count();
  }
  owners_.insert(l.owner);
  if (l.timer)
    su_timer_reset(l.timer);
  auto held = std::move(l.held);
  for (auto& ev : held) {
    ev.set_conn_id(l.conn_id);
    ctx_.nats->publish(subj::leg_event(l.owner, l.id), ev);
  }
}

std::pair<int, double> call_legs::take_claim_times() {
  return {std::exchange(claims_, 0), std::exchange(claim_ms_sum_, 0)};
}

// callctl's response to the far end's INVITE, re-INVITE or UPDATE offer.
void call_legs::respond(leg& l, const v1::LegRespond& r) {
  if (r.update() && !l.update_pending) {
    spdlog::debug("edge: leg {}: no UPDATE waits for an answer", l.id);
    return;
  }
  bool body = !r.sdp().empty();
  process_counters().add(counter_id::sip_responses_out,
                         sip_status_label(static_cast<int>(r.status())));
  // nua reads the phrase after nua_respond returns, when `cmd` is gone:
  // a copy lives in the handle's memory.
  nua_respond(l.nh, static_cast<int>(r.status()),
              r.phrase().empty() ? sip_status_phrase(static_cast<int>(r.status()))
                                 : su_strdup(nua_handle_home(l.nh), r.phrase().c_str()),
              TAG_IF(body, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
              TAG_IF(body, SIPTAG_PAYLOAD_STR(r.sdp().c_str())),
              TAG_IF(r.update(), NUTAG_WITH_SAVED(&l.update_in)), TAG_END());
  if (r.update()) {
    nua_destroy_event(&l.update_in);
    l.update_pending = false;
    return;
  }
  if (r.status() >= 200 && r.status() < 300) {
    if (l.inbound && !l.answered)
      process_counters().add(
          counter_id::setup_latency,
          latency_bucket(std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::steady_clock::now() - l.arrived)
                             .count()));
    l.answered = true;
  }
  if (r.status() >= 200)
    l.final_pending = false;
}

// The ACK of a flow I 2xx, carrying callctl's answer.
void call_legs::ack(leg& l, const v1::LegAck& a) {
  if (!l.ack_pending) {
    spdlog::warn("edge: leg {}: ack refused, no 2xx waits for it", l.id);
    return;
  }
  l.ack_pending = false;
  bool body = !a.sdp().empty();
  nua_ack(l.nh, TAG_IF(body, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
          TAG_IF(body, SIPTAG_PAYLOAD_STR(a.sdp().c_str())), TAG_END());
  // Only the initial 2xx waits: re-INVITEs (ours and nua's session
  // refreshes) are ACKed by nua again.
  nua_set_hparams(l.nh, NUTAG_AUTOACK(1), TAG_END());
}

// A new offer from callctl, as a re-INVITE or an UPDATE.
void call_legs::reinvite(leg& l, const v1::LegReinvite& r) {
  bool body = !r.sdp().empty();
  if (r.update()) {
    l.update_out = true;
    nua_update(l.nh, TAG_IF(body, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
               TAG_IF(body, SIPTAG_PAYLOAD_STR(r.sdp().c_str())), TAG_END());
  } else {
    nua_invite(l.nh, TAG_IF(body, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
               TAG_IF(body, SIPTAG_PAYLOAD_STR(r.sdp().c_str())), TAG_END());
  }
}

void call_legs::info(leg& l, const v1::LegInfo& i) {
  if (!l.answered) {
    spdlog::warn("edge: leg {}: info refused, the dialog is not up", l.id);
    return;
  }
  nua_info(l.nh, SIPTAG_CONTENT_TYPE_STR(i.content_type().c_str()),
           SIPTAG_PAYLOAD_STR(i.body().c_str()), TAG_END());
}

// TAnswerCall: the BroadSoft talk package as phones with remote answer take
// it (BroadWorks click-to-answer; the reference's TAnswerCall sends the
// same): a bodiless NOTIFY Event: talk, Subscription-State: active, in the
// INVITE's early dialog, whose 18x opened the implicit subscription (which
// lives as long as the session); the phone then answers the INVITE itself.
// Sent as a plain request: nua_notify would keep a notifier usage and NOTIFY
// "terminated" after the call's BYE (seen), or, without an expiry, turn
// "active" into "terminated;reason=timeout". nua keeps no early dialog
// before the 2xx, so the 18x's To tag and Contact are given here.
void call_legs::send_talk(leg& l) {
  if (l.inbound || !l.final_pending) {
    spdlog::debug("edge: leg {}: talk dropped, nothing rings", l.id);
    return;
  }
  l.talk_out = true;
  nua_method(l.nh, NUTAG_METHOD("NOTIFY"), SIPTAG_EVENT_STR("talk"),
             SIPTAG_SUBSCRIPTION_STATE_STR("active"),
             TAG_IF(!l.early_to.empty(), SIPTAG_TO_STR(l.early_to.c_str())),
             TAG_IF(!l.early_target.empty(), NUTAG_URL(l.early_target.c_str())), TAG_END());
}

// A 18x without a To tag opens no early dialog (RFC 3261 requires the tag).
void call_legs::early_dialog(leg& l, const sip_t* sip) {
  if (!sip || !sip->sip_to || !sip->sip_to->a_tag)
    return;
  char buf[512];
  url_e(buf, sizeof buf, sip->sip_to->a_url);
  l.early_to = std::string("<") + buf + ">;tag=" + sip->sip_to->a_tag;
  if (sip->sip_contact) {
    url_e(buf, sizeof buf, sip->sip_contact->m_url);
    l.early_target = buf;
  }
}

// Only a refusal matters: an accepted talk shows as the INVITE's 2xx.
void call_legs::talk_response(leg& l, int status, const char* phrase) {
  if (!l.talk_out || status < 200)
    return;
  l.talk_out = false;
  process_counters().add(counter_id::sip_responses_in, sip_status_label(status));
  if (status < 300)
    return;
  spdlog::info("edge: leg {} (ConnID {}): talk refused with {}", l.id, l.conn_id, status);
  v1::LegEvent ev;
  ev.mutable_talk_failed()->set_status(static_cast<uint32_t>(status));
  ev.mutable_talk_failed()->set_phrase(sip_text(phrase));
  publish(l, ev);
}

// A flow I leg hung up while its 2xx waits for the answer: the 2xx is ACKed
// (without SDP, the dialog ends anyway) so the peer stops retransmitting it.
void call_legs::ack_before_bye(leg& l) {
  if (!l.ack_pending)
    return;
  l.ack_pending = false;
  nua_ack(l.nh, TAG_END());
}

void call_legs::drop(leg& l, const std::string& why) {
  spdlog::warn("edge: dropping leg {} (ConnID {}): {}", l.id, l.conn_id, why);
  ack_before_bye(l);
  if (l.answered)
    nua_bye(l.nh, TAG_END());
  else if (l.inbound)
    nua_respond(l.nh, 480, "Call no longer known", TAG_END());
  else
    nua_cancel(l.nh, TAG_END());
}

void call_legs::snapshots(const bus_msg& m) {
  v1::SnapshotQuery q;
  if (m.reply.empty() || !q.ParseFromString(m.data)) {
    process_counters().add(counter_id::bus_decode_errors, "edge_snapshots");
    spdlog::warn("edge: snapshot query ({} bytes{}) dropped", m.data.size(),
                 m.reply.empty() ? ", no reply subject" : ", undecodable");
    return;
  }
  size_t moved = 0;
  for (auto& [id, l] : legs_)
    if (taken_over(l->owner, l->conn_id, q)) {
      l->owner = q.owner();
      ++moved;
    }
  if (moved > 0) {
    owners_.insert(q.owner());
    spdlog::info("edge: {} legs of {} now belong to {} (shards taken over)", moved,
                 q.take_over_from(), q.owner());
  }
  kept_snapshots kept;
  std::unordered_set<std::string> restorable;  // ConnIDs
  for (const auto& [id, l] : legs_)
    if (l->owner == q.owner() && !l->snapshot.empty()) {
      kept.emplace(id, &l->snapshot);
      restorable.insert(l->conn_id);
    }
  auto page = snapshot_page(kept, q.cursor());
  page.set_schema(v1::SCHEMA_V1);
  page.set_edge_id(ctx_.instance);
  ctx_.nats->publish(m.reply, page);
  if (!q.cursor().empty())
    return;
  // After the first page: callctl holds its bus messages until the restore
  // ends, so the calls these legs belong to are back when it reads them.
  auto gone = ended_.take(q, restorable, std::chrono::steady_clock::now());
  for (const auto& e : gone) {
    v1::LegEvent ev;
    stamp(ev, e.leg_id, e.conn_id);
    ev.mutable_gone()->set_why("ended while " + e.owner + " was away");
    ctx_.nats->publish(subj::leg_event(q.owner(), e.leg_id), ev);
  }
  if (!gone.empty())
    spdlog::info("edge: {} legs of restorable calls ended since {} last heard: told to {} again",
                 gone.size(), q.take_over_from().empty() ? q.owner() : q.take_over_from(),
                 q.owner());
}

void call_legs::audit() {
  std::unordered_map<std::string, v1::LegAudit> by_owner;
  for (auto& owner : owners_)
    by_owner[owner];
  for (auto& [id, l] : legs_)
    if (!l->owner.empty())
      by_owner[l->owner].add_leg_ids(id);
  for (auto& [owner, a] : by_owner) {
    a.set_schema(v1::SCHEMA_V1);
    a.set_edge_id(ctx_.instance);
    ctx_.nats->publish(subj::leg_audit(owner), a);
  }
}

}  // namespace sipcc::edge
