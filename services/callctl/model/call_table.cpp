#include "callctl/model/call_table.hpp"

#include <type_traits>

namespace sipcc::callctl {

void open_call(call_table& t, const std::string& conn_id, const std::string& leg_id,
               const std::string& edge) {
  t.calls.insert(conn_id);
  if (!leg_id.empty())
    leg_made(t, leg_id, conn_id, edge);
}

void leg_made(call_table& t, const std::string& leg_id, const std::string& conn_id,
              const std::string& edge) {
  t.legs[leg_id] = {conn_id, edge, 0};
}

void set_alias(call_table& t, const std::string& alias, const std::string& conn_id,
               bool active) {
  if (active)
    t.conn_aliases[alias] = conn_id;
  else
    t.conn_aliases.erase(alias);
}

namespace {

template <class Map>
void erase_pointing_at(Map& m, const std::string& conn_id) {
  for (auto it = m.begin(); it != m.end();) {
    if constexpr (std::is_same_v<typename Map::mapped_type, leg_entry>)
      it = it->second.conn_id == conn_id ? m.erase(it) : std::next(it);
    else
      it = it->second == conn_id ? m.erase(it) : std::next(it);
  }
}

}  // namespace

void close_call(call_table& t, const std::string& conn_id) {
  t.calls.erase(conn_id);
  erase_pointing_at(t.legs, conn_id);
  erase_pointing_at(t.made_calls, conn_id);
  erase_pointing_at(t.conn_aliases, conn_id);
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
