// Drives SIP subscriptions through the edge from inside a CAF actor: the
// thin shell around the pure sub_engine, shared by every service that keeps
// subscriptions (presence per DN or resource list, MWI per mailbox). It
// publishes the edge commands, arms the tagged timers, asks the pacer for
// slots and hands NOTIFY bodies and monitoring changes to the owner.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/local_actor.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "sipcc/actor_host.hpp"
#include "sipcc/bus.hpp"
#include "sipcc/edge_directory.hpp"
#include "sipcc/sub_engine.hpp"
#include "sipcc/v1/sip.pb.h"

namespace sipcc {

// ---- messages ----------------------------------------------------------------
// From the pacer: subscription `key` may SUBSCRIBE now.
struct sub_paced {
  std::string key;
};
// A subscriber's own timers, tagged as sub_engine armed them.
struct sub_retry_timer {
  std::string key;
  uint64_t timer_gen = 0;
};
struct sub_guard_timer {
  std::string key;
  uint64_t generation = 0;
};
struct sub_first_notify_timer {
  std::string key;
  uint64_t generation = 0;
};
// From the owner's registry: what the edge reported for the subscription
// with the event's key.
struct sub_event_arrived {
  v1::SubEvent ev;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sub_paced& x) {
  return f(caf::meta::type_name("sub_paced"), x.key);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sub_retry_timer& x) {
  return f(caf::meta::type_name("sub_retry_timer"), x.key, x.timer_gen);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sub_guard_timer& x) {
  return f(caf::meta::type_name("sub_guard_timer"), x.key, x.generation);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sub_first_notify_timer& x) {
  return f(caf::meta::type_name("sub_first_notify_timer"), x.key, x.generation);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sub_event_arrived& x) {
  return inspect_with_proto(f, "sub_event_arrived", x.ev);
}

// What every actor that owns subscribers takes (among its own messages).
using subscription_owner =
    caf::typed_actor<caf::reacts_to<sub_paced>, caf::reacts_to<sub_retry_timer>,
                     caf::reacts_to<sub_guard_timer>, caf::reacts_to<sub_first_notify_timer>,
                     caf::reacts_to<sub_event_arrived>>;

// To the pacer: `owner` wants a slot for subscription `key`.
struct pace_request {
  subscription_owner owner;
  std::string key;
};
struct pacer_tick {};  // the pacer's own: release what its bucket allows
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pace_request& x) {
  return f(caf::meta::type_name("pace_request"), x.owner, x.key);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pacer_tick&) {
  return f(caf::meta::type_name("pacer_tick"));
}
using pacer_actor = caf::typed_actor<caf::reacts_to<pace_request>, caf::reacts_to<pacer_tick>>;

struct subscription_spec {
  std::string owner;        // owner token: events come back on sipcc.sub.<owner>.*
  // The edge for a new dialog: `edges`' pick for the key among the live
  // edges, or `edge_id` (the configured one) without a directory.
  std::string edge_id;
  const edge_directory* edges = nullptr;
  std::string key;          // routes events back to this subscriber
  std::string target_uri;
  std::string event;
  std::string accept;
  uint32_t expires = 600;
  bool eventlist = false;
  std::string contact_params;
  // The owner's shard (sipcc/leases.hpp) when it owns by shard leases.
  std::optional<uint32_t> shard;
};

// Supervision settings from the configured intervals (seconds), the
// edge's transaction timeout (past it plus a margin, a SUBSCRIBE command or
// its answer was lost on the bus) and the first-notify timeout.
sub_settings subscription_settings(uint32_t retry_s, uint32_t backoff_max_s, uint32_t t1x64_ms,
                                   uint32_t first_notify_ms);

class subscriber {
public:
  struct hooks {
    // A current NOTIFY (in CSeq order, stale ones already dropped).
    std::function<void(const v1::SubNotify&)> on_body;
    // Monitoring regained (true: the first NOTIFY came) or lost (false).
    std::function<void(bool)> on_monitoring;
    // No first NOTIFY came and the settings say not to retry: the owner
    // watches the resources another way. Unset when it never gives up.
    std::function<void()> on_gave_up;
  };

  // `self` is the owner the subscriber lives in (its state holds it): a
  // strong handle, so an owner ends by its link to its registry, never as
  // unreachable.
  subscriber(subscription_owner self, bus* nats, pacer_actor pacer, subscription_spec spec,
             sub_settings settings, hooks h);

  void start();
  void stop();
  void paced();
  void timer(uint64_t timer_gen);
  void guard(uint64_t generation);
  void first_notify_timeout(uint64_t generation);
  void event(const v1::SubEvent& ev);
  // Edge `edge` restarted or died: the dialog it held, if this one's, is
  // gone (subscribed again, on a live edge).
  void edge_gone(const std::string& edge);

  const sub_state& state() const { return sub_; }
  // The dialog-info / RLMI version check of the current dialog
  // (check_version): true to apply the body. A dropped one is counted
  // (notify_stale{version}); a partial document whose version went back also
  // makes the subscription start again for full state.
  bool accept_version(long long version, bool full_state);
  const std::string& key() const { return spec_.key; }
  std::string sub_id(uint64_t generation) const;

private:
  void feed(const sub_input& in, const v1::SubNotify* notify = nullptr);
  void publish_unsubscribe(uint64_t generation, const std::string& edge);

  subscription_owner self_;
  bus* nats_;
  pacer_actor pacer_;
  subscription_spec spec_;
  std::string dialog_edge_;  // where the current dialog's SUBSCRIBE went
  sub_settings settings_;
  hooks hooks_;
  sub_state sub_;
};

// Sent by an owner instance as it starts, before its first SUBSCRIBE: the
// edge ends whatever subscriptions a killed former incarnation of `owner`
// left behind (they would refresh for ever, twice the cost on Asterisk).
// With `shards`, by the next holder of those shards' leases, before it
// subscribes them: only what `owner` subscribed for those shards ends.
// Sent to every edge in `edges` (the live ones: a dead edge's dialogs went with it).
void forget_owner_subscriptions(bus& nats, const std::vector<std::string>& edges,
                                const std::string& owner, const std::set<uint32_t>& shards = {});

// The same for shards just taken over (lease_change::previous: shard ->
// the member that held it and died), one command per former holder.
void forget_former_holders(bus& nats, const std::vector<std::string>& edges,
                           const std::map<uint32_t, std::string>& previous);

// A linked pacer: answers each pace_request with sub_paced, in arrival
// order, at most `rate` per second, so a mass (re)subscription never floods
// Asterisk.
pacer_actor spawn_pacer(caf::local_actor* parent, double rate);

// An owner's typed behavior: the handlers for its subscribers' messages
// (`find` maps a key to the subscriber; nullptr: not ours, dropped), then
// its own handlers `own`.
template <class Behavior, class Find, class... Handlers>
Behavior subscriber_behavior(Find find, Handlers... own) {
  return {
      [find](const sub_paced& m) {
        if (auto* s = find(m.key))
          s->paced();
      },
      [find](const sub_retry_timer& m) {
        if (auto* s = find(m.key))
          s->timer(m.timer_gen);
      },
      [find](const sub_guard_timer& m) {
        if (auto* s = find(m.key))
          s->guard(m.generation);
      },
      [find](const sub_first_notify_timer& m) {
        if (auto* s = find(m.key))
          s->first_notify_timeout(m.generation);
      },
      [find](const sub_event_arrived& m) {
        if (auto* s = find(m.ev.key()))
          s->event(m.ev);
      },
      std::move(own)...,
  };
}

}  // namespace sipcc
