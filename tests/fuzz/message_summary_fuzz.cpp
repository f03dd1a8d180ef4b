// MWI NOTIFYs (RFC 3842): "<Content-Type>\n<message-summary body>".
#include "fuzz_input.hpp"
#include "sipcc/mwi.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sipcc;
  auto [content_type, body] = fuzz::split_head(fuzz::as_text(data, size));
  auto r = parse_message_summary(content_type, body);
  fuzz::check(r || !r.error.empty(), "a rejected message-summary says why");
  if (r)
    gsipmwi_user_data("1000@default", *r.value);  // what the desktops get from it
  return 0;
}
