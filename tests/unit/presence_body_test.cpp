// Presence body parsers against the real Asterisk captures, hand-made edge
// cases, and every truncation of a few captures.
#include "sipcc/presence_body.hpp"

#include <cstring>
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "sip_capture.hpp"

namespace sipcc {
namespace {

using test::load_capture;
using test::replace_all;
using v1::DeviceState;

struct capture_case {
  const char* file;
  DeviceState device;
  long long version;  // -1 for PIDF
  const char* entity;
};

constexpr const char* k1000 = "sip:1000@127.0.0.1:5070";
constexpr const char* k1001 = "sip:1001@127.0.0.1:5070";
constexpr const char* k2000 = "sip:2000@127.0.0.1:5070";
constexpr const char* k3000 = "sip:3000@127.0.0.1:5070";

const std::vector<capture_case> kCaptureCases = {
    // PIDF, phone 1000 / 2000 (see tests/data/asterisk/README.md groups 1-14).
    {"presence-notify-closed.sip", v1::DEVICE_OUT_OF_SERVICE, -1, k1000},
    {"presence-notify-open.sip", v1::DEVICE_IDLE, -1, k1000},
    {"presence-notify-busy-inuse.sip", v1::DEVICE_BUSY, -1, k1000},
    {"presence-notify-open-after-call.sip", v1::DEVICE_IDLE, -1, k1000},
    {"presence-notify-ringing.sip", v1::DEVICE_RINGING, -1, k1000},
    {"presence-notify-busy-inbound.sip", v1::DEVICE_BUSY, -1, k1000},
    {"presence-notify-open-after-inbound.sip", v1::DEVICE_IDLE, -1, k1000},
    {"presence-refresh-notify.sip", v1::DEVICE_IDLE, -1, k1000},
    {"presence-notify-2000-noexpires.sip", v1::DEVICE_OUT_OF_SERVICE, -1, k2000},
    {"presence-subscribe-expires1-notify.sip", v1::DEVICE_OUT_OF_SERVICE, -1, k2000},
    {"presence-subscribe-expires1-timeout-notify.sip", v1::DEVICE_OUT_OF_SERVICE, -1, k2000},
    {"presence-notify-closed-after-unregister.sip", v1::DEVICE_OUT_OF_SERVICE, -1, k1000},
    {"presence-notify-terminated.sip", v1::DEVICE_OUT_OF_SERVICE, -1, k1000},
    // CustomPresence changes do not change the device state (hint 1001).
    {"presence-1001-notify-initial.sip", v1::DEVICE_IDLE, -1, k1001},
    {"presence-1001-notify-away.sip", v1::DEVICE_IDLE, -1, k1001},
    {"presence-1001-notify-dnd.sip", v1::DEVICE_IDLE, -1, k1001},
    {"presence-1001-notify-available.sip", v1::DEVICE_IDLE, -1, k1001},
    {"presence-1001-notify-not_set.sip", v1::DEVICE_IDLE, -1, k1001},
    // ... nor does the extra digium-presence tuple.
    {"presence-1001-digium-ua-notify-initial.sip", v1::DEVICE_IDLE, -1, k1001},
    {"presence-1001-digium-ua-notify-away.sip", v1::DEVICE_IDLE, -1, k1001},
    {"presence-1001-digium-ua-notify-dnd.sip", v1::DEVICE_IDLE, -1, k1001},
    {"presence-1001-digium-ua-notify-available.sip", v1::DEVICE_IDLE, -1, k1001},
    {"presence-1001-digium-ua-notify-not_set.sip", v1::DEVICE_IDLE, -1, k1001},
    // Custom device state (hint 3000): PIDF gives all five.
    {"presence-3000-custom-inuse.sip", v1::DEVICE_BUSY, -1, k3000},
    {"presence-3000-custom-ringing.sip", v1::DEVICE_RINGING, -1, k3000},
    {"presence-3000-custom-onhold.sip", v1::DEVICE_HELD, -1, k3000},
    {"presence-3000-custom-busy.sip", v1::DEVICE_BUSY, -1, k3000},
    {"presence-3000-custom-unavailable.sip", v1::DEVICE_OUT_OF_SERVICE, -1, k3000},
    {"presence-3000-custom-not_inuse.sip", v1::DEVICE_IDLE, -1, k3000},
    // dialog-info: unregistered reads as idle.
    {"dialog-notify-initial-unregistered.sip", v1::DEVICE_IDLE, 0, k1000},
    {"dialog-notify-after-register.sip", v1::DEVICE_IDLE, 1, k1000},
    {"dialog-notify-confirmed-outbound.sip", v1::DEVICE_BUSY, 2, k1000},
    {"dialog-notify-terminated-after-call.sip", v1::DEVICE_IDLE, 3, k1000},
    {"dialog-notify-early-ringing.sip", v1::DEVICE_RINGING, 4, k1000},
    {"dialog-notify-confirmed-inbound.sip", v1::DEVICE_BUSY, 5, k1000},
    {"dialog-notify-terminated-inbound.sip", v1::DEVICE_IDLE, 6, k1000},
    {"dialog-notify-after-unregister.sip", v1::DEVICE_IDLE, 7, k1000},
    {"dialog-notify-terminated-unsubscribe.sip", v1::DEVICE_IDLE, 7, k1000},
    {"dialog-3000-custom-inuse.sip", v1::DEVICE_BUSY, 1, k3000},
    {"dialog-3000-custom-ringing.sip", v1::DEVICE_RINGING, 2, k3000},
    // Asterisk marks ONHOLD with +sip.rendering=no on the local target.
    {"dialog-3000-custom-onhold.sip", v1::DEVICE_HELD, 3, k3000},
    {"dialog-3000-custom-busy.sip", v1::DEVICE_BUSY, 4, k3000},
    {"dialog-3000-custom-unavailable.sip", v1::DEVICE_IDLE, 5, k3000},
    {"dialog-3000-custom-not_inuse.sip", v1::DEVICE_IDLE, 6, k3000},
};

TEST(PresenceBody, ParsesEveryAsteriskCapture) {
  for (const auto& c : kCaptureCases) {
    SCOPED_TRACE(c.file);
    auto msg = load_capture(c.file);
    auto r = parse_device_body(msg.header("Content-Type"), msg.body);
    ASSERT_TRUE(r) << r.error;
    EXPECT_EQ(r.value->device, c.device);
    EXPECT_EQ(r.value->version, c.version);
    EXPECT_EQ(r.value->entity, c.entity);
  }
}

// A new presence/dialog capture must get a row above.
TEST(PresenceBody, TableCoversEveryPresenceAndDialogNotify) {
  std::set<std::string> in_table;
  for (const auto& c : kCaptureCases) in_table.insert(c.file);
  std::set<std::string> notifies;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(SIPCC_TEST_DATA_DIR) + "/asterisk")) {
    auto name = entry.path().filename().string();
    bool family = name.rfind("presence-", 0) == 0 || name.rfind("dialog-", 0) == 0;
    if (family && load_capture(name).start_line.rfind("NOTIFY ", 0) == 0) notifies.insert(name);
  }
  EXPECT_EQ(notifies, in_table);
}

