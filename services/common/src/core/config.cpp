// The Configuration Layer: reads the YAML file into sipcc::config.
//
// Every map is read against a declared table: `field` rows (key, reader,
// required) for the structured sections, `option_spec` rows (key, check)
// for the free-form option maps. One loop per shape finds unknown, repeated
// and missing keys; each reader checks one value and reports
// "<file>:<line>: <key>: <reason>". Rows are applied in table order, not
// file order, so a reader may rely on the rows above it (a DN's monitor
// default comes from its type) and on the sections above it in the
// top-level table (groups name agents; a Routing Point names a group;
// resource lists and default-dn name DNs).
#include "sipcc/config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string_view>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "sipcc/agent_auth.hpp"
#include "sipcc/media_uri.hpp"
#include "sipcc/trusted_peers.hpp"

namespace sipcc {
namespace {

// What every reader shares: the file name for messages and the
// configuration built so far, for cross-references.
struct source {
  const std::string& file;
  const config& cfg;

  [[noreturn]] void fail(const YAML::Node& at, const std::string& why) const {
    throw config_error(fmt::format("{}:{}: {}", file, at.Mark().line + 1, why));
  }
};

struct val;

template <class T>
struct field {
  const char* key;
  void (*read)(const val&, T&);
  bool required = false;
};

// A free-form option: the value is checked, then stored as a string.
struct option_spec {
  const char* key;
  std::string (*check)(const val&);
};

// One value found under `key` (for a list item: the list's key); its
// methods check and convert it or throw config_error at its line.
struct val {
  const source& src;
  std::string key;
  YAML::Node node;

  int line() const { return node.Mark().line + 1; }

  [[noreturn]] void fail(const std::string& why) const {
    src.fail(node, key + ": " + why);
  }

  std::string scalar(const char* expected) const {
    if (!node.IsScalar()) fail(std::string("expected ") + expected);
    return node.Scalar();
  }

  std::string text() const { return scalar("a string"); }

  std::string nonempty() const {
    std::string s = text();
    if (s.empty()) fail("must not be empty");
    return s;
  }

  // Numbers, ids and names end up as tokens of bus subjects.
  std::string token(std::string_view extra = "_+-") const {
    std::string s = text();
    const bool ok = !s.empty() && std::all_of(s.begin(), s.end(), [&](char ch) {
      return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
             (ch >= '0' && ch <= '9') || extra.find(ch) != extra.npos;
    });
    if (!ok)
      fail(fmt::format("'{}' must match [A-Za-z0-9{}]+ (it becomes a bus subject token)",
                       s, extra));
    return s;
  }

  bool flag() const {
    bool b = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, b))
      fail(fmt::format("expected true or false, got '{}'", node.IsScalar() ? node.Scalar() : ""));
    return b;
  }

