// TLS on the bus with real processes: nats-server verifies every client's
// certificate (--tlsverify, certificates from scripts/nats-tls-certs.sh), the
// services and sipccctl connect with SIPCC_NATS_CA/CERT/KEY from their
// environment, and a client without a certificate of the CA gets nowhere.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "sipcc/bus.hpp"
#include "sipcc_fixture.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 10s;

// Connecting with the environment as it is; the error, empty when connected.
std::string connect_error(const std::string& url) {
  try {
    bus b(url, "tls-test", 1s);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

TEST(BusTlsE2E, ServicesTalkOverTlsAndAClientWithoutACertificateGetsNowhere) {
  system_options opts;
  opts.nats_tls = true;
  opts.dns = {{"1000"}};
  opts.agents = {"agent1000"};
  sipcc_system sys(opts);
  sys.asterisk().set_initial_notify("1000", "presence-notify-open.sip");
  sys.start_services();

  // Events (presence -> the recorder) and request/reply cross the bus.
  ASSERT_TRUE(sys.recorder().wait_event("1000", v1::EventDNBackInService, kWait))
      << "logs in " << sys.dir();
  EXPECT_EQ(sys.request("1000", v1::TAgentLogin, "agent1000").type(), v1::EventAgentLogin);
  int code = -1;
  sys.ctl({"health", "presence-0"}, &code);
  EXPECT_EQ(code, 0);

  // A client with the CA but no certificate of its own: the server refuses it.
  const std::string cert = std::getenv("SIPCC_NATS_CERT"), key = std::getenv("SIPCC_NATS_KEY");
  ::unsetenv("SIPCC_NATS_CERT");
  ::unsetenv("SIPCC_NATS_KEY");
  EXPECT_NE(connect_error(sys.nats_url()), "");
  // And one without TLS at all.
  const std::string ca = std::getenv("SIPCC_NATS_CA");
  ::unsetenv("SIPCC_NATS_CA");
  EXPECT_NE(connect_error(sys.nats_url()), "");
  // sipccctl without them cannot ask either.
  int plain = -1;
  sys.ctl({"health", "presence-0"}, &plain);
  EXPECT_NE(plain, 0);
  ::setenv("SIPCC_NATS_CA", ca.c_str(), 1);
  ::setenv("SIPCC_NATS_CERT", cert.c_str(), 1);
  ::setenv("SIPCC_NATS_KEY", key.c_str(), 1);
  EXPECT_EQ(connect_error(sys.nats_url()), "");
  // The certificate named but not there: the error names the variable.
  ::setenv("SIPCC_NATS_CERT", (sys.dir() + "/no-such.pem").c_str(), 1);
  EXPECT_NE(connect_error(sys.nats_url()).find("SIPCC_NATS_CERT"), std::string::npos);
  ::setenv("SIPCC_NATS_CERT", cert.c_str(), 1);
}

}  // namespace
}  // namespace sipcc::test
