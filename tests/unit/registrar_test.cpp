// The registrar's pure parts: digest arithmetic (RFC 2617 3.5), the
// Authorization parser, stateless nonces and REGISTER processing over the
// binding table, one table per concern.
#include "sipcc/registrar.hpp"

#include <gtest/gtest.h>

namespace sipcc::registrar {
namespace {

TEST(RegistrarDigest, Rfc2617Section35Example) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  std::string why;
  auto c = parse_authorization(
      R"(Digest username="Mufasa", realm="testrealm@host.com",
         nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth,
         nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1",
         opaque="5ccc069c403ebaf9f0171e9517f40e41")",
      &why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->username, "Mufasa");
  EXPECT_EQ(c->qop, "auth");
  EXPECT_EQ(c->nc, "00000001");
  EXPECT_EQ(c->opaque, "5ccc069c403ebaf9f0171e9517f40e41");
  EXPECT_EQ(digest_response(*c, "GET", "Circle Of Life"), c->response);
  EXPECT_NE(digest_response(*c, "GET", "circle of life"), c->response);
}

TEST(RegistrarDigest, AuthorizationParser) {
  struct parse_case {
    const char* name;
    const char* value;
    const char* error;  // nullptr: parses
  };
  const parse_case cases[] = {
      {"rfc 2069 style, no qop", R"(Digest username="2000",realm="sipcc",nonce="n",uri="sip:x",response="r")",
       nullptr},
      {"scheme is case-insensitive, escapes", R"(digest username="a\"b", realm=sipcc, nonce=n, uri="sip:x", response=r)",
       nullptr},
      {"Basic", R"(Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==)", "not a Digest Authorization"},
      {"nothing after the scheme", "Digest", "not a Digest Authorization"},
      {"no username", R"(Digest realm="sipcc", nonce="n", uri="sip:x", response="r")",
       "Digest parameter 'username' is missing"},
      {"no response", R"(Digest username="2000", realm="sipcc", nonce="n", uri="sip:x")",
       "Digest parameter 'response' is missing"},
      {"unterminated", R"(Digest realm="sipcc", username="2000)", "an unterminated quoted string"},
      {"no '='", R"(Digest username)", "a Digest parameter without '='"},
      {"no comma", R"(Digest username="2000" realm="sipcc")",
       "Digest parameters must be separated by ','"},
      {"qop without cnonce",
       R"(Digest username="2000", realm="sipcc", nonce="n", uri="sip:x", response="r", qop=auth, nc=00000001)",
       "qop without nc and cnonce"},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string why;
    auto r = parse_authorization(c.value, &why);
    if (!c.error) {
      EXPECT_TRUE(r) << why;
    } else {
      EXPECT_FALSE(r);
      EXPECT_EQ(why, c.error);
    }
  }
  EXPECT_EQ(parse_authorization(R"(digest username="a\"b", realm=sipcc, nonce=n, uri="sip:x", response=r)",
                                nullptr)
                ->username,
            "a\"b");
}

TEST(RegistrarNonce, StatelessChecks) {
  const std::string secret = "s3cret";
  auto n = make_nonce(secret, 1000);
  struct nonce_case {
    const char* name;
    std::string nonce;
    int64_t now;
    nonce_check want;
  };
  const nonce_case cases[] = {
      {"just issued", n, 1000, nonce_check::fresh},
      {"at the age limit", n, 1300, nonce_check::fresh},
      {"past the age limit", n, 1301, nonce_check::stale},
      {"from the future", n, 900, nonce_check::forged},
      {"another secret", make_nonce("other", 1000), 1000, nonce_check::forged},
      {"timestamp changed", "1001" + n.substr(4), 1001, nonce_check::forged},
      {"no dot", "abc", 1000, nonce_check::forged},
      {"not a number", "x." + n.substr(5), 1000, nonce_check::forged},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(check_nonce(secret, c.nonce, c.now, 300), c.want);
  }
  EXPECT_EQ(challenge("sipcc", "N", false),
            R"(Digest realm="sipcc", nonce="N", algorithm=MD5, qop="auth")");
  EXPECT_EQ(challenge("sipcc", "N", true),
            R"(Digest realm="sipcc", nonce="N", algorithm=MD5, qop="auth", stale=true)");
}

// REGISTER processing: each case starts from a table where 2000 has
// sip:2000@10.0.0.1 (Call-ID a, CSeq 1, 600 s) registered at t=0.
constexpr const char* kSecret = "k";
constexpr const char* kPhone = "sip:2000@10.0.0.1:5062";

