// sipccctl watch's JSON line for whatever arrives on a watched subject.
#include "decode_line.hpp"

#include <gtest/gtest.h>

#include "sipcc/v1/ops.pb.h"

namespace sipcc::ctl {
namespace {

// NATS takes any byte but white space in a subject: one publish on a subject
// with a Latin-1 byte made nlohmann's dump() throw and `sipccctl watch '>'`
// abort (found by tests/fuzz sipccctl_watch). Such a byte shows as %XX.
TEST(SipccctlDecode, SubjectThatIsNotUtf8StillPrints) {
  v1::ServiceReady ready;
  ready.set_instance("callctl-0");
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"declared family", "sipcc.ops.callc\xCBl-0.ready", "sipcc.ops.callc%CBl-0.ready"},
      {"undeclared", "x.\xE9", "x.%E9"},
      {"valid UTF-8 stays", "sipcc.ops.caf\xC3\xA9.ready", "sipcc.ops.caf\xC3\xA9.ready"},
  };
  for (const auto& [what, subject, shown] : cases) {
    auto j = decode_line({subject, ready.SerializeAsString(), "_INBOX.\xFF"});
    std::string line;
    EXPECT_NO_THROW(line = j.dump()) << what;
    EXPECT_EQ(j["subject"], shown) << what;
    EXPECT_EQ(j["reply"], "_INBOX.%FF") << what;
  }
}

TEST(SipccctlDecode, DeclaredSubjectDecodesItsType) {
  v1::ServiceReady ready;
  ready.set_instance("callctl-0");
  auto j = decode_line({"sipcc.ops.callctl-0.ready", ready.SerializeAsString(), ""});
  EXPECT_EQ(j["type"], "sipcc.v1.ServiceReady");
  EXPECT_EQ(j["message"]["instance"], "callctl-0");
  EXPECT_FALSE(j.contains("reply"));
  auto bad = decode_line({"sipcc.ops.callctl-0.ready", "\xFF", ""});
  EXPECT_EQ(bad["error"], "payload does not decode as sipcc.v1.ServiceReady");
  EXPECT_EQ(bad["size"], 1);
}

}  // namespace
}  // namespace sipcc::ctl
