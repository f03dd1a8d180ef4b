// The health answer and the fail-fast bookkeeping (sipcc/supervision.hpp),
// without actors: the actor side is played by plain functions here
// (actor_host_test.cpp drives the real one).
#include "sipcc/supervision.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sipcc {
namespace {

TEST(Supervision, HealthReplySaysWhatAnsweredOrWhyItFails) {
  struct reply_case {
    const char* what;
    std::optional<std::string> failure;
    bool stopping;
    bool by_actor;
    v1::HealthStatus status;
    std::string detail;
  };
  const std::vector<reply_case> cases = {
      {"actors answered", std::nullopt, false, true, v1::HEALTH_OK, "its actor system answered"},
      {"no actors (sip-edge)", std::nullopt, false, false, v1::HEALTH_OK,
       "its bus thread answered (no actor system in this process)"},
      {"root ended", "error(runtime_error)", false, true, v1::HEALTH_FAILING,
       "the root actor ended (error(runtime_error)); the process is exiting"},
      {"stopping", std::nullopt, true, false, v1::HEALTH_FAILING,
       "stopping: its actors were shut down"},
      {"a failure outweighs stopping", "normal", true, false, v1::HEALTH_FAILING,
       "the root actor ended (normal); the process is exiting"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    health_facts f{"router", "router-0", 1700000000000000, c.failure, c.stopping, c.by_actor};
    auto r = health_reply(f);
    EXPECT_EQ(r.schema(), v1::SCHEMA_V1);
    EXPECT_EQ(r.service(), "router");
    EXPECT_EQ(r.instance(), "router-0");
    EXPECT_EQ(r.started_us(), 1700000000000000);
    EXPECT_EQ(r.status(), c.status);
    EXPECT_EQ(r.detail(), c.detail);
  }
}

TEST(Supervision, FaultInjectionIsOnForExactlyOne) {
  EXPECT_FALSE(fault_injection_enabled(nullptr));
  for (const char* off : {"", "0", "true", "yes", " 1", "1 ", "11"}) {
    SCOPED_TRACE(off);
    EXPECT_FALSE(fault_injection_enabled(off));
  }
  EXPECT_TRUE(fault_injection_enabled("1"));
}

// A supervision serving a fake bus: what it publishes and how often it woke.
struct served {
  supervision sup;
  std::vector<std::pair<std::string, v1::HealthReply>> published;
  int wakes = 0;
  std::vector<std::string> asked, failed;

  served() {
    sup.serve("router", "router-0", 42,
              [this](const std::string& subject, const v1::HealthReply& r) {
                published.emplace_back(subject, r);
              },
              [this] { ++wakes; });
  }
  void attach_actors() {
    sup.attach({[this](const std::string& reply) { asked.push_back(reply); },
                [this](const std::string& reason) { failed.push_back(reason); }});
  }
};

TEST(Supervision, WithoutActorsTheBusThreadAnswersAtOnce) {
  served s;
  s.sup.query("_INBOX.1");
  ASSERT_EQ(s.published.size(), 1u);
  EXPECT_EQ(s.published[0].first, "_INBOX.1");
  EXPECT_EQ(s.published[0].second.status(), v1::HEALTH_OK);
  EXPECT_EQ(s.published[0].second.started_us(), 42);
  EXPECT_FALSE(s.sup.inject_fault("boom"));
}

TEST(Supervision, WithActorsTheQueryIsAnsweredOnlyThroughThem) {
  served s;
  s.attach_actors();
  s.sup.query("_INBOX.1");
  EXPECT_TRUE(s.published.empty());
  ASSERT_EQ(s.asked, std::vector<std::string>{"_INBOX.1"});
  s.sup.answer("_INBOX.1");
  ASSERT_EQ(s.published.size(), 1u);
  EXPECT_EQ(s.published[0].second.status(), v1::HEALTH_OK);
  EXPECT_EQ(s.published[0].second.detail(), "its actor system answered");
  EXPECT_TRUE(s.sup.inject_fault("boom"));
  EXPECT_EQ(s.failed, std::vector<std::string>{"boom"});
}

TEST(Supervision, ARootFailureWakesAndMakesHealthFailingAtOnce) {
  served s;
  s.attach_actors();
  s.sup.root_failed("error(runtime_error)");
  s.sup.root_failed("a later one");
  EXPECT_EQ(s.wakes, 2);
  EXPECT_EQ(s.sup.failure(), "error(runtime_error)");  // the first reason stays
  s.sup.query("_INBOX.2");
  EXPECT_TRUE(s.asked.empty());  // no actor is asked: the answer is known
  ASSERT_EQ(s.published.size(), 1u);
  EXPECT_EQ(s.published[0].second.status(), v1::HEALTH_FAILING);
  // An answer the actors still give says FAILING too.
  s.sup.answer("_INBOX.1");
  EXPECT_EQ(s.published.at(1).second.status(), v1::HEALTH_FAILING);
}

TEST(Supervision, AfterAnOrderlyDetachHealthSaysStopping) {
  served s;
  s.attach_actors();
  s.sup.detach();
  EXPECT_FALSE(s.sup.failure());
  EXPECT_EQ(s.wakes, 0);
  s.sup.query("_INBOX.3");
  ASSERT_EQ(s.published.size(), 1u);
  EXPECT_EQ(s.published[0].second.status(), v1::HEALTH_FAILING);
  EXPECT_EQ(s.published[0].second.detail(), "stopping: its actors were shut down");
  EXPECT_FALSE(s.sup.inject_fault("boom"));
  EXPECT_TRUE(s.asked.empty());
}

TEST(Supervision, AfterStopServingNothingIsPublishedOrWoken) {
  served s;
  s.sup.stop_serving();
  s.sup.query("_INBOX.4");
  s.sup.root_failed("late");
  EXPECT_TRUE(s.published.empty());
  EXPECT_EQ(s.wakes, 0);
  EXPECT_EQ(s.sup.failure(), "late");
}

}  // namespace
}  // namespace sipcc
