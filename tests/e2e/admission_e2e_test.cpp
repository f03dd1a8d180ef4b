// Admission control at the edge (sip-edge/model/admission.hpp): a backlog
// at the edge's SIP socket makes it refuse a share of new INVITEs with 503
// and Retry-After before any service hears of them, while requests in
// dialogs still pass; once the backlog is gone, every new INVITE is taken
// again. The test plays callctl (claims and answers the offers), and makes
// the backlog by giving the edge a tenth of the time while INVITEs arrive.
#include <signal.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
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

  // The next offer not seen yet, claimed; nothing if none came in time.
  std::optional<v1::LegEvent> claim_next(std::chrono::milliseconds deadline) {
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
    v1::LegCommand claim;
    claim.mutable_claim()->set_owner(kOwner);
    claim.mutable_claim()->set_conn_id("c" + std::to_string(seen_.size()));
    send(ev.leg_id(), claim);
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
};

constexpr const char* kSdp =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

// Whether every thread of the process is stopped: a stop signal takes
// effect when the kernel next schedules each thread, not at kill().
bool wait_stopped(pid_t pid, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  while (std::chrono::steady_clock::now() < until) {
    bool all = true;
    for (const auto& t : std::filesystem::directory_iterator(tasks)) {
      std::ifstream stat(t.path() / "stat");
      std::string line;
      std::getline(stat, line);
      const auto paren = line.rfind(')');
      all = all && paren != std::string::npos && line.size() > paren + 2 && line[paren + 2] == 'T';
    }
    if (all)
      return true;
    std::this_thread::sleep_for(1ms);  // polling the kernel's state, not a stimulus
  }
  return false;
}

// A process given `run` of every `run + stop`, from a thread of its own,
// until destroyed: a machine whose other work takes the process's CPU.
class throttle {
public:
  throttle(pid_t pid, std::chrono::milliseconds run, std::chrono::milliseconds stop)
      : pid_(pid), thread_([this, run, stop] {
          while (!done_) {
            ::kill(pid_, SIGSTOP);
            wait_stopped(pid_, 1s);
            std::this_thread::sleep_for(stop);
            ::kill(pid_, SIGCONT);
            std::this_thread::sleep_for(run);
          }
        }) {}
  ~throttle() {
    done_ = true;
    thread_.join();
  }

private:
  pid_t pid_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// The edge's 503s to the fake, by Call-ID, with their Retry-After.
std::map<std::string, std::string> refusals(const fake_asterisk& ast) {
  std::map<std::string, std::string> out;
  for (const auto& r : ast.received())
    if (r.status == 503 && r.message.header("CSeq").find("INVITE") != std::string::npos)
      out[r.message.header("Call-ID")] = r.message.header("Retry-After");
  return out;
}

TEST(AdmissionE2E, ABacklogAtTheEdgeShedsNewInvitesWith503ButNotRequestsInDialogs) {
  system_options opts;
  opts.services = {{"sip-edge", "edge1"}};
  sipcc_system sys(opts);
  auto& rec = sys.recorder();
  auto& ast = sys.asterisk();
  sys.start_services();
  ASSERT_EQ(sys.counter("edge1", "admitted_share", ""), 100);
  callctl_player callctl(rec);

  // A call up before the overload.
  const auto up = ast.place_call("8000", sys.edge_port());
  auto up_offer = callctl.claim_next(kWait);
  ASSERT_TRUE(up_offer);
  callctl.respond(up_offer->leg_id(), 200, kSdp);
  ASSERT_EQ(ast.wait_final(up, kWait), 200);

  // The edge gets 5 ms of every 50 while calls arrive at up to 4,000/s and
  // its caller hangs up: its socket fills while it is stopped, and each time
  // it runs it samples the backlog first (its tick is overdue). Three ticks
  // in a row over the limit are overload; fewer, a burst.
  std::vector<std::string> burst;
  std::set<std::string> offered;
  auto take_offers = [&](std::chrono::milliseconds deadline) {
    while (auto o = callctl.claim_next(deadline)) {
      offered.insert(o->incoming().call_id());
      callctl.respond(o->leg_id(), 486);
    }
  };
  {
    throttle slow(sys.service_pid("sip-edge"), 5ms, 45ms);
    ast.hangup_call(up);
    while (burst.size() < 600) {
      burst.push_back(ast.place_call("8000", sys.edge_port(),
                                     "555" + std::to_string(1000 + burst.size())));
      if (burst.size() % 20 == 0) {
        take_offers(0ms);
        std::this_thread::sleep_for(5ms);  // the load's pace: 4,000 calls/s at most
      }
    }
  }

  // Every call is either offered (and answered 486 by the test) or refused
  // 503 by the edge; INVITEs the full socket dropped come again (the fake
  // re-sends them).
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (offered.size() + refusals(ast).size() < burst.size() &&
         std::chrono::steady_clock::now() < deadline)
    take_offers(200ms);
  const auto refused = refusals(ast);
  RecordProperty("refused", static_cast<int>(refused.size()));
  RecordProperty("offered", static_cast<int>(offered.size()));
  ASSERT_EQ(offered.size() + refused.size(), burst.size());
  EXPECT_GE(refused.size(), 1u) << "the backlog sheds";
  EXPECT_GE(offered.size(), 1u) << "a share is still taken";
  for (const auto& [call_id, retry_after] : refused) {
    EXPECT_EQ(retry_after, "2") << call_id;
    EXPECT_FALSE(offered.count(call_id)) << call_id << ": refused after it was offered";
  }
  for (const auto& id : burst)
    EXPECT_EQ(ast.wait_final(id, kWait), refused.count(id) ? 503 : 486) << id;
  EXPECT_EQ(sys.counter("edge1", "invites_shed", "receive_queue") +
                sys.counter("edge1", "invites_shed", "claim_latency"),
            static_cast<int64_t>(refused.size()));
  // The backlog comes first; on a busy machine the test's own claims may be
  // slow enough to count too (claim_latency).
  EXPECT_TRUE(sys.wait_log("sip-edge", "edge: over capacity (", kWait));

  // The BYE in the backlog was not shed: the call's owner heard it.
  EXPECT_TRUE(rec.wait(
      [&](const bus_msg& m) {
        v1::LegEvent ev;
        return m.subject == subj::leg_event(kOwner, up_offer->leg_id()) &&
               ev.ParseFromString(m.data) && ev.has_bye();
      },
      kWait));
  EXPECT_TRUE(ast.wait_calls_ended(kWait));

  // The backlog gone, every new INVITE is taken again.
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
