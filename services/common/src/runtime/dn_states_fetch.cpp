#include "sipcc/dn_states_fetch.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "sipcc/service.hpp"

namespace sipcc {

dn_states_fetch::dn_states_fetch(bus& nats, caf::actor to, std::string who,
                                 std::chrono::milliseconds retry)
    : nats_(nats), to_(std::move(to)), who_(std::move(who)), retry_(retry) {
  thread_ = std::thread([this] { run(); });
}

dn_states_fetch::~dn_states_fetch() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void dn_states_fetch::run() {
  for (int attempt = 1;; ++attempt) {
    auto next = std::chrono::steady_clock::now() + retry_;
    if (auto reply = query_dn_states(nats_, retry_)) {
      spdlog::info("{}: presence reported {} DN states{}", who_, reply->dns_size(),
                   attempt > 1 ? " (after " + std::to_string(attempt) + " asks)" : "");
      caf::anon_send(to_, dn_states_snapshot{std::move(*reply)});
      return;
    }
    if (attempt == 1)
      spdlog::warn("{}: presence did not answer the DN state query; asking again every {} ms "
                   "(meanwhile only the states presence publishes are known)",
                   who_, retry_.count());
    // An unanswered ask returns at once when nobody listens (no responders).
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_until(lock, next, [this] { return stop_; }))
      return;
  }
}

}  // namespace sipcc
