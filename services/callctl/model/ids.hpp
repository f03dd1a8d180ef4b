// ConnID: 16 lower-case hex digits, as T-Library shows them. The top 16 bits
// name the callctl shard that owns the call, so a call request can be routed
// to its owner from the ConnID alone (sipcc.tlib.req.call.<dn> today; a
// shard token in that subject when callctl scales out).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sipcc {

struct conn_id {
  uint16_t shard = 0;
  uint64_t serial = 0;  // 48 bits
};

std::string format_conn_id(const conn_id& id);
// nullopt unless exactly 16 hex digits.
std::optional<conn_id> parse_conn_id(std::string_view text);

// Unique per shard across restarts: serials start from the start-up time in
// milliseconds, so a restarted instance does not reuse a ConnID of the last run.
class conn_id_generator {
public:
  conn_id_generator(uint16_t shard, uint64_t start_ms);
  std::string next();
  // A ConnID of the last run still in use (a restored call): next() never
  // gives it again. A ConnID of another shard, or none, changes nothing.
  void pass(std::string_view conn_id);

private:
  uint16_t shard_;
  uint64_t serial_;
};

}  // namespace sipcc
