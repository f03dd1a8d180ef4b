#include "callctl/model/audit.hpp"

#include <unordered_set>

namespace sipcc::callctl {

audit_outcome reconcile_audit(leg_table legs, const v1::LegAudit& audit, int misses_to_lose) {
  audit_outcome out;
  const auto& edge = audit.edge_id();
  std::unordered_set<std::string> listed;
  for (const auto& id : audit.leg_ids())
    if (listed.insert(id).second && !legs.count(id))
      out.strays.push_back(id);
  for (auto it = legs.begin(); it != legs.end();) {
    auto& info = it->second;
    if (info.edge != edge) {
      ++it;
    } else if (listed.count(it->first)) {
      info.misses = 0;
      ++it;
    } else if (++info.misses < misses_to_lose) {
      ++it;
    } else {
      out.lost.push_back({it->first, info.conn_id, info.edge});
      it = legs.erase(it);
    }
  }
  out.legs = std::move(legs);
  return out;
}

v1::LegCommand stray_drop(const std::string& leg_id) {
  v1::LegCommand cmd;
  cmd.set_schema(v1::SCHEMA_V1);
  cmd.set_leg_id(leg_id);
  cmd.mutable_drop()->set_why("callctl knows no call for it");
  return cmd;
}

v1::LegEvent lost_event(const lost_leg& l) {
  v1::LegEvent gone;
  gone.set_schema(v1::SCHEMA_V1);
  gone.set_leg_id(l.leg_id);
  gone.set_edge_id(l.edge);
  gone.set_conn_id(l.conn_id);
  gone.mutable_gone()->set_why("missing from the edge's audit");
  return gone;
}

}  // namespace sipcc::callctl