  uint32_t number(uint32_t lo, uint32_t hi = std::numeric_limits<uint32_t>::max()) const {
    const std::string s = scalar("a whole number");
    long long n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size())
      fail(fmt::format("expected a whole number, got '{}'", s));
    if (n < lo || n > hi)
      fail(hi == std::numeric_limits<uint32_t>::max()
               ? fmt::format("must be >= {}, got {}", lo, s)
               : fmt::format("must be {}..{}, got {}", lo, hi, s));
    return static_cast<uint32_t>(n);
  }

  // A number, fractions allowed, within lo..hi.
  double real(double lo, double hi) const {
    const std::string s = scalar("a number");
    double x = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
    if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(x))
      fail(fmt::format("expected a number, got '{}'", s));
    if (!(x >= lo && x <= hi)) fail(fmt::format("must be {}..{}, got {}", lo, hi, s));
    return x;
  }

  // host:port; the port is what follows the last colon, so "[::1]:5060"
  // keeps its brackets in host.
  host_port address() const {
    const std::string s = scalar("host:port");
    const auto colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0)
      fail(fmt::format("expected host:port, got '{}'", s));
    const std::string port = s.substr(colon + 1);
    int p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535)
      fail(fmt::format("port must be 1..65535, got '{}'", port));
    return {s.substr(0, colon), static_cast<uint16_t>(p)};
  }

  // host:port whose host is a numeric IP: it is compared with the source
  // address of requests, which is never a name.
  host_port ip_address() const {
    host_port a = address();
    if (!canonical_address(a.host, a.port))
      fail(fmt::format("'{}' must be a numeric IP address (requests are matched by their "
                       "source IP:port)",
                       a.host));
    return a;
  }

  // Index of the value in "a|b|c".
  size_t pick(std::string_view choices) const {
    const std::string s = text();
    size_t index = 0;
    for (size_t start = 0;; ++index) {
      const size_t bar = std::min(choices.find('|', start), choices.size());
      if (choices.substr(start, bar - start) == s) return index;
      if (bar == choices.size()) break;
      start = bar + 1;
    }
    fail(fmt::format("'{}' is not one of {}", s, choices));
  }

  std::vector<val> items() const {
    if (node.IsNull()) return {};  // "dns:" with every entry commented out
    if (!node.IsSequence()) fail("expected a list");
    std::vector<val> out;
    for (const auto& item : node) out.push_back({src, key, item});
    return out;
  }

  template <class T, size_t N>
  void fields(const field<T> (&table)[N], T& out) const {
    const auto given = entries(table);
    for (size_t i = 0; i < N; ++i) {
      if (given[i])
        table[i].read({src, table[i].key, *given[i]}, out);
      else if (table[i].required)
        src.fail(node, fmt::format("missing key '{}' in {}", table[i].key, key));
    }
  }

  template <size_t N>
  std::map<std::string, std::string> options(const option_spec (&table)[N]) const {
    const auto given = entries(table);
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < N; ++i)
      if (given[i]) out[table[i].key] = table[i].check({src, table[i].key, *given[i]});
    return out;
  }

  // A list of maps; each item is appended to `out` as soon as it is read,
  // so readers of later items (and of later sections) see it. `id` is the
  // item's identity: unique, reported as "<what> '<id>'".
  template <class T, size_t N>
  void list(std::vector<T>& out, const field<T> (&table)[N], std::string T::*id,
            const char* what) const {
    for (const val& item : items()) {
      T t;
      t.line = item.line();
      item.fields(table, t);
      const auto first = std::find_if(out.begin(), out.end(),
                                      [&](const T& o) { return o.*id == t.*id; });
      if (first != out.end())
        src.fail(item.node, fmt::format("duplicate {} '{}' (first at line {})", what, t.*id,
                                        first->line));
      out.push_back(std::move(t));
    }
  }

 private:
  // The value of each table row, after rejecting a non-map, unknown keys
  // and repeated keys. A null node ("bus:" with nothing under it) is empty.
  template <class Entry, size_t N>
  std::array<std::optional<YAML::Node>, N> entries(const Entry (&table)[N]) const {
    std::array<std::optional<YAML::Node>, N> found;
    std::array<int, N> first_line{};
    if (node.IsNull()) return found;
    if (!node.IsMap()) fail("expected a map");
    for (const auto& kv : node) {
      const std::string name = kv.first.IsScalar() ? kv.first.Scalar() : "";
      const auto row = std::find_if(std::begin(table), std::end(table),
                                    [&](const Entry& e) { return name == e.key; });
      if (row == std::end(table))
        src.fail(kv.first, fmt::format("unknown key '{}' in {}", name, key));
      const size_t i = row - std::begin(table);
      if (found[i])
        src.fail(kv.first, fmt::format("duplicate key '{}' in {} (first at line {})", name, key,
                                       first_line[i]));
      found[i] = kv.second;
      first_line[i] = kv.first.Mark().line + 1;
    }
    return found;
  }
};

// Option checks: the value as it is stored in the options map.
std::string flag(const val& v) { return v.flag() ? "true" : "false"; }
std::string seconds(const val& v) { return std::to_string(v.number(0)); }
std::string text(const val& v) { return v.text(); }
std::string no_answer_action(const val& v) {
  v.pick("none|notready|logout");
  return v.text();
}
std::string configured_dn(const val& v) {
  std::string dn = v.text();
  if (!v.src.cfg.find_dn(dn)) v.fail(fmt::format("unknown DN '{}'", dn));
  return dn;
}
// The number a phone registered on sipcc dials for its mailbox; when it is
// a configured DN, that is the Voicemail DN whose contact says where.
std::string access_number(const val& v) {
  std::string number = v.nonempty();
  if (!std::all_of(number.begin(), number.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '*' || ch == '#' ||
               ch == '+';
      }))
    v.fail(fmt::format("'{}' is not a number a phone can dial ([A-Za-z0-9*#+])", number));
  const dn_config* dn = v.src.cfg.find_dn(number);
  if (dn && dn->type != v1::Voicemail)
    v.fail(fmt::format("DN {} is of type {}, not Voicemail", number, v1::DnType_Name(dn->type)));
  return number;
}
std::string configured_group(const val& v) {
  std::string name = v.text();
  const auto& groups = v.src.cfg.agent_groups;
  if (std::none_of(groups.begin(), groups.end(),
                   [&](const agent_group_config& g) { return g.name == name; }))
    v.fail(fmt::format("unknown agent group '{}'", name));
  return name;
}
// A treatment as text ("Music MUSIC=jazz"), checked as TApplyTreatment would be.
std::string treatment(const val& v) {
  std::string error;
  if (!parse_treatment(v.text(), error)) v.fail(error);
  return v.text();
}
// The agent phone's 2xx of a TMakeCall is retransmitted for 32 s only: the
// ACK must come well before.
std::string ringback_seconds(const val& v) { return std::to_string(v.number(1, 30)); }

