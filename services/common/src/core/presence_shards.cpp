#include "sipcc/presence_shards.hpp"

#include "sipcc/leases.hpp"

namespace sipcc {

presence_shards make_presence_shards(const config& cfg) {
  presence_shards s;
  s.count = cfg.presence_shards;
  for (const auto& l : cfg.resource_lists)
    for (const auto& dn : l.dns)
      s.list_of.emplace(dn, l.name);
  return s;
}

uint32_t presence_shard_of(const presence_shards& s, const std::string& dn) {
  auto it = s.list_of.find(dn);
  return it == s.list_of.end() ? leases::shard_of(dn, s.count) : list_shard_of(s, it->second);
}

uint32_t list_shard_of(const presence_shards& s, const std::string& list_name) {
  return leases::shard_of(list_name, s.count);
}

uint32_t state_query_shard(const presence_shards& s, v1::StateQuery::Kind kind,
                           const std::string& id) {
  switch (kind) {
    case v1::StateQuery::DN: return presence_shard_of(s, id);
    case v1::StateQuery::AGENT: return leases::shard_of(id, s.count);
    default: return 0;
  }
}

}  // namespace sipcc
