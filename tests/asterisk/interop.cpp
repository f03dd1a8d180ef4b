#include "interop.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>

#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/state.pb.h"
#include "tone_detect.hpp"

namespace sipcc::test {

bool wav_has_tone(const std::string& path, double hz) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // RIFF, then chunks of <id><32-bit little-endian size>: the samples are
  // the "data" chunk's.
  size_t at = 12;
  auto u32 = [&](size_t i) {
    return uint32_t(uint8_t(bytes[i])) | uint32_t(uint8_t(bytes[i + 1])) << 8 |
           uint32_t(uint8_t(bytes[i + 2])) << 16 | uint32_t(uint8_t(bytes[i + 3])) << 24;
  };
  while (at + 8 <= bytes.size() && bytes.compare(at, 4, "data") != 0)
    at += 8 + u32(at + 4);
  if (bytes.size() < 12 || bytes.compare(0, 4, "RIFF") != 0 || at + 8 > bytes.size())
    return false;
  std::vector<int16_t> samples;
  for (size_t i = at + 8; i + 1 < bytes.size(); i += 2)
    samples.push_back(int16_t(uint16_t(uint8_t(bytes[i])) | uint16_t(uint8_t(bytes[i + 1])) << 8));
  // A tone somewhere: 200 ms windows, as the phones listen.
  constexpr size_t window = k_sample_rate / 5;
  for (size_t i = 0; i + window <= samples.size(); i += window)
    if (has_tone({samples.begin() + i, samples.begin() + i + window}, hz))
      return true;
  return false;
}

void replace_in(std::string& yaml, const std::string& from, const std::string& to) {
  const auto at = yaml.find(from);
  ASSERT_NE(at, std::string::npos) << "deploy/sipcc.yaml has no '" << from << "'";
  yaml.replace(at, from.size(), to);
}

void without_default_routing(std::string& yaml) {
  replace_in(yaml, "      agent-group: Sales\n", "");
  replace_in(yaml, "      treatment: \"Music MUSIC=default\"   # musiconhold.conf class\n", "");
}

void Interop::start(const std::function<void(std::string&)>& edit) {
  ast_port = free_port(SOCK_DGRAM);
  system_options opts;
  opts.config_template = shipped_sipcc_yaml(ast_port);
  if (edit)
    edit(opts.config_template);
  if (::testing::Test::HasFatalFailure())
    throw std::runtime_error("the test's configuration edit failed");
  opts.services = {{"sip-edge", "edge1"}, {"presence", "presence-0"}, {"callctl", "callctl-0"},
                   {"router", "router-0"}, {"mwi", "mwi-0"}, {"media", "media-0"}};
  edge2_port = free_port(SOCK_DGRAM);
  if (two_edges) {
    opts.services.insert(opts.services.begin() + 1, {"sip-edge#2", "edge2"});
    opts.env_of["sip-edge#2"] = {{"SIPCC_EDGE_BIND", "127.0.0.1:" + std::to_string(edge2_port)}};
  }
  sys = std::make_unique<sipcc_system>(opts);
  ast = std::make_unique<real_asterisk>(
      asterisk_options{ast_port, sys->edge_port(), edge2_port});
  ast->start();
  sys->start_services();
  // Asterisk dials the first sipcc contact not Unavailable: until its
  // qualify has answered for each edge, a call may go to one not running.
  auto qualified = [](const std::string& contacts) {
    std::istringstream lines(contacts);
    int n = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.find("sipcc/sip:") == std::string::npos)
        continue;
      if (line.find("Avail") == std::string::npos && line.find("Unavail") == std::string::npos)
        return false;
      ++n;
    }
    return n == 2;
  };
  if (!ast->wait_cli("pjsip show contacts", qualified, kAst))
    throw std::runtime_error("Asterisk did not qualify both sipcc contacts:\n" +
                             ast->cli("pjsip show contacts"));
}

std::unique_ptr<rtp_phone> Interop::phone(const std::string& dn, double tone_hz) {
  const bool on_sipcc = dn == "2000";  // sipcc.yaml: the DN with a password
  phone_options o;
  o.user = dn;
  o.password = "CHANGE-ME-" + dn;
  o.registrar = on_sipcc ? "127.0.0.1:" + std::to_string(sys->edge_port()) : ast->address();
  o.tone_hz = tone_hz;
  auto p = std::make_unique<rtp_phone>(o);
  EXPECT_TRUE(p->register_now(kAst)) << dn << " did not register at " << o.registrar;
  return p;
}