// The pacer's rate: bounded by what Asterisk and the edge's socket take
// without loss, and by how long a 10,000-DN start-up may last (config.hpp).
double subscribe_rate(const val& v) { return v.real(k_min_subscribe_rate, k_max_subscribe_rate); }
// A lease is renewed every third of its TTL by a keeper that ticks every
// sixth: shorter would not leave a tick to renew in.
uint32_t lease_ttl(const val& v) { return v.number(300, 10000); }
// A DN's default-dn may name a DN further down the list: checked once the
// whole list is read (see dn_references).
std::string dn_token(const val& v) { return v.token(); }
std::string remote_answer_value(const val& v) {
  v.pick(k_remote_answer_values);
  return v.text();
}

// Genesys-style option names, as in the reference.
const option_spec app_options[] = {
    {"mwi-extension-enable", flag},
    {"router-timeout", seconds},
    {"default-dn", configured_dn},
    {"extn-no-answer-timeout", seconds},
    {"extn-no-answer-overflow", text},
    {"agent-no-answer-timeout", seconds},
    {"agent-no-answer-action", no_answer_action},
    {"agent-no-answer-overflow", text},
    {"after-call-work-timeout", seconds},  // 0: no after-call work
    {"voicemail-access-number", access_number},
    // Seconds a TMakeCall's destination may ring before the agent's phone
    // is answered with inactive media (RFC 3725 flow I cannot wait longer).
    {"make-call-ringback-timeout", ringback_seconds},
};

// Per-DN and per-Agent-Login overrides of the application options.
const option_spec dn_options[] = {
    {"no-answer-timeout", seconds},
    {"no-answer-overflow", text},
    // Record every call routed to this DN (both parties, on the media server).
    {"record", flag},
    // Routing Point only (rp_options): the default router's target group,
    // where calls go when routing fails or gives up, how long callctl waits
    // for a route, and how long the default router keeps a call waiting
    // before it routes it to default-dn (0: for ever).
    {"agent-group", configured_group},
    {"default-dn", dn_token},
    {"router-timeout", seconds},
    {"max-wait", seconds},
    {"treatment", treatment},
    // Extension and ACDPosition registered on sipcc only (check_remote_answer).
    {"remote-answer", remote_answer_value},
};
constexpr const char* rp_options[] = {"agent-group", "default-dn", "router-timeout", "max-wait",
                                      "treatment"};
const option_spec agent_options[] = {
    {"no-answer-timeout", seconds},
    {"no-answer-action", no_answer_action},
    {"no-answer-overflow", text},
    {"after-call-work-timeout", seconds},
};

// The YAML spellings are the proto enum names.
constexpr std::string_view dn_type_names = "Extension|ACDPosition|RoutingPoint|Voicemail|Trunk";
constexpr v1::DnType dn_types[] = {v1::Extension, v1::ACDPosition, v1::RoutingPoint,
                                   v1::Voicemail, v1::Trunk};
constexpr presence_package packages[] = {presence_package::presence, presence_package::dialog};
presence_package package(const val& v) { return packages[v.pick("presence|dialog")]; }

// Only devices an agent sits at have a state worth subscribing to.
bool monitorable(v1::DnType t) { return t == v1::Extension || t == v1::ACDPosition; }

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// <box>@<context> as in voicemail.conf; the box alone means context default.
// The box ends up in a SIP Contact parameter (mb=<box>).
std::string mailbox(const val& v) {
  std::string m = v.nonempty();
  const std::string box = m.substr(0, m.find('@'));
  if (box.empty() || !std::all_of(box.begin(), box.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '+';
      }))
    v.fail(fmt::format("'{}' must be <box>@<context> with the box in [A-Za-z0-9_+-]", m));
  return m;
}
// The user part of the SUBSCRIBE's Request-URI on Asterisk.
std::string mwi_object(const val& v) { return v.token("_+-."); }

