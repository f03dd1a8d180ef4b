// The runtime around sipcc/edges.hpp: an edge's heartbeat, and the live
// edges as their owners of SIP work see them.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <caf/meta/type_name.hpp>

#include "sipcc/bus.hpp"
#include "sipcc/edges.hpp"
#include "sipcc/kv.hpp"
#include "sipcc/ticker.hpp"

struct __kvWatcher;

namespace sipcc {

// To the actors whose work was on edge `edge`: it restarted (it announced
// itself again) or died (its heartbeat stopped); the dialogs and registrar
// bindings it held are gone.
struct edge_gone {
  std::string edge;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, edge_gone& x) {
  return f(caf::meta::type_name("edge_gone"), x.edge);
}

// Keeps sip-edge.member.<edge-id> fresh in the lease bucket (written once
// before the constructor returns, then every third of edges::kTtlMs) and
// deletes it on destruction, so a stopped edge's work moves at once.
class edge_heartbeat {
public:
  edge_heartbeat(bus& nats, std::string edge_id);
  ~edge_heartbeat();
  edge_heartbeat(const edge_heartbeat&) = delete;
  edge_heartbeat& operator=(const edge_heartbeat&) = delete;

private:
  void put();
  std::string key_;
  kv_bucket bucket_;
  std::unique_ptr<ticker> ticker_;
};

// The live edges, from a watch on the heartbeats (a thread of its own).
// Known at once from the values stored before the watch; the on_change
// callback runs on that thread for every later change, and a dead edge's
// stale key is deleted. With no live edge, pick() and live() name `fallback` (the
// configured sip-edge.id), so a service started before any edge still
// sends its work where the configuration says.
class edge_directory {
public:
  using change_fn = std::function<void(const edges::change&)>;
  // An edge is gone once its heartbeat is `ttl_ms` old (edges::kTtlMs, or
  // callctl's edges::kCallsTtlMs).
  edge_directory(bus& nats, std::string fallback, int64_t ttl_ms = edges::kTtlMs);
  ~edge_directory();
  edge_directory(const edge_directory&) = delete;
  edge_directory& operator=(const edge_directory&) = delete;

  // The edge for work `key` (sipcc/edges.hpp pick).
  std::string pick(std::string_view key) const;
  // Every live edge (at least the fallback).
  std::vector<std::string> live() const;
  // Whether `instance` (a ready announcement's) is an edge whose dialogs an
  // owner may hold: a live one, or the configured fallback.
  bool holds_work(const std::string& instance) const;
  // What to call for each later change (empty: nothing). Waits for a call
  // under way: once it is set empty, nothing it captured is used again.
  void on_change(change_fn f);

private:
  void tick();
  void drain(int64_t wait_ms);
  std::string fallback_;
  int64_t ttl_ms_;
  kv_bucket bucket_;
  __kvWatcher* watcher_ = nullptr;
  leases::lease_table table_;  // the ticker's own
  bool stored_ = true;         // still reading the values stored before the watch
  mutable std::mutex mu_;
  std::vector<std::string> live_;  // under mu_
  std::mutex tell_mu_;
  change_fn on_change_;  // under tell_mu_, held while it runs
  std::unique_ptr<ticker> ticker_;  // last: stopped first
};

}  // namespace sipcc
