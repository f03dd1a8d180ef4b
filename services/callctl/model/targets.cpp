#include "callctl/model/targets.hpp"

#include "sipcc/mwi.hpp"

namespace sipcc::callctl {

std::string contact_uri(const dn_config& dn, const config& cfg) {
  if (dn.contact.rfind("sip:", 0) == 0)
    return dn.contact;
  return "sip:" + (dn.contact.empty() ? dn.number : dn.contact) + "@" + cfg.asterisk.str();
}

uint32_t option_seconds(const std::map<std::string, std::string>& opts, const std::string& key,
                        uint32_t fallback) {
  auto it = opts.find(key);
  return it == opts.end() ? fallback : static_cast<uint32_t>(std::stoul(it->second));
}

std::string option_text(const std::map<std::string, std::string>& opts, const std::string& key) {
  auto it = opts.find(key);
  return it == opts.end() ? std::string() : it->second;
}

std::string record_extension(const v1::KVList* extensions) {
  if (!extensions)
    return "";
  for (const auto& kv : extensions->pairs())
    if (kv.key() == "record")
      return kv.value_case() == v1::KVPair::kStr ? kv.str() : "?";
  return "";
}

dn_phone phone_of(const config& cfg, const binding_map& bindings, const dn_config& dn) {
  if (!dn.registers_on_sipcc())
    return {contact_uri(dn, cfg), ""};
  // Its phone is not on Asterisk: the latest binding, or unreachable.
  auto b = bindings.find(dn.number);
  if (b == bindings.end())
    return {};
  return {b->second.back().contact, b->second.back().edge};
}

route_target target_for(const config& cfg, const directory_snapshot& dir, const std::string& dn,
                        const v1::KVList* extensions) {
  route_target t;
  t.dn = dn;
  auto* d = cfg.find_dn(dn);
  if (!d)
    return t;
  t.contact_uri = phone_of(cfg, *dir.bindings, *d).uri;
  no_answer_sources src;
  src.extensions = extensions;
  src.dn_options = &d->options;
  src.app_options = &cfg.app_options;
  auto agent = agent_on(*dir.agents, dn);
  if (!agent.empty()) {
    src.agent_logged_in = true;
    if (auto* a = cfg.find_agent(agent))
      src.agent_options = &a->options;
  }
  t.no_answer = resolve_no_answer(src);
  t.record = option_text(d->options, "record") == "true" || !record_extension(extensions).empty();
  return t;
}

void voicemail_for(const config& cfg, route_target& t, const std::string& dn,
                   const std::string& agent_id, const std::string& rp) {
  auto* vm = cfg.find_dn(t.dn);
  if (!vm || vm->type != v1::Voicemail)
    return;
  t.mailbox = voicemail_box(cfg, dn, agent_id, rp);
  t.diverted_from = dn.empty() ? rp : dn;
}

route_target voicemail_target(const config& cfg, const std::string& number) {
  route_target t;
  t.dn = number;
  auto* dn = cfg.find_dn(number);
  t.contact_uri = dn ? contact_uri(*dn, cfg) : "sip:" + number + "@" + cfg.asterisk.str();
  return t;
}

}  // namespace sipcc::callctl
