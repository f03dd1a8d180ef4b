// TMakeCall admission as a pure function: every check comes before any SIP
// (ThisDN configured and an agent DN, OtherDN given, dialable and not ThisDN,
// ThisDN without another call, both phones reachable), and what passes is
// resolved into the call's setup: which phone to ring first, through which
// edge, and where the destination is.
#pragma once

#include <cstdint>
#include <string>

#include "callctl/model/call_table.hpp"
#include "callctl/model/directory_maps.hpp"
#include "callctl/model/refusal.hpp"
#include "sipcc/config.hpp"
#include "sipcc/v1/tlib.pb.h"

namespace sipcc::callctl {

// make-call-ringback-timeout when the application does not set it: well
// within the 32 s the agent phone's 2xx is retransmitted.
inline constexpr uint32_t k_make_call_ringback_s = 10;

struct make_call_plan {
  std::string this_dn;
  std::string other_dn;
  std::string agent_uri;  // ThisDN's phone, rung first
  std::string edge;       // the edge that reaches it and holds both legs
  std::string dest_uri;   // OtherDN's phone, or OtherDN on Asterisk
  bool other_configured = false;  // OtherDN is an agent DN: it gets events
  uint32_t ringback_ms = 0;
};

struct make_call_admission {
  request_refusal refusal;  // empty text: admitted, `plan` set
  make_call_plan plan;
};

make_call_admission admit_make_call(const config& cfg, const directory_snapshot& dir,
                                    const call_table& calls, const v1::TRequest& req);

}  // namespace sipcc::callctl