// Remote answer reaches only a phone sipcc talks to itself: Asterisk passes
// neither a NOTIFY nor Call-Info on to the phones behind it.
void check_remote_answer(const val& options, const dn_config& d) {
  if (!d.options.count("remote-answer")) return;
  const val v{options.src, "remote-answer", options.node["remote-answer"]};
  if (!monitorable(d.type))
    v.fail(fmt::format("only Extension and ACDPosition DNs have a phone to answer (DN {} is of "
                       "type {})",
                       d.number, v1::DnType_Name(d.type)));
  if (!d.registers_on_sipcc())
    v.fail(fmt::format("DN {} has no password: its phone is behind Asterisk, which passes "
                       "neither the talk NOTIFY nor Call-Info on to it",
                       d.number));
}

const field<dn_config> dn_fields[] = {
    {"number", [](const val& v, dn_config& d) { d.number = d.contact = v.token(); }, true},
    {"type", [](const val& v, dn_config& d) {
       d.type = dn_types[v.pick(dn_type_names)];
       d.monitor = monitorable(d.type);
     }},
    // Its phone registers on sipcc, not on Asterisk: nothing to watch there.
    {"password", [](const val& v, dn_config& d) {
       d.password = v.nonempty();
       if (!monitorable(d.type))
         v.fail("only Extension and ACDPosition DNs can register on sipcc");
       d.monitor = false;
     }},
    {"monitor", [](const val& v, dn_config& d) {
       d.monitor = v.flag();
       if (d.monitor && !monitorable(d.type))
         v.fail("only Extension and ACDPosition DNs can be monitored");
       if (d.monitor && d.registers_on_sipcc())
         v.fail(fmt::format("DN {} registers on sipcc (it has a password): it cannot be "
                            "monitored on Asterisk",
                            d.number));
     }},
    {"presence", [](const val& v, dn_config& d) {
       d.package = package(v);
       if (!d.monitor) v.fail(fmt::format("DN {} is not monitored", d.number));
     }},
    {"contact", [](const val& v, dn_config& d) { d.contact = v.nonempty(); }},
    {"mailbox", [](const val& v, dn_config& d) { d.mailbox = mailbox(v); }},
    {"mwi-object", [](const val& v, dn_config& d) { d.mwi_object = mwi_object(v); }},
    {"options", [](const val& v, dn_config& d) {
       d.options = v.options(dn_options);
       check_remote_answer(v, d);
       if (d.type == v1::RoutingPoint) return;
       for (const char* key : rp_options)
         if (d.options.count(key))
           val{v.src, key, v.node[key]}.fail(
               fmt::format("only valid on a RoutingPoint (DN {} is of type {})", d.number,
                           v1::DnType_Name(d.type)));
     }},
};

// Cross-references inside the DN list, once all of it is read: a Routing
// Point's default-dn names a configured DN other than itself.
void dn_references(const val& list) {
  for (const val& item : list.items()) {
    const YAML::Node options = item.node["options"];
    if (!options || !options.IsMap() || !options["default-dn"]) continue;
    const val ref{list.src, "default-dn", options["default-dn"]};
    if (configured_dn(ref) == item.node["number"].Scalar())
      ref.fail("a Routing Point cannot be its own default-dn");
  }
}

const field<agent_login_config> agent_fields[] = {
    {"id", [](const val& v, agent_login_config& a) { a.id = v.token(); }, true},
    // After "id" (fields apply in table order): the key is made for the AgentID.
    {"password", [](const val& v, agent_login_config& a) {
       const auto pw = v.text();
       a.password_key = pw.empty() ? "" : agent_password_key(a.id, pw);
     }},
    {"password-key", [](const val& v, agent_login_config& a) {
       if (!a.password_key.empty())
         v.fail("give password or password-key, not both");
       a.password_key = v.text();
       if (!is_password_key(a.password_key))
         v.fail("must be 64 lower-case hex digits (sipccctl password-key prints it), got '" +
                a.password_key + "'");
     }},
    {"mailbox", [](const val& v, agent_login_config& a) { a.mailbox = mailbox(v); }},
    {"mwi-object", [](const val& v, agent_login_config& a) { a.mwi_object = mwi_object(v); }},
    {"options", [](const val& v, agent_login_config& a) { a.options = v.options(agent_options); }},
};

