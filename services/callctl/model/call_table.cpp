#include "callctl/model/call_table.hpp"

namespace sipcc::callctl {

void open_call(call_table& t, const std::string& conn_id, const std::string& leg_id,
               const std::string& edge) {
  t.calls.try_emplace(conn_id);
  if (!leg_id.empty())
    leg_made(t, leg_id, conn_id, edge);
}

void open_made_call(call_table& t, const std::string& conn_id, const std::string& this_dn) {
  t.calls[conn_id].made_dns.push_back(this_dn);
  t.made_calls[this_dn] = conn_id;
}

namespace {

// Notes that `key` points at call `conn_id`, when that call is alive.
void refer(call_table& t, const std::string& conn_id,
           std::vector<std::string> call_refs::*list, const std::string& key) {
  if (auto c = t.calls.find(conn_id); c != t.calls.end())
    (c->second.*list).push_back(key);
}

const std::string& call_of(const leg_entry& l) { return l.conn_id; }
const std::string& call_of(const std::string& conn_id) { return conn_id; }

template <class Map>
void erase_pointing_at(Map& m, const std::vector<std::string>& keys, const std::string& conn_id) {
  for (const auto& key : keys)
    if (auto it = m.find(key); it != m.end() && call_of(it->second) == conn_id)
      m.erase(it);
}

}  // namespace

void leg_made(call_table& t, const std::string& leg_id, const std::string& conn_id,
              const std::string& edge) {
  t.legs[leg_id] = {conn_id, edge, 0};
  refer(t, conn_id, &call_refs::legs, leg_id);
}

void set_alias(call_table& t, const std::string& alias, const std::string& conn_id,
               bool active) {
  if (!active) {
    t.conn_aliases.erase(alias);
    return;
  }
  t.conn_aliases[alias] = conn_id;
  refer(t, conn_id, &call_refs::aliases, alias);
}

bool media_leg_made(call_table& t, const std::string& conn_id, const v1::MediaLeg& media) {
  if (!t.calls.count(conn_id))
    return false;
  t.media_legs[media.leg_id()] = {conn_id, media};
  return true;
}

bool end_media_leg(call_table& t, const std::string& leg_id) {
  return t.media_legs.erase(leg_id) > 0;
}

std::vector<call_table::media_entry> take_media_legs_on(call_table& t,
                                                       const std::string& server) {
  std::vector<call_table::media_entry> taken;
  for (auto it = t.media_legs.begin(); it != t.media_legs.end();) {
    if (it->second.leg.server() != server) {
      ++it;
      continue;
    }
    taken.push_back(std::move(it->second));
    it = t.media_legs.erase(it);
  }
  return taken;
}

std::vector<std::string> close_call(call_table& t, const std::string& conn_id) {
  auto c = t.calls.find(conn_id);
  if (c == t.calls.end())
    return {};
  std::vector<std::string> media_ended;
  for (const auto& leg : c->second.legs) {
    auto m = t.media_legs.find(leg);
    if (m != t.media_legs.end() && m->second.call == conn_id) {
      t.media_legs.erase(m);
      media_ended.push_back(leg);
    }
  }
  erase_pointing_at(t.legs, c->second.legs, conn_id);
  erase_pointing_at(t.made_calls, c->second.made_dns, conn_id);
  erase_pointing_at(t.conn_aliases, c->second.aliases, conn_id);
  t.calls.erase(c);
  return media_ended;
}

std::string take_leg_event(call_table& t, const v1::LegEvent& le) {
  auto l = t.legs.find(le.leg_id());
  if (l == t.legs.end())
    return le.conn_id();
  auto conn = l->second.conn_id;
  if (le.has_gone())
    t.legs.erase(l);
  return conn;
}

std::vector<std::string> unknown_calls(
    const call_table& t, const google::protobuf::RepeatedPtrField<std::string>& conn_ids) {
  std::vector<std::string> out;
  for (const auto& id : conn_ids) {
    auto alias = t.conn_aliases.find(id);
    bool live = t.calls.count(id) > 0 ||
                (alias != t.conn_aliases.end() && t.calls.count(alias->second) > 0);
    if (!live)
      out.push_back(id);
  }
  return out;
}

void note_dn_calls(call_table& t, const v1::DnState& st) {
  if (st.sipcc_calls_size() > 0)
    t.dns_with_calls.insert(st.dn());
  else
    t.dns_with_calls.erase(st.dn());
}

std::string subject_dn(const std::string& subject) {
  return subject.substr(subject.rfind('.') + 1);
}

bool opens_consultation(v1::RequestType type) {
  return type == v1::TInitiateTransfer || type == v1::TInitiateConference;
}

request_target call_for(const call_table& t, const v1::TRequest& req) {
  auto alias = t.conn_aliases.find(req.conn_id());
  auto conn = alias == t.conn_aliases.end() ? req.conn_id() : alias->second;
  if (!t.calls.count(conn))
    return {"", {v1::ERR_INVALID_STATE, "no call with ConnID '" + req.conn_id() + "'"}};
  return {conn, {}};
}

namespace {

// It becomes a Request-URI user part and an Asterisk conference name.
bool valid_conf_id(const std::string& id) {
  return !id.empty() && id.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "abcdefghijklmnopqrstuvwxyz_-") == std::string::npos;
}

}  // namespace

conf_target conf_for(const call_table& t, const v1::ConfRequest& req) {
  if (req.op() == v1::CONF_CREATE)
    return {true, "", ""};
  if (req.op() != v1::CONF_JOIN && req.op() != v1::CONF_LEAVE)
    return {false, "", "op must be CONF_CREATE, CONF_JOIN or CONF_LEAVE"};
  if (req.op() == v1::CONF_JOIN && !valid_conf_id(req.conf_id()))
    return {false, "", "conf_id '" + req.conf_id() + "' is not [A-Za-z0-9_-]+"};
  if (!t.calls.count(req.conn_id()))
    return {false, "", "no call with ConnID '" + req.conn_id() + "'"};
  return {false, req.conn_id(), ""};
}

}  // namespace sipcc::callctl
