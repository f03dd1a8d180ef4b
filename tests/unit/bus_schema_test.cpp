// The declared bus subjects: matching, classification, request families,
// subject builders, and docs/bus.md kept in step with the declaration.
#include "sipcc/bus_schema.hpp"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace sipcc {
namespace {

TEST(BusSchema, SubjectMatches) {
  struct match_case {
    std::string pattern;
    std::string subject;
    bool matches;
  };
  const std::vector<match_case> cases = {
      {"sipcc.state.query", "sipcc.state.query", true},
      {"sipcc.state.query", "sipcc.state.queryx", false},
      {"sipcc.state.query", "sipcc.state", false},
      {"sipcc.state.query", "sipcc.state.query.x", false},
      {"sipcc.tlib.evt.*", "sipcc.tlib.evt.1001", true},
      {"sipcc.tlib.evt.*", "sipcc.tlib.evt", false},
      {"sipcc.tlib.evt.*", "sipcc.tlib.evt.1001.x", false},
      {"sipcc.tlib.evt.*", "sipcc.agent.evt.1001", false},
      {"sipcc.*.cmd", "sipcc.edge-1.cmd", true},
      {"sipcc.*.cmd", "sipcc.edge-1.evt", false},
      {"sipcc.sub.*.*", "sipcc.sub.presence-0.1001-3", true},
      {"sipcc.sub.*.*", "sipcc.sub.presence-0", false},
      {"*", "sipcc", true},
      {"*", "sipcc.x", false},
      {">", "sipcc.a.b", true},
      {"sipcc.>", "sipcc.a", true},
      {"sipcc.>", "sipcc.a.b.c", true},
      {"sipcc.>", "sipcc", false},  // '>' needs at least one token
      {"sipcc.>", "other.a", false},
      // Wildcards made by the builders cover what the other builders make.
      {subj::sub_events_of("presence-0"), subj::sub_event("presence-0", "1001-3"), true},
      {subj::sub_events_of("presence-0"), subj::sub_event("presence-1", "1001-3"), false},
      {subj::tlib_req_family("agent"), subj::tlib_req(v1::TAgentLogin, "1001"), true},
      {subj::tlib_req_family("agent"), subj::tlib_req(v1::TMakeCall, "1001"), false},
      {subj::dn_calls_of(3), subj::dn_calls(3, "1001"), true},
      {subj::dn_calls_of(3), subj::dn_calls(13, "1001"), false},
      {subj::media_leg_all, subj::media_leg("callctl-0"), true},
      {subj::media_list_all, subj::media_list("callctl-0"), true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.pattern + " vs " + c.subject);
    EXPECT_EQ(subject_matches(c.pattern, c.subject), c.matches);
  }
}

TEST(BusSchema, ClassifyEveryFamily) {
  struct family_case {
    std::string subject;
    subject_family family;
    std::string type;
  };
  const std::vector<family_case> cases = {
      {subj::edge_cmd("edge-1"), subject_family::edge_cmd, "sipcc.v1.EdgeCommand"},
      {subj::edge_leg("edge-1"), subject_family::edge_leg, "sipcc.v1.LegCommand"},
      {subj::in_invite, subject_family::in_invite, "sipcc.v1.LegEvent"},
      {subj::leg_event("callctl-0", "edge1-7"), subject_family::leg_event, "sipcc.v1.LegEvent"},
      {subj::leg_audit("callctl-0"), subject_family::leg_audit, "sipcc.v1.LegAudit"},
      {subj::sub_event("presence-0", "1001-3"), subject_family::sub_event, "sipcc.v1.SubEvent"},
      {subj::tlib_req(v1::TAgentLogin, "1001"), subject_family::tlib_req, "sipcc.v1.TRequest"},
      {subj::conf_req, subject_family::conf_req, "sipcc.v1.ConfRequest"},
      {subj::tlib_evt("1001"), subject_family::tlib_evt, "sipcc.v1.TEvent"},
      {subj::agent_evt("A1"), subject_family::agent_evt, "sipcc.v1.TEvent"},
      {subj::state_dn("1001"), subject_family::state_dn, "sipcc.v1.DnState"},
      {subj::state_query, subject_family::state_query, "sipcc.v1.StateQuery"},
      {subj::dn_calls(3, "1001"), subject_family::dn_calls, "sipcc.v1.DnCallFact"},
      {subj::reg("2000"), subject_family::reg, "sipcc.v1.Registration"},
      {subj::ops_counters("presence-0"), subject_family::ops_counters, "sipcc.v1.CounterQuery"},
      {subj::ops_ready("presence-0"), subject_family::ops_ready, "sipcc.v1.ServiceReady"},
      {subj::ops_health("presence-0"), subject_family::ops_health, "sipcc.v1.HealthQuery"},
      {subj::ops_fault("presence-0"), subject_family::ops_fault, "sipcc.v1.FaultInjection"},
      {subj::edge_options("edge-1"), subject_family::edge_options, "sipcc.v1.OptionsProbe"},
      {subj::edge_snapshots("edge-1"), subject_family::edge_snapshots, "sipcc.v1.SnapshotQuery"},
      {subj::probe("media-0"), subject_family::probe, "sipcc.v1.OptionsResult"},
      {subj::media_req, subject_family::media_req, "sipcc.v1.MediaRequest"},
      {subj::media_placed("callctl-0", "007d0000000001"), subject_family::media_placed,
       "sipcc.v1.MediaReply"},
      {subj::media_health("ms1"), subject_family::media_health, "sipcc.v1.MediaHealth"},
      {subj::media_leg("callctl-0"), subject_family::media_leg, "sipcc.v1.MediaLegEvent"},
      {subj::media_sync, subject_family::media_sync, "sipcc.v1.MediaSync"},
      {subj::media_list("callctl-0"), subject_family::media_list, "sipcc.v1.MediaLegList"},
      {subj::media_pool, subject_family::media_pool, "sipcc.v1.MediaPoolQuery"},
      {subj::calls_check, subject_family::calls_check, "sipcc.v1.CallCheck"},
      {subj::calls_checked("presence-0"), subject_family::calls_checked,
       "sipcc.v1.CallCheckReply"},
      {subj::calls_waiting, subject_family::calls_waiting, "sipcc.v1.WaitingCallsQuery"},
      {subj::calls_waiting_for("router-0-box-7"), subject_family::calls_waiting_for,
       "sipcc.v1.CallWaiting"},
      {subj::kv_dn_state("1001"), subject_family::kv_dn_state, "sipcc.v1.DnState"},
      {subj::kv_lease("mwi.shard.3"), subject_family::kv_lease, "sipcc.v1.Lease"},
      {subj::kv_lease("mwi.member.mwi-0-box-42"), subject_family::kv_lease, "sipcc.v1.Lease"},
  };
  std::set<subject_family> covered;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.subject);
    const auto* info = classify_subject(c.subject);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->family, c.family);
    EXPECT_EQ(info->type, c.type);
    auto msg = new_message_for(c.subject);
    EXPECT_EQ(msg ? msg->GetTypeName() : "(no message)", c.type);
    covered.insert(c.family);
  }
  // A family added to SIPCC_SUBJECTS needs a case here.
  EXPECT_EQ(covered.size(), static_cast<size_t>(subjects_end() - subjects_begin()));
}

