#include "callctl/model/ids.hpp"

#include <cstdio>

namespace sipcc {

namespace {
constexpr uint64_t kSerialMask = (uint64_t{1} << 48) - 1;
}

std::string format_conn_id(const conn_id& id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>((uint64_t{id.shard} << 48) |
                                                (id.serial & kSerialMask)));
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
  return conn_id{static_cast<uint16_t>(v >> 48), v & kSerialMask};
}

conn_id_generator::conn_id_generator(uint16_t shard, uint64_t start_ms)
    : shard_(shard), serial_(start_ms & kSerialMask) {}

std::string conn_id_generator::next() {
  serial_ = (serial_ + 1) & kSerialMask;
  return format_conn_id({shard_, serial_});
}

void conn_id_generator::pass(std::string_view text) {
  auto id = parse_conn_id(text);
  if (id && id->shard == shard_ && id->serial > serial_)
    serial_ = id->serial;
}

}  // namespace sipcc
