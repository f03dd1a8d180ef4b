// An established call as a compact snapshot, kept with its legs at the edge
// (LegKeepSnapshot, proto/sipcc/v1/call.proto), so that a callctl restarted
// after a crash restores the call instead of dropping its legs as strays.
// Only a quiescent established call has one: nothing of it is half done
// (a re-INVITE, a hold step, a transfer, a conference or recording, a
// treatment's media leg, a TAnswerCall, a 491 retry), so the call model's
// fields below are all there is to it; anything else ends with its callctl.
// So has a routed call answered by its agent whose customer has the 200 and
// has not ACKed it yet (awaiting_ack): its ACK may reach the edge while the
// owner is dead, so the restored call takes it as come (call_actor).
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "callctl/model/call_fsm.hpp"
#include "callctl/model/call_table.hpp"
#include "callctl/model/sdp.hpp"
#include "sipcc/v1/call.pb.h"

namespace sipcc::callctl {

// sipcc's o= line toward each leg (leg id -> its origin).
using origin_map = std::unordered_map<std::string, leg_origin>;

// Whether `c` is established with nothing under way: what a snapshot keeps.
bool quiescent(const call& c);
// A routed call in [connecting]: the agent's 200 went to the customer, whose
// ACK has not come. Its snapshot says so by customer_answered = false.
bool awaiting_ack(const call& c);

// The snapshot of call `c`, whose legs edge `edge` holds and whose o= lines
// toward them are in `origins`, with seq 0 (the sender numbers them);
// nothing unless the call is quiescent. The same call gives the same bytes.
std::optional<v1::CallSnapshot> snapshot_of(const call& c, const std::string& edge,
                                            const origin_map& origins);

// What a snapshot gives back: the call (established), its edge, the o=
// lines toward its legs, and the snapshot's seq.
struct restored_call {
  call c;
  std::string edge;
  origin_map origins;
  uint64_t seq = 0;
};

// The call that `snap` keeps, or (nullopt) `error` saying why it cannot be
// restored.
struct restore_outcome {
  std::optional<restored_call> call;
  std::string error;
};
restore_outcome restore_call(const v1::CallSnapshot& snap);

// The snapshots the edges gave back (serialized CallSnapshots, one from each
// leg of a call): one call per ConnID, the highest seq winning; `errors`
// says why each snapshot that cannot be restored was left out.
struct restore_plan {
  std::vector<restored_call> calls;
  std::vector<std::string> errors;
};
restore_plan plan_restore(const std::vector<std::string>& snapshots);

// The restored call `r` in the table: its ConnID, its two legs, and for a
// made call its ThisDN (one TMakeCall at a time per DN).
void open_restored_call(call_table& t, const restored_call& r);

}  // namespace sipcc::callctl
