// The edge's own checks of a request (sip-edge/model/request_checks), by
// table: the RFC 4475 torture lines sofia-sip takes as they come, and
// the INVITE offers sipcc cannot answer.
#include <gtest/gtest.h>

#include "sip-edge/model/request_checks.hpp"

namespace sipcc::sip_checks {
namespace {

TEST(RequestChecks, RequestLine) {
  struct row {
    const char* line;
    bool ok;
  };
  const row rows[] = {
      {"INVITE sip:user@example.com SIP/2.0\r\n", true},
      {"INVITE sip:user@example.com SIP/2.0", true},
      {"OPTIONS sip:user@example.com SIP/2.0\n", true},
      // RFC 4475 3.1.2.9 lwsstart
      {"INVITE  sip:user@example.com  SIP/2.0\r\n", false},
      // RFC 4475 3.1.2.10 trws
      {"OPTIONS sip:remote-target@example.com SIP/2.0  \r\n", false},
      {" INVITE sip:user@example.com SIP/2.0\r\n", false},
      {"INVITE\tsip:user@example.com SIP/2.0\r\n", false},
      {"INVITE sip:user@example.com; lr SIP/2.0\r\n", false},
      {"INVITE sip:user@example.com\r\n", false},
      {"", false},
  };
  for (const auto& r : rows)
    EXPECT_EQ(request_line_well_formed(r.line), r.ok) << r.line;
}

TEST(RequestChecks, NameAddr) {
  struct row {
    const char* header;
    bool ok;
  };
  const row rows[] = {
      {"To: <sip:t.watson@example.org>\r\n", true},
      {"To: \"Watson, Thomas\" <sip:t.watson@example.org>;tag=1\r\n", true},
      {"To: sip:user@example.com;tag=3xfe\r\n", true},
      {"Contact: <sip:a@h1>;q=0.5, <sip:b@h2>\r\n", true},
      // A quoted display name may hold anything, < and LWS included.
      {"From: \"a < b \\\" c\" <sip:x@example.com>\r\n", true},
      {"TO :\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n", true},
      // RFC 4475 3.1.2.14 badaspec
      {"To: \"Watson, Thomas\" < sip:t.watson@example.org >\r\n", false},
      {"To: <sip:t.watson@example.org >\r\n", false},
      {"To: <sip:t.watson @example.org>\r\n", false},
      // RFC 4475 3.1.2.6 quotbal (sofia refuses it first)
      {"To: \"Mr. J. User <sip:j.user@example.com>\r\n", false},
      {"To: <sip:j.user@example.com\r\n", false},
  };
  for (const auto& r : rows)
    EXPECT_EQ(name_addrs_well_formed(r.header), r.ok) << r.header;
}

TEST(RequestChecks, Malformed) {
  const request_text good{"INVITE sip:user@example.com SIP/2.0\r\n",
                          false,
                          {"From: <sip:a@example.com>;tag=1\r\n", "To: <sip:b@example.com>\r\n"},
                          std::nullopt,
                          std::nullopt};
  EXPECT_FALSE(malformed(good));
  struct row {
    const char* what;
    request_text r;
    const char* phrase;
  };
  auto edited = [&](auto edit) {
    auto r = good;
    edit(r);
    return r;
  };
  const row rows[] = {
      {"several SP", edited([](request_text& r) { r.request_line = "INVITE  sip:u@h  SIP/2.0"; }),
       "Bad Request-Line"},
      // RFC 4475 3.1.2.11 escruri
      {"headers in the Request-URI", edited([](request_text& r) { r.uri_has_headers = true; }),
       "Headers Not Allowed in Request-URI"},
      {"LWS inside <>",
       edited([](request_text& r) { r.name_addrs.push_back("Contact: < sip:c@h >\r\n"); }),
       "Bad name-addr"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.what);
    auto refused = malformed(row.r);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400);
    EXPECT_EQ(refused->phrase, row.phrase);
  }
}

TEST(RequestChecks, UnacceptableOffer) {
  using accept_list = std::optional<std::vector<std::string>>;
  struct row {
    const char* what;
    std::optional<std::string> content_type;
    accept_list accept;
    int status;  // 0: taken
  };
  const row rows[] = {
      {"SDP offer", "application/sdp", std::nullopt, 0},
      {"SDP offer, type in capitals", "Application/SDP", std::nullopt, 0},
      {"no offer (RFC 3725 flow I)", std::nullopt, std::nullopt, 0},
      {"Accept takes SDP", "application/sdp", accept_list{{"text/plain", "application/sdp"}}, 0},
      {"Accept application/*", std::nullopt, accept_list{{"application/*"}}, 0},
      {"Accept */*", std::nullopt, accept_list{{"*/*"}}, 0},
      // RFC 4475 3.3.6 invut
      {"a body of unknown type", "application/unknownformat", std::nullopt, 415},
      {"a body without Content-Type", "", std::nullopt, 415},
      // RFC 4475 3.3.15 sdp01
      {"Accept without SDP", "application/sdp", accept_list{{"text/nobodyKnowsThis"}}, 406},
      {"empty Accept: nothing acceptable", std::nullopt, accept_list{std::vector<std::string>{}},
       406},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.what);
    request_text r;
    r.content_type = row.content_type;
    r.accept = row.accept;
    auto refused = unacceptable_offer(r);
    EXPECT_EQ(refused ? refused->status : 0, row.status);
    if (refused) {
      EXPECT_EQ(refused->accept, "application/sdp");  // RFC 3261 21.4.13
    }
  }
}

}  // namespace
}  // namespace sipcc::sip_checks
