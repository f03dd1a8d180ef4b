#include "callctl/model/dtmf.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "sipcc/text.hpp"

namespace sipcc {
namespace {

// "5", "*", "10" (= *), "11" (= #); 0 when it is no digit.
char signal_of(std::string_view v) {
  if (v == "10")
    return '*';
  if (v == "11")
    return '#';
  if (v.size() == 1) {
    char c = static_cast<char>(std::toupper(static_cast<unsigned char>(v[0])));
    return is_dtmf_digit(c) ? c : 0;
  }
  return 0;
}

}  // namespace

bool is_dtmf_digit(char c) {
  return (c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D');
}

parse_result<dtmf_digit> parse_dtmf_info(std::string_view content_type, std::string_view body) {
  parse_result<dtmf_digit> r;
  auto type = lower(trim(content_type.substr(0, content_type.find(';'))));
  dtmf_digit d;
  if (type == "application/dtmf") {
    d.signal = signal_of(trim(body));
  } else if (type == "application/dtmf-relay") {
    for (auto raw : split_lines(body)) {
      auto line = trim(raw);
      auto eq = line.find('=');
      if (eq == std::string_view::npos)
        continue;
      auto key = lower(trim(line.substr(0, eq)));
      auto value = trim(line.substr(eq + 1));
      if (key == "signal") {
        d.signal = signal_of(value);
        if (!d.signal) {
          r.error = "Signal '" + std::string(value) + "' is no DTMF digit";
          return r;
        }
      } else if (key == "duration") {
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), d.duration_ms);
        if (ec != std::errc() || end != value.data() + value.size()) {
          r.error = "Duration '" + std::string(value) + "' is not a whole number";
          return r;
        }
      }
    }
  } else {
    r.error = "content type '" + std::string(content_type) + "' carries no DTMF";
    return r;
  }
  if (!d.signal) {
    r.error = "no DTMF digit in the body";
    return r;
  }
  r.value = d;
  return r;
}

std::string dtmf_relay_body(char signal, uint32_t duration_ms) {
  return std::string("Signal=") + signal + "\r\nDuration=" + std::to_string(duration_ms) + "\r\n";
}

std::string dtmf_digits_error(std::string_view digits) {
  if (digits.empty())
    return "no DTMF digits given";
  for (char d : digits)
    if (!is_dtmf_digit(d))
      return "'" + std::string(1, d) + "' in '" + std::string(digits) + "' is no DTMF digit";
  return "";
}

}  // namespace sipcc
