// Admission control for new calls at the edge. Past its capacity, sipcc
// used to collapse: the edge's socket overflowed, every message was
// retransmitted, and goodput fell to a fifth (bench/RESULTS.md). Instead, a
// share of new INVITEs is refused with 503 and Retry-After before any
// service hears of them, so the calls taken are carried whole. The share
// follows two signals that rise before collapse, sampled every tick:
//  - the edge's own backlog: the SIP socket's receive queue against its
//    buffer (datagrams are dropped when it is full);
//  - callctl's pace: the mean time from an INVITE's offer on the bus to its
//    claim, over the tick's first offers (a re-offered INVITE measures a
//    dead member, not load, and is left out).
// Overload is what lasts: the edge turns overloaded only once the signals
// were over their limits in most of the last two seconds of ticks. A restart storm
// (a presence member taking over 1,800 subscriptions, a callctl member
// restoring its calls) fills the socket or delays claims for a second or
// so, and its calls come through by retransmission: refused, they would be
// lost (bench/failover refused 381 calls with a three-tick trigger). A call
// overload lasts; collapse takes longer than two seconds to set in. Once
// overloaded, the edge stays so until two seconds without a tick over a
// limit (else each return to a share of 1 started a new two seconds of
// overflow: 32,000-40,000 datagrams dropped in a minute at twice the
// capacity); meanwhile each tick over a limit cuts the
// share by a factor, at most once in five ticks (what a cut leaves queued
// takes a while to drain; cutting each tick over-cut and lost goodput);
// with the signals under their limits it climbs back by a step (AIMD, as
// TCP's congestion window). Requests in dialogs and desktop
// requests never pass through here. Pure: the edge feeds it and acts on
// admit().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sipcc::edge {

struct load_signals {
  int64_t receive_queue_bytes = 0;
  int64_t receive_buffer_bytes = 0;  // 0: unknown, the backlog is not a signal
  int claims = 0;                    // first offers claimed in the tick
  double claim_ms_sum = 0;           // their offer-to-claim times, summed
};

// What the edge did since the last report: for one log line per interval.
struct admission_report {
  int64_t admitted = 0, shed = 0;
  double share = 1;       // admitted share at the report
  std::string cause;      // of the last tick over a limit: receive_queue, claim_latency
  double peak_fill = 0;   // highest receive queue fill seen (0..1)
  double peak_claim_ms = 0;
};

class admission {
public:
  struct limits {
    // Of the receive buffer: the queue kept in overload, which every 503
    // waits in too (at half, the median 503 took 12 ms; at an eighth, <1 ms).
    double fill_high = 0.125;
    int window = 100;              // ticks looked back on
    int overloaded = 80;           // of them over a limit: overload
    int calm = 0;                  // of them over a limit at most: overload over
    int cooldown = 5;              // ticks from one cut to the next, at least
    double claim_high_ms = 100;    // mean offer-to-claim time
    // Powers of two, so the share takes exact values (its floor, 1, and
    // every step between). With 20 ms ticks: down to half in 200 ms of
    // overload, back from the floor to everything in 1.26 s.
    double decrease = 0.75;        // share kept per tick over a limit
    double increase = 1.0 / 64;    // share added per tick under both
    double min_share = 1.0 / 64;   // a trickle still measures callctl's pace
  };

  admission() : admission(limits{}) {}
  explicit admission(limits l)
      : limits_(l), over_(static_cast<size_t>(l.window > 0 ? l.window : 1), false) {}

  // One tick's signals.
  void tick(const load_signals& s);
  // Whether the next new INVITE is taken: the admitted share, spread evenly
  // over the INVITEs (no run of refusals while the share is high).
  bool admit();
  double share() const { return share_; }
  bool shedding() const { return share_ < 1; }
  // The signal of the last tick over a limit (receive_queue, claim_latency).
  const std::string& cause() const { return cause_; }
  // What happened since the last call, then starts a new interval.
  admission_report take_report();

private:
  limits limits_;
  double share_ = 1;
  double credit_ = 0;
  std::vector<bool> over_;  // the last `window` ticks: over a limit
  size_t next_ = 0;         // where the next tick goes in over_
  int over_count_ = 0;
  bool overloaded_ = false;
  int since_cut_ = 1 << 20;  // ticks since the last cut
  std::string cause_;
  admission_report report_;
};

}  // namespace sipcc::edge
