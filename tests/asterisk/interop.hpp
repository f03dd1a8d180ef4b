// The interop suite's fixture: sipcc with the shipped deploy/sipcc.yaml
// (every service) against a real Asterisk running the shipped deploy/asterisk
// configuration, and test phones that register like real ones and send and
// check audio.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "real_asterisk.hpp"
#include "rtp_phone.hpp"
#include "sipcc_fixture.hpp"

namespace sipcc::test {

using namespace std::chrono_literals;

// A real Asterisk reacts in tens of milliseconds; its NOTIFYs and the test
// phones' RTP need a little longer under a loaded CI machine.
constexpr auto kAst = 15s;

// Each phone sends its own tone, so a test can tell whose audio arrived.
// At least 250 Hz apart, as the detector compares each with its neighbours.
constexpr double kTone1000 = 440, kTone1001 = 1000, kTone1002 = 1300, kTone2000 = 1800,
                 kTone2001 = 2200;

// Whether the WAV file (16-bit PCM, as Asterisk writes format wav) holds the
// tone `hz` somewhere: a phone's audio that reached a recording.
bool wav_has_tone(const std::string& path, double hz);

// Replaces `from` in the configuration text `yaml` by `to`; a test failure
// when the shipped file no longer has it.
void replace_in(std::string& yaml, const std::string& from, const std::string& to);

// The shipped Routing Point 8000 without its agent group and treatment: the
// default router leaves it to the test, as to any other router.
void without_default_routing(std::string& yaml);

class Interop : public ::testing::Test {
protected:
  void SetUp() override { start(); }
  // The phones first, while Asterisk and sipcc can still take their BYEs and
  // un-REGISTERs.
  void TearDown() override {
    customer.reset();
    agent.reset();
  }

  // `edit` may change the configuration text before sipcc starts (e.g. to
  // enable a resource list); the services start once Asterisk has booted.
  void start(const std::function<void(std::string&)>& edit = {});

  // A phone for `dn` sending `tone_hz`, registered where its DN is served:
  // on sipcc for a DN with a password in sipcc.yaml (2000), else on Asterisk,
  // with the shipped passwords. Fails the test when it cannot register.
  std::unique_ptr<rtp_phone> phone(const std::string& dn, double tone_hz);

  // TAgentLogin + TAgentSetReady of `agent` on `dn`, each answered as expected.
  void ready_agent(const std::string& dn, const std::string& agent);

  // A call request from `dn` on ConnID `conn` (to `other_dn`); its reply.
  v1::TEvent request(v1::RequestType type, const std::string& dn, const std::string& conn,
                     const std::string& other_dn = "", const std::string& transfer_conn = "") {
    return sys->to_other(type, dn, conn, other_dn, transfer_conn);
  }

  // Waits until DN `dn` is in (or out of) service in presence's state.
  bool wait_in_service(const std::string& dn, bool in_service,
                       std::chrono::milliseconds deadline = kAst);

  // The Call-IDs of the `event` subscriptions Asterisk serves to `resources`.
  std::set<std::string> subscription_call_ids(const std::vector<std::string>& resources,
                                              const std::string& event) const;

  // Waits until Asterisk serves exactly one `event` subscription to each of
  // `resources`, none of them a dialog in `gone`: after its owner restarted,
  // the new instance's and none of the old one's. The CLI can lag a
  // SUBSCRIBE or un-SUBSCRIBE by a moment, hence the deadline.
  bool wait_one_subscription_each(const std::vector<std::string>& resources,
                                  const std::string& event,
                                  const std::set<std::string>& gone = {},
                                  std::chrono::milliseconds deadline = kAst) const;

  // Customer 1000 calls the service number 8000; the default router gives
  // the call to agent2001, Ready on 2001, whose phone answers; each hears the
  // other. The ConnID ("" and a test failure when any of it fails).
  std::string routed_call_established();

  // Agent2001 dials 1000 from the desktop (TMakeCall): its phone rings first
  // (an INVITE without an offer), then 1000's (`customer` here); both answer
  // and each hears the other. The ConnID ("" and a test failure when any of
  // it fails).
  std::string made_call_established();

  // 1000's phone (`customer`) and 2001's (`agent`) hear each other.
  void both_hear_each_other() {
    EXPECT_TRUE(agent->wait_hears(kTone1000, kAst));
    EXPECT_TRUE(customer->wait_hears(kTone2001, kAst));
  }

  // The call was recorded into <ConnID>-<n>.wav with both parties (1000 and
  // 2001) on it.
  void expect_recording(const std::string& conn, int n);

  // The RecordingState the call's user data said in the nth
  // EventAttachedDataChanged on 2001.
  std::string recording_state(int nth);

  // `sipccctl conf ...`: its JSON ConfReply, with exit code 0 expected.
  nlohmann::json conf(const std::vector<std::string>& args);

  bus_recorder& rec() { return sys->recorder(); }
  std::unique_ptr<rtp_phone> customer, agent;

  uint16_t ast_port = 0;
  // Set before start(): a second sip-edge (edge2, sip-edge#2) at edge2_port,
  // as deploy/asterisk/pjsip.conf's second contact and identify expect.
  bool two_edges = false;
  uint16_t edge2_port = 0;
  std::unique_ptr<sipcc_system> sys;
  std::unique_ptr<real_asterisk> ast;
};

}  // namespace sipcc::test
