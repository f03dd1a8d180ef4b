// RFC 4475, the SIP torture messages, at the edge: every message of its
// section 3 (tests/data/rfc4475, see the README there) sent as one UDP
// datagram, from a trusted peer (a configured Asterisk peer address) and from
// a stranger, with what the edge must answer. Where the RFC leaves a choice,
// or sofia-sip decides and sipcc cannot change it, the row says so. Then the
// counting of the answers the stack gives by itself, and what strangers'
// requests leave behind (issue 16). Real nats-server, the built sip-edge; the
// test plays callctl for the INVITEs it is offered. Every wait has a deadline.
#include <gtest/gtest.h>

#include <strings.h>

#include <cstring>
#include <algorithm>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/call.pb.h"
#include "call_gauges.hpp"
#include "sipcc_fixture.hpp"
#include "udp_peer.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 5s;
// What the test, playing callctl, answers an INVITE the edge offers it.
constexpr uint32_t kCallctlAnswer = 486;

enum class outcome {
  answered,  // the edge answers with `status`
  offered,   // an INVITE offered to callctl on sipcc.in.invite, answered as callctl says
  ignored,   // nothing: a response no transaction waits for
};
struct expect {
  outcome what;
  int status = 0;
};
expect answer(int status) { return {outcome::answered, status}; }
constexpr expect offered{outcome::offered, static_cast<int>(kCallctlAnswer)};
constexpr expect ignored{outcome::ignored};

struct torture_case {
  const char* name;     // tests/data/rfc4475/<name>.dat
  const char* section;  // of RFC 4475
  // The top Via's transport and sent-by, replaced by "UDP 127.0.0.1:<port>"
  // of the sending socket: the edge listens on UDP only and answers the top
  // Via. Empty for responses.
  const char* via;
  expect trusted;   // from a configured Asterisk peer
  expect stranger;  // from anyone else
  const char* why;  // what the RFC says, and why sipcc answers so
};

