// A DN actor's whole state as one protobuf message, so another instance can
// take the DN over (a later step keeps these in JetStream KV).
#pragma once

#include "sipcc/sub_engine.hpp"
#include "sipcc/v1/state.pb.h"

namespace sipcc {

v1::DnSnapshot snapshot_dn(const v1::DnState& st, const sub_state& sub);

// The restored subscription keeps its generation, dialog and ordering, so
// the edge's events for the live dialog are still recognised as current.
void restore_dn(const v1::DnSnapshot& snap, v1::DnState& st, sub_state& sub);

}  // namespace sipcc
