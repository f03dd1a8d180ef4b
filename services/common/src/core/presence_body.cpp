#include "sipcc/presence_body.hpp"

#include <cctype>
#include <charconv>
#include <utility>

#include <pugixml.hpp>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/msg_mime.h>
#include <sofia-sip/msg_mime_protos.h>

#include "sipcc/sofia_home.hpp"

namespace sipcc {
namespace {

template <class T>
parse_result<T> fail(std::string reason) {
  return parse_result<T>{std::nullopt, std::move(reason)};
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// pugixml has no namespace support: element names keep their prefix
// ("rpid:on-the-phone", "dm:person"), and the prefix differs between servers,
// so every lookup compares the part after the colon.
std::string_view local_name(const pugi::xml_node& n) {
  std::string_view name = n.name();
  auto colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node& parent, std::string_view name) {
  for (auto c : parent.children())
    if (c.type() == pugi::node_element && local_name(c) == name) return c;
  return {};
}

std::string_view text_of(const pugi::xml_node& n) { return trim(n.child_value()); }

// Loads `xml` and checks the root element's local name. `what` prefixes errors.
parse_result<pugi::xml_node> load_root(pugi::xml_document& doc, std::string_view xml,
                                       const char* what, std::string_view root_name) {
  const std::string prefix = std::string(what) + ": ";
  if (trim(xml).empty()) return fail<pugi::xml_node>(prefix + "empty body");
  auto res = doc.load_buffer(xml.data(), xml.size());
  if (!res)
    return fail<pugi::xml_node>(prefix + "malformed XML at offset " +
                                std::to_string(res.offset) + ": " + res.description());
  auto root = doc.document_element();
  if (local_name(root) != root_name)
    return fail<pugi::xml_node>(prefix + "root element is <" + root.name() +
                                ">, expected <" + std::string(root_name) + ">");
  return {root, {}};
}

// Whole string must be decimal digits; RFC 4235 / 4662 versions are unsigned.
std::optional<long long> parse_version(std::string_view s) {
  if (s.empty() || s.front() < '0' || s.front() > '9') return std::nullopt;
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Required version attribute, or the reason it is unusable. Both RFC 4235
// (4.1: representable in 32 bits) and RFC 4662 (xs:unsignedInt) bound it; a
// larger one is malformed, and accepting it would make every later version
// of the subscription look stale.
parse_result<long long> version_attr(const pugi::xml_node& root, const char* what) {
  auto attr = root.attribute("version");
  if (!attr)
    return fail<long long>(std::string(what) + ": missing version attribute");
  auto v = parse_version(attr.value());
  if (!v)
    return fail<long long>(std::string(what) + ": version '" + attr.value() +
                           "' is not a non-negative integer");
  if (*v > kMaxBodyVersion)
    return fail<long long>(std::string(what) + ": version '" + attr.value() +
                           "' is above " + std::to_string(kMaxBodyVersion));
  return {v, {}};
}

// ---- PIDF -------------------------------------------------------------------

// Notes that describe the device: on <presence>, on a tuple that carries a
// <basic>, or on a <person>. Not those of other tuples (e.g. digium-presence).
bool has_note(const pugi::xml_node& root, const std::vector<pugi::xml_node>& tuples,
              std::string_view wanted) {
  auto scan = [wanted](const pugi::xml_node& parent) {
    for (auto c : parent.children())
      if (c.type() == pugi::node_element && local_name(c) == "note" &&
          iequals(text_of(c), wanted))
        return true;
    return false;
  };
  if (scan(root)) return true;
  for (const auto& t : tuples)
    if (scan(t)) return true;
  for (auto c : root.children())
    if (c.type() == pugi::node_element && local_name(c) == "person" && scan(c)) return true;
  return false;
}

bool on_the_phone(const pugi::xml_node& root) {
  auto found = root.find_node([](const pugi::xml_node& n) {
    return n.type() == pugi::node_element && local_name(n) == "activities" &&
           child(n, "on-the-phone");
  });
  return static_cast<bool>(found);
}

// ---- MIME (sofia-sip's parsers) -----------------------------------------------

// A Content-Type value as sofia reads it (RFC 3261 20.15); nullptr when it
// is none.
msg_content_type_t* content_type_of(const sofia_home& home, std::string_view value) {
  return msg_content_type_make(home.get(), std::string(value).c_str());
}

// type/subtype, lower-cased, parameters dropped; empty when there is none.
std::string media_type(const msg_content_type_t* c) {
  std::string type;
  if (c && c->c_type)
    for (const char* p = c->c_type; *p; ++p) type.push_back(ascii_lower(*p));
  return type;
}

std::string media_type(std::string_view content_type) {
  sofia_home home;
  return media_type(content_type_of(home, content_type));
}

struct body_part {
  std::string content_type;  // media type, lower-cased
  std::string content_id;    // without the angle brackets
  std::string_view body;
};

std::string strip_angle_brackets(std::string_view id) {
  id = trim(id);
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
  return std::string(trim(id));
}

// The parts of a multipart body (RFC 2046 5.1.1), split by sofia's
// msg_multipart_parse with the Content-Type's boundary. The close delimiter
// is required, so a truncated body is an error, not fewer parts. The parts'
// bodies live in `home`.
parse_result<std::vector<body_part>> split_multipart(const sofia_home& home,
                                                     const msg_content_type_t* type,
                                                     std::string_view boundary,
                                                     std::string_view body) {
  using parts = std::vector<body_part>;
  // sofia asserts on a NUL in a part's headers, and no XML body has one.
  if (body.find('\0') != std::string_view::npos)
    return fail<parts>("multipart: the body has a NUL byte");
  msg_multipart_t* mp = nullptr;
  // sofia compares the first bytes with the delimiter before it searches.
  if (body.size() >= boundary.size() + 2) {
    msg_payload_t* pl = msg_payload_create(home.get(), body.data(), body.size());
    if (!pl) std::abort();  // out of memory
    mp = msg_multipart_parse(home.get(), type, pl);
  }
  if (!mp) {
    const std::string dash_boundary = "--" + std::string(boundary);
    if (body.find(dash_boundary) == std::string_view::npos)
      return fail<parts>("multipart: no delimiter line for boundary '" + std::string(boundary) +
                         "'");
    return fail<parts>("multipart: no close delimiter (body truncated?)");
  }
  parts out;
  for (; mp; mp = mp->mp_next) {
    if (!mp->mp_separator)
      return fail<parts>("multipart: part " + std::to_string(out.size() + 1) +
                         " has no blank line between headers and body");
    body_part part;
    part.content_type = media_type(mp->mp_content_type);
    if (mp->mp_content_id && mp->mp_content_id->g_string)
      part.content_id = strip_angle_brackets(mp->mp_content_id->g_string);
    if (mp->mp_payload)
      part.body = std::string_view(static_cast<const char*>(mp->mp_payload->pl_data),
                                   mp->mp_payload->pl_len);
    out.push_back(std::move(part));
  }
  return {std::move(out), {}};
}

list_resource read_resource(const pugi::xml_node& res, const std::vector<body_part>& parts) {
  list_resource r;
  r.uri = res.attribute("uri").value();
  // A resource may list several instances (forked subscriptions); Asterisk
  // sends one, and the first is the one we report.
  auto inst = child(res, "instance");
  if (!inst) return r;  // partial lists may name a resource without an instance
  r.state = inst.attribute("state").value();
  r.reason = inst.attribute("reason").value();
  std::string_view cid = inst.attribute("cid").value();
  if (cid.empty()) return r;
  for (const auto& p : parts) {
    if (p.content_id != cid) continue;
    auto parsed = parse_device_body(p.content_type, p.body);
    if (parsed) r.report = std::move(parsed.value);
    else r.error = std::move(parsed.error);
    return r;
  }
  r.error = "no body part with Content-ID <" + std::string(cid) + ">";
  return r;
}

}  // namespace

parse_result<device_report> parse_pidf(std::string_view xml) {
  pugi::xml_document doc;
  auto root = load_root(doc, xml, "pidf", "presence");
  if (!root) return fail<device_report>(std::move(root.error));

  // Only tuples with <status><basic> describe the device; Asterisk's
  // digium-presence tuple carries CustomPresence instead and is skipped.
  std::vector<pugi::xml_node> tuples;
  bool any_open = false;
  for (auto t : root.value->children()) {
    if (t.type() != pugi::node_element || local_name(t) != "tuple") continue;
    auto basic = child(child(t, "status"), "basic");
    if (!basic) continue;
    auto value = text_of(basic);
    if (value == "open") any_open = true;
    else if (value != "closed")
      return fail<device_report>("pidf: <basic> is '" + std::string(value) +
                                 "', expected open or closed");
    tuples.push_back(t);
  }
  if (tuples.empty()) return fail<device_report>("pidf: no tuple with a <basic> status");

  device_report rep;
  rep.entity = root.value->attribute("entity").value();
  if (!any_open) rep.device = v1::DEVICE_OUT_OF_SERVICE;
  else if (!on_the_phone(*root.value)) rep.device = v1::DEVICE_IDLE;
  else if (has_note(*root.value, tuples, "Ringing")) rep.device = v1::DEVICE_RINGING;
  else if (has_note(*root.value, tuples, "On hold")) rep.device = v1::DEVICE_HELD;
  else rep.device = v1::DEVICE_BUSY;
  return {std::move(rep), {}};
}

parse_result<device_report> parse_dialog_info(std::string_view xml) {
  pugi::xml_document doc;
  auto root = load_root(doc, xml, "dialog-info", "dialog-info");
  if (!root) return fail<device_report>(std::move(root.error));
  auto version = version_attr(*root.value, "dialog-info");
  if (!version) return fail<device_report>(std::move(version.error));
  // A partial document lists only the dialogs that changed; the device state
  // cannot be computed from it alone. Asterisk always sends full.
  if (std::string_view(root.value->attribute("state").value()) == "partial")
    return fail<device_report>("dialog-info: partial state is not supported");

  bool busy = false, held = false, ringing = false;
  for (auto d : root.value->children()) {
    if (d.type() != pugi::node_element || local_name(d) != "dialog") continue;
    auto state_node = child(d, "state");
    if (!state_node) return fail<device_report>("dialog-info: <dialog> without <state>");
    auto state = text_of(state_node);
    // Outbound dialogs that are not yet answered keep the device busy.
    bool outbound = std::string_view(d.attribute("direction").value()) == "initiator";
    if (state == "confirmed") {
      // Asterisk marks ONHOLD with +sip.rendering=no on the local target
      // (RFC 4235 4.1.6): the device is held, not talking.
      bool on_hold = false;
      for (auto p : child(child(d, "local"), "target").children())
        if (local_name(p) == "param" &&
            std::string_view(p.attribute("pname").value()) == "+sip.rendering" &&
            std::string_view(p.attribute("pvalue").value()) == "no")
          on_hold = true;
      (on_hold ? held : busy) = true;
    } else if (state == "early") {
      (outbound ? busy : ringing) = true;
    } else if (state == "trying" || state == "proceeding") {
      busy = true;
    } else if (state != "terminated") {
      return fail<device_report>("dialog-info: unknown dialog state '" + std::string(state) +
                                 "'");
    }
  }

  device_report rep;
  rep.version = *version.value;
  rep.entity = root.value->attribute("entity").value();
  rep.device = busy      ? v1::DEVICE_BUSY
               : held    ? v1::DEVICE_HELD
               : ringing ? v1::DEVICE_RINGING
                         : v1::DEVICE_IDLE;
  return {std::move(rep), {}};
}

parse_result<device_report> parse_device_body(std::string_view content_type,
                                              std::string_view body) {
  auto type = media_type(content_type);
  if (type == "application/pidf+xml") return parse_pidf(body);
  if (type == "application/dialog-info+xml") return parse_dialog_info(body);
  return fail<device_report>("unsupported content type '" + std::string(trim(content_type)) +
                             "'");
}

std::string body_type_label(std::string_view content_type) {
  static constexpr std::string_view kKnown[] = {
      "application/pidf+xml",
      "application/xpidf+xml",
      "application/dialog-info+xml",
      "application/rlmi+xml",
      "multipart/related",
      "application/simple-message-summary",
      "application/dtmf-relay",
      "application/dtmf",
      "application/sdp",
  };
  auto type = media_type(content_type);
  // No media type before the parameters: no Content-Type to speak of.
  if (type.empty() && trim(content_type.substr(0, content_type.find(';'))).empty())
    return "none";
  for (auto known : kKnown)
    if (type == known) return type;
  return "other";
}

namespace {

bool rfc2046_boundary(std::string_view b) {
  constexpr std::string_view bchars = "'()+_,-./:=? ";
  if (b.empty() || b.size() > 70 || b.back() == ' ')
    return false;
  for (char c : b)
    if (!std::isalnum(static_cast<unsigned char>(c)) && bchars.find(c) == std::string_view::npos)
      return false;
  return true;
}

}  // namespace

parse_result<list_notify> parse_list_notify(std::string_view content_type,
                                            std::string_view body) {
  sofia_home home;
  const msg_content_type_t* type = content_type_of(home, content_type);
  if (media_type(type) != "multipart/related")
    return fail<list_notify>("list: content type '" + std::string(trim(content_type)) +
                             "' is not multipart/related");
  // Without one, msg_multipart_parse would guess a boundary from the body.
  const char* quoted = msg_header_find_param(type->c_common, "boundary=");
  const char* boundary = quoted && *quoted == '"' ? msg_unquote_dup(home.get(), quoted) : quoted;
  if (!boundary || !*boundary)
    return fail<list_notify>("list: multipart/related without a boundary parameter");
  // RFC 2046 5.1.1: 1 to 70 of its bchars; sofia's delimiter search
  // overflowed the stack on longer ones and on bytes over 0x7f (found by
  // fuzzing).
  if (!rfc2046_boundary(boundary))
    return fail<list_notify>("list: the boundary is not 1 to 70 RFC 2046 characters");

  auto parts = split_multipart(home, type, boundary, body);
  if (!parts) return fail<list_notify>("list: " + parts.error);

  const body_part* rlmi = nullptr;
  for (const auto& p : *parts.value)
    if (p.content_type == "application/rlmi+xml") {
      rlmi = &p;
      break;
    }
  if (!rlmi) return fail<list_notify>("list: no application/rlmi+xml part");

  pugi::xml_document doc;
  auto root = load_root(doc, rlmi->body, "rlmi", "list");
  if (!root) return fail<list_notify>("list: " + root.error);
  auto version = version_attr(*root.value, "rlmi");
  if (!version) return fail<list_notify>("list: " + version.error);
  std::string_view full_state = root.value->attribute("fullState").value();
  list_notify out;
  if (full_state == "true" || full_state == "1") out.full_state = true;
  else if (full_state == "false" || full_state == "0") out.full_state = false;
  else
    return fail<list_notify>("list: rlmi fullState '" + std::string(full_state) +
                             "' is not a boolean");
  out.list_uri = root.value->attribute("uri").value();
  out.version = *version.value;
  for (auto res : root.value->children())
    if (res.type() == pugi::node_element && local_name(res) == "resource")
      out.resources.push_back(read_resource(res, *parts.value));
  return {std::move(out), {}};
}

}  // namespace sipcc