const field<agent_group_config> group_fields[] = {
    {"name", [](const val& v, agent_group_config& g) { g.name = v.token(); }, true},
    {"members", [](const val& v, agent_group_config& g) {
       for (const val& m : v.items()) {
         std::string id = m.text();
         if (!v.src.cfg.find_agent(id)) m.fail(fmt::format("unknown AgentID '{}'", id));
         if (contains(g.members, id)) m.fail(fmt::format("duplicate member '{}'", id));
         g.members.push_back(std::move(id));
       }
     }},
    {"mailbox", [](const val& v, agent_group_config& g) { g.mailbox = mailbox(v); }},
    {"mwi-object", [](const val& v, agent_group_config& g) { g.mwi_object = mwi_object(v); }},
};

// A DN is in at most one list (else it is subscribed twice), is monitored
// and is configured for the list's package.
const field<resource_list_config> resource_list_fields[] = {
    {"name", [](const val& v, resource_list_config& l) { l.name = v.token(); }, true},
    {"package", [](const val& v, resource_list_config& l) { l.package = package(v); }},
    {"dns", [](const val& v, resource_list_config& l) {
       const config& cfg = v.src.cfg;
       for (const val& m : v.items()) {
         std::string number = m.text();
         const dn_config* dn = cfg.find_dn(number);
         if (!dn) m.fail(fmt::format("unknown DN '{}'", number));
         if (!dn->monitor) m.fail(fmt::format("DN '{}' is not monitored", number));
         if (dn->package != l.package)
           m.fail(fmt::format("DN '{}' has another presence package than the list", number));
         const resource_list_config* holder = contains(l.dns, number) ? &l : nullptr;
         for (const auto& other : cfg.resource_lists)
           if (contains(other.dns, number)) holder = &other;
         if (holder)
           m.fail(fmt::format("DN '{}' is already in resource list '{}' (line {})", number,
                              holder->name, holder->line));
         l.dns.push_back(std::move(number));
       }
       // sip-edge (read before) would refuse the list's NOTIFY (413): a cap
       // the operator set too small is an error; left at its default it grows
       // to what the lists need (parse_config). A list too large for UDP falls
       // back to single subscriptions anyway.
       const uint32_t need = list_notify_bytes(l.dns.size());
       if (cfg.sip_max_message_bytes_set && list_fits_udp(l.dns.size()) &&
           need > cfg.sip_max_message_bytes)
         v.fail(fmt::format("resource list '{}' of {} DNs brings NOTIFYs of up to about {} bytes, "
                            "above sip-edge.max-message-bytes ({}): raise that to at least {}",
                            l.name, l.dns.size(), need, cfg.sip_max_message_bytes, need));
     }},
};

const field<config> bus_fields[] = {
    {"nats-url", [](const val& v, config& c) { c.nats_url = v.nonempty(); }},
};

const field<config> sip_edge_fields[] = {
    {"id", [](const val& v, config& c) { c.edge_id = v.token("_-"); }},
    {"bind", [](const val& v, config& c) { c.sip_bind = v.address(); }},
    {"user", [](const val& v, config& c) { c.sip_user = v.nonempty(); }},
    {"t1x64-ms", [](const val& v, config& c) { c.sip_t1x64_ms = v.number(1); }},
    {"audit-interval-ms", [](const val& v, config& c) { c.audit_interval_ms = v.number(100); }},
    // Below 4 KB an INVITE with SDP from Asterisk may not fit.
    {"max-message-bytes", [](const val& v, config& c) {
       c.sip_max_message_bytes = v.number(4096, k_max_sip_message_bytes);
       c.sip_max_message_bytes_set = true;
     }},
    {"session-expires", [](const val& v, config& c) { c.session_expires_s = v.number(1); }},
    {"min-se", [](const val& v, config& c) { c.min_se_s = v.number(1); }},
    {"realm", [](const val& v, config& c) { c.realm = v.nonempty(); }},
    {"register-min-expires",
     [](const val& v, config& c) { c.register_min_expires_s = v.number(1); }},
    {"register-max-expires", [](const val& v, config& c) {
       c.register_max_expires_s = v.number(1);
       if (c.register_max_expires_s < c.register_min_expires_s)
         v.fail(fmt::format("must not be below register-min-expires ({}), got {}",
                            c.register_min_expires_s, c.register_max_expires_s));
     }},
};

