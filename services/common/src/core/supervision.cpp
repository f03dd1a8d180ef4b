#include "sipcc/supervision.hpp"

#include <cstring>

namespace sipcc {

bool fault_injection_enabled(const char* value) {
  return value && std::strcmp(value, "1") == 0;
}

v1::HealthReply health_reply(const health_facts& f) {
  v1::HealthReply r;
  r.set_schema(v1::SCHEMA_V1);
  r.set_service(f.service);
  r.set_instance(f.instance);
  r.set_started_us(f.started_us);
  if (f.failure) {
    r.set_status(v1::HEALTH_FAILING);
    r.set_detail("the root actor ended (" + *f.failure + "); the process is exiting");
  } else if (f.stopping) {
    r.set_status(v1::HEALTH_FAILING);
    r.set_detail("stopping: its actors were shut down");
  } else {
    r.set_status(v1::HEALTH_OK);
    r.set_detail(f.by_actor ? "its actor system answered"
                            : "its bus thread answered (no actor system in this process)");
  }
  return r;
}

void supervision::serve(std::string service, std::string instance, int64_t started_us,
                        publish_fn publish, std::function<void()> wake) {
  std::lock_guard<std::mutex> g(mu_);
  facts_.service = std::move(service);
  facts_.instance = std::move(instance);
  facts_.started_us = started_us;
  publish_ = std::move(publish);
  wake_ = std::move(wake);
}

void supervision::stop_serving() {
  std::lock_guard<std::mutex> g(mu_);
  publish_ = nullptr;
  wake_ = nullptr;
}

void supervision::attach(actor_side side) {
  std::lock_guard<std::mutex> g(mu_);
  actors_ = std::move(side);
  facts_.stopping = false;
}

void supervision::detach() {
  std::lock_guard<std::mutex> g(mu_);
  // Holding the lock: once this returns, no ask or fail is under way.
  if (actors_)
    facts_.stopping = true;
  actors_.reset();
}

void supervision::root_failed(const std::string& reason) {
  std::function<void()> wake;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (!facts_.failure)
      facts_.failure = reason;
    wake = wake_;
  }
  if (wake)
    wake();
}

std::optional<std::string> supervision::failure() const {
  std::lock_guard<std::mutex> g(mu_);
  return facts_.failure;
}

void supervision::query(const std::string& reply) {
  std::lock_guard<std::mutex> g(mu_);
  if (actors_ && !facts_.failure)
    actors_->ask(reply);
  else
    publish_locked(reply, false);
}

bool supervision::inject_fault(const std::string& reason) {
  std::lock_guard<std::mutex> g(mu_);
  if (!actors_)
    return false;
  actors_->fail(reason);
  return true;
}

void supervision::answer(const std::string& reply) {
  std::lock_guard<std::mutex> g(mu_);
  publish_locked(reply, true);
}

void supervision::publish_locked(const std::string& reply, bool by_actor) {
  if (!publish_)
    return;
  auto facts = facts_;
  facts.by_actor = by_actor;
  publish_(reply, health_reply(facts));
}

supervision& process_supervision() {
  static supervision s;
  return s;
}

}  // namespace sipcc