std::string credentials(const std::string& user, const std::string& password,
                        const std::string& nonce, const std::string& realm = "sipcc",
                        const std::string& extra = "") {
  digest_credentials c;
  c.username = user;
  c.realm = realm;
  c.nonce = nonce;
  c.uri = "sip:sipcc";
  c.qop = "auth";
  c.nc = "00000001";
  c.cnonce = "abc";
  return "Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\"" + nonce +
         "\", uri=\"sip:sipcc\", qop=auth, nc=00000001, cnonce=\"abc\", response=\"" +
         digest_response(c, "REGISTER", password) + "\"" + extra;
}

register_request reg(std::string aor, std::vector<register_request::contact> contacts,
                     std::optional<uint32_t> expires, std::string call_id, uint32_t cseq,
                     int64_t now, std::string password = "secret") {
  register_request r;
  r.aor = aor;
  r.contacts = std::move(contacts);
  r.expires = expires;
  r.call_id = std::move(call_id);
  r.cseq = cseq;
  r.authorization = credentials(aor, password, make_nonce(kSecret, now));
  return r;
}

binding_table fresh_table() {
  binding_table t(limits{}, {{"2000", "secret"}, {"2001", "other"}}, kSecret);
  auto o = t.handle(reg("2000", {{kPhone, std::nullopt}}, 600, "a", 1, 0), 0);
  EXPECT_EQ(o.status, 200) << o.phrase;
  return t;
}

