// A real Asterisk (chan_pjsip) for the interop suite: built once by
// scripts/sipcc.sh test into SIPCC_ASTERISK_PREFIX (../shared/asterisk/build.sh),
// run here with the shipped deploy/asterisk/ configuration. Only what a test
// run must own is changed: the SIP port, sipcc's address, the directories and
// the RTP range; every dialplan line is as shipped.
//
//   real_asterisk ast({.sip_port = free_port(SOCK_DGRAM), .sipcc_port = sys.edge_port()});
//   ast.start();                                  // throws with the log's tail if it does not boot
//   ast.cli("dialplan show annc@media-server");   // asterisk -rx
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sipcc_fixture.hpp"

namespace sipcc::test {

// Where the built Asterisk is: $SIPCC_ASTERISK_PREFIX, else the prefix the
// build was configured with.
std::string asterisk_prefix();

// deploy/sipcc.yaml as a sipcc_system config_template: every setting as
// shipped but the bus, sip-edge's port and Asterisk's address.
std::string shipped_sipcc_yaml(uint16_t asterisk_port);

// One subscription Asterisk serves, as `pjsip show subscriptions inbound`
// lists it (res_pjsip_pubsub.c, CLI_SHOW_SUB_FORMAT_ENTRY).
struct inbound_subscription {
  std::string resource;  // the SUBSCRIBE's Request-URI user: a hint's extension, an AOR
  std::string event;     // presence, dialog, message-summary
  std::string call_id;   // the dialog's
};

struct asterisk_options {
  uint16_t sip_port = 0;    // Asterisk's UDP transport (shipped: 5070)
  uint16_t sipcc_port = 0;  // sip-edge's bind (shipped: 5060)
  // The second edge's (shipped: 5062); 0: a free port nobody binds, so
  // Asterisk's qualify finds that edge Unavailable.
  uint16_t sipcc_port2 = 0;
  // Which of a test process's RTP ranges it uses: a second Asterisk in one
  // test (a second media server) takes 1, so the two never share a port.
  int rtp_block = 0;
};

class real_asterisk {
public:
  explicit real_asterisk(asterisk_options opts);
  ~real_asterisk();
  real_asterisk(const real_asterisk&) = delete;
  real_asterisk& operator=(const real_asterisk&) = delete;

  // Runs it in the foreground of a child process and waits until it is fully
  // booted. Throws (with the end of its log) when it is missing or fails.
  void start();
  // Ends it (core stop now), then SIGKILL if it lingers.
  void stop();
  // SIGKILL, as a crash or a lost machine: no BYE, no un-REGISTER, nothing.
  void kill();
  // `asterisk -rx <command>`: its output.
  std::string cli(const std::string& command) const;
  // Waits until `cli(command)` contains `text`, or satisfies `ok`.
  bool wait_cli(const std::string& command, const std::string& text,
                std::chrono::milliseconds deadline) const;
  bool wait_cli(const std::string& command, const std::function<bool(const std::string&)>& ok,
                std::chrono::milliseconds deadline) const;
  // Every subscription Asterisk serves now (`pjsip show subscriptions inbound`).
  std::vector<inbound_subscription> inbound_subscriptions() const;
  // Waits until Asterisk has no call left (every channel of a test hung up).
  bool wait_no_calls(std::chrono::milliseconds deadline) const;
  // Everything it logged (verbose 3 and SIP messages) so far.
  std::string log() const;

  uint16_t sip_port() const { return opts_.sip_port; }
  std::string address() const { return "127.0.0.1:" + std::to_string(opts_.sip_port); }
  // The folder of this run: etc/ (the generated configuration), spool/, log/...
  const std::string& dir() const { return dir_; }
  // Where VoiceMail() leaves a mailbox's new messages, and recordings go.
  std::string spool() const { return dir_ + "/spool"; }

private:
  asterisk_options opts_;
  std::string dir_;
  std::unique_ptr<child_process> proc_;
  void write_configuration() const;
};

}  // namespace sipcc::test
