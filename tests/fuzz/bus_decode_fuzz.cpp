// Every bus message decoder: "<subject>\n<payload>" is decoded as the type
// bus_schema.hpp declares for the subject (what decode_bus does in every
// service), or "<type name>\n<payload>" as that sipcc.v1 type (the replies of
// request/reply subjects). What decodes must survive a round trip.
#include <memory>
#include <string>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/message_differencer.h>

#include "fuzz_input.hpp"
#include "sipcc/bus_schema.hpp"

namespace {

namespace pb = google::protobuf;

std::unique_ptr<pb::Message> message_for(std::string_view head) {
  if (auto m = sipcc::new_message_for(head))
    return m;
  if (head.rfind("sipcc.v1.", 0) != 0)
    return nullptr;
  auto* desc = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(std::string(head));
  if (!desc)
    return nullptr;
  return std::unique_ptr<pb::Message>(
      pb::MessageFactory::generated_factory()->GetPrototype(desc)->New());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [head, payload] = sipcc::fuzz::split_head(sipcc::fuzz::as_text(data, size));
  auto* family = sipcc::classify_subject(head);
  sipcc::fuzz::check(!family || sipcc::subject_matches(family->pattern, head),
                     "a subject's family matches it");
  auto msg = message_for(head);
  if (!msg || !msg->ParseFromArray(payload.data(), static_cast<int>(payload.size())))
    return 0;
  auto copy = std::unique_ptr<pb::Message>(msg->New());
  sipcc::fuzz::check(copy->ParseFromString(msg->SerializeAsString()),
                     "a decoded message decodes again once encoded");
  sipcc::fuzz::check(pb::util::MessageDifferencer::Equals(*msg, *copy),
                     "a decoded message survives a round trip");
  return 0;
}
