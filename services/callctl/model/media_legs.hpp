// The media legs callctl reports to the media service
// (sipcc.media.leg.<owner>, and its list on sipcc.media.sync), so that the
// pool's sessions, conferences and recordings are the legs callctl holds.
#pragma once

#include <cstdint>
#include <string>

#include "callctl/model/call_fsm.hpp"
#include "sipcc/config.hpp"
#include "sipcc/v1/media.pb.h"

namespace sipcc::callctl {

// The media server at `address` by its name in the pool (media.servers; the
// default pool is the one server at asterisk.address), or the address itself
// when no server of the pool has it.
std::string media_server_name(const config& cfg, const std::string& address);

// What the media service counts of media-server leg `a` (an invite_media
// action) of call `conn_id`, INVITEd to `server` at `now_us`.
v1::MediaLeg media_leg_of(const call_action& a, const std::string& conn_id,
                          const std::string& server, int64_t now_us);

}  // namespace sipcc::callctl
