// SIP INFO DTMF bodies: parsing what devices send, building what sipcc sends.
#include "callctl/model/dtmf.hpp"

#include <gtest/gtest.h>

namespace sipcc {
namespace {

TEST(DtmfInfo, ParsesRelayAndPlainBodiesAndRejectsTheRest) {
  struct dtmf_case {
    const char* name;
    const char* content_type;
    const char* body;
    char signal;         // 0: rejected
    uint32_t duration;
    const char* error;
  };
  const std::vector<dtmf_case> cases = {
      {"relay", "application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5', 160, ""},
      {"relay_lf_blanks_case", "Application/DTMF-Relay", "signal = #\nDURATION= 250", '#', 250,
       ""},
      {"relay_star_as_10", "application/dtmf-relay", "Signal=10\r\nDuration=100\r\n", '*', 100,
       ""},
      {"relay_hash_as_11", "application/dtmf-relay", "Signal=11\r\n", '#', 0, ""},
      {"relay_letter", "application/dtmf-relay", "Signal=d\r\n", 'D', 0, ""},
      {"plain", "application/dtmf", "7", '7', 0, ""},
      {"plain_with_newline", "application/dtmf", "9\r\n", '9', 0, ""},
      {"relay_bad_signal", "application/dtmf-relay", "Signal=E\r\n", 0, 0,
       "Signal 'E' is no DTMF digit"},
      {"relay_two_digits", "application/dtmf-relay", "Signal=12\r\n", 0, 0,
       "Signal '12' is no DTMF digit"},
      {"relay_bad_duration", "application/dtmf-relay", "Signal=1\r\nDuration=x\r\n", 0, 0,
       "Duration 'x' is not a whole number"},
      {"relay_no_signal", "application/dtmf-relay", "Duration=100\r\n", 0, 0,
       "no DTMF digit in the body"},
      {"plain_empty", "application/dtmf", "", 0, 0, "no DTMF digit in the body"},
      {"other_type", "text/plain", "Signal=1", 0, 0,
       "content type 'text/plain' carries no DTMF"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = parse_dtmf_info(c.content_type, c.body);
    if (c.signal) {
      ASSERT_TRUE(r) << r.error;
      EXPECT_EQ(r.value->signal, c.signal);
      EXPECT_EQ(r.value->duration_ms, c.duration);
    } else {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error, c.error);
    }
  }
}

TEST(DtmfInfo, BuiltBodiesParseBackToTheSameDigit) {
  for (char c : std::string("0123456789*#ABCD")) {
    auto body = dtmf_relay_body(c, 160);
    auto r = parse_dtmf_info("application/dtmf-relay", body);
    ASSERT_TRUE(r) << body;
    EXPECT_EQ(r.value->signal, c);
    EXPECT_EQ(r.value->duration_ms, 160u);
  }
  EXPECT_EQ(dtmf_relay_body('5', 160), "Signal=5\r\nDuration=160\r\n");
  for (char c : std::string("E*x 1"))
    EXPECT_EQ(is_dtmf_digit(c), c == '*' || c == '1') << c;
}

TEST(DtmfInfo, DigitsToSendAreCheckedOneByOne) {
  EXPECT_EQ(dtmf_digits_error("0123456789*#ABCD"), "");
  EXPECT_EQ(dtmf_digits_error(""), "no DTMF digits given");
  EXPECT_EQ(dtmf_digits_error("12x"), "'x' in '12x' is no DTMF digit");
  EXPECT_EQ(dtmf_digits_error("a"), "'a' in 'a' is no DTMF digit");
}

}  // namespace
}  // namespace sipcc
