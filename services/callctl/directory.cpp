#include "directory.hpp"

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

}  // namespace sipcc::callctl
