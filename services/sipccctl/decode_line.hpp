// sipccctl's decoding of bus traffic, out of main.cpp so that it can be
// fuzzed (tests/fuzz): whatever arrives on a watched subject is untrusted.
#pragma once

#include <google/protobuf/message.h>
#include <nlohmann/json.hpp>

#include "sipcc/bus.hpp"

namespace sipcc::ctl {

// What a secret field (option (sipcc.v1.secret), an agent's password) shows.
inline constexpr const char* kRedacted = "<redacted>";

// Replaces every secret field of `m`, at any depth, with kRedacted (a string)
// or clears it (any other type), so that nothing prints it.
void redact_secrets(google::protobuf::Message& m);

// A message in the protobuf JSON mapping, field names as in the .proto.
nlohmann::json to_json(const google::protobuf::Message& m);

// One bus message as one JSON object: subject, time, type and the message
// (protobuf JSON mapping, secrets redacted), or an error with the raw size. A subject or reply
// byte that is not UTF-8 shows as %XX, so the object always dumps.
nlohmann::json decode_line(const bus_msg& m);

}  // namespace sipcc::ctl
