// The typed actor messages the services share (sipcc/actor_host.hpp,
// sipcc/subscriber.hpp) are inspectable: CAF serializes them and reads them
// back, a protobuf member as its bytes (inspect_with_proto), and bytes that
// are no such protobuf are refused, not half-read.
#include "sipcc/subscriber.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>

#include <gtest/gtest.h>

namespace sipcc {
namespace {

template <class T>
std::vector<char> bytes_of(T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  EXPECT_FALSE(sink(x));
  return buf;
}

template <class T>
caf::error read_back(const std::vector<char>& buf, T& out) {
  caf::binary_deserializer source{nullptr, buf};
  return source(out);
}

TEST(ActorMessages, AProtobufMemberGoesAsItsBytesAndComesBack) {
  sub_event_arrived in;
  in.ev.set_key("@agents");
  in.ev.set_sub_id("@agents_7");
  in.ev.mutable_notify()->set_cseq(42);
  in.ev.mutable_notify()->set_substate("active");
  sub_event_arrived out;
  ASSERT_FALSE(read_back(bytes_of(in), out));
  EXPECT_EQ(out.ev.SerializeAsString(), in.ev.SerializeAsString());
  EXPECT_EQ(out.ev.notify().cseq(), 42u);
  EXPECT_NE(caf::deep_to_string(in).find("sub_event_arrived"), std::string::npos);
}

TEST(ActorMessages, BytesThatAreNoProtobufAreRefused) {
  std::string truncated = "\x0a\x05" "ab";  // field 1, 5 bytes long, 2 there
  sub_event_arrived out;
  EXPECT_TRUE(read_back(bytes_of(truncated), out));
}

TEST(ActorMessages, PlainMembersComeBack) {
  bus_msg bus{"sipcc.tlib.req.call.1000", std::string("\0\1x", 3), "_INBOX.1"};
  bus_msg bus_out;
  ASSERT_FALSE(read_back(bytes_of(bus), bus_out));
  EXPECT_EQ(bus_out.subject, bus.subject);
  EXPECT_EQ(bus_out.data, bus.data);
  EXPECT_EQ(bus_out.reply, bus.reply);

  sub_first_notify_timer timer{"2000", uint64_t{1} << 40};
  sub_first_notify_timer timer_out;
  ASSERT_FALSE(read_back(bytes_of(timer), timer_out));
  EXPECT_EQ(timer_out.key, "2000");
  EXPECT_EQ(timer_out.generation, uint64_t{1} << 40);
  EXPECT_EQ(caf::deep_to_string(edge_gone{"edge2"}), "edge_gone(\"edge2\")");
}

}  // namespace
}  // namespace sipcc
