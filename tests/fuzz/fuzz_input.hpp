// What the harnesses share: libFuzzer's bytes as text, split into a head line
// and the rest, and a check that turns a broken promise into a crash
// libFuzzer records (a parser that returns nonsense is a finding too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace sipcc::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// "<head>\n<rest>": a Content-Type and its body, a bus subject and its
// payload. Without a newline everything is the head.
inline std::pair<std::string_view, std::string_view> split_head(std::string_view in) {
  auto nl = in.find('\n');
  if (nl == std::string_view::npos)
    return {in, {}};
  return {in.substr(0, nl), in.substr(nl + 1)};
}

// Aborts with `what` when a documented property of a result does not hold.
inline void check(bool holds, const char* what) {
  if (holds)
    return;
  std::fprintf(stderr, "fuzz: broken promise: %s\n", what);
  std::abort();
}

}  // namespace sipcc::fuzz
