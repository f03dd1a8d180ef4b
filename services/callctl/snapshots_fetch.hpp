// A restarted callctl takes back its established calls from the snapshots
// its edges keep on their legs (callctl/model/call_snapshot.hpp). At start
// it asks each edge it knows (sipcc.edge.<edge-id>.snapshots, page after
// page) on a thread of its own, within a deadline shorter than the edge's
// wait for a claim (3 s): an edge that does not answer in time has its
// legs treated as strays, as before. The answer, whatever it holds, reaches
// the registry as one snapshots_fetched message. A takeover (`take_over_from`
// a dead member, its `shards`) asks the same, with the edge first moving
// that member's legs in those shards to this one.
#pragma once

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor.hpp>

#include "sipcc/bus.hpp"

namespace sipcc::callctl {

class snapshots_fetch {
public:
  snapshots_fetch(bus& nats, caf::actor to, std::string owner, std::vector<std::string> edges,
                  std::string take_over_from = "", std::set<uint32_t> shards = {},
                  std::chrono::milliseconds deadline = std::chrono::seconds(2));
  ~snapshots_fetch();
  snapshots_fetch(const snapshots_fetch&) = delete;
  snapshots_fetch& operator=(const snapshots_fetch&) = delete;

private:
  void run();
  // Every page of `edge`'s snapshots into `out`, until `until`.
  void fetch_edge(const std::string& edge, std::chrono::steady_clock::time_point until,
                  std::vector<std::string>& out);

  bus& nats_;
  caf::actor to_;
  std::string owner_;
  std::vector<std::string> edges_;
  std::string take_over_from_;
  std::set<uint32_t> shards_;
  std::chrono::milliseconds deadline_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace sipcc::callctl
