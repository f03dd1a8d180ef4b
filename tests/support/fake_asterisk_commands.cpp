#include "fake_asterisk_commands.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace sipcc::test {
namespace {

using verb = console_command::verb;

struct verb_spec {
  const char* name;
  verb what;
  const char* args;  // usage after the name; the number of words is the arity
  const char* does;
};

// One table drives parsing, usage errors and the help text.
const verb_spec k_verbs[] = {
    {"notify", verb::notify, "<resource> <capture>",
     "send the capture's body in the resource's newest dialog"},
    {"terminate", verb::terminate, "<resource>",
     "final NOTIFY with Subscription-State: terminated"},
    {"reject", verb::reject, "<resource> <status>",
     "answer the resource's next SUBSCRIBEs with status 300..699"},
    {"accept", verb::accept, "<resource>", "answer the resource's next SUBSCRIBEs with 200 again"},
    {"list", verb::list, "", "captures a notify can send"},
    {"subs", verb::subs, "", "active subscriptions and SUBSCRIBEs seen per resource"},
    {"help", verb::help, "", "this text"},
    {"quit", verb::quit, "", "stop (end of input does too)"},
};

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    std::size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::size_t arity(const verb_spec& v) { return words(v.args).size(); }

std::string usage(const verb_spec& v) {
  return std::string(v.name) + (arity(v) ? " " : "") + v.args;
}

}  // namespace

console_parse parse_console_command(std::string_view line) {
  const std::vector<std::string_view> w = words(line);
  if (w.empty() || w.front().front() == '#') return console_command{};
  const auto spec = std::find_if(std::begin(k_verbs), std::end(k_verbs),
                                 [&](const verb_spec& v) { return w.front() == v.name; });
  if (spec == std::end(k_verbs))
    return console_error{"unknown command '" + std::string(w.front()) + "' (try help)"};
  if (w.size() - 1 != arity(*spec)) return console_error{"usage: " + usage(*spec)};

  console_command c;
  c.what = spec->what;
  if (w.size() > 1) c.resource = w[1];
  if (c.what == verb::notify) {
    c.capture = w[2];
    if (c.capture.find('/') != std::string::npos)
      return console_error{"the capture is a file name in tests/data/asterisk, not a path"};
    if (c.capture.size() < 4 || c.capture.compare(c.capture.size() - 4, 4, ".sip") != 0)
      c.capture += ".sip";
  } else if (c.what == verb::reject) {
    const std::string_view s = w[2];
    const bool digits = std::all_of(
        s.begin(), s.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
    c.status = digits && s.size() == 3 ? std::stoi(std::string(s)) : 0;
    if (c.status < 300 || c.status > 699)
      return console_error{"the status of a rejection is 300..699, not '" + std::string(s) + "'"};
  }
  return c;
}

std::string console_help() {
  std::string out;
  for (const verb_spec& v : k_verbs) {
    std::string u = usage(v);
    out += "  " + u + std::string(u.size() < 30 ? 30 - u.size() : 1, ' ') + v.does + "\n";
  }
  return out;
}

}  // namespace sipcc::test
