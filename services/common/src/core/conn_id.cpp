#include "sipcc/conn_id.hpp"

#include <cstdio>

namespace sipcc {

std::string format_conn_id(const conn_id& id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>((uint64_t{id.shard} << 48) |
                                                (id.serial & k_conn_id_serial_mask)));
  return buf;
}

std::optional<conn_id> parse_conn_id(std::string_view text) {
  if (text.size() != 16)
    return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return std::nullopt;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return conn_id{static_cast<uint16_t>(v >> 48), v & k_conn_id_serial_mask};
}

}  // namespace sipcc
