// The call snapshots an edge keeps on its legs (LegKeepSnapshot), given
// back to a restarted callctl a page at a time (sipcc.edge.<edge-id>.
// snapshots), so that thousands of calls never make a reply larger than
// NATS takes (max_payload, 1 MB by default).
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "sipcc/v1/call.pb.h"

namespace sipcc::edge {

// The largest page the edge sends: far below NATS's default max_payload.
inline constexpr size_t k_snapshot_page_bytes = 256 * 1024;

// One owner's kept snapshots, by leg id (ordered: the cursor is a leg id).
using kept_snapshots = std::map<std::string, const std::string*>;

// The snapshots of the legs after `cursor` (empty: from the first), in
// leg-id order, as many as fit in `max_bytes` (always one, however large);
// next_cursor names the last leg given when more follow, else is empty.
v1::SnapshotPage snapshot_page(const kept_snapshots& kept, const std::string& cursor,
                               size_t max_bytes = k_snapshot_page_bytes);

// A takeover query (SnapshotQuery take_over_from, shards): whether a leg
// of `leg_owner` on call `conn_id` moves to the query's owner, the callctl
// member that now holds the call's shard.
bool taken_over(const std::string& leg_owner, const std::string& conn_id,
                const v1::SnapshotQuery& q);

}  // namespace sipcc::edge
