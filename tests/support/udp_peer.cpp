#include "udp_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "loopback.hpp"

namespace sipcc::test {

udp_peer::udp_peer(uint16_t port) : port_(port) { fd_ = bind_loopback(SOCK_DGRAM, port_); }

udp_peer::~udp_peer() { ::close(fd_); }

void udp_peer::send(uint16_t to_port, const std::string& text) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(to_port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::sendto(fd_, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) !=
      static_cast<ssize_t>(text.size()))
    throw std::runtime_error("udp_peer: sendto failed");
}

std::optional<std::string> udp_peer::next(std::chrono::steady_clock::time_point until) {
  std::string buf(65536, '\0');
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (left.count() < 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      return std::nullopt;
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n > 0)
      return buf.substr(0, static_cast<size_t>(n));
  }
}

std::optional<sip_message> udp_peer::final_response(
    const std::function<bool(const sip_message&)>& match, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (auto raw = next(until)) {
    auto m = parse_sip_message(*raw);
    if (m.start_line.rfind("SIP/2.0 ", 0) == 0 && m.start_line.compare(8, 1, "1") != 0 &&
        match(m))
      return m;
  }
  return std::nullopt;
}

std::optional<sip_message> udp_peer::final_response(const std::string& branch,
                                                    std::chrono::milliseconds deadline) {
  return final_response(
      [&](const sip_message& m) {
        return m.header("Via").find("branch=" + branch) != std::string::npos;
      },
      deadline);
}

void udp_peer::discard_pending() {
  while (next(std::chrono::steady_clock::now()))
    ;
}

int status_of(const sip_message& response) { return std::stoi(response.start_line.substr(8, 3)); }

}  // namespace sipcc::test
