#include "registry.hpp"
#include "call_actor.hpp"
#include "call_messages.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "sipcc/actor_host.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/mwi.hpp"
#include "callctl/model/call_fsm.hpp"
#include "callctl/model/dtmf.hpp"
#include "sipcc/counters.hpp"
#include "callctl/model/ids.hpp"
#include "sipcc/media_uri.hpp"
#include "callctl/model/remote_answer.hpp"
#include "sipcc/trusted_peers.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipcc/v1/sip.pb.h"
#include "sipcc/v1/state.pb.h"
#include "sipcc/service.hpp"
#include "sipcc/tevent.hpp"

namespace sipcc::callctl {

namespace {

struct registry_state {
  shared* sh = nullptr;
  std::unique_ptr<conn_id_generator> ids;
  std::unordered_map<std::string, call_handle> calls;  // ConnID -> call
  struct leg_info {
    std::string conn_id;
    std::string edge;
    int misses = 0;  // consecutive audits of its edge that did not list it
  };
  std::unordered_map<std::string, leg_info> legs;     // leg id -> its call
  // A DN has one call at a time from TMakeCall: ThisDN -> its ConnID, and the
  // DNs whose state (presence) lists a sipcc call (a routed one, say).
  std::unordered_map<std::string, std::string> made_calls;
  std::unordered_set<std::string> dns_with_calls;
  // transfers: a consultation call's ConnID -> the ConnID of the call that has it.
  std::unordered_map<std::string, std::string> conn_aliases;
  static inline const char* name = "callctl-registry";
};

using registry_actor = caf::stateful_actor<registry_state>;

void reply_error(registry_actor* self, const std::string& reply_to, const v1::TRequest& req,
                 v1::ErrorCode code, const std::string& msg) {
  process_counters().add(counter_id::tlib_errors, v1::ErrorCode_Name(code));
  if (!reply_to.empty())
    self->state.sh->nats->publish(reply_to, make_error(req, code, msg, now_us()));
}

// The edge listed what it holds for us: drop what we do not know, and end
// calls whose legs it stopped listing (twice, so a leg created while the
// list was on its way is not taken for lost; once when the edge restarted).
void on_audit(registry_actor* self, const v1::LegAudit& audit, int misses_to_lose = 2) {
  auto& s = self->state;
  std::unordered_set<std::string> listed(audit.leg_ids().begin(), audit.leg_ids().end());
  for (auto& id : listed) {
    if (s.legs.count(id))
      continue;
    process_counters().add(counter_id::audit_fixes, "stray_leg");
    v1::LegCommand cmd;
    cmd.set_schema(v1::SCHEMA_V1);
    cmd.set_leg_id(id);
    cmd.mutable_drop()->set_why("callctl knows no call for it");
    s.sh->nats->publish(subj::edge_leg(audit.edge_id()), cmd);
  }
  for (auto it = s.legs.begin(); it != s.legs.end();) {
    auto& info = it->second;
    if (info.edge != audit.edge_id() || listed.count(it->first)) {
      if (info.edge == audit.edge_id())
        info.misses = 0;
      ++it;
      continue;
    }
    if (++info.misses < misses_to_lose) {
      ++it;
      continue;
    }
    process_counters().add(counter_id::audit_fixes, "lost_leg");
    spdlog::warn("ConnID {}: edge {} no longer holds leg {}", info.conn_id, info.edge, it->first);
    auto call = s.calls.find(info.conn_id);
    if (call != s.calls.end()) {
      v1::LegEvent gone;
      gone.set_schema(v1::SCHEMA_V1);
      gone.set_leg_id(it->first);
      gone.set_edge_id(info.edge);
      gone.set_conn_id(info.conn_id);
      gone.mutable_gone()->set_why("missing from the edge's audit");
      self->send(call->second, leg_event_msg{gone});
    }
    it = s.legs.erase(it);
  }
}

void gauge(registry_actor* self) {
  process_counters().set(counter_id::actors, "call",
                         static_cast<int64_t>(self->state.calls.size()));
}

// The phone of a DN as routed calls reach it, and the edge to send through;
// empty for a DN registered on sipcc without a binding.
std::pair<std::string, std::string> phone_of(const shared& sh, const dn_config& dn) {
  if (!dn.registers_on_sipcc())
    return {contact_uri(dn, *sh.cfg), sh.cfg->edge_id};
  auto bindings = sh.dir.bindings();
  auto b = bindings->find(dn.number);
  if (b == bindings->end())
    return {};
  return {b->second.back().contact, b->second.back().edge};
}

bool is_agent_dn(const dn_config* dn) {
  return dn && (dn->type == v1::Extension || dn->type == v1::ACDPosition);
}

// TMakeCall: every check comes before any SIP; then the call's actor
// (call_actor.cpp) dials ThisDN's phone and answers with its EventDialing.
void start_make_call(registry_actor* self, const v1::TRequest& req, const std::string& reply_to) {
  auto& s = self->state;
  const auto& cfg = *s.sh->cfg;
  const auto& this_dn = req.this_dn();
  const auto& other_dn = req.other_dn();
  auto refuse = [&](v1::ErrorCode code, const std::string& msg) {
    reply_error(self, reply_to, req, code, msg);
  };
  auto* dn = cfg.find_dn(this_dn);
  if (!dn)
    return refuse(v1::ERR_UNKNOWN_DN, "ThisDN " + this_dn + " is not configured");
  if (!is_agent_dn(dn))
    return refuse(v1::ERR_DN_TYPE, "ThisDN " + this_dn + " is a " + v1::DnType_Name(dn->type) +
                                       ", not an Extension or ACDPosition");
  if (other_dn.empty())
    return refuse(v1::ERR_BAD_REQUEST, "TMakeCall needs an OtherDN");
  // It goes into a Request-URI as it is: the characters a DN may have.
  if (other_dn.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "abcdefghijklmnopqrstuvwxyz_+-") != std::string::npos)
    return refuse(v1::ERR_BAD_REQUEST, "OtherDN '" + other_dn + "' is not a number to dial");
  if (other_dn == this_dn)
    return refuse(v1::ERR_BAD_REQUEST, "OtherDN is ThisDN " + this_dn);
  if (s.made_calls.count(this_dn) || s.dns_with_calls.count(this_dn))
    return refuse(v1::ERR_INVALID_STATE, "ThisDN " + this_dn + " has a call already");
  make_call_setup setup;
  auto [agent_uri, edge] = phone_of(*s.sh, *dn);
  if (agent_uri.empty())
    return refuse(v1::ERR_INVALID_STATE, "ThisDN " + this_dn + " has no registered phone");
  setup.this_uri = agent_uri;
  setup.edge = edge;
  auto* other = cfg.find_dn(other_dn);
  setup.other_is_dn = is_agent_dn(other);
  if (other) {
    setup.other_uri = phone_of(*s.sh, *other).first;
    if (setup.other_uri.empty())
      return refuse(v1::ERR_INVALID_STATE, "OtherDN " + other_dn + " has no registered phone");
  } else {
    setup.other_uri = "sip:" + other_dn + "@" + cfg.asterisk.str();
  }
  setup.conn_id = s.ids->next();
  setup.reply_to = reply_to;
  setup.request = req;
  auto conn = setup.conn_id;
  s.calls.emplace(conn, spawn_made_call(self, s.sh, std::move(setup)));
  s.made_calls[this_dn] = conn;
  gauge(self);
}

// CREATE names a conference (the media server makes it on the first JOIN);
// JOIN and LEAVE go to the call's actor, which answers once the parties moved.
void on_conf_request(registry_actor* self, const v1::ConfRequest& req, const std::string& reply) {
  auto& s = self->state;
  auto refuse = [&](const std::string& why) {
    if (!reply.empty())
      s.sh->nats->publish(reply, conf_answer(req, why));
  };
  if (req.op() == v1::CONF_CREATE) {
    auto created = req;
    created.set_conf_id("conf-" + s.ids->next());
    if (!reply.empty())
      s.sh->nats->publish(reply, conf_answer(created, ""));
    return;
  }
  if (req.op() != v1::CONF_JOIN && req.op() != v1::CONF_LEAVE)
    return refuse("op must be CONF_CREATE, CONF_JOIN or CONF_LEAVE");
  // It becomes a Request-URI user part and an Asterisk conference name.
  const auto& id = req.conf_id();
  if (req.op() == v1::CONF_JOIN &&
      (id.empty() || id.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "abcdefghijklmnopqrstuvwxyz_-") != std::string::npos))
    return refuse("conf_id '" + id + "' is not [A-Za-z0-9_-]+");
  auto c = s.calls.find(req.conn_id());
  if (c == s.calls.end())
    return refuse("no call with ConnID '" + req.conn_id() + "'");
  self->send(c->second, conf_msg{req, reply});
}

