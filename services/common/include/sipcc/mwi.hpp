// Voicemail (MWI) as pure functions: the RFC 3842 message-summary parser,
// the `gsipmwi` user data of EventUserEvent, and the subscription scope
// (which mailbox subscriptions exist for a given set of logged-in agents).
// The mwi service's actors only carry out what these decide.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipcc/config.hpp"
#include "sipcc/presence_body.hpp"
#include "sipcc/v1/common.pb.h"

namespace sipcc {

// One message class line, "new/old (urgent new/urgent old)" (RFC 3842 5.2).
struct message_counts {
  uint32_t new_msgs = 0;
  uint32_t old_msgs = 0;
  uint32_t new_urgent = 0;
  uint32_t old_urgent = 0;
  bool operator==(const message_counts& o) const {
    return new_msgs == o.new_msgs && old_msgs == o.old_msgs && new_urgent == o.new_urgent &&
           old_urgent == o.old_urgent;
  }
};

struct message_summary {
  bool waiting = false;             // Messages-Waiting: yes|no (required)
  std::string account;              // Message-Account, when given
  std::optional<message_counts> voice;  // Voice-Message
  // The other classes by lower-case name: fax-message, pager-message,
  // multimedia-message, text-message, none.
  std::map<std::string, message_counts> other;
  bool operator==(const message_summary& o) const {
    return waiting == o.waiting && account == o.account && voice == o.voice && other == o.other;
  }
};

// application/simple-message-summary (RFC 3842). Header names are
// case-insensitive; unknown headers (extensions) and the optional
// message-context-class lines after a blank line are ignored. Rejected:
// another content type, no or a bad Messages-Waiting, a malformed class line.
parse_result<message_summary> parse_message_summary(std::string_view content_type,
                                                    std::string_view body);

// The user data of the EventUserEvent for a mailbox, as the reference shows:
// 'gsipmwi' (list) with Mailbox, Messages-Waiting 'true'|'false',
// Voice-Message "new/old" (without the urgent part), NewMessages and
// OldMessages (numbers; 0 without a Voice-Message line).
v1::KVList gsipmwi_user_data(const std::string& mailbox, const message_summary& s);

// ---- subscription scope ------------------------------------------------------

// One message-summary subscription and where its NOTIFYs go.
struct mwi_target {
  std::string key;         // unique, a bus subject token: "ext:1000", "agent:a1@2000", "group:Sales@2001"
  std::string mailbox_id;  // the mailbox it watches: "ext:1000", "agent:a1", "group:Sales"
  std::string mailbox;     // as in voicemail.conf, e.g. 1000@MY_COMPANY
  std::string object;      // the Asterisk MWI object subscribed to, e.g. gvm-1000
  std::string dn;          // the DN whose desktops get the events
  // Contact parameters naming mailbox and DN, as the reference's
  // Contact <sip:gsipmwi@host;mb=1000;dn=1000>.
  std::string contact_params() const;
  bool operator==(const mwi_target& o) const {
    return key == o.key && mailbox == o.mailbox && object == o.object && dn == o.dn;
  }
};

// Every subscription that should exist, sorted by key:
// - one per Extension DN when the application option mwi-extension-enable is
//   true (its mailbox, else <number>@default);
// - one per logged-in agent whose Agent Login has a mailbox, to the DN it is
//   logged in on;
// - for each Agent Group with a mailbox, one per logged-in member, each to
//   that member's DN (so every member gets exactly one event per change).
// `agent_dn` maps each logged-in AgentID to its DN.
std::vector<mwi_target> mwi_targets(const config& cfg,
                                    const std::map<std::string, std::string>& agent_dn);

// The mailbox a caller should leave a message in when a call overflows to a
// Voicemail DN, as configured: the Agent Login's mailbox of the agent logged
// in on the DN that did not answer, else that DN's own mailbox, else the
// mailbox of the Agent Group the call's Routing Point routes to (a call that
// never reached an agent has only that). Empty when none is configured.
std::string voicemail_box(const config& cfg, const std::string& dn, const std::string& agent_id,
                          const std::string& rp);

// The MWI object of a mailbox when the configuration names none: gvm-<box>.
std::string default_mwi_object(const std::string& mailbox);

}  // namespace sipcc
