// Admission control at the edge (sip-edge/model/admission.hpp): when
// callctl claims the edge's offers late for more than the two seconds a
// restart storm lasts, the edge refuses a share of new INVITEs with 503 and
// Retry-After before any service hears of them, while requests in dialogs
// still pass; once callctl keeps pace again, every new INVITE is taken
// again. The test plays callctl: it claims each offer 150 ms late (the
// limit is 100 ms), then at once.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipcc_fixture.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 10s;
constexpr const char* kOwner = "member-x";

class callctl_player {
public:
  explicit callctl_player(bus_recorder& rec) : rec_(rec) {}

  // The next offer not seen yet; nothing if none came in time.
  std::optional<v1::LegEvent> next_offer(std::chrono::milliseconds deadline) {
    v1::LegEvent ev;
    auto m = rec_.wait(
        [&](const bus_msg& m) {
          return m.subject == subj::in_invite && ev.ParseFromString(m.data) &&
                 !seen_.count(ev.leg_id());
        },
        deadline);
    if (!m)
      return std::nullopt;
    seen_.insert(ev.leg_id());
    return ev;
  }

  void claim(const v1::LegEvent& offer) {
    v1::LegCommand claim;
    claim.mutable_claim()->set_owner(kOwner);
    claim.mutable_claim()->set_conn_id("c" + std::to_string(++claims_));
    send(offer.leg_id(), claim);
  }

  // The next offer not seen yet, claimed; nothing if none came in time.
  std::optional<v1::LegEvent> claim_next(std::chrono::milliseconds deadline) {
    auto ev = next_offer(deadline);
    if (ev)
      claim(*ev);
    return ev;
  }

  void respond(const std::string& leg, int status, const std::string& sdp = "") {
    v1::LegCommand r;
    r.mutable_respond()->set_status(static_cast<uint32_t>(status));
    r.mutable_respond()->set_sdp(sdp);
    send(leg, r);
  }

private:
  void send(const std::string& leg, v1::LegCommand cmd) {
    cmd.set_schema(v1::SCHEMA_V1);
    cmd.set_leg_id(leg);
    rec_.client().publish(subj::edge_leg("edge1"), cmd);
  }

  bus_recorder& rec_;
  std::set<std::string> seen_;
  int claims_ = 0;
};

constexpr const char* kSdp =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

// The edge's 503s to the fake, by Call-ID, with their Retry-After.
std::map<std::string, std::string> refusals(const fake_asterisk& ast) {
  std::map<std::string, std::string> out;
  for (const auto& r : ast.received())
    if (r.status == 503 && r.message.header("CSeq").find("INVITE") != std::string::npos)
      out[r.message.header("Call-ID")] = r.message.header("Retry-After");
  return out;
}

TEST(AdmissionE2E, ASlowCallctlMakesTheEdgeShedNewInvitesWith503ButNotRequestsInDialogs) {
  system_options opts;
  opts.services = {{"sip-edge", "edge1"}};
  sipcc_system sys(opts);
  auto& rec = sys.recorder();
  auto& ast = sys.asterisk();
  sys.start_services();
  EXPECT_TRUE(sys.wait_log("sip-edge", "admission control watches the SIP socket's receive queue",
                           kWait));
  ASSERT_EQ(sys.counter("edge1", "admitted_share", ""), 100);
  callctl_player callctl(rec);

  // A call up before the overload.
  const auto up = ast.place_call("8000", sys.edge_port());
  auto up_offer = callctl.claim_next(kWait);
  ASSERT_TRUE(up_offer);
  callctl.respond(up_offer->leg_id(), 200, kSdp);
  ASSERT_EQ(ast.wait_final(up, kWait), 200);

  // 200 calls/s for 3 s, each offer claimed 150 ms late and answered 486;
  // once the edge refuses, the established call's caller hangs up.
  std::vector<std::string> burst;
  std::set<std::string> offered;
  std::deque<std::pair<std::chrono::steady_clock::time_point, v1::LegEvent>> pending;
  auto take = [&](const v1::LegEvent& o) {
    callctl.claim(o);
    offered.insert(o.incoming().call_id());
    callctl.respond(o.leg_id(), 486);
  };
  bool hung_up = false;
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < 3s) {
    burst.push_back(ast.place_call("8000", sys.edge_port(),
                                   "555" + std::to_string(1000 + burst.size())));
    const auto now = std::chrono::steady_clock::now();
    while (auto o = callctl.next_offer(0ms))
      pending.emplace_back(now, *o);
    while (!pending.empty() && now - pending.front().first >= 150ms) {
      take(pending.front().second);
      pending.pop_front();
    }
    if (!hung_up && !refusals(ast).empty()) {
      ast.hangup_call(up);
      hung_up = true;
    }
    std::this_thread::sleep_for(5ms);  // the load's pace
  }
  ASSERT_TRUE(hung_up) << "no 503 in 3 s of late claims";

  // callctl keeps pace again: every call is either offered (and answered
  // 486) or refused 503 by the edge.
  for (auto& [at, o] : pending)
    take(o);
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (offered.size() + refusals(ast).size() < burst.size() &&
         std::chrono::steady_clock::now() < deadline)
    if (auto o = callctl.next_offer(200ms))
      take(*o);
  const auto refused = refusals(ast);
  RecordProperty("refused", static_cast<int>(refused.size()));
  RecordProperty("offered", static_cast<int>(offered.size()));
  ASSERT_EQ(offered.size() + refused.size(), burst.size());
  EXPECT_GE(offered.size(), 1u) << "a share is still taken";
  for (const auto& [call_id, retry_after] : refused) {
    EXPECT_EQ(retry_after, "2") << call_id;
    EXPECT_FALSE(offered.count(call_id)) << call_id << ": refused after it was offered";
  }
  for (const auto& id : burst)
    EXPECT_EQ(ast.wait_final(id, kWait), refused.count(id) ? 503 : 486) << id;
  EXPECT_EQ(sys.counter("edge1", "invites_shed", "claim_latency"),
            static_cast<int64_t>(refused.size()));
  EXPECT_TRUE(sys.wait_log("sip-edge", "edge: over capacity (claim_latency)", kWait));

  // The BYE sent while the edge refused was not refused: the owner heard it.
  EXPECT_TRUE(rec.wait(
      [&](const bus_msg& m) {
        v1::LegEvent ev;
        return m.subject == subj::leg_event(kOwner, up_offer->leg_id()) &&
               ev.ParseFromString(m.data) && ev.has_bye();
      },
      kWait));
  EXPECT_TRUE(ast.wait_calls_ended(kWait));

  // callctl keeping pace, every new INVITE is taken again.
  ASSERT_TRUE(sys.wait_log("sip-edge", "back under capacity", kWait));
  EXPECT_EQ(sys.counter("edge1", "admitted_share", ""), 100);
  const auto after = ast.place_call("8000", sys.edge_port());
  auto o = callctl.claim_next(kWait);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->incoming().call_id(), after);
  callctl.respond(o->leg_id(), 486);
  EXPECT_EQ(ast.wait_final(after, kWait), 486);
}

}  // namespace
}  // namespace sipcc::test
