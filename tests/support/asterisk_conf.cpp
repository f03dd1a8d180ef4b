#include "asterisk_conf.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <set>

namespace sipcc::test {

namespace {

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The line without its comment; "\;" is a literal semicolon.
std::string strip_comment(std::string_view line) {
  std::string out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == ';') {
      out += ';';
      ++i;
    } else if (line[i] == ';') {
      break;
    } else {
      out += line[i];
    }
  }
  return out;
}

std::string at_line(int line, std::string_view reason) {
  return "line " + std::to_string(line) + ": " + std::string(reason);
}

// "[name]" or "[name](options)"; appends to file.sections or file.errors.
void parse_header(std::string_view text, int line, conf_file& file) {
  const auto close = text.find(']');
  if (close == std::string_view::npos) {
    file.errors.push_back(at_line(line, "section header without ']'"));
    return;
  }
  conf_section section;
  section.name = std::string(trim(text.substr(1, close - 1)));
  section.line = line;
  const auto rest = trim(text.substr(close + 1));
  if (!rest.empty()) {
    if (rest.front() != '(' || rest.back() != ')') {
      file.errors.push_back(at_line(line, "expected '(options)' after ']'"));
      return;
    }
    for (const auto& option : split_list(rest.substr(1, rest.size() - 2))) {
      if (option == "!") {
        section.is_template = true;
        continue;
      }
      if (option == "+") {
        file.errors.push_back(at_line(line, "(+) sections are not supported"));
        return;
      }
      // Asterisk inherits from the latest earlier section of that name.
      const auto base = std::find_if(
          file.sections.rbegin(), file.sections.rend(),
          [&](const conf_section& s) { return s.name == option; });
      if (base == file.sections.rend()) {
        file.errors.push_back(at_line(line, "unknown template '" + option + "'"));
        return;
      }
      section.entries.insert(section.entries.end(), base->entries.begin(),
                             base->entries.end());
    }
  }
  file.sections.push_back(std::move(section));
}

bool is_false(std::string_view value) {
  return value == "no" || value == "false" || value == "0" || value == "off";
}

// extensions.conf sections that are settings, not dialplan contexts.
bool is_context(const conf_section& section) {
  return !section.is_template && section.name != "general" &&
         section.name != "globals";
}

const conf_section* endpoint(const asterisk_conf& conf, std::string_view name) {
  return conf.pjsip.find(name, "endpoint");
}

template <typename Fn>
void for_each_object(const conf_file& file, std::string_view type, Fn fn) {
  for (const auto& section : file.sections)
    if (!section.is_template && section.value("type") == type) fn(section);
}

// Endpoint name of a "PJSIP/<x>" or "PJSIP/<user>@<x>" device, or nullopt
// when the device is of another technology.
std::optional<std::string> pjsip_endpoint(std::string_view device) {
  constexpr std::string_view tech = "PJSIP/";
  if (!starts_with(device, tech)) return std::nullopt;
  const auto target = device.substr(tech.size());
  const auto at = target.rfind('@');
  return std::string(at == std::string_view::npos ? target : target.substr(at + 1));
}

}  // namespace

std::vector<std::string> conf_section::values(std::string_view key) const {
  std::vector<std::string> out;
  for (const auto& entry : entries)
    if (entry.key == key) out.push_back(entry.value);
  return out;
}

std::optional<std::string> conf_section::value(std::string_view key) const {
  for (auto it = entries.rbegin(); it != entries.rend(); ++it)
    if (it->key == key) return it->value;
  return std::nullopt;
}

const conf_section* conf_file::find(std::string_view name, std::string_view type) const {
  for (const auto& section : sections)
    if (!section.is_template && section.name == name &&
        (type.empty() || section.value("type") == type))
      return &section;
  return nullptr;
}

std::string address_host(std::string_view address) {
  auto a = trim(address);
  for (std::string_view scheme : {"sip:", "sips:"})
    if (starts_with(a, scheme)) a.remove_prefix(scheme.size());
  if (const auto at = a.find('@'); at != std::string_view::npos) a.remove_prefix(at + 1);
  a = a.substr(0, a.find_first_of(";>"));
  if (starts_with(a, "[")) return std::string(a.substr(1, a.find(']') - 1));
  // More than one ':' is a bare IPv6 address, which has no port.
  const bool ipv6 = a.find(':') != a.rfind(':');
  return std::string(a.substr(0, a.find_first_of(ipv6 ? "/" : ":/")));
}

