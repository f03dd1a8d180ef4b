// The Configuration Layer: one YAML file (deploy/sipcc.yaml by default),
// loaded and validated once at start-up. Any unknown key, wrong type or bad
// value throws config_error whose what() is "<file>:<line>: <reason>".
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "sipcc/v1/state.pb.h"
#include "sipcc/v1/tlib.pb.h"

namespace sipcc {

// The values of the DN option remote-answer (TAnswerCall on a phone
// registered on sipcc), in the order of callctl's remote_answer enum after none.
inline constexpr const char* k_remote_answer_values = "talk|answer-after";

struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct host_port {
  std::string host;
  uint16_t port = 0;
  std::string str() const { return host + ":" + std::to_string(port); }
};

enum class presence_package { presence, dialog };

struct dn_config {
  std::string number;               // the DN; [A-Za-z0-9_+-]+ (it is a bus subject token)
  v1::DnType type = v1::Extension;
  // Asterisk endpoint (hint) name the SUBSCRIBE/INVITE targets; defaults to number.
  std::string contact;
  presence_package package = presence_package::presence;
  // Monitored by the presence service: Extension and ACDPosition default true.
  bool monitor = true;
  std::string mailbox;              // optional, e.g. 1000@MY_COMPANY
  std::string mwi_object;           // Asterisk MWI object; empty: gvm-<box>
  // Digest password of the DN's phone, which then registers on sipcc itself
  // (digest username = number) and is not monitored on Asterisk.
  std::string password;
  std::map<std::string, std::string> options;  // free per-DN options (no-answer-timeout...)
  int line = 0;                     // line in the file, for later diagnostics

