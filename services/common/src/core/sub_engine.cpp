#include "sipcc/sub_engine.hpp"

#include <algorithm>

namespace sipcc {

const char* to_string(sub_phase p) {
  switch (p) {
    case sub_phase::idle: return "idle";
    case sub_phase::pacing: return "pacing";
    case sub_phase::pending: return "pending";
    case sub_phase::awaiting_notify: return "awaiting_notify";
    case sub_phase::active: return "active";
    case sub_phase::retry_wait: return "retry_wait";
  }
  return "?";
}

bool holds_dialog(sub_phase p) {
  return p == sub_phase::pending || p == sub_phase::awaiting_notify || p == sub_phase::active;
}

uint32_t retry_delay_ms(uint32_t status, uint32_t failures, const sub_settings& cfg) {
  // 404 means Asterisk has no such resource: a configuration fault that
  // retrying every minute for every DN will not cure, so back off.
  if (status == 404) {
    uint32_t shift = std::min<uint32_t>(failures > 0 ? failures - 1 : 0, 5);
    return cfg.retry_ms << shift;
  }
  return cfg.retry_ms;
}

namespace {

// Re-subscribe after a terminated subscription: at once the first time,
// then 1 s, 2 s, 4 s ... up to the cap, so a peer that keeps terminating
// is not hammered.
uint32_t resubscribe_delay_ms(uint32_t failures, const sub_settings& cfg) {
  if (failures <= 1)
    return 0;
  uint64_t d = 1000ull << std::min<uint32_t>(failures - 2, 20);
  return static_cast<uint32_t>(std::min<uint64_t>(d, cfg.backoff_max_ms));
}

void set_live(sub_state& s, sub_actions& a, bool live) {
  if (s.live != live) {
    s.live = live;
    a.monitoring = live;
  }
}

void wait_then_retry(sub_state& s, sub_actions& a, uint32_t delay_ms) {
  set_live(s, a, false);
  if (delay_ms == 0) {
    s.phase = sub_phase::pacing;
    a.want_pace = true;
    return;
  }
  s.phase = sub_phase::retry_wait;
  ++s.timer_gen;
  a.timer_ms = delay_ms;
}

void on_terminated(sub_state& s, sub_actions& a, const std::string& reason,
                   uint32_t retry_after_s, const sub_settings& cfg) {
  ++s.failures;
  // RFC 6665 4.1.3: probation and giveup say when to come back; deactivated,
  // timeout and no reason (all Asterisk sends) invite an immediate retry.
  // rejected / noresource / invariant would mean "do not retry"; a contact
  // center needs the DN back once Asterisk is fixed, so those retry after the
  // long interval instead (docs/architecture.md).
  uint32_t delay;
  if (reason == "probation" || reason == "giveup")
    delay = retry_after_s > 0 ? retry_after_s * 1000 : cfg.retry_ms;
  else if (reason == "rejected" || reason == "noresource" || reason == "invariant")
    delay = cfg.retry_ms;
  else
    delay = resubscribe_delay_ms(s.failures, cfg);
  wait_then_retry(s, a, delay);
}

// Makes every event of the current attempt stale.
void end_attempt(sub_state& s, sub_actions& a) {
  ++s.generation;
  ++s.timer_gen;
  s.phase = sub_phase::idle;
  set_live(s, a, false);
}

bool current(const sub_state& s, const sub_input& in) { return in.generation == s.generation; }

void on_start(sub_state& s, sub_actions& a) {
  if (s.phase != sub_phase::idle) {
    a.ignored = "already started";
    return;
  }
  s.phase = sub_phase::pacing;
  a.want_pace = true;
}

void on_paced(sub_state& s, sub_actions& a, const sub_settings& cfg) {
  if (s.phase != sub_phase::pacing) {
    a.ignored = "not pacing";
    return;
  }
  ++s.generation;
  s.phase = sub_phase::pending;
  s.dialog_tag.clear();
  s.have_cseq = false;
  s.notifies = 0;
  s.last_version = -1;
  a.send_subscribe = true;
  if (cfg.pending_guard_ms > 0)
    a.guard_ms = cfg.pending_guard_ms;
}

void on_response(sub_state& s, const sub_input& in, sub_actions& a, const sub_settings& cfg) {
  if (!current(s, in) || !holds_dialog(s.phase)) {
    a.ignored = "stale response";
    return;
  }
  if (in.status >= 200 && in.status < 300) {
    if (s.phase == sub_phase::pending) {
      s.phase = sub_phase::awaiting_notify;
      a.first_notify_timer_ms = cfg.first_notify_ms;
    }
    if (in.refresh)
      s.failures = 0;
  } else if (in.status >= 300) {
    // A failed refresh also lands here; the edge drops that dialog.
    ++s.failures;
    wait_then_retry(s, a, retry_delay_ms(in.status, s.failures, cfg));
  }
}

void on_notify(sub_state& s, const sub_input& in, sub_actions& a, const sub_settings& cfg) {
  if (!current(s, in) || !holds_dialog(s.phase)) {
    a.ignored = "stale notify";
    return;
  }
  if (in.dialog_tag != s.dialog_tag) {
    // First NOTIFY of this dialog (or a forked one): ordering restarts.
    s.dialog_tag = in.dialog_tag;
    s.have_cseq = false;
    s.notifies = 0;
    s.last_version = -1;
  }
  if (s.have_cseq && in.cseq <= s.last_cseq) {
    a.ignored = "cseq";
    return;
  }
  s.have_cseq = true;
  s.last_cseq = in.cseq;
  ++s.notifies;
  a.apply_body = true;
  if (in.substate == "terminated") {
    on_terminated(s, a, in.reason, in.retry_after_s, cfg);
    return;
  }
  // A NOTIFY may overtake the 2xx; it proves the subscription exists.
  s.phase = sub_phase::active;
  // A later active NOTIFY shows the subscription is stable.
  if (s.notifies > 1)
    s.failures = 0;
  set_live(s, a, true);
}

void on_ended(sub_state& s, const sub_input& in, sub_actions& a, const sub_settings& cfg) {
  if (!current(s, in) || !holds_dialog(s.phase)) {
    a.ignored = "stale end";
    return;
  }
  on_terminated(s, a, "", 0, cfg);
}

void on_timer(sub_state& s, const sub_input& in, sub_actions& a) {
  if (s.phase != sub_phase::retry_wait || in.timer_gen != s.timer_gen) {
    a.ignored = "stale timer";
    return;
  }
  s.phase = sub_phase::pacing;
  a.want_pace = true;
}

void on_guard(sub_state& s, const sub_input& in, sub_actions& a, const sub_settings& cfg) {
  if (!current(s, in) || s.phase != sub_phase::pending) {
    a.ignored = "stale guard";
    return;
  }
  // No outcome at all: handled like a transaction timeout.
  ++s.failures;
  wait_then_retry(s, a, retry_delay_ms(408, s.failures, cfg));
}

void on_first_notify_timeout(sub_state& s, const sub_input& in, sub_actions& a,
                             const sub_settings& cfg) {
  if (!current(s, in) || s.phase != sub_phase::awaiting_notify) {
    a.ignored = "stale first-notify timeout";
    return;
  }
  // Asterisk keeps an answered subscription (and its cost) until it
  // expires: end it before subscribing again.
  a.send_unsubscribe = s.generation;
  a.no_first_notify = true;
  ++s.failures;
  if (cfg.give_up_without_first_notify) {
    a.gave_up = true;
    end_attempt(s, a);
  } else {
    wait_then_retry(s, a, cfg.retry_ms);
  }
}

void on_resync(sub_state& s, sub_actions& a) {
  if (!holds_dialog(s.phase)) {
    a.ignored = "stale resync";
    return;
  }
  // Monitoring stays live on the last known state: the new dialog's first
  // NOTIFY carries the full state, and if it fails, liveness goes as for
  // any failed subscription.
  a.send_unsubscribe = s.generation;
  s.phase = sub_phase::pacing;
  a.want_pace = true;
}

void on_stop(sub_state& s, sub_actions& a) {
  if (holds_dialog(s.phase))
    a.send_unsubscribe = s.generation;
  end_attempt(s, a);
}

}  // namespace

sub_actions step(sub_state& s, const sub_input& in, const sub_settings& cfg) {
  sub_actions a;
  switch (in.what) {
    case sub_input::start: on_start(s, a); break;
    case sub_input::paced: on_paced(s, a, cfg); break;
    case sub_input::response: on_response(s, in, a, cfg); break;
    case sub_input::notify: on_notify(s, in, a, cfg); break;
    case sub_input::ended: on_ended(s, in, a, cfg); break;
    case sub_input::timer: on_timer(s, in, a); break;
    case sub_input::guard: on_guard(s, in, a, cfg); break;
    case sub_input::first_notify_timeout: on_first_notify_timeout(s, in, a, cfg); break;
    case sub_input::resync: on_resync(s, a); break;
    case sub_input::stop: on_stop(s, a); break;
  }
  return a;
}

const char* to_string(version_verdict v) {
  switch (v) {
    case version_verdict::apply: return "apply";
    case version_verdict::replay: return "replay";
    case version_verdict::restart: return "restart";
    case version_verdict::resync: return "resync";
  }
  return "?";
}

version_verdict check_version(sub_state& s, long long version, bool full_state) {
  if (version > s.last_version) {
    s.last_version = version;
    return version_verdict::apply;
  }
  if (version == s.last_version)
    return version_verdict::replay;
  if (!full_state)
    return version_verdict::resync;
  s.last_version = version;
  return version_verdict::restart;
}

}  // namespace sipcc
