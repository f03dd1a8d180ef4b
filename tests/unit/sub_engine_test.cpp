// Subscription supervision: each scenario is the ladder of inputs the owner
// feeds the machine, with the actions, phase and liveness expected after
// every step.
#include "sipcc/sub_engine.hpp"

#include "sipcc/config.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace sipcc {
namespace {

// One step: an input for step(), or a body's version for check_version().
struct sub_event {
  std::optional<sub_input> in;
  long long version;
  bool full_state = true;
};

sub_event input(sub_input::kind what, uint64_t generation = 0) {
  sub_input in{};
  in.what = what;
  in.generation = generation;
  return {in, 0};
}

sub_event start() { return input(sub_input::start); }
sub_event paced() { return input(sub_input::paced); }
sub_event stop() { return input(sub_input::stop); }
sub_event ended(uint64_t gen) { return input(sub_input::ended, gen); }

sub_event timer(uint64_t timer_gen) {
  auto e = input(sub_input::timer);
  e.in->timer_gen = timer_gen;
  return e;
}

sub_event guard(uint64_t gen) { return input(sub_input::guard, gen); }
sub_event first_notify_timeout(uint64_t gen) {
  return input(sub_input::first_notify_timeout, gen);
}

sub_event resp(uint64_t gen, uint32_t status, bool refresh = false) {
  auto e = input(sub_input::response, gen);
  e.in->status = status;
  e.in->refresh = refresh;
  return e;
}

sub_event notify(uint64_t gen, const std::string& substate, uint32_t cseq,
                 const std::string& tag = "d1", const std::string& reason = "",
                 uint32_t retry_after_s = 0) {
  auto e = input(sub_input::notify, gen);
  e.in->substate = substate;
  e.in->cseq = cseq;
  e.in->dialog_tag = tag;
  e.in->reason = reason;
  e.in->retry_after_s = retry_after_s;
  return e;
}

sub_event version(long long v) { return {std::nullopt, v, true}; }
sub_event partial(long long v) { return {std::nullopt, v, false}; }

// Actions in a fixed order, so a table row reads like what the owner does:
// "ignored:<why>", "no-notify", "give-up", "body", "mon:on|off",
// "unsub:<gen>", "pace", "subscribe:<gen>", "timer:<ms>#<timer gen>",
// "guard:<ms>", "first-notify:<ms>".
std::string describe(const sub_actions& a, const sub_state& s) {
  std::vector<std::string> parts;
  if (a.ignored)
    parts.push_back(std::string("ignored:") + a.ignored);
  if (a.no_first_notify)
    parts.push_back("no-notify");
  if (a.gave_up)
    parts.push_back("give-up");
  if (a.apply_body)
    parts.push_back("body");
  if (a.monitoring)
    parts.push_back(*a.monitoring ? "mon:on" : "mon:off");
  if (a.send_unsubscribe)
    parts.push_back("unsub:" + std::to_string(*a.send_unsubscribe));
  if (a.want_pace)
    parts.push_back("pace");
  if (a.send_subscribe)
    parts.push_back("subscribe:" + std::to_string(s.generation));
  if (a.timer_ms)
    parts.push_back("timer:" + std::to_string(*a.timer_ms) + "#" + std::to_string(s.timer_gen));
  if (a.guard_ms)
    parts.push_back("guard:" + std::to_string(*a.guard_ms));
  if (a.first_notify_timer_ms)
    parts.push_back("first-notify:" + std::to_string(*a.first_notify_timer_ms));
  std::string out;
  for (auto& p : parts)
    out += (out.empty() ? "" : " ") + p;
  return out;
}

struct sub_step {
  sub_event ev;
  std::string actions;  // as describe() renders them; the verdict for a version
  sub_phase phase;
  bool live;
};

struct sub_scenario {
  std::string name;
  sub_settings cfg;
  std::vector<sub_step> steps;
};

constexpr auto idle = sub_phase::idle;
constexpr auto pacing = sub_phase::pacing;
constexpr auto pending = sub_phase::pending;
constexpr auto awaiting = sub_phase::awaiting_notify;
constexpr auto active = sub_phase::active;
constexpr auto retry_wait = sub_phase::retry_wait;

const sub_settings kDefault{};                 // retry 60 s, backoff cap 30 s
const sub_settings kShortCap{60000, 3000};     // reaches the backoff cap quickly
const sub_settings kShortRetry{1000, 30000};   // readable 404 backoff
const sub_settings kGuarded{60000, 30000, 5000};  // lost command / answer guard
// A resource list's settings as presence makes them from its size.
sub_settings list_of(size_t dns) {
  sub_settings st;
  st.give_up_without_first_notify = !list_fits_udp(dns);
  return st;
}
const sub_settings kLargeList = list_of(k_max_udp_list_dns + 1);
const sub_settings kSmallList = list_of(k_max_udp_list_dns);

std::vector<sub_scenario> sub_scenarios() {
  return {
      {"2xx_waits_for_the_first_notify_which_regains_monitoring_once",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           // Asterisk answers 200 even when it will never NOTIFY.
           {resp(1, 200), "first-notify:5000", awaiting, false},
           {notify(1, "active", 1), "body mon:on", active, true},
           {notify(1, "active", 2), "body", active, true},
           {start(), "ignored:already started", active, true},
           {paced(), "ignored:not pacing", active, true},
       }},
      {"notify_overtaking_2xx_makes_it_active",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {notify(1, "active", 1), "body mon:on", active, true},
           {resp(1, 202), "", active, true},
       }},
      {"403_waits_retry_ms_then_repaces_with_new_generation",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 403), "timer:60000#1", retry_wait, false},
           {timer(1), "pace", pacing, false},
           {paced(), "subscribe:2", pending, false},
           // Late answers to the abandoned attempt change nothing.
           {resp(1, 200), "ignored:stale response", pending, false},
           {notify(1, "active", 1), "ignored:stale notify", pending, false},
           {ended(1), "ignored:stale end", pending, false},
           {resp(2, 200), "first-notify:5000", awaiting, false},
           {notify(1, "terminated", 2), "ignored:stale notify", awaiting, false},
       }},
      {"guard_without_outcome_counts_as_timeout_and_is_stale_once_answered",
       kGuarded,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1 guard:5000", pending, false},
           {guard(1), "timer:60000#1", retry_wait, false},
           {timer(1), "pace", pacing, false},
           {paced(), "subscribe:2 guard:5000", pending, false},
           {resp(2, 200), "first-notify:5000", awaiting, false},
           {guard(2), "ignored:stale guard", awaiting, false},
           {guard(1), "ignored:stale guard", awaiting, false},
       }},
      {"408_timeout_waits_retry_ms_like_a_rejection",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 408), "timer:60000#1", retry_wait, false},
           {resp(1, 408), "ignored:stale response", retry_wait, false},
           {timer(1), "pace", pacing, false},
           {paced(), "subscribe:2", pending, false},
           {resp(2, 408), "timer:60000#2", retry_wait, false},
       }},
      {"failed_refresh_loses_monitoring_and_waits_retry_ms",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 200), "first-notify:5000", awaiting, false},
           {notify(1, "active", 1), "body mon:on", active, true},
           {resp(1, 481, true), "mon:off timer:60000#1", retry_wait, false},
       }},
      {"404_backs_off_doubling_up_to_32_times_retry_ms",
       kShortRetry,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 404), "timer:1000#1", retry_wait, false},
           {timer(1), "pace", pacing, false},
           {paced(), "subscribe:2", pending, false},
           {resp(2, 404), "timer:2000#2", retry_wait, false},
           {timer(2), "pace", pacing, false},
           {paced(), "subscribe:3", pending, false},
           {resp(3, 404), "timer:4000#3", retry_wait, false},
           {timer(3), "pace", pacing, false},
           {paced(), "subscribe:4", pending, false},
           {resp(4, 404), "timer:8000#4", retry_wait, false},
           {timer(4), "pace", pacing, false},
           {paced(), "subscribe:5", pending, false},
           {resp(5, 404), "timer:16000#5", retry_wait, false},
           {timer(5), "pace", pacing, false},
           {paced(), "subscribe:6", pending, false},
           {resp(6, 404), "timer:32000#6", retry_wait, false},
           {timer(6), "pace", pacing, false},
           {paced(), "subscribe:7", pending, false},
           {resp(7, 404), "timer:32000#7", retry_wait, false},
       }},
      {"cseq_orders_notifies_within_a_dialog",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 200), "first-notify:5000", awaiting, false},
           {notify(1, "active", 5), "body mon:on", active, true},
           {notify(1, "active", 5), "ignored:cseq", active, true},
           {notify(1, "active", 4), "ignored:cseq", active, true},
           // A stale terminated NOTIFY must not end the subscription.
           {notify(1, "terminated", 3), "ignored:cseq", active, true},
           {notify(1, "active", 6), "body", active, true},
           // A new dialog tag restarts the ordering.
           {notify(1, "active", 1, "d2"), "body", active, true},
           {notify(1, "active", 1, "d2"), "ignored:cseq", active, true},
           {notify(1, "active", 2, "d2"), "body", active, true},
       }},
      {"terminated_without_reason_repaces_at_once_then_backs_off_to_the_cap",
       kShortCap,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 200), "first-notify:5000", awaiting, false},
           {notify(1, "active", 1), "body mon:on", active, true},
           {notify(1, "terminated", 2), "body mon:off pace", pacing, false},
           {paced(), "subscribe:2", pending, false},
           {resp(2, 200), "first-notify:5000", awaiting, false},
           // A terminated first NOTIFY came: a failure, but not a silent one.
           {notify(2, "terminated", 1), "body timer:1000#1", retry_wait, false},
           {timer(1), "pace", pacing, false},
           {paced(), "subscribe:3", pending, false},
           {notify(3, "active", 1), "body mon:on", active, true},
           {notify(3, "terminated", 2), "body mon:off timer:2000#2", retry_wait, false},
           {timer(2), "pace", pacing, false},
           {paced(), "subscribe:4", pending, false},
           {resp(4, 200), "first-notify:5000", awaiting, false},
           {notify(4, "active", 1), "body mon:on", active, true},
           // 4 s would exceed backoff_max_ms.
           {ended(4), "mon:off timer:3000#3", retry_wait, false},
           {timer(3), "pace", pacing, false},
           {paced(), "subscribe:5", pending, false},
           {resp(5, 200), "first-notify:5000", awaiting, false},
           {notify(5, "active", 1), "body mon:on", active, true},
           {notify(5, "terminated", 2), "body mon:off timer:3000#4", retry_wait, false},
       }},
      {"edge_ended_repaces_at_once",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 200), "first-notify:5000", awaiting, false},
           {notify(1, "active", 1), "body mon:on", active, true},
           {ended(1), "mon:off pace", pacing, false},
           {ended(1), "ignored:stale end", pacing, false},
       }},
      {"second_active_notify_resets_the_failures",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 200), "first-notify:5000", awaiting, false},
           {notify(1, "active", 1), "body mon:on", active, true},
           {notify(1, "terminated", 2), "body mon:off pace", pacing, false},
           {paced(), "subscribe:2", pending, false},
           {resp(2, 200), "first-notify:5000", awaiting, false},
           {notify(2, "active", 1), "body mon:on", active, true},
           {notify(2, "active", 2), "body", active, true},
           // Stable again: the next termination counts as the first.
           {notify(2, "terminated", 3), "body mon:off pace", pacing, false},
       }},
      {"refresh_2xx_resets_the_failures",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 200), "first-notify:5000", awaiting, false},
           {notify(1, "active", 1), "body mon:on", active, true},
           {notify(1, "terminated", 2), "body mon:off pace", pacing, false},
           {paced(), "subscribe:2", pending, false},
           {resp(2, 200), "first-notify:5000", awaiting, false},
           {notify(2, "active", 1), "body mon:on", active, true},
           {resp(2, 200, true), "", active, true},
           {notify(2, "terminated", 2), "body mon:off pace", pacing, false},
       }},
      {"stale_timer_generation_is_ignored",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 403), "timer:60000#1", retry_wait, false},
           {timer(1), "pace", pacing, false},
           {timer(1), "ignored:stale timer", pacing, false},
           {paced(), "subscribe:2", pending, false},
           {timer(1), "ignored:stale timer", pending, false},
           {resp(2, 403), "timer:60000#2", retry_wait, false},
           {timer(1), "ignored:stale timer", retry_wait, false},
           {timer(2), "pace", pacing, false},
       }},
      {"stop_while_active_unsubscribes_current_generation",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 200), "first-notify:5000", awaiting, false},
           {notify(1, "active", 1), "body mon:on", active, true},
           {stop(), "mon:off unsub:1", idle, false},
           {resp(1, 200), "ignored:stale response", idle, false},
           {notify(1, "active", 2), "ignored:stale notify", idle, false},
           {ended(1), "ignored:stale end", idle, false},
           {timer(0), "ignored:stale timer", idle, false},
           {timer(1), "ignored:stale timer", idle, false},
           {paced(), "ignored:not pacing", idle, false},
           // Restarting gives a generation no old event can match.
           {start(), "pace", pacing, false},
           {paced(), "subscribe:3", pending, false},
       }},
      {"stop_while_pending_unsubscribes_the_attempt",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {stop(), "unsub:1", idle, false},
           {resp(1, 200), "ignored:stale response", idle, false},
       }},
      {"no_first_notify_unsubscribes_and_retries_after_retry_ms",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 200), "first-notify:5000", awaiting, false},
           {first_notify_timeout(1), "no-notify unsub:1 timer:60000#1", retry_wait, false},
           // The NOTIFY coming after all belongs to the abandoned dialog.
           {notify(1, "active", 1), "ignored:stale notify", retry_wait, false},
           {first_notify_timeout(1), "ignored:stale first-notify timeout", retry_wait, false},
           {timer(1), "pace", pacing, false},
           {paced(), "subscribe:2", pending, false},
           {resp(2, 200), "first-notify:5000", awaiting, false},
           {notify(2, "active", 1), "body mon:on", active, true},
           {first_notify_timeout(2), "ignored:stale first-notify timeout", active, true},
       }},
      {"no_first_notify_of_a_list_too_large_for_udp_gives_up_for_the_owner",
       kLargeList,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 200), "first-notify:5000", awaiting, false},
           {first_notify_timeout(1), "no-notify give-up unsub:1", idle, false},
           {notify(1, "active", 1), "ignored:stale notify", idle, false},
           {resp(1, 200), "ignored:stale response", idle, false},
           {timer(1), "ignored:stale timer", idle, false},
       }},
      // A list that fits UDP met a busy Asterisk: retried as a list, as a DN is.
      {"no_first_notify_of_a_list_that_fits_udp_retries_the_list",
       kSmallList,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 200), "first-notify:5000", awaiting, false},
           {first_notify_timeout(1), "no-notify unsub:1 timer:60000#1", retry_wait, false},
           {timer(1), "pace", pacing, false},
           {paced(), "subscribe:2", pending, false},
           {resp(2, 200), "first-notify:5000", awaiting, false},
           {first_notify_timeout(2), "no-notify unsub:2 timer:60000#2", retry_wait, false},
           {timer(2), "pace", pacing, false},
           {paced(), "subscribe:3", pending, false},
           {resp(3, 200), "first-notify:5000", awaiting, false},
           {notify(3, "active", 1), "body mon:on", active, true},
       }},
      {"a_list_that_notifies_in_time_is_kept",
       kLargeList,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 200), "first-notify:5000", awaiting, false},
           {notify(1, "active", 1), "body mon:on", active, true},
           {first_notify_timeout(1), "ignored:stale first-notify timeout", active, true},
           // Later failures are retried as for any subscription.
           {notify(1, "terminated", 2), "body mon:off pace", pacing, false},
       }},
      {"edge_ended_while_awaiting_the_first_notify_repaces_and_drops_its_timeout",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 200), "first-notify:5000", awaiting, false},
           {ended(1), "pace", pacing, false},
           {first_notify_timeout(1), "ignored:stale first-notify timeout", pacing, false},
       }},
      {"stop_while_awaiting_the_first_notify_unsubscribes",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 200), "first-notify:5000", awaiting, false},
           {stop(), "unsub:1", idle, false},
           {first_notify_timeout(1), "ignored:stale first-notify timeout", idle, false},
       }},
      {"stop_while_waiting_cancels_the_retry",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {resp(1, 403), "timer:60000#1", retry_wait, false},
           {stop(), "", idle, false},
           {timer(1), "ignored:stale timer", idle, false},
           // Only the timer of the new attempt counts.
           {start(), "pace", pacing, false},
           {paced(), "subscribe:3", pending, false},
           {resp(3, 403), "timer:60000#3", retry_wait, false},
           {timer(1), "ignored:stale timer", retry_wait, false},
           {timer(3), "pace", pacing, false},
       }},
      {"stop_while_pacing_drops_the_pacer_slot",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {stop(), "", idle, false},
           {paced(), "ignored:not pacing", idle, false},
       }},
      {"versions_go_up_and_restart_with_a_new_generation_or_dialog",
       kDefault,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {notify(1, "active", 1), "body mon:on", active, true},
           {version(3), "apply", active, true},
           {notify(1, "active", 2), "body", active, true},
           {version(3), "replay", active, true},
           {notify(1, "active", 3), "body", active, true},
           {version(2), "restart", active, true},
           {notify(1, "active", 4), "body", active, true},
           {version(4), "apply", active, true},
           {notify(1, "active", 1, "d2"), "body", active, true},
           {version(0), "apply", active, true},
           {notify(1, "terminated", 2, "d2"), "body mon:off pace", pacing, false},
           {version(0), "replay", pacing, false},
           {paced(), "subscribe:2", pending, false},
           {notify(2, "active", 1), "body mon:on", active, true},
           {version(0), "apply", active, true},
       }},
      {"an_older_partial_version_subscribes_again_and_monitoring_stays_live",
       kSmallList,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {notify(1, "active", 1), "body mon:on", active, true},
           {version(0), "apply", active, true},
           {notify(1, "active", 2), "body", active, true},
           {partial(4294967295), "apply", active, true},
           {notify(1, "active", 3), "body", active, true},
           {partial(2), "resync", active, true},
           {input(sub_input::resync), "unsub:1 pace", pacing, true},
           {input(sub_input::resync), "ignored:stale resync", pacing, true},
           {notify(1, "active", 4), "ignored:stale notify", pacing, true},
           {paced(), "subscribe:2", pending, true},
           {resp(2, 200), "first-notify:5000", awaiting, true},
           {notify(2, "active", 1), "body", active, true},
           {version(0), "apply", active, true},
       }},
      {"a_resync_whose_new_subscription_fails_loses_monitoring",
       kLargeList,
       {
           {start(), "pace", pacing, false},
           {paced(), "subscribe:1", pending, false},
           {notify(1, "active", 1), "body mon:on", active, true},
           {input(sub_input::resync), "unsub:1 pace", pacing, true},
           {paced(), "subscribe:2", pending, true},
           {resp(2, 200), "first-notify:5000", awaiting, true},
           {first_notify_timeout(2), "no-notify give-up mon:off unsub:2", idle, false},
       }},
  };
}