const field<config> asterisk_fields[] = {
    {"address", [](const val& v, config& c) { c.asterisk = v.ip_address(); }},
    {"peers", [](const val& v, config& c) {
       for (const val& item : v.items()) {
         const host_port a = item.ip_address();
         const auto same = [&](const host_port& o) {
           return canonical_address(o.host, o.port) == canonical_address(a.host, a.port);
         };
         if (same(c.asterisk) ||
             std::any_of(c.asterisk_peers.begin(), c.asterisk_peers.end(), same))
           item.fail(fmt::format("{} is listed twice (address and peers count together)",
                                 a.str()));
         c.asterisk_peers.push_back(a);
       }
     }},
};

const field<config> presence_fields[] = {
    {"instance", [](const val& v, config& c) { c.presence_instance = v.token("_-"); }},
    {"shards", [](const val& v, config& c) { c.presence_shards = v.number(1, 1024); }},
    {"lease-ttl-ms", [](const val& v, config& c) { c.presence_lease_ttl_ms = lease_ttl(v); }},
    {"subscribe-rate", [](const val& v, config& c) { c.subscribe_rate = subscribe_rate(v); }},
    // Asterisk caps subscriptions at 3600 s.
    {"subscribe-expires", [](const val& v, config& c) { c.subscribe_expires = v.number(1, 3600); }},
    {"retry-interval", [](const val& v, config& c) { c.subscribe_retry_s = v.number(1); }},
    {"resubscribe-backoff-max",
     [](const val& v, config& c) { c.resubscribe_backoff_max_s = v.number(1); }},
    {"first-notify-timeout-ms",
     [](const val& v, config& c) { c.first_notify_timeout_ms = v.number(1); }},
    {"call-audit-interval-ms",
     [](const val& v, config& c) { c.call_audit_interval_ms = v.number(100); }},
    {"resource-lists", [](const val& v, config& c) {
       v.list(c.resource_lists, resource_list_fields, &resource_list_config::name,
              "resource list");
     }},
};

const field<callctl_config> callctl_fields[] = {
    {"instance", [](const val& v, callctl_config& c) { c.instance = v.token("_-"); }},
    // A ConnID has 16 bits for its shard: 1024 fits.
    {"shards", [](const val& v, callctl_config& c) { c.shards = v.number(1, 1024); }},
    {"lease-ttl-ms", [](const val& v, callctl_config& c) { c.lease_ttl_ms = lease_ttl(v); }},
};

const field<mwi_config> mwi_fields[] = {
    {"instance", [](const val& v, mwi_config& m) { m.instance = v.token("_-"); }},
    {"shards", [](const val& v, mwi_config& m) { m.shards = v.number(1, 1024); }},
    {"lease-ttl-ms", [](const val& v, mwi_config& m) { m.lease_ttl_ms = lease_ttl(v); }},
    {"subscribe-rate", [](const val& v, mwi_config& m) { m.subscribe_rate = subscribe_rate(v); }},
    {"subscribe-expires", [](const val& v, mwi_config& m) { m.subscribe_expires = v.number(1, 3600); }},
    {"retry-interval", [](const val& v, mwi_config& m) { m.retry_s = v.number(1); }},
    {"resubscribe-backoff-max", [](const val& v, mwi_config& m) { m.backoff_max_s = v.number(1); }},
    {"first-notify-timeout-ms",
     [](const val& v, mwi_config& m) { m.first_notify_timeout_ms = v.number(1); }},
};

const field<router_config> router_fields[] = {
    {"instance", [](const val& v, router_config& r) { r.instance = v.token("_-"); }},
    {"lease-ttl-ms", [](const val& v, router_config& r) { r.lease_ttl_ms = lease_ttl(v); }},
};

// The TreatmentType names a media server may list, as "Music|RingBack|...".
std::string treatment_type_names() {
  std::string names;
  const auto* d = v1::TreatmentType_descriptor();
  for (int i = 0; i < d->value_count(); ++i)
    if (d->value(i)->number() != v1::TREATMENT_UNSPECIFIED)
      names += (names.empty() ? "" : "|") + d->value(i)->name();
  return names;
}

// A list that restricts what a server serves: given empty, it would read as
// "serves everything", the opposite of what it says.
std::vector<val> restricting_items(const val& v) {
  auto items = v.items();
  if (items.empty()) v.fail("must not be empty (leave the key out to serve every one)");
  return items;
}

// Names listed once each; `read` checks and converts one item.
template <class T>
void unique_items(const val& v, std::vector<T>& out, T (*read)(const val&)) {
  for (const val& item : restricting_items(v)) {
    T x = read(item);
    if (std::find(out.begin(), out.end(), x) != out.end())
      item.fail(fmt::format("'{}' is listed twice", item.text()));
    out.push_back(x);
  }
}

