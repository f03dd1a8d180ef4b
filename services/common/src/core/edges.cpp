#include "sipcc/edges.hpp"

#include <algorithm>
#include <iterator>

namespace sipcc::edges {

namespace {

bool fresh(const leases::lease_entry& e, int64_t ttl_ms, int64_t now_ms) {
  return now_ms - e.seen_ms < ttl_ms;
}

uint32_t weight(std::string_view key, std::string_view edge) {
  uint32_t h = 2166136261u;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 16777619u;
    }
  };
  mix(key);
  mix("/");
  mix(edge);
  // FNV-1a's low bits barely depend on the last characters; a final
  // avalanche spreads keys evenly over edges whose names differ at the end.
  h ^= h >> 16;
  h *= 0x7feb352dU;
  h ^= h >> 15;
  h *= 0x846ca68bU;
  h ^= h >> 16;
  return h;
}

}  // namespace

std::vector<std::string> live(const leases::lease_table& t, int64_t ttl_ms, int64_t now_ms) {
  std::vector<std::string> out;
  for (const auto& [name, e] : t.members)
    if (fresh(e, ttl_ms, now_ms))
      out.push_back(name);
  return out;  // std::map order: sorted
}

look next(const std::vector<std::string>& before, const leases::lease_table& t, int64_t ttl_ms,
          int64_t now_ms) {
  look out;
  out.live = live(t, ttl_ms, now_ms);
  if (out.live.empty()) {
    out.live = before;
    return out;
  }
  for (const auto& [name, e] : t.members)
    if (!fresh(e, kForgetMs, now_ms))
      out.dead.push_back(name);
  out.changed = diff(before, out.live);
  return out;
}

std::string pick(std::string_view key, const std::vector<std::string>& live,
                 const std::string& fallback) {
  const std::string* best = nullptr;
  uint32_t best_w = 0;
  for (const auto& e : live) {
    auto w = weight(key, e);
    if (!best || w > best_w || (w == best_w && e < *best)) {
      best = &e;
      best_w = w;
    }
  }
  return best ? *best : fallback;
}

change diff(const std::vector<std::string>& before, const std::vector<std::string>& after) {
  change c;
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                      std::back_inserter(c.up));
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                      std::back_inserter(c.gone));
  return c;
}

std::string ready_instance(std::string_view subject) {
  constexpr std::string_view prefix = "sipcc.ops.";
  if (subject.substr(0, prefix.size()) != prefix)
    return "";
  auto rest = subject.substr(prefix.size());
  return std::string(rest.substr(0, rest.find('.')));
}

}  // namespace sipcc::edges
