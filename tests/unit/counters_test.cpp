// The declared counters: names and kinds from SIPCC_COUNTERS, labelled
// values, and the snapshot sipccctl reads.
#include "sipcc/counters.hpp"
#include "sipcc/presence_body.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

namespace sipcc {
namespace {

TEST(Counters, NamesAndKinds) {
  struct meta_case {
    counter_id id;
    std::string name;
    bool gauge;
  };
  const std::vector<meta_case> cases = {
      {counter_id::bus_in, "bus_in", false},
      {counter_id::bus_out, "bus_out", false},
      {counter_id::bus_decode_errors, "bus_decode_errors", false},
      {counter_id::bus_dropped, "bus_dropped", true},
      {counter_id::sip_requests_in, "sip_requests_in", false},
      {counter_id::sip_responses_in, "sip_responses_in", false},
      {counter_id::sip_responses_out, "sip_responses_out", false},
      {counter_id::untrusted_requests, "untrusted_requests", false},
      {counter_id::sip_auto_responses, "sip_auto_responses", false},
      {counter_id::sip_transactions, "sip_transactions", true},
      {counter_id::subscriptions, "subscriptions", true},
      {counter_id::no_first_notify, "no_first_notify", false},
      {counter_id::subscriptions_forgotten, "subscriptions_forgotten", false},
      {counter_id::actors, "actors", true},
      {counter_id::leases, "leases", true},
      {counter_id::notify_stale, "notify_stale", false},
      {counter_id::notify_bad_body, "notify_bad_body", false},
      {counter_id::info_bad_body, "info_bad_body", false},
      {counter_id::tlib_requests, "tlib_requests", false},
      {counter_id::tlib_errors, "tlib_errors", false},
      {counter_id::tlib_events, "tlib_events", false},
      {counter_id::routes, "routes", false},
      {counter_id::audit_fixes, "audit_fixes", false},
      {counter_id::calls_restored, "calls_restored", false},
      {counter_id::invites_shed, "invites_shed", false},
      {counter_id::admitted_share, "admitted_share", true},
      {counter_id::setup_latency, "setup_latency", false},
      {counter_id::media_placed, "media_placed", false},
      {counter_id::media_refused, "media_refused", false},
  };
  // A counter added to SIPCC_COUNTERS needs a case here.
  EXPECT_EQ(cases.size(), kCounterCount);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(counters::name(c.id), c.name);
    EXPECT_EQ(counters::is_gauge(c.id), c.gauge);
  }
}

TEST(Counters, AddSetGet) {
  enum op_kind { add, set };
  struct op_case {
    op_kind op;
    counter_id id;
    std::string label;
    int64_t value;
    int64_t expected;  // get(id, label) afterwards
  };
  const std::vector<op_case> cases = {
      {add, counter_id::bus_in, "tlib_req", 1, 1},
      {add, counter_id::bus_in, "tlib_req", 1, 2},
      {add, counter_id::bus_in, "tlib_req", 5, 7},
      // Labels and ids keep separate values.
      {add, counter_id::bus_in, "tlib_evt", 1, 1},
      {add, counter_id::bus_out, "tlib_req", 3, 3},
      {set, counter_id::subscriptions, "active", 10, 10},
      {set, counter_id::subscriptions, "active", 4, 4},
      {add, counter_id::subscriptions, "active", -1, 3},
      {set, counter_id::subscriptions, "retry_wait", 0, 0},
  };
  counters c;
  EXPECT_EQ(c.get(counter_id::bus_in, "never"), 0);
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& k = cases[i];
    SCOPED_TRACE("op " + std::to_string(i + 1));
    if (k.op == add)
      c.add(k.id, k.label, k.value);
    else
      c.set(k.id, k.label, k.value);
    EXPECT_EQ(c.get(k.id, k.label), k.expected);
  }
  EXPECT_EQ(c.get(counter_id::bus_in, "tlib_req"), 7);
  EXPECT_EQ(c.get(counter_id::bus_out, "tlib_evt"), 0);
}

TEST(Counters, DefaultDeltaIsOne) {
  counters c;
  c.add(counter_id::sip_responses_in, "200");
  c.add(counter_id::sip_responses_in, "200");
  EXPECT_EQ(c.get(counter_id::sip_responses_in, "200"), 2);
}

