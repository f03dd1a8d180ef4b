// The rules of the subscriber side of an RFC 6665 dialog that the edge keeps
// itself on sofia-sip's transaction layer (edge_subscriptions.hpp): when a
// granted subscription is refreshed, and which in-dialog requests it takes.
// Pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "sip-edge/model/request_checks.hpp"

namespace sipcc::sub_dialog {

// How long after a grant of `granted_s` seconds (the 2xx's Expires, or a
// NOTIFY's Subscription-State expires) the edge refreshes, for `u` a uniform
// draw in [0, 1): between half and four fifths of the grant, spread so that
// a start-up burst of thousands does not come back as one burst of
// refreshes; never later than the grant less a transaction's time-out and
// the edge's one-second tick (a refresh that times out still ends before
// the subscription would); half of a grant too short for that.
std::chrono::milliseconds refresh_delay(uint32_t granted_s, double u,
                                        std::chrono::milliseconds transaction_timeout);

// The answer to an in-dialog request the subscription does not take (nullopt:
// take it): 405 for a method other than NOTIFY (RFC 6665 4.1.3), 489 for a
// NOTIFY of another event package than the one subscribed to, or none
// (RFC 6665 8.2.1: event types compare case-sensitively), 400 for a NOTIFY
// without Subscription-State (RFC 6665 4.1.3). `notify_event` is the Event's
// type, empty without the header.
std::optional<sip_checks::refusal> refusal(std::string_view method, std::string_view subscribed,
                                           std::string_view notify_event,
                                           bool has_subscription_state);

}  // namespace sipcc::sub_dialog
