// Several named sip-edge instances, as pure functions. Each edge keeps a
// heartbeat in the lease bucket (key sip-edge.member.<edge-id>, the same
// member keys as sipcc/leases.hpp); the owners of SIP work (presence and
// mwi subscriptions, callctl's calls, media's probes) read the live edges
// from those keys and spread their work over them by rendezvous hashing:
// when an edge dies only what it carried moves, and when one comes back
// nothing else moves with it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sipcc/leases.hpp"

namespace sipcc::edges {

// The heartbeat keys' service part: sip-edge.member.<edge-id>.
inline constexpr std::string_view kService = "sip-edge";
// An edge is live while its heartbeat's revision is younger than this; it
// writes a third as often. presence, mwi and media move a dead edge's work
// within it (plus the moved SUBSCRIBE's own time).
inline constexpr int64_t kTtlMs = 3000;
// callctl waits longer before it ends a silent edge's calls: a stalled
// edge (a paused process, a starved host) loses subscriptions that come
// back by themselves, but ended calls do not come back.
inline constexpr int64_t kCallsTtlMs = 2 * kTtlMs;
// A heartbeat this old is deleted: a dead edge's key does not stay in the
// bucket for ever; longer than every owner's TTL above.
inline constexpr int64_t kForgetMs = 10 * kTtlMs;

// The live edges of the table's members (heartbeat revision seen within
// `ttl_ms`), sorted.
std::vector<std::string> live(const leases::lease_table& t, int64_t ttl_ms, int64_t now_ms);

// The edge for a key among `live` (highest FNV-1a weight of key and edge
// name); `fallback` (the configured edge) when none is live.
std::string pick(std::string_view key, const std::vector<std::string>& live,
                 const std::string& fallback);

// Edges that came up and went away between two sorted live lists.
struct change {
  std::vector<std::string> up;
  std::vector<std::string> gone;
  bool empty() const { return up.empty() && gone.empty(); }
};
change diff(const std::vector<std::string>& before, const std::vector<std::string>& after);

// One look at the heartbeats, from the live edges seen before, with an
// owner's TTL. When no heartbeat at all is fresh, the bus or its store is
// what failed more likely than every edge at once: the live edges stay as
// they were and nothing is gone (callctl would end every call). Otherwise
// the fresh ones are live, and those older than kForgetMs are `dead`:
// their keys are deleted.
struct look {
  std::vector<std::string> live;
  change changed;
  std::vector<std::string> dead;
};
look next(const std::vector<std::string>& before, const leases::lease_table& t, int64_t ttl_ms,
          int64_t now_ms);

// The instance of a ready announcement's subject (sipcc.ops.<instance>.ready).
std::string ready_instance(std::string_view subject);

}  // namespace sipcc::edges