TEST(BusSchema, UnknownSubjects) {
  for (std::string subject : {"sipcc.unknown.x", "sipcc.tlib.evt", "sipcc.tlib.evt.1001.x",
                              "sipcc.state.query.x", "", "other.state.query"}) {
    SCOPED_TRACE(subject);
    EXPECT_EQ(classify_subject(subject), nullptr);
    EXPECT_EQ(new_message_for(subject), nullptr);
  }
}

TEST(BusSchema, RequestFamily) {
  struct family_case {
    v1::RequestType type;
    std::string family;
  };
  const std::vector<family_case> cases = {
      {v1::TRegisterAddress, "agent"},    {v1::TUnregisterAddress, "agent"},
      {v1::TAgentLogin, "agent"},         {v1::TAgentLogout, "agent"},
      {v1::TAgentSetReady, "agent"},      {v1::TAgentSetNotReady, "agent"},
      {v1::TQueryAddress, "agent"},       {v1::TMakeCall, "call"},
      {v1::TAnswerCall, "call"},          {v1::TReleaseCall, "call"},
      {v1::THoldCall, "call"},            {v1::TRetrieveCall, "call"},
      {v1::TInitiateTransfer, "call"},    {v1::TCompleteTransfer, "call"},
      {v1::TSingleStepTransfer, "call"},  {v1::TInitiateConference, "call"},
      {v1::TCompleteConference, "call"},  {v1::TRouteCall, "call"},
      {v1::TApplyTreatment, "media"},     {v1::TAttachUserData, "call"},
      {v1::TSendDTMF, "call"},           {v1::TUpdateUserData, "call"},
      {v1::TDeleteUserData, "call"},     {v1::TStartRecording, "call"},
      {v1::TStopRecording, "call"},
      // transfers
      {v1::TReconnectCall, "call"},       {v1::TAlternateCall, "call"},
      {v1::TDeleteFromConference, "call"},
  };
  std::set<int> covered;
  for (const auto& c : cases) {
    SCOPED_TRACE(v1::RequestType_Name(c.type));
    EXPECT_EQ(request_family(c.type), c.family);
    EXPECT_EQ(subj::tlib_req(c.type, "1001"), "sipcc.tlib.req." + c.family + ".1001");
    covered.insert(c.type);
  }
  // Every request type of the proto (but the unset one) is owned by someone.
  const auto* desc = v1::RequestType_descriptor();
  for (int i = 0; i < desc->value_count(); ++i) {
    const auto* v = desc->value(i);
    if (v->number() != v1::REQUEST_UNSPECIFIED) {
      EXPECT_EQ(covered.count(v->number()), 1u) << v->name() << " has no case";
    }
  }
}

