// Ownership by shards and leases, as pure functions. A service's work
// (mwi: its mailboxes) is split into `shards` by a stable hash of each
// entity's key; each instance ("member") claims shards through leases in the
// JetStream key-value bucket sipcc_leases and acts only on the shards it
// holds. The lease keeper (sipcc/lease_keeper.hpp) reads the bucket into a
// lease_table, asks decide() what to write and acting() what it may act on.
//
// Time is a local steady clock in milliseconds. A lease expires when its
// revision has not changed for `ttl_ms` since this member first saw that
// revision; its holder stops acting `ttl_ms` after it SENT its last
// successful write, which is never later than anyone else first saw it, so
// a holder has stopped before another member may take its shard over.
// Fencing: a holder acts only while the revision it wrote last is the
// current one; a stale holder whose renew fails (the revision moved, the
// split-brain case) stops at once.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sipcc::leases {

// The default shard count of a service that uses leases (config: <service>.shards).
inline constexpr uint32_t kDefaultShards = 16;

// The shard of an entity key: FNV-1a (32 bit) of the key, modulo `shards`
// (> 0). Stable across processes, builds and restarts.
uint32_t shard_of(std::string_view key, uint32_t shards);

// Whether `name` may be a process's bus name: [A-Za-z0-9_-]+ (it is a
// subject token and a key-value key).
bool valid_instance_name(std::string_view name);

// The bus name of one process of a service: `env_override` (SIPCC_INSTANCE)
// when set and not empty, else <base>-<hostname>-<pid>, the hostname reduced
// to [A-Za-z0-9_-] and at most 24 characters. Throws std::invalid_argument
// when the override is not [A-Za-z0-9_-]+ (it is a subject token and a
// key-value key).
std::string member_name(std::string_view base, const char* env_override,
                        std::string_view hostname, long pid);

// The bucket's keys of a service: <service>.shard.<n>, <service>.member.<m>.
std::string shard_key(std::string_view service, uint32_t shard);
std::string member_key(std::string_view service, std::string_view member);

// One key as last seen: its holder (empty: released), its revision and
// when this member first saw that revision.
struct lease_entry {
  std::string holder;
  uint64_t revision = 0;
  int64_t seen_ms = 0;
};

struct lease_table {
  std::map<uint32_t, lease_entry> shards;
  std::map<std::string, lease_entry> members;  // by member name
};

// The revision this member's last successful write of a shard's lease got,
// and when that write was sent.
struct own_lease {
  uint64_t revision = 0;
  int64_t sent_ms = 0;
};
using own_leases = std::map<uint32_t, own_lease>;

// Takes one key's value into the table. Only a newer revision counts (the
// watch may deliver a revision after the write's own answer recorded it).
void observe_shard(lease_table& t, uint32_t shard, const std::string& holder, uint64_t revision,
                   int64_t now_ms);
// A member's heartbeat; `deleted`: its key was deleted.
void observe_member(lease_table& t, const std::string& member, uint64_t revision, bool deleted,
                    int64_t now_ms);

struct lease_params {
  std::string self;  // this member's name
  uint32_t shards = kDefaultShards;
  int64_t ttl_ms = 1500;
};

// Fencing: true while this member holds the shard's lease by its own last
// write, that write's revision is the current one, and it is younger than
// the TTL.
bool may_act(const lease_table& t, const own_leases& own, const lease_params& p, uint32_t shard,
             int64_t now_ms);
// Every shard may_act allows.
std::set<uint32_t> acting(const lease_table& t, const own_leases& own, const lease_params& p,
                          int64_t now_ms);

// The live members (heartbeat younger than the TTL) and this one, sorted.
std::vector<std::string> live_members(const lease_table& t, const lease_params& p,
                                      int64_t now_ms);

// A shard to claim: with kvStore_Create when `revision` is 0 (no key yet),
// else kvStore_Update expecting `revision`. `previous` is the expired
// holder other than this member whose subscriptions the new holder ends
// first (empty when the lease was released or never held).
struct claim {
  uint32_t shard = 0;
  uint64_t revision = 0;
  std::string previous;
  bool operator==(const claim& o) const {
    return shard == o.shard && revision == o.revision && previous == o.previous;
  }
};

struct lease_plan {
  std::vector<claim> claims;
  std::vector<uint32_t> renew;    // kvStore_Update expecting this member's revision
  std::vector<uint32_t> release;  // stop acting, then write an empty holder
  std::vector<std::string> drop_members;  // dead members' heartbeats to delete
  // Held above the fair share only because they are busy: kept and renewed,
  // but the service puts no new work there, so they drain and go.
  std::vector<uint32_t> surplus;
};

// What to write now. Fair share: with M live members nobody holds more
// than ceil(shards / M) while another live member holds fewer; a member
// claims free shards (never held, released or expired) up to that share,
// starting at its own name's shard so members starting together collide
// less. A held lease is renewed once a third of the TTL has passed. `busy`:
// shards this member still has work in that no other member could take
// over (callctl: its live calls); above the share they are kept as surplus,
// and the others go first.
lease_plan decide(const lease_table& t, const own_leases& own, const lease_params& p,
                  int64_t now_ms, const std::set<uint32_t>& busy = {});

}  // namespace sipcc::leases