caf::behavior registry_behavior(registry_actor* self, shared* sh) {
  self->state.sh = sh;
  self->state.ids = std::make_unique<conn_id_generator>(
      0, static_cast<uint64_t>(now_us() / 1000));
  gauge(self);  // reads 0, not "unknown", before the first call
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto& s = self->state;
    for (auto it = s.calls.begin(); it != s.calls.end();) {
      if (it->second.address() == dm.source) {
        auto conn = it->first;
        it = s.calls.erase(it);
        for (auto l = s.legs.begin(); l != s.legs.end();)
          l = l->second.conn_id == conn ? s.legs.erase(l) : std::next(l);
        for (auto m = s.made_calls.begin(); m != s.made_calls.end();)
          m = m->second == conn ? s.made_calls.erase(m) : std::next(m);
        for (auto al = s.conn_aliases.begin(); al != s.conn_aliases.end();)
          al = al->second == conn ? s.conn_aliases.erase(al) : std::next(al);
      } else {
        ++it;
      }
    }
    gauge(self);
  });
  return {
      [=](bus_atom, const std::string& subject, const std::string& data,
          const std::string& reply) {
        auto& s = self->state;
        auto* info = classify_subject(subject);
        switch (info ? info->family : subject_family::unknown) {
          case subject_family::in_invite: {
            v1::LegEvent le;
            if (!decode_bus(subject, data, le, "in_invite"))
              return;
            if (!le.has_incoming()) {
              process_counters().add(counter_id::bus_decode_errors, "in_invite");
              spdlog::warn("bus: offer without an incoming INVITE on {} dropped", subject);
              return;
            }
            auto conn = s.ids->next();
            auto a = spawn_call(self, sh, conn, le);
            s.calls.emplace(conn, a);
            s.legs[le.leg_id()] = {conn, le.edge_id(), 0};
            gauge(self);
            break;
          }
          case subject_family::leg_event: {
            v1::LegEvent le;
            if (!decode_bus(subject, data, le, "leg_event"))
              return;
            auto l = s.legs.find(le.leg_id());
            auto conn = l != s.legs.end() ? l->second.conn_id : le.conn_id();
            auto c = s.calls.find(conn);
            if (c != s.calls.end())
              self->send(c->second, leg_event_msg{le});
            // The edge forgot the dialog (a refused agent or media leg, say,
            // while its call goes on): the audit must not look for it.
            if (le.has_gone() && l != s.legs.end())
              s.legs.erase(l);
            break;
          }
          case subject_family::tlib_req: {
            v1::TRequest req;
            if (!decode_bus(subject, data, req, "tlib_req")) {
              req.set_this_dn(subject.substr(subject.rfind('.') + 1));
              return reply_error(self, reply, req, v1::ERR_BAD_REQUEST, "undecodable TRequest");
            }
            process_counters().add(counter_id::tlib_requests, v1::RequestType_Name(req.type()));
            if (req.this_dn().empty())
              req.set_this_dn(subject.substr(subject.rfind('.') + 1));
            if (req.type() == v1::TMakeCall)
              return start_make_call(self, req, reply);
            // transfers: the consultation call gets its ConnID here, unique
            // like every other; a consultation ConnID reaches its call.
            if (req.type() == v1::TInitiateTransfer || req.type() == v1::TInitiateConference)
              req.set_transfer_conn_id(s.ids->next());
            auto alias = s.conn_aliases.find(req.conn_id());
            auto c = s.calls.find(alias == s.conn_aliases.end() ? req.conn_id() : alias->second);
            if (c == s.calls.end())
              return reply_error(self, reply, req, v1::ERR_INVALID_STATE,
                                 "no call with ConnID '" + req.conn_id() + "'");
            self->send(c->second, request_msg{req, reply});
            break;
          }
          case subject_family::conf_req: {
            v1::ConfRequest req;
            if (!decode_bus(subject, data, req, "conf_req"))
              return;
            return on_conf_request(self, req, reply);
          }
          case subject_family::ops_ready: {
            // An edge (re)started: the dialogs it held are gone with it.
            auto edge = subject.substr(std::strlen("sipcc.ops."));
            edge = edge.substr(0, edge.find('.'));
            v1::LegAudit empty;
            empty.set_edge_id(edge);
            on_audit(self, empty, 1);
            // ... and so are its registrar bindings: the phones register again.
            s.sh->dir.change_bindings([&](binding_map& bindings) {
              bool changed = false;
              for (auto it = bindings.begin(); it != bindings.end();) {
                auto& list = it->second;
                auto size = list.size();
                list.erase(std::remove_if(list.begin(), list.end(),
                                          [&](const binding& b) { return b.edge == edge; }),
                           list.end());
                changed = changed || list.size() != size;
                it = list.empty() ? bindings.erase(it) : std::next(it);
              }
              return changed;
            });
            break;
          }
          case subject_family::reg: {
            v1::Registration r;
            if (!decode_bus(subject, data, r, "reg"))
              return;
            s.sh->dir.change_bindings([&](binding_map& bindings) {
              auto& list = bindings[r.dn()];
              list.erase(std::remove_if(list.begin(), list.end(),
                                        [&](const binding& b) { return b.contact == r.contact(); }),
                         list.end());
              if (r.expires_s() > 0)
                list.push_back({{r.contact(), r.source()}, r.edge_id()});
              if (list.empty())
                bindings.erase(r.dn());
              return true;
            });
            break;
          }
          case subject_family::leg_audit: {
            v1::LegAudit audit;
            if (!decode_bus(subject, data, audit, "leg_audit"))
              return;
            on_audit(self, audit);
            break;
          }
          case subject_family::state_dn: {
            v1::DnState st;
            if (!decode_bus(subject, data, st, "state_dn"))
              return;
            if (st.sipcc_calls_size() > 0)
              s.dns_with_calls.insert(st.dn());
            else
              s.dns_with_calls.erase(st.dn());
            // Most DN states are about calls, not logins: no copy for those.
            auto agents = s.sh->dir.agents();
            auto it = agents->find(st.dn());
            bool in = st.agent().state() != v1::AGENT_LOGGED_OUT;
            if (in ? (it != agents->end() && it->second == st.agent().agent_id())
                   : it == agents->end())
              break;
            s.sh->dir.change_agents([&](agent_map& m) {
              if (in)
                m[st.dn()] = st.agent().agent_id();
              else
                m.erase(st.dn());
              return true;
            });
            break;
          }
          default:
            break;
        }
      },
      [=](leg_map_atom, const std::string& leg, const std::string& conn,
          const std::string& edge) { self->state.legs[leg] = {conn, edge, 0}; },
      [=](conn_alias_atom, const std::string& alias, const std::string& conn, bool active) {
        if (active)
          self->state.conn_aliases[alias] = conn;
        else
          self->state.conn_aliases.erase(alias);
      },
  };
}

}  // namespace

caf::actor spawn_registry(caf::actor_system& sys, shared* sh) {
  return sys.spawn(registry_behavior, sh);
}

}  // namespace sipcc::callctl
