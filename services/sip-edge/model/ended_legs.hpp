// Legs of restorable calls that ended at the edge (a BYE, a CANCEL, a
// timeout), with the owner they had. The leg's last events went to that
// owner; if it was dead (killed, its shards not yet taken over), they are
// lost, and the call it restores from the other leg's snapshot would wait
// for the audit to learn the leg is gone. So the owner that next asks for
// the snapshots of such a leg (a restarted owner, or the member taking over
// its shard) is told again, once, that the leg is gone.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <unordered_set>
#include <vector>

#include "sipcc/v1/call.pb.h"

namespace sipcc::edge {

struct ended_leg {
  std::string leg_id, conn_id, owner;
  std::chrono::steady_clock::time_point at;
};

class ended_legs {
public:
  // Kept for `keep` (past any takeover or restart), at most `max` of them
  // (the oldest go first).
  ended_legs(std::chrono::milliseconds keep, size_t max) : keep_(keep), max_(max) {}

  void add(ended_leg leg);
  // The legs that ended within `keep` before `now` and that the query's
  // asker owns now: its own (a restarted owner) or, for a takeover, the
  // dead member's on calls in the shards taken. Each is given once, and only
  // if its call is in `restorable` (the ConnIDs whose snapshots the asker
  // gets): of a call that ended whole, the new owner knows nothing.
  std::vector<ended_leg> take(const v1::SnapshotQuery& q,
                              const std::unordered_set<std::string>& restorable,
                              std::chrono::steady_clock::time_point now);
  size_t size() const { return legs_.size(); }

private:
  void expire(std::chrono::steady_clock::time_point now);

  std::chrono::milliseconds keep_;
  size_t max_;
  std::deque<ended_leg> legs_;  // oldest first
};

}  // namespace sipcc::edge
