// Table tests of what a process reads from its environment: a getenv over a
// table row, and the check that a row is refused with the expected words.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <stdexcept>
#include <string>

namespace sipcc::test {

using env_vars = std::map<std::string, std::string>;

// getenv over `vars` (which must outlive the result): unset is null.
inline std::function<const char*(const char*)> env_of(const env_vars& vars) {
  return [&vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

// `parse` must throw std::invalid_argument saying exactly `error`.
inline void expect_refused(const std::function<void()>& parse, const std::string& error) {
  try {
    parse();
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(e.what(), error);
  }
}

// The value of `name` in `vars`, empty when unset.
inline std::string env_value(const env_vars& vars, const std::string& name) {
  auto it = vars.find(name);
  return it == vars.end() ? "" : it->second;
}

}  // namespace sipcc::test