// clang-format off
const std::vector<torture_case> kCases = {
  // ---- 3.1.1 valid messages: processed like any other ------------------------
  {"wsinv", "3.1.1.1", "UDP\r\n    192.0.2.2", answer(481), answer(481),
   "well-formed; its To has a tag, so to a UAS it names a dialog it does not have: 481 "
   "(RFC 3261 12.2.2)"},
  {"intmeth", "3.1.1.2", "TCP host1.example.com", ignored, ignored,
   "the RFC wants 501 with Allow. sofia-sip: its parser takes neither this method token nor "
   "the BEL, NUL and DEL quoted-pairs of the To (both legal, RFC 3261 25.1); nta drops the "
   "datagram as garbage, with nothing it could answer to"},
  {"esc01", "3.1.1.3", "UDP host5.example.net", offered, answer(403), "well-formed: processed"},
  {"escnull", "3.1.1.4", "UDP host5.example.com", answer(401), answer(401),
   "well-formed REGISTER: the registrar challenges first"},
  {"esc02", "3.1.1.5", "TCP host.example.com", answer(501), answer(501),
   "RE%47IST%45R is an unknown method, not REGISTER: 501"},
  {"lwsdisp", "3.1.1.6", "UDP funky.example.com", answer(200), answer(200), "well-formed OPTIONS"},
  {"longreq", "3.1.1.7", "TCP sip33.example.com", offered, answer(403), "well-formed: processed"},
  {"dblreq", "3.1.1.8", "UDP 192.0.2.125", answer(401), answer(401),
   "the REGISTER is processed, the trailing octets that look like an INVITE ignored"},
  {"semiuri", "3.1.1.9", "UDP 192.0.2.1", answer(200), answer(200), "well-formed OPTIONS"},
  {"transports", "3.1.1.10", "UDP t1.example.com", answer(200), answer(200),
   "unknown transports in later Vias do not matter to a UAS"},
  {"mpart01", "3.1.1.11", "UDP 127.0.0.1:5070", answer(405), answer(405),
   "well-formed MESSAGE; sipcc serves no MESSAGE: 405 with Allow (RFC 3261 8.2.1)"},
  {"unreason", "3.1.1.12", "", ignored, ignored, "a response for no transaction: dropped"},
  {"noreason", "3.1.1.13", "", ignored, ignored, "a response for no transaction: dropped"},
  // ---- 3.1.2 invalid messages ---------------------------------------------------
  {"badinv01", "3.1.2.1", "UDP 192.0.2.15", ignored, ignored,
   "the RFC wants 400. sofia-sip: the only Via does not parse, and nta drops a request without "
   "a Via, which says where an answer goes (RFC 3261 18.2.2)"},
  {"clerr", "3.1.2.2", "UDP host5.example.com", answer(400), answer(400),
   "over UDP: Content-Length larger than the datagram, 400"},
  {"ncl", "3.1.2.3", "UDP 192.0.2.53", answer(400), answer(400), "negative Content-Length: 400"},
  {"scalar02", "3.1.2.4", "TCP host129.example.com", answer(400), answer(400),
   "CSeq beyond 2^32-1: 400"},
  {"scalarlg", "3.1.2.5", "", ignored, ignored, "a response with overlarge values: dropped"},
  {"quotbal", "3.1.2.6", "UDP 192.0.2.59:5050", answer(400), answer(400),
   "unterminated quoted string: 400"},
  {"ltgtruri", "3.1.2.7", "UDP 192.0.2.5", answer(400), answer(400),
   "<> around the Request-URI: 400"},
  {"lwsruri", "3.1.2.8", "UDP 192.0.2.1:5060", ignored, ignored,
   "the RFC wants 400. sofia-sip: a request line of four elements is no request line to its "
   "parser; nta drops the datagram as garbage"},
  {"lwsstart", "3.1.2.9", "UDP host1.example.com", answer(400), answer(400),
   "several SP between request-line elements: 400 (the edge's check: sofia-sip takes it)"},
  {"trws", "3.1.2.10", "TCP host1.example.com", answer(400), answer(400),
   "SP after the SIP-Version: 400 (the edge's check: sofia-sip takes it)"},
  {"escruri", "3.1.2.11", "UDP host-of-the-hour.example.com", answer(400), answer(400),
   "escaped headers in the Request-URI: 400, the RFC's first answer (the edge's check)"},
  {"baddate", "3.1.2.12", "UDP host.example.com", offered, answer(403),
   "the edge has no use for Date: liberal, processed"},
  {"regbadct", "3.1.2.13", "UDP 135.180.130.133:5060", answer(400), answer(400),
   "a Contact URI with headers outside <>: 400 (from sofia-sip's parser)"},
  {"badaspec", "3.1.2.14", "UDP host4.example.com:5060", answer(400), answer(400),
   "spaces within the To addr-spec: 400 (the edge's check: sofia-sip takes it)"},
  {"baddn", "3.1.2.15", "UDP c.example.com:5060", answer(400), answer(400),
   "unquoted non-token display names: 400"},
  {"badvers", "3.1.2.16", "UDP c.example.com", answer(505), answer(505), "SIP/7.0: 505"},
  {"mismatch01", "3.1.2.17", "UDP host.example.com", answer(400), answer(400),
   "CSeq method differs from the request method: 400"},
  {"mismatch02", "3.1.2.18", "UDP host.example.net", answer(400), answer(400),
   "unknown method with a mismatched CSeq: 501, or 400 (sofia-sip checks the CSeq first)"},
  {"bigcode", "3.1.2.19", "", ignored, ignored, "a response with an overlarge code: dropped"},
  // ---- 3.2 transaction layer ------------------------------------------------------
  {"badbranch", "3.2.1", "UDP 192.0.2.1", answer(200), answer(200),
   "branch of only the magic cookie: still a valid OPTIONS"},
  // ---- 3.3 application layer ------------------------------------------------------
  {"insuf", "3.3.1", "UDP 192.0.2.95", answer(400), answer(400),
   "no Call-ID, From, To: 400"},
  {"unkscm", "3.3.2", "TCP host9.example.com", answer(416), answer(416),
   "unknown Request-URI scheme: 416"},
  {"novelsc", "3.3.3", "TCP host9.example.com", answer(416), answer(416),
   "a scheme the element never accepts: 416"},
  {"unksm2", "3.3.4", "UDP 192.0.2.21:5060", answer(400), answer(400),
   "a registrar answers 400: the To of a REGISTER must be a SIP or SIPS URI"},
  {"bext01", "3.3.5", "UDP fold-and-staple.example.com", answer(420), answer(420),
   "Require of unknown extensions: 420 with Unsupported"},
  {"invut", "3.3.6", "UDP somehost.example.com", answer(415), answer(403),
   "a body of unknown type: 415 with Accept (the edge's check, after the trusted-peer rule)"},
  {"regaut01", "3.3.7", "UDP 192.0.2.253", answer(401), answer(401),
   "unknown Authorization scheme: a registrar that authenticates answers 401 with its own"},
  {"multi01", "3.3.8", "UDP 192.0.2.25", answer(400), answer(400),
   "several values in single-value headers: 400"},
  {"mcl01", "3.3.9", "UDP host5.example.net", answer(400), answer(400),
   "two Content-Length values: 400"},
  {"bcast", "3.3.10", "", ignored, ignored, "a response for no transaction: dropped"},
  {"zeromf", "3.3.11", "UDP host1.example.com", answer(200), answer(200),
   "Max-Forwards 0 concerns proxies: an endpoint answers normally"},
  {"cparam01", "3.3.12", "UDP saturn.example.com:5060", answer(401), answer(401),
   "well-formed REGISTER: the registrar challenges first"},
  {"cparam02", "3.3.13", "UDP saturn.example.com:5060", answer(401), answer(401),
   "well-formed REGISTER: the registrar challenges first"},
  {"regescrt", "3.3.14", "UDP host5.example.com", answer(401), answer(401),
   "well-formed REGISTER: the registrar challenges first"},
  {"sdp01", "3.3.15", "UDP 192.0.2.15", answer(406), answer(403),
   "Accept without application/sdp: 406 with Warning 399 (the edge's check, after the "
   "trusted-peer rule)"},
  // ---- 3.4 backward compatibility ---------------------------------------------------
  {"inv2543", "3.4.1", "UDP iftgw.example.com", offered, answer(403),
   "RFC 2543 syntax (no branch, no Max-Forwards, no Content-Length): processed"},
};
// clang-format on

