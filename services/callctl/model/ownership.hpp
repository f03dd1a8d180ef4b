// callctl runs as members that share the calls by shard leases
// (docs/architecture.md, "Ownership by shard leases"): a call's shard is its
// ConnID's top 16 bits, and only the member holding that shard's lease acts
// on the call, so every request gets one answer. The registry applies these
// rules; they are pure so that they are table-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string_view>

namespace sipcc::callctl {

// The shard a call request, conference request or call check belongs to:
// its ConnID's when that parses and names one of the `shards`; else the
// shard of `fallback_key` (leases::shard_of): ThisDN for a TMakeCall, whose
// new call takes that shard, and for a request with a malformed ConnID,
// whose EventError then comes from one member only.
uint32_t request_shard(std::string_view conn_id, std::string_view fallback_key, uint32_t shards);

// The shard of the next new call: round robin over the shards held, the
// first after `last`, passing over the draining ones (held only until their
// calls end, leases::decide) unless nothing else is held. nullopt: none held.
std::optional<uint32_t> next_shard(const std::set<uint32_t>& held,
                                   const std::set<uint32_t>& draining, uint32_t last);

}  // namespace sipcc::callctl