TEST(SubEngine, Scenarios) {
  for (const auto& sc : sub_scenarios()) {
    SCOPED_TRACE(sc.name);
    sub_state s;
    for (size_t i = 0; i < sc.steps.size(); ++i) {
      const auto& st = sc.steps[i];
      SCOPED_TRACE("step " + std::to_string(i + 1));
      std::string got;
      if (st.ev.in)
        got = describe(step(s, *st.ev.in, sc.cfg), s);
      else
        got = to_string(check_version(s, st.ev.version, st.ev.full_state));
      EXPECT_EQ(got, st.actions);
      EXPECT_STREQ(to_string(s.phase), to_string(st.phase));
      EXPECT_EQ(s.live, st.live);
    }
  }
}

// check_version, one row per case: the verdict and the version tracked after.
TEST(SubEngine, VersionChecks) {
  struct version_case {
    const char* name;
    long long last;  // -1: no body yet in this dialog
    long long version;
    bool full_state;
    version_verdict verdict;
    long long last_after;
  };
  constexpr long long kMax = 4294967295LL;
  constexpr auto apply = version_verdict::apply;
  constexpr auto replay = version_verdict::replay;
  constexpr auto restart = version_verdict::restart;
  constexpr auto resync = version_verdict::resync;
  const std::vector<version_case> cases = {
      {"the dialog's first body", -1, 0, true, apply, 0},
      {"the dialog's first body may start anywhere", -1, 7, false, apply, 7},
      {"the next version", 3, 4, true, apply, 4},
      {"a gap: the resources listed are current", 3, 9, false, apply, 9},
      {"far ahead but in range is applied", 5, kMax, true, apply, kMax},
      {"the same version again (full)", 3, 3, true, replay, 3},
      {"the same version again (partial)", 3, 3, false, replay, 3},
      {"older full state is the newest by CSeq", 3, 2, true, restart, 2},
      {"after a jump far ahead, the true count goes on", kMax, 5, true, restart, 5},
      {"the 32-bit count wrapped", kMax, 0, true, restart, 0},
      {"older partial state cannot be applied", 3, 2, false, resync, 3},
      {"after a jump far ahead, a partial one resyncs", kMax, 5, false, resync, kMax},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    sub_state s;
    s.last_version = c.last;
    EXPECT_STREQ(to_string(check_version(s, c.version, c.full_state)), to_string(c.verdict));
    EXPECT_EQ(s.last_version, c.last_after);
  }
}

