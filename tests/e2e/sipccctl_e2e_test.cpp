// sipccctl on a real bus: global options (--nats, --timeout) after the
// subcommand and its arguments, and the request options that fill TRequest
// fields. No service runs: each request goes unanswered, so sipccctl waits
// its --timeout and says so, and the bus recorder shows what it sent.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sipcc/bus_schema.hpp"
#include "sipcc_fixture.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 5s;

class SipccctlE2E : public ::testing::Test {
protected:
  sipcc_system sys;

  // Runs `sipccctl request <dn> <type> <options...> --timeout 150 --nats <url>`
  // (global options last) and returns the TRequest it put on the bus.
  v1::TRequest request_with_late_options(v1::RequestType type, const std::string& dn,
                                         const std::vector<std::string>& options) {
    std::vector<std::string> argv{sys.ctl_argv({}).front(), "request", dn,
                                  v1::RequestType_Name(type)};
    argv.insert(argv.end(), options.begin(), options.end());
    for (const char* global : {"--timeout", "150", "--nats"})
      argv.emplace_back(global);
    argv.push_back(sys.nats_url());
    child_process ctl(argv, sys.dir() + "/ctl-" + v1::RequestType_Name(type));
    EXPECT_EQ(ctl.wait_exit(kWait), 4) << ctl.output();
    // The default timeout is 3000 ms: this says --timeout was taken.
    EXPECT_NE(ctl.output().find("within 150 ms"), std::string::npos) << ctl.output();
    const auto subject = subj::tlib_req(type, dn);
    auto sent = sys.recorder().wait([&](const bus_msg& m) { return m.subject == subject; }, kWait);
    v1::TRequest r;
    EXPECT_TRUE(sent && r.ParseFromString(sent->data)) << "nothing on " << subject;
    return r;
  }
};

TEST_F(SipccctlE2E, DigitsFillTSendDtmf) {
  auto r = request_with_late_options(v1::TSendDTMF, "1000", {"--conn-id", "c1", "--digits", "12#"});
  EXPECT_EQ(r.conn_id(), "c1");
  EXPECT_EQ(r.dtmf_digits(), "12#");
}

TEST_F(SipccctlE2E, TransferConnIdFillsTCompleteTransfer) {
  auto r = request_with_late_options(v1::TCompleteTransfer, "1000",
                                     {"--conn-id", "c1", "--transfer-conn-id", "c2"});
  EXPECT_EQ(r.conn_id(), "c1");
  EXPECT_EQ(r.transfer_conn_id(), "c2");
}

TEST_F(SipccctlE2E, BadTimeoutIsRefusedWithTheRange) {
  child_process ctl(sys.ctl_argv({"state", "--timeout", "0"}), sys.dir() + "/ctl-bad-timeout");
  EXPECT_NE(ctl.wait_exit(kWait), 0);
  EXPECT_NE(ctl.output().find("--timeout: Value 0 not in range 1 to 3600000"), std::string::npos)
      << ctl.output();
}

}  // namespace
}  // namespace sipcc::test
