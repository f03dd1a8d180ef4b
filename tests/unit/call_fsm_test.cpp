// Routed calls: each scenario is the ladder of events the call actor feeds
// call_step(), with the actions and the state expected after every step.
#include "callctl/model/call_fsm.hpp"

#include <gtest/gtest.h>

#include "callctl/model/call_requests.hpp"
#include "call_fsm_table.hpp"

#include "kvlist.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace sipcc {
// Shared with call_fsm_transfer_test.cpp (call_fsm_table.hpp).
namespace fsm_table {

const std::string kConn = "CONN";  // agent legs are CONN-1, CONN-2, ...
const std::string kAni = "555";
const std::string kRp = "5000";

route_target target(const std::string& dn, uint32_t timeout_s = 0,
                    const std::string& overflow = "recall", const std::string& action = "none") {
  return {dn, "sip:" + dn + "@ast", {timeout_s, overflow, action}, "", ""};
}

const route_target kAgent1 = target("1001", 20);
const route_target kAgent2 = target("1002");
// The Voicemail DN as a no-answer overflow from 1001 reaches it: leave a
// message in 1001's mailbox.
const route_target kVoicemail = [] {
  auto t = target("8000");
  t.mailbox = "1001@MY_COMPANY";
  t.diverted_from = "1001";
  return t;
}();
// The Voicemail DN as the registered phone 555 reaches it: its own mailbox.
const route_target kMailboxAccess = [] {
  auto t = target("8000");
  t.mailbox = "555@GVM_DN";
  t.listen = true;
  return t;
}();

call_event ev(call_event::kind k) { return call_event(k); }

call_event incoming() {
  call_event e(call_event::incoming);
  e.ani = kAni;
  e.dnis = kRp;
  e.leg = "cust";
  e.sdp = "offer";
  return e;
}

// From the phone of DN 555 (registered on sipcc), passed on to `t`.
call_event incoming_direct(const route_target& t) {
  call_event e = incoming();
  e.what = call_event::incoming_direct;
  e.target = t;
  return e;
}

call_event route(const route_target& t) {
  call_event e(call_event::route);
  e.target = t;
  return e;
}

call_event timer(call_event::kind k, uint64_t gen, const route_target& t = {}) {
  call_event e(k);
  e.timer_gen = gen;
  e.target = t;
  return e;
}
call_event router_timeout(uint64_t gen) { return timer(call_event::router_timeout, gen); }
call_event retry(uint64_t gen) { return timer(call_event::retry_timeout, gen); }
call_event no_answer(uint64_t gen, const route_target& overflow = {}) {
  return timer(call_event::no_answer_timeout, gen, overflow);
}

call_event on_leg(call_event::kind k, const std::string& leg, uint32_t status = 0,
                  const std::string& sdp = "") {
  call_event e(k);
  e.leg = leg;
  e.status = status;
  // The SDP fixtures below leave out the v=0 line every SDP starts with
  // (sofia's parser requires it).
  e.sdp = sdp.rfind("o=", 0) == 0 ? "v=0\n" + sdp : sdp;
  return e;
}
call_event progress(const std::string& leg, uint32_t status = 180) {
  return on_leg(call_event::leg_progress, leg, status);
}
call_event answered(const std::string& leg, const std::string& sdp = "answer") {
  return on_leg(call_event::leg_answered, leg, 200, sdp);
}
call_event failed(const std::string& leg, uint32_t status) {
  return on_leg(call_event::leg_failed, leg, status);
}
call_event agent_bye(const std::string& leg) { return on_leg(call_event::leg_bye, leg); }

const std::string kMusic = "sip:annc@ms;play=moh:default";
call_event treatment() {
  call_event e(call_event::treatment);
  e.uri = kMusic;
  return e;
}
call_event media_ok(const std::string& leg, const std::string& sdp = "music") {
  return on_leg(call_event::media_answered, leg, 200, sdp);
}
call_event media_failed(const std::string& leg, uint32_t status) {
  return on_leg(call_event::media_failed, leg, status);
}
call_event media_bye(const std::string& leg) { return on_leg(call_event::media_bye, leg); }
call_event media_lost(const std::string& leg) {
  auto e = on_leg(call_event::media_lost, leg);
  e.text = "media server ms1 is out of service";
  return e;
}
const std::string kCollect = "sip:collect@ms;maxdigits=4";
call_event collect_treatment() {
  call_event e(call_event::treatment);
  e.uri = kCollect;
  e.collects = true;
  return e;
}
call_event digit(const std::string& leg, char d) {
  auto e = on_leg(call_event::media_digit, leg);
  e.digit = d;
  return e;
}

call_event reinvite(const std::string& leg, const std::string& sdp) {
  return on_leg(call_event::reinvite, leg, 0, sdp);
}
call_event reinvite_ok(const std::string& leg, const std::string& sdp) {
  return on_leg(call_event::reinvite_answered, leg, 200, sdp);
}
call_event reinvite_failed(const std::string& leg, uint32_t status) {
  return on_leg(call_event::reinvite_failed, leg, status);
}
// An UPDATE offer (RFC 3311) from `leg`.
call_event update(const std::string& leg, const std::string& sdp) {
  auto e = reinvite(leg, sdp);
  e.update = true;
  return e;
}

call_event acked() { return ev(call_event::acked); }
call_event cancelled() { return ev(call_event::cancelled); }
call_event customer_bye() { return ev(call_event::customer_bye); }

call_event release(const std::string& dn) {
  call_event e(call_event::release);
  e.dn = dn;
  return e;
}

using test::str_pairs;

call_event attach(const std::string& dn, const v1::KVList& d) {
  call_event e(call_event::user_data_change);
  e.dn = dn;
  e.user_data = d;
  return e;
}
call_event delete_data(const std::string& dn, const v1::KVList& d = {}) {
  auto e = attach(dn, d);
  e.delete_data = true;
  return e;
}
call_event send_dtmf(const std::string& dn, const std::string& digits) {
  call_event e(call_event::send_dtmf);
  e.dn = dn;
  e.digits = digits;
  return e;
}

call_event hold(const std::string& dn, call_event::kind k = call_event::hold) {
  call_event e(k);
  e.dn = dn;
  return e;
}
call_event retrieve(const std::string& dn) { return hold(dn, call_event::retrieve); }

call_event conf_join(const std::string& id) {
  call_event e(call_event::conf_join);
  e.conf_id = id;
  e.uri = "sip:conf=" + id + "@ms";
  return e;
}
call_event conf_leave() { return ev(call_event::conf_leave); }
call_event record(const std::string& dn, bool start = true) {
  call_event e(start ? call_event::record_start : call_event::record_stop);
  e.dn = dn;
  return e;
}
const route_target kRecordedAgent1 = [] {
  auto t = kAgent1;
  t.record = true;
  return t;
}();
// TAnswerCall from `dn`: by the talk NOTIFY, or (answer-after) by the phone itself.
call_event answer(const std::string& dn, bool talk) {
  call_event e(call_event::answer);
  e.dn = dn;
  e.talk = talk;
  return e;
}
call_event talk_failed(const std::string& leg, uint32_t status) {
  return on_leg(call_event::talk_failed, leg, status);
}

// SDP bodies with their line ends as '|' (describe writes them so), without
// the CRs and the v=0 line of what sofia's printer makes.
const std::string kCustomerSdp = "v=0\no=c 1 1 IN IP4 c\na=sendrecv\n";
const std::string kAgentSdp = "v=0\no=a 1 1 IN IP4 a\na=sendrecv\n";
std::string oneline(std::string sdp) {
  sdp.erase(std::remove(sdp.begin(), sdp.end(), '\r'), sdp.end());
  if (sdp.rfind("v=0\n", 0) == 0)
    sdp.erase(0, 4);
  std::replace(sdp.begin(), sdp.end(), '\n', '|');
  return sdp;
}

// One token per action, in order: "resp:200[answer]", "invite:CONN-1>sip:1001@ast[offer]",
// "cancel:CONN-1", "bye:CONN-1", "bye:customer", "EventRinging@1001/555" (DN/other DN),
// "fact:1001+", "timer:20000#2" (ms#call's timer_gen), "no_answer:1001=notready", "end".
std::string describe(const call_action& a, const call& c) {
  switch (a.what) {
    case call_action::respond_inbound:
      return "resp:" + std::to_string(a.status) +
             (a.sdp.empty() ? "" : "[" + oneline(a.sdp) + "]") +
             (a.text.empty() ? "" : "(" + a.text + ")");
    case call_action::invite_leg:
      // The leg is named after the DN it calls, so `dn` must match the URI's user.
      return "invite:" + a.leg + ">" + a.uri + "[" + oneline(a.sdp) + "]" +
             (a.uri == "sip:" + a.dn + "@ast" ? "" : "!dn=" + a.dn) +
             (a.mailbox.empty() && a.other_dn.empty()
                  ? ""
                  : "{" + a.mailbox + (a.listen ? " listen" : "<" + a.other_dn) + "}") +
             (a.ack_later ? "(ack later)" : "") +
             // transfers: "{from DN}" a consultation call's From
             (a.caller.empty() ? "" : "{from " + a.caller + "}");
    case call_action::invite_media: {
      // What the leg is for must be what its URI says (sip:conf=<id>@ms, with
      // ;record=<file> for a recording, else a treatment); "!media=" when not.
      v1::MediaKind kind = v1::MEDIA_TREATMENT;
      std::string conf, file;
      if (a.uri.rfind("sip:conf=", 0) == 0) {
        conf = a.uri.substr(9, a.uri.find('@') - 9);
        auto rec = a.uri.find(";record=");
        kind = rec == std::string::npos ? v1::MEDIA_CONFERENCE : v1::MEDIA_RECORDING;
        if (rec != std::string::npos)
          file = a.uri.substr(rec + 8);
      }
      const bool as_uri = a.media_kind == kind && a.conf_id == conf && a.record_file == file;
      return "media:" + a.leg + ">" + a.uri + "[" + oneline(a.sdp) + "]" +
             (as_uri ? "" : "!media=" + v1::MediaKind_Name(a.media_kind) + "/" + a.conf_id + "/" +
                                a.record_file);
    }
    case call_action::ack_leg:
      return "ack:" + a.leg + (a.sdp.empty() ? "" : "[" + oneline(a.sdp) + "]");
    case call_action::cancel_leg: return "cancel:" + a.leg;
    case call_action::bye_leg: return "bye:" + a.leg;
    case call_action::bye_customer: return "bye:customer";
    // "[digits=...]": the digits a collecting treatment's end reports, or
    // those EventDTMFSent reports; "{k=v,...}": the call's user data, which
    // the actor puts in every event.
    case call_action::emit: {
      std::string ud;
      for (const auto& kv : c.user_data.pairs())
        ud += (ud.empty() ? "{" : ",") + kv.key() + "=" + kv.str();
      // transfers: "~conn=C2" (an event on another ConnID), "~third=DN",
      // "~transfer=ConnID", "~previous=ConnID".
      return v1::EventType_Name(a.event) + "@" + a.dn + "/" + a.other_dn +
             (a.conn_id.empty() ? "" : "~conn=" + a.conn_id) +
             (a.third_party_dn.empty() ? "" : "~third=" + a.third_party_dn) +
             (a.transfer_conn_id.empty() ? "" : "~transfer=" + a.transfer_conn_id) +
             (a.previous_conn_id.empty() ? "" : "~previous=" + a.previous_conn_id) +
             (a.text.empty() ? "" : "(" + a.text + ")") +
             (a.collects || a.event == v1::EventDTMFSent ? "[digits=" + a.digits + "]" : "") +
             (ud.empty() ? "" : ud + "}");
    }
    case call_action::info_leg: return "info:" + a.leg + "[" + a.content_type + ":" + a.body + "]";
    // "-*": the call ended after the agent had answered it.
    case call_action::call_fact:
      return "fact:" + a.dn + (a.active ? "+" : "-") + (a.answered ? "*" : "") +
             (a.conn_id.empty() ? "" : "~" + a.conn_id);
    // "retry:2100-4000#1": the 491 retry timer (a range; its own generation).
    case call_action::arm_timer:
      return (a.timer == call_event::retry_timeout ? "retry:" : "timer:") + std::to_string(a.ms) +
             (a.max_ms == a.ms ? "" : "-" + std::to_string(a.max_ms)) + "#" +
             std::to_string(a.gen);
    case call_action::agent_no_answer: return "no_answer:" + a.dn + "=" + a.text;
    // "update:"/"uresp:" when the offer goes, or its answer comes back, as an UPDATE.
    case call_action::reinvite_leg:
      return (a.update ? "update:" : "reinvite:") + a.leg + "[" + oneline(a.sdp) + "]";
    case call_action::respond_leg:
      return (a.update ? "uresp:" : "resp:") + a.leg + ":" + std::to_string(a.status) +
             (a.sdp.empty() ? "" : "[" + oneline(a.sdp) + "]");
    case call_action::conf_result: return "conf:" + (a.text.empty() ? "ok" : "(" + a.text + ")");
    case call_action::end: return "end";
    case call_action::talk_leg: return "talk:" + a.leg;
    // transfers: "alias:C2+" requests on C2 reach the call, "-" no longer.
    case call_action::conn_alias: return "alias:" + a.conn_id + (a.active ? "+" : "-");
  }
  return "?";
}

std::string describe(const std::vector<call_action>& actions, const call& c) {
  std::string out;
  for (const auto& a : actions)
    out += (out.empty() ? "" : " ") + describe(a, c);
  return out;
}

const call_settings kDefault{30, target("1009", 15), true, "ms"};
const call_settings kNoDefaultDn{30, {}, true, "ms"};
const call_settings kNotARoutingPoint{30, target("1009", 15), false, "ms"};

// Every scenario starts like this: the caller hears ringback while the RP waits for a router.
const call_step_case kIncoming = {
    incoming(), "resp:180 EventRouteRequest@5000/555 timer:30000#1", routing};
const call_step_case kRouteAgent1 = {
    route(kAgent1),
    "fact:1001+ invite:CONN-1>sip:1001@ast[offer] EventRouteUsed@5000/1001 timer:20000#2",
    alerting};

// A call from a registered phone to the voicemail access number.
const call_step_case kDirect = {incoming_direct(kMailboxAccess),
                                "fact:555+ invite:CONN-1>sip:8000@ast[offer]{555@GVM_DN listen}",
                                alerting};

call_scenario direct(std::string name, std::vector<call_step_case> steps) {
  call_scenario sc{std::move(name), kDefault, {kDirect}};
  sc.steps.insert(sc.steps.end(), steps.begin(), steps.end());
  return sc;
}

call_scenario routed(std::string name, std::vector<call_step_case> steps,
                     call_settings cfg = kDefault) {
  call_scenario sc{std::move(name), cfg, {kIncoming, kRouteAgent1}};
  sc.steps.insert(sc.steps.end(), steps.begin(), steps.end());
  return sc;
}

// The caller hears music (media-server leg CONN-1), which answers its INVITE.
const call_step_case kTreatment = {treatment(), "media:CONN-1>" + kMusic + "[offer]", routing};
const call_step_case kMusicPlays = {media_ok("CONN-1"),
                                    "resp:200[music] EventTreatmentApplied@5000/555", routing};
// The route once the customer is answered: RFC 3725 flow I on agent leg CONN-2.
const call_step_case kRouteAfterMusic = {
    route(kAgent1),
    "fact:1001+ invite:CONN-2>sip:1001@ast[](ack later) EventRouteUsed@5000/1001 timer:20000#2",
    alerting};

call_scenario treated(std::string name, std::vector<call_step_case> steps,
                      call_settings cfg = kDefault) {
  call_scenario sc{std::move(name), cfg, {kIncoming, kTreatment, kMusicPlays}};
  sc.steps.insert(sc.steps.end(), steps.begin(), steps.end());
  return sc;
}

void run_scenario(const call_scenario& sc) {
  SCOPED_TRACE(sc.name);
  // As the actor does: ConnID and the customer's leg are known before the incoming event.
  call c;
  c.conn_id = kConn;
  c.customer_leg = "cust";
  for (size_t i = 0; i < sc.steps.size(); ++i) {
    const auto& st = sc.steps[i];
    SCOPED_TRACE("step " + std::to_string(i + 1));
    EXPECT_EQ(describe(call_step(c, st.ev, sc.cfg), c), st.actions);
    EXPECT_STREQ(to_string(c.state), to_string(st.state));
    // The actor's EventError for TRouteCall must agree with the machine.
    EXPECT_EQ(can_route(c), st.state == routing && c.mixing == mix_op::none);
  }
}

}  // namespace fsm_table

