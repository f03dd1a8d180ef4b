// The media service against the real Asterisk, with the shipped pool (no
// media.servers: one server, Asterisk at asterisk.address): Asterisk's answer
// to sipcc's OPTIONS brings it into service, and it goes out of service when
// Asterisk stops.
#include "interop.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/media.pb.h"

namespace sipcc::test {
namespace {

class InteropMediaPool : public Interop {
protected:
  void SetUp() override {}

  // The MediaHealth of the shipped pool's one server, in `state`.
  std::optional<v1::MediaHealth> health(v1::MediaHealthState state) {
    v1::MediaHealth found;
    auto m = rec().wait(
        [&](const bus_msg& msg) {
          return msg.subject == subj::media_health("asterisk") &&
                 found.ParseFromString(msg.data) && found.state() == state;
        },
        kAst);
    return m ? std::optional(found) : std::nullopt;
  }
};

TEST_F(InteropMediaPool, AsteriskAnswersTheHealthChecksAndItsStopIsNoticed) {
  // Probes twice a second, so that the stop is seen within the test's wait.
  start([](std::string& yaml) {
    replace_in(yaml, "  options-interval-ms: 5000\n", "  options-interval-ms: 500\n");
    replace_in(yaml, "  options-timeout-ms: 2000\n", "  options-timeout-ms: 300\n");
  });
  auto up = health(v1::MEDIA_IN_SERVICE);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->address(), ast->address());
  EXPECT_EQ(up->reason(), "1 OPTIONS in a row answered (last: 200 OK)");
  ast->stop();
  auto down = health(v1::MEDIA_OUT_OF_SERVICE);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->previous(), v1::MEDIA_IN_SERVICE);
  EXPECT_NE(down->reason().find("3 OPTIONS in a row failed"), std::string::npos)
      << down->reason();
}

}  // namespace
}  // namespace sipcc::test
