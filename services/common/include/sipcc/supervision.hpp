// Supervision of one service process, between run_service and actor_host:
// actor_host reports its root actor's unexpected end here (run_service then
// exits with kRootFailedExit instead of staying up, announced ready, doing
// nothing), and lets health queries (sipcc.ops.<instance>.health) reach its
// actors, so that an OK answer proves the actor system works, not only the
// NATS thread. Plain C++, no CAF, no NATS: each side hands it functions.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "sipcc/v1/ops.pb.h"

namespace sipcc {

// The exit status of a process whose root actor ended other than by an
// orderly shutdown, or that failed its own health check before announcing
// itself ready (EX_SOFTWARE in sysexits.h).
inline constexpr int kRootFailedExit = 70;

// The environment variable that turns the test-only fault injection on, and
// whether its value does: "1" only, so that a stray value leaves it off.
inline constexpr const char* kFaultInjectionVariable = "SIPCC_FAULT_INJECTION";
bool fault_injection_enabled(const char* value);

// What a health reply is made from.
struct health_facts {
  std::string service;
  std::string instance;
  int64_t started_us = 0;
  std::optional<std::string> failure;  // why the root actor ended
  bool stopping = false;               // its actors were shut down in order
  bool by_actor = false;  // answered from inside the actor system, not the bus thread
};

// FAILING after a failure or once stopping, else OK; the detail in plain words.
v1::HealthReply health_reply(const health_facts& f);

class supervision {
public:
  using publish_fn = std::function<void(const std::string& subject, const v1::HealthReply&)>;
  // How the actor side is reached; both are called on a bus thread and must
  // only hand a message on.
  struct actor_side {
    // Makes an actor call answer(reply).
    std::function<void(const std::string& reply)> ask;
    // Makes the root actor fail with `reason` (fault injection).
    std::function<void(const std::string& reason)> fail;
  };

  // run_service, before the service starts: who this is, how replies leave,
  // and `wake`, called (on an actor's thread) when the root actor failed.
  void serve(std::string service, std::string instance, int64_t started_us, publish_fn publish,
             std::function<void()> wake);
  // run_service, before the bus closes: nothing is published or woken after.
  void stop_serving();

  // actor_host (one per process): its actors can be asked from now on...
  void attach(actor_side side);
  // ...and no longer, because they are being shut down in order.
  void detach();
  // actor_host: the root actor ended, not by detach()'s orderly shutdown.
  // The first reason is kept.
  void root_failed(const std::string& reason);
  std::optional<std::string> failure() const;

  // A HealthQuery to answer on `reply`: at once when failing, stopping or
  // without actors (sip-edge), else through the actors' answer().
  void query(const std::string& reply);
  // A FaultInjection; false when no actors are attached to fail.
  bool inject_fault(const std::string& reason);
  // An actor: the query made it through the actor system.
  void answer(const std::string& reply);

private:
  void publish_locked(const std::string& reply, bool by_actor);

  mutable std::mutex mu_;
  health_facts facts_;
  publish_fn publish_;
  std::function<void()> wake_;
  std::optional<actor_side> actors_;
};

// The process's one supervision, as process_counters() is its one counter set.
supervision& process_supervision();

}  // namespace sipcc
