#include "sipcc/text.hpp"

namespace sipcc {

namespace {
// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629
// table 3-7: no overlongs, no surrogates, nothing above U+10FFFF), 0 if none.
size_t utf8_sequence(std::string_view s) {
  auto at = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i < s.size() && at(i) >= lo && at(i) <= hi;
  };
  unsigned char b = at(0);
  if (b < 0x80)
    return 1;
  if (b >= 0xC2 && b <= 0xDF)
    return cont(1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    // E0: no overlong below U+0800; ED: no surrogates U+D800..U+DFFF.
    unsigned char lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    // F0: no overlong below U+10000; F4: nothing above U+10FFFF.
    unsigned char lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

// `s` with each byte that starts no well-formed sequence given to `invalid`.
template <class Invalid>
std::string valid_utf8(std::string_view s, Invalid invalid) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    size_t n = utf8_sequence(s);
    if (n)
      out.append(s.data(), n);
    else
      invalid(out, static_cast<unsigned char>(s.front()));
    s.remove_prefix(n ? n : 1);
  }
  return out;
}
}  // namespace

std::string to_utf8(std::string_view s) {
  // Latin-1: the byte is the code point, U+0080..U+00FF, two bytes in UTF-8.
  return valid_utf8(s, [](std::string& out, unsigned char b) {
    out += static_cast<char>(0xC0 | (b >> 6));
    out += static_cast<char>(0x80 | (b & 0x3F));
  });
}

std::string uri_to_utf8(std::string_view s) {
  return valid_utf8(s, [](std::string& out, unsigned char b) {
    static constexpr char hex[] = "0123456789ABCDEF";
    out += '%';
    out += hex[b >> 4];
    out += hex[b & 0x0F];
  });
}

}  // namespace sipcc
