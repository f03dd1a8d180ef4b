// callctl's registry decisions (callctl/model/call_table.hpp, audit.hpp):
// where leg events, desktop requests and conference requests go or why
// they are refused, what a call's end clears, and how an edge's leg audit
// is reconciled with the leg table.
#include "callctl/model/audit.hpp"
#include "callctl/model/call_table.hpp"
#include "callctl/model/media_legs.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include <functional>

namespace sipcc::callctl {
namespace {

// Call c1 (customer leg l1 on edge1, agent leg l2), call c2 with consultation
// alias c3, and c4 made by TMakeCall from DN 1000.
call_table two_calls() {
  call_table t;
  open_call(t, "c1", "l1", "edge1");
  leg_made(t, "l2", "c1", "edge1");
  open_call(t, "c2", "l5", "edge2");
  set_alias(t, "c3", "c2", true);
  open_made_call(t, "c4", "1000");
  leg_made(t, "l7", "c4", "edge1");
  return t;
}

v1::TRequest request(v1::RequestType type, const std::string& conn_id) {
  v1::TRequest r;
  r.set_type(type);
  r.set_conn_id(conn_id);
  r.set_this_dn("1000");
  return r;
}

TEST(CallctlRegistry, ARequestGoesToItsCallOrIsRefused) {
  auto t = two_calls();
  struct request_case {
    const char* name;
    v1::RequestType type;
    const char* conn_id;
    const char* to;
    const char* refusal;
  };
  const std::vector<request_case> cases = {
      {"own ConnID", v1::THoldCall, "c1", "c1", ""},
      {"consultation ConnID reaches the call that has it", v1::TCompleteTransfer, "c3", "c2", ""},
      {"made call", v1::TReleaseCall, "c4", "c4", ""},
      {"unknown", v1::THoldCall, "c9", "", "no call with ConnID 'c9'"},
      {"none given", v1::TRouteCall, "", "", "no call with ConnID ''"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto target = call_for(t, request(c.type, c.conn_id));
    EXPECT_EQ(target.conn_id, c.to);
    EXPECT_EQ(target.refusal.text, c.refusal);
    EXPECT_EQ(target.refusal.code, *c.refusal ? v1::ERR_INVALID_STATE : v1::ERROR_NONE);
  }
  set_alias(t, "c3", "c2", false);
  EXPECT_EQ(call_for(t, request(v1::TCompleteTransfer, "c3")).refusal.text,
            "no call with ConnID 'c3'");
}

TEST(CallctlRegistry, OnlyTransferAndConferenceOpenAConsultationCall) {
  for (auto type : {v1::TInitiateTransfer, v1::TInitiateConference})
    EXPECT_TRUE(opens_consultation(type)) << v1::RequestType_Name(type);
  for (auto type : {v1::TCompleteTransfer, v1::TSingleStepTransfer, v1::TMakeCall, v1::THoldCall})
    EXPECT_FALSE(opens_consultation(type)) << v1::RequestType_Name(type);
  EXPECT_EQ(subject_dn("sipcc.tlib.req.call.1000"), "1000");
  EXPECT_EQ(subject_dn("sipcc.tlib.req.media.8000"), "8000");
}

v1::ConfRequest conf(v1::ConfOp op, const std::string& conf_id, const std::string& conn_id) {
  v1::ConfRequest r;
  r.set_op(op);
  r.set_conf_id(conf_id);
  r.set_conn_id(conn_id);
  return r;
}

TEST(CallctlRegistry, AConferenceRequestIsCreatedOrGoesToItsCall) {
  auto t = two_calls();
  struct conf_case {
    const char* name;
    v1::ConfRequest req;
    bool create;
    const char* to;
    const char* refusal;
  };
  const std::vector<conf_case> cases = {
      {"create needs no call", conf(v1::CONF_CREATE, "", ""), true, "", ""},
      {"join", conf(v1::CONF_JOIN, "sales_1-a", "c1"), false, "c1", ""},
      {"leave needs no conf_id", conf(v1::CONF_LEAVE, "", "c2"), false, "c2", ""},
      {"join without conf_id", conf(v1::CONF_JOIN, "", "c1"), false, "",
       "conf_id '' is not [A-Za-z0-9_-]+"},
      {"conf_id not a URI user", conf(v1::CONF_JOIN, "a b", "c1"), false, "",
       "conf_id 'a b' is not [A-Za-z0-9_-]+"},
      {"no such call", conf(v1::CONF_LEAVE, "", "c9"), false, "", "no call with ConnID 'c9'"},
      {"an alias is not a call", conf(v1::CONF_JOIN, "x", "c3"), false, "",
       "no call with ConnID 'c3'"},
      {"no op", conf(v1::CONF_OP_UNSPECIFIED, "", "c1"), false, "",
       "op must be CONF_CREATE, CONF_JOIN or CONF_LEAVE"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto target = conf_for(t, c.req);
    EXPECT_EQ(target.create, c.create);
    EXPECT_EQ(target.conn_id, c.to);
    EXPECT_EQ(target.refusal, c.refusal);
  }
}

v1::LegEvent leg_event(const std::string& leg, const std::string& conn, bool gone) {
  v1::LegEvent le;
  le.set_leg_id(leg);
  le.set_conn_id(conn);
  if (gone)
    le.mutable_gone()->set_why("refused");
  return le;
}

TEST(CallctlRegistry, ALegEventGoesToTheCallThatOwnsTheLeg) {
  auto t = two_calls();
  EXPECT_EQ(take_leg_event(t, leg_event("l2", "", false)), "c1");
  EXPECT_EQ(take_leg_event(t, leg_event("l2", "zz", false)), "c1");  // the table wins
  EXPECT_EQ(take_leg_event(t, leg_event("l9", "c2", false)), "c2");  // the edge names it
  EXPECT_TRUE(t.legs.count("l2"));
  // A gone leg leaves the table: the audit must not look for it.
  EXPECT_EQ(take_leg_event(t, leg_event("l2", "", true)), "c1");
  EXPECT_FALSE(t.legs.count("l2"));
  EXPECT_EQ(take_leg_event(t, leg_event("l2", "", false)), "");
}

TEST(CallctlRegistry, AnEndedCallLeavesNothingBehind) {
  auto t = two_calls();
  close_call(t, "c2");
  EXPECT_FALSE(t.calls.count("c2"));
  EXPECT_FALSE(t.legs.count("l5"));
  EXPECT_FALSE(t.conn_aliases.count("c3"));
  close_call(t, "c4");
  EXPECT_FALSE(t.made_calls.count("1000"));
  EXPECT_FALSE(t.legs.count("l7"));
  // c1 is untouched.
  EXPECT_TRUE(t.calls.count("c1"));
  EXPECT_EQ(t.legs.size(), 2u);
}

// Its end clears what still points at it, not what moved to another call.
TEST(CallctlRegistry, AnEndedCallLeavesWhatMovedToAnotherCall) {
  auto t = two_calls();
  set_alias(t, "c3", "c2", false);
  set_alias(t, "c3", "c1", true);
  leg_made(t, "l5", "c1", "edge2");
  close_call(t, "c2");
  EXPECT_EQ(t.conn_aliases.at("c3"), "c1");
  EXPECT_EQ(t.legs.at("l5").conn_id, "c1");
  close_call(t, "c1");
  EXPECT_FALSE(t.conn_aliases.count("c3"));
  EXPECT_EQ(t.legs.size(), 1u);  // l7, of c4
  close_call(t, "c1");           // twice: nothing more to clear
  EXPECT_EQ(t.calls.size(), 1u);
}

// The media legs the media service counts: each ends once, with its dialog
// or with its call, and a leg of no live call is not counted.
TEST(CallctlRegistry, MediaLegsEndWithTheirDialogOrTheirCall) {
  auto t = two_calls();
  v1::MediaLeg treatment;
  treatment.set_leg_id("l8");
  treatment.set_kind(v1::MEDIA_TREATMENT);
  leg_made(t, "l8", "c1", "edge1");
  EXPECT_TRUE(media_leg_made(t, "c1", treatment));
  auto recording = treatment;
  recording.set_leg_id("l9");
  recording.set_kind(v1::MEDIA_RECORDING);
  leg_made(t, "l9", "c1", "edge1");
  media_leg_made(t, "c1", recording);
  auto stray = treatment;
  stray.set_leg_id("l10");
  EXPECT_FALSE(media_leg_made(t, "c9", stray));  // no call c9: not counted
  EXPECT_EQ(t.media_legs.size(), 2u);

  // Its server out of service: the recording leg leaves the table.
  auto on_ms2 = recording;
  on_ms2.set_leg_id("l11");
  on_ms2.set_server("ms2");
  leg_made(t, "l11", "c2", "edge2");
  media_leg_made(t, "c2", on_ms2);
  auto lost = take_media_legs_on(t, "ms2");
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].call, "c2");
  EXPECT_EQ(lost[0].leg.leg_id(), "l11");
  EXPECT_TRUE(take_media_legs_on(t, "ms2").empty());
  EXPECT_EQ(t.media_legs.size(), 2u);

  EXPECT_TRUE(end_media_leg(t, "l8"));
  EXPECT_FALSE(end_media_leg(t, "l8"));  // once
  EXPECT_FALSE(end_media_leg(t, "l2"));  // an agent's leg is no media leg
  EXPECT_EQ(close_call(t, "c2"), std::vector<std::string>{});
  EXPECT_EQ(close_call(t, "c1"), std::vector<std::string>{"l9"});
  EXPECT_TRUE(t.media_legs.empty());
}

// What callctl tells the media service of a media INVITE: the server by its
// pool name (the default pool is the one at asterisk.address), the kind.
TEST(CallctlRegistry, AMediaInviteIsReportedWithItsServerAndKind) {
  auto cfg = parse_config("asterisk: { address: 127.0.0.1:5070 }\n", "t.yaml");
  EXPECT_EQ(media_server_name(cfg, "127.0.0.1:5070"), "asterisk");
  EXPECT_EQ(media_server_name(cfg, "127.0.0.1:5099"), "127.0.0.1:5099");
  call_action a{};
  a.what = call_action::invite_media;
  a.leg = "C-3";
  a.media_kind = v1::MEDIA_RECORDING;
  a.conf_id = "rec-C-1";
  a.record_file = "C-1.wav";
  auto leg = media_leg_of(a, "C", "asterisk", 1234);
  EXPECT_EQ(leg.conn_id(), "C");
  EXPECT_EQ(leg.leg_id(), "C-3");
  EXPECT_EQ(leg.server(), "asterisk");
  EXPECT_EQ(leg.kind(), v1::MEDIA_RECORDING);
  EXPECT_EQ(leg.conf_id(), "rec-C-1");
  EXPECT_EQ(leg.record_file(), "C-1.wav");
  EXPECT_EQ(leg.started_us(), 1234);
}

TEST(CallctlRegistry, DnStatesSayWhichDnsHaveACall) {
  call_table t;
  v1::DnState st;
  st.set_dn("1000");
  st.add_sipcc_calls("c1");
  note_dn_calls(t, st);
  EXPECT_TRUE(t.dns_with_calls.count("1000"));
  st.clear_sipcc_calls();
  note_dn_calls(t, st);
  EXPECT_FALSE(t.dns_with_calls.count("1000"));
}

// presence's CallCheck: which DN marks name no call (a callctl died with it).
TEST(CallctlRegistry, UnknownCallsAreNeitherLiveCallsNorConsultationsOfOne) {
  struct row {
    std::string name;
    std::function<void(call_table&)> edit;
    std::vector<std::string> asked, unknown;
  };
  std::vector<row> rows = {
      {"live calls are known", [](call_table&) {}, {"c1", "c2", "c4"}, {}},
      {"a consultation ConnID of a live call is known", [](call_table&) {}, {"c3"}, {}},
      {"a ConnID never seen (another callctl's, before a restart) is unknown",
       [](call_table&) {}, {"c1", "x9", "c2"}, {"x9"}},
      {"an ended call is unknown", [](call_table& t) { close_call(t, "c1"); }, {"c1"}, {"c1"}},
      {"a consultation of an ended call is unknown", [](call_table& t) { close_call(t, "c2"); },
       {"c3"}, {"c3"}},
      {"nothing asked, nothing unknown", [](call_table&) {}, {}, {}},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    auto t = two_calls();
    r.edit(t);
    google::protobuf::RepeatedPtrField<std::string> asked(r.asked.begin(), r.asked.end());
    EXPECT_EQ(unknown_calls(t, asked), r.unknown);
  }
}

// ---- leg audit ---------------------------------------------------------------

v1::LegAudit audit(const std::string& edge, std::vector<std::string> legs) {
  v1::LegAudit a;
  a.set_edge_id(edge);
  for (auto& l : legs)
    a.add_leg_ids(l);
  return a;
}

std::vector<std::string> lost_ids(const audit_outcome& out) {
  std::vector<std::string> ids;
  for (const auto& l : out.lost)
    ids.push_back(l.leg_id + ":" + l.conn_id + "@" + l.edge);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

struct audit_step {
  v1::LegAudit audit;
  int misses_to_lose;
  std::vector<std::string> strays;
  std::vector<std::string> lost;  // leg:conn@edge
};

// Each scenario starts from two_calls(): l1, l2, l7 on edge1, l5 on edge2.
TEST(CallctlAudit, LegsTheEdgeNoLongerListsAreLostTwiceInARowOrOnceAfterARestart) {
  struct audit_case {
    const char* name;
    std::vector<audit_step> steps;
  };
  const std::vector<audit_case> cases = {
      {"all listed: nothing to do", {{audit("edge1", {"l1", "l2", "l7"}), 2, {}, {}}}},
      {"unknown legs are strays, once each",
       {{audit("edge1", {"l1", "l2", "l7", "x1", "x1"}), 2, {"x1"}, {}}}},
      {"missing once is not lost yet", {{audit("edge1", {"l1", "l7"}), 2, {}, {}}}},
      {"missing twice is lost",
       {{audit("edge1", {"l1", "l7"}), 2, {}, {}},
        {audit("edge1", {"l1", "l7"}), 2, {}, {"l2:c1@edge1"}}}},
      {"listed again in between starts over",
       {{audit("edge1", {"l1", "l7"}), 2, {}, {}},
        {audit("edge1", {"l1", "l2", "l7"}), 2, {}, {}},
        {audit("edge1", {"l1", "l7"}), 2, {}, {}}}},
      {"another edge's audit leaves these legs alone",
       {{audit("edge2", {}), 2, {}, {}}, {audit("edge2", {}), 2, {}, {"l5:c2@edge2"}}}},
      {"an edge restart loses all its legs at once",
       {{audit("edge1", {}), 1, {}, {"l1:c1@edge1", "l2:c1@edge1", "l7:c4@edge1"}}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto legs = two_calls().legs;
    for (size_t i = 0; i < c.steps.size(); ++i) {
      SCOPED_TRACE("audit " + std::to_string(i + 1));
      const auto& s = c.steps[i];
      auto out = reconcile_audit(legs, s.audit, s.misses_to_lose);
      EXPECT_EQ(sorted(out.strays), s.strays);
      EXPECT_EQ(lost_ids(out), s.lost);
      for (const auto& l : out.lost)
        EXPECT_FALSE(out.legs.count(l.leg_id));
      EXPECT_EQ(out.legs.size() + out.lost.size(), legs.size());
      legs = out.legs;
    }
  }
}

TEST(CallctlAudit, WhatTheEdgeAndTheCallAreTold) {
  auto drop = stray_drop("x1");
  EXPECT_EQ(drop.leg_id(), "x1");
  EXPECT_TRUE(drop.has_drop());
  EXPECT_EQ(drop.schema(), v1::SCHEMA_V1);
  auto gone = lost_event({"l2", "c1", "edge1"});
  EXPECT_EQ(gone.leg_id(), "l2");
  EXPECT_EQ(gone.conn_id(), "c1");
  EXPECT_EQ(gone.edge_id(), "edge1");
  EXPECT_EQ(gone.gone().why(), "missing from the edge's audit");
}

}  // namespace
}  // namespace sipcc::callctl
