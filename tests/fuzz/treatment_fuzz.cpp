// Treatments written as configuration text ("Music MUSIC=jazz"): the whole
// input is the text.
#include <string>

#include "fuzz_input.hpp"
#include "sipcc/media_uri.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sipcc;
  std::string error;
  auto t = parse_treatment(fuzz::as_text(data, size), error);
  fuzz::check(t || !error.empty(), "a refused treatment says why");
  if (t)
    fuzz::check(!treatment_request(t->type, t->parms, "ms").uri.empty(),
                "an accepted treatment names a media-server URI");
  return 0;
}
