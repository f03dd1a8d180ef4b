// SIPp (package sip-tester) as a real SIP peer in end-to-end tests: start a
// scenario from tests/sipp/, wait until it listens, read what it saw.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "sip_capture.hpp"
#include "sipcc_fixture.hpp"

namespace sipcc::test {

inline const std::string k_sipp_scenarios = SIPCC_SOURCE_DIR "/tests/sipp/";

struct traced {
  bool sent = false;  // by SIPp
  sip_message message;
};

// SIPp's -trace_msg file, message by message.
std::vector<traced> read_sipp_trace(const std::string& path);

// True once 127.0.0.1:port is bound (read from /proc: probing could steal it).
bool wait_udp_bound(uint16_t port, std::chrono::milliseconds deadline);

// The path of an executable `name` in a directory of PATH or, after them,
// of `extra`; empty if none.
std::string find_program(const std::string& name, const std::vector<std::string>& extra = {});

bool sipp_installed();

// One SIPp run: `scenario` is a file in tests/sipp/ or a built-in (-sn) name
// prefixed "sn:". `args` are added as they are (e.g. "-s", "8000", remote).
class sipp_run {
public:
  sipp_run(const std::string& scenario, uint16_t port, const std::string& dir,
           const std::vector<std::string>& args = {}, const std::string& name = "sipp");
  // Exit code (0: the scenario ran to its end), -1 when it did not end in time.
  int wait_exit(std::chrono::milliseconds deadline) { return proc_->wait_exit(deadline); }
  std::vector<traced> trace() const { return read_sipp_trace(trace_path_); }
  std::string log() const { return proc_->output(false) + proc_->output(true); }
  uint16_t port() const { return port_; }

private:
  uint16_t port_;
  std::string trace_path_;
  std::unique_ptr<child_process> proc_;
};

// The body of the first message SIPp sent (`sent`) or received whose start
// line begins with `start` ("INVITE", "SIP/2.0 200"); "<none>" without one.
std::string body_of(const std::vector<traced>& t, bool sent, const std::string& start);
// The bodies (empty ones included) of every such message, in order.
std::vector<std::string> bodies_of(const std::vector<traced>& t, bool sent,
                                   const std::string& start);

// The INFOs SIPp received, "<Content-Type> <body>" each.
std::vector<std::string> infos_received(const std::vector<traced>& t);

// What the far end gets for TSendDTMF "12#": one INFO per digit, 160 ms each.
inline const std::vector<std::string> kDtmf12Hash = {
    "application/dtmf-relay Signal=1\r\nDuration=160\r\n",
    "application/dtmf-relay Signal=2\r\nDuration=160\r\n",
    "application/dtmf-relay Signal=#\r\nDuration=160\r\n"};

// "o=<origin> a=<direction>" of an SDP body with CRLF line endings: which
// session and version it is, and which way media flows.
std::string origin_and_direction(const std::string& sdp);

// `sdp` with its o= line replaced by `origin`: the body another party made,
// as sipcc sends it on in the session it keeps with a leg.
std::string with_origin(std::string sdp, const std::string& origin);
// The o= line of `sdp` with its version one up: what sipcc's next, changed
// body to that party carries.
std::string next_origin_of(const std::string& sdp);

// A customer calls Routing Point `rp`: SIPp runs `scenario` as Asterisk's
// trunk (-d `pause_ms`, from the system's first trunk port, a trusted peer)
// against the edge, into `customer`. Returns the ConnID
// of the RP's EventRouteRequest, or "" (and a test failure) without one.
std::string customer_calls(sipcc_system& sys, std::unique_ptr<sipp_run>& customer,
                           const std::string& scenario, const std::string& pause_ms,
                           const std::string& rp, std::chrono::milliseconds deadline);

// The call to `dn`, routed from `customer` to the phone `agent`, was answered
// and then released: the DN's EventReleased came, both SIPp scenarios ran to
// their end, the DN saw EventRinging, EventEstablished, EventReleased, and
// nothing dangles. A gtest failure for each that does not hold.
void expect_answered_call_ended(sipcc_system& sys, sipp_run& customer, sipp_run& agent,
                                const std::string& dn, std::chrono::milliseconds deadline);

}  // namespace sipcc::test
