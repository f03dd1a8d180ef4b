// The SDP text sipcc rewrites (callctl/model/sdp.hpp): the whole input is a
// body as a party sent it, put through every function that reads one.
#include <string>

#include "callctl/model/sdp.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sipcc;
  auto sdp = fuzz::as_text(data, size);
  const bool origin = has_origin(sdp);
  for (const char* direction : {"sendrecv", "sendonly", "recvonly", "inactive"}) {
    auto held = hold_offer(sdp, direction);
    fuzz::check(held.has_value() == origin, "hold_offer makes an offer iff the o= line is good");
    if (held)
      fuzz::check(has_origin(*held), "a hold offer keeps a good o= line");
  }
  fuzz::check(!hold_offer(sdp, "sendrecv ").has_value(), "hold_offer refuses another direction");
  fuzz::check(has_origin(rejecting_answer(sdp)), "a rejecting answer has sipcc's o= line");
  fuzz::check(has_origin(inactive_answer(sdp)), "an inactive answer has sipcc's o= line");

  // A leg's session: this body first, then the same again, then its hold.
  leg_origin leg;
  auto first = stamp_origin(leg, sdp);
  const auto version = leg.version;
  auto again = stamp_origin(leg, sdp);
  fuzz::check(first == again && leg.version == version,
              "the same body twice keeps the leg's o= version");
  if (auto held = hold_offer(first, "sendonly"))
    stamp_origin(leg, *held);
  return 0;
}