TEST(BusSchema, ValidSubjectToken) {
  struct token_case {
    std::string token;
    bool valid;
  };
  const std::vector<token_case> cases = {
      {"1001", true},  {"A1", true},     {"presence-0", true}, {"agent_7", true},
      {"", false},     {"a.b", false},   {"*", false},         {">", false},
      {"a b", false},  {"a\tb", false},  {"a\r", false},       {"a\n", false},
      {"10*1", false}, {".", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("'" + c.token + "'");
    EXPECT_EQ(valid_subject_token(c.token), c.valid);
  }
}

TEST(BusSchema, BuildersSpellDeclaredPatterns) {
  struct builder_case {
    std::string built;
    std::string expected;
  };
  const std::vector<builder_case> cases = {
      {subj::edge_cmd("edge-1"), "sipcc.edge.edge-1.cmd"},
      {subj::edge_leg("edge-1"), "sipcc.edge.edge-1.leg"},
      {subj::leg_event("callctl-0", "edge1-7"), "sipcc.leg.callctl-0.edge1-7"},
      {subj::leg_events_of("callctl-0"), "sipcc.leg.callctl-0.*"},
      {subj::leg_audit("callctl-0"), "sipcc.audit.callctl-0"},
      {subj::sub_event("presence-0", "1001-3"), "sipcc.sub.presence-0.1001-3"},
      {subj::sub_events_of("presence-0"), "sipcc.sub.presence-0.*"},
      {subj::tlib_req(v1::TAgentLogin, "1001"), "sipcc.tlib.req.agent.1001"},
      {subj::tlib_req_family("call"), "sipcc.tlib.req.call.*"},
      {subj::tlib_evt("1001"), "sipcc.tlib.evt.1001"},
      {subj::agent_evt("A1"), "sipcc.agent.evt.A1"},
      {subj::state_dn("1001"), "sipcc.state.dn.1001"},
      {subj::dn_calls(3, "1001"), "sipcc.dn.calls.3.1001"},
      {subj::dn_calls_of(3), "sipcc.dn.calls.3.*"},
      {subj::ops_counters("presence-0"), "sipcc.ops.presence-0.counters"},
      {subj::ops_ready("presence-0"), "sipcc.ops.presence-0.ready"},
      {subj::ops_health("presence-0"), "sipcc.ops.presence-0.health"},
      {subj::ops_fault("presence-0"), "sipcc.ops.presence-0.fault"},
      {subj::edge_options("edge1"), "sipcc.edge.edge1.options"},
      {subj::edge_snapshots("edge1"), "sipcc.edge.edge1.snapshots"},
      {subj::probe("media-0"), "sipcc.probe.media-0"},
      {subj::media_health("ms1"), "sipcc.media.health.ms1"},
      {subj::media_leg("callctl-0"), "sipcc.media.leg.callctl-0"},
      {subj::media_list("callctl-0"), "sipcc.media.list.callctl-0"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(c.built, c.expected);
}

// docs/bus.md is the human side of SIPCC_SUBJECTS: each pattern and message
// type must appear in it.
TEST(BusSchema, DocsListEverySubject) {
  const std::string path = SIPCC_SOURCE_DIR "/docs/bus.md";
  std::ifstream f(path);
  ASSERT_TRUE(f) << path << " is missing";
  std::stringstream buf;
  buf << f.rdbuf();
  const std::string doc = buf.str();
  for (auto* i = subjects_begin(); i != subjects_end(); ++i) {
    SCOPED_TRACE(i->name);
    std::string type = i->type;
    std::string short_type = type.substr(type.rfind('.') + 1);
    // One table row names the subject (in backticks) and its message type.
    bool row = false;
    std::istringstream lines(doc);
    for (std::string line; std::getline(lines, line);)
      row = row || (line.find(std::string("`") + i->pattern + "`") != std::string::npos &&
                    line.find(short_type) != std::string::npos);
    EXPECT_TRUE(row) << "no row in " << path << " with `" << i->pattern << "` and " << short_type;
  }
}

}  // namespace
}  // namespace sipcc
