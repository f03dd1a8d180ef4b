// RFC 4662 list NOTIFYs: "<Content-Type>\n<multipart body>". The Content-Type
// also goes through body_type_label, whose labels must stay a closed set.
#include <string>

#include "fuzz_input.hpp"
#include "sipcc/presence_body.hpp"

namespace {

bool closed_label(const std::string& l) {
  for (const char* known :
       {"none", "other", "application/pidf+xml", "application/xpidf+xml",
        "application/dialog-info+xml", "application/rlmi+xml", "multipart/related",
        "application/simple-message-summary", "application/dtmf-relay", "application/dtmf",
        "application/sdp"})
    if (l == known)
      return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sipcc;
  auto [content_type, body] = fuzz::split_head(fuzz::as_text(data, size));
  fuzz::check(closed_label(body_type_label(content_type)),
              "body_type_label comes from a closed set (issue 16, defect 2)");
  auto r = parse_list_notify(content_type, body);
  fuzz::check(r || !r.error.empty(), "a rejected list NOTIFY says why");
  if (!r)
    return 0;
  fuzz::check(r.value->version >= 0 && r.value->version <= kMaxBodyVersion,
              "an RLMI version is 0..2^32-1 (issue 16, defect 1)");
  for (auto& res : r.value->resources)
    if (res.report && res.report->version != -1)
      fuzz::check(res.report->version >= 0 && res.report->version <= kMaxBodyVersion,
                  "a part's dialog-info version is 0..2^32-1");
  return 0;
}
