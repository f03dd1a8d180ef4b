// Subscription supervision as a pure state machine, shared by every service
// that keeps SIP subscriptions alive through the edge (presence per DN, MWI
// per mailbox). The edge refreshes an established subscription by itself;
// this machine decides when to (re)subscribe, which events are stale, and
// whether monitoring is live.
//
//          start          paced (new generation)          2xx              first NOTIFY
//   idle --------> pacing ----------------------> pending -----> awaiting_notify -----------> active
//                    ^                               |                  |                     |
//                    |  timer                        | >=300, timeout   | first-notify        | terminated
//                    +---------- retry_wait <--------+------------------+ timeout             | NOTIFY,
//                                    ^                  (un-SUBSCRIBE)                        | edge ended
//                                    +--------------------------------------------------------+
//
// Only a NOTIFY proves monitoring (RFC 6665 4.2.1.1 obliges the notifier to
// send one at once): Asterisk answers 200 to a resource list whose
// full-state NOTIFY is too large for UDP and then sends nothing. A NOTIFY
// that overtakes the 2xx goes straight from pending to active. With
// give_up_without_first_notify the first-notify timeout ends in idle
// instead of retry_wait and the owner takes over (a resource list too large
// for UDP falls back to one subscription per DN; a smaller one is retried).
//
// Every (re)subscribe goes through the owner's pacer (pacing), so a mass
// re-subscribe after an Asterisk restart is spread out like the start-up.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sipcc {

enum class sub_phase { idle, pacing, pending, awaiting_notify, active, retry_wait };
const char* to_string(sub_phase p);

struct sub_settings {
  uint32_t retry_ms = 60000;         // after a rejected or timed-out SUBSCRIBE
  uint32_t backoff_max_ms = 30000;   // cap for re-subscribing after termination
  // Core NATS may lose the command or its answer: a SUBSCRIBE with no outcome
  // after this long counts as timed out. 0 = no guard.
  uint32_t pending_guard_ms = 0;
  // How long after the 2xx the first NOTIFY may take; past it the
  // subscription has failed (un-SUBSCRIBEd, then retried after retry_ms).
  uint32_t first_notify_ms = 5000;
  // The owner has another way to watch the resources (a resource list's DNs
  // one by one) and knows a retry cannot help (the list is too large for
  // UDP), so a subscription without a first NOTIFY is not retried.
  bool give_up_without_first_notify = false;
};

struct sub_state {
  sub_phase phase = sub_phase::idle;
  uint64_t generation = 0;   // of the current SUBSCRIBE attempt (sub-id suffix)
  uint64_t timer_gen = 0;    // only the newest retry timer counts
  bool live = false;         // an accepted subscription is in place
  uint32_t failures = 0;     // consecutive failures, for the backoff
  // Ordering within the current subscription dialog.
  std::string dialog_tag;
  bool have_cseq = false;
  uint32_t last_cseq = 0;
  uint32_t notifies = 0;     // NOTIFYs applied in this dialog
  long long last_version = -1;
};

struct sub_input {
  enum kind {
    start, paced, response, notify, ended, timer, guard, first_notify_timeout, stop,
    // A body showed the state held is unreliable (resync verdict below):
    // end the dialog and subscribe again for a full-state NOTIFY.
    resync
  } what;
  sub_input(kind k = start) : what(k) {}
  uint64_t generation = 0;   // of the attempt the event belongs to
  // response
  uint32_t status = 0;
  bool refresh = false;
  // notify
  std::string substate;      // active | pending | terminated
  std::string reason;
  uint32_t retry_after_s = 0;
  uint32_t cseq = 0;
  std::string dialog_tag;
  // timer
  uint64_t timer_gen = 0;
};

struct sub_actions {
  bool want_pace = false;          // ask the pacer for a slot, then feed `paced`
  bool send_subscribe = false;     // SUBSCRIBE with state.generation
  std::optional<uint64_t> send_unsubscribe;  // generation to unsubscribe
  std::optional<uint32_t> timer_ms;          // arm a timer tagged state.timer_gen
  std::optional<uint32_t> guard_ms;          // arm a guard tagged state.generation
  // Arm the first-notify timeout, tagged state.generation.
  std::optional<uint32_t> first_notify_timer_ms;
  bool no_first_notify = false;    // answered 2xx, no NOTIFY in time: say so, count it
  bool gave_up = false;            // and, per give_up_without_first_notify, not retried
  bool apply_body = false;         // the NOTIFY is current: apply its body
  std::optional<bool> monitoring;  // live changed: true = regained, false = lost
  const char* ignored = nullptr;   // why the input was dropped (stale...), for counters
};

// Whether the edge may hold a dialog for the current attempt.
bool holds_dialog(sub_phase p);

// Advances the machine; never throws.
sub_actions step(sub_state& s, const sub_input& in, const sub_settings& cfg);

// Delay before retrying after a failed SUBSCRIBE with this final status.
uint32_t retry_delay_ms(uint32_t status, uint32_t failures, const sub_settings& cfg);

// What to do with a dialog-info / RLMI body (version 0..2^32-1, checked by
// the parser) of the current dialog. Call after step() said apply_body.
//  apply    newer than the last one (or the dialog's first): use it.
//  replay   the last version again: drop it (counted stale).
//  restart  older, in a full-state document: use it, and versions go on from
//           it. step() already keeps the NOTIFYs of a dialog in CSeq order,
//           so it is the newest state whatever its version says; the version
//           went back because an earlier one jumped ahead (4294967295 then 5)
//           or the notifier's count wrapped or restarted. Dropping it (RFC
//           4235 4.1's rule) would freeze the DN until the next subscription.
//  resync   older, in a partial RLMI document: it cannot be applied to state
//           that is now suspect, so drop it and feed sub_input::resync.
enum class version_verdict { apply, replay, restart, resync };
const char* to_string(version_verdict v);
version_verdict check_version(sub_state& s, long long version, bool full_state);

}  // namespace sipcc
