// The text helpers the body parsers share.
#include "sipcc/text.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sipcc
