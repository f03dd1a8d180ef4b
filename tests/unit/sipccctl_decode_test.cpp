// sipccctl watch's JSON line for whatever arrives on a watched subject.
#include "decode_line.hpp"

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <gtest/gtest.h>

#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/ops.pb.h"
#include "sipcc/v1/tlib.pb.h"

namespace sipcc::ctl {
namespace {

// NATS takes any byte but white space in a subject: one publish on a subject
// with a Latin-1 byte made nlohmann's dump() throw and `sipccctl watch '>'`
// abort (found by tests/fuzz sipccctl_watch). Such a byte shows as %XX.
TEST(SipccctlDecode, SubjectThatIsNotUtf8StillPrints) {
  v1::ServiceReady ready;
  ready.set_instance("callctl-0");
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"declared family", "sipcc.ops.callc\xCBl-0.ready", "sipcc.ops.callc%CBl-0.ready"},
      {"undeclared", "x.\xE9", "x.%E9"},
      {"valid UTF-8 stays", "sipcc.ops.caf\xC3\xA9.ready", "sipcc.ops.caf\xC3\xA9.ready"},
  };
  for (const auto& [what, subject, shown] : cases) {
    auto j = decode_line({subject, ready.SerializeAsString(), "_INBOX.\xFF"});
    std::string line;
    EXPECT_NO_THROW(line = j.dump()) << what;
    EXPECT_EQ(j["subject"], shown) << what;
    EXPECT_EQ(j["reply"], "_INBOX.%FF") << what;
  }
}

TEST(SipccctlDecode, DeclaredSubjectDecodesItsType) {
  v1::ServiceReady ready;
  ready.set_instance("callctl-0");
  auto j = decode_line({"sipcc.ops.callctl-0.ready", ready.SerializeAsString(), ""});
  EXPECT_EQ(j["type"], "sipcc.v1.ServiceReady");
  EXPECT_EQ(j["message"]["instance"], "callctl-0");
  EXPECT_FALSE(j.contains("reply"));
  auto bad = decode_line({"sipcc.ops.callctl-0.ready", "\xFF", ""});
  EXPECT_EQ(bad["error"], "payload does not decode as sipcc.v1.ServiceReady");
  EXPECT_EQ(bad["size"], 1);
}

// The supervision subjects: the health query (answered on the inbox in
// `reply`) and the test-only fault injection.
TEST(SipccctlDecode, HealthQueryAndFaultInjectionDecode) {
  v1::HealthQuery q;
  q.set_schema(v1::SCHEMA_V1);
  auto health = decode_line({"sipcc.ops.router-0.health", q.SerializeAsString(), "_INBOX.7"});
  EXPECT_EQ(health["type"], "sipcc.v1.HealthQuery");
  EXPECT_EQ(health["message"]["schema"], "SCHEMA_V1");
  EXPECT_EQ(health["reply"], "_INBOX.7");
  v1::FaultInjection f;
  f.set_reason("boom");
  auto fault = decode_line({"sipcc.ops.router-0.fault", f.SerializeAsString(), ""});
  EXPECT_EQ(fault["type"], "sipcc.v1.FaultInjection");
  EXPECT_EQ(fault["message"]["reason"], "boom");
}

// An agent's password never shows in `watch`: the field is marked secret in
// the .proto, and decoding redacts it.
TEST(SipccctlDecode, AgentPasswordIsRedacted) {
  v1::TRequest login;
  login.set_type(v1::TAgentLogin);
  login.set_this_dn("1001");
  login.set_agent_id("agent1001");
  login.set_password("s3cret-pw");
  auto j = decode_line({subj::tlib_req(v1::TAgentLogin, "1001"), login.SerializeAsString(), ""});
  EXPECT_EQ(j["message"]["agent_id"], "agent1001");
  EXPECT_EQ(j["message"]["password"], kRedacted);
  EXPECT_EQ(j.dump().find("s3cret-pw"), std::string::npos);
  // No password sent: nothing to show, not even the mark.
  login.clear_password();
  j = decode_line({subj::tlib_req(v1::TAgentLogin, "1001"), login.SerializeAsString(), ""});
  EXPECT_FALSE(j["message"].contains("password"));
}

// A message that carries a TRequest inside (once or repeated) has its
// password redacted too: built at run time, since no bus message nests one yet.
TEST(SipccctlDecode, SecretsAreRedactedAtAnyDepth) {
  namespace pb = google::protobuf;
  pb::FileDescriptorProto file;
  file.set_name("wrapper_test.proto");
  file.set_package("wrapper_test");
  file.set_syntax("proto3");
  file.add_dependency("sipcc/v1/tlib.proto");
  auto* wrapper = file.add_message_type();
  wrapper->set_name("Wrapper");
  for (auto [name, label] : {std::pair{"one", pb::FieldDescriptorProto::LABEL_OPTIONAL},
                             std::pair{"many", pb::FieldDescriptorProto::LABEL_REPEATED}}) {
    auto* f = wrapper->add_field();
    f->set_name(name);
    f->set_number(wrapper->field_size());
    f->set_label(label);
    f->set_type(pb::FieldDescriptorProto::TYPE_MESSAGE);
    f->set_type_name(".sipcc.v1.TRequest");
  }
  pb::DescriptorPool pool(pb::DescriptorPool::generated_pool());
  const auto* type = pool.BuildFile(file)->message_type(0);
  pb::DynamicMessageFactory factory(&pool);
  std::unique_ptr<pb::Message> m(factory.GetPrototype(type)->New());
  const auto* r = m->GetReflection();
  v1::TRequest login;
  login.set_password("s3cret-pw");
  r->MutableMessage(m.get(), type->field(0))->MergeFrom(login);
  r->AddMessage(m.get(), type->field(1))->MergeFrom(login);
  r->AddMessage(m.get(), type->field(1))->MergeFrom(login);
  redact_secrets(*m);
  auto j = to_json(*m);
  EXPECT_EQ(j["one"]["password"], kRedacted);
  ASSERT_EQ(j["many"].size(), 2u);
  EXPECT_EQ(j["many"][1]["password"], kRedacted);
  EXPECT_EQ(j.dump().find("s3cret-pw"), std::string::npos);
}

}  // namespace
}  // namespace sipcc::ctl
