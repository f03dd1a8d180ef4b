#include "receive_queue.hpp"

#include <arpa/inet.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <filesystem>
#include <string>

namespace sipcc::edge {

int find_udp_socket(const host_port& bind) {
  in_addr want{};
  if (inet_pton(AF_INET, bind.host.c_str(), &want) != 1)
    return -1;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    const int fd = std::stoi(name);
    int type = 0;
    socklen_t tlen = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_DGRAM)
      continue;
    sockaddr_in addr{};
    socklen_t alen = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0 ||
        addr.sin_family != AF_INET || ntohs(addr.sin_port) != bind.port)
      continue;
    if (addr.sin_addr.s_addr == want.s_addr || want.s_addr == htonl(INADDR_ANY))
      return fd;
  }
  return -1;
}

std::optional<receive_queue_fill> receive_queue(int fd) {
  uint32_t mem[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof mem;
  if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 ||
      len < sizeof(uint32_t) * (SK_MEMINFO_RCVBUF + 1))
    return std::nullopt;
  return receive_queue_fill{mem[SK_MEMINFO_RMEM_ALLOC], mem[SK_MEMINFO_RCVBUF]};
}

}  // namespace sipcc::edge