// How a terminated NOTIFY's reason (RFC 6665 4.1.3) sets the re-subscribe
// delay, from a first failure on an established subscription.
TEST(SubEngine, TerminationReasons) {
  struct reason_case {
    std::string reason;
    uint32_t retry_after_s;
    std::string actions;
  };
  const std::vector<reason_case> cases = {
      {"", 0, "body mon:off pace"},
      {"deactivated", 0, "body mon:off pace"},
      {"timeout", 0, "body mon:off pace"},
      {"probation", 5, "body mon:off timer:5000#1"},
      {"probation", 0, "body mon:off timer:60000#1"},
      {"giveup", 10, "body mon:off timer:10000#1"},
      {"giveup", 0, "body mon:off timer:60000#1"},
      {"rejected", 0, "body mon:off timer:60000#1"},
      {"noresource", 0, "body mon:off timer:60000#1"},
      {"invariant", 0, "body mon:off timer:60000#1"},
  };
  const sub_settings cfg;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.reason + " retry-after " + std::to_string(c.retry_after_s));
    sub_state s;
    for (auto ev : {start(), paced(), resp(1, 200), notify(1, "active", 1)})
      step(s, *ev.in, cfg);
    ASSERT_TRUE(s.live);
    auto ev = notify(1, "terminated", 2, "d1", c.reason, c.retry_after_s);
    EXPECT_EQ(describe(step(s, *ev.in, cfg), s), c.actions);
    EXPECT_FALSE(s.live);
  }
}

TEST(SubEngine, RetryDelay) {
  struct delay_case {
    uint32_t status;
    uint32_t failures;
    uint32_t expected_ms;
  };
  const std::vector<delay_case> cases = {
      {403, 1, 60000}, {403, 7, 60000},  {408, 3, 60000},  {500, 2, 60000},
      {404, 0, 60000}, {404, 1, 60000},  {404, 2, 120000}, {404, 3, 240000},
      {404, 6, 1920000}, {404, 7, 1920000}, {404, 100, 1920000},
  };
  const sub_settings cfg;
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.status) + " after " + std::to_string(c.failures));
    EXPECT_EQ(retry_delay_ms(c.status, c.failures, cfg), c.expected_ms);
  }
}

}  // namespace
}  // namespace sipcc