  bool registers_on_sipcc() const { return !password.empty(); }
};

struct agent_login_config {
  std::string id;                   // AgentID; [A-Za-z0-9_+-]+
  // The key of its password (sipcc/agent_auth.hpp), never the password
  // itself; empty: no password check.
  std::string password_key;
  std::string mailbox;
  std::string mwi_object;
  std::map<std::string, std::string> options;
  int line = 0;
};

struct agent_group_config {
  std::string name;
  std::vector<std::string> members;  // AgentIDs, each must exist
  std::string mailbox;
  std::string mwi_object;
  int line = 0;
};

// The most DNs a resource list may hold and still come into service over
// UDP: Asterisk sends the list's full-state NOTIFY as one datagram (at most
// 65,507 bytes), about 650 bytes of PIDF per DN (dialog-info about the
// same). A list of 100 was measured to work; for one of 500 Asterisk answers
// the SUBSCRIBE 200, logs "too large to send" and sends no NOTIFY.
constexpr size_t k_max_udp_list_dns = 100;

// Whether a resource list's full-state NOTIFY can come over UDP. A list that
// fits and still has no first NOTIFY in time meets a busy Asterisk (most
// likely just restarted) and is retried as a list, like a single DN: falling
// back to one subscription per DN would multiply Asterisk's load 8-10x at
// that very moment. Only a list that cannot fit falls back, for good.
constexpr bool list_fits_udp(size_t dns) { return dns <= k_max_udp_list_dns; }

// Range of presence.subscribe-rate and mwi.subscribe-rate (SUBSCRIBEs per
// second through the pacer, at start-up and after Asterisk restarts). At the
// lower bound 10,000 DNs are subscribed in 500 s, within one default
// subscribe-expires (600 s); slower only keeps DNs out of service longer.
// The upper bound is what the edge's one UDP socket and a real Asterisk took
// with no loss here: 3,000 DNs at 250/s and 500/s, 0 datagrams dropped; at
// 1,000/s the edge's socket dropped 15-137 NOTIFYs and 2,000/s 545, each
// such DN unmonitored until retry-interval; unpaced, 6,356 dropped and 432
// DNs still unmonitored after 90 s (docs/architecture.md, the pacer).
constexpr double k_min_subscribe_rate = 20;
constexpr double k_max_subscribe_rate = 500;

// Bound for sip-edge.max-message-bytes: no datagram is larger (UDP only).
constexpr uint32_t k_max_sip_message_bytes = 65535;

// The largest full-state NOTIFY a list of `dns` DNs brings (per-DN figure
// above, plus room for the headers and multipart framing): the edge must
// accept it, so sip-edge.max-message-bytes may not be below it.
constexpr uint32_t list_notify_bytes(size_t dns) {
  const size_t bytes = 2048 + 650 * dns;
  return bytes < k_max_sip_message_bytes ? static_cast<uint32_t>(bytes) : k_max_sip_message_bytes;
}

// RFC 4662 list on Asterisk that replaces one subscription per DN.
struct resource_list_config {
  std::string name;                  // list URI user part on Asterisk, e.g. agents
  presence_package package = presence_package::presence;
  std::vector<std::string> dns;      // each must be a monitored DN
  int line = 0;
};

// The mwi service: its message-summary subscriptions, paced and retried
// like presence's but with their own settings.
struct mwi_config {
  // Base name: each process's bus name is made from it (leases::member_name).
  std::string instance = "mwi-0";
  uint32_t shards = 16;             // mailboxes are split into these (leases::shard_of)
  uint32_t lease_ttl_ms = 1500;     // a dead instance's shards are taken over after it
  double subscribe_rate = 50.0;     // SUBSCRIBEs per second (k_min/k_max_subscribe_rate)
  uint32_t subscribe_expires = 600;
  uint32_t retry_s = 60;            // after a rejected / timed-out SUBSCRIBE
  uint32_t backoff_max_s = 30;      // cap of the backoff after a terminated one
  uint32_t first_notify_timeout_ms = 5000;  // 2xx to first NOTIFY, at most
};

// The default router: its members share one lease (leases.hpp), whose holder
// routes; the others follow the same events and take over when it dies.
struct router_config {
  // Base name: each process's bus name is made from it (leases::member_name).
  std::string instance = "router-0";
  uint32_t lease_ttl_ms = 1500;  // a dead active router is replaced after it
};

// The callctl service: its members share the calls by shard leases (a
// ConnID's top 16 bits are its shard).
struct callctl_config {
  // Base name: each process's bus name is made from it (leases::member_name).
  std::string instance = "callctl-0";
  uint32_t shards = 16;             // ConnIDs are spread over these
  uint32_t lease_ttl_ms = 1500;     // a dead member's shards are taken over after it
};

// One media server of the media service's pool (media.servers).
struct media_server_config {
  std::string name;                // [A-Za-z0-9_-]+: sipcc.media.health.<name>
  host_port address;               // where its INVITEs and OPTIONS go
  uint32_t weight = 1;             // share of the load, against the others'
  uint32_t capacity = 0;           // sessions (media legs) at once; 0: no limit
  std::vector<v1::TreatmentType> treatments;  // those it plays; empty: every type
  std::vector<std::string> locales;           // LANGUAGEs it has; empty: any
  // Prompts (PROMPT) it can play; empty: not checked (the server itself
  // refuses a prompt it lacks, 404).
  std::vector<std::string> prompts;
  int line = 0;
};

// The media service: health checks by SIP OPTIONS through the edge, and how
// long a selection holds a session for a leg that has not started yet.
struct media_config {
  std::string instance = "media-0";   // owner token: <service>-<shard>
  uint32_t options_interval_ms = 5000;
  uint32_t options_timeout_ms = 2000;  // an OPTIONS without a final response by then failed
  uint32_t out_after = 3;              // failed OPTIONS in a row: out of service
  uint32_t back_after = 2;             // answered OPTIONS in a row: back in service
  uint32_t pending_ms = 10000;
  uint32_t lease_ttl_ms = 1500;        // a dead active instance is replaced after it
  // Where the media servers' recordings can be read (a shared volume);
  // empty: their sizes are not known.
  std::string recordings_dir;
  // Left out of the file: one server, `asterisk` at asterisk.address, no
  // limit, every treatment (a single Asterisk serves it all).
  std::vector<media_server_config> servers;
};

struct config {
  std::string file;                  // path it was loaded from

  // bus:
  std::string nats_url = "nats://127.0.0.1:4222";

