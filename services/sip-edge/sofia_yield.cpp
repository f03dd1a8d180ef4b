// sofia-sip 1.12.11's su_root_yield, replaced by one that polls nothing.
//
// nta's timer reads its clock once (agent->sa_millisec) for the client and
// the server transactions, and the client part calls su_root_yield() after
// every fifth retransmission "to handle received packets". Receiving sets
// and then zeroes sa_millisec, so the server part that follows reads 0 as
// the time: while sofia's millisecond counter has its high bit set (24.8 of
// every 49.7 days), every server transaction then looks expired. nta resends
// 30 provisional answers a round and, worse, ends each 2xx still waiting for
// its ACK (Timer H): nua hangs up the answered call with BYE "ACK Timeout".
// Five retransmissions in one round are enough: an Asterisk slow to answer a
// burst of SUBSCRIBEs dropped routed calls in bench/failover this way.
//
// The other callers (nua's and nea's refresh loops) only process packets
// early; without the yield they wait for the timer's end, on the same thread.
// ELF interposition: libsofia-sip-ua calls su_root_yield through its PLT,
// so the executable's definition is the one it binds (CMakeLists exports it;
// tests/e2e/sofia_timers_e2e_test.cpp fails if it does not).
#include <sofia-sip/su_wait.h>

extern "C" int su_root_yield(su_root_t* root) { return root ? 0 : -1; }
