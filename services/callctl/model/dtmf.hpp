// DTMF carried in SIP INFO, as pure functions: the media server reports
// collected digits this way (deploy/asterisk [media-server] collect), and
// TSendDTMF sends them to a leg the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sipcc/presence_body.hpp"

namespace sipcc {

struct dtmf_digit {
  char signal = 0;           // 0-9 * # A-D
  uint32_t duration_ms = 0;  // 0 when not given
};

// application/dtmf-relay ("Signal=5\r\nDuration=160", keys case-insensitive;
// Signal 10 and 11 stand for * and #, as some devices send them) or
// application/dtmf (the digit alone). Anything else, or a signal that is no
// DTMF digit, is rejected with the reason.
parse_result<dtmf_digit> parse_dtmf_info(std::string_view content_type, std::string_view body);

// How long each digit TSendDTMF sends lasts (the usual 160 ms tone).
inline constexpr uint32_t kDtmfDurationMs = 160;

// The application/dtmf-relay body for one digit; the digit must be one of
// 0-9 * # A-D (a caller checks with is_dtmf_digit).
std::string dtmf_relay_body(char signal, uint32_t duration_ms);

bool is_dtmf_digit(char c);

// Why `digits` cannot be sent as DTMF (empty: they can): none given, or one
// that is no DTMF digit.
std::string dtmf_digits_error(std::string_view digits);

}  // namespace sipcc
