// dialog-info (RFC 4235) bodies of dialog NOTIFYs: the whole input is the body.
#include "fuzz_input.hpp"
#include "sipcc/presence_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sipcc;
  auto r = parse_dialog_info(fuzz::as_text(data, size));
  fuzz::check(r || !r.error.empty(), "a rejected dialog-info says why");
  if (r)
    fuzz::check(r.value->version >= 0 && r.value->version <= kMaxBodyVersion,
                "a dialog-info version is 0..2^32-1 (issue 16, defect 1)");
  return 0;
}
