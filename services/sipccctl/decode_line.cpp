#include "decode_line.hpp"

#include <chrono>
#include <ctime>
#include <vector>

#include <google/protobuf/util/json_util.h>

#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/common.pb.h"
#include "sipcc/text.hpp"

namespace sipcc::ctl {

using nlohmann::json;

namespace {

std::string iso_now() {
  auto now = std::chrono::system_clock::now();
  auto t = std::chrono::system_clock::to_time_t(now);
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()) %
            std::chrono::seconds(1);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", std::gmtime(&t));
  char out[64];
  std::snprintf(out, sizeof out, "%s.%06ldZ", buf, static_cast<long>(us.count()));
  return out;
}

}  // namespace

void redact_secrets(google::protobuf::Message& m) {
  using google::protobuf::FieldDescriptor;
  const auto* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const auto* f : fields) {
    if (f->options().GetExtension(v1::secret)) {
      if (f->type() == FieldDescriptor::TYPE_STRING && !f->is_repeated())
        r->SetString(&m, f, kRedacted);
      else
        r->ClearField(&m, f);
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (!f->is_repeated()) {
        redact_secrets(*r->MutableMessage(&m, f));
        continue;
      }
      for (int i = 0; i < r->FieldSize(m, f); ++i)
        redact_secrets(*r->MutableRepeatedMessage(&m, f, i));
    }
  }
}

json to_json(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  std::string s;
  google::protobuf::util::MessageToJsonString(m, &s, o);
  return json::parse(s);
}

json decode_line(const bus_msg& m) {
  // NATS takes any byte but white space in a subject, and dump() throws on a
  // string that is not UTF-8 (one publish ended `watch '>'`): such a byte
  // shows as %XX. The message part is safe: proto3 strings that are not
  // UTF-8 do not decode, bytes fields print as base64.
  json j{{"subject", uri_to_utf8(m.subject)}, {"time", iso_now()}};
  if (!m.reply.empty())
    j["reply"] = uri_to_utf8(m.reply);
  auto msg = new_message_for(m.subject);
  if (!msg) {
    j["error"] = "no message type is declared for this subject";
    j["size"] = m.data.size();
  } else if (!msg->ParseFromString(m.data)) {
    j["type"] = msg->GetTypeName();
    j["error"] = "payload does not decode as " + msg->GetTypeName();
    j["size"] = m.data.size();
  } else {
    j["type"] = msg->GetTypeName();
    redact_secrets(*msg);
    j["message"] = to_json(*msg);
  }
  return j;
}

}  // namespace sipcc::ctl