TEST(RegistrarTable, RegisterOutcomes) {
  struct reg_case {
    const char* name;
    register_request req;
    int64_t now;
    int status;
    std::string phrase;
    std::vector<change> changes;   // expected bus changes
    std::vector<change> bindings;  // expected 200 list
  };
  auto with = [](register_request r, auto edit) {
    edit(r);
    return r;
  };
  const std::string other = "sip:2000@10.0.0.2:5060";
  const reg_case cases[] = {
      {"refresh of the same binding", reg("2000", {{kPhone, 1200}}, std::nullopt, "a", 2, 10), 10,
       200, "OK", {{"2000", kPhone, 1200}}, {{"2000", kPhone, 1200}}},
      {"a second phone: both listed", reg("2000", {{other, std::nullopt}}, 300, "b", 1, 100), 100,
       200, "OK", {{"2000", other, 300}}, {{"2000", kPhone, 500}, {"2000", other, 300}}},
      {"above the maximum is capped", reg("2000", {{other, 99999}}, std::nullopt, "b", 1, 0), 0,
       200, "OK", {{"2000", other, 3600}}, {{"2000", kPhone, 600}, {"2000", other, 3600}}},
      {"no expiry at all: RFC default 3600", reg("2000", {{other, std::nullopt}}, std::nullopt, "b", 1, 0),
       0, 200, "OK", {{"2000", other, 3600}}, {{"2000", kPhone, 600}, {"2000", other, 3600}}},
      {"un-REGISTER one contact", reg("2000", {{kPhone, 0}}, std::nullopt, "a", 2, 10), 10, 200,
       "OK", {{"2000", kPhone, 0}}, {}},
      {"un-REGISTER with Expires header", reg("2000", {{kPhone, std::nullopt}}, 0, "z", 1, 10), 10,
       200, "OK", {{"2000", kPhone, 0}}, {}},
      {"Contact: * with Expires: 0",
       with(reg("2000", {}, 0, "z", 1, 10), [](register_request& r) { r.wildcard = true; }), 10,
       200, "OK", {{"2000", kPhone, 0}}, {}},
      {"query: no Contact lists the bindings", reg("2000", {}, std::nullopt, "z", 1, 100), 100,
       200, "OK", {}, {{"2000", kPhone, 500}}},
      {"removing an unknown contact changes nothing", reg("2000", {{other, 0}}, std::nullopt, "z", 1, 0),
       0, 200, "OK", {}, {{"2000", kPhone, 600}}},
      {"below the minimum", reg("2000", {{other, 59}}, std::nullopt, "b", 1, 0), 0, 423,
       "Interval Too Brief", {}, {}},
      {"Contact: * with Expires other than 0",
       with(reg("2000", {}, 60, "z", 1, 10), [](register_request& r) { r.wildcard = true; }), 10,
       400, "Contact: * needs Expires: 0 and no other Contact", {}, {}},
      {"Contact: * and a contact",
       with(reg("2000", {{other, 0}}, 0, "z", 1, 10), [](register_request& r) { r.wildcard = true; }),
       10, 400, "Contact: * needs Expires: 0 and no other Contact", {}, {}},
      {"same Call-ID, old CSeq", reg("2000", {{kPhone, 600}}, std::nullopt, "a", 1, 10), 10, 500,
       "REGISTER out of order (CSeq not above the binding's)", {}, {}},
      {"unknown DN", reg("3000", {{other, 600}}, std::nullopt, "b", 1, 0), 0, 404,
       "DN 3000 does not register on sipcc", {}, {}},
      {"no To user", reg("", {{other, 600}}, std::nullopt, "b", 1, 0), 0, 400,
       "No DN in the To header", {}, {}},
      {"wrong password", reg("2000", {{other, 600}}, std::nullopt, "b", 1, 0, "guess"), 0, 403,
       "Wrong password", {}, {}},
      {"another DN's credentials",
       with(reg("2000", {{other, 600}}, std::nullopt, "b", 1, 0),
            [](register_request& r) { r.authorization = credentials("2001", "other", make_nonce(kSecret, 0)); }),
       0, 403, "Credentials are not those of DN 2000", {}, {}},
      {"no credentials",
       with(reg("2000", {{other, 600}}, std::nullopt, "b", 1, 0),
            [](register_request& r) { r.authorization.reset(); }),
       0, 401, "Unauthorized", {}, {}},
      {"stale nonce", reg("2000", {{other, 600}}, std::nullopt, "b", 1, 0), 301, 401,
       "Unauthorized", {}, {}},
      {"another realm",
       with(reg("2000", {{other, 600}}, std::nullopt, "b", 1, 0),
            [](register_request& r) { r.authorization = credentials("2000", "secret", make_nonce(kSecret, 0), "asterisk"); }),
       0, 401, "Unauthorized", {}, {}},
      {"nonce of another secret",
       with(reg("2000", {{other, 600}}, std::nullopt, "b", 1, 0),
            [](register_request& r) { r.authorization = credentials("2000", "secret", make_nonce("x", 0)); }),
       0, 401, "Unauthorized", {}, {}},
      {"malformed Authorization",
       with(reg("2000", {{other, 600}}, std::nullopt, "b", 1, 0),
            [](register_request& r) { r.authorization = "Digest username"; }),
       0, 400, "Malformed Authorization: a Digest parameter without '='", {}, {}},
      {"SHA-256",
       with(reg("2000", {{other, 600}}, std::nullopt, "b", 1, 0),
            [](register_request& r) { r.authorization = credentials("2000", "secret", make_nonce(kSecret, 0), "sipcc", ", algorithm=SHA-256"); }),
       0, 400, "Unsupported digest algorithm SHA-256", {}, {}},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto t = fresh_table();
    auto o = t.handle(c.req, c.now);
    EXPECT_EQ(o.status, c.status);
    EXPECT_EQ(o.phrase, c.phrase);
    ASSERT_EQ(o.changes.size(), c.changes.size());
    for (size_t i = 0; i < c.changes.size(); ++i) {
      EXPECT_EQ(o.changes[i].contact, c.changes[i].contact);
      EXPECT_EQ(o.changes[i].expires_s, c.changes[i].expires_s);
    }
    ASSERT_EQ(o.bindings.size(), c.bindings.size());
    for (size_t i = 0; i < c.bindings.size(); ++i) {
      EXPECT_EQ(o.bindings[i].contact, c.bindings[i].contact);
      EXPECT_EQ(o.bindings[i].expires_s, c.bindings[i].expires_s);
    }
    if (c.status == 401) {
      EXPECT_EQ(o.www_authenticate.find("Digest realm=\"sipcc\""), 0u);
      EXPECT_EQ(o.www_authenticate.find("stale=true") != std::string::npos,
                std::string(c.name) == "stale nonce");
    }
    EXPECT_EQ(o.min_expires, c.status == 423 ? 60u : 0u);
  }
}

TEST(RegistrarTable, BindingsExpireOnTime) {
  auto t = fresh_table();
  EXPECT_TRUE(t.expire(599).empty());
  ASSERT_EQ(t.all(599).size(), 1u);
  EXPECT_EQ(t.all(599)[0].expires_s, 1u);
  auto gone = t.expire(600);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].dn, "2000");
  EXPECT_EQ(gone[0].contact, kPhone);
  EXPECT_EQ(gone[0].expires_s, 0u);
  EXPECT_TRUE(t.all(600).empty());
  EXPECT_TRUE(t.expire(601).empty());
}

}  // namespace
}  // namespace sipcc::registrar