v1::TreatmentType treatment_type(const val& v) {
  v1::TreatmentType t{};
  if (!v1::TreatmentType_Parse(v.text(), &t) || t == v1::TREATMENT_UNSPECIFIED)
    v.fail(fmt::format("'{}' is not one of {}", v.text(), treatment_type_names()));
  return t;
}
std::string locale(const val& v) { return v.token("_-"); }
// A sound file's name as Asterisk knows it ("queue-welcome", "digits/1").
std::string prompt(const val& v) {
  std::string p = v.nonempty();
  if (std::any_of(p.begin(), p.end(), [](unsigned char c) { return std::isspace(c); }))
    v.fail(fmt::format("'{}' is not a prompt name (no blanks)", p));
  return p;
}

const field<media_server_config> media_server_fields[] = {
    {"name", [](const val& v, media_server_config& m) { m.name = v.token("_-"); }, true},
    {"address", [](const val& v, media_server_config& m) {
       m.address = v.address();
       for (const auto& other : v.src.cfg.media.servers)
         if (other.address.str() == m.address.str())
           v.fail(fmt::format("{} is already media server '{}' (line {})", m.address.str(),
                              other.name, other.line));
     }, true},
    {"weight", [](const val& v, media_server_config& m) { m.weight = v.number(1, 1000); }},
    {"capacity", [](const val& v, media_server_config& m) { m.capacity = v.number(1); }},
    {"treatments", [](const val& v, media_server_config& m) {
       unique_items(v, m.treatments, treatment_type);
     }},
    {"locales", [](const val& v, media_server_config& m) { unique_items(v, m.locales, locale); }},
    {"prompts", [](const val& v, media_server_config& m) { unique_items(v, m.prompts, prompt); }},
};

const field<media_config> media_fields[] = {
    {"instance", [](const val& v, media_config& m) { m.instance = v.token("_-"); }},
    {"options-interval-ms",
     [](const val& v, media_config& m) { m.options_interval_ms = v.number(100); }},
    {"options-timeout-ms",
     [](const val& v, media_config& m) { m.options_timeout_ms = v.number(10); }},
    {"out-after", [](const val& v, media_config& m) { m.out_after = v.number(1, 100); }},
    {"back-after", [](const val& v, media_config& m) { m.back_after = v.number(1, 100); }},
    {"pending-ms", [](const val& v, media_config& m) { m.pending_ms = v.number(100); }},
    {"lease-ttl-ms", [](const val& v, media_config& m) { m.lease_ttl_ms = lease_ttl(v); }},
    {"recordings-dir", [](const val& v, media_config& m) {
       m.recordings_dir = v.text();
       if (m.recordings_dir.empty() || m.recordings_dir.front() != '/')
         v.fail("recordings-dir must be an absolute path, got '" + m.recordings_dir + "'");
     }},
    {"servers", [](const val& v, media_config& m) {
       v.list(m.servers, media_server_fields, &media_server_config::name, "media server");
     }},
};

// A probe must end before the next one starts.
void check_probe_timing(const val& v, const media_config& m) {
  if (m.options_timeout_ms < m.options_interval_ms) return;
  const char* key = v.node["options-timeout-ms"] ? "options-timeout-ms" : "options-interval-ms";
  val{v.src, key, v.node[key]}.fail(
      fmt::format("options-timeout-ms ({}) must be below options-interval-ms ({}): a probe "
                  "must end before the next one",
                  m.options_timeout_ms, m.options_interval_ms));
}

// Order matters: each section may refer to the ones above it.
const field<config> top_fields[] = {
    {"bus", [](const val& v, config& c) { v.fields(bus_fields, c); }},
    {"sip-edge", [](const val& v, config& c) {
       v.fields(sip_edge_fields, c);
       // Only a min above the default max gets here: a given max is checked above.
       if (c.register_min_expires_s > c.register_max_expires_s)
         val{v.src, "register-min-expires", v.node["register-min-expires"]}.fail(
             fmt::format("must not exceed register-max-expires ({}), got {}",
                         c.register_max_expires_s, c.register_min_expires_s));
     }},
    {"asterisk", [](const val& v, config& c) { v.fields(asterisk_fields, c); }},
    {"agent-logins", [](const val& v, config& c) {
       v.list(c.agent_logins, agent_fields, &agent_login_config::id, "AgentID");
     }},
    {"agent-groups", [](const val& v, config& c) {
       v.list(c.agent_groups, group_fields, &agent_group_config::name, "agent group");
     }},
    {"dns", [](const val& v, config& c) {
       v.list(c.dns, dn_fields, &dn_config::number, "DN");
       dn_references(v);
     }},
    {"presence", [](const val& v, config& c) { v.fields(presence_fields, c); }},
    {"mwi", [](const val& v, config& c) { v.fields(mwi_fields, c.mwi); }},
    {"router", [](const val& v, config& c) { v.fields(router_fields, c.router); }},
    {"callctl", [](const val& v, config& c) { v.fields(callctl_fields, c.callctl); }},
    {"media", [](const val& v, config& c) {
       v.fields(media_fields, c.media);
       check_probe_timing(v, c.media);
     }},
    {"application", [](const val& v, config& c) { c.app_options = v.options(app_options); }},
};

}  // namespace

