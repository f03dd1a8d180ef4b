#include "sip-edge/model/snapshot_page.hpp"

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

}  // namespace sipcc::edge
