#include "sipcc/actor_host.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "sipcc/counters.hpp"

namespace sipcc {

namespace {

// A health query, to answer on the bus subject `reply`.
struct health_probe {
  std::string reply;
};
// Test-only fault injection (SIPCC_FAULT_INJECTION=1): the health actor
// throws `reason`.
struct injected_fault {
  std::string reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, health_probe& x) {
  return f(caf::meta::type_name("health_probe"), x.reply);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, injected_fault& x) {
  return f(caf::meta::type_name("injected_fault"), x.reason);
}

using health_actor =
    caf::typed_actor<caf::reacts_to<health_probe>, caf::reacts_to<injected_fault>>;

// Linked to the root: it ends with the root, so shutdown() needs nothing
// more, and its unhandled exception ends the root the way any linked
// sibling's failure does, which is what fault injection is for.
health_actor::behavior_type health(health_actor::pointer self, bus_root root, supervision* sup) {
  self->link_to(root);
  // CAF's default handler keeps only "runtime_error" as the exit reason (the
  // text goes to stdout, racing the exit): keep the text in the reason.
  self->set_exception_handler([](std::exception_ptr& x) -> caf::error {
    try {
      std::rethrow_exception(x);
    } catch (const std::exception& e) {
      return caf::make_error(caf::sec::runtime_error, e.what());
    } catch (...) {
      return caf::make_error(caf::sec::runtime_error);
    }
  });
  return {
      [sup](const health_probe& p) { sup->answer(p.reply); },
      [](const injected_fault& f) { throw std::runtime_error(f.reason); },
  };
}

}  // namespace

actor_host::actor_host(supervision& sup) : sup_(sup) {
  // The default work-stealing scheduler polls aggressively: idle CPU and
  // hand-off latency both drop with this (STACK-NOTES).
  cfg_.set("work-stealing.moderate-poll-attempts", size_t{0});
  // An idle worker then sleeps on a condition variable that work sent to it
  // wakes at once; the timeout only says how soon it steals from a busy one.
  // Every 10 ms (the default) was half of an idle service's CPU.
  cfg_.set("work-stealing.relaxed-sleep-duration", caf::timespan{std::chrono::milliseconds(100)});
  sys_ = std::make_unique<caf::actor_system>(cfg_);
}

actor_host::~actor_host() { shutdown(); }

bool decode_bus(const std::string& subject, const std::string& data,
                google::protobuf::Message& out, const char* family) {
  if (out.ParseFromString(data))
    return true;
  process_counters().add(counter_id::bus_decode_errors, family);
  spdlog::warn("bus: undecodable {} on {} dropped", family, subject);
  return false;
}

void actor_host::set_root(bus_root root) {
  root_ = std::move(root);
  // Runs when the root ends, on the thread that ended it. Unless shutdown()
  // began, that is a failure: run_service exits rather than stay a process
  // that is up, announced ready, and does nothing.
  caf::actor_cast<caf::actor>(root_)->attach_functor([this](const caf::error& reason) {
    if (!stopping_)
      sup_.root_failed(reason ? sys_->render(reason) : "a normal exit");
  });
  auto h = sys_->spawn(health, root_, &sup_);
  sup_.attach({[h](const std::string& reply) { caf::anon_send(h, health_probe{reply}); },
               [h](const std::string& reason) { caf::anon_send(h, injected_fault{reason}); }});
}

std::string actor_host::bridge(bus& nats, const std::vector<std::string>& subjects,
                               const std::string& queue) {
  std::string listed;
  for (auto& s : subjects) {
    listed += (listed.empty() ? "" : ", ") + s;
    nats.subscribe(
        s,
        [this](bus_msg m) {
          caf::anon_send(root_, std::move(m));
        },
        queue);
  }
  return listed;
}

void actor_host::shutdown() {
  if (!sys_)
    return;
  stopping_ = true;
  // Drops the health actor's handles too (a handle outliving the system
  // hangs the exit).
  sup_.detach();
  if (root_)
    caf::anon_send_exit(root_, caf::exit_reason::user_shutdown);
  root_ = nullptr;
  sys_.reset();  // waits for every actor to finish
}

}  // namespace sipcc