namespace {

template <class T, class Key>
const T* find_in(const std::vector<T>& items, const std::unordered_map<std::string, std::size_t>& index,
                 const std::string& key, Key key_of) {
  if (index.size() == items.size()) {
    auto it = index.find(key);
    return it == index.end() ? nullptr : &items[it->second];
  }
  const auto it = std::find_if(items.begin(), items.end(),
                               [&](const T& item) { return key_of(item) == key; });
  return it == items.end() ? nullptr : &*it;
}

template <class T, class Key>
std::unordered_map<std::string, std::size_t> index_of(const std::vector<T>& items, Key key_of) {
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < items.size(); ++i)
    index.try_emplace(key_of(items[i]), i);  // the first of twins, as a search finds
  return index;
}

const std::string& number_of(const dn_config& d) { return d.number; }
const std::string& id_of(const agent_login_config& a) { return a.id; }

}  // namespace

const dn_config* config::find_dn(const std::string& number) const {
  return find_in(dns, dn_index, number, number_of);
}

const agent_login_config* config::find_agent(const std::string& id) const {
  return find_in(agent_logins, agent_index, id, id_of);
}

void config::build_index() {
  dn_index = index_of(dns, number_of);
  agent_index = index_of(agent_logins, id_of);
}

config parse_config(const std::string& text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw config_error(fmt::format("{}:{}: {}", file, e.mark.line + 1, e.msg));
  }
  config cfg;
  cfg.file = file;
  const source src{file, cfg};
  val{src, "top level", root}.fields(top_fields, cfg);
  if (cfg.media.servers.empty()) {
    media_server_config asterisk;
    asterisk.name = "asterisk";
    asterisk.address = cfg.asterisk;
    cfg.media.servers.push_back(asterisk);
  }
  if (!cfg.sip_max_message_bytes_set)
    for (const auto& l : cfg.resource_lists)
      if (list_fits_udp(l.dns.size()))
        cfg.sip_max_message_bytes =
            std::max(cfg.sip_max_message_bytes, list_notify_bytes(l.dns.size()));
  cfg.build_index();
  return cfg;
}

config load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw config_error(path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

std::vector<std::string> config_notes(const config& cfg) {
  std::vector<std::string> notes;
  for (const auto& d : cfg.dns)
    if (d.package == presence_package::dialog)
      notes.push_back(fmt::format(
          "{}:{}: DN {} uses dialog-info: an unregistered phone shows as idle, so it never "
          "goes out of service (use presence for that)",
          cfg.file, d.line, d.number));
  for (const auto& d : cfg.dns) {
    const auto wait = d.options.find("max-wait");
    if (d.options.count("agent-group") && wait != d.options.end() && wait->second != "0" &&
        !d.options.count("default-dn") && !cfg.app_options.count("default-dn"))
      notes.push_back(fmt::format(
          "{}:{}: Routing Point {} has max-wait but no default-dn (neither its own nor the "
          "application's): its calls wait for an agent however long it takes",
          cfg.file, d.line, d.number));
  }
  return notes;
}

std::vector<std::string> config_warnings(const config& cfg) {
  std::vector<std::string> warnings;
  for (const auto& l : cfg.resource_lists)
    if (!list_fits_udp(l.dns.size()))
      warnings.push_back(fmt::format(
          "{}:{}: resource list '{}' has {} DNs: its full-state NOTIFY will not fit a UDP "
          "datagram above about {} DNs, so Asterisk answers 200 and never NOTIFYs, and its DNs "
          "fall back to one subscription each; split it into lists of at most {}",
          cfg.file, l.line, l.name, l.dns.size(), k_max_udp_list_dns, k_max_udp_list_dns));
  return warnings;
}

}  // namespace sipcc
