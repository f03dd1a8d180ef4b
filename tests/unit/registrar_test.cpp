// The registrar's pure parts: digest arithmetic (RFC 2617 3.5), the
// Authorization parser, self-verifying nonces, the guessing limiter and
// REGISTER processing over the binding table (replay, Request-URI, stale,
// unknown DNs), one table per concern. Time is an argument: no sleeps.
#include "sip-edge/model/registrar.hpp"

#include <gtest/gtest.h>

namespace sipcc::registrar {
namespace {

TEST(RegistrarDigest, Rfc2617Section35Example) {
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
      // What sofia's Authorization parser refuses, it refuses without a reason.
      {"nothing after the scheme", "Digest", "bad header syntax"},
      // Found by fuzzing: sofia's digest reader asserted (the edge aborted).
      {"no parameters", "Digest ,", "Digest without parameters"},
      {"no username", R"(Digest realm="sipcc", nonce="n", uri="sip:x", response="r")",
       "Digest parameter 'username' is missing"},
      {"no response", R"(Digest username="2000", realm="sipcc", nonce="n", uri="sip:x")",
       "Digest parameter 'response' is missing"},
      {"unterminated", R"(Digest realm="sipcc", username="2000)", "bad header syntax"},
      // sofia takes a parameter without a value, and without a comma reads
      // on into the same parameter: the credentials then lack one.
      {"no '='", R"(Digest username)", "Digest parameter 'username' is missing"},
      {"no comma", R"(Digest username="2000" realm="sipcc")", "Digest parameter 'realm' is missing"},
      {"qop without cnonce",
       R"(Digest username="2000", realm="sipcc", nonce="n", uri="sip:x", response="r", qop=auth, nc=00000001)",
       "qop without nc and cnonce"},
      {"nc of fewer digits",
       R"(Digest username="2000", realm="sipcc", nonce="n", uri="sip:x", response="r", qop=auth, nc=1a, cnonce="c")",
       nullptr},
      {"nc not hex",
       R"(Digest username="2000", realm="sipcc", nonce="n", uri="sip:x", response="r", qop=auth, nc=0000000g, cnonce="c")",
       "nc must be 1 to 8 hex digits"},
      {"nc of 9 digits",
       R"(Digest username="2000", realm="sipcc", nonce="n", uri="sip:x", response="r", qop=auth, nc=000000001, cnonce="c")",
       "nc must be 1 to 8 hex digits"},
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

TEST(RegistrarDigest, ConstantTimeEqual) {
  struct eq_case {
    const char* a;
    const char* b;
    bool equal;
  };
  const eq_case cases[] = {
      {"", "", true},
      {"6629fae49393a05397450978507c4ef1", "6629fae49393a05397450978507c4ef1", true},
      {"6629fae49393a05397450978507c4ef1", "7629fae49393a05397450978507c4ef1", false},
      {"6629fae49393a05397450978507c4ef1", "6629fae49393a05397450978507c4ef2", false},
      {"6629fae49393a05397450978507c4ef1", "6629fae49393a05397450978507c4ef", false},
      {"", "x", false},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(std::string(c.a) + " vs " + c.b);
    EXPECT_EQ(constant_time_equal(c.a, c.b), c.equal);
  }
}

TEST(RegistrarNonce, SelfVerifyingChecks) {
  const std::string secret = "s3cret";
  auto n = make_nonce(secret, 1000, 7);
  ASSERT_EQ(n.rfind("1000.7.", 0), 0u) << n;
  auto mac = n.substr(n.rfind('.') + 1);
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
      {"within the clock skew", n, 995, nonce_check::fresh},
      {"from the future", n, 900, nonce_check::forged},
      {"another secret", make_nonce("other", 1000, 7), 1000, nonce_check::forged},
      {"timestamp changed", "1001.7." + mac, 1001, nonce_check::forged},
      {"serial changed", "1000.8." + mac, 1000, nonce_check::forged},
      {"no serial (old format)", "1000." + mac, 1000, nonce_check::forged},
      {"no dot", "abc", 1000, nonce_check::forged},
      {"not a number", "x.7." + mac, 1000, nonce_check::forged},
      {"MAC cut short", n.substr(0, n.size() - 1), 1000, nonce_check::forged},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(check_nonce(secret, c.nonce, c.now, 300), c.want);
  }
  EXPECT_NE(make_nonce(secret, 1000, 7), make_nonce(secret, 1000, 8));
  EXPECT_EQ(challenge("sipcc", "N", false),
            R"(Digest realm="sipcc", nonce="N", algorithm=MD5, qop="auth")");
  EXPECT_EQ(challenge("sipcc", "N", true),
            R"(Digest realm="sipcc", nonce="N", algorithm=MD5, qop="auth", stale=true)");
}

// 3 failures in 10 s block for 20 s; each step is checked in order.
TEST(RegistrarLimiter, BlocksAfterFailuresInTheWindow) {
  // fail, succeed: what happens; blocked, open: what blocked() must say.
  enum op { fail, succeed, blocked, open };
  struct step {
    op what;
    const char* key;
    int64_t t;
  };
  struct limiter_case {
    const char* name;
    std::vector<step> steps;
  };
  const limiter_case cases[] = {
      {"below the limit", {{fail, "a", 0}, {fail, "a", 1}, {open, "a", 2}}},
      {"at the limit: blocked for block_s",
       {{fail, "a", 0}, {fail, "a", 1}, {fail, "a", 2}, {blocked, "a", 2}, {blocked, "a", 21},
        {open, "a", 22}}},
      {"failures out of the window do not count",
       {{fail, "a", 0}, {fail, "a", 5}, {fail, "a", 10}, {open, "a", 10}, {fail, "a", 11},
        {blocked, "a", 11}}},
      {"per key", {{fail, "a", 0}, {fail, "a", 0}, {fail, "a", 0}, {open, "b", 0}}},
      {"a success forgets the failures",
       {{fail, "a", 0}, {fail, "a", 1}, {succeed, "a", 2}, {fail, "a", 3}, {open, "a", 3}}},
      {"after a block the count starts again",
       {{fail, "a", 0}, {fail, "a", 0}, {fail, "a", 0}, {fail, "a", 20}, {fail, "a", 21},
        {open, "a", 21}, {fail, "a", 22}, {blocked, "a", 22}}},
      {"unknown key", {{open, "x", 0}}},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    failure_limiter l(3, 10, 20);
    for (size_t i = 0; i < c.steps.size(); ++i) {
      auto& s = c.steps[i];
      if (s.what == fail)
        l.failed(s.key, s.t);
      else if (s.what == succeed)
        l.succeeded(s.key);
      else
        EXPECT_EQ(l.blocked(s.key, s.t), s.what == blocked) << "step " << i;
    }
  }
}

// REGISTER processing: each case starts from a table where 2000 has
// sip:2000@10.0.0.1 (Call-ID a, CSeq 1, 600 s) registered at t=0.
constexpr const char* kSecret = "k";
constexpr const char* kPhone = "sip:2000@10.0.0.1:5062";
constexpr const char* kRequestUri = "sip:sipcc";

// A nonce the table would accept, unique like the table's own.
std::string nonce_at(int64_t t) {
  static uint64_t serial = 1000000;
  return make_nonce(kSecret, t, ++serial);
}

// An Authorization header; every field can be changed before header().
struct creds {
  std::string user = "2000", password = "secret", nonce, realm = "sipcc", uri = kRequestUri,
              qop = "auth", nc = "00000001", cnonce = "abc", extra;
  std::string header() const {
    digest_credentials c;
    c.username = user;
    c.realm = realm;
    c.nonce = nonce;
    c.uri = uri;
    c.qop = qop;
    c.nc = nc;
    c.cnonce = cnonce;
    std::string counted =
        qop.empty() ? "" : ", qop=" + qop + ", nc=" + nc + ", cnonce=\"" + cnonce + "\"";
    return "Digest username=\"" + user + "\", realm=\"" + realm + "\", nonce=\"" + nonce +
           "\", uri=\"" + uri + "\"" + counted + ", response=\"" +
           digest_response(c, "REGISTER", password) + "\"" + extra;
  }
};

creds creds_for(std::string user, std::string password, int64_t nonce_t) {
  creds c;
  c.user = std::move(user);
  c.password = std::move(password);
  c.nonce = nonce_at(nonce_t);
  return c;
}

register_request reg(std::string aor, std::vector<register_request::contact> contacts,
                     std::optional<uint32_t> expires, std::string call_id, uint32_t cseq,
                     int64_t now, std::string password = "secret") {
  register_request r;
  r.aor = aor;
  r.request_uri = kRequestUri;
  r.contacts = std::move(contacts);
  r.expires = expires;
  r.call_id = std::move(call_id);
  r.cseq = cseq;
  r.authorization = creds_for(aor, password, now).header();
  return r;
}

template <typename Edit>
register_request with(register_request r, Edit edit) {
  edit(r);
  return r;
}

binding_table fresh_table(limits lim = {}) {
  binding_table t(lim, {{"2000", "secret"}, {"2001", "other"}}, kSecret);
  auto o = t.handle(reg("2000", {{kPhone, std::nullopt}}, 600, "a", 1, 0), 0);
  EXPECT_EQ(o.status, 200) << o.phrase;
  return t;
}

// The nonce of a 401's WWW-Authenticate.
std::string nonce_of(const outcome& o) {
  auto at = o.www_authenticate.find("nonce=\"");
  if (at == std::string::npos)
    return "";
  at += 7;
  return o.www_authenticate.substr(at, o.www_authenticate.find('"', at) - at);
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
    bool stale = false;            // 401 with stale=true
  };
  const std::string other = "sip:2000@10.0.0.2:5060";
  auto authorized = [&](creds c) {
    return with(reg("2000", {{other, 600}}, std::nullopt, "b", 1, 0),
                [&](register_request& r) { r.authorization = c.header(); });
  };
  auto edited = [](creds c, auto edit) {
    edit(c);
    return c;
  };
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
      {"nonce from within the clock skew", reg("2000", {{other, 600}}, std::nullopt, "b", 1, 105),
       100, 200, "OK", {{"2000", other, 600}}, {{"2000", kPhone, 500}, {"2000", other, 600}}},
      {"without qop (RFC 2069)",
       authorized(edited(creds_for("2000", "secret", 0), [](creds& c) { c.qop.clear(); })), 0,
       200, "OK", {{"2000", other, 600}}, {{"2000", kPhone, 600}, {"2000", other, 600}}},
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
      {"no To user", reg("", {{other, 600}}, std::nullopt, "b", 1, 0), 0, 400,
       "No DN in the To header", {}, {}},
      {"wrong password", reg("2000", {{other, 600}}, std::nullopt, "b", 1, 0, "guess"), 0, 403,
       "Authentication failed", {}, {}},
      {"another DN's credentials", authorized(creds_for("2001", "other", 0)), 0, 403,
       "Credentials are not those of DN 2000", {}, {}},
      {"no credentials",
       with(reg("2000", {{other, 600}}, std::nullopt, "b", 1, 0),
            [](register_request& r) { r.authorization.reset(); }),
       0, 401, "Unauthorized", {}, {}},
      // RFC 7616 3.3: stale only for a response right with the old nonce.
      {"stale nonce", reg("2000", {{other, 600}}, std::nullopt, "b", 1, 0), 301, 401,
       "Unauthorized", {}, {}, true},
      {"stale nonce, wrong password", reg("2000", {{other, 600}}, std::nullopt, "b", 1, 0, "guess"),
       301, 403, "Authentication failed", {}, {}},
      {"another realm",
       authorized(edited(creds_for("2000", "secret", 0), [](creds& c) { c.realm = "asterisk"; })),
       0, 401, "Unauthorized", {}, {}},
      {"nonce of another secret",
       authorized(edited(creds_for("2000", "secret", 0),
                         [](creds& c) { c.nonce = make_nonce("x", 0, 1); })),
       0, 401, "Unauthorized", {}, {}},
      {"malformed Authorization",
       with(reg("2000", {{other, 600}}, std::nullopt, "b", 1, 0),
            [](register_request& r) { r.authorization = "Digest realm=\"sipcc\", username=\"2000"; }),
       0, 400, "Malformed Authorization: bad header syntax", {}, {}},
      // RFC 4475 3.3.7 (regaut01): a scheme sipcc does not know is no
      // credentials; the answer is sipcc's challenge.
      {"unknown Authorization scheme",
       with(reg("2000", {{other, 600}}, std::nullopt, "b", 1, 0),
            [](register_request& r) { r.authorization = "NoOneKnowsThisScheme opaque-data=here"; }),
       0, 401, "Unauthorized", {}, {}},
      {"SHA-256",
       authorized(edited(creds_for("2000", "secret", 0),
                         [](creds& c) { c.extra = ", algorithm=SHA-256"; })),
       0, 400, "Unsupported digest algorithm SHA-256", {}, {}},
      // RFC 7616 3.4.6: the response signs the uri, so it must be the Request-URI.
      {"digest uri is not the Request-URI",
       authorized(edited(creds_for("2000", "secret", 0), [](creds& c) { c.uri = "sip:other"; })),
       0, 400, "Digest uri is not the Request-URI", {}, {}},
      {"Request-URI changed under the credentials",
       with(reg("2000", {{other, 600}}, std::nullopt, "b", 1, 0),
            [](register_request& r) { r.request_uri = "sip:sipcc;transport=tcp"; }),
       0, 400, "Digest uri is not the Request-URI", {}, {}},
      // An unknown DN (or one without password) is challenged like a known
      // one; its credentials are refused like a wrong password.
      {"unknown DN, no credentials",
       with(reg("3000", {{other, 600}}, std::nullopt, "b", 1, 0),
            [](register_request& r) { r.authorization.reset(); }),
       0, 401, "Unauthorized", {}, {}},
      {"unknown DN, credentials", reg("3000", {{other, 600}}, std::nullopt, "b", 1, 0), 0, 403,
       "Authentication failed", {}, {}},
      {"unknown DN, empty password", reg("3000", {{other, 600}}, std::nullopt, "b", 1, 0, ""), 0,
       403, "Authentication failed", {}, {}},
      {"unknown DN, stale nonce", reg("3000", {{other, 600}}, std::nullopt, "b", 1, 0), 301, 403,
       "Authentication failed", {}, {}},
      {"unknown DN, another realm",
       with(reg("3000", {{other, 600}}, std::nullopt, "b", 1, 0),
            [&](register_request& r) {
              r.authorization =
                  edited(creds_for("3000", "x", 0), [](creds& c) { c.realm = "asterisk"; })
                      .header();
            }),
       0, 401, "Unauthorized", {}, {}},
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
      EXPECT_EQ(o.www_authenticate,
                challenge("sipcc", nonce_of(o), c.stale));
      EXPECT_EQ(check_nonce(kSecret, nonce_of(o), c.now, 300), nonce_check::fresh);
    } else {
      EXPECT_EQ(o.www_authenticate, "");
    }
    EXPECT_EQ(o.min_expires, c.status == 423 ? 60u : 0u);
    EXPECT_EQ(o.retry_after, 0u);
  }
}

