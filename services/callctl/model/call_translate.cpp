#include "callctl/model/call_translate.hpp"

#include "callctl/model/dtmf.hpp"

namespace sipcc {

namespace {

// Whether outbound leg `leg` of the call had its 2xx: after it the far end
// can only hang up, before it the INVITE failed.
bool answered(const call& c, const std::string& leg) {
  const call_state s = c.state;
  if (!c.consult_leg.empty() && leg == c.consult_leg)
    return c.consult != consult_state::dialing && c.consult != consult_state::holding;
  if (leg == c.agent_leg)
    return s != call_state::routing && s != call_state::alerting && s != call_state::dialing;
  return s == call_state::connecting || s == call_state::joining || s == call_state::established;
}

// A leg that ends without its usual event (a lost message, an edge that
// restarted): taken as the far end leaving. After a normal end the call is
// over already, or the leg is no longer one of its own.
call_event gone(const call& c, const std::string& leg, bool media) {
  if (media)
    return call_event(call_event::media_failed);
  const bool bye_leg = leg == c.customer_leg;
  if (leg == c.inbound_leg) {
    const bool up = c.state == call_state::connecting || c.state == call_state::established;
    return call_event(!up          ? call_event::cancelled
                      : bye_leg    ? call_event::customer_bye
                                   : call_event::leg_bye);
  }
  if (!answered(c, leg))
    return call_event(call_event::leg_failed);
  return call_event(bye_leg ? call_event::customer_bye : call_event::leg_bye);
}

}  // namespace

leg_input leg_input_of(const call& c, const v1::LegEvent& le) {
  const bool customer = le.leg_id() == c.customer_leg;
  const bool media = is_media_leg(c, le.leg_id());
  leg_input in;
  auto& ev = in.ev;
  switch (le.ev_case()) {
    case v1::LegEvent::kProgress:
      ev.emplace(call_event::leg_progress);
      ev->status = le.progress().status();
      break;
    case v1::LegEvent::kAnswered:
      ev.emplace(media                      ? call_event::media_answered
                 : le.answered().reinvite() ? call_event::reinvite_answered
                                            : call_event::leg_answered);
      ev->sdp = le.answered().sdp();
      break;
    case v1::LegEvent::kFailed:
      ev.emplace(media                    ? call_event::media_failed
                 : le.failed().reinvite() ? call_event::reinvite_failed
                                          : call_event::leg_failed);
      ev->status = le.failed().status();
      break;
    case v1::LegEvent::kAcked:
      ev.emplace(call_event::acked);
      break;
    case v1::LegEvent::kCancelled:
      ev.emplace(call_event::cancelled);
      break;
    case v1::LegEvent::kBye:
      ev.emplace(customer ? call_event::customer_bye
                 : media  ? call_event::media_bye
                          : call_event::leg_bye);
      break;
    case v1::LegEvent::kReinvite:
      ev.emplace(call_event::reinvite);
      ev->sdp = le.reinvite().sdp();
      ev->update = le.reinvite().update();
      break;
    case v1::LegEvent::kInfo: {
      // Only a collecting media server's digits mean anything here.
      if (!media)
        break;
      auto d = parse_dtmf_info(le.info().content_type(), le.info().body());
      if (!d) {
        in.bad_info = d.error;
        in.bad_info_type = le.info().content_type();
        break;
      }
      ev.emplace(call_event::media_digit);
      ev->digit = d.value->signal;
      break;
    }
    case v1::LegEvent::kTalkFailed:
      ev.emplace(call_event::talk_failed);
      ev->status = le.talk_failed().status();
      break;
    case v1::LegEvent::kGone:
      ev.emplace(gone(c, le.leg_id(), media));
      ev->status = 480;
      break;
    default:
      break;
  }
  if (ev)
    ev->leg = le.leg_id();
  return in;
}

v1::TEvent tevent_of(const call& c, const call_action& a) {
  v1::TEvent ev;
  ev.set_schema(v1::SCHEMA_V1);
  ev.set_type(a.event);
  ev.set_this_dn(a.dn);
  ev.set_other_dn(a.other_dn);
  ev.set_conn_id(a.conn_id.empty() ? c.conn_id : a.conn_id);
  ev.set_third_party_dn(a.third_party_dn);
  ev.set_transfer_conn_id(a.transfer_conn_id);
  ev.set_previous_conn_id(a.previous_conn_id);
  ev.set_call_id(c.call_id);
  ev.set_ani(c.ani);
  ev.set_ani_name(c.ani_name);
  ev.set_dnis(c.dnis);
  *ev.mutable_user_data() = c.user_data;
  auto kv = [](v1::KVList* list, const std::string& key, const std::string& value) {
    auto* p = list->add_pairs();
    p->set_key(key);
    p->set_str(value);
  };
  if (a.event == v1::EventError) {
    ev.set_error_code(v1::ERR_INVALID_STATE);
    ev.set_error_message(a.text);
  } else if (!a.text.empty()) {
    kv(ev.mutable_reasons(), "Reason", a.text);
  }
  if (a.event == v1::EventDTMFSent)
    kv(ev.mutable_extensions(), "DTMFDigits", a.digits);
  if (a.collects) {
    ev.set_collected_digits(a.digits);
    if (!a.digits.empty())
      kv(ev.mutable_extensions(), "LastCollectedDigit", a.digits.substr(a.digits.size() - 1));
  }
  return ev;
}

std::optional<leg_command_out> leg_command_of(const call& c, const call_action& a) {
  leg_command_out out{a.leg, {}};
  auto& cmd = out.cmd;
  switch (a.what) {
    case call_action::respond_inbound:
    case call_action::respond_leg: {
      auto* r = cmd.mutable_respond();
      r->set_status(a.status);
      r->set_phrase(a.text);
      r->set_sdp(a.sdp);
      r->set_update(a.update);
      if (a.what == call_action::respond_inbound)
        out.leg = c.inbound_leg;
      break;
    }
    case call_action::cancel_leg:
      cmd.mutable_cancel();
      break;
    case call_action::ack_leg:
      cmd.mutable_ack()->set_sdp(a.sdp);
      break;
    case call_action::bye_leg:
    case call_action::bye_customer:
      cmd.mutable_bye();
      if (a.what == call_action::bye_customer)
        out.leg = c.customer_leg;
      break;
    case call_action::reinvite_leg:
      cmd.mutable_reinvite()->set_sdp(a.sdp);
      cmd.mutable_reinvite()->set_update(a.update);
      break;
    case call_action::info_leg:
      cmd.mutable_info()->set_content_type(a.content_type);
      cmd.mutable_info()->set_body(a.body);
      break;
    case call_action::talk_leg:
      cmd.mutable_talk();
      break;
    default:
      return std::nullopt;
  }
  return out;
}

}  // namespace sipcc
