// The text helpers the body parsers and the edge share.
#include "sipcc/text.hpp"

#include <gtest/gtest.h>

#include "sipcc/v1/call.pb.h"

namespace sipcc {
namespace {

using pieces = std::vector<std::string_view>;

TEST(Text, SplitKeepsEmptyPiecesAndLinesLoseTheirCr) {
  const std::vector<std::tuple<std::string, char, pieces>> cases = {
      {"a b", ' ', {"a", "b"}},
      {"a  b ", ' ', {"a", "", "b", ""}},
      {"", ' ', {""}},
      {"x", ';', {"x"}},
  };
  for (const auto& [s, sep, want] : cases)
    EXPECT_EQ(split(s, sep), want) << s;
  EXPECT_EQ(split_lines("a\r\nb\nc\r\n"), (pieces{"a", "b", "c", ""}));
  EXPECT_EQ(split_lines("\r"), (pieces{""}));
  EXPECT_EQ(trim(" \t x y\r\n"), "x y");
  EXPECT_EQ(lower("Voice-Message"), "voice-message");
}

// SIP text an older PBX sends is often Latin-1: each byte that is not part of
// well-formed UTF-8 becomes its Latin-1 code point, and what was valid stays.
TEST(Text, ToUtf8KeepsValidUtf8AndReadsEveryOtherByteAsLatin1) {
  using namespace std::string_literals;
  const std::vector<std::tuple<const char*, std::string, std::string>> cases = {
      {"ASCII", "Jose <sip:100@pbx>", "Jose <sip:100@pbx>"},
      {"empty", "", ""},
      {"two-byte UTF-8", "Jos\xC3\xA9", "Jos\xC3\xA9"},
      {"three-byte UTF-8 (euro)", "\xE2\x82\xAC", "\xE2\x82\xAC"},
      {"four-byte UTF-8 (U+1F600)", "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
      {"highest code point U+10FFFF", "\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"},
      {"lone Latin-1 0xE9", "Jos\xE9", "Jos\xC3\xA9"},
      {"Latin-1 0xE9 before ASCII", "Jos\xE9 Garc\xED" "a", "Jos\xC3\xA9 Garc\xC3\xAD" "a"},
      {"Latin-1 NBSP and 0xFF", "\xA0\xFF", "\xC2\xA0\xC3\xBF"},
      {"stray continuation byte", "a\x80" "b", "a\xC2\x80" "b"},
      {"two-byte start truncated at the end", "x\xC3", "x\xC3\x83"},
      {"three-byte sequence truncated", "\xE2\x82", "\xC3\xA2\xC2\x82"},
      {"four-byte sequence cut by ASCII", "\xF0\x9F" "A", "\xC3\xB0\xC2\x9F" "A"},
      {"overlong slash C0 AF", "\xC0\xAF", "\xC3\x80\xC2\xAF"},
      {"overlong three-byte E0 80 AF", "\xE0\x80\xAF", "\xC3\xA0\xC2\x80\xC2\xAF"},
      {"overlong four-byte F0 80 80 AF", "\xF0\x80\x80\xAF",
       "\xC3\xB0\xC2\x80\xC2\x80\xC2\xAF"},
      {"surrogate U+D800", "\xED\xA0\x80", "\xC3\xAD\xC2\xA0\xC2\x80"},
      {"surrogate U+DFFF", "\xED\xBF\xBF", "\xC3\xAD\xC2\xBF\xC2\xBF"},
      {"above U+10FFFF", "\xF4\x90\x80\x80", "\xC3\xB4\xC2\x90\xC2\x80\xC2\x80"},
      {"NUL kept", "a\0b"s, "a\0b"s},
  };
  for (const auto& [what, in, want] : cases) {
    auto out = to_utf8(in);
    EXPECT_EQ(out, want) << what;
    // What the edge publishes: a string field that callctl can parse again.
    v1::LegIncoming msg;
    msg.set_from_name(out);
    v1::LegIncoming back;
    EXPECT_TRUE(back.ParseFromString(msg.SerializeAsString())) << what;
    EXPECT_EQ(back.from_name(), want) << what;
  }
}

// A URI keeps what it names: a stray byte is percent-escaped instead.
TEST(Text, UriToUtf8EscapesWhatIsNotUtf8) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"sip:5551234@pbx", "sip:5551234@pbx"},
      {"sip:Jos\xE9@pbx", "sip:Jos%E9@pbx"},
      {"sip:Jos\xC3\xA9@pbx", "sip:Jos\xC3\xA9@pbx"},
      {"sip:\xED\xA0\x80@pbx", "sip:%ED%A0%80@pbx"},
      {"sip:\xC0\xAF@pbx", "sip:%C0%AF@pbx"},
  };
  for (const auto& [in, want] : cases)
    EXPECT_EQ(uri_to_utf8(in), want) << in;
}

// The defect the conversion is for: raw Latin-1 in a string field does not
// parse (proto3 checks UTF-8), so the whole message was lost.
TEST(Text, RawLatin1InAProtobufStringDoesNotParse) {
  v1::LegIncoming msg;
  msg.set_from_name("Jos\xE9");
  v1::LegIncoming back;
  EXPECT_FALSE(back.ParseFromString(msg.SerializeAsString()));
}

}  // namespace
}  // namespace sipcc
