// The configuration loader from text (deploy/sipcc.yaml's format): the whole
// input is the YAML. Its promise: a valid config or config_error, nothing else.
#include <string>

#include "fuzz_input.hpp"
#include "sipcc/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sipcc;
  try {
    auto cfg = parse_config(std::string(fuzz::as_text(data, size)), "fuzz.yaml");
    config_notes(cfg);
    config_warnings(cfg);
  } catch (const config_error& e) {
    fuzz::check(std::string(e.what()).rfind("fuzz.yaml:", 0) == 0,
                "a config_error starts with <file>:<line>");
  }
  return 0;
}
