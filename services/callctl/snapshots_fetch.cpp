#include "snapshots_fetch.hpp"
#include "call_messages.hpp"

#include <algorithm>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "sipcc/bus_schema.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/v1/call.pb.h"

namespace sipcc::callctl {

snapshots_fetch::snapshots_fetch(bus& nats, caf::actor to, std::string owner,
                                 std::vector<std::string> edges, std::string take_over_from,
                                 std::set<uint32_t> shards, std::chrono::milliseconds deadline)
    : nats_(nats),
      to_(std::move(to)),
      owner_(std::move(owner)),
      edges_(std::move(edges)),
      take_over_from_(std::move(take_over_from)),
      shards_(std::move(shards)),
      deadline_(deadline) {
  thread_ = std::thread([this] { run(); });
}

snapshots_fetch::~snapshots_fetch() {
  stop_ = true;
  thread_.join();
}

void snapshots_fetch::fetch_edge(const std::string& edge,
                                 std::chrono::steady_clock::time_point until,
                                 std::vector<std::string>& out) {
  v1::SnapshotQuery q;
  q.set_schema(v1::SCHEMA_V1);
  q.set_owner(owner_);
  q.set_take_over_from(take_over_from_);
  for (auto shard : shards_)
    q.add_shards(shard);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    auto reply = stop_ || left.count() <= 0
                     ? std::nullopt
                     : nats_.request(subj::edge_snapshots(edge), q, left);
    if (!reply) {
      spdlog::warn("restore: edge {} gave no (more) call snapshots in time: the legs of the "
                   "calls not restored are dropped as strays",
                   edge);
      return;
    }
    v1::SnapshotPage page;
    if (!page.ParseFromString(*reply)) {
      process_counters().add(counter_id::bus_decode_errors, "edge_snapshots");
      spdlog::warn("restore: edge {}'s snapshot page ({} bytes) is undecodable", edge,
                   reply->size());
      return;
    }
    for (auto& s : *page.mutable_snapshots())
      out.push_back(std::move(s));
    if (page.next_cursor().empty())
      return;
    q.set_cursor(page.next_cursor());
  }
}

void snapshots_fetch::run() {
  auto until = std::chrono::steady_clock::now() + deadline_;
  snapshots_fetched got;
  for (const auto& edge : edges_)
    fetch_edge(edge, until, got.snapshots);
  spdlog::info("restore: {} call snapshots from {} edge(s)", got.snapshots.size(),
               edges_.size());
  caf::anon_send(to_, std::move(got));
}

}  // namespace sipcc::callctl
