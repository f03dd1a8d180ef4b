// The edges' leg audits, reconciled with callctl's leg table as a pure
// function: an edge lists the legs it holds for callctl; the legs callctl
// does not know are dropped at the edge, and a leg the edge stopped listing
// ends its call's hold on it (twice in a row, so a leg created while the
// list was on its way is not taken for lost; once when the edge restarted
// and so holds nothing).
#pragma once

#include <string>
#include <vector>

#include "callctl/model/call_table.hpp"
#include "sipcc/v1/call.pb.h"

namespace sipcc::callctl {

// Misses after which a leg counts as lost: an ordinary audit, an edge restart.
inline constexpr int k_audit_misses = 2;
inline constexpr int k_restart_misses = 1;

struct lost_leg {
  std::string leg_id;
  std::string conn_id;
  std::string edge;
};

struct audit_outcome {
  std::vector<std::string> strays;  // listed, unknown to callctl: drop them at the edge
  std::vector<lost_leg> lost;       // their calls hear that the leg is gone
  leg_table legs;                   // the table without the lost legs
};

audit_outcome reconcile_audit(leg_table legs, const v1::LegAudit& audit, int misses_to_lose);

// The edge command that drops stray leg `leg_id`.
v1::LegCommand stray_drop(const std::string& leg_id);
// The event that tells leg `l`'s call the edge no longer holds it.
v1::LegEvent lost_event(const lost_leg& l);

}  // namespace sipcc::callctl