std::string random_token() {
  static std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng());
}

// The message as the test sends it: the top Via names the sending socket.
std::string datagram(const torture_case& c, uint16_t port) {
  auto text = read_file(std::string(SIPCC_TEST_DATA_DIR) + "/rfc4475/" + c.name + ".dat");
  if (*c.via) {
    auto at = text.find(c.via);
    if (at == std::string::npos)
      throw std::runtime_error(std::string(c.name) + ": no '" + c.via + "' to replace");
    text.replace(at, std::strlen(c.via), "UDP 127.0.0.1:" + std::to_string(port));
  }
  return text;
}

// The Call-ID of a message ("" when it has none), by its long or compact name.
std::string call_id_of(const sip_message& m) {
  for (const auto& [name, value] : m.headers)
    if (strcasecmp(name.c_str(), "Call-ID") == 0 || strcasecmp(name.c_str(), "i") == 0)
      return value;
  return {};
}

const torture_case& case_named(const std::string& name) {
  for (const auto& c : kCases)
    if (name == c.name)
      return c;
  throw std::runtime_error("no torture case " + name);
}

// A counter of edge1 that was never counted reads -1.
int64_t edge_counter(sipcc_system& sys, const std::string& name, const std::string& label) {
  return std::max<int64_t>(0, counter_value(sys, "edge1", name, label));
}

class TortureE2E : public ::testing::Test {
protected:
  // The edge alone: the test plays callctl.
  void start(int t1x64_ms = 1000) {
    system_options opts;
    opts.services = {{"sip-edge", "edge1"}};
    opts.t1x64_ms = t1x64_ms;
    sys = std::make_unique<sipcc_system>(std::move(opts));
    sys->start_services();
  }

  // Plays callctl: the offer of the INVITE with this Call-ID, answered.
  bool answer_offer(const std::string& call_id) {
    auto offer = sys->recorder().wait(
        [&](const bus_msg& m) {
          v1::LegEvent ev;
          return m.subject == subj::in_invite && ev.ParseFromString(m.data) &&
                 ev.incoming().call_id() == call_id;
        },
        kWait);
    if (!offer)
      return false;
    v1::LegEvent ev;
    ev.ParseFromString(offer->data);
    v1::LegCommand cmd;
    cmd.set_schema(v1::SCHEMA_V1);
    cmd.set_leg_id(ev.leg_id());
    cmd.mutable_respond()->set_status(kCallctlAnswer);
    return sys->recorder().client().publish(subj::edge_leg("edge1"), cmd);
  }

  // Sends every case from `peer` and checks the edge's answer to each.
  void run(udp_peer& peer, bool trusted) {
    for (const auto& c : kCases) {
      SCOPED_TRACE(std::string(c.name) + " (RFC 4475 " + c.section + "): " + c.why);
      check(c, peer, trusted ? c.trusted : c.stranger);
    }
  }

