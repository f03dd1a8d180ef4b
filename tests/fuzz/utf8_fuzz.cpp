// SIP text on its way to the bus (sipcc/text.hpp): whatever bytes a peer sent,
// to_utf8 and uri_to_utf8 must make a string protobuf accepts (issue 16,
// defect 3: one Latin-1 byte in a From made callctl drop the INVITE).
#include <string>

#include <google/protobuf/stubs/logging.h>

#include "fuzz_input.hpp"
#include "sipcc/text.hpp"
#include "sipcc/v1/call.pb.h"

namespace {

// Serializing an invalid string logs an error each time: noise, not news.
const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);

// Whether `s` survives a protobuf string field: proto3 refuses to parse
// one that is not UTF-8.
bool decodes_as_string_field(const std::string& s) {
  sipcc::v1::LegIncoming in, out;
  in.set_from_name(s);
  return out.ParseFromString(in.SerializeAsString()) && out.from_name() == s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = sipcc::fuzz::as_text(data, size);
  if (decodes_as_string_field(std::string(text)))
    sipcc::fuzz::check(sipcc::to_utf8(text) == text, "to_utf8 keeps valid UTF-8 as it is");
  sipcc::fuzz::check(decodes_as_string_field(sipcc::to_utf8(text)),
                     "to_utf8 makes a valid protobuf string");
  sipcc::fuzz::check(decodes_as_string_field(sipcc::uri_to_utf8(text)),
                     "uri_to_utf8 makes a valid protobuf string");
  return 0;
}
