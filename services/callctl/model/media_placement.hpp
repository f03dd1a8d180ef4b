// Where each media-server INVITE goes. Before callctl sends one it asks the
// media service (sipcc.media.req), which owns the pool of media servers, and
// holds the INVITE until the answer: sent to the server and Request-URI the
// answer names, or, refused (pool full, no server serves the treatment, the
// prompt is in no catalog...), never sent: the call model hears that the leg
// is lost, with the refusal's reason. A media service that does not answer
// in time does not stop calls: the INVITE goes where the call model said
// (asterisk.address), and for a while no INVITE waits for an answer.
//
// The call actor carries this out around the call model (call_fsm), which
// only asked for an INVITE and hears of the leg as of any other.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "callctl/model/call_fsm.hpp"
#include "sipcc/v1/media.pb.h"

namespace sipcc::callctl {

struct placement_settings {
  // How long an INVITE waits for the media service's answer.
  uint32_t ask_ms = 500;
  // After an unanswered ask, every call's INVITEs go straight to the
  // configured server for this long (a media service that is down delays
  // one INVITE per quiet period, not every one).
  uint32_t quiet_ms = 30000;
};

// What to do with a held INVITE.
struct placement {
  enum kind {
    none,     // nothing held for that leg (a late or foreign answer)
    send,     // send `invite` (to the chosen server); `server` names it, or
              // is empty for the configured one
    refused,  // never sent: the call model hears media_lost(`leg`, `reason`)
  } what = none;
  call_action invite;
  std::string server;
  std::string leg;
  std::string reason;
  // timed_out: until when no INVITE of any call waits for the media service.
  int64_t quiet_until_us = 0;
};

// The held INVITEs of one call.
class media_placement {
public:
  explicit media_placement(placement_settings s = {}) : settings_(s) {}

  // The call model wants `invite` (an invite_media action of call `conn_id`)
  // sent: the question to ask, the INVITE then held; none: send it now, as
  // it is (before `quiet_until_us`: the media service did not answer lately).
  std::optional<v1::MediaRequest> hold(const call_action& invite, const std::string& conn_id,
                                       int64_t now_us, int64_t quiet_until_us);
  // The media service's answer (MediaReply.leg_id names the leg). An answer
  // naming no leg is NATS saying nobody listens (no media service runs):
  // every held INVITE goes out as timed_out would send it.
  std::vector<placement> answered(const v1::MediaReply& reply, int64_t now_us);
  // The ask for `leg` had no answer within ask_ms.
  placement timed_out(const std::string& leg, int64_t now_us);
  // A command for `leg` (CANCEL, say, when the caller hangs up first) whose
  // INVITE never went out is not sent either. `held`: the INVITE was still
  // waiting and now never goes out, the caller ends the leg toward the call
  // model as a CANCELled INVITE ends; `refused`: the call model already
  // heard the leg is lost.
  enum class unsent { no, held, refused };
  unsent drop(const std::string& leg);

  const placement_settings& settings() const { return settings_; }
  size_t held() const { return held_.size(); }

private:
  placement_settings settings_;
  std::unordered_map<std::string, call_action> held_;  // leg id -> its INVITE
  std::unordered_set<std::string> refused_;            // leg ids never INVITEd
};

}  // namespace sipcc::callctl
