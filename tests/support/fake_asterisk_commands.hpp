// The console language of the fake-asterisk tool (tests/tools): one command
// per line, parsed by a pure function so that the tool itself only performs
// what the parser returns.
//
//   notify <resource> <capture>   send that capture's body in the resource's dialog
//   terminate <resource>          final NOTIFY (Subscription-State: terminated)
//   reject <resource> <status>    answer its next SUBSCRIBEs with 300..699
//   accept <resource>             answer its next SUBSCRIBEs with 200 again
//   list | subs | help | quit
//
// A blank line or one starting with '#' does nothing, so scripts can be piped in.
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace sipcc::test {

struct console_command {
  enum class verb { none, notify, terminate, reject, accept, list, subs, help, quit };
  verb what = verb::none;
  std::string resource;
  std::string capture;  // notify: a file name in tests/data/asterisk, ".sip" added if missing
  int status = 0;       // reject

  bool operator==(const console_command& o) const {
    return what == o.what && resource == o.resource && capture == o.capture && status == o.status;
  }
};

struct console_error {
  std::string message;  // says what was expected
  bool operator==(const console_error& o) const { return message == o.message; }
};

using console_parse = std::variant<console_command, console_error>;

console_parse parse_console_command(std::string_view line);

// Usage of every command, one per line.
std::string console_help();

}  // namespace sipcc::test
