// No-answer supervision's settings by precedence (call_fsm.hpp resolve_no_answer).
#include "callctl/model/call_fsm.hpp"

#include <limits>

namespace sipcc {

namespace {

// "30" -> 30; anything else (sign, blanks, overflow) is not a timeout.
std::optional<uint32_t> parse_seconds(const std::string& s) {
  if (s.empty() || s.size() > 10)
    return std::nullopt;
  uint64_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9')
      return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(ch - '0');
  }
  if (v > std::numeric_limits<uint32_t>::max() / 1000)
    return std::nullopt;
  return static_cast<uint32_t>(v);
}

bool valid_action(const std::string& s) {
  return s == "none" || s == "notready" || s == "logout";
}

bool valid_overflow(const std::string& s) { return !s.empty(); }

// Extensions come from desktops and routers: a value of the wrong type or
// out of range falls through to the configured levels.
std::optional<std::string> extension(const v1::KVList* list, const std::string& key) {
  if (!list)
    return std::nullopt;
  for (const auto& kv : list->pairs()) {
    if (kv.key() != key)
      continue;
    if (kv.value_case() == v1::KVPair::kStr)
      return kv.str();
    if (kv.value_case() == v1::KVPair::kNum)
      return std::to_string(kv.num());
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::string> option(const std::map<std::string, std::string>* opts,
                                  const std::string& key) {
  if (!opts)
    return std::nullopt;
  auto it = opts->find(key);
  if (it == opts->end())
    return std::nullopt;
  return it->second;
}

// The first candidate that is present and valid.
template <typename T, typename Parse>
std::optional<T> first(const std::vector<std::optional<std::string>>& candidates, Parse parse) {
  for (const auto& c : candidates) {
    if (!c)
      continue;
    if (auto v = parse(*c))
      return v;
  }
  return std::nullopt;
}

}  // namespace

no_answer_policy resolve_no_answer(const no_answer_sources& src) {
  const std::string app = src.agent_logged_in ? "agent-no-answer-" : "extn-no-answer-";
  auto candidates = [&](const std::string& ext_key, const std::string& suffix, bool dn_level,
                        bool app_level) {
    std::vector<std::optional<std::string>> out{
        extension(src.extensions, ext_key),
        option(src.agent_options, "no-answer-" + suffix),
    };
    if (dn_level)
      out.push_back(option(src.dn_options, "no-answer-" + suffix));
    if (app_level)
      out.push_back(option(src.app_options, app + suffix));
    return out;
  };
  auto text = [](bool (*valid)(const std::string&)) {
    return [valid](const std::string& s) -> std::optional<std::string> {
      if (valid(s))
        return s;
      return std::nullopt;
    };
  };

  no_answer_policy p;
  if (auto v = first<uint32_t>(candidates("NO_ANSWER_TIMEOUT", "timeout", true, true),
                               parse_seconds))
    p.timeout_s = *v;
  if (auto v = first<std::string>(candidates("NO_ANSWER_OVERFLOW", "overflow", true, true),
                                  text(valid_overflow)))
    p.overflow = *v;
  // No DN-level action; extn-no-answer-action does not exist.
  if (auto v = first<std::string>(
          candidates("NO_ANSWER_ACTION", "action", false, src.agent_logged_in),
          text(valid_action)))
    p.action = *v;
  return p;
}

}  // namespace sipcc
