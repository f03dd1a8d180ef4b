// Where callctl's calls go, as pure functions over the configuration and a
// directory snapshot: which phone (and edge) reaches a DN, a route's target
// with its no-answer policy and recording, voicemail targets and mailboxes.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "callctl/model/call_fsm.hpp"
#include "callctl/model/directory_maps.hpp"
#include "sipcc/config.hpp"
#include "sipcc/v1/tlib.pb.h"

namespace sipcc::callctl {

// The Request-URI that reaches DN `dn`'s phone through Asterisk.
std::string contact_uri(const dn_config& dn, const config& cfg);

// A DN option in whole seconds (`fallback` when absent), or as text.
uint32_t option_seconds(const std::map<std::string, std::string>& opts, const std::string& key,
                        uint32_t fallback);
std::string option_text(const std::map<std::string, std::string>& opts, const std::string& key);

// TRouteCall's Extensions `record` (source or destination: sipcc records
// both parties in one file either way); "?" when not text, empty when absent.
std::string record_extension(const v1::KVList* extensions);

// The phone of a DN as calls reach it, and the edge to send through: its
// contact on Asterisk (edge empty: any live edge), or for a DN that
// registers on sipcc its latest binding and that binding's edge (both empty
// without one).
struct dn_phone {
  std::string uri;
  std::string edge;
};
dn_phone phone_of(const config& cfg, const binding_map& bindings, const dn_config& dn);

// A route to DN `dn` (with the request's Extensions, if any): its phone
// (empty contact_uri when it has none, or `dn` is not configured), the
// no-answer policy of the agent logged in there, and whether to record.
route_target target_for(const config& cfg, const directory_snapshot& dir, const std::string& dn,
                        const v1::KVList* extensions);

// A route to a Voicemail DN names the mailbox to open (sipcc/mwi.hpp says
// which) and the DN the call was diverted from (Routing Point `rp` when no
// agent had it), so the caller leaves a message there, never lands in a
// mailbox menu. Leaves a target that is no Voicemail DN as it is.
void voicemail_for(const config& cfg, route_target& t, const std::string& dn,
                   const std::string& agent_id, const std::string& rp);

// Where the voicemail access number leads: the Voicemail DN's contact when
// it is one, else the number on Asterisk.
route_target voicemail_target(const config& cfg, const std::string& number);

}  // namespace sipcc::callctl
