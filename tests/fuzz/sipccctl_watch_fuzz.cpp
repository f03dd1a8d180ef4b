// sipccctl watch: "<subject>\n<payload>" as it arrives on a watched subject
// (any, with '>'), turned into the JSON line watch prints.
#include <string>

#include "decode_line.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [subject, payload] = sipcc::fuzz::split_head(sipcc::fuzz::as_text(data, size));
  sipcc::bus_msg m{std::string(subject), std::string(payload), ""};
  auto line = sipcc::ctl::decode_line(m).dump();
  sipcc::fuzz::check(line.find('\n') == std::string::npos, "watch prints one line per message");
  return 0;
}
