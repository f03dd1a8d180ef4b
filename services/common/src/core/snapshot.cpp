#include "sipcc/snapshot.hpp"

namespace sipcc {

v1::DnSnapshot snapshot_dn(const v1::DnState& st, const sub_state& sub) {
  v1::DnSnapshot snap;
  snap.set_schema(v1::SCHEMA_V1);
  *snap.mutable_state() = st;
  snap.set_sub_generation(sub.generation);
  snap.set_dialog_tag(sub.dialog_tag);
  snap.set_last_cseq(sub.have_cseq ? sub.last_cseq : 0);
  snap.set_last_version(sub.last_version);
  snap.set_retry_attempt(sub.failures);
  return snap;
}

void restore_dn(const v1::DnSnapshot& snap, v1::DnState& st, sub_state& sub) {
  st = snap.state();
  sub = sub_state{};
  sub.generation = snap.sub_generation();
  sub.dialog_tag = snap.dialog_tag();
  sub.have_cseq = snap.last_cseq() > 0;
  sub.last_cseq = snap.last_cseq();
  sub.last_version = snap.last_version();
  sub.failures = snap.retry_attempt();
  // Only a live subscription survives the move; anything else starts over.
  sub.live = st.monitor() == v1::MONITOR_ACTIVE;
  sub.phase = sub.live ? sub_phase::active : sub_phase::idle;
}

}  // namespace sipcc
