#include "callctl/model/media_placement.hpp"

namespace sipcc::callctl {

std::optional<v1::MediaRequest> media_placement::hold(const call_action& invite,
                                                      const std::string& conn_id,
                                                      int64_t now_us, int64_t quiet_until_us) {
  if (now_us < quiet_until_us)
    return std::nullopt;
  v1::MediaRequest r;
  r.set_schema(v1::SCHEMA_V1);
  r.set_kind(invite.media_kind);
  r.set_conn_id(conn_id);
  r.set_leg_id(invite.leg);
  r.set_treatment_type(invite.treatment_type);
  *r.mutable_treatment_parms() = invite.treatment_parms;
  r.set_conf_id(invite.conf_id);
  r.set_record_file(invite.record_file);
  held_[invite.leg] = invite;
  return r;
}

std::vector<placement> media_placement::answered(const v1::MediaReply& reply, int64_t now_us) {
  std::vector<placement> out;
  if (reply.leg_id().empty()) {
    std::vector<std::string> legs;
    for (auto& [leg, invite] : held_)
      legs.push_back(leg);
    for (auto& leg : legs)
      out.push_back(timed_out(leg, now_us));
    return out;
  }
  auto it = held_.find(reply.leg_id());
  if (it == held_.end())
    return out;
  placement p;
  p.leg = reply.leg_id();
  if (reply.refusal() != v1::MEDIA_OK) {
    p.what = placement::refused;
    p.reason = reply.reason().empty() ? v1::MediaRefusal_Name(reply.refusal()) : reply.reason();
    refused_.insert(p.leg);
  } else {
    p.what = placement::send;
    p.invite = std::move(it->second);
    p.invite.uri = reply.uri();
    p.server = reply.server();
  }
  held_.erase(it);
  out.push_back(std::move(p));
  return out;
}

placement media_placement::timed_out(const std::string& leg, int64_t now_us) {
  placement p;
  auto it = held_.find(leg);
  if (it == held_.end())
    return p;
  p.what = placement::send;
  p.leg = leg;
  p.invite = std::move(it->second);
  held_.erase(it);
  p.quiet_until_us = now_us + int64_t{settings_.quiet_ms} * 1000;
  return p;
}

media_placement::unsent media_placement::drop(const std::string& leg) {
  if (held_.erase(leg) > 0)
    return unsent::held;
  return refused_.count(leg) ? unsent::refused : unsent::no;
}

}  // namespace sipcc::callctl
