// SIP INFO bodies carrying DTMF: "<Content-Type>\n<body>".
#include "callctl/model/dtmf.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sipcc;
  auto [content_type, body] = fuzz::split_head(fuzz::as_text(data, size));
  auto r = parse_dtmf_info(content_type, body);
  fuzz::check(r || !r.error.empty(), "a rejected DTMF INFO says why");
  if (r)
    fuzz::check(is_dtmf_digit(r.value->signal), "an accepted DTMF INFO carries a DTMF digit");
  return 0;
}
