#include "sip-edge/model/request_checks.hpp"

#include <algorithm>
#include <cctype>

namespace sipcc::sip_checks {

namespace {

constexpr const char* kSdp = "application/sdp";

bool is_lws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Whether a media range of Accept takes application/sdp.
bool takes_sdp(const std::string& range) {
  auto r = lower(range);
  return r == kSdp || r == "application/*" || r == "*/*";
}

}  // namespace

bool request_line_well_formed(std::string_view line) {
  if (line.size() >= 2 && line.substr(line.size() - 2) == "\r\n")
    line.remove_suffix(2);
  else if (!line.empty() && line.back() == '\n')
    line.remove_suffix(1);
  int separators = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == ' ') {
      // A single SP between two non-empty elements.
      if (i == 0 || i + 1 == line.size() || line[i + 1] == ' ')
        return false;
      ++separators;
    } else if (is_lws(line[i])) {
      return false;
    }
  }
  return separators == 2;
}

bool name_addrs_well_formed(std::string_view header) {
  bool quoted = false, bracketed = false;
  for (size_t i = 0; i < header.size(); ++i) {
    char c = header[i];
    if (quoted) {
      if (c == '\\')
        ++i;  // a quoted-pair: the next octet is taken as it is
      else if (c == '"')
        quoted = false;
    } else if (bracketed) {
      if (is_lws(c))
        return false;
      bracketed = c != '>';
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      bracketed = true;
    }
  }
  return !quoted && !bracketed;
}

std::optional<refusal> malformed(const request_text& r) {
  if (!request_line_well_formed(r.request_line))
    return refusal{400, "Bad Request-Line", "", "", ""};
  if (r.uri_has_headers)
    return refusal{400, "Headers Not Allowed in Request-URI", "", "", ""};
  for (auto h : r.name_addrs)
    if (!name_addrs_well_formed(h))
      return refusal{400, "Bad name-addr", "", "", ""};
  return std::nullopt;
}

std::optional<refusal> unacceptable_offer(const request_text& r) {
  if (r.content_type && lower(*r.content_type) != kSdp)
    return refusal{415, "Unsupported Media Type", kSdp, "", ""};
  if (r.accept && std::none_of(r.accept->begin(), r.accept->end(), takes_sdp))
    return refusal{406, "Not Acceptable", kSdp,
                   "399 sipcc \"Answers to INVITE carry application/sdp only\"", ""};
  return std::nullopt;
}

}  // namespace sipcc::sip_checks
