// Conferences and recordings on the real media server (ConfBridge behind
// extensions.conf [media-server] conf=<id>): `sipccctl conf` create, join
// and leave with both parties still hearing each other, and each way of
// recording a call leaving a WAV of both parties under the documented name
// (<ConnID>-<n>.wav, in the spool's monitor/ folder).
#include <unistd.h>

#include <filesystem>

#include "interop.hpp"
#include "media_requests.hpp"

namespace sipcc::test {
namespace {

namespace fs = std::filesystem;

class InteropConference : public Interop {
protected:
  void SetUp() override {}

  void hang_up_both() {
    customer->hangup();
    EXPECT_TRUE(agent->wait_ended(kAst));
    EXPECT_TRUE(ast->wait_no_calls(kAst));
  }
};

TEST_F(InteropConference, SipccctlCreatesJoinsAndLeaves) {
  start();
  const auto conn = routed_call_established();
  ASSERT_FALSE(conn.empty());
  const auto created = conf({"create"});
  const std::string id = created.value("conf_id", "");
  ASSERT_FALSE(id.empty()) << created.dump();
  EXPECT_EQ(conf({"join", id, conn}).value("error", ""), "");
  ASSERT_TRUE(ast->wait_cli("confbridge list", id, kAst));
  both_hear_each_other();
  EXPECT_EQ(conf({"leave", conn}).value("error", ""), "");
  EXPECT_TRUE(ast->wait_cli(
      "confbridge list", [&](const std::string& out) { return out.find(id) == std::string::npos; },
      kAst));
  both_hear_each_other();
  hang_up_both();
}

// DN option record: every call routed to 2001 is recorded. The media service
// reads the recordings' sizes from Asterisk's monitor/ folder (a shared
// volume in production; a link to this Asterisk's spool here).
TEST_F(InteropConference, RecordedDn) {
  const auto shared = fs::temp_directory_path() / ("sipcc-recordings-" + std::to_string(::getpid()));
  start([&](std::string& yaml) {
    replace_in(yaml, "  - { number: \"2001\", type: ACDPosition }\n",
               "  - { number: \"2001\", type: ACDPosition, options: { record: true } }\n");
    replace_in(yaml, "  pending-ms: 10000\n",
               "  pending-ms: 10000\n  recordings-dir: " + shared.string() + "\n");
  });
  fs::remove(shared);
  fs::create_directory_symlink(ast->spool() + "/monitor", shared);
  const auto conn = routed_call_established();
  ASSERT_FALSE(conn.empty());
  EXPECT_EQ(recording_state(1), "on");
  hang_up_both();
  expect_recording(conn, 1);
  const auto file = conn + "-1.wav";
  const auto bytes = static_cast<int64_t>(fs::file_size(shared / file));
  EXPECT_TRUE(pool_until(rec().client(), [&](const v1::MediaPool& p) {
    return p.recordings_size() == 1 && p.recordings(0).file() == file &&
           p.recordings(0).stopped_us() != 0 && p.recordings(0).size_bytes() == bytes;
  }, kAst)) << sys->ctl({"media"}) << "file: " << bytes << " bytes";
  EXPECT_NE(sys->ctl({"media"}).find(file), std::string::npos);
  fs::remove(shared);
}

// TRouteCall Extensions record=destination, from a router of the test's own.
TEST_F(InteropConference, RouteCallExtensionsRecord) {
  start(without_default_routing);
  customer = phone("1000", kTone1000);
  agent = phone("2001", kTone2001);
  ASSERT_TRUE(rec().wait_event("2001", v1::EventDNBackInService, kAst));
  ready_agent("2001", "agent2001");
  customer->call("sip:8000@" + ast->address());
  auto rr = rec().wait_event("8000", v1::EventRouteRequest, kAst);
  ASSERT_TRUE(rr);
  v1::TRequest r;
  r.set_type(v1::TRouteCall);
  r.set_this_dn("8000");
  r.set_conn_id(rr->conn_id());
  r.set_other_dn("2001");
  auto* kv = r.mutable_extensions()->add_pairs();
  kv->set_key("record");
  kv->set_str("destination");
  ASSERT_EQ(sys->call_request(r).type(), v1::EventRouteUsed);
  ASSERT_TRUE(agent->wait_incoming(kAst));
  agent->answer();
  EXPECT_EQ(recording_state(1), "on");
  both_hear_each_other();
  hang_up_both();
  expect_recording(rr->conn_id(), 1);
}

}  // namespace
}  // namespace sipcc::test
