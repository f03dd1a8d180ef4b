// New ConnIDs (sipcc/conn_id.hpp) of one callctl member.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sipcc/conn_id.hpp"

namespace sipcc {

// Unique per member across restarts: serials start from the start-up time in
// milliseconds, so a restarted member does not reuse a ConnID of the last run,
// and one serial runs over every shard the member gives ConnIDs in. A shard
// taken over from another member could repeat one of its ConnIDs only if
// that member gave out more than one per millisecond since it started.
class conn_id_generator {
public:
  explicit conn_id_generator(uint64_t start_ms);
  std::string next(uint16_t shard);
  // A ConnID of the last run still in use (a restored call): next() never
  // gives its serial again. Not a ConnID: nothing changes.
  void pass(std::string_view conn_id);

private:
  uint64_t serial_;
};

}  // namespace sipcc
