#include "callctl/model/ids.hpp"

namespace sipcc {

conn_id_generator::conn_id_generator(uint64_t start_ms) : serial_(start_ms & k_conn_id_serial_mask) {}

std::string conn_id_generator::next(uint16_t shard) {
  serial_ = (serial_ + 1) & k_conn_id_serial_mask;
  return format_conn_id({shard, serial_});
}

void conn_id_generator::pass(std::string_view text) {
  auto id = parse_conn_id(text);
  if (id && id->serial > serial_)
    serial_ = id->serial;
}

}  // namespace sipcc
