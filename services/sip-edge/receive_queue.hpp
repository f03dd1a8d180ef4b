// The SIP socket's receive queue, read from the kernel: the edge's own
// backlog, one of admission control's signals (model/admission.hpp). sofia-sip
// does not hand out its sockets, so the edge finds its UDP socket by the
// address it is bound to.
#pragma once

#include <cstdint>
#include <optional>

#include "sipcc/config.hpp"

namespace sipcc::edge {

// The UDP socket of this process bound to `bind`, or -1.
int find_udp_socket(const host_port& bind);

struct receive_queue_fill {
  int64_t queued_bytes = 0;  // datagrams waiting, with the kernel's overhead
  int64_t buffer_bytes = 0;  // the limit: past it, datagrams are dropped
};

// nullopt if the kernel does not say (SO_MEMINFO, Linux 4.6).
std::optional<receive_queue_fill> receive_queue(int fd);

}  // namespace sipcc::edge
