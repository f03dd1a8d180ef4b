// ConnID: 16 lower-case hex digits, as T-Library shows them. The top 16 bits
// name the callctl shard that owns the call, so the member holding that
// shard's lease (services/callctl/model/ownership.hpp) is found from the
// ConnID alone, and the edge knows which of a dead member's legs a takeover
// moves.
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
inline constexpr uint64_t k_conn_id_serial_mask = (uint64_t{1} << 48) - 1;

std::string format_conn_id(const conn_id& id);
// nullopt unless exactly 16 hex digits.
std::optional<conn_id> parse_conn_id(std::string_view text);

}  // namespace sipcc
