// PIDF (RFC 3863 + RPID) bodies of presence NOTIFYs: the whole input is the body.
#include "fuzz_input.hpp"
#include "sipcc/presence_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sipcc;
  auto r = parse_pidf(fuzz::as_text(data, size));
  fuzz::check(r || !r.error.empty(), "a rejected PIDF says why");
  if (r)
    fuzz::check(r.value->version == -1, "PIDF has no version");
  return 0;
}
