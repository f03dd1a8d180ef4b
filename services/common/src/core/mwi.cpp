#include "sipcc/mwi.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "sipcc/text.hpp"

namespace sipcc {
namespace {

constexpr std::string_view kClasses[] = {"voice-message",      "fax-message",  "pager-message",
                                         "multimedia-message", "text-message", "none"};

// Reads a whole number at the front of `s` (after blanks) and consumes it.
bool take_number(std::string_view& s, uint32_t& out) {
  s = trim(s);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end == s.data())
    return false;
  s.remove_prefix(static_cast<size_t>(end - s.data()));
  return true;
}

bool take_char(std::string_view& s, char c) {
  s = trim(s);
  if (s.empty() || s.front() != c)
    return false;
  s.remove_prefix(1);
  return true;
}

// newmsgs "/" oldmsgs [ "(" new-urgent "/" old-urgent ")" ]
std::optional<message_counts> parse_counts(std::string_view s) {
  message_counts c;
  if (!take_number(s, c.new_msgs) || !take_char(s, '/') || !take_number(s, c.old_msgs))
    return std::nullopt;
  if (take_char(s, '(')) {
    if (!take_number(s, c.new_urgent) || !take_char(s, '/') || !take_number(s, c.old_urgent) ||
        !take_char(s, ')'))
      return std::nullopt;
  }
  if (!trim(s).empty())
    return std::nullopt;
  return c;
}

v1::KVPair* add(v1::KVList& l, const std::string& key) {
  auto* p = l.add_pairs();
  p->set_key(key);
  return p;
}

// The box part of "<box>@<context>".
std::string box_of(const std::string& mailbox) { return mailbox.substr(0, mailbox.find('@')); }

}  // namespace

parse_result<message_summary> parse_message_summary(std::string_view content_type,
                                                    std::string_view body) {
  parse_result<message_summary> r;
  auto type = lower(trim(content_type.substr(0, content_type.find(';'))));
  if (type != "application/simple-message-summary") {
    r.error = "content type '" + std::string(content_type) +
              "' is not application/simple-message-summary";
    return r;
  }
  message_summary m;
  bool have_status = false;
  int line_no = 0;
  for (auto raw : split_lines(body)) {
    auto line = trim(raw);
    ++line_no;
    if (line.empty()) {
      if (have_status)
        break;  // what follows the blank line is optional extension headers
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      r.error = "line " + std::to_string(line_no) + " is not 'name: value'";
      return r;
    }
    auto name = lower(trim(line.substr(0, colon)));
    auto value = trim(line.substr(colon + 1));
    if (name == "messages-waiting") {
      auto v = lower(value);
      if (v != "yes" && v != "no") {
        r.error = "Messages-Waiting must be yes or no, got '" + std::string(value) + "'";
        return r;
      }
      m.waiting = v == "yes";
      have_status = true;
    } else if (name == "message-account") {
      m.account = std::string(value);
    } else if (std::find(std::begin(kClasses), std::end(kClasses), name) != std::end(kClasses)) {
      auto counts = parse_counts(value);
      if (!counts) {
        r.error = "bad " + name + " counts '" + std::string(value) + "' (want new/old (u/u))";
        return r;
      }
      if (name == "voice-message")
        m.voice = *counts;
      else
        m.other[name] = *counts;
    }
    // Any other header is an extension: ignored, as RFC 3842 allows.
  }
  if (!have_status) {
    r.error = "no Messages-Waiting line";
    return r;
  }
  r.value = std::move(m);
  return r;
}

v1::KVList gsipmwi_user_data(const std::string& mailbox, const message_summary& s) {
  v1::KVList out;
  auto& l = *add(out, "gsipmwi")->mutable_list();
  add(l, "Mailbox")->set_str(box_of(mailbox));
  add(l, "Messages-Waiting")->set_str(s.waiting ? "true" : "false");
  message_counts v = s.voice.value_or(message_counts{});
  add(l, "Voice-Message")->set_str(std::to_string(v.new_msgs) + "/" + std::to_string(v.old_msgs));
  add(l, "NewMessages")->set_num(v.new_msgs);
  add(l, "OldMessages")->set_num(v.old_msgs);
  return out;
}

std::string mwi_target::contact_params() const {
  return "mb=" + box_of(mailbox) + ";dn=" + dn;
}

std::string voicemail_box(const config& cfg, const std::string& dn, const std::string& agent_id,
                          const std::string& rp) {
  if (auto* a = cfg.find_agent(agent_id); a && !a->mailbox.empty())
    return a->mailbox;
  if (auto* d = cfg.find_dn(dn); d && !d->mailbox.empty())
    return d->mailbox;
  auto* r = cfg.find_dn(rp);
  auto group = r ? r->options.find("agent-group") : std::map<std::string, std::string>::const_iterator{};
  if (!r || group == r->options.end())
    return {};
  for (const auto& g : cfg.agent_groups)
    if (g.name == group->second)
      return g.mailbox;
  return {};
}

std::string default_mwi_object(const std::string& mailbox) { return "gvm-" + box_of(mailbox); }

std::vector<mwi_target> mwi_targets(const config& cfg,
                                    const std::map<std::string, std::string>& agent_dn) {
  std::vector<mwi_target> out;
  auto object_of = [](const std::string& configured, const std::string& mailbox) {
    return configured.empty() ? default_mwi_object(mailbox) : configured;
  };
  auto ext = cfg.app_options.find("mwi-extension-enable");
  if (ext != cfg.app_options.end() && ext->second == "true")
    for (const auto& d : cfg.dns) {
      if (d.type != v1::Extension)
        continue;
      std::string mailbox = d.mailbox.empty() ? d.number + "@default" : d.mailbox;
      out.push_back({"ext:" + d.number, "ext:" + d.number, mailbox, object_of(d.mwi_object, mailbox),
                     d.number});
    }
  for (const auto& a : cfg.agent_logins) {
    auto at = agent_dn.find(a.id);
    if (a.mailbox.empty() || at == agent_dn.end())
      continue;
    out.push_back({"agent:" + a.id + "@" + at->second, "agent:" + a.id, a.mailbox,
                   object_of(a.mwi_object, a.mailbox), at->second});
  }
  for (const auto& g : cfg.agent_groups) {
    if (g.mailbox.empty())
      continue;
    for (const auto& member : g.members) {
      auto at = agent_dn.find(member);
      if (at == agent_dn.end())
        continue;
      out.push_back({"group:" + g.name + "@" + at->second, "group:" + g.name, g.mailbox,
                     object_of(g.mwi_object, g.mailbox), at->second});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const mwi_target& a, const mwi_target& b) { return a.key < b.key; });
  return out;
}

}  // namespace sipcc
