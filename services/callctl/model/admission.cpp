#include "callctl/model/admission.hpp"

#include "callctl/model/targets.hpp"

namespace sipcc::callctl {

namespace {

bool is_agent_dn(const dn_config* dn) {
  return dn && (dn->type == v1::Extension || dn->type == v1::ACDPosition);
}

// It goes into a Request-URI as it is: the characters a DN may have.
bool dialable(const std::string& number) {
  return number.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "abcdefghijklmnopqrstuvwxyz_+-") == std::string::npos;
}

// The request's own checks, before any state is read.
request_refusal check_request(const dn_config* dn, const v1::TRequest& req) {
  const auto& this_dn = req.this_dn();
  const auto& other_dn = req.other_dn();
  if (!dn)
    return {v1::ERR_UNKNOWN_DN, "ThisDN " + this_dn + " is not configured"};
  if (!is_agent_dn(dn))
    return {v1::ERR_DN_TYPE, "ThisDN " + this_dn + " is a " + v1::DnType_Name(dn->type) +
                                 ", not an Extension or ACDPosition"};
  if (other_dn.empty())
    return {v1::ERR_BAD_REQUEST, "TMakeCall needs an OtherDN"};
  if (!dialable(other_dn))
    return {v1::ERR_BAD_REQUEST, "OtherDN '" + other_dn + "' is not a number to dial"};
  if (other_dn == this_dn)
    return {v1::ERR_BAD_REQUEST, "OtherDN is ThisDN " + this_dn};
  return {};
}

make_call_admission refused(v1::ErrorCode code, std::string text) {
  return {{code, std::move(text)}, {}};
}

}  // namespace

make_call_admission admit_make_call(const config& cfg, const directory_snapshot& dir,
                                    const call_table& calls, const v1::TRequest& req) {
  const auto& this_dn = req.this_dn();
  const auto& other_dn = req.other_dn();
  auto* dn = cfg.find_dn(this_dn);
  if (auto r = check_request(dn, req); !r.text.empty())
    return {r, {}};
  if (calls.made_calls.count(this_dn) || calls.dns_with_calls.count(this_dn))
    return refused(v1::ERR_INVALID_STATE, "ThisDN " + this_dn + " has a call already");
  make_call_plan p;
  auto agent = phone_of(cfg, *dir.bindings, *dn);
  if (agent.uri.empty())
    return refused(v1::ERR_INVALID_STATE, "ThisDN " + this_dn + " has no registered phone");
  p.agent_uri = agent.uri;
  p.edge = agent.edge;
  auto* other = cfg.find_dn(other_dn);
  p.other_configured = is_agent_dn(other);
  if (other) {
    p.dest_uri = phone_of(cfg, *dir.bindings, *other).uri;
    if (p.dest_uri.empty())
      return refused(v1::ERR_INVALID_STATE, "OtherDN " + other_dn + " has no registered phone");
  } else {
    p.dest_uri = "sip:" + other_dn + "@" + cfg.asterisk.str();
  }
  p.this_dn = this_dn;
  p.other_dn = other_dn;
  p.ringback_ms =
      option_seconds(cfg.app_options, "make-call-ringback-timeout", k_make_call_ringback_s) *
      1000;
  return {{}, std::move(p)};
}

}  // namespace sipcc::callctl