constexpr const char* kPidf = "application/pidf+xml";
constexpr const char* kDialog = "application/dialog-info+xml";

struct good_case {
  const char* name;
  const char* content_type;
  const char* body;
  DeviceState device;
};

const std::vector<good_case> kGoodCases = {
    {"other namespace prefixes",
     kPidf,
     R"(<p:presence xmlns:p="urn:ietf:params:xml:ns:pidf" xmlns:r="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:a@b">
          <p:tuple id="x"><p:status><p:basic>open</p:basic></p:status></p:tuple>
          <p:note>On hold</p:note>
          <d:person xmlns:d="urn:ietf:params:xml:ns:pidf:data-model"><r:activities><r:on-the-phone/></r:activities></d:person>
        </p:presence>)",
     v1::DEVICE_HELD},
    {"content type case and parameters ignored",
     "Application/PIDF+XML ; charset=UTF-8",
     R"(<presence><tuple id="x"><status><basic>closed</basic></status></tuple></presence>)",
     v1::DEVICE_OUT_OF_SERVICE},
    {"one open tuple of two is open",
     kPidf,
     R"(<presence><tuple id="a"><status><basic>closed</basic></status></tuple>
          <tuple id="b"><status><basic>open</basic></status></tuple></presence>)",
     v1::DEVICE_IDLE},
    {"note inside the tuple",
     kPidf,
     R"(<presence><tuple id="a"><status><basic>open</basic></status><note>Ringing</note></tuple>
          <person><activities><on-the-phone/></activities></person></presence>)",
     v1::DEVICE_RINGING},
    {"on-the-phone with an unknown note is busy",
     kPidf,
     R"(<presence><note>Talking</note><tuple id="a"><status><basic>open</basic></status></tuple>
          <person><activities><on-the-phone/></activities></person></presence>)",
     v1::DEVICE_BUSY},
    {"closed wins over on-the-phone",
     kPidf,
     R"(<presence><note>Ringing</note><tuple id="a"><status><basic>closed</basic></status></tuple>
          <person><activities><on-the-phone/></activities></person></presence>)",
     v1::DEVICE_OUT_OF_SERVICE},
    {"dialog-info without dialog is idle", kDialog, R"(<dialog-info version="9" state="full"/>)",
     v1::DEVICE_IDLE},
    {"version 2^32 - 1 is the largest", kDialog,
     R"(<dialog-info version="4294967295" state="full"/>)", v1::DEVICE_IDLE},
    {"confirmed wins over early",
     kDialog,
     R"(<dialog-info version="1" state="full"><dialog id="a"><state>early</state></dialog>
          <dialog id="b"><state>confirmed</state></dialog></dialog-info>)",
     v1::DEVICE_BUSY},
    {"early among terminated is ringing",
     kDialog,
     R"(<dialog-info version="1"><dialog id="a"><state>terminated</state></dialog>
          <dialog id="b"><state>early</state></dialog></dialog-info>)",
     v1::DEVICE_RINGING},
    {"held plus a talking dialog is busy",
     kDialog,
     R"(<dialog-info version="1"><dialog id="a"><state>confirmed</state>
          <local><target uri="sip:a@b"><param pname="+sip.rendering" pvalue="no"/></target></local></dialog>
          <dialog id="b"><state>confirmed</state></dialog></dialog-info>)",
     v1::DEVICE_BUSY},
    {"outbound early is busy, not ringing",
     kDialog,
     R"(<dialog-info version="1"><dialog id="a" direction="initiator"><state>early</state></dialog></dialog-info>)",
     v1::DEVICE_BUSY},
    {"trying is busy", kDialog,
     R"(<dialog-info version="1"><dialog id="a"><state>trying</state></dialog></dialog-info>)",
     v1::DEVICE_BUSY},
};