TEST(Counters, Snapshot) {
  counters c;
  c.add(counter_id::tlib_events, "EventAgentReady", 2);
  c.set(counter_id::actors, "dn", 3);
  c.add(counter_id::bus_in, "tlib_req");
  c.set(counter_id::subscriptions, "active", 0);  // a gauge at zero is still reported

  auto snap = c.snapshot("presence-0");
  EXPECT_EQ(snap.schema(), v1::SCHEMA_V1);
  EXPECT_EQ(snap.instance(), "presence-0");

  // name/label -> kind/value; the order of the entries is not part of the contract.
  std::map<std::string, std::string> got;
  for (const auto& e : snap.counters())
    got[e.name() + "/" + e.label()] = e.kind() + "/" + std::to_string(e.value());
  const std::map<std::string, std::string> expected = {
      {"bus_in/tlib_req", "counter/1"},
      {"subscriptions/active", "gauge/0"},
      {"actors/dn", "gauge/3"},
      {"tlib_events/EventAgentReady", "counter/2"},
  };
  EXPECT_EQ(got, expected);
  EXPECT_EQ(snap.counters_size(), 4);
}

// Services count from several threads at once.
TEST(Counters, ConcurrentAdds) {
  counters c;
  constexpr int kPerThread = 10000;
  auto work = [&] {
    for (int i = 0; i < kPerThread; ++i)
      c.add(counter_id::bus_in, "tlib_evt");
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EXPECT_EQ(c.get(counter_id::bus_in, "tlib_evt"), 2 * kPerThread);
}

// Issue 16: a label per distinct Content-Type a peer sent grew presence by
// 16 MB and its snapshot past the NATS payload limit. Through
// body_type_label, 3,000 distinct ones make a handful of series.
TEST(Counters, ContentTypeLabelsStayBounded) {
  counters c;
  for (int i = 0; i < 3000; ++i) {
    c.add(counter_id::notify_bad_body, body_type_label("application/x-junk-" + std::to_string(i)));
    c.add(counter_id::notify_bad_body,
          body_type_label("Application/PIDF+XML; n=" + std::to_string(i)));
  }
  c.add(counter_id::notify_bad_body, body_type_label(""));
  EXPECT_EQ(c.snapshot("presence-0").counters_size(), 3);
  EXPECT_EQ(c.get(counter_id::notify_bad_body, "other"), 3000);
  EXPECT_EQ(c.get(counter_id::notify_bad_body, "application/pidf+xml"), 3000);
  EXPECT_EQ(c.get(counter_id::notify_bad_body, "none"), 1);
}

// The guard for a call site that still passes open-ended labels: each
// counter keeps at most kMaxLabels, the last of them the overflow label.
TEST(Counters, LabelsPastTheCapCountUnderOverflow) {
  counters c;
  c.add(counter_id::bus_in, "tlib_req");
  for (int i = 0; i < 3000; ++i)
    c.add(counter_id::info_bad_body, "x/" + std::to_string(i));
  c.set(counter_id::subscriptions, "active", 2);  // another counter has its own room

  std::map<std::string, int> labels_per_counter;
  auto snap = c.snapshot("callctl-0");
  for (const auto& e : snap.counters())
    ++labels_per_counter[e.name()];
  const std::map<std::string, int> expected = {
      {"bus_in", 1},
      {"info_bad_body", static_cast<int>(counters::kMaxLabels)},
      {"subscriptions", 1},
  };
  EXPECT_EQ(labels_per_counter, expected);
  const int kept = static_cast<int>(counters::kMaxLabels) - 1;
  EXPECT_EQ(c.get(counter_id::info_bad_body, counters::kOverflowLabel), 3000 - kept);
  // A label made before the cap keeps counting under its own name.
  c.add(counter_id::info_bad_body, "x/0");
  EXPECT_EQ(c.get(counter_id::info_bad_body, "x/0"), 2);
  EXPECT_EQ(c.get(counter_id::info_bad_body, "x/" + std::to_string(kept)), 0);
}

TEST(SipStatusLabel, CodesOutsideRfc3261sRangeAreOther) {
  struct row {
    int status;
    const char* label;
  };
  for (auto r : {row{100, "100"}, row{200, "200"}, row{699, "699"}, row{99, "other"},
                 row{700, "other"}, row{0, "other"}, row{-1, "other"}, row{100000, "other"}})
    EXPECT_EQ(sip_status_label(r.status), r.label) << r.status;
}

TEST(Counters, OnePerProcess) { EXPECT_EQ(&process_counters(), &process_counters()); }

TEST(LatencyBuckets, EveryValueFallsInTheFirstBoundAboveIt) {
  struct row {
    int64_t us;
    const char* label;
  };
  for (auto r : {row{0, "le_100"}, row{100, "le_100"}, row{101, "le_125"}, row{1000, "le_1164"},
                 row{20'000'000, "le_inf"}}) {
    EXPECT_EQ(latency_bucket(r.us), r.label) << r.us;
    auto bound = latency_bucket_bound(r.label);
    EXPECT_TRUE(bound == -1 || r.us <= bound);
  }
  EXPECT_EQ(latency_bucket_bound("le_125"), 125);
  EXPECT_EQ(latency_bucket_bound("le_inf"), -1);
}

}  // namespace
}  // namespace sipcc