  void check(const torture_case& c, udp_peer& peer, const expect& want) {
    const auto text = datagram(c, peer.port());
    const auto call_id = call_id_of(parse_sip_message(text));
    peer.send(sys->edge_port(), text);
    if (want.what == outcome::offered) {
      ASSERT_TRUE(answer_offer(call_id)) << "not offered to callctl";
    }
    if (want.what != outcome::ignored) {
      auto resp = peer.final_response(
          [&](const sip_message& m) { return call_id.empty() || call_id_of(m) == call_id; },
          kWait);
      ASSERT_TRUE(resp) << "no answer";
      EXPECT_EQ(status_of(*resp), want.status) << resp->start_line;
    }
    expect_nothing_more(peer, call_id, want);
  }

  // An OPTIONS from the same socket: loopback UDP keeps order, so once it is
  // answered the edge has answered everything sent before it (and is still
  // up after the message).
  void expect_nothing_more(udp_peer& peer, const std::string& call_id, const expect& want) {
    const std::string branch = "z9hG4bKprobe" + random_token();
    std::string t = "OPTIONS sip:sipcc@127.0.0.1 SIP/2.0\r\n";
    t += "Via: SIP/2.0/UDP 127.0.0.1:" + std::to_string(peer.port()) + ";branch=" + branch + "\r\n";
    t += "From: <sip:probe@127.0.0.1>;tag=p\r\nTo: <sip:sipcc@127.0.0.1>\r\n";
    t += "Call-ID: probe" + random_token() + "\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n";
    t += "Content-Length: 0\r\n\r\n";
    peer.send(sys->edge_port(), t);
    std::vector<std::string> stray;
    auto probe = peer.final_response(
        [&](const sip_message& m) {
          if (m.header("Via").find(branch) != std::string::npos)
            return true;
          // Retransmissions of the expected answer are fine; anything else is not.
          if (!call_id.empty() && call_id_of(m) == call_id &&
              (want.what == outcome::ignored || status_of(m) != want.status))
            stray.push_back(m.start_line);
          return false;
        },
        kWait);
    ASSERT_TRUE(probe) << "the edge stopped answering";
    EXPECT_EQ(status_of(*probe), 200);
    EXPECT_TRUE(stray.empty()) << "also answered: " << stray.front();
  }

  std::unique_ptr<sipcc_system> sys;
};

TEST_F(TortureE2E, EveryTortureMessageFromATrustedPeerGetsItsAnswer) {
  ASSERT_NO_FATAL_FAILURE(start());
  udp_peer trunk(sys->trunk_port());
  run(trunk, true);
}

TEST_F(TortureE2E, EveryTortureMessageFromAStrangerGetsItsAnswer) {
  ASSERT_NO_FATAL_FAILURE(start());
  udp_peer stranger;
  run(stranger, false);
}

// Issue 16, defect 6: what nta, nua and the edge answer by themselves is in
// sip_auto_responses, by code; nta's refusals before any transaction, which
// its statistics count together, under "malformed".
TEST_F(TortureE2E, TheStacksOwnAnswersAreCounted) {
  ASSERT_NO_FATAL_FAILURE(start());
  udp_peer trunk(sys->trunk_port());
  udp_peer stranger;
  struct row {
    const char* message;
    bool trusted;
    const char* label;
  };
  const row rows[] = {
      {"ncl", false, "malformed"},   // nta: 400, no transaction
      {"badvers", false, "malformed"},  // nta: 505
      {"esc02", false, "501"},       // nua: unknown method
      {"unkscm", false, "416"},      // nua: unknown Request-URI scheme
      {"bext01", false, "420"},      // nua: unknown Require
      {"mpart01", false, "405"},     // nua: a method sipcc does not allow
      {"wsinv", false, "481"},       // nua: no such dialog
      {"lwsstart", false, "400"},    // the edge: malformed request line
      {"esc01", false, "403"},       // the edge: the trusted-peer rule
      {"invut", true, "415"},        // the edge: not SDP
      {"sdp01", true, "406"},        // the edge: Accept without SDP
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(std::string(r.message) + " counted as " + r.label);
    const auto& c = case_named(r.message);
    const int64_t before = edge_counter(*sys, "sip_auto_responses", r.label);
    check(c, r.trusted ? trunk : stranger, r.trusted ? c.trusted : c.stranger);
    // nta's own counts reach the counters on the edge's next second.
    auto after = wait_counter(
        *sys, "edge1", "sip_auto_responses", r.label,
        [&](int64_t v) { return v > before; }, kWait);
    EXPECT_EQ(after, before + 1);
  }
}

