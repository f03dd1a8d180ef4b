// The console language of the fake-asterisk tool (tests/tools): one command
// per line, parsed by a pure function so that the tool itself only performs
// what the parser returns.
//
//   notify <resource> <capture>   send that capture's body in the resource's dialog
//   terminate <resource>          final NOTIFY (Subscription-State: terminated)
//   reject <resource> <status>    answer its next SUBSCRIBEs with 300..699
//   accept <resource>             answer its next SUBSCRIBEs with 200 again
//   call <number> [<caller>]      a customer calls <number> at sipcc
//   bye                           the customer of the latest call hangs up
//   answer <dn> | hangup <dn>     the agent phone of <dn> answers / hangs up
//   autoanswer <dn> | busy <dn> | manual <dn>   how that phone answers INVITEs
//   list | subs | help | quit
//
// A blank line or one starting with '#' does nothing, so scripts can be piped in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace sipcc::test {

struct console_command {
  enum class verb {
    none, notify, terminate, reject, accept,
    call, bye, answer, hangup, autoanswer, busy, manual,
    list, subs, help, quit,
  };
  verb what = verb::none;
  std::string resource;  // call: the number called; answer..manual: the DN
  std::string capture;   // notify: a file name in tests/data/asterisk, ".sip" added if missing
  int status = 0;        // reject
  std::string caller;    // call: the customer's number; "" = the fake's default

  bool operator==(const console_command& o) const {
    return what == o.what && resource == o.resource && capture == o.capture &&
           status == o.status && caller == o.caller;
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

// The port of the tool's --sipcc option, "127.0.0.1:<port>": the fake calls
// sipcc on the loopback only.
std::variant<std::uint16_t, console_error> parse_sipcc_address(std::string_view address);

}  // namespace sipcc::test
