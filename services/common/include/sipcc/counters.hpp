// Every counter a service keeps, declared once. Each value is keyed by a
// label (subject family, SIP status code, subscription state, ...), read with
// `sipccctl counters <instance>` and ready to be exported as metrics.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "sipcc/v1/ops.pb.h"

// C(name, help) is a monotonic counter; G(name, help) a gauge.
#define SIPCC_COUNTERS(C, G)                                                  \
  C(bus_in, "bus messages received, by subject family")                       \
  C(bus_out, "bus messages published, by subject family")                     \
  C(bus_decode_errors, "bus messages that did not decode, by subject family") \
  G(bus_dropped, "messages NATS dropped as a slow consumer, by subscription") \
  C(sip_requests_in, "SIP requests received, by method")                      \
  C(sip_responses_in, "SIP final responses received, by code")                \
  C(sip_responses_out, "SIP responses sent for requests we reject, by code")  \
  C(untrusted_requests, "requests refused 403 as from no trusted peer nor "  \
                        "registered phone, by method")                       \
  C(sip_auto_responses, "SIP answers no sipcc service asked for, by code: "  \
                        "the stack's own (nta, nua) and the edge's "        \
                        "refusals; 'malformed' and 'merged' are nta's, "    \
                        "before any transaction (400/413/505 or none; 482)") \
  G(sip_transactions, "SIP transactions and dialogs nta holds, by kind "    \
                      "(server, client, dialog)")                           \
  G(subscriptions, "subscriptions, by state")                                 \
  C(no_first_notify, "subscriptions answered 2xx whose first NOTIFY did not " \
                     "come in time, by kind (single, list)")                  \
  C(subscriptions_forgotten, "subscriptions the edge ended because their "   \
                             "owner restarted (ForgetOwnerCmd)")             \
  G(actors, "live entity actors, by kind")                                    \
  G(leases, "shard leases this instance holds and acts on, by state (held)")  \
  C(notify_stale, "NOTIFYs ignored as stale, by why (cseq, version)")         \
  C(notify_bad_body, "NOTIFY bodies that did not parse, by content type")     \
  C(info_bad_body, "INFO bodies (DTMF) that did not parse, by content type")  \
  C(tlib_requests, "desktop requests, by request type")                       \
  C(tlib_errors, "EventError replies, by error code")                         \
  C(tlib_events, "events published, by event type")                           \
  C(routes, "routes made, by reason (agent, max-wait)")                       \
  C(audit_fixes, "what an audit set right: stray_leg, lost_leg (edge/"    \
                 "callctl), stale_call_mark (presence/callctl), "          \
                 "reoffered_invite (edge)")                                \
  C(calls_restored, "calls a restarted callctl took back from its legs' "    \
                    "snapshots: restored, bad_snapshot (its legs then strays)") \
  C(invites_shed, "new INVITEs the edge refused 503 with Retry-After, over "   \
                  "its capacity (admission control), by cause "             \
                  "(receive_queue, claim_latency)")                         \
  G(admitted_share, "percent of new INVITEs the edge admits now")             \
  C(setup_latency, "answered inbound calls by setup time at the edge (INVITE " \
                   "in to 200 out), by upper bound in microseconds")          \
  C(media_placed, "media legs the media service placed, by kind")             \
  C(media_refused, "media requests the media service refused, by refusal")

namespace sipcc {

enum class counter_id {
#define SIPCC_C(name, help) name,
  SIPCC_COUNTERS(SIPCC_C, SIPCC_C)
#undef SIPCC_C
};

#define SIPCC_COUNT(name, help) +1
inline constexpr std::size_t kCounterCount = 0 SIPCC_COUNTERS(SIPCC_COUNT, SIPCC_COUNT);
#undef SIPCC_COUNT

// Thread-safe; cheap enough for per-message use at the rates sipcc targets.
//
// Labels must come from closed sets (body_type_label, sip_status_label, enum
// names, ...): one series per distinct network value once grew presence by
// 16 MB and the snapshot past the NATS payload limit, so `sipccctl counters`
// failed for good (issue 16). As a guard against a call site that misses
// this, a counter keeps at most kMaxLabels labels; past them, a new label is
// counted under kOverflowLabel, which thus says a call site needs fixing.
class counters {
public:
  static constexpr std::size_t kMaxLabels = 128;
  static constexpr const char* kOverflowLabel = "overflow";

  void add(counter_id id, const std::string& label, int64_t delta = 1);
  void set(counter_id id, const std::string& label, int64_t value);
  int64_t get(counter_id id, const std::string& label) const;
  v1::CounterSet snapshot(const std::string& instance) const;

  static const char* name(counter_id id);
  static bool is_gauge(counter_id id);

private:
  // The value for (id, label), made if new: under kOverflowLabel once the
  // counter has no room left. Called with mu_ held.
  int64_t& value_of(counter_id id, const std::string& label);

  mutable std::mutex mu_;
  std::map<std::pair<counter_id, std::string>, int64_t> values_;
  std::array<std::size_t, kCounterCount> labels_{};  // per counter
};

// One per process.
counters& process_counters();

// A SIP status code as a counter label: the code when it is one of the
// 100-699 RFC 3261 allows, else "other" (the code comes from the network).
std::string sip_status_label(int status);

// Histogram buckets as counter labels: the upper bound ("le_<us>", or
// "le_inf") of the bucket `value_us` falls in. Bounds grow by about 1.25x
// from 100 us to 10 s, fine enough for p50/p99.
std::string latency_bucket(int64_t value_us);
// The upper bound of a bucket label, -1 for le_inf.
int64_t latency_bucket_bound(const std::string& label);

}  // namespace sipcc
