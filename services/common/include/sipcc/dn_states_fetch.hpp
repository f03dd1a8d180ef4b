// Presence publishes a DN's state only when it changes, so a service that
// starts (router, mwi, callctl) asks it for every DN's state. Presence may
// start later or be restarting: the question is asked again until it is
// answered, and the answer reaches the service's root actor as a message.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

#include "sipcc/actor_host.hpp"
#include "sipcc/bus.hpp"
#include "sipcc/v1/state.pb.h"

namespace sipcc {

// Every DN's state as presence reported it. A state published on the bus
// since the question was asked is newer: the receiver lets it win.
struct dn_states_snapshot {
  v1::StateReply reply;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dn_states_snapshot& x) {
  return inspect_with_proto(f, "dn_states_snapshot", x.reply);
}

// Asks at once and then every `retry` until presence answers, on a thread
// of its own (start-up does not wait for presence); stops with the object.
// Subscribe to sipcc.state.dn.* before, so no change falls in between.
class dn_states_fetch {
public:
  dn_states_fetch(bus& nats, caf::actor to, std::string who,
                  std::chrono::milliseconds retry = std::chrono::seconds(2));
  ~dn_states_fetch();
  dn_states_fetch(const dn_states_fetch&) = delete;
  dn_states_fetch& operator=(const dn_states_fetch&) = delete;

private:
  void run();

  bus& nats_;
  caf::actor to_;
  std::string who_;
  std::chrono::milliseconds retry_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sipcc