TEST(PresenceBody, HandMadeBodies) {
  for (const auto& c : kGoodCases) {
    SCOPED_TRACE(c.name);
    auto r = parse_device_body(c.content_type, c.body);
    ASSERT_TRUE(r) << r.error;
    EXPECT_EQ(r.value->device, c.device);
  }
}

struct bad_case {
  const char* name;
  std::string content_type;
  std::string body;
  const char* error;  // substring of the expected reason
};

std::string body_of(const char* file) { return load_capture(file).body; }

TEST(PresenceBody, RejectsMalformedBodies) {
  const std::string open = body_of("presence-notify-open.sip");
  const std::vector<bad_case> cases = {
      {"empty pidf", kPidf, "", "empty body"},
      {"blank dialog-info", kDialog, " \r\n", "empty body"},
      {"not XML", kPidf, "Messages-Waiting: no\r\n", "malformed XML"},
      {"truncated XML", kPidf, open.substr(0, open.size() / 2), "malformed XML"},
      {"wrong root", kPidf, body_of("dialog-notify-after-register.sip"),
       "root element is <dialog-info>, expected <presence>"},
      {"pidf sent as dialog-info", kDialog, open, "expected <dialog-info>"},
      {"missing basic", kPidf,
       R"(<presence><tuple id="a"><status/></tuple><note>Ready</note></presence>)",
       "no tuple with a <basic>"},
      {"only the digium-presence tuple", kPidf,
       R"(<presence><tuple id="digium-presence"><status><digium_presence type="away"/></status></tuple></presence>)",
       "no tuple with a <basic>"},
      {"basic neither open nor closed", kPidf,
       R"(<presence><tuple id="a"><status><basic>maybe</basic></status></tuple></presence>)",
       "'maybe', expected open or closed"},
      {"missing version", kDialog, R"(<dialog-info state="full"/>)", "missing version"},
      {"non-numeric version", kDialog, R"(<dialog-info version="x1"/>)",
       "version 'x1' is not"},
      {"negative version", kDialog, R"(<dialog-info version="-1"/>)", "version '-1' is not"},
      {"version with trailing garbage", kDialog, R"(<dialog-info version="1x"/>)",
       "version '1x' is not"},
      // RFC 4235 4.1: 32 bits. Accepted, 2^32 made every later version stale.
      {"version 2^32", kDialog, R"(<dialog-info version="4294967296"/>)",
       "version '4294967296' is above 4294967295"},
      {"version beyond long long", kDialog,
       R"(<dialog-info version="99999999999999999999"/>)", "is not a non-negative integer"},
      {"partial dialog-info", kDialog, R"(<dialog-info version="1" state="partial"/>)",
       "partial state"},
      {"dialog without state", kDialog,
       R"(<dialog-info version="1"><dialog id="a"/></dialog-info>)", "without <state>"},
      {"unknown dialog state", kDialog,
       R"(<dialog-info version="1"><dialog id="a"><state>ringing</state></dialog></dialog-info>)",
       "unknown dialog state 'ringing'"},
      {"xpidf is not supported", "application/xpidf+xml", body_of("xpidf-notify-open.sip"),
       "unsupported content type 'application/xpidf+xml'"},
      {"missing content type", "", open, "unsupported content type ''"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = parse_device_body(c.content_type, c.body);
    EXPECT_FALSE(r);
    EXPECT_NE(r.error.find(c.error), std::string::npos) << r.error;
  }
}

TEST(PresenceBody, BodyTypeLabelsComeFromAClosedSet) {
  struct label_case {
    std::string content_type;
    const char* label;
  };
  const std::vector<label_case> cases = {
      {"application/pidf+xml", "application/pidf+xml"},
      {"Application/PIDF+XML; charset=UTF-8", "application/pidf+xml"},
      {" application/dialog-info+xml ", "application/dialog-info+xml"},
      {"application/xpidf+xml", "application/xpidf+xml"},
      {R"(multipart/related;type="application/rlmi+xml";boundary=b1)", "multipart/related"},
      {"application/rlmi+xml", "application/rlmi+xml"},
      {"application/simple-message-summary", "application/simple-message-summary"},
      {"application/dtmf-relay", "application/dtmf-relay"},
      {"application/dtmf", "application/dtmf"},
      {"application/sdp", "application/sdp"},
      {"", "none"},
      {" ;charset=x", "none"},
      {"application/pidf+xml-x", "other"},
      {"text/plain", "other"},
      {std::string(10000, 'a'), "other"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(body_type_label(c.content_type), c.label) << c.content_type.substr(0, 60);
}

// ---- RFC 4662 lists ---------------------------------------------------------

struct resource_expect {
  std::string uri;
  std::string state;
  std::string reason;
  std::optional<DeviceState> device;
  std::string error;  // substring; "" = no error
};

struct list_case {
  const char* name;
  std::string content_type;
  std::string body;
  std::string error;  // substring; "" = parses
  std::string list_uri = {};
  long long version = 0;
  bool full_state = false;
  std::vector<resource_expect> resources = {};
};

struct part {
  std::string headers;  // CRLF-terminated header lines
  std::string body;
};

std::string multipart(const std::string& boundary, const std::vector<part>& parts,
                      bool close = true) {
  std::string out;
  for (const auto& p : parts) out += "--" + boundary + "\r\n" + p.headers + "\r\n" + p.body + "\r\n";
  if (close) out += "--" + boundary + "--\r\n";
  return out;
}

std::string rlmi(const std::string& attrs, const std::string& resources) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>)"
         "\n<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" " +
         attrs + ">\n" + resources + "</list>\n";
}

const std::string kRlmiHeaders = "Content-ID: <root@x>\r\nContent-Type: application/rlmi+xml\r\n";
const std::string kListType = R"(multipart/related;type="application/rlmi+xml";boundary=b1)";

std::vector<list_case> list_cases() {
  auto full = load_capture("rls-notify-full-state.sip");
  const std::vector<resource_expect> agents = {
      {"sip:1000@127.0.0.1:5070", "active", "", v1::DEVICE_IDLE, ""},
      {"sip:2000@127.0.0.1:5070", "active", "", v1::DEVICE_OUT_OF_SERVICE, ""},
  };
  const std::string list_attrs = R"(uri="sip:agents@x" version="3" fullState="false")";
  const std::string confirmed =
      R"(<dialog-info version="3" state="full" entity="sip:1000@x"><dialog id="1"><state>confirmed</state></dialog></dialog-info>)";
  return {
      {"Asterisk full-state capture", full.header("Content-Type"), full.body, "",
       "sip:agents@127.0.0.1:5070", 0, true, agents},
      {"same with LF line ends", full.header("Content-Type"),
       replace_all(full.body, "\r\n", "\n"), "", "sip:agents@127.0.0.1:5070", 0, true, agents},
      {"quoted boundary, parameters reordered",
       R"(Multipart/Related; boundary="wwdie"; type="application/rlmi+xml")", full.body, "",
       "sip:agents@127.0.0.1:5070", 0, true, agents},
      {"partial state with one changed resource", kListType,
       multipart("b1", {{kRlmiHeaders,
                         rlmi(list_attrs, R"(<resource uri="sip:1000@x"><instance id="i" state="active" cid="p1@x"/></resource>)")},
                        {"Content-Type: application/dialog-info+xml\r\nContent-ID: <p1@x>\r\n",
                         confirmed}}),
       "", "sip:agents@x", 3, false,
       {{"sip:1000@x", "active", "", v1::DEVICE_BUSY, ""}}},
      {"cid without a part, terminated instance without cid", kListType,
       multipart("b1", {{kRlmiHeaders,
                         rlmi(list_attrs,
                              R"(<resource uri="sip:1000@x"><instance id="i" state="active" cid="gone@x"/></resource>)"
                              R"(<resource uri="sip:2000@x"><instance id="j" state="terminated" reason="noresource"/></resource>)")}}),
       "", "sip:agents@x", 3, false,
       {{"sip:1000@x", "active", "", std::nullopt, "no body part with Content-ID <gone@x>"},
        {"sip:2000@x", "terminated", "noresource", std::nullopt, ""}}},
      {"a broken part fails only its resource", kListType,
       multipart("b1", {{kRlmiHeaders,
                         rlmi(list_attrs,
                              R"(<resource uri="sip:1000@x"><instance id="i" state="active" cid="p1@x"/></resource>)"
                              R"(<resource uri="sip:2000@x"><instance id="j" state="active" cid="p2@x"/></resource>)")},
                        {"Content-Type: application/pidf+xml\r\nContent-ID: <p1@x>\r\n", "<presence><tuple>"},
                        {"Content-Type: application/dialog-info+xml\r\nContent-ID: <p2@x>\r\n", confirmed}}),
       "", "sip:agents@x", 3, false,
       {{"sip:1000@x", "active", "", std::nullopt, "pidf: malformed XML"},
        {"sip:2000@x", "active", "", v1::DEVICE_BUSY, ""}}},
      {"no boundary parameter", R"(multipart/related;type="application/rlmi+xml")", full.body,
       "without a boundary"},
      {"not multipart", kPidf, full.body, "is not multipart/related"},
      // Found by fuzzing: sofia's delimiter search overflowed the stack.
      {"boundary over 70 characters",
       "multipart/related;type=\"application/rlmi+xml\";boundary=" + std::string(71, 'b'),
       multipart(std::string(71, 'b'), {{kRlmiHeaders, "<list/>"}}), "not 1 to 70 RFC 2046"},
      {"boundary with bytes over 0x7f",
       "multipart/related;type=\"application/rlmi+xml\";boundary=\"b\xff\xff" "1\"",
       multipart("b\xff\xff" "1", {{kRlmiHeaders, "<list/>"}}), "not 1 to 70 RFC 2046"},
      {"boundary not in the body", kListType, full.body, "no delimiter line for boundary 'b1'"},
      {"no close delimiter", full.header("Content-Type"),
       full.body.substr(0, full.body.rfind("--wwdie--")), "no close delimiter"},
      {"no RLMI part", kListType,
       multipart("b1", {{"Content-Type: application/pidf+xml\r\nContent-ID: <p1@x>\r\n",
                         body_of("presence-notify-open.sip")}}),
       "no application/rlmi+xml part"},
      {"part without header/body separator", kListType, "--b1\r\nContent-Type: x\r\n--b1--\r\n",
       "part 1 has no blank line"},
      {"RLMI without version", kListType,
       multipart("b1", {{kRlmiHeaders, rlmi(R"(uri="sip:agents@x" fullState="true")", "")}}),
       "rlmi: missing version"},
      {"RLMI version 2^32", kListType,
       multipart("b1", {{kRlmiHeaders, rlmi(R"(uri="sip:agents@x" version="4294967296" fullState="true")", "")}}),
       "rlmi: version '4294967296' is above 4294967295"},
      {"RLMI version 2^32 - 1 is the largest", kListType,
       multipart("b1", {{kRlmiHeaders, rlmi(R"(uri="sip:agents@x" version="4294967295" fullState="true")", "")}}),
       "", "sip:agents@x", 4294967295LL, true},
      // sofia's multipart parser asserts on one; no XML body has one.
      {"NUL byte in a part's headers", kListType,
       multipart("b1", {{kRlmiHeaders + std::string("X-A\0B: c\r\n", 10),
                         rlmi(R"(uri="sip:agents@x" version="1" fullState="true")", "")}}),
       "the body has a NUL byte"},
      {"body shorter than its delimiter", kListType, "--b", "no delimiter line for boundary 'b1'"},
      {"RLMI fullState not boolean", kListType,
       multipart("b1", {{kRlmiHeaders, rlmi(R"(uri="sip:agents@x" version="1" fullState="yes")", "")}}),
       "fullState 'yes'"},
  };
}

TEST(PresenceBody, ListNotify) {
  for (const auto& c : list_cases()) {
    SCOPED_TRACE(c.name);
    auto r = parse_list_notify(c.content_type, c.body);
    if (!c.error.empty()) {
      EXPECT_FALSE(r);
      EXPECT_NE(r.error.find(c.error), std::string::npos) << r.error;
      continue;
    }
    ASSERT_TRUE(r) << r.error;
    EXPECT_EQ(r.value->list_uri, c.list_uri);
    EXPECT_EQ(r.value->version, c.version);
    EXPECT_EQ(r.value->full_state, c.full_state);
    ASSERT_EQ(r.value->resources.size(), c.resources.size());
    for (std::size_t i = 0; i < c.resources.size(); ++i) {
      const auto& got = r.value->resources[i];
      const auto& want = c.resources[i];
      SCOPED_TRACE(want.uri);
      EXPECT_EQ(got.uri, want.uri);
      EXPECT_EQ(got.state, want.state);
      EXPECT_EQ(got.reason, want.reason);
      ASSERT_EQ(got.report.has_value(), want.device.has_value()) << got.error;
      if (want.device) {
        EXPECT_EQ(got.report->device, *want.device);
      }
      if (want.error.empty()) {
        EXPECT_EQ(got.error, "");
      } else {
        EXPECT_NE(got.error.find(want.error), std::string::npos) << got.error;
      }
    }
  }
}

// ---- truncation (STYLE.md item 5) ---------------------------------------------

// Flattened result, so a truncated body can be compared with the whole one.
std::string summary(const parse_result<device_report>& r) {
  if (!r) return "error";
  return std::to_string(r.value->device) + "/" + std::to_string(r.value->version) + "/" +
         r.value->entity;
}

std::string summary(const parse_result<list_notify>& r) {
  if (!r) return "error";
  std::string s = r.value->list_uri + "/" + std::to_string(r.value->version);
  for (const auto& res : r.value->resources)
    s += "|" + res.uri + "/" + res.state + "/" +
         (res.report ? std::to_string(res.report->device) : "-") + "/" + res.error;
  return s;
}

// Every prefix of a capture body: never a crash, and an error until the
// document's last markup (`end_marker`) is complete; then the full result.
TEST(PresenceBody, TruncatedAtEverySizeErrorsUntilComplete) {
  struct truncation_case {
    const char* file;
    const char* end_marker;
  };
  const std::vector<truncation_case> cases = {
      {"presence-notify-ringing.sip", "</presence>"},
      {"presence-1001-digium-ua-notify-away.sip", "</presence>"},
      {"dialog-3000-custom-onhold.sip", "</dialog-info>"},
      {"rls-notify-full-state.sip", "--wwdie--"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    auto msg = load_capture(c.file);
    const std::string type = msg.header("Content-Type");
    const bool list = type.rfind("multipart/", 0) == 0;
    auto parse = [&](std::string_view body) {
      return list ? summary(parse_list_notify(type, body))
                  : summary(parse_device_body(type, body));
    };
    const std::string whole = parse(msg.body);
    ASSERT_NE(whole, "error");
    const std::size_t complete = msg.body.rfind(c.end_marker) + std::strlen(c.end_marker);
    for (std::size_t n = 0; n < msg.body.size(); ++n) {
      // Copy, so that reading past the prefix would be caught by sanitizers.
      const std::string prefix = msg.body.substr(0, n);
      EXPECT_EQ(parse(prefix), n < complete ? "error" : whole) << "prefix of " << n << " bytes";
    }
  }
}

}  // namespace
}  // namespace sipcc
