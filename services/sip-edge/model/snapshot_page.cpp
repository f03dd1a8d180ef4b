#include "sip-edge/model/snapshot_page.hpp"

#include <algorithm>

#include "sipcc/bus_schema.hpp"
#include "sipcc/conn_id.hpp"

namespace sipcc::edge {

v1::SnapshotPage snapshot_page(const kept_snapshots& kept, const std::string& cursor,
                               size_t max_bytes) {
  v1::SnapshotPage page;
  size_t bytes = 0;
  auto it = cursor.empty() ? kept.begin() : kept.upper_bound(cursor);
  for (; it != kept.end(); ++it) {
    if (page.snapshots_size() > 0 && bytes + it->second->size() > max_bytes) {
      page.set_next_cursor(std::prev(it)->first);
      break;
    }
    bytes += it->second->size();
    page.add_snapshots(*it->second);
  }
  return page;
}

bool taken_over(const std::string& leg_owner, const std::string& conn_id,
                const v1::SnapshotQuery& q) {
  // The new owner becomes a subject token (sipcc.leg.<owner>.<leg-id>).
  if (q.take_over_from().empty() || leg_owner != q.take_over_from() ||
      !valid_subject_token(q.owner()))
    return false;
  auto id = parse_conn_id(conn_id);
  return id && std::find(q.shards().begin(), q.shards().end(), id->shard) != q.shards().end();
}

}  // namespace sipcc::edge
