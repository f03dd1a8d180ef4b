// A SnapshotQuery as callctl sends it to an edge (sipcc.edge.<edge-id>.
// snapshots): a plain restore by `owner`, or with `take_over_from` and the
// shards taken, a takeover.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sipcc/v1/call.pb.h"

namespace sipcc::edge {

inline v1::SnapshotQuery snapshot_query(std::string owner, std::string take_over_from = "",
                                        std::vector<uint32_t> shards = {}) {
  v1::SnapshotQuery q;
  q.set_owner(std::move(owner));
  q.set_take_over_from(std::move(take_over_from));
  for (auto s : shards)
    q.add_shards(s);
  return q;
}

}  // namespace sipcc::edge
