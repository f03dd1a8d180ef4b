// Call legs of the SIP edge: every INVITE dialog, inbound (offered to the
// callctl queue group, then claimed by one instance) or outbound (created by
// callctl). Runs on the sofia thread only, like everything that touches nua.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <sofia-sip/nua.h>
#include <sofia-sip/su_wait.h>

#include "sip-edge/model/ended_legs.hpp"
#include "sipcc/bus.hpp"
#include "sipcc/counters.hpp"
#include "sipcc/service.hpp"
#include "sipcc/text.hpp"
#include "sipcc/v1/call.pb.h"

namespace sipcc::edge {

// SIP text (a display name, a reason phrase, a header value) as it goes into a
// protobuf string field: bus strings are UTF-8 (docs/bus.md), and older PBXs
// send Latin-1 display names, which would make the whole message undecodable.
inline std::string sip_text(const char* s) { return s ? to_utf8(s) : std::string(); }
// A URI or a URI's user: stray bytes percent-escaped, the same URI still.
inline std::string sip_uri_text(const char* s) { return s ? uri_to_utf8(s) : std::string(); }

// A response the edge gives by itself, no service asked (a refusal by the
// trusted-peer rule, an unclaimed call, ...): counted with the responses out
// and with the stack's own answers.
inline void count_own_answer(int status) {
  process_counters().add(counter_id::sip_responses_out, sip_status_label(status));
  process_counters().add(counter_id::sip_auto_responses, sip_status_label(status));
}

// A URI as a To header value. The brackets keep the URI's parameters (RFC
// 4240's ;play=...) in the URI: bare, they would be To-header parameters
// (RFC 3261 20.10), where a real Asterisk refuses the ':' of play=moh:x.
inline std::string name_addr(const std::string& uri) { return "<" + uri + ">"; }

// The edge's own URI, sip:<sip-edge.user>@<sip-edge.bind>: the From of what
// it sends for sipcc itself, and its Contact.
inline std::string own_uri(const config& cfg) {
  return "sip:" + cfg.sip_user + "@" + cfg.sip_bind.str();
}

// The methods the edge takes (Allow); anything else gets 405 from nua. Call
// legs take REFER too, only to refuse it (transfers are desktop requests):
// outside a dialog nua would NOTIFY "100 Trying" before the edge could
// refuse, so there REFER stays a 405.
constexpr const char* k_allow =
    "INVITE, ACK, BYE, CANCEL, OPTIONS, NOTIFY, INFO, UPDATE, REGISTER";
constexpr const char* k_allow_in_calls =
    "INVITE, ACK, BYE, CANCEL, OPTIONS, NOTIFY, INFO, UPDATE, REGISTER, REFER";

struct leg;

class call_legs {
public:
  call_legs(service_context& ctx, nua_t* nua, su_root_t* root);
  ~call_legs();

  // A new INVITE outside any dialog, from a trusted sender at `source` (IP:port).
  void incoming(nua_handle_t* nh, const sip_t* sip, const std::string& source);
  // Any nua event for a handle bound to a leg.
  void event(leg* l, nua_event_t ev, int status, const char* phrase, const sip_t* sip,
             tagi_t tags[]);
  void command(const v1::LegCommand& cmd);
  // Lists each owner's legs to it (sipcc.audit.<owner>).
  void audit();
  // A SnapshotQuery (sipcc.edge.<edge-id>.snapshots): the next page of the
  // call snapshots kept on the owner's legs, to the request's reply subject.
  void snapshots(const bus_msg& m);
  // The first offers claimed since the last call and their offer-to-claim
  // times summed, in ms: callctl's pace, for admission control.
  std::pair<int, double> take_claim_times();

private:
  friend struct leg;
  // nua events, by kind.
  void request_in(leg& l, nua_event_t event, const sip_t* sip);
  void update_in(leg& l, const sip_t* sip);
  void invite_response(leg& l, int status, const char* phrase, const sip_t* sip);
  // Commands, by kind.
  void invite(const std::string& leg_id, const v1::LegInvite& inv);
  void claim(leg& l, const v1::LegClaim& c);
  // The call snapshot a command carries, kept by its leg and the others it names.
  void keep_snapshot(const std::string& leg_id, const v1::LegKeepSnapshot& keep);
  void respond(leg& l, const v1::LegRespond& r);
  void ack(leg& l, const v1::LegAck& a);
  void reinvite(leg& l, const v1::LegReinvite& r);
  void info(leg& l, const v1::LegInfo& i);
  // Schema, leg, edge and ConnID on an event from the edge.
  void stamp(v1::LegEvent& ev, const std::string& leg_id, const std::string& conn_id) const;
  void publish(leg& l, v1::LegEvent& ev);
  void forget(leg* l, const char* why);
  void set_timer(leg& l, uint32_t ms);
  void drop(leg& l, const std::string& why);
  void ack_before_bye(leg& l);
  void send_talk(leg& l);
  void early_dialog(leg& l, const sip_t* sip);
  void talk_response(leg& l, int status, const char* phrase);
  static void on_timer(su_root_magic_t*, su_timer_t*, su_timer_arg_t*);
  void gauge();

  service_context& ctx_;
  nua_t* nua_;
  su_root_t* root_;
  uint64_t next_ = 0;
  std::unordered_map<std::string, std::unique_ptr<leg>> legs_;
  // Every owner that ever had a leg here: each keeps getting audits, empty
  // ones too, so it notices legs that ended without word.
  std::unordered_set<std::string> owners_;
  // Restorable calls' legs that ended, told again to the owner restoring
  // their calls (its predecessor may have died before hearing of it).
  ended_legs ended_;
  int claims_ = 0;
  double claim_ms_sum_ = 0;
};

}  // namespace sipcc::edge