void Interop::ready_agent(const std::string& dn, const std::string& agent) {
  ASSERT_EQ(sys->request(dn, v1::TAgentLogin, agent).type(), v1::EventAgentLogin);
  ASSERT_EQ(sys->request(dn, v1::TAgentSetReady).type(), v1::EventAgentReady);
}

std::string Interop::routed_call_established() {
  customer = phone("1000", kTone1000);
  agent = phone("2001", kTone2001);
  EXPECT_TRUE(rec().wait_event("2001", v1::EventDNBackInService, kAst));
  ready_agent("2001", "agent2001");
  customer->call("sip:8000@" + ast->address());
  EXPECT_TRUE(agent->wait_incoming(kAst));
  auto ringing = rec().wait_event("2001", v1::EventRinging, kAst);
  EXPECT_TRUE(ringing);
  agent->answer();
  EXPECT_TRUE(customer->wait_established(kAst));
  EXPECT_TRUE(rec().wait_event("2001", v1::EventEstablished, kAst));
  EXPECT_TRUE(agent->wait_hears(kTone1000, kAst)) << "the customer's audio";
  EXPECT_TRUE(customer->wait_hears(kTone2001, kAst)) << "the agent's audio";
  return ringing && !::testing::Test::HasFailure() ? ringing->conn_id() : "";
}

std::string Interop::made_call_established() {
  agent = phone("2001", kTone2001);
  customer = phone("1000", kTone1000);
  EXPECT_TRUE(rec().wait_event("2001", v1::EventDNBackInService, kAst));
  auto dialing = request(v1::TMakeCall, "2001", "", "1000");
  EXPECT_EQ(dialing.type(), v1::EventDialing) << dialing.error_message();
  EXPECT_TRUE(agent->wait_incoming(kAst));
  agent->answer();
  EXPECT_TRUE(customer->wait_incoming(kAst));
  customer->answer();
  EXPECT_TRUE(rec().wait_event("2001", v1::EventEstablished, kAst));
  both_hear_each_other();
  return ::testing::Test::HasFailure() ? "" : dialing.conn_id();
}

void Interop::expect_recording(const std::string& conn, int n) {
  const auto wav = ast->spool() + "/monitor/" + conn + "-" + std::to_string(n) + ".wav";
  EXPECT_TRUE(wait_until([&] { return wav_has_tone(wav, kTone1000); }, kAst))
      << wav << ": 1000";
  EXPECT_TRUE(wav_has_tone(wav, kTone2001)) << wav << ": 2001";
}

std::string Interop::recording_state(int nth) {
  auto ev = rec().wait_event("2001", v1::EventAttachedDataChanged, kAst, nth);
  if (!ev)
    return "<no EventAttachedDataChanged>";
  for (const auto& p : ev->user_data().pairs())
    if (p.key() == "RecordingState")
      return p.str();
  return "<no RecordingState>";
}

std::set<std::string> Interop::subscription_call_ids(const std::vector<std::string>& resources,
                                                    const std::string& event) const {
  std::set<std::string> ids;
  for (auto& s : ast->inbound_subscriptions())
    if (s.event == event && std::find(resources.begin(), resources.end(), s.resource) !=
                                resources.end())
      ids.insert(s.call_id);
  return ids;
}

bool Interop::wait_one_subscription_each(const std::vector<std::string>& resources,
                                         const std::string& event,
                                         const std::set<std::string>& gone,
                                         std::chrono::milliseconds deadline) const {
  return wait_until(
      [&] {
        std::map<std::string, int> live;
        for (auto& s : ast->inbound_subscriptions()) {
          if (s.event != event)
            continue;
          if (gone.count(s.call_id))
            return false;
          ++live[s.resource];
        }
        return std::all_of(resources.begin(), resources.end(),
                           [&](const std::string& r) { return live[r] == 1; });
      },
      deadline);
}

bool Interop::wait_in_service(const std::string& dn, bool in_service,
                              std::chrono::milliseconds deadline) {
  const auto subject = subj::state_dn(dn);
  return rec()
      .wait(
          [&](const bus_msg& m) {
            v1::DnState st;
            return m.subject == subject && st.ParseFromString(m.data) &&
                   st.monitor() == v1::MONITOR_ACTIVE && st.in_service() == in_service &&
                   (in_service || st.device() == v1::DEVICE_OUT_OF_SERVICE);
          },
          deadline)
      .has_value();
}

nlohmann::json Interop::conf(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"conf"};
  argv.insert(argv.end(), args.begin(), args.end());
  int code = -1;
  const auto out = sys->ctl(argv, &code);
  EXPECT_EQ(code, 0) << out;
  return nlohmann::json::parse(out, nullptr, false);
}

}  // namespace sipcc::test
