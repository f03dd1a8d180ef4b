// actor_host's supervision of its root actor, in process with a real CAF
// actor system: a root that ends by itself or through a linked actor's
// exception is reported (with its exit reason) and wakes the process, an
// orderly shutdown is not, and health queries are answered from inside the
// actor system.
#include "sipcc/actor_host.hpp"

#include <caf/all.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace sipcc {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 5s;

// The supervision's outputs, which actor threads produce: waited on with a
// deadline.
class outputs {
public:
  void publish(const std::string& subject, const v1::HealthReply& r) {
    std::lock_guard<std::mutex> g(mu_);
    replies_.emplace_back(subject, r);
    cv_.notify_all();
  }
  void wake() {
    std::lock_guard<std::mutex> g(mu_);
    ++wakes_;
    cv_.notify_all();
  }
  bool wait_wakes(int n) {
    std::unique_lock<std::mutex> g(mu_);
    return cv_.wait_for(g, kWait, [&] { return wakes_ >= n; });
  }
  std::optional<v1::HealthReply> wait_reply(const std::string& subject) {
    std::unique_lock<std::mutex> g(mu_);
    std::optional<v1::HealthReply> found;
    cv_.wait_for(g, kWait, [&] {
      for (auto& [s, r] : replies_)
        if (s == subject)
          found = r;
      return found.has_value();
    });
    return found;
  }
  int wakes() const {
    std::lock_guard<std::mutex> g(mu_);
    return wakes_;
  }

private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<std::string, v1::HealthReply>> replies_;
  int wakes_ = 0;
};

class ActorHostSupervision : public ::testing::Test {
protected:
  outputs out;
  supervision sup;
  actor_host host{sup};

  ActorHostSupervision() {
    sup.serve(
        "router", "router-0", 1,
        [this](const std::string& s, const v1::HealthReply& r) { out.publish(s, r); },
        [this] { out.wake(); });
  }

  // A root that ignores bus messages, or quits on the first one.
  bus_root spawn_root(bool quits_on_message) {
    return host.system().spawn([quits_on_message](bus_root::pointer self) -> bus_root::behavior_type {
      return {[=](const bus_msg&) {
        if (quits_on_message)
          self->quit();
      }};
    });
  }
};

TEST_F(ActorHostSupervision, HealthIsAnsweredFromInsideTheActorSystem) {
  host.set_root(spawn_root(false));
  sup.query("_INBOX.1");
  auto r = out.wait_reply("_INBOX.1");
  ASSERT_TRUE(r) << "no health reply";
  EXPECT_EQ(r->status(), v1::HEALTH_OK);
  EXPECT_EQ(r->detail(), "its actor system answered");
}

TEST_F(ActorHostSupervision, AnInjectedFaultEndsTheRootAndIsReportedWithItsReason) {
  host.set_root(spawn_root(false));
  ASSERT_TRUE(sup.inject_fault("boom"));
  ASSERT_TRUE(out.wait_wakes(1)) << "the root's end was not reported";
  EXPECT_EQ(sup.failure(), R"(system_error(runtime_error, ("boom")))");
  sup.query("_INBOX.2");
  auto r = out.wait_reply("_INBOX.2");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), v1::HEALTH_FAILING);
}

TEST_F(ActorHostSupervision, ARootThatQuitsByItselfIsAFailureToo) {
  auto root = spawn_root(true);
  host.set_root(root);
  caf::anon_send(root, bus_msg{"sipcc.tlib.req.call.1000", "", ""});
  ASSERT_TRUE(out.wait_wakes(1)) << "the root's end was not reported";
  EXPECT_EQ(sup.failure(), "a normal exit");
}

TEST_F(ActorHostSupervision, AnOrderlyShutdownIsNoFailure) {
  host.set_root(spawn_root(false));
  host.shutdown();  // returns once every actor ended, the root's watcher run
  EXPECT_FALSE(sup.failure());
  EXPECT_EQ(out.wakes(), 0);
  sup.query("_INBOX.3");
  auto r = out.wait_reply("_INBOX.3");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), v1::HEALTH_FAILING);
  EXPECT_EQ(r->detail(), "stopping: its actors were shut down");
}

}  // namespace
}  // namespace sipcc
