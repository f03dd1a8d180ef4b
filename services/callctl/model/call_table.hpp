// callctl's registry as pure bookkeeping: which calls exist, which call owns
// each leg, which DNs have a call, which consultation ConnID reaches which
// call; and the decisions made from it: where a leg event, a desktop request
// or a conference request goes, or why it is refused. The registry actor
// (registry.cpp) keeps one call_table and only carries these out.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "callctl/model/refusal.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipcc/v1/media.pb.h"
#include "sipcc/v1/state.pb.h"
#include "sipcc/v1/tlib.pb.h"

namespace sipcc::callctl {

struct leg_entry {
  std::string conn_id;
  std::string edge;
  int misses = 0;  // consecutive audits of its edge that did not list it
};
using leg_table = std::unordered_map<std::string, leg_entry>;  // leg id -> its call

// What points at one call (its legs, the DN that made it, its consultation
// ConnIDs), so that its end clears them without a scan of every table: a
// busy callctl has thousands of calls. An entry may be stale (the leg or
// alias moved on); the end checks before it erases.
struct call_refs {
  std::vector<std::string> legs;
  std::vector<std::string> made_dns;
  std::vector<std::string> aliases;
};

struct call_table {
  std::unordered_map<std::string, call_refs> calls;  // ConnIDs of the calls alive
  leg_table legs;
  // A DN has one call at a time from TMakeCall: ThisDN -> its ConnID, and the
  // DNs whose state (presence) lists a sipcc call (a routed one, say).
  std::unordered_map<std::string, std::string> made_calls;
  std::unordered_set<std::string> dns_with_calls;
  // transfers: a consultation call's ConnID -> the ConnID of the call that has it.
  std::unordered_map<std::string, std::string> conn_aliases;
  // The media-server legs, as the media service counts them: leg id -> the
  // call that made it and the leg.
  struct media_entry {
    std::string call;
    v1::MediaLeg leg;
  };
  std::unordered_map<std::string, media_entry> media_legs;
};

// Call `conn_id` starts with leg `leg_id` on edge `edge` (none for a
// TMakeCall, whose legs come with leg_made).
void open_call(call_table& t, const std::string& conn_id, const std::string& leg_id = "",
               const std::string& edge = "");
// Call `conn_id` was made by TMakeCall from DN `this_dn`.
void open_made_call(call_table& t, const std::string& conn_id, const std::string& this_dn);
// The call made leg `leg_id` on `edge`.
void leg_made(call_table& t, const std::string& leg_id, const std::string& conn_id,
              const std::string& edge);
// Call `conn_id` INVITEd media-server leg `media` (after leg_made): whether
// it counts (not for a call that is over), so that every reported start has
// its end.
bool media_leg_made(call_table& t, const std::string& conn_id, const v1::MediaLeg& media);
// Media leg `leg_id` is over (its dialog is gone): whether it was one.
bool end_media_leg(call_table& t, const std::string& leg_id);
// Requests on ConnID `alias` go to call `conn_id` (`active`), or no longer.
void set_alias(call_table& t, const std::string& alias, const std::string& conn_id, bool active);
// Media server `server` went out of service: its media legs leave the
// table; returned with the call that holds each.
std::vector<call_table::media_entry> take_media_legs_on(call_table& t, const std::string& server);
// Call `conn_id` ended: everything that pointed at it goes. Returns the ids
// of the media legs that ended with it.
std::vector<std::string> close_call(call_table& t, const std::string& conn_id);

// The ConnID of the call that owns the leg of event `le` (the edge names it
// for legs the table does not know yet). A `gone` leg leaves the table: the
// edge forgot the dialog (a refused agent or media leg, say, while its call
// goes on), so the audit must not look for it.
std::string take_leg_event(call_table& t, const v1::LegEvent& le);

// Which of `conn_ids` are neither a live call nor a consultation ConnID of
// one (presence's CallCheck: those DN marks are left by a call that died).
std::vector<std::string> unknown_calls(const call_table& t,
                                       const google::protobuf::RepeatedPtrField<std::string>& conn_ids);

// DN state `st` says whether the DN has a sipcc call (TMakeCall admission).
void note_dn_calls(call_table& t, const v1::DnState& st);

// The ThisDN of request subject sipcc.tlib.req.<family>.<dn>.
std::string subject_dn(const std::string& subject);

// TInitiateTransfer and TInitiateConference open a consultation call, which
// gets its ConnID from the registry, unique like every other.
bool opens_consultation(v1::RequestType type);

// Where a call request (not TMakeCall) goes: the ConnID of the call that
// serves it (a consultation ConnID reaches the call that has it), or why not.
struct request_target {
  std::string conn_id;
  request_refusal refusal;
};
request_target call_for(const call_table& t, const v1::TRequest& req);

// A conference request: CREATE names a new conference (the media server
// makes it on the first JOIN); JOIN and LEAVE go to call `conn_id`, which
// answers once the parties moved; `refusal` says why not.
struct conf_target {
  bool create = false;
  std::string conn_id;
  std::string refusal;
};
conf_target conf_for(const call_table& t, const v1::ConfRequest& req);

}  // namespace sipcc::callctl
