// Reading the byte-exact Asterisk captures in tests/data/asterisk: split a
// raw SIP message into start line, headers and body. Test-only, so it throws
// on a missing file instead of returning an error.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipcc::test {

// Whole file as bytes; throws std::runtime_error if it cannot be opened.
std::string read_file(const std::string& path);

// s with every `from` replaced by `to` (a capture's addresses, tags and
// line ends made a test's own).
std::string replace_all(std::string s, const std::string& from, const std::string& to);

struct sip_message {
  std::string start_line;
  // In wire order, names as written, values with surrounding blanks removed.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // everything after the first empty line, byte-exact

  // Case-insensitive, first match; "" when absent.
  std::string header(std::string_view name) const;
};

// Accepts CRLF or bare LF line ends; folded header lines are not unfolded
// (no capture uses them).
sip_message parse_sip_message(const std::string& raw);

// name without directory, e.g. "presence-notify-open.sip".
sip_message load_capture(const std::string& name);

}  // namespace sipcc::test
