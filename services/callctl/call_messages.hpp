// What the registry and the call actors share: their typed interfaces (one
// message type per purpose), and how a call publishes its leg commands,
// T-Library events and DnCallFacts.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "callctl/model/call_fsm.hpp"
#include "callctl/model/call_snapshot.hpp"
#include "callctl/model/sdp.hpp"
#include "sipcc/actor_host.hpp"
#include "sipcc/dn_states_fetch.hpp"
#include "sipcc/edge_directory.hpp"
#include "sipcc/bus.hpp"
#include "sipcc/lease_messages.hpp"
#include "sipcc/presence_shards.hpp"
#include "sipcc/v1/media.pb.h"
#include "sipcc/v1/call.pb.h"
#include "sipcc/v1/sip.pb.h"
#include "sipcc/v1/tlib.pb.h"

namespace sipcc::callctl {

// On the INVITE of a leg to the phone of the DN whose desktop controls the
// call (a routed call's agent, a TMakeCall's ThisDN). Asterisk plays music to
// the phone behind every leg sipcc holds; the shipped dialplan ([agent-leg])
// gives this phone the silent class, so the agent who holds hears nothing and
// held parties (customer, destination, consulted DN) hear music.
inline constexpr const char* k_own_phone_header = "X-Sipcc-Leg: agent";

// registry -> call: an event of one of the call's legs.
struct leg_event_msg {
  v1::LegEvent event;
};
// registry -> call: a desktop request on the call, and the inbox its reply goes to.
struct request_msg {
  v1::TRequest request;
  std::string reply_to;
};
// registry -> call: a conference JOIN or LEAVE (sipcc.conf.req), and its reply inbox.
struct conf_msg {
  v1::ConfRequest request;
  std::string reply_to;
};
// call -> itself: timer event `what` (call_fsm.hpp) of generation `gen`.
struct timer_msg {
  call_event::kind what = call_event::router_timeout;
  uint64_t gen = 0;
};

// Protobuf members are inspected as their bytes (sipcc/actor_host.hpp).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, leg_event_msg& x) {
  return inspect_with_proto(f, "leg_event_msg", x.event);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_msg& x) {
  return inspect_with_proto(f, "request_msg", x.request, x.reply_to);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, conf_msg& x) {
  return inspect_with_proto(f, "conf_msg", x.request, x.reply_to);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, timer_msg& x) {
  auto what = static_cast<int32_t>(x.what);
  auto load = [&]() -> caf::error {
    x.what = static_cast<call_event::kind>(what);
    return caf::none;
  };
  return f(caf::meta::type_name("timer_msg"), what, x.gen, caf::meta::load_callback(load));
}

// registry -> call: media leg `leg`'s server went out of service (`reason`).
struct media_lost_msg {
  std::string leg, reason;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, media_lost_msg& x) {
  return f(caf::meta::type_name("media_lost_msg"), x.leg, x.reason);
}

// registry -> call: the media service's answer for a held media INVITE.
struct media_placed_msg {
  v1::MediaReply reply;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, media_placed_msg& x) {
  return inspect_with_proto(f, "media_placed_msg", x.reply);
}
// call -> itself: the ask for media leg `leg` waited long enough.
struct placement_timer {
  std::string leg;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, placement_timer& x) {
  return f(caf::meta::type_name("placement_timer"), x.leg);
}

// registry -> every call: a starting router asks which calls wait at a
// Routing Point; a call that does answers to `reply_to` (sipcc.calls.waiting).
struct waiting_query_msg {
  std::string reply_to;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, waiting_query_msg& x) {
  return f(caf::meta::type_name("waiting_query_msg"), x.reply_to);
}

// A call actor's interface.
using call_handle = caf::typed_actor<caf::reacts_to<leg_event_msg>, caf::reacts_to<request_msg>,
                                     caf::reacts_to<conf_msg>, caf::reacts_to<timer_msg>,
                                     caf::reacts_to<media_lost_msg>,
                                     caf::reacts_to<media_placed_msg>,
                                     caf::reacts_to<placement_timer>,
                                     caf::reacts_to<waiting_query_msg>>;

// call -> registry: the call with ConnID `conn_id` made leg `leg` on edge
// `edge` (the registry must know it before its first event can arrive); a
// media-server leg comes with what the media service counts of it (`media`,
// empty leg_id otherwise).
struct leg_made_msg {
  std::string leg, conn_id, edge;
  v1::MediaLeg media;
};
// transfers: call -> registry: requests on ConnID `alias` (a consultation
// call's) go to the call with ConnID `conn_id` (`active`), or no longer.
struct conn_alias_msg {
  std::string alias, conn_id;
  bool active = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, leg_made_msg& x) {
  return inspect_with_proto(f, "leg_made_msg", x.media, x.leg, x.conn_id, x.edge);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, conn_alias_msg& x) {
  return f(caf::meta::type_name("conn_alias_msg"), x.alias, x.conn_id, x.active);
}

// snapshot fetch -> registry: the call snapshots its edges keep on this
// callctl's legs (serialized CallSnapshots), asked for at start; with it the
// registry restores those calls and then acts on the bus messages it held.
struct snapshots_fetched {
  std::vector<std::string> snapshots;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshots_fetched& x) {
  return f(caf::meta::type_name("snapshots_fetched"), x.snapshots);
}

// The registry's interface: the bus (through the bridge) and its calls.
using registry_handle = caf::typed_actor<caf::reacts_to<bus_msg>, caf::reacts_to<leg_made_msg>,
                                         caf::reacts_to<conn_alias_msg>,
                                         caf::reacts_to<dn_states_snapshot>,
                                         caf::reacts_to<snapshots_fetched>,
                                         caf::reacts_to<lease_change>,
                                         caf::reacts_to<edge_gone>>;

// sipcc's o= line toward each leg of one call (sdp.hpp stamp_origin): every
// SDP a command carries to a leg goes through stamp() first.
class leg_origins {
public:
  leg_origins() = default;
  explicit leg_origins(origin_map restored) : by_leg_(std::move(restored)) {}
  void stamp(const std::string& leg_id, v1::LegCommand& cmd);
  const origin_map& by_leg() const { return by_leg_; }

private:
  origin_map by_leg_;
};

// To edge `edge`, for leg `leg_id` (schema and leg id set here).
void publish_leg_command(bus& nats, const std::string& edge, const std::string& leg_id,
                         v1::LegCommand cmd);

// sipcc.dn.calls.<shard>.<dn>: DN `dn` has (or no longer has) sipcc call
// `conn_id`, to the presence member holding the DN's shard; `shown`: its
// desktop has been told of the call (callctl/model/shown_calls.hpp).
void publish_call_fact(bus& nats, const presence_shards& shards, const std::string& dn,
                       const std::string& conn_id, bool active, bool answered, bool shown);

// `ev` (timestamped here) on sipcc.tlib.evt.<its ThisDN>, counted and logged.
void publish_call_event(bus& nats, v1::TEvent& ev);

// The reply to a conference request: done, or `error`.
v1::ConfReply conf_answer(const v1::ConfRequest& req, const std::string& error);

}  // namespace sipcc::callctl
