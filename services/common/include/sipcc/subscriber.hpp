// Drives SIP subscriptions through the edge from inside a CAF actor: the
// thin shell around the pure sub_engine, shared by every service that keeps
// subscriptions (presence per DN or resource list, MWI per mailbox). It
// publishes the edge commands, arms the tagged timers, asks the pacer for
// slots and hands NOTIFY bodies and monitoring changes to the owner.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_handler.hpp>

#include "sipcc/bus.hpp"
#include "sipcc/sub_engine.hpp"
#include "sipcc/v1/sip.pb.h"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sipcc::v1::SubEvent)

namespace sipcc {

// (pace_atom, actor, key) to the pacer; (paced_atom, key) back.
using pace_atom = caf::atom_constant<caf::atom("pace")>;
using paced_atom = caf::atom_constant<caf::atom("paced")>;
using sub_timer_atom = caf::atom_constant<caf::atom("subtimer")>;
using sub_guard_atom = caf::atom_constant<caf::atom("subguard")>;
using sub_first_notify_atom = caf::atom_constant<caf::atom("subfirst")>;
using sub_event_atom = caf::atom_constant<caf::atom("subevent")>;
using edge_up_atom = caf::atom_constant<caf::atom("edgeup")>;

struct subscription_spec {
  std::string owner;        // owner token: events come back on sipcc.sub.<owner>.*
  std::string edge_id;      // the edge instance that holds the dialog
  std::string key;          // routes events back to this subscriber
  std::string target_uri;
  std::string event;
  std::string accept;
  uint32_t expires = 600;
  bool eventlist = false;
  std::string contact_params;
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

  subscriber(caf::event_based_actor* self, bus* nats, caf::actor pacer, subscription_spec spec,
             sub_settings settings, hooks h);

  void start();
  void stop();
  void paced();
  void timer(uint64_t timer_gen);
  void guard(uint64_t generation);
  void first_notify_timeout(uint64_t generation);
  void event(const v1::SubEvent& ev);
  // The edge (re)started: the dialog it held is gone.
  void edge_restarted();

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
  void publish_unsubscribe(uint64_t generation);

  caf::event_based_actor* self_;
  bus* nats_;
  caf::actor pacer_;
  subscription_spec spec_;
  sub_settings settings_;
  hooks hooks_;
  sub_state sub_;
};

// A linked pacer: answers each (pace_atom, actor, key) with (paced_atom,
// key), in arrival order, at most `rate` per second, so a mass
// (re)subscription never floods Asterisk.
caf::actor spawn_pacer(caf::event_based_actor* parent, double rate);

// The handlers an actor adds for its subscribers; `find` maps a key to the
// subscriber (nullptr: not ours, message dropped).
caf::message_handler subscriber_handlers(std::function<subscriber*(const std::string&)> find);

}  // namespace sipcc
