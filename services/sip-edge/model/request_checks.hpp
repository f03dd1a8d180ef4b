// What the edge checks in a request before any service hears of it, beyond
// what sofia-sip's parser and nta refuse themselves: the RFC 4475 torture
// messages that sofia takes as they come (several SP in the Request-Line, SP
// after the SIP-Version, LWS inside the <> of a name-addr, headers in the
// Request-URI), and what an INVITE's offer must be for sipcc (an
// application/sdp body, an Accept that takes application/sdp). Pure: the
// edge fills request_text from sofia's parsed message and the text of its
// headers as they were received.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipcc::sip_checks {

struct request_text {
  std::string_view request_line;  // as received, its CRLF included or not
  bool uri_has_headers = false;   // "?..." in the Request-URI
  // The From, To and Contact header fields as received (name and folding
  // included).
  std::vector<std::string_view> name_addrs;
  // The body's type/subtype; nullopt when there is no body, "" when a body
  // has no Content-Type.
  std::optional<std::string> content_type;
  // Accept's media ranges (type/subtype, no parameters); nullopt without an
  // Accept header, empty for an empty one (RFC 3261 20.1: nothing acceptable).
  std::optional<std::vector<std::string>> accept;
};

// The answer to a refused request.
struct refusal {
  int status = 0;
  std::string phrase;
  std::string accept;   // the Accept of a 415 or 406 (RFC 3261 21.4.13)
  std::string warning;  // a Warning value, when the status alone does not say why
  std::string retry_after;  // a Retry-After value (a 503 over capacity)
};

// RFC 3261 25.1: Method SP Request-URI SP SIP-Version CRLF, each SP single and
// nothing after the version (RFC 4475 3.1.2.9, 3.1.2.10).
bool request_line_well_formed(std::string_view line);

// No LWS between the <> of a name-addr (LAQUOT and RAQUOT take none inside,
// and an addr-spec has none: RFC 4475 3.1.2.14); quoted strings are skipped.
// False for an unterminated quoted string or <.
bool name_addrs_well_formed(std::string_view header);

// 400 for a request sofia parsed but RFC 3261 does not allow; headers in the
// Request-URI are not allowed either (RFC 3261 19.1.1, RFC 4475 3.1.2.11).
std::optional<refusal> malformed(const request_text& r);

// 415 for an INVITE whose body is not SDP, 406 for one whose Accept rules out
// the SDP every answer carries (RFC 4475 3.3.6, 3.3.15).
std::optional<refusal> unacceptable_offer(const request_text& r);

}  // namespace sipcc::sip_checks