// Each challenge carries its own nonce, also within one second, so that
// nonce-counts are tracked per client.
TEST(RegistrarTable, EveryChallengeHasItsOwnNonce) {
  auto t = fresh_table();
  register_request r;
  r.aor = "2000";
  r.request_uri = kRequestUri;
  auto a = t.handle(r, 5), b = t.handle(r, 5);
  ASSERT_EQ(a.status, 401);
  ASSERT_EQ(b.status, 401);
  EXPECT_NE(nonce_of(a), nonce_of(b));
  EXPECT_EQ(check_nonce(kSecret, nonce_of(a), 5, 300), nonce_check::fresh);
}

// Replay: per nonce, a nonce-count must be above the highest accepted, and a
// nonce without qop serves once. Each case runs its steps in order on a fresh
// table; a refused replay changes no binding.
TEST(RegistrarTable, ReplayedCredentialsAreChallenged) {
  const std::string other = "sip:2000@10.0.0.2:5060";
  const std::string n = nonce_at(10);
  auto nonce_nc = [&](const std::string& nc, const std::string& password = "secret") {
    creds c;
    c.nonce = n;
    c.nc = nc;
    c.password = password;
    return c;
  };
  auto no_qop = [&] {
    creds c;
    c.nonce = n;
    c.qop.clear();
    return c;
  };
  struct step {
    creds c;
    bool unregister_all;  // Contact: * and Expires: 0, else `other` for 600 s
    int64_t now;
    int status;
  };
  struct replay_case {
    const char* name;
    std::vector<step> steps;
  };
  const replay_case cases[] = {
      {"the same Authorization again, now with Contact: *",
       {{nonce_nc("00000001"), false, 10, 200}, {nonce_nc("00000001"), true, 11, 401}}},
      {"counting up is fine", {{nonce_nc("00000001"), false, 10, 200},
                               {nonce_nc("00000002"), false, 11, 200},
                               {nonce_nc("00000009"), true, 12, 200}}},
      {"an nc below the highest",
       {{nonce_nc("00000005"), false, 10, 200}, {nonce_nc("00000004"), true, 11, 401}}},
      {"nc 0 is never above anything", {{nonce_nc("00000000"), true, 10, 401}}},
      {"without qop: once", {{no_qop(), false, 10, 200}, {no_qop(), true, 11, 401}}},
      {"without qop, then with qop", {{no_qop(), false, 10, 200},
                                      {nonce_nc("ffffffff"), true, 11, 401}}},
      {"with qop, then without",
       {{nonce_nc("00000001"), false, 10, 200}, {no_qop(), true, 11, 401}}},
      {"a wrong password does not use up an nc",
       {{nonce_nc("00000007", "guess"), true, 10, 403}, {nonce_nc("00000001"), false, 11, 200}}},
      {"old, the nonce is stale rather than replayed",
       {{nonce_nc("00000001"), false, 10, 200}, {nonce_nc("00000001"), true, 311, 401}}},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto t = fresh_table();
    uint32_t cseq = 0;
    for (size_t i = 0; i < c.steps.size(); ++i) {
      SCOPED_TRACE("step " + std::to_string(i));
      auto& s = c.steps[i];
      register_request r;
      r.aor = "2000";
      r.request_uri = kRequestUri;
      r.call_id = "replay";
      r.cseq = ++cseq;
      r.authorization = s.c.header();
      if (s.unregister_all) {
        r.wildcard = true;
        r.expires = 0;
      } else {
        r.contacts = {{other, 600}};
      }
      auto before = t.all(s.now);
      auto o = t.handle(r, s.now);
      EXPECT_EQ(o.status, s.status) << o.phrase;
      if (o.status != 200) {
        EXPECT_TRUE(o.changes.empty());
        EXPECT_EQ(t.all(s.now).size(), before.size());
      }
      if (o.status == 401) {
        EXPECT_NE(nonce_of(o), n);
        bool stale = s.now > 310;
        EXPECT_EQ(o.www_authenticate.find("stale=true") != std::string::npos, stale);
        EXPECT_EQ(o.detail.rfind("replay? ", 0) == 0, !stale) << o.detail;
      }
    }
  }
}