  // sip-edge:
  std::string edge_id = "edge1";          // [A-Za-z0-9_-]+
  host_port sip_bind{"127.0.0.1", 5060};
  std::string sip_user = "sipcc";          // user part of our From/Contact
  uint32_t sip_t1x64_ms = 32000;           // transaction timeout (RFC 3261 64*T1)
  uint32_t audit_interval_ms = 10000;      // how often the edge lists its legs to their owners
  // The largest SIP message the edge takes (sofia's NTATAG_MAXSIZE): nta
  // answers a larger request 413 itself (a resource list's NOTIFY may need
  // more: checked at load).
  uint32_t sip_max_message_bytes = 16384;
  bool sip_max_message_bytes_set = false;  // given in the file (else lists may raise it)
  // RFC 4028 session timers on every call leg: what we ask for and the
  // smallest interval we accept; the refresher keeps each leg alive.
  uint32_t session_expires_s = 1800;
  uint32_t min_se_s = 90;
  // Registrar for the phones of DNs with a password: digest realm, and the
  // Expires range sipcc grants (below min: 423; above max: capped).
  std::string realm = "sipcc";
  uint32_t register_min_expires_s = 60;
  uint32_t register_max_expires_s = 3600;

  // asterisk: where sipcc sends SUBSCRIBEs and INVITEs. Calls are taken only
  // from it and from `asterisk_peers` (further Asterisk boxes, matched by
  // source IP:port like it), besides registered phones' own calls.
  host_port asterisk{"127.0.0.1", 5070};
  std::vector<host_port> asterisk_peers;

  // presence:
  std::string presence_instance = "presence-0";  // the members' base name (leases::member_name)
  uint32_t presence_shards = 16;         // DNs are split into these (presence_shard_of)
  uint32_t presence_lease_ttl_ms = 1500; // a dead member's shards are taken over after it
  double subscribe_rate = 50.0;            // SUBSCRIBEs per second (k_min/k_max_subscribe_rate)
  uint32_t subscribe_expires = 600;        // 1..3600 (Asterisk caps at 3600)
  uint32_t subscribe_retry_s = 60;         // after a rejected / timed-out SUBSCRIBE
  uint32_t resubscribe_backoff_max_s = 30; // cap of the backoff after a terminated one
  // 2xx to first NOTIFY, at most: past it the subscription has failed (a
  // resource list's DNs are then subscribed one by one).
  uint32_t first_notify_timeout_ms = 5000;
  // How often presence asks callctl whether the calls its DNs are marked
  // with still exist (a callctl that died cannot clear its marks).
  uint32_t call_audit_interval_ms = 10000;
  std::vector<resource_list_config> resource_lists;

  mwi_config mwi;

  router_config router;

  callctl_config callctl;

  media_config media;

  // application (Genesys-style options, key names as in the reference):
  std::map<std::string, std::string> app_options;

  std::vector<dn_config> dns;
  std::vector<agent_login_config> agent_logins;
  std::vector<agent_group_config> agent_groups;

  // By number / AgentID: through the index parse_config builds (calls look
  // DNs up at every step, among thousands), or one by one in a config
  // built or extended by hand, which the index no longer covers.
  const dn_config* find_dn(const std::string& number) const;
  const agent_login_config* find_agent(const std::string& id) const;
  void build_index();
  std::unordered_map<std::string, std::size_t> dn_index;     // number -> dns[i]
  std::unordered_map<std::string, std::size_t> agent_index;  // AgentID -> agent_logins[i]
};

// Loads and validates; throws config_error("<file>:<line>: <reason>").
config load_config(const std::string& path);
// Same from text (file is only used in messages); for tests.
config parse_config(const std::string& text, const std::string& file);

// Things worth telling the operator about a valid configuration, one
// "<file>:<line>: ..." line each (e.g. a DN that only gets dialog-info); the
// services log them at start-up.
std::vector<std::string> config_notes(const config& cfg);
// The same for what will not work as configured but need not stop start-up
// (a resource list too large for UDP); the services log them as warnings.
std::vector<std::string> config_warnings(const config& cfg);

}  // namespace sipcc