// A stranger's out-of-dialog requests: each is answered at once and nothing
// of it stays past the transaction, which nta keeps for sip-edge.t1x64-ms
// after the answer (RFC 3261 17.2: Timers H and J). The transaction comes
// first in sofia (nua's default leg makes it before the edge hears of the
// request), so it cannot be answered statelessly; but no nua handle or
// dialog outlives it.
class StrangersE2E : public TortureE2E {
protected:
  static constexpr int kT1x64Ms = 3000;

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(start(kT1x64Ms));
    server_before = edge_counter(*sys, "sip_transactions", "server");
    for (const char* name : {"lwsdisp", "esc01", "escnull", "mpart01", "wsinv", "esc02"})
      requests.push_back({datagram(case_named(name), stranger.port()),
                          case_named(name).stranger.status});
    // INFO belongs to a call: outside one it is refused (RFC 6086).
    auto info = requests.front().text;
    for (size_t at; (at = info.find("OPTIONS")) != std::string::npos;)
      info.replace(at, 7, "INFO");
    requests.push_back({info, 481});
  }

  // `rounds` times every request, each a new transaction (another Call-ID
  // and branch), each answered. The test ACKs no INVITE answer: their
  // retransmissions, unread while it waited, go first.
  void send_rounds(int rounds) {
    stranger.discard_pending();
    for (int i = 0; i < rounds; ++i, ++round) {
      const std::string tag = "-r" + std::to_string(round);
      for (auto r : requests) {
        auto call_id = call_id_of(parse_sip_message(r.text));
        r.text.replace(r.text.find(call_id), call_id.size(), call_id + tag);
        r.text.insert(r.text.find(";branch=") + 8, "z9hG4bK" + tag);
        call_id += tag;
        stranger.send(sys->edge_port(), r.text);
        auto resp = stranger.final_response(
            [&](const sip_message& m) { return call_id_of(m) == call_id; }, kWait);
        ASSERT_TRUE(resp) << call_id;
        ASSERT_EQ(status_of(*resp), r.status) << call_id;
      }
    }
  }

  // Once nta's count shows the transactions just made (it is read every
  // second), that count back to what it was before the test.
  int64_t released() {
    wait_counter(
        *sys, "edge1", "sip_transactions", "server",
        [&](int64_t v) { return v > server_before; }, kWait);
    return wait_counter(
        *sys, "edge1", "sip_transactions", "server",
        [&](int64_t v) { return v == server_before; },
        std::chrono::milliseconds(kT1x64Ms) + 2 * kWait);
  }

  struct request {
    std::string text;
    int status;
  };
  udp_peer stranger;
  std::vector<request> requests;
  int round = 0;
  int64_t server_before = 0;
};

TEST_F(StrangersE2E, TheirTransactionsEndWithTheTransactionTimer) {
  constexpr int kRounds = 20;
  ASSERT_NO_FATAL_FAILURE(send_rounds(kRounds));
  const auto sent = static_cast<int64_t>(kRounds * requests.size());
  auto held = wait_counter(
      *sys, "edge1", "sip_transactions", "server",
      [&](int64_t v) { return v >= server_before + sent; }, kWait);
  EXPECT_GE(held, server_before + sent) << "nta's transactions were not seen";
  EXPECT_EQ(wait_counter(
                *sys, "edge1", "sip_transactions", "server",
                [&](int64_t v) { return v == server_before; },
                std::chrono::milliseconds(kT1x64Ms) + 2 * kWait),
            server_before)
      << "server transactions outlived sip-edge.t1x64-ms";
  // INVITEs make dialogs in nta: none is left.
  EXPECT_EQ(edge_counter(*sys, "sip_transactions", "dialog"), 0);
}

// The same requests again once their transactions are gone take no more
// memory: a nua handle left behind (as each out-of-dialog INFO did) costs
// about 1.6 KB, 1 MB for the INFOs here alone. The first batch brings the
// allocator to the high-water mark the later one reuses (measured: < 150 KB).
TEST_F(StrangersE2E, TheyLeaveNothingBehind) {
  constexpr int kRounds = 600;
  const pid_t edge = sys->service_pid("sip-edge");
  ASSERT_NO_FATAL_FAILURE(send_rounds(kRounds));
  ASSERT_EQ(released(), server_before);
  const long warm_kb = rss_kb(edge);
  ASSERT_NO_FATAL_FAILURE(send_rounds(kRounds));
  ASSERT_EQ(released(), server_before);
  const long grown_kb = rss_kb(edge) - warm_kb;
  RecordProperty("edge_rss_growth_kb", static_cast<int>(grown_kb));
  EXPECT_LT(grown_kb, 512) << "the edge kept " << grown_kb << " KB of "
                            << kRounds * requests.size() << " answered requests";
}

}  // namespace
}  // namespace sipcc::test
