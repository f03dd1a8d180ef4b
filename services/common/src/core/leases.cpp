#include "sipcc/leases.hpp"

#include <algorithm>
#include <stdexcept>

namespace sipcc::leases {

namespace {

bool token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

}  // namespace

bool valid_instance_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), token_char);
}

namespace {

bool expired(const lease_entry& e, const lease_params& p, int64_t now_ms) {
  return now_ms - e.seen_ms >= p.ttl_ms;
}

// Held by this member's own last write (whatever its age: a renew may
// still succeed when nobody moved the revision).
bool held(const lease_table& t, const own_leases& own, const lease_params& p, uint32_t shard) {
  auto e = t.shards.find(shard);
  auto o = own.find(shard);
  return e != t.shards.end() && o != own.end() && e->second.holder == p.self &&
         e->second.revision == o->second.revision;
}

}  // namespace

uint32_t shard_of(std::string_view key, uint32_t shards) {
  uint32_t h = 2166136261u;
  for (unsigned char c : key) {
    h ^= c;
    h *= 16777619u;
  }
  return h % shards;
}

std::string member_name(std::string_view base, const char* env_override,
                        std::string_view hostname, long pid) {
  if (env_override && *env_override) {
    std::string name = env_override;
    if (!valid_instance_name(name))
      throw std::invalid_argument("SIPCC_INSTANCE '" + name +
                                  "' must be letters, digits, '_' or '-'");
    return name;
  }
  std::string host;
  for (char c : hostname)
    if (token_char(c) && host.size() < 24)
      host += c;
  return std::string(base) + "-" + (host.empty() ? "host" : host) + "-" + std::to_string(pid);
}

std::string shard_key(std::string_view service, uint32_t shard) {
  return std::string(service) + ".shard." + std::to_string(shard);
}

std::string member_key(std::string_view service, std::string_view member) {
  return std::string(service) + ".member." + std::string(member);
}

void observe_shard(lease_table& t, uint32_t shard, const std::string& holder, uint64_t revision,
                   int64_t now_ms) {
  auto& e = t.shards[shard];
  if (revision <= e.revision)
    return;
  e = {holder, revision, now_ms};
}

void observe_member(lease_table& t, const std::string& member, uint64_t revision, bool deleted,
                    int64_t now_ms) {
  auto it = t.members.find(member);
  if (it != t.members.end() && revision <= it->second.revision)
    return;
  if (deleted)
    t.members.erase(member);
  else
    t.members[member] = {member, revision, now_ms};
}

bool may_act(const lease_table& t, const own_leases& own, const lease_params& p, uint32_t shard,
             int64_t now_ms) {
  return held(t, own, p, shard) && now_ms - own.at(shard).sent_ms < p.ttl_ms;
}

std::set<uint32_t> acting(const lease_table& t, const own_leases& own, const lease_params& p,
                          int64_t now_ms) {
  std::set<uint32_t> out;
  for (const auto& [shard, o] : own)
    if (may_act(t, own, p, shard, now_ms))
      out.insert(shard);
  return out;
}

std::vector<std::string> live_members(const lease_table& t, const lease_params& p,
                                      int64_t now_ms) {
  std::vector<std::string> out{p.self};
  for (const auto& [name, e] : t.members)
    if (name != p.self && !expired(e, p, now_ms))
      out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

lease_plan decide(const lease_table& t, const own_leases& own, const lease_params& p,
                  int64_t now_ms, const std::set<uint32_t>& busy) {
  lease_plan plan;
  auto members = live_members(t, p, now_ms);
  const uint32_t share = (p.shards + static_cast<uint32_t>(members.size()) - 1) /
                         static_cast<uint32_t>(members.size());
  // What each live member holds (unexpired leases).
  std::map<std::string, uint32_t> holds;
  for (const auto& m : members)
    holds[m] = 0;
  std::vector<uint32_t> mine;
  for (const auto& [shard, e] : t.shards) {
    if (shard >= p.shards)
      continue;
    if (held(t, own, p, shard))
      mine.push_back(shard);
    else if (!e.holder.empty() && !expired(e, p, now_ms) && holds.count(e.holder))
      ++holds[e.holder];
  }
  holds[p.self] = static_cast<uint32_t>(mine.size());

  bool others_need = false;
  for (const auto& [m, n] : holds)
    others_need = others_need || (m != p.self && n < share);
  uint32_t keep = static_cast<uint32_t>(mine.size());
  if (keep > share && others_need) {
    // The busy are kept first, then the lowest-numbered; busy ones past the
    // share stay as surplus, the highest-numbered others go.
    std::stable_partition(mine.begin(), mine.end(), [&](uint32_t s) { return busy.count(s) > 0; });
    keep = share;
    for (; keep < mine.size() && busy.count(mine[keep]); ++keep)
      plan.surplus.push_back(mine[keep]);
    plan.release.assign(mine.begin() + keep, mine.end());
  }
  for (uint32_t i = 0; i < keep; ++i)
    if (now_ms - own.at(mine[i]).sent_ms >= p.ttl_ms / 3)
      plan.renew.push_back(mine[i]);

  const uint32_t start = shard_of(p.self, p.shards);
  for (uint32_t i = 0; i < p.shards && keep < share; ++i) {
    uint32_t shard = (start + i) % p.shards;
    if (held(t, own, p, shard))
      continue;
    auto it = t.shards.find(shard);
    if (it == t.shards.end() || it->second.revision == 0) {
      plan.claims.push_back({shard, 0, ""});
    } else if (it->second.holder.empty() || expired(it->second, p, now_ms)) {
      const auto& prev = it->second.holder;
      plan.claims.push_back({shard, it->second.revision, prev == p.self ? "" : prev});
    } else {
      continue;
    }
    ++keep;
  }

  for (const auto& [name, e] : t.members)
    if (name != p.self && expired(e, p, now_ms))
      plan.drop_members.push_back(name);
  return plan;
}

}  // namespace sipcc::leases
