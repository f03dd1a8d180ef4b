// Small text helpers shared by the body parsers (message-summary, DTMF INFO,
// SDP), the configuration's treatment text and the edge's SIP-to-bus copies.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace sipcc {

inline std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Without leading and trailing white space (CR included).
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

// The pieces of `s` between single `sep` characters, empty ones included:
// one more than there are separators.
inline std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (size_t pos = 0;;) {
    auto end = s.find(sep, pos);
    out.push_back(s.substr(pos, end == std::string_view::npos ? s.npos : end - pos));
    if (end == std::string_view::npos)
      return out;
    pos = end + 1;
  }
}

// The lines of a body, split at LF, each without the CR before it.
inline std::vector<std::string_view> split_lines(std::string_view body) {
  auto lines = split(body, '\n');
  for (auto& line : lines)
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
  return lines;
}

// `s` as valid UTF-8, for a protobuf `string` field (proto3 refuses to parse
// one that is not): valid UTF-8 stays as it is; every byte that does not
// start a well-formed sequence (a stray continuation byte, a truncated or
// overlong sequence, an encoded surrogate, above U+10FFFF) is read as
// Latin-1, the usual charset of older PBXs, so 0xE9 becomes "é". NUL is
// valid UTF-8 and kept.
std::string to_utf8(std::string_view s);

// A URI (or a part of one) as valid UTF-8: as to_utf8, but each such byte is
// percent-escaped (0xE9 becomes "%E9"), which RFC 3261 URI comparison takes
// as the same URI, so the URI still names what its sender meant.
std::string uri_to_utf8(std::string_view s);

}  // namespace sipcc