// The nonce table is bounded: full, a nonce's first use gets 503 with the
// time until the oldest entry goes; nonces in it still work; a full table
// first forgets nonces too old to be fresh.
TEST(RegistrarTable, NonceTableIsBounded) {
  limits lim;
  lim.max_nonces_in_use = 2;
  auto t = fresh_table(lim);  // its nonce, issued at 0, is the first
  auto at = [&](const std::string& nonce, const std::string& nc, int64_t now) {
    creds c;
    c.nonce = nonce;
    c.nc = nc;
    register_request r;
    r.aor = "2000";
    r.request_uri = kRequestUri;
    r.authorization = c.header();
    return t.handle(r, now);
  };
  auto second = nonce_at(100), third = nonce_at(200), fourth = nonce_at(290);
  EXPECT_EQ(at(second, "1", 100).status, 200);
  auto full = at(third, "1", 200);
  EXPECT_EQ(full.status, 503);
  EXPECT_EQ(full.phrase, "Too many nonces in use");
  EXPECT_EQ(full.retry_after, 101u);  // the first nonce is fresh until 300
  EXPECT_EQ(at(second, "2", 200).status, 200);
  // At 301 the first nonce is stale: a full table makes room.
  EXPECT_EQ(at(third, "1", 301).status, 200);
  EXPECT_EQ(at(fourth, "1", 301).status, 503);
  // At 401 the second (issued at 100) goes.
  EXPECT_EQ(at(fourth, "1", 401).status, 200);
}

