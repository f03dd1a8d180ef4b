// A test phone with real audio: a sofia-sip nua user agent on 127.0.0.1 that
// registers, calls and answers, and once a call is up sends a continuous sine
// at its own frequency as PCMU (20 ms packets) to wherever the remote SDP
// points, so an interop test says "connected" only when the other party's
// tone arrived. One call at a time, owned by one test; its SIP stack runs on
// its own thread, its RTP on another; every wait has a deadline.
//
//   rtp_phone a({"1000", "pw", 0, "127.0.0.1:5070", 440});
//   rtp_phone b({"1001", "pw", 0, "127.0.0.1:5070", 1000});
//   ASSERT_TRUE(a.register_now(2s) && b.register_now(2s));  REGISTER, 401, REGISTER, 200
//   a.call("sip:1001@127.0.0.1:5070");                      INVITE (PCMU 0, telephone-event 101)
//   ASSERT_TRUE(b.wait_incoming(5s));                        <- 180
//   b.answer();                                              <- 200 with the answer, ACK
//   ASSERT_TRUE(a.wait_established(5s));
//   EXPECT_TRUE(a.wait_hears(1000, 3s));                     b's tone reached a
//   EXPECT_TRUE(b.wait_hears(440, 3s));                      and a's reached b
//   a.hangup();                                              BYE
//   EXPECT_TRUE(a.wait_ended(5s) && b.wait_ended(5s));
//
// Re-INVITEs from the other side are followed: the answer mirrors the offered
// direction, and the phone sends only where the remote SDP says it receives
// (not to a=sendonly/inactive, port 0 or c=0.0.0.0).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sipcc::test {

struct phone_options {
  std::string user;       // From, Contact and digest user
  std::string password;
  uint16_t sip_port = 0;  // 0: a free one
  std::string registrar;  // "127.0.0.1:5070", also the From domain; "" for direct calls only
  double tone_hz = 440;   // what this phone says: give each phone its own
  bool auto_answer = false;
};

class rtp_phone {
public:
  explicit rtp_phone(phone_options options);  // throws when SIP or RTP cannot bind
  ~rtp_phone();                               // nua_shutdown: a call still up gets its BYE
  rtp_phone(const rtp_phone&) = delete;
  rtp_phone& operator=(const rtp_phone&) = delete;

  uint16_t sip_port() const;
  std::string uri() const;  // sip:<user>@127.0.0.1:<sip_port>, for direct calls

  // REGISTER (Expires 300) or un-REGISTER, answering a digest challenge;
  // true on a 2xx before the deadline.
  bool register_now(std::chrono::milliseconds deadline);
  bool unregister(std::chrono::milliseconds deadline);

  void call(const std::string& uri);  // INVITE with an offer; throws if a call is up
  // An INVITE came (and was answered 180) since the last wait_incoming.
  bool wait_incoming(std::chrono::milliseconds deadline);
  void answer();  // 200 with the SDP answer
  bool wait_established(std::chrono::milliseconds deadline);
  // Re-INVITE with a=sendonly / a=sendrecv; true on its 2xx. While holding,
  // the phone sends no audio (it has no music of its own).
  bool hold(std::chrono::milliseconds deadline);
  bool resume(std::chrono::milliseconds deadline);
  void hangup();  // BYE, CANCEL, or 603 to a ringing INVITE
  bool wait_ended(std::chrono::milliseconds deadline);  // whoever ended it
  std::string last_remote_sdp() const;

  // RFC 4733 events on the remote's telephone-event PT: 100 ms each, the end
  // packet sent three times, 40 ms of audio between digits.
  void send_dtmf_rfc4733(const std::string& digits);
  std::string rfc4733_digits_received() const;  // events on the negotiated PT
  bool wait_rfc4733_digits(const std::string& digits, std::chrono::milliseconds deadline);
  void send_dtmf_info(char digit);  // INFO application/dtmf-relay, Signal=<digit>
  std::vector<std::string> infos_received() const;  // INFO bodies (nua answers 200)
  bool wait_infos(size_t count, std::chrono::milliseconds deadline);

  // About the audio received after the call to each: 200 ms in which
  // has_tone(hz) holds (tone_detect.hpp); 60 ms of non-silent audio; less
  // than 60 ms of it during all of `window`.
  bool wait_hears(double hz, std::chrono::milliseconds deadline);
  bool wait_hears_audio(std::chrono::milliseconds deadline);
  // 200 ms of non-silent audio without the tone `hz` (any, for 0): music on
  // hold or a prompt where another phone's tone was.
  bool wait_hears_other_than(double hz, std::chrono::milliseconds deadline);
  bool hears_silence_for(std::chrono::milliseconds window);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sipcc::test
