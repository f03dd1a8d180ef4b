#include "sip-edge/model/ended_legs.hpp"

#include <utility>

#include "sip-edge/model/snapshot_page.hpp"

namespace sipcc::edge {

void ended_legs::add(ended_leg leg) {
  expire(leg.at);
  legs_.push_back(std::move(leg));
  while (legs_.size() > max_)
    legs_.pop_front();
}

std::vector<ended_leg> ended_legs::take(const v1::SnapshotQuery& q,
                                        const std::unordered_set<std::string>& restorable,
                                        std::chrono::steady_clock::time_point now) {
  expire(now);
  std::vector<ended_leg> out;
  std::deque<ended_leg> kept;
  for (auto& l : legs_) {
    const bool its_own = q.take_over_from().empty() && l.owner == q.owner();
    if (!its_own && !taken_over(l.owner, l.conn_id, q))
      kept.push_back(std::move(l));
    else if (restorable.count(l.conn_id))
      out.push_back(std::move(l));
    // else: the asker's now, of a call with nothing left to restore
  }
  legs_ = std::move(kept);
  return out;
}

void ended_legs::expire(std::chrono::steady_clock::time_point now) {
  while (!legs_.empty() && now - legs_.front().at > keep_)
    legs_.pop_front();
}

}  // namespace sipcc::edge
