// Sockets bound on 127.0.0.1 for the test peers.
#pragma once

#include <cstdint>

namespace sipcc::test {

// A socket of `type` (SOCK_DGRAM, SOCK_STREAM) bound on 127.0.0.1:`port`
// (0 = a free one); `port` gets the bound port. Throws when it cannot.
int bind_loopback(int type, uint16_t& port);

}  // namespace sipcc::test
