// Supervision on real processes. A service whose root actor fails exits with
// status 70 at once, naming the reason (the failure is injected with the
// test-only SIPCC_FAULT_INJECTION=1 and sipcc.ops.<instance>.fault); without
// that variable the fault subject does nothing. `sipccctl health` says OK for
// every running instance, and exits 4 when the instance does not answer.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "sipcc/bus_schema.hpp"
#include "sipcc/supervision.hpp"
#include "sipcc/v1/ops.pb.h"
#include "sipcc_fixture.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 10s;

struct actor_service {
  std::string service;
  std::string instance;
};

// Every service with an actor system (sip-edge has none).
const std::vector<actor_service> kActorServices = {{"presence", "presence-0"},
                                                   {"callctl", "callctl-0"},
                                                   {"router", "router-0"},
                                                   {"mwi", "mwi-0"},
                                                   {"media", "media-0"}};

v1::FaultInjection fault(const std::string& reason) {
  v1::FaultInjection f;
  f.set_schema(v1::SCHEMA_V1);
  f.set_reason(reason);
  return f;
}

class RootFailureE2E : public ::testing::TestWithParam<actor_service> {};

TEST_P(RootFailureE2E, ExitsWith70AtOnceNamingServiceInstanceAndReason) {
  const auto& [service, instance] = GetParam();
  system_options opts;
  opts.services = {{service, instance}};
  opts.service_env = {{kFaultInjectionVariable, "1"}};
  sipcc_system sys(opts);
  sys.start_services();
  ASSERT_TRUE(sys.wait_log(service, "fault injection is on", kWait));

  sys.recorder().client().publish(subj::ops_fault(instance), fault("injected by the test"));
  EXPECT_EQ(sys.wait_service_exit(service, kWait), kRootFailedExit);
  EXPECT_TRUE(sys.wait_log(service,
                           "critical [" + service + "] " + service + " " + instance +
                               " failed: its root actor ended (system_error(runtime_error, "
                               "(\"injected by the test\"))); exiting with status 70",
                           kWait));
}

INSTANTIATE_TEST_SUITE_P(EveryActorService, RootFailureE2E, ::testing::ValuesIn(kActorServices),
                         [](const auto& info) { return info.param.instance.substr(
                                                    0, info.param.instance.find('-')); });

TEST(FaultInjectionE2E, WithoutTheVariableTheFaultSubjectDoesNothing) {
  system_options opts;
  opts.services = {{"router", "router-0"}};
  sipcc_system sys(opts);
  sys.start_services();
  auto& client = sys.recorder().client();
  client.publish(subj::ops_fault("router-0"), fault("must be ignored"));
  // One connection and the service's one delivery thread keep these in
  // order: had the fault been taken, the health actor would have thrown
  // before it could answer.
  v1::HealthQuery q;
  q.set_schema(v1::SCHEMA_V1);
  auto answer = client.request(subj::ops_health("router-0"), q, kWait);
  v1::HealthReply r;
  ASSERT_TRUE(answer && r.ParseFromString(*answer)) << "no health reply";
  EXPECT_EQ(r.status(), v1::HEALTH_OK) << r.detail();
  // Not even received: the service does not subscribe to the subject.
  EXPECT_EQ(sys.counter("router-0", "bus_in", "ops_fault"), 0);
  EXPECT_EQ(sys.counter("router-0", "bus_in", "ops_health"), 2);  // its own check and ours
}

TEST(HealthE2E, EveryRunningInstanceSaysOkOnlyAfterItsActorsAnswered) {
  system_options opts;
  opts.services = {{"sip-edge", "edge1"}};
  for (const auto& s : kActorServices)
    opts.services.emplace_back(s.service, s.instance);
  sipcc_system sys(opts);
  sys.start_services();
  for (const auto& [service, instance] : opts.services) {
    SCOPED_TRACE(instance);
    int code = -1;
    auto out = sys.ctl({"health", instance}, &code);
    EXPECT_EQ(code, 0) << out;
    auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j["status"], "HEALTH_OK");
    EXPECT_EQ(j["service"], service);
    EXPECT_EQ(j["instance"], instance);
    EXPECT_EQ(j["detail"], service == "sip-edge"
                               ? "its bus thread answered (no actor system in this process)"
                               : "its actor system answered");
    // "ready" came after the instance answered its own health query.
    auto msgs = sys.recorder().all();
    auto first = [&](const std::string& subject) {
      for (size_t i = 0; i < msgs.size(); ++i)
        if (msgs[i].subject == subject)
          return i;
      return msgs.size();
    };
    EXPECT_LT(first(subj::ops_health(instance)), first(subj::ops_ready(instance)));
  }
}

TEST(HealthE2E, AnInstanceThatDoesNotAnswerExits4) {
  sipcc_system sys;  // nats-server only: nothing answers
  int code = -1;
  auto out = sys.ctl({"health", "presence-9", "--timeout", "300"}, &code);
  EXPECT_EQ(code, 4);
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace sipcc::test