std::vector<std::string> split_list(std::string_view text, char separator) {
  std::vector<std::string> out;
  while (true) {
    const auto end = text.find(separator);
    const auto item = trim(text.substr(0, end));
    if (!item.empty()) out.emplace_back(item);
    if (end == std::string_view::npos) return out;
    text.remove_prefix(end + 1);
  }
}

conf_file parse_asterisk_conf(std::string_view text) {
  conf_file file;
  int line = 0;
  while (!text.empty()) {
    ++line;
    const auto end = text.find('\n');
    const auto raw = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);

    if (starts_with(trim(raw), ";--")) {
      file.errors.push_back(at_line(line, "block comments are not supported"));
      continue;
    }
    const auto stripped = strip_comment(raw);
    const auto content = trim(stripped);
    if (content.empty()) continue;
    if (content.front() == '#') {
      file.errors.push_back(at_line(line, "#include/#exec are not supported"));
    } else if (content.front() == '[') {
      parse_header(content, line, file);
    } else if (file.sections.empty()) {
      file.errors.push_back(at_line(line, "entry before any section"));
    } else {
      const auto eq = content.find('=');
      const auto key = trim(content.substr(0, eq));
      if (eq == std::string_view::npos || key.empty()) {
        file.errors.push_back(at_line(line, "expected 'key = value' or 'key => value'"));
        continue;
      }
      auto value = content.substr(eq + 1);
      if (starts_with(value, ">")) value.remove_prefix(1);
      file.sections.back().entries.push_back(
          {std::string(key), std::string(trim(value)), line});
    }
  }
  return file;
}

