// Where a media leg goes, as a pure function of the pool (configuration,
// health, what the book holds) and the request. In this order:
//
//   1. the request must be whole: a leg id, a kind; a treatment that
//      TApplyTreatment would take (sipcc/media_uri.hpp); a conference's
//      conf_id; a recording's conf_id and record_file   -> MEDIA_BAD_REQUEST
//   2. affinity: a conf_id that has legs or holds goes to their server, or
//      is refused if that server is out of service or full (a conference
//      cannot span two servers)
//   3. a treatment goes to a server that serves its type and LANGUAGE
//      (media.servers treatments, locales)                -> MEDIA_NOT_SERVED
//      and has its PROMPT in its catalog (prompts)        -> MEDIA_NO_PROMPT
//   4. not out of service                                 -> MEDIA_SERVER_DOWN
//   5. below its capacity (sessions started + held)       -> MEDIA_POOL_FULL
//   6. the least loaded by weight: the lowest (sessions + held) / weight;
//      on a tie, the first in the configuration.
//
// The answer names the server and the RFC 4240 Request-URI at its address.
#pragma once

#include "media/model/pool.hpp"
#include "sipcc/v1/media.pb.h"

namespace sipcc::media {

v1::MediaReply select_media(const pool_view& pool, const v1::MediaRequest& req);

// The leg a granted request will start: what the book holds for it.
v1::MediaLeg placed_leg(const v1::MediaRequest& req, const v1::MediaReply& reply);

}  // namespace sipcc::media
