#include "fake_asterisk_commands.hpp"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

namespace sipcc::test {
namespace {

using verb = console_command::verb;

struct verb_spec {
  const char* name;
  verb what;
  const char* args;  // usage after the name; each word an argument, "[<x>]" an optional one
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
    {"call", verb::call, "<number> [<caller>]", "a customer calls <number> at sipcc"},
    {"bye", verb::bye, "", "the customer of the latest call hangs up (or cancels, if ringing)"},
    {"answer", verb::answer, "<dn>", "the agent phone of <dn> answers the INVITE ringing there"},
    {"hangup", verb::hangup, "<dn>", "the agent phone of <dn> hangs up"},
    {"autoanswer", verb::autoanswer, "<dn>", "the agent phone of <dn> answers every INVITE"},
    {"busy", verb::busy, "<dn>", "the agent phone of <dn> rejects every INVITE with 486"},
    {"manual", verb::manual, "<dn>",
     "the agent phone of <dn> rings until answer <dn> (the default)"},
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

// How many arguments the verb takes: at least the mandatory ones, at most all.
std::pair<std::size_t, std::size_t> arity(const verb_spec& v) {
  const std::vector<std::string_view> args = words(v.args);
  const auto optional =
      std::count_if(args.begin(), args.end(), [](std::string_view a) { return a.front() == '['; });
  return {args.size() - static_cast<std::size_t>(optional), args.size()};
}

// The fake puts numbers into SIP URIs; these are the characters sipcc allows
// in a DN, so nothing else can break the URI.
bool valid_number(std::string_view n) {
  return std::all_of(n.begin(), n.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '+' || ch == '-';
  });
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    return std::isdigit(static_cast<unsigned char>(ch));
  });
}

std::string usage(const verb_spec& v) {
  return std::string(v.name) + (*v.args ? " " : "") + v.args;
}

}  // namespace

console_parse parse_console_command(std::string_view line) {
  const std::vector<std::string_view> w = words(line);
  if (w.empty() || w.front().front() == '#') return console_command{};
  const auto spec = std::find_if(std::begin(k_verbs), std::end(k_verbs),
                                 [&](const verb_spec& v) { return w.front() == v.name; });
  if (spec == std::end(k_verbs))
    return console_error{"unknown command '" + std::string(w.front()) + "' (try help)"};
  const auto [least, most] = arity(*spec);
  if (w.size() - 1 < least || w.size() - 1 > most) return console_error{"usage: " + usage(*spec)};

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
    c.status = all_digits(s) && s.size() == 3 ? std::stoi(std::string(s)) : 0;
    if (c.status < 300 || c.status > 699)
      return console_error{"the status of a rejection is 300..699, not '" + std::string(s) + "'"};
  } else if (c.what == verb::call) {
    if (w.size() > 2) c.caller = w[2];
    for (const std::string& n : {c.resource, c.caller})
      if (!valid_number(n))
        return console_error{"a number has only letters, digits, _ + -, not '" + n + "'"};
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

std::variant<std::uint16_t, console_error> parse_sipcc_address(std::string_view address) {
  constexpr std::string_view host = "127.0.0.1:";
  const std::string_view port = address.substr(std::min(address.size(), host.size()));
  const unsigned long n =
      address.substr(0, host.size()) == host && all_digits(port) && port.size() <= 5
          ? std::stoul(std::string(port))
          : 0;
  if (n == 0 || n > 65535)
    return console_error{"sipcc's address is 127.0.0.1:<port> (the fake calls on the loopback "
                         "only), not '" + std::string(address) + "'"};
  return static_cast<std::uint16_t>(n);
}

}  // namespace sipcc::test