std::vector<dialplan_step> dialplan_steps(const conf_file& extensions) {
  std::vector<dialplan_step> steps;
  for (const auto& section : extensions.sections) {
    if (!is_context(section)) continue;
    std::string exten;
    for (const auto& entry : section.entries) {
      if (entry.key != "exten" && entry.key != "same") continue;
      std::string_view rest = entry.value;
      const auto take = [&rest] {
        const auto comma = rest.find(',');
        const auto field = trim(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        return std::string(field);
      };
      if (entry.key == "exten") exten = take();
      const auto priority = take();
      steps.push_back({section.name, exten, priority, std::string(trim(rest)), entry.line});
    }
  }
  return steps;
}

bool exten_matches(std::string_view pattern, std::string_view exten) {
  if (pattern.empty() || pattern[0] != '_')
    return pattern == exten;
  // Backtracking over "." / "!"; patterns are short.
  std::function<bool(size_t, size_t)> match = [&](size_t p, size_t e) -> bool {
    if (p == pattern.size())
      return e == exten.size();
    const char c = pattern[p];
    if (c == '.' || c == '!') {
      for (size_t k = e + (c == '.' ? 1 : 0); k <= exten.size(); ++k)
        if (match(p + 1, k))
          return true;
      return false;
    }
    if (e == exten.size())
      return false;
    const char x = exten[e];
    if (c == '[') {
      const auto close = pattern.find(']', p);
      if (close == std::string_view::npos)
        return false;
      const auto set = pattern.substr(p + 1, close - p - 1);
      bool in = false;
      for (size_t i = 0; i < set.size(); ++i) {
        if (i + 2 < set.size() && set[i + 1] == '-') {
          in = in || (x >= set[i] && x <= set[i + 2]);
          i += 2;
        } else {
          in = in || x == set[i];
        }
      }
      return in && match(close + 1, e + 1);
    }
    // Asterisk reads X, Z and N in either case (pbx.c upper-cases them): the
    // n of "_conf=." is a digit 2-9, not a letter.
    const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const bool ok = u == 'X'   ? (x >= '0' && x <= '9')
                    : u == 'Z' ? (x >= '1' && x <= '9')
                    : u == 'N' ? (x >= '2' && x <= '9')
                               : x == c;
    return ok && match(p + 1, e + 1);
  };
  return match(1, 0);
}

std::optional<std::string> find_extension(const conf_file& extensions, std::string_view context,
                                          std::string_view exten) {
  const auto steps = dialplan_steps(extensions);
  std::function<std::optional<std::string>(std::string_view, int)> search =
      [&](std::string_view ctx, int depth) -> std::optional<std::string> {
    if (depth > 10)
      return std::nullopt;  // an include loop
    for (const auto& step : steps)
      if (step.context == ctx && step.priority == "1" && exten_matches(step.exten, exten))
        return step.context;
    const auto* section = extensions.find(ctx);
    if (!section)
      return std::nullopt;
    for (const auto& inc : section->values("include"))
      if (auto found = search(inc, depth + 1))
        return found;
    return std::nullopt;
  };
  return search(context, 0);
}

finding_list check_gosubs(const asterisk_conf& conf) {
  finding_list out;
  const auto steps = dialplan_steps(conf.extensions);
  for (const auto& step : steps) {
    for (const char* app : {"Gosub(", "Goto("}) {
      const auto at = step.data.find(app);
      if (at == std::string::npos)
        continue;
      const auto open = at + std::strlen(app);
      const auto args = split_list(step.data.substr(open, step.data.find(')', open) - open));
      if (args.size() != 3 || args[0].find("${") != std::string::npos)
        continue;  // a label or priority in this context
      const bool found = std::any_of(steps.begin(), steps.end(), [&](const dialplan_step& s) {
        return s.context == args[0] && exten_matches(s.exten, args[1]);
      });
      if (!found)
        out.push_back("extensions.conf line " + std::to_string(step.line) + ": " + app +
                      args[0] + "," + args[1] + ",...) goes nowhere");
    }
  }
  return out;
}

bool has_hint(const conf_file& extensions, std::string_view context,
              std::string_view exten) {
  const auto steps = dialplan_steps(extensions);
  return std::any_of(steps.begin(), steps.end(), [&](const dialplan_step& step) {
    return step.context == context && step.exten == exten && step.priority == "hint";
  });
}

bool has_mailbox(const conf_file& voicemail, std::string_view box) {
  const auto at = box.find('@');
  const auto context = at == std::string_view::npos ? "default" : box.substr(at + 1);
  const auto* section = voicemail.find(context);
  return section && section->value(box.substr(0, at)).has_value();
}

finding_list check_parse(const asterisk_conf& conf) {
  finding_list out;
  const std::pair<const char*, const conf_file*> files[] = {
      {"pjsip.conf", &conf.pjsip},
      {"extensions.conf", &conf.extensions},
      {"voicemail.conf", &conf.voicemail}};
  for (const auto& [name, file] : files)
    for (const auto& error : file->errors) out.push_back(std::string(name) + " " + error);
  return out;
}

finding_list check_endpoint_refs(const asterisk_conf& conf) {
  finding_list out;
  for_each_object(conf.pjsip, "endpoint", [&](const conf_section& ep) {
    const auto aors = split_list(ep.value("aors").value_or(""));
    if (aors.empty()) out.push_back("endpoint " + ep.name + ": no aors=");
    for (const auto& aor : aors)
      if (!conf.pjsip.find(aor, "aor"))
        out.push_back("endpoint " + ep.name + ": aor " + aor + " does not exist");
    for (const auto& auth : split_list(ep.value("auth").value_or("")))
      if (!conf.pjsip.find(auth, "auth"))
        out.push_back("endpoint " + ep.name + ": auth " + auth + " does not exist");
  });
  return out;
}

finding_list check_identifies(const asterisk_conf& conf) {
  finding_list out;
  for_each_object(conf.pjsip, "identify", [&](const conf_section& id) {
    const auto ep = id.value("endpoint").value_or("");
    if (!endpoint(conf, ep))
      out.push_back("identify " + id.name + ": endpoint '" + ep + "' does not exist");
    if (id.values("match").empty()) out.push_back("identify " + id.name + ": no match=");
  });
  return out;
}

finding_list check_hint_devices(const asterisk_conf& conf) {
  finding_list out;
  for (const auto& step : dialplan_steps(conf.extensions)) {
    if (step.priority != "hint") continue;
    // "dev1&dev2[,presence provider]"
    const auto devices = step.data.substr(0, step.data.find(','));
    for (const auto& device : split_list(devices, '&')) {
      const auto ep = pjsip_endpoint(device);
      if (ep && !endpoint(conf, *ep))
        out.push_back("hint " + step.exten + "@" + step.context + ": " + device +
                      " names no endpoint");
    }
  }
  return out;
}

finding_list check_dial_endpoints(const asterisk_conf& conf) {
  finding_list out;
  for (const auto& step : dialplan_steps(conf.extensions)) {
    if (!starts_with(step.data, "Dial(")) continue;
    const auto args = step.data.substr(5, step.data.rfind(')') - 5);
    for (auto device : split_list(args.substr(0, args.find(',')), '&')) {
      if (!starts_with(step.exten, "_")) {
        const auto var = device.find("${EXTEN}");
        if (var != std::string::npos) device.replace(var, 8, step.exten);
      }
      const auto ep = pjsip_endpoint(device);
      if (ep && ep->find("${") == std::string::npos && !endpoint(conf, *ep))
        out.push_back("extensions.conf line " + std::to_string(step.line) + ": Dial " +
                      device + " names no endpoint");
    }
  }
  return out;
}

finding_list check_contexts(const asterisk_conf& conf) {
  finding_list out;
  const auto exists = [&](const std::string& name) {
    const auto* section = conf.extensions.find(name);
    return section && is_context(*section);
  };
  for_each_object(conf.pjsip, "endpoint", [&](const conf_section& ep) {
    for (const char* key : {"context", "subscribe_context"})
      for (const auto& context : ep.values(key))
        if (!exists(context))
          out.push_back("endpoint " + ep.name + ": " + key + " " + context +
                        " is not in extensions.conf");
  });
  for (const auto& section : conf.extensions.sections)
    for (const auto& context : section.values("include"))
      if (!exists(context))
        out.push_back("context " + section.name + ": include " + context +
                      " is not in extensions.conf");
  return out;
}

finding_list check_resource_lists(const asterisk_conf& conf) {
  std::set<std::string> contexts;
  for_each_object(conf.pjsip, "endpoint", [&](const conf_section& ep) {
    if (is_false(ep.value("allow_subscribe").value_or("yes"))) return;
    contexts.insert(ep.value("subscribe_context")
                        .value_or(ep.value("context").value_or("default")));
  });
  finding_list out;
  for_each_object(conf.pjsip, "resource_list", [&](const conf_section& list) {
    for (const auto& items : list.values("list_item"))
      for (const auto& item : split_list(items)) {
        if (conf.pjsip.find(item, "resource_list")) continue;
        for (const auto& context : contexts)
          if (!has_hint(conf.extensions, context, item))
            out.push_back("resource_list " + list.name + ": item " + item +
                          " has no hint in " + context);
      }
  });
  return out;
}

finding_list check_agent_transfers(const conf_file& pjsip,
                                   const std::vector<std::string>& agent_endpoints) {
  finding_list out;
  for (const auto& name : agent_endpoints) {
    const auto* ep = pjsip.find(name, "endpoint");
    if (!ep)
      out.push_back("agent endpoint " + name + " does not exist");
    else if (!is_false(ep->value("allow_transfer").value_or("yes")))
      out.push_back("endpoint " + name + ": allow_transfer is not no (its phone may transfer "
                    "calls itself, bypassing sipcc)");
  }
  return out;
}

finding_list check_mailboxes(const asterisk_conf& conf) {
  finding_list out;
  for (const auto& section : conf.pjsip.sections) {
    if (section.is_template) continue;
    for (const auto& boxes : section.values("mailboxes"))
      for (const auto& box : split_list(boxes))
        if (!has_mailbox(conf.voicemail, box))
          out.push_back(section.name + ": mailbox " + box + " is not in voicemail.conf");
  }
  return out;
}

finding_list check_host_only(const asterisk_conf& conf) {
  finding_list out;
  const auto on_host = [](std::string_view address) {
    const auto host = address_host(address);
    return starts_with(host, "127.") || host == "::1" || host == "localhost";
  };
  for_each_object(conf.pjsip, "transport", [&](const conf_section& t) {
    const auto bind = t.value("bind");
    if (!bind)
      out.push_back("transport " + t.name + ": no bind= (Asterisk listens on every address)");
    else if (!on_host(*bind))
      out.push_back("transport " + t.name + ": bind=" + *bind + " is not on this host");
  });
  for (const auto& [type, key] : {std::pair{"aor", "contact"}, std::pair{"identify", "match"}})
    for_each_object(conf.pjsip, type, [&](const conf_section& s) {
      for (const auto& value : s.values(key))
        for (const auto& address : split_list(value))
          if (!on_host(address))
            out.push_back(std::string(type) + " " + s.name + ": " + key + "=" + address +
                          " is not on this host");
    });
  return out;
}

}  // namespace sipcc::test