namespace {

using namespace fsm_table;

std::vector<call_scenario> call_scenarios() {
  return {
      treated("music_then_routed_to_an_agent_rfc3725_flow_i",
              {
                  {acked(), "", routing},  // the customer's ACK of the media server's SDP
                  {reinvite("CONN-1", "x"), "resp:CONN-1:488", routing},
                  kRouteAfterMusic,
                  {progress("CONN-2"), "EventRinging@1001/555", alerting},
                  {answered("CONN-2", "agent-offer"), "reinvite:cust[agent-offer]", connecting},
                  {acked(), "", connecting},  // no ACK of ours is awaited from the customer
                  {reinvite("CONN-2", "x"), "resp:CONN-2:491", connecting},
                  {reinvite_ok("cust", "cust-answer"),
                   "ack:CONN-2[cust-answer] bye:CONN-1 EventTreatmentEnd@5000/555 "
                   "EventEstablished@1001/555",
                   established},
                  {media_bye("CONN-1"), "", established},  // its BYE crossed ours
                  {customer_bye(), "bye:CONN-2 EventReleased@1001/555 fact:1001-* end", ended},
              }),
      // Failover: the media service says the server is out of service.
      treated("music_on_a_dead_media_server_ends_then_the_next_treatment_plays",
              {
                  {media_lost("CONN-2"), "", routing},  // another leg: nothing
                  {media_lost("CONN-1"), "bye:CONN-1 EventTreatmentEnd@5000/555", routing},
                  {media_bye("CONN-1"), "", routing},  // that leg is over
                  {treatment(), "media:CONN-2>" + kMusic + "[offer]", routing},  // moved there
              }),
      {"a_treatment_starting_on_a_dead_media_server_is_not_applied",
       kDefault,
       {
           kIncoming,
           kTreatment,
           {media_lost("CONN-1"),
            "cancel:CONN-1 EventTreatmentNotApplied@5000/555(media server ms1 is out of service)",
            routing},
           {media_failed("CONN-1", 408), "", routing},  // the CANCELled INVITE's timeout
           {treatment(), "media:CONN-2>" + kMusic + "[offer]", routing},
       }},
      {"collected_digits_come_with_the_treatment_end",
       kDefault,
       {
           kIncoming,
           {collect_treatment(), "media:CONN-1>" + kCollect + "[offer]", routing},
           {digit("CONN-1", '1'), "", routing},  // not answered yet: not collecting
           {media_ok("CONN-1"), "resp:200[music] EventTreatmentApplied@5000/555", routing},
           {digit("CONN-1", '4'), "", routing},
           {digit("cust", '9'), "", routing},    // only the media server's count
           {digit("CONN-1", '2'), "", routing},
           {media_bye("CONN-1"), "EventTreatmentEnd@5000/555[digits=42]", routing},
           {digit("CONN-1", '7'), "", routing},  // that leg is over
       }},
      {"collecting_treatment_stopped_by_the_route_reports_what_it_had",
       kDefault,
       {
           kIncoming,
           {collect_treatment(), "media:CONN-1>" + kCollect + "[offer]", routing},
           {media_ok("CONN-1"), "resp:200[music] EventTreatmentApplied@5000/555", routing},
           {digit("CONN-1", '5'), "", routing},
           kRouteAfterMusic,
           {answered("CONN-2", "o"), "EventRinging@1001/555 reinvite:cust[o]", connecting},
           {reinvite_ok("cust", "a"),
            "ack:CONN-2[a] bye:CONN-1 EventTreatmentEnd@5000/555[digits=5] "
            "EventEstablished@1001/555",
            established},
       }},
      treated("media_server_hangs_up_and_the_caller_waits_answered",
              {
                  {media_bye("CONN-1"), "EventTreatmentEnd@5000/555", routing},
                  kRouteAfterMusic,
                  {answered("CONN-2", "o"), "EventRinging@1001/555 reinvite:cust[o]", connecting},
                  {reinvite_ok("cust", "a"), "ack:CONN-2[a] EventEstablished@1001/555",
                   established},
              }),
      treated("customer_refuses_the_agents_offer_and_keeps_the_music",
              {
                  kRouteAfterMusic,
                  {answered("CONN-2", "o"), "EventRinging@1001/555 reinvite:cust[o]", connecting},
                  {reinvite_failed("cust", 488),
                   "ack:CONN-2 bye:CONN-2 fact:1001- EventReleased@1001/555 "
                   "EventRouteRequest@5000/555 timer:30000#4",
                   routing},
                  {customer_bye(),
                   "EventAbandoned@5000/555 bye:CONN-1 EventTreatmentEnd@5000/555 end", ended},
              }),
      treated("busy_agent_after_music_leaves_the_caller_with_the_music",
              {
                  kRouteAfterMusic,
                  {failed("CONN-2", 486), "fact:1001- EventRouteRequest@5000/555 timer:30000#3",
                   routing},
                  // Still answered: the next route is flow I again.
                  {route(kAgent2),
                   "fact:1002+ invite:CONN-3>sip:1002@ast[](ack later) EventRouteUsed@5000/1002",
                   alerting},
                  {answered("CONN-3", "o"), "EventRinging@1002/555 reinvite:cust[o]", connecting},
              }),
      treated("agent_2xx_without_an_offer_goes_back_to_the_routing_point",
              {
                  kRouteAfterMusic,
                  {answered("CONN-2", ""),
                   "ack:CONN-2 bye:CONN-2 fact:1001- EventRouteRequest@5000/555 timer:30000#3",
                   routing},
              }),
      treated("caller_hangs_up_while_the_agent_rings_after_music",
              {
                  kRouteAfterMusic,
                  {customer_bye(),
                   "cancel:CONN-2 fact:1001- EventAbandoned@1001/555 EventAbandoned@5000/555 "
                   "bye:CONN-1 EventTreatmentEnd@5000/555 end",
                   ended},
              }),
      treated("caller_hangs_up_during_music",
              {
                  {customer_bye(),
                   "EventAbandoned@5000/555 bye:CONN-1 EventTreatmentEnd@5000/555 end", ended},
              }),
      treated("no_answer_release_byes_the_answered_caller",
              {
                  {route(target("1001", 5, "release")),
                   "fact:1001+ invite:CONN-2>sip:1001@ast[](ack later) "
                   "EventRouteUsed@5000/1001 timer:5000#2",
                   alerting},
                  {no_answer(2), "cancel:CONN-2 fact:1001- bye:customer bye:CONN-1 "
                   "EventTreatmentEnd@5000/555 end", ended},
              }),
      treated("router_timeout_without_default_dn_byes_the_answered_caller",
              {
                  {router_timeout(1), "bye:customer EventAbandoned@5000/555 bye:CONN-1 "
                   "EventTreatmentEnd@5000/555 end",
                   ended},
              },
              kNoDefaultDn),
      {"treatment_not_applied_then_routed_as_usual",
       kDefault,
       {
           kIncoming,
           kTreatment,
           {media_failed("CONN-1", 404),
            "EventTreatmentNotApplied@5000/555(media server answered 404)", routing},
           {media_bye("CONN-1"), "", routing},  // that leg is over
           {treatment(), "media:CONN-2>" + kMusic + "[offer]", routing},
           {treatment(), "", routing},  // one at a time
           // Routed before the media server answered: the caller is not
           // answered yet, so the agent gets its offer as without treatment.
           {route(kAgent1),
            "cancel:CONN-2 EventTreatmentNotApplied@5000/555(routed before the media server "
            "answered) fact:1001+ invite:CONN-3>sip:1001@ast[offer] EventRouteUsed@5000/1001 "
            "timer:20000#2",
            alerting},
           {media_ok("CONN-2"), "bye:CONN-2", alerting},  // its 2xx crossed the CANCEL
           {media_ok("CONN-2"), "", alerting},
           {answered("CONN-3"), "EventRinging@1001/555 resp:200[answer]", connecting},
           {acked(), "EventEstablished@1001/555", established},
       }},
      {"media_server_without_sdp_or_timing_out_is_not_applied",
       kDefault,
       {
           kIncoming,
           kTreatment,
           {media_ok("CONN-1", ""),
            "bye:CONN-1 EventTreatmentNotApplied@5000/555(media server answered without SDP)",
            routing},
           {treatment(), "media:CONN-2>" + kMusic + "[offer]", routing},
           {media_failed("CONN-2", 408),
            "EventTreatmentNotApplied@5000/555(media server answered 408)", routing},
           // The caller leaves while the media server is being asked.
           {treatment(), "media:CONN-3>" + kMusic + "[offer]", routing},
           {cancelled(),
            "EventAbandoned@5000/555 cancel:CONN-3 "
            "EventTreatmentNotApplied@5000/555(the call ended) end",
            ended},
       }},
      routed("answered_then_caller_hangs_up",
             {
                 {progress("CONN-1"), "EventRinging@1001/555", alerting},
                 {progress("CONN-1", 183), "", alerting},  // EventRinging once per leg
                 {answered("CONN-1"), "resp:200[answer]", connecting},
                 {acked(), "EventEstablished@1001/555", established},
                 {customer_bye(), "bye:CONN-1 EventReleased@1001/555 fact:1001-* end", ended},
                 // Nothing after the end, not even the old no-answer timer.
                 {customer_bye(), "", ended},
                 {no_answer(2), "", ended},
             }),
      routed("reinvite_from_either_side_is_passed_to_the_other",
             {
                 {answered("CONN-1"), "EventRinging@1001/555 resp:200[answer]", connecting},
                 // Not up yet: a re-INVITE now would glare with our own answer.
                 {reinvite("CONN-1", "x"), "resp:CONN-1:491", connecting},
                 {acked(), "EventEstablished@1001/555", established},
                 {reinvite("cust", "hold"), "reinvite:CONN-1[hold]", established},
                 // One at a time: the agent's crossing re-INVITE is glare.
                 {reinvite("CONN-1", "x"), "resp:CONN-1:491", established},
                 {reinvite_ok("cust", "late"), "", established},  // not the leg asked
                 {reinvite_ok("CONN-1", "held"), "resp:cust:200[held]", established},
                 {reinvite_ok("CONN-1", "again"), "", established},  // answered already
                 {reinvite("CONN-1", "resume"), "reinvite:cust[resume]", established},
                 // The customer's side had its own re-INVITE going: 491 goes back,
                 // and the agent's phone retries after its backoff.
                 {reinvite_failed("cust", 491), "resp:CONN-1:491", established},
                 {reinvite("CONN-1", "resume"), "reinvite:cust[resume]", established},
                 {reinvite_ok("cust", "resumed"), "resp:CONN-1:200[resumed]", established},
                 {reinvite("CONN-9", "x"), "", established},  // a leg of no call of ours
             }),
      routed("update_offer_stays_an_update_on_the_other_leg",
             {
                 {answered("CONN-1"), "EventRinging@1001/555 resp:200[answer]", connecting},
                 {update("CONN-1", "x"), "uresp:CONN-1:491", connecting},
                 {acked(), "EventEstablished@1001/555", established},
                 {update("cust", "codec"), "update:CONN-1[codec]", established},
                 // A crossing re-INVITE is glare, answered as the INVITE it is.
                 {reinvite("CONN-1", "x"), "resp:CONN-1:491", established},
                 {reinvite_ok("CONN-1", "pcma"), "uresp:cust:200[pcma]", established},
                 {update("CONN-1", "hold"), "update:cust[hold]", established},
                 {reinvite_failed("cust", 488), "uresp:CONN-1:488", established},
                 // A re-INVITE after an UPDATE is a re-INVITE again.
                 {reinvite("CONN-1", "hold"), "reinvite:cust[hold]", established},
                 {reinvite_ok("cust", "held"), "resp:CONN-1:200[held]", established},
             }),
      routed("answered_then_agent_hangs_up",
             {
                 {progress("CONN-1", 183), "EventRinging@1001/555", alerting},
                 {answered("CONN-1"), "resp:200[answer]", connecting},
                 {acked(), "EventEstablished@1001/555", established},
                 {agent_bye("CONN-2"), "", established},
                 {agent_bye("CONN-1"), "bye:customer EventReleased@1001/555 fact:1001-* end",
                  ended},
             }),
      routed("desktop_release_byes_both_sides",
             {
                 {answered("CONN-1"), "EventRinging@1001/555 resp:200[answer]", connecting},
                 {acked(), "EventEstablished@1001/555", established},
                 {release("1002"), "", established},  // not in the call
                 {release(kRp), "", established},
                 {release("1001"),
                  "bye:CONN-1 bye:customer EventReleased@1001/555 fact:1001-* end", ended},
             }),
      routed("progress_other_than_180_or_183_does_not_ring",
             {
                 {progress("CONN-1", 181), "", alerting},
                 {progress("CONN-1", 182), "", alerting},
                 {progress("CONN-1", 183), "EventRinging@1001/555", alerting},
             }),
      routed("route_is_refused_once_the_call_left_routing",
             {
                 {route(kAgent2), "", alerting},
                 {answered("CONN-1"), "EventRinging@1001/555 resp:200[answer]", connecting},
                 {route(kAgent2), "", connecting},
                 {acked(), "EventEstablished@1001/555", established},
                 {route(kAgent2), "", established},
                 {customer_bye(), "bye:CONN-1 EventReleased@1001/555 fact:1001-* end", ended},
                 {route(kAgent2), "", ended},
             }),
      routed("caller_hangs_up_while_agent_rings_is_abandoned_not_released",
             {
                 {progress("CONN-1"), "EventRinging@1001/555", alerting},
                 {cancelled(),
                  "cancel:CONN-1 fact:1001- EventAbandoned@1001/555 EventAbandoned@5000/555 end",
                  ended},
                 {failed("CONN-1", 487), "", ended},  // the agent's answer to our CANCEL
                 {no_answer(2), "", ended},
             }),
      routed("cancel_crossing_the_agents_200_abandons_once",
             {
                 {progress("CONN-1"), "EventRinging@1001/555", alerting},
                 {answered("CONN-1"), "resp:200[answer]", connecting},
                 {cancelled(),
                  "bye:CONN-1 fact:1001- EventAbandoned@1001/555 EventAbandoned@5000/555 end",
                  ended},
                 {acked(), "", ended},
                 {customer_bye(), "", ended},
                 {cancelled(), "", ended},
             }),
      routed("caller_bye_before_its_ack_is_abandoned",
             {
                 {answered("CONN-1"), "EventRinging@1001/555 resp:200[answer]", connecting},
                 {customer_bye(),
                  "bye:CONN-1 fact:1001- EventAbandoned@1001/555 EventAbandoned@5000/555 end",
                  ended},
             }),
      routed("agent_bye_before_the_callers_ack_byes_the_caller",
             {
                 {answered("CONN-1"), "EventRinging@1001/555 resp:200[answer]", connecting},
                 {agent_bye("CONN-1"), "bye:customer EventReleased@1001/555 fact:1001-* end",
                  ended},
                 {acked(), "", ended},
             }),
      routed("desktop_release_before_the_callers_ack_byes_both_sides",
             {
                 {answered("CONN-1"), "EventRinging@1001/555 resp:200[answer]", connecting},
                 {release("1001"),
                  "bye:CONN-1 bye:customer EventReleased@1001/555 fact:1001-* end", ended},
             }),
      {"caller_hangs_up_while_routing",
       kDefault,
       {
           kIncoming,
           {cancelled(), "EventAbandoned@5000/555 end", ended},
           {router_timeout(1), "", ended},
           {route(kAgent1), "", ended},
       }},
      {"second_incoming_is_ignored",
       kDefault,
       {
           kIncoming,
           {incoming(), "", routing},
       }},
      routed("agent_486_then_second_agent",
             {
                 // Never rang: no EventReleased, straight back to the router.
                 {failed("CONN-1", 486), "fact:1001- EventRouteRequest@5000/555 timer:30000#3",
                  routing},
                 {router_timeout(1), "", routing},
                 {router_timeout(2), "", routing},
                 {progress("CONN-1"), "", routing},
                 {release("1001"), "", routing},
                 // No supervision for 1002: the generation still moves on.
                 {route(kAgent2),
                  "fact:1002+ invite:CONN-2>sip:1002@ast[offer] EventRouteUsed@5000/1002",
                  alerting},
                 {router_timeout(3), "", alerting},
                 {progress("CONN-1"), "", alerting},
                 {progress("CONN-2"), "EventRinging@1002/555", alerting},
                 {answered("CONN-1", "late"), "", alerting},
                 {failed("CONN-1", 486), "", alerting},
                 {answered("CONN-2", "answer2"), "resp:200[answer2]", connecting},
                 {acked(), "EventEstablished@1002/555", established},
                 {agent_bye("CONN-1"), "", established},
                 {customer_bye(), "bye:CONN-2 EventReleased@1002/555 fact:1002-* end", ended},
             }),
      routed("agent_failing_after_ringing_is_released_and_rerouted",
             {
                 {progress("CONN-1"), "EventRinging@1001/555", alerting},
                 {failed("CONN-1", 480),
                  "fact:1001- EventReleased@1001/555 EventRouteRequest@5000/555 timer:30000#3",
                  routing},
                 {router_timeout(3),
                  "fact:1009+ invite:CONN-2>sip:1009@ast[offer] EventRouteUsed@5000/1009 "
                  "timer:15000#4",
                  alerting},
             }),
      {"no_answer_recall_back_to_the_routing_point",
       kDefault,
       {
           kIncoming,
           {route(target("1001", 20, "recall", "none")),
            "fact:1001+ invite:CONN-1>sip:1001@ast[offer] EventRouteUsed@5000/1001 timer:20000#2",
            alerting},
           {progress("CONN-1"), "EventRinging@1001/555", alerting},
           {no_answer(1), "", alerting},
           {no_answer(2),
            "cancel:CONN-1 fact:1001- EventReleased@1001/555 EventRouteRequest@5000/555 "
            "timer:30000#3",
            routing},
           {no_answer(2), "", routing},
           {answered("CONN-1"), "", routing},  // crossed our CANCEL: the edge hangs it up
           {route(kAgent2),
            "fact:1002+ invite:CONN-2>sip:1002@ast[offer] EventRouteUsed@5000/1002", alerting},
       }},
      {"no_answer_release_tells_presence_and_rejects_the_caller",
       kDefault,
       {
           kIncoming,
           {route(target("1001", 20, "release", "notready")),
            "fact:1001+ invite:CONN-1>sip:1001@ast[offer] EventRouteUsed@5000/1001 timer:20000#2",
            alerting},
           {progress("CONN-1"), "EventRinging@1001/555", alerting},
           {no_answer(2),
            "cancel:CONN-1 fact:1001- EventReleased@1001/555 no_answer:1001=notready resp:480 "
            "end",
            ended},
       }},
      {"no_answer_overflow_to_voicemail_without_route_used",
       kDefault,
       {
           kIncoming,
           {route(target("1001", 20, "8000", "logout")),
            "fact:1001+ invite:CONN-1>sip:1001@ast[offer] EventRouteUsed@5000/1001 timer:20000#2",
            alerting},
           // Never rang: nothing on the agent DN but the fact.
           {no_answer(2, kVoicemail),
            "cancel:CONN-1 fact:1001- no_answer:1001=logout fact:8000+ "
            "invite:CONN-2>sip:8000@ast[offer]{1001@MY_COMPANY<1001}",
            alerting},
           {no_answer(2), "", alerting},
           {progress("CONN-1"), "", alerting},
           {progress("CONN-2"), "EventRinging@8000/555", alerting},
           {answered("CONN-2", "vm"), "resp:200[vm]", connecting},
           {acked(), "EventEstablished@8000/555", established},
           {agent_bye("CONN-2"), "bye:customer EventReleased@8000/555 fact:8000-* end", ended},
       }},
      {"no_answer_overflow_dn_without_its_target_is_recalled",
       kDefault,
       {
           kIncoming,
           {route(target("1001", 20, "8000")),
            "fact:1001+ invite:CONN-1>sip:1001@ast[offer] EventRouteUsed@5000/1001 timer:20000#2",
            alerting},
           {no_answer(2, kAgent2),  // the actor resolved the wrong DN
            "cancel:CONN-1 fact:1001- EventRouteRequest@5000/555 timer:30000#3", routing},
       }},
      routed("desktop_rejecting_the_call_recalls_it_whatever_the_policy",
             {
                 {progress("CONN-1"), "EventRinging@1001/555", alerting},
                 {release("1002"), "", alerting},
                 {release("1001"),
                  "cancel:CONN-1 fact:1001- EventReleased@1001/555 EventRouteRequest@5000/555 "
                  "timer:30000#3",
                  routing},
                 {no_answer(2), "", routing},
             }),
      {"router_timeout_routes_to_the_default_dn",
       kDefault,
       {
           kIncoming,
           {router_timeout(0), "", routing},
           {router_timeout(1),
            "fact:1009+ invite:CONN-1>sip:1009@ast[offer] EventRouteUsed@5000/1009 timer:15000#2",
            alerting},
           {router_timeout(1), "", alerting},
           {route(kAgent1), "", alerting},
       }},
      {"router_timeout_without_default_dn_rejects_the_caller",
       kNoDefaultDn,
       {
           kIncoming,
           {router_timeout(1), "resp:480 EventAbandoned@5000/555 end", ended},
       }},
      {"route_without_a_contact_is_refused",
       kDefault,
       {
           kIncoming,
           {route({"1001", "", {}, "", ""}), "", routing},
           {route({"", "sip:1001@ast", {}, "", ""}), "", routing},
       }},
      direct("direct_call_answered_then_caller_hangs_up",
             {
                 {progress("CONN-1"), "resp:180", alerting},
                 {progress("CONN-1", 183), "", alerting},  // ringback once
                 // Routed-call requests and timers mean nothing here.
                 {route(kAgent1), "", alerting},
                 {no_answer(1), "", alerting},
                 {answered("CONN-1"), "resp:200[answer]", connecting},
                 {acked(), "", established},
                 {release("8000"), "", established},
                 {reinvite("cust", "hold"), "reinvite:CONN-1[hold]", established},
                 {reinvite_ok("CONN-1", "held"), "resp:cust:200[held]", established},
                 // The phone (the call's agent, on the inbound leg) hangs up.
                 {agent_bye("cust"), "bye:customer fact:555- end", ended},
                 {customer_bye(), "", ended},
             }),
      direct("direct_call_target_hangs_up",
             {
                 {answered("CONN-1"), "resp:200[answer]", connecting},
                 {acked(), "", established},
                 {agent_bye("other"), "", established},
                 // The target is the call's customer.
                 {customer_bye(), "bye:cust fact:555- end", ended},
             }),
      direct("direct_call_refused_by_the_target",
             {{failed("CONN-1", 404), "resp:404 fact:555- end", ended}}),
      direct("direct_call_timed_out_at_the_edge",
             {{failed("CONN-1", 0), "resp:480 fact:555- end", ended}}),
      direct("direct_call_cancelled_while_ringing",
             {{cancelled(), "cancel:CONN-1 fact:555- end", ended}}),
      direct("direct_call_cancel_crosses_the_answer",
             {
                 {answered("CONN-1"), "resp:200[answer]", connecting},
                 {cancelled(), "bye:CONN-1 fact:555- end", ended},
             }),
      {"call_to_a_number_that_is_no_routing_point_gets_404",
       kNotARoutingPoint,
       {
           {incoming(), "resp:404(No Routing Point 5000) end", ended},
           {route(kAgent1), "", ended},
       }},
      {"direct_call_without_a_target_is_forbidden",
       kDefault,
       {
           {incoming_direct({}),
            "resp:403(Only voicemail may be called from this phone) end",
            ended},
           {incoming_direct(kMailboxAccess), "", ended},
       }},
      {"incoming_direct_after_incoming_is_ignored",
       kDefault,
       {kIncoming, {incoming_direct(kMailboxAccess), "", routing}}},
      {"user_data_at_the_rp_then_at_the_agent_travels_with_the_call",
       kDefault,
       {
           kIncoming,
           // Only the DN that has the call may change its data: no event otherwise.
           {attach("1001", str_pairs({{"a", "1"}})), "", routing},
           {attach(kRp, str_pairs({{"a", "1"}, {"b", "2"}})),
            "EventAttachedDataChanged@5000/555{a=1,b=2}", routing},
           {route(kAgent1),
            "fact:1001+ invite:CONN-1>sip:1001@ast[offer] EventRouteUsed@5000/1001{a=1,b=2} "
            "timer:20000#2",
            alerting},
           {attach(kRp, str_pairs({{"c", "3"}})), "", alerting},
           // Existing keys get the new value, new keys are added.
           {attach("1001", str_pairs({{"b", "20"}, {"c", "3"}})),
            "EventAttachedDataChanged@1001/555{a=1,b=20,c=3}", alerting},
           {delete_data("1001", str_pairs({{"a", ""}, {"zz", ""}})),
            "EventAttachedDataChanged@1001/555{b=20,c=3}", alerting},
           {answered("CONN-1"), "EventRinging@1001/555{b=20,c=3} resp:200[answer]", connecting},
           {acked(), "EventEstablished@1001/555{b=20,c=3}", established},
           // No keys: all of them go.
           {delete_data("1001"), "EventAttachedDataChanged@1001/555", established},
           {attach("1001", str_pairs({{"d", "4"}})), "EventAttachedDataChanged@1001/555{d=4}",
            established},
           {customer_bye(), "bye:CONN-1 EventReleased@1001/555{d=4} fact:1001-* end", ended},
           {attach("1001", str_pairs({{"e", "5"}})), "", ended},
       }},
      // The phone's DN has its own call: no call events, but its desktop
      // may give the call data (the event is the request's reply).
      {"user_data_on_a_direct_call_is_the_phones_dns",
       kDefault,
       {kDirect,
        {attach("8000", str_pairs({{"a", "1"}})), "", alerting},
        {attach("555", str_pairs({{"a", "1"}})), "EventAttachedDataChanged@555/8000{a=1}",
         alerting}}},
      routed("dtmf_from_the_agent_goes_to_the_customer_one_info_per_digit",
             {
                 {answered("CONN-1"), "EventRinging@1001/555 resp:200[answer]", connecting},
                 // Not established yet, and later: wrong DN, bad digits.
                 {send_dtmf("1001", "1"), "", connecting},
                 {acked(), "EventEstablished@1001/555", established},
                 {send_dtmf(kRp, "1"), "", established},
                 {send_dtmf("1001", "1x"), "", established},
                 {send_dtmf("1001", ""), "", established},
                 {send_dtmf("1001", "1*#"),
                  "info:cust[application/dtmf-relay:Signal=1\r\nDuration=160\r\n] "
                  "info:cust[application/dtmf-relay:Signal=*\r\nDuration=160\r\n] "
                  "info:cust[application/dtmf-relay:Signal=#\r\nDuration=160\r\n] "
                  "EventDTMFSent@1001/555[digits=1*#]",
                  established},
                 {customer_bye(), "bye:CONN-1 EventReleased@1001/555 fact:1001-* end", ended},
                 {send_dtmf("1001", "1"), "", ended},
             }),
      {"agent_holds_and_retrieves_with_offers_derived_from_what_each_side_got",
       kDefault,
       {
           {[] {
              auto e = incoming();
              e.sdp = kCustomerSdp;
              return e;
            }(),
            "resp:180 EventRouteRequest@5000/555 timer:30000#1", routing},
           {route(kAgent1),
            "fact:1001+ invite:CONN-1>sip:1001@ast[o=c 1 1 IN IP4 c|a=sendrecv|] "
            "EventRouteUsed@5000/1001 timer:20000#2",
            alerting},
           {answered("CONN-1", kAgentSdp),
            "EventRinging@1001/555 resp:200[o=a 1 1 IN IP4 a|a=sendrecv|]", connecting},
           {hold("1001"), "", connecting},  // not established yet
           {acked(), "EventEstablished@1001/555", established},
           {retrieve("1001"), "", established},  // not held
           {hold(kRp), "", established},         // not the agent DN
           // Customer first: a=sendonly, its o= version one up.
           {hold("1001"), "reinvite:cust[o=a 1 2 IN IP4 a|a=sendonly|]", established},
           {hold("1001"), "", established},  // in progress
           {reinvite("CONN-1", "x"), "resp:CONN-1:491", established},
           {reinvite_ok("CONN-1", "late"), "", established},  // not the leg asked
           // Then the agent: a=inactive.
           {reinvite_ok("cust", "recvonly"), "reinvite:CONN-1[o=c 1 2 IN IP4 c|a=inactive|]",
            established},
           {reinvite_ok("CONN-1", "inactive"), "EventHeld@1001/555", established},
           {hold("1001"), "", established},  // held already
           // A 491 (glare) from the customer: the same offer again after
           // 2.1-4 s (RFC 3261 14.1); the third 491 is a refusal.
           {retrieve("1001"), "reinvite:cust[o=a 1 3 IN IP4 a|a=sendrecv|]", established},
           {reinvite_failed("cust", 491), "retry:2100-4000#1", established},
           {reinvite("CONN-1", "x"), "resp:CONN-1:491", established},  // meanwhile
           {retrieve("1001"), "", established},
           {retry(0), "", established},  // stale
           {retry(1), "reinvite:cust[o=a 1 3 IN IP4 a|a=sendrecv|]", established},
           {retry(1), "", established},  // sent already
           {reinvite_failed("cust", 491), "retry:2100-4000#2", established},
           {retry(2), "reinvite:cust[o=a 1 3 IN IP4 a|a=sendrecv|]", established},
           {reinvite_failed("cust", 491),
            "EventError@1001/555(the customer refused the retrieve offer with 491)",
            established},
           {retrieve("1001"), "reinvite:cust[o=a 1 4 IN IP4 a|a=sendrecv|]", established},
           {reinvite_ok("cust", "x"), "reinvite:CONN-1[o=c 1 3 IN IP4 c|a=sendrecv|]",
            established},
           {reinvite_ok("CONN-1", "x"), "EventRetrieved@1001/555", established},
           // The agent's phone refusing: the customer is taken back.
           {hold("1001"), "reinvite:cust[o=a 1 5 IN IP4 a|a=sendonly|]", established},
           {reinvite_ok("cust", "x"), "reinvite:CONN-1[o=c 1 4 IN IP4 c|a=inactive|]",
            established},
           {reinvite_failed("CONN-1", 488), "reinvite:cust[o=a 1 6 IN IP4 a|a=sendrecv|]",
            established},
           {reinvite("cust", "x"), "resp:cust:491", established},
           {reinvite_failed("cust", 500),
            "EventError@1001/555(the agent's phone refused the hold offer with 488)",
            established},
           {retrieve("1001"), "", established},  // it was never held
           // A re-INVITE passed through is what the next hold derives from.
           {reinvite("CONN-1", "o=a 1 9 IN IP4 b\na=sendrecv\n"),
            "reinvite:cust[o=a 1 9 IN IP4 b|a=sendrecv|]", established},
           {hold("1001"), "", established},  // in progress
           {reinvite_ok("cust", "o=c 1 5 IN IP4 c\na=sendrecv\n"),
            "resp:CONN-1:200[o=c 1 5 IN IP4 c|a=sendrecv|]", established},
           {hold("1001"), "reinvite:cust[o=a 1 10 IN IP4 b|a=sendonly|]", established},
           {reinvite_ok("cust", "x"), "reinvite:CONN-1[o=c 1 6 IN IP4 c|a=inactive|]",
            established},
           {customer_bye(), "bye:CONN-1 EventReleased@1001/555 fact:1001-* end", ended},
           {reinvite_ok("CONN-1", "x"), "", ended},
       }},
      // Recording (a recorded conference on the media server) and conferences.
      {"recording_by_dn_option_starts_when_established_and_goes_with_the_call",
       kDefault,
       {
           kIncoming,
           {route(kRecordedAgent1),
            "fact:1001+ invite:CONN-1>sip:1001@ast[offer] EventRouteUsed@5000/1001 timer:20000#2",
            alerting},
           {answered("CONN-1"), "EventRinging@1001/555 resp:200[answer]", connecting},
           // The customer first, with what it sent last; then the agent.
           {acked(),
            "EventEstablished@1001/555 media:CONN-2>sip:conf=rec-CONN-1@ms;record=CONN-1.wav[offer]",
            established},
           {reinvite("CONN-1", "x"), "resp:CONN-1:491", established},
           {media_ok("CONN-2", "ms-c"), "reinvite:cust[ms-c]", established},
           {reinvite_ok("cust", "cust2"),
            "media:CONN-3>sip:conf=rec-CONN-1@ms;record=CONN-1.wav[answer]", established},
           {media_ok("CONN-3", "ms-a"), "reinvite:CONN-1[ms-a]", established},
           {reinvite_ok("CONN-1", "agent2"),
            "EventAttachedDataChanged@1001/555{RecordingFile=CONN-1.wav,RecordingState=on}",
            established},
           // A session refresh keeps what each party has; hold is refused.
           {reinvite("cust", "refresh"), "resp:cust:200[ms-c]", established},
           {reinvite("CONN-3", "x"), "resp:CONN-3:488", established},
           {hold("1001"), "", established},
           {record("1001"), "", established},  // being recorded already
           {customer_bye(),
            "bye:CONN-1 EventReleased@1001/555{RecordingFile=CONN-1.wav,RecordingState=on} "
            "fact:1001-* bye:CONN-2 bye:CONN-3 end",
            ended},
       }},
      routed("recording_by_request_stop_start_and_the_media_server_dropping_it",
             {
                 {answered("CONN-1"), "EventRinging@1001/555 resp:200[answer]", connecting},
                 {record("1001"), "", connecting},  // not established yet
                 {acked(), "EventEstablished@1001/555", established},
                 {record("1001", false), "", established},  // not recorded
                 {record(kRp), "", established},            // not the agent DN
                 {record("1001"),
                  "media:CONN-2>sip:conf=rec-CONN-1@ms;record=CONN-1.wav[offer]", established},
                 {record("1001"), "", established},  // in progress
                 {media_ok("CONN-2", "ms-c"), "reinvite:cust[ms-c]", established},
                 {reinvite_ok("cust", "cust2"),
                  "media:CONN-3>sip:conf=rec-CONN-1@ms;record=CONN-1.wav[answer]", established},
                 {media_ok("CONN-3", "ms-a"), "reinvite:CONN-1[ms-a]", established},
                 {reinvite_ok("CONN-1", "agent2"),
                  "EventAttachedDataChanged@1001/555{RecordingFile=CONN-1.wav,RecordingState=on}",
                  established},
                 {conf_leave(), "", established},  // a recording, not a conference
                 // Back to each other: the customer gets the agent's SDP, the
                 // agent the customer's answer.
                 {record("1001", false), "reinvite:cust[agent2]", established},
                 {reinvite_ok("cust", "cust3"), "bye:CONN-2 reinvite:CONN-1[cust3]", established},
                 {reinvite_ok("CONN-1", "agent3"),
                  "bye:CONN-3 "
                  "EventAttachedDataChanged@1001/555{RecordingFile=CONN-1.wav,RecordingState=off}",
                  established},
                 {hold("1001"), "", established},  // hold_refusal: opaque table SDP
                 // A second recording, a new file; the media server refusing.
                 {record("1001"),
                  "media:CONN-4>sip:conf=rec-CONN-2@ms;record=CONN-2.wav[cust3]", established},
                 {media_failed("CONN-4", 404),
                  "EventError@1001/555(recording: media server answered 404)"
                  "{RecordingFile=CONN-1.wav,RecordingState=off}",
                  established},
                 {record("1001"),
                  "media:CONN-5>sip:conf=rec-CONN-3@ms;record=CONN-3.wav[cust3]", established},
                 {media_ok("CONN-5", "ms-c"), "reinvite:cust[ms-c]", established},
                 {reinvite_ok("cust", "cust4"),
                  "media:CONN-6>sip:conf=rec-CONN-3@ms;record=CONN-3.wav[agent3]", established},
                 {media_ok("CONN-6", "ms-a"), "reinvite:CONN-1[ms-a]", established},
                 {reinvite_ok("CONN-1", "agent4"),
                  "EventAttachedDataChanged@1001/555{RecordingFile=CONN-3.wav,RecordingState=on}",
                  established},
                 // The media server hangs up the customer's leg: out of the recording.
                 {media_bye("CONN-5"), "reinvite:cust[agent4]", established},
                 {reinvite_ok("cust", "cust5"), "bye:CONN-5 reinvite:CONN-1[cust5]", established},
                 {reinvite_ok("CONN-1", "agent5"),
                  "bye:CONN-6 "
                  "EventAttachedDataChanged@1001/555{RecordingFile=CONN-3.wav,RecordingState=off}",
                  established},
             }),
      routed("conference_join_the_agent_refusing_takes_the_customer_back",
             {
                 {answered("CONN-1"), "EventRinging@1001/555 resp:200[answer]", connecting},
                 {acked(), "EventEstablished@1001/555", established},
                 {conf_leave(), "", established},  // in no conference
                 {conf_join("c7"), "media:CONN-2>sip:conf=c7@ms[offer]", established},
                 {conf_join("c8"), "", established},  // in progress
                 {reinvite("cust", "x"), "resp:cust:491", established},
                 {media_ok("CONN-2", "ms-c"), "reinvite:cust[ms-c]", established},
                 {reinvite_ok("cust", "cust2"), "media:CONN-3>sip:conf=c7@ms[answer]", established},
                 {media_ok("CONN-3", "ms-a"), "reinvite:CONN-1[ms-a]", established},
                 {reinvite_failed("CONN-1", 488), "bye:CONN-3 reinvite:cust[answer]", established},
                 {reinvite_ok("cust", "cust3"),
                  "bye:CONN-2 conf:(the agent refused the re-INVITE with 488)", established},
                 {conf_leave(), "", established},  // in no conference any more
                 // The media server refusing the customer's leg: nothing moved.
                 {conf_join("c9"), "media:CONN-4>sip:conf=c9@ms[cust3]", established},
                 {media_failed("CONN-4", 503), "conf:(media server answered 503)", established},
                 {conf_join("c9"), "media:CONN-5>sip:conf=c9@ms[cust3]", established},
                 {media_ok("CONN-5", "ms-c"), "reinvite:cust[ms-c]", established},
                 {reinvite_ok("cust", "cust4"), "media:CONN-6>sip:conf=c9@ms[answer]", established},
                 {media_ok("CONN-6", "ms-a"), "reinvite:CONN-1[ms-a]", established},
                 {reinvite_ok("CONN-1", "agent2"), "conf:ok", established},
                 {record("1001"), "", established},  // in a conference
                 {conf_leave(), "reinvite:cust[agent2]", established},
                 {reinvite_ok("cust", "cust5"), "bye:CONN-5 reinvite:CONN-1[cust5]", established},
                 {reinvite_ok("CONN-1", "agent3"), "bye:CONN-6 conf:ok", established},
                 {agent_bye("CONN-1"), "bye:customer EventReleased@1001/555 fact:1001-* end", ended},
             }),
      treated("a_waiting_customer_joins_a_conference_then_is_routed",
              {
                  {acked(), "", routing},
                  {conf_join("c1"), "media:CONN-2>sip:conf=c1@ms[offer]", routing},
                  {route(kAgent1), "", routing},  // can_route: not while the customer moves
                  {media_ok("CONN-2", "ms-c"), "reinvite:cust[ms-c]", routing},
                  {reinvite_ok("cust", "cust2"),
                   "bye:CONN-1 EventTreatmentEnd@5000/555 conf:ok", routing},
                  {treatment(), "", routing},  // in a conference
                  {route(kAgent1),
                   "fact:1001+ invite:CONN-3>sip:1001@ast[](ack later) EventRouteUsed@5000/1001 "
                   "timer:20000#2",
                   alerting},
                  {answered("CONN-3", "agent-offer"),
                   "EventRinging@1001/555 reinvite:cust[agent-offer]", connecting},
                  {reinvite_ok("cust", "cust3"),
                   "ack:CONN-3[cust3] bye:CONN-2 EventEstablished@1001/555", established},
                  {customer_bye(), "bye:CONN-3 EventReleased@1001/555 fact:1001-* end", ended},
              }),
      treated("a_waiting_customer_leaves_a_conference",
              {
                  {conf_join("c1"), "media:CONN-2>sip:conf=c1@ms[offer]", routing},
                  {media_ok("CONN-2", "ms-c"), "reinvite:cust[ms-c]", routing},
                  {reinvite_ok("cust", "cust2"),
                   "bye:CONN-1 EventTreatmentEnd@5000/555 conf:ok", routing},
                  {conf_leave(), "bye:CONN-2 conf:ok", routing},
                  {customer_bye(), "EventAbandoned@5000/555 end", ended},
              }),
      treated("a_second_treatment_replaces_the_first",
              {
                  {acked(), "", routing},
                  {collect_treatment(), "media:CONN-2>" + kCollect + "[offer]", routing},
                  {treatment(), "", routing},  // one at a time
                  {media_ok("CONN-2", "collect"), "reinvite:cust[collect]", routing},
                  {reinvite_ok("cust", "cust2"),
                   "bye:CONN-1 EventTreatmentEnd@5000/555 EventTreatmentApplied@5000/555",
                   routing},
                  {media_bye("CONN-1"), "", routing},  // crossed our BYE
                  {digit("CONN-2", '7'), "", routing},
                  {media_bye("CONN-2"), "EventTreatmentEnd@5000/555[digits=7]", routing},
                  // The customer refusing: the media server's leg goes.
                  {treatment(), "media:CONN-3>" + kMusic + "[cust2]", routing},
                  {media_ok("CONN-3", "music"), "reinvite:cust[music]", routing},
                  {reinvite_failed("cust", 488),
                   "bye:CONN-3 EventTreatmentNotApplied@5000/555(the customer refused the "
                   "re-INVITE with 488)",
                   routing},
                  {treatment(), "media:CONN-4>" + kMusic + "[cust2]", routing},
                  {media_failed("CONN-4", 404),
                   "EventTreatmentNotApplied@5000/555(media server answered 404)", routing},
                  {customer_bye(), "EventAbandoned@5000/555 end", ended},
              }),
      {"router_timeout_zero_arms_no_router_timer",
       {0, target("1009"), true, "ms"},
       {
           {incoming(), "resp:180 EventRouteRequest@5000/555", routing},
           {route(kAgent2),
            "fact:1002+ invite:CONN-1>sip:1002@ast[offer] EventRouteUsed@5000/1002", alerting},
       }},
  };
}

// TAnswerCall on a call ringing at agent DN 1001 (kRouteAgent1: no-answer
// timer 20 s, then back to the Routing Point).
std::vector<call_scenario> answer_scenarios() {
  const call_step_case rings = {progress("CONN-1"), "EventRinging@1001/555", alerting};
  return {
      routed("talk_then_the_phone_answers",
             {
                 {answer("1001", true), "", alerting},  // not rung yet: no early dialog
                 rings,
                 {answer("1002", true), "", alerting},  // not the DN it rings at
                 {answer("1001", true), "talk:CONN-1", alerting},
                 {answer("1001", true), "", alerting},  // one at a time
                 {answered("CONN-1"), "resp:200[answer]", connecting},
                 {acked(), "EventEstablished@1001/555", established},
                 {talk_failed("CONN-1", 481), "", established},  // too late to matter
             }),
      routed("talk_refused_then_answered_by_hand",
             {
                 rings,
                 {answer("1001", true), "talk:CONN-1", alerting},
                 {talk_failed("CONN-2", 489), "", alerting},  // not the agent leg
                 {talk_failed("CONN-1", 489),
                  "EventError@1001/555(the phone of DN 1001 refused the talk NOTIFY with 489)",
                  alerting},
                 {talk_failed("CONN-1", 489), "", alerting},  // nothing waits any more
                 {answered("CONN-1"), "resp:200[answer]", connecting},
                 {acked(), "EventEstablished@1001/555", established},
             }),
      routed("answer_after_sends_nothing_and_the_no_answer_timer_ends_the_wait",
             {
                 {answer("1001", false), "", alerting},
                 {no_answer(2),
                  "EventError@1001/555(the call left DN 1001 before it was established) "
                  "cancel:CONN-1 fact:1001- EventRouteRequest@5000/555 timer:30000#3",
                  routing},
                 {answer("1001", false), "", routing},
             }),
      routed("the_phone_refusing_the_call_ends_the_wait",
             {
                 rings,
                 {answer("1001", true), "talk:CONN-1", alerting},
                 {failed("CONN-1", 486),
                  "EventError@1001/555(the call left DN 1001 before it was established) "
                  "fact:1001- EventReleased@1001/555 EventRouteRequest@5000/555 timer:30000#3",
                  routing},
             }),
      // The actor answers the waiting TAnswerCall when the call ends.
      routed("the_caller_leaving_ends_the_call",
             {
                 {answer("1001", false), "", alerting},
                 {cancelled(),
                  "cancel:CONN-1 fact:1001- EventAbandoned@1001/555 EventAbandoned@5000/555 end",
                  ended},
             }),
  };
}

void run(const std::vector<call_scenario>& scenarios) {
  for (const auto& sc : scenarios)
    run_scenario(sc);
}

TEST(CallFsm, Scenarios) { run(call_scenarios()); }

TEST(CallFsm, AnswerScenarios) { run(answer_scenarios()); }

TEST(CallFsm, AnswerRefusals) {
  const auto none = remote_answer::none, talk = remote_answer::talk,
             after = remote_answer::answer_after;
  const std::string not_ringing = "DN 1001 is not ringing on ConnID CONN";
  const std::string unsupported =
      "the phone of DN 1001 cannot be answered from the desktop (no remote-answer)";
  struct refusal_case {
    std::string name;
    std::vector<call_event> events;  // after the incoming call
    std::string dn;
    remote_answer mode;
    v1::ErrorCode code;
    std::string text;
  };
  const std::vector<refusal_case> cases = {
      {"at the Routing Point", {}, "1001", talk, v1::ERR_INVALID_STATE, not_ringing},
      {"another DN", {route(kAgent1)}, "1002", talk, v1::ERR_INVALID_STATE,
       "DN 1002 is not ringing on ConnID CONN"},
      {"no remote answer", {route(kAgent1)}, "1001", none, v1::ERR_UNSUPPORTED, unsupported},
      {"talk before the 18x", {route(kAgent1)}, "1001", talk, v1::ERR_INVALID_STATE,
       "the phone of DN 1001 has not rung yet: no early dialog to send talk in"},
      {"answer-after before the 18x", {route(kAgent1)}, "1001", after, v1::ERROR_NONE, ""},
      {"talk once it rings", {route(kAgent1), progress("CONN-1")}, "1001", talk,
       v1::ERROR_NONE, ""},
      {"a TAnswerCall waits", {route(kAgent1), progress("CONN-1"), answer("1001", true)},
       "1001", talk, v1::ERR_INVALID_STATE,
       "a TAnswerCall for ConnID CONN waits for the phone already"},
      {"answered", {route(kAgent1), answered("CONN-1")}, "1001", talk, v1::ERR_INVALID_STATE,
       not_ringing},
      {"answered, no remote answer", {route(kAgent1), answered("CONN-1"), acked()}, "1001", none,
       v1::ERR_UNSUPPORTED, unsupported},
  };
  for (const auto& rc : cases) {
    SCOPED_TRACE(rc.name);
    call c;
    c.conn_id = kConn;
    c.customer_leg = "cust";
    call_step(c, incoming(), kDefault);
    for (const auto& e : rc.events)
      call_step(c, e, kDefault);
    auto r = answer_refusal(c, rc.dn, rc.mode);
    EXPECT_EQ(r.code, rc.code);
    EXPECT_EQ(r.text, rc.text);
  }

  call direct;
  direct.conn_id = kConn;
  call_step(direct, incoming_direct(kMailboxAccess), kDefault);
  EXPECT_EQ(answer_refusal(direct, "8000", talk).text, "DN 8000 is not ringing on ConnID CONN");
}

TEST(CallFsm, TreatmentRefusals) {
  call c;
  c.conn_id = kConn;
  c.customer_leg = "cust";
  call_step(c, incoming(), kDefault);
  EXPECT_EQ(treatment_refusal(c, "5001"), "ConnID CONN is not at Routing Point 5001");
  EXPECT_EQ(treatment_refusal(c, kRp), "");
  call_step(c, treatment(), kDefault);
  EXPECT_EQ(treatment_refusal(c, kRp), "ConnID CONN has a treatment being applied already");
  call_step(c, media_ok("CONN-1"), kDefault);
  call_step(c, media_bye("CONN-1"), kDefault);
  EXPECT_EQ(treatment_refusal(c, kRp), "");  // a later one re-INVITEs the customer
  call_step(c, treatment(), kDefault);
  EXPECT_EQ(treatment_refusal(c, kRp), "ConnID CONN has a media operation in progress");
  call_step(c, media_failed("CONN-2", 404), kDefault);
  call_step(c, conf_join("c1"), kDefault);
  call_step(c, media_ok("CONN-3", "conf"), kDefault);
  call_step(c, reinvite_ok("cust", "c"), kDefault);
  EXPECT_EQ(treatment_refusal(c, kRp), "ConnID CONN is in conference c1");
  call_step(c, route(kAgent1), kDefault);
  EXPECT_EQ(treatment_refusal(c, kRp), "ConnID CONN is not waiting for a route");

  call offerless;
  offerless.conn_id = kConn;
  auto in = incoming();
  in.sdp.clear();
  call_step(offerless, in, kDefault);
  EXPECT_EQ(treatment_refusal(offerless, kRp),
            "ConnID CONN: the caller sent no SDP offer to give the media server");

  call direct;
  direct.conn_id = kConn;
  call_step(direct, incoming_direct(kMailboxAccess), kDefault);
  EXPECT_EQ(treatment_refusal(direct, kRp), "ConnID CONN is not at Routing Point 5000");
}

TEST(CallFsm, UserDataAndDtmfRefusals) {
  call c;
  c.conn_id = kConn;
  c.customer_leg = "cust";
  call_step(c, incoming(), kDefault);
  EXPECT_EQ(user_data_refusal(c, kRp, ""), "");
  EXPECT_EQ(user_data_refusal(c, "1001", ""), "DN 1001 is no party of ConnID CONN");
  EXPECT_EQ(dtmf_refusal(c, kRp, ""), "DN 5000 has no established call CONN");
  call_step(c, route(kAgent1), kDefault);
  EXPECT_EQ(user_data_refusal(c, kRp, ""), "DN 5000 is no party of ConnID CONN");
  EXPECT_EQ(user_data_refusal(c, "1001", ""), "");
  EXPECT_EQ(dtmf_refusal(c, "1001", ""), "DN 1001 has no established call CONN");
  call_step(c, answered("CONN-1"), kDefault);
  call_step(c, acked(), kDefault);
  EXPECT_EQ(dtmf_refusal(c, "1001", ""), "");
  EXPECT_EQ(dtmf_refusal(c, "", ""), "DN  has no established call CONN");
}

TEST(CallFsm, HoldRefusals) {
  call c;
  c.conn_id = kConn;
  c.customer_leg = "cust";
  auto in = incoming();
  in.sdp = kCustomerSdp;
  call_step(c, in, kDefault);
  call_step(c, route(kAgent1), kDefault);
  EXPECT_EQ(hold_refusal(c, "1001", false), "DN 1001 has no established call CONN");
  call_step(c, answered("CONN-1", kAgentSdp), kDefault);
  call_step(c, acked(), kDefault);
  EXPECT_EQ(hold_refusal(c, "1001", false), "");
  EXPECT_EQ(hold_refusal(c, kRp, false), "DN 5000 has no established call CONN");
  EXPECT_EQ(hold_refusal(c, "1001", true), "ConnID CONN is not held");
  call_step(c, reinvite("cust", kCustomerSdp), kDefault);
  EXPECT_EQ(hold_refusal(c, "1001", false), "ConnID CONN has a re-INVITE in progress");
  call_step(c, reinvite_ok("CONN-1", kAgentSdp), kDefault);
  call_step(c, hold("1001"), kDefault);
  EXPECT_EQ(hold_refusal(c, "1001", true), "ConnID CONN has a re-INVITE in progress");
  call_step(c, reinvite_ok("cust", "x"), kDefault);
  call_step(c, reinvite_ok("CONN-1", "x"), kDefault);
  EXPECT_EQ(hold_refusal(c, "1001", false), "ConnID CONN is held already");
  EXPECT_EQ(hold_refusal(c, "1001", true), "");

  // The usual table SDP ("offer", "answer") has no o= line to derive from.
  call opaque;
  opaque.conn_id = kConn;
  opaque.customer_leg = "cust";
  call_step(opaque, incoming(), kDefault);
  call_step(opaque, route(kAgent1), kDefault);
  call_step(opaque, answered("CONN-1"), kDefault);
  call_step(opaque, acked(), kDefault);
  EXPECT_EQ(hold_refusal(opaque, "1001", false),
            "ConnID CONN: no SDP sent to both sides to derive the offers from");
}

v1::KVPair str_kv(const std::string& key, const std::string& value) {
  v1::KVPair kv;
  kv.set_key(key);
  kv.set_str(value);
  return kv;
}

v1::KVPair num_kv(const std::string& key, int64_t value) {
  v1::KVPair kv;
  kv.set_key(key);
  kv.set_num(value);
  return kv;
}

v1::KVList kvlist(const std::vector<v1::KVPair>& pairs) {
  v1::KVList list;
  for (const auto& p : pairs)
    *list.add_pairs() = p;
  return list;
}

using options = std::map<std::string, std::string>;

TEST(CallFsm, ResolveNoAnswer) {
  struct no_answer_case {
    std::string name;
    v1::KVList extensions;
    options agent, dn, app;
    bool agent_logged_in;
    uint32_t timeout_s;
    std::string overflow, action;
  };
  const options kApp = {{"agent-no-answer-timeout", "20"},
                        {"agent-no-answer-overflow", "release"},
                        {"agent-no-answer-action", "notready"},
                        {"extn-no-answer-timeout", "15"},
                        {"extn-no-answer-overflow", "8000"}};
  const std::vector<no_answer_case> cases = {
      {"nothing_configured", {}, {}, {}, {}, true, 0, "recall", "none"},
      {"app_options_for_an_agent", {}, {}, {}, kApp, true, 20, "release", "notready"},
      {"app_options_for_an_extension_have_no_action", {}, {}, {}, kApp, false, 15, "8000",
       "none"},
      {"dn_timeout_only_keeps_the_app_overflow",
       {}, {}, {{"no-answer-timeout", "10"}}, kApp, true, 10, "release", "notready"},
      {"agent_options_beat_dn_options",
       {},
       {{"no-answer-timeout", "25"}, {"no-answer-action", "logout"}},
       {{"no-answer-timeout", "10"}, {"no-answer-overflow", "8001"}},
       kApp, true, 25, "8001", "logout"},
      {"extension_strings_beat_everything",
       kvlist({str_kv("NO_ANSWER_TIMEOUT", "5"), str_kv("NO_ANSWER_OVERFLOW", "recall"),
               str_kv("NO_ANSWER_ACTION", "none")}),
       {{"no-answer-timeout", "25"}, {"no-answer-overflow", "8002"},
        {"no-answer-action", "logout"}},
       {{"no-answer-timeout", "10"}}, kApp, true, 5, "recall", "none"},
      {"extension_numbers", kvlist({num_kv("NO_ANSWER_TIMEOUT", 7), num_kv("NO_ANSWER_OVERFLOW", 8000)}),
       {}, {}, kApp, true, 7, "8000", "notready"},
      {"extension_zero_switches_supervision_off",
       kvlist({str_kv("NO_ANSWER_TIMEOUT", "0")}), {}, {}, kApp, true, 0, "release", "notready"},
      {"unusable_extensions_fall_through",
       kvlist({str_kv("NO_ANSWER_TIMEOUT", "soon"), str_kv("NO_ANSWER_OVERFLOW", ""),
               str_kv("NO_ANSWER_ACTION", "dance")}),
       {}, {}, kApp, true, 20, "release", "notready"},
      {"negative_or_huge_timeouts_fall_through",
       kvlist({num_kv("NO_ANSWER_TIMEOUT", -1)}),
       {{"no-answer-timeout", "99999999999"}}, {{"no-answer-timeout", "-3"}}, kApp, true, 20,
       "release", "notready"},
      {"a_nested_list_is_not_a_value",
       [] {
         v1::KVPair nested;
         nested.set_key("NO_ANSWER_TIMEOUT");
         *nested.mutable_list() = kvlist({num_kv("x", 1)});
         return kvlist({nested});
       }(),
       {}, {}, kApp, false, 15, "8000", "none"},
      {"extension_action_applies_to_an_extension_too",
       kvlist({str_kv("NO_ANSWER_ACTION", "notready")}), {}, {}, kApp, false, 15, "8000",
       "notready"},
      {"other_extension_keys_are_ignored",
       kvlist({str_kv("no_answer_timeout", "3"), str_kv("NO_ANSWER", "4")}), {}, {}, {}, false,
       0, "recall", "none"},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    // An empty source is passed as absent, so both shapes are covered.
    no_answer_sources src;
    src.extensions = tc.extensions.pairs_size() > 0 ? &tc.extensions : nullptr;
    src.agent_options = tc.agent.empty() ? nullptr : &tc.agent;
    src.dn_options = tc.dn.empty() ? nullptr : &tc.dn;
    src.app_options = tc.app.empty() ? nullptr : &tc.app;
    src.agent_logged_in = tc.agent_logged_in;
    const auto p = resolve_no_answer(src);
    EXPECT_EQ(p.timeout_s, tc.timeout_s);
    EXPECT_EQ(p.overflow, tc.overflow);
    EXPECT_EQ(p.action, tc.action);
  }
}

}  // namespace
}  // namespace sipcc
