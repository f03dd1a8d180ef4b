// TLS on the bus comes from the environment: which variables turn it on and
// which combinations are refused before any connection is tried.
#include "sipcc/bus_tls.hpp"

#include <gtest/gtest.h>

#include <string>

#include "env_cases.hpp"

namespace sipcc {
namespace {

TEST(BusTls, FromTheEnvironment) {
  struct tls_case {
    const char* name;
    test::env_vars env;
    bool on;
    std::string error;  // empty: accepted
  };
  const std::vector<tls_case> cases = {
      {"nothing set: plain", {}, false, ""},
      {"a CA: TLS, the server verified", {{"SIPCC_NATS_CA", "/c/ca.pem"}}, true, ""},
      {"a CA and a client certificate",
       {{"SIPCC_NATS_CA", "/c/ca.pem"}, {"SIPCC_NATS_CERT", "/c/c.pem"},
        {"SIPCC_NATS_KEY", "/c/k.pem"}},
       true, ""},
      {"a client certificate alone (the system's CAs)",
       {{"SIPCC_NATS_CERT", "/c/c.pem"}, {"SIPCC_NATS_KEY", "/c/k.pem"}}, true, ""},
      {"a certificate without its key",
       {{"SIPCC_NATS_CA", "/c/ca.pem"}, {"SIPCC_NATS_CERT", "/c/c.pem"}}, false,
       "SIPCC_NATS_CERT is set without SIPCC_NATS_KEY"},
      {"a key without its certificate", {{"SIPCC_NATS_KEY", "/c/k.pem"}}, false,
       "SIPCC_NATS_KEY is set without SIPCC_NATS_CERT"},
      {"a hostname with TLS",
       {{"SIPCC_NATS_CA", "/c/ca.pem"}, {"SIPCC_NATS_TLS_HOSTNAME", "nats"}}, true, ""},
      {"a hostname without TLS", {{"SIPCC_NATS_TLS_HOSTNAME", "nats"}}, false,
       "SIPCC_NATS_TLS_HOSTNAME is set without SIPCC_NATS_CA or SIPCC_NATS_CERT"},
      {"empty values count as unset", {{"SIPCC_NATS_CA", ""}, {"SIPCC_NATS_KEY", ""}}, false, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    if (!c.error.empty()) {
      test::expect_refused([&] { bus_tls_from(test::env_of(c.env)); }, c.error);
      continue;
    }
    auto t = bus_tls_from(test::env_of(c.env));
    EXPECT_EQ(t.on(), c.on);
    EXPECT_EQ(t.ca, test::env_value(c.env, "SIPCC_NATS_CA"));
    EXPECT_EQ(t.hostname, test::env_value(c.env, "SIPCC_NATS_TLS_HOSTNAME"));
  }
}

}  // namespace
}  // namespace sipcc