// Guessing: 5 wrong passwords within 60 s and the DN is not checked for 60 s
// (even the right password gets 403); other DNs are not affected; the answer
// is that of a wrong password, and an unknown DN answers the same way.
TEST(RegistrarTable, PasswordGuessingIsThrottled) {
  auto t = fresh_table();
  auto attempt = [&](const std::string& dn, const std::string& password, int64_t now) {
    register_request r;
    r.aor = dn;
    r.request_uri = kRequestUri;
    r.authorization = creds_for(dn, password, now).header();
    return t.handle(r, now);
  };
  struct step {
    const char* dn;
    const char* password;
    int64_t now;
    int status;
    const char* detail;
  };
  const step steps[] = {
      {"2000", "guess", 10, 403, "wrong password"},
      {"2000", "guess", 11, 403, "wrong password"},
      {"2000", "guess", 12, 403, "wrong password"},
      {"2000", "guess", 13, 403, "wrong password"},
      {"2000", "guess", 14, 403, "wrong password"},
      {"2000", "secret", 15, 403, "DN 2000: 5 wrong passwords, not checked for 60 s"},
      {"2001", "other", 15, 200, ""},
      {"2000", "secret", 73, 403, "DN 2000: 5 wrong passwords, not checked for 60 s"},
      {"2000", "secret", 74, 200, ""},
      // A success forgets the failures before it: 4 + 1 do not block.
      {"2000", "guess", 100, 403, "wrong password"},
      {"2000", "guess", 101, 403, "wrong password"},
      {"2000", "guess", 102, 403, "wrong password"},
      {"2000", "guess", 103, 403, "wrong password"},
      {"2000", "secret", 104, 200, ""},
      {"2000", "guess", 105, 403, "wrong password"},
      {"2000", "secret", 106, 200, ""},
      {"3000", "guess", 80, 403, "DN 3000 does not register on sipcc"},
      {"3000", "guess", 80, 403, "DN 3000 does not register on sipcc"},
  };
  for (size_t i = 0; i < std::size(steps); ++i) {
    auto& s = steps[i];
    SCOPED_TRACE("step " + std::to_string(i) + " DN " + s.dn);
    auto o = attempt(s.dn, s.password, s.now);
    EXPECT_EQ(o.status, s.status);
    EXPECT_EQ(o.phrase, s.status == 403 ? "Authentication failed" : "OK");
    EXPECT_EQ(o.detail, s.detail);
    EXPECT_EQ(o.www_authenticate, "");
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

// Each binding keeps the packet source of the REGISTER that made or last
// refreshed it (the edge trusts the phone's INVITEs from there), and every
// change and listing carries it.
TEST(RegistrarTable, BindingsKeepTheRegisterSource) {
  auto from = [](register_request r, std::string source) {
    r.source = std::move(source);
    return r;
  };
  binding_table t({}, {{"2000", "secret"}}, kSecret);
  auto made = t.handle(
      from(reg("2000", {{kPhone, 600}}, std::nullopt, "a", 1, 0), "203.0.113.5:40123"), 0);
  ASSERT_EQ(made.status, 200) << made.phrase;
  ASSERT_EQ(made.changes.size(), 1u);
  EXPECT_EQ(made.changes[0].source, "203.0.113.5:40123");
  ASSERT_EQ(made.bindings.size(), 1u);
  EXPECT_EQ(made.bindings[0].source, "203.0.113.5:40123");

  // The NAT mapping changed: the refresh moves the binding's source.
  auto moved = t.handle(
      from(reg("2000", {{kPhone, 600}}, std::nullopt, "a", 2, 10), "203.0.113.5:40999"), 10);
  ASSERT_EQ(moved.status, 200) << moved.phrase;
  ASSERT_EQ(moved.changes.size(), 1u);
  EXPECT_EQ(moved.changes[0].source, "203.0.113.5:40999");
  ASSERT_EQ(t.current("2000", 10).size(), 1u);
  EXPECT_EQ(t.current("2000", 10)[0].source, "203.0.113.5:40999");
  ASSERT_EQ(t.all(10).size(), 1u);
  EXPECT_EQ(t.all(10)[0].source, "203.0.113.5:40999");

  auto gone = t.expire(610);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].source, "203.0.113.5:40999");
}

}  // namespace
}  // namespace sipcc::registrar
