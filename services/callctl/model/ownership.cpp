#include "callctl/model/ownership.hpp"

#include "sipcc/conn_id.hpp"
#include "sipcc/leases.hpp"

namespace sipcc::callctl {

uint32_t request_shard(std::string_view conn_id, std::string_view fallback_key, uint32_t shards) {
  auto id = parse_conn_id(conn_id);
  if (id && id->shard < shards)
    return id->shard;
  return leases::shard_of(fallback_key, shards);
}

std::optional<uint32_t> next_shard(const std::set<uint32_t>& held,
                                   const std::set<uint32_t>& draining, uint32_t last) {
  std::set<uint32_t> open;
  for (auto s : held)
    if (!draining.count(s))
      open.insert(s);
  const auto& from = open.empty() ? held : open;
  if (from.empty())
    return std::nullopt;
  auto it = from.upper_bound(last);
  return it == from.end() ? *from.begin() : *it;
}

}  // namespace sipcc::callctl
