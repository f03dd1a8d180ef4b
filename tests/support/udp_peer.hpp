// A bare SIP peer for the requests the simulated Asterisk would never send:
// a UDP socket on 127.0.0.1, datagrams out, answers read with a deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sip_capture.hpp"

namespace sipcc::test {

class udp_peer {
public:
  // On `port`, or a free one.
  explicit udp_peer(uint16_t port = 0);
  ~udp_peer();
  udp_peer(const udp_peer&) = delete;
  udp_peer& operator=(const udp_peer&) = delete;

  uint16_t port() const { return port_; }

  void send(uint16_t to_port, const std::string& text);

  // The first final response that satisfies `match` (which sees every final
  // response, in order); provisional responses and requests are skipped.
  std::optional<sip_message> final_response(const std::function<bool(const sip_message&)>& match,
                                            std::chrono::milliseconds deadline);
  // Drops what has arrived and not been read (answers retransmitted to a
  // peer that does not ACK them), without waiting.
  void discard_pending();
  // The final response of the transaction with this Via branch.
  std::optional<sip_message> final_response(const std::string& branch,
                                            std::chrono::milliseconds deadline);

private:
  std::optional<std::string> next(std::chrono::steady_clock::time_point until);

  int fd_ = -1;
  uint16_t port_ = 0;
};

// The status code of a response.
int status_of(const sip_message& response);

}  // namespace sipcc::test
