// Credentials on the bus come from the environment: which variables give
// them, which combinations are refused before any connection is tried, and
// the per-user inbox prefix the server's allow lists rely on.
#include "sipcc/bus_auth.hpp"

#include <gtest/gtest.h>

#include <string>

#include "env_cases.hpp"

namespace sipcc {
namespace {

using test::env_of;
using test::env_value;

TEST(BusAuth, FromTheEnvironment) {
  struct auth_case {
    const char* name;
    test::env_vars env;
    bool on;
    std::string error;  // empty: accepted
  };
  const std::vector<auth_case> cases = {
      {"nothing set: no credentials", {}, false, ""},
      {"a user and its password",
       {{"SIPCC_NATS_USER", "presence"}, {"SIPCC_NATS_PASSWORD", "pw"}}, true, ""},
      {"a user and its password file",
       {{"SIPCC_NATS_USER", "desk_1000"}, {"SIPCC_NATS_PASSWORD_FILE", "/s/desk_1000.password"}},
       true, ""},
      {"a user without a password", {{"SIPCC_NATS_USER", "presence"}}, false,
       "SIPCC_NATS_USER is set without SIPCC_NATS_PASSWORD or SIPCC_NATS_PASSWORD_FILE"},
      {"a password without a user", {{"SIPCC_NATS_PASSWORD", "pw"}}, false,
       "SIPCC_NATS_PASSWORD is set without SIPCC_NATS_USER"},
      {"a password file without a user", {{"SIPCC_NATS_PASSWORD_FILE", "/s/p"}}, false,
       "SIPCC_NATS_PASSWORD_FILE is set without SIPCC_NATS_USER"},
      {"both a password and a file",
       {{"SIPCC_NATS_USER", "mwi"}, {"SIPCC_NATS_PASSWORD", "pw"},
        {"SIPCC_NATS_PASSWORD_FILE", "/s/p"}},
       false, "SIPCC_NATS_PASSWORD and SIPCC_NATS_PASSWORD_FILE are both set; set one"},
      // The user is a token of its inbox subjects: a dot would split it.
      {"a user that is no subject token",
       {{"SIPCC_NATS_USER", "desk.1000"}, {"SIPCC_NATS_PASSWORD", "pw"}}, false,
       "SIPCC_NATS_USER may hold letters, digits, '-' and '_' only"},
      {"a wildcard in the user",
       {{"SIPCC_NATS_USER", ">"}, {"SIPCC_NATS_PASSWORD", "pw"}}, false,
       "SIPCC_NATS_USER may hold letters, digits, '-' and '_' only"},
      {"empty values count as unset",
       {{"SIPCC_NATS_USER", ""}, {"SIPCC_NATS_PASSWORD", ""}, {"SIPCC_NATS_PASSWORD_FILE", ""}},
       false, ""},
      // The fixture gives a child its file and blanks the parent's password.
      {"an empty password next to a file",
       {{"SIPCC_NATS_USER", "sip-edge"}, {"SIPCC_NATS_PASSWORD", ""},
        {"SIPCC_NATS_PASSWORD_FILE", "/s/sip-edge.password"}},
       true, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    if (!c.error.empty()) {
      test::expect_refused([&] { bus_auth_from(env_of(c.env)); }, c.error);
      continue;
    }
    auto a = bus_auth_from(env_of(c.env));
    EXPECT_EQ(a.on(), c.on);
    EXPECT_EQ(a.user, env_value(c.env, "SIPCC_NATS_USER"));
    EXPECT_EQ(a.password, env_value(c.env, "SIPCC_NATS_PASSWORD"));
    EXPECT_EQ(a.password_file, env_value(c.env, "SIPCC_NATS_PASSWORD_FILE"));
    if (a.on()) {
      EXPECT_EQ(a.inbox_prefix(), "_INBOX_" + a.user);
    }
  }
}

// What scripts/nats-auth.sh writes (one line, a newline) and what an editor
// may leave (CRLF, more lines) all give the password alone.
TEST(BusAuth, PasswordFileText) {
  EXPECT_EQ(password_of_file_text("s3cret\n"), "s3cret");
  EXPECT_EQ(password_of_file_text("s3cret"), "s3cret");
  EXPECT_EQ(password_of_file_text("s3cret\r\nmore\n"), "s3cret");
  EXPECT_EQ(password_of_file_text("\n"), "");
}

}  // namespace
}  // namespace sipcc
