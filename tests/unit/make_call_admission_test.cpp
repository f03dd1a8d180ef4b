// TMakeCall admission (callctl/model/admission.hpp): every refusal comes
// before any SIP, in the order the checks are made, and an admitted call is
// resolved into the phones to ring and the edge that holds its legs.
#include "callctl/model/admission.hpp"

#include <gtest/gtest.h>

namespace sipcc::callctl {
namespace {

// 1000 on Asterisk; 2000 and 2001 register on sipcc; 8000 is no agent DN.
const char* const kYaml = R"(
sip-edge: { id: edge1 }
asterisk: { address: 127.0.0.1:5070 }
dns:
  - { number: '1000', type: Extension }
  - { number: '1001', type: ACDPosition }
  - { number: '2000', type: Extension, password: secret }
  - { number: '2001', type: Extension, password: secret }
  - { number: '8000', type: RoutingPoint }
  - { number: '9000', type: Voicemail }
application: { make-call-ringback-timeout: 20 }
)";

const config& cfg() {
  static const config c = parse_config(kYaml, "t.yaml");
  return c;
}

directory_snapshot with_binding_of_2000() {
  binding_map b = {{"2000", {{{"sip:2000@10.0.0.9:5062", ""}, "edge2"}}}};
  return {std::make_shared<agent_map>(), std::make_shared<binding_map>(std::move(b))};
}

v1::TRequest make_call(const std::string& this_dn, const std::string& other_dn) {
  v1::TRequest r;
  r.set_type(v1::TMakeCall);
  r.set_this_dn(this_dn);
  r.set_other_dn(other_dn);
  return r;
}

TEST(MakeCallAdmission, EveryRefusalBeforeAnySip) {
  call_table calls;
  calls.made_calls["1001"] = "c1";
  calls.dns_with_calls.insert("2000");
  struct refusal_case {
    const char* this_dn;
    const char* other_dn;
    v1::ErrorCode code;
    const char* text;
  };
  const std::vector<refusal_case> cases = {
      {"5555", "1001", v1::ERR_UNKNOWN_DN, "ThisDN 5555 is not configured"},
      {"8000", "1001", v1::ERR_DN_TYPE,
       "ThisDN 8000 is a RoutingPoint, not an Extension or ACDPosition"},
      {"1000", "", v1::ERR_BAD_REQUEST, "TMakeCall needs an OtherDN"},
      {"1000", "10 01", v1::ERR_BAD_REQUEST, "OtherDN '10 01' is not a number to dial"},
      {"1000", "1001@evil", v1::ERR_BAD_REQUEST, "OtherDN '1001@evil' is not a number to dial"},
      {"1000", "1000", v1::ERR_BAD_REQUEST, "OtherDN is ThisDN 1000"},
      {"1001", "1000", v1::ERR_INVALID_STATE, "ThisDN 1001 has a call already"},   // made
      {"2000", "1000", v1::ERR_INVALID_STATE, "ThisDN 2000 has a call already"},   // routed
      {"2001", "1000", v1::ERR_INVALID_STATE, "ThisDN 2001 has no registered phone"},
      {"1000", "2001", v1::ERR_INVALID_STATE, "OtherDN 2001 has no registered phone"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.this_dn) + " -> " + c.other_dn);
    auto a = admit_make_call(cfg(), with_binding_of_2000(), calls, make_call(c.this_dn, c.other_dn));
    EXPECT_EQ(a.refusal.code, c.code);
    EXPECT_EQ(a.refusal.text, c.text);
  }
}

TEST(MakeCallAdmission, AnAdmittedCallKnowsItsPhonesAndEdge) {
  struct plan_case {
    const char* this_dn;
    const char* other_dn;
    const char* agent_uri;
    const char* edge;
    const char* dest_uri;
    bool other_configured;
  };
  const std::vector<plan_case> cases = {
      {"1000", "1001", "sip:1000@127.0.0.1:5070", "", "sip:1001@127.0.0.1:5070", true},
      {"1000", "+4930123", "sip:1000@127.0.0.1:5070", "", "sip:+4930123@127.0.0.1:5070",
       false},  // not configured: dialled on Asterisk
      {"1000", "9000", "sip:1000@127.0.0.1:5070", "", "sip:9000@127.0.0.1:5070",
       false},  // configured, no agent DN: no events
      {"2000", "1000", "sip:2000@10.0.0.9:5062", "edge2", "sip:1000@127.0.0.1:5070", true},
      {"1000", "2000", "sip:1000@127.0.0.1:5070", "", "sip:2000@10.0.0.9:5062", true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.this_dn) + " -> " + c.other_dn);
    auto a = admit_make_call(cfg(), with_binding_of_2000(), call_table{},
                             make_call(c.this_dn, c.other_dn));
    ASSERT_EQ(a.refusal.text, "");
    EXPECT_EQ(a.plan.this_dn, c.this_dn);
    EXPECT_EQ(a.plan.other_dn, c.other_dn);
    EXPECT_EQ(a.plan.agent_uri, c.agent_uri);
    EXPECT_EQ(a.plan.edge, c.edge);
    EXPECT_EQ(a.plan.dest_uri, c.dest_uri);
    EXPECT_EQ(a.plan.other_configured, c.other_configured);
    EXPECT_EQ(a.plan.ringback_ms, 20000u);
  }
}

TEST(MakeCallAdmission, RingbackDefaultsWellWithinTheAgentsRetransmissions) {
  auto plain = parse_config("dns: [ { number: '1000', type: Extension } ]", "t.yaml");
  auto a = admit_make_call(plain, directory_snapshot{}, call_table{}, make_call("1000", "77"));
  ASSERT_EQ(a.refusal.text, "");
  EXPECT_EQ(a.plan.ringback_ms, k_make_call_ringback_s * 1000);
}

}  // namespace
}  // namespace sipcc::callctl
