// sipcc as a registrar for the phones of DNs that carry a password: RFC 3261
// section 10.3 REGISTER processing, RFC 2617 / 7616 digest authentication
// (MD5, qop=auth) and the binding table with expiry. Pure: no SIP stack, no
// clock, no bus; the edge fills a register_request from the message, calls
// handle() and expire() with the time, and sends what comes back. The
// Authorization header and the digest arithmetic are sofia-sip's (its
// header parser and auth_digest); nonces are signed with OpenSSL's HMAC.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipcc::registrar {

// Equality whose time depends on the lengths only, not on where the first
// difference is: a MAC or digest compared byte by byte early-out would let
// an attacker find it byte by byte from the answer times.
bool constant_time_equal(std::string_view a, std::string_view b);

// The fields of an Authorization: Digest header that sipcc uses.
struct digest_credentials {
  std::string username, realm, nonce, uri, response, algorithm, qop, nc, cnonce, opaque;
};

// Parses the header value ("Digest username=\"2000\", realm=...") with
// sofia's Authorization parser and auth_digest_response_get. Fails (nullopt,
// with `error` set) for a value sofia cannot parse, another scheme, a
// missing username, realm, nonce, uri or response, qop without nc/cnonce, or
// an nc that is not 1 to 8 hex digits.
std::optional<digest_credentials> parse_authorization(std::string_view value,
                                                      std::string* error);

// RFC 2617 3.2.2.1: the request-digest for `method` with `password`
// (sofia's auth_digest_a1 and auth_digest_response).
std::string digest_response(const digest_credentials& c, std::string_view method,
                            std::string_view password);

// Nonces carry their own proof: "<issued-at>.<serial>.<HMAC-SHA-256(secret,
// issued-at.serial)>" in hex, so checking one needs no table. The serial makes each
// challenge's nonce unique, so that nonce-count tracking (binding_table) is
// per client even for two challenges in the same second.
enum class nonce_check { fresh, stale, forged };
std::string make_nonce(std::string_view secret, int64_t now_s, uint64_t serial);
nonce_check check_nonce(std::string_view secret, std::string_view nonce, int64_t now_s,
                        int64_t max_age_s);

// The WWW-Authenticate value of a 401.
std::string challenge(std::string_view realm, std::string_view nonce, bool stale);

// Failed password checks per key (a DN): `max_failures` within `window_s`
// block the key for `block_s`, during which the caller checks no password
// for it, so a guesser gets at most max_failures tries per block. A success
// forgets the failures. Memory: one entry per key that failed; the caller
// keys it only by configured DNs, so it is bounded by the configuration.
class failure_limiter {
public:
  failure_limiter(uint32_t max_failures, int64_t window_s, int64_t block_s);
  bool blocked(const std::string& key, int64_t now_s);
  void failed(const std::string& key, int64_t now_s);
  void succeeded(const std::string& key);

private:
  struct record {
    std::vector<int64_t> failures;  // within the window, oldest first
    int64_t blocked_until_s = 0;
  };
  uint32_t max_failures_;
  int64_t window_s_, block_s_;
  std::map<std::string, record> by_key_;
};

struct limits {
  std::string realm = "sipcc";
  uint32_t min_expires_s = 60;
  uint32_t max_expires_s = 3600;
  int64_t nonce_max_age_s = 300;
  // Nonces in use at once (each remembers its highest nonce-count until it is
  // too old to be fresh). Full: a nonce's first use gets 503 + Retry-After.
  size_t max_nonces_in_use = 10000;
  // Password guessing per DN: this many wrong answers in the window block it.
  uint32_t max_failures = 5;
  int64_t failure_window_s = 60;
  int64_t failure_block_s = 60;
};

// One REGISTER as the edge read it.
struct register_request {
  std::string aor;                // To user: the DN
  std::string request_uri;        // as the edge encodes it; the digest uri must equal it
  std::string call_id;
  uint32_t cseq = 0;
  // The packet's source (canonical IP:port): behind NAT, or from another
  // port than its Contact's, the phone sends its INVITEs from there too.
  std::string source;
  std::optional<std::string> authorization;  // the Authorization header value
  std::optional<uint32_t> expires;           // Expires header
  bool wildcard = false;          // Contact: *
  struct contact {
    std::string uri;
    std::optional<uint32_t> expires;  // ;expires= parameter
  };
  std::vector<contact> contacts;
};

struct binding {
  std::string dn;
  std::string contact;
  int64_t expires_at_s = 0;
  std::string call_id;
  uint32_t cseq = 0;
  std::string source = {};  // of the REGISTER that made or last refreshed it
};

// A binding that appeared, was refreshed (expires_s > 0) or is gone (0).
struct change {
  std::string dn;
  std::string contact;
  uint32_t expires_s = 0;
  std::string source = {};  // the binding's REGISTER source
};

struct outcome {
  int status = 500;
  std::string phrase;
  // For the edge's log only: why, where the phrase must not tell the phone
  // (a 403 for an unknown DN or a blocked one reads like a wrong password;
  // a 401 for a replay like any challenge).
  std::string detail;
  std::string www_authenticate;  // 401
  uint32_t min_expires = 0;      // 423
  uint32_t retry_after = 0;      // 503
  // 200: every binding of the DN now, with its remaining seconds.
  std::vector<change> bindings;
  std::vector<change> changes;   // what the bus must hear
};

class binding_table {
public:
  // `passwords`: DN -> digest password; a DN absent from it is not served
  // here, but is challenged like one that is (see authenticate()).
  binding_table(limits lim, std::map<std::string, std::string> passwords, std::string secret);

  // RFC 3261 10.3 with digest authentication first.
  outcome handle(const register_request& req, int64_t now_s);
  // Removes bindings whose time has come; returns them as changes (expires 0).
  std::vector<change> expire(int64_t now_s);
  // Every live binding, for a service that starts after the phones registered.
  std::vector<change> all(int64_t now_s) const;
  // The live bindings of one DN.
  std::vector<change> current(const std::string& dn, int64_t now_s) const;

private:
  outcome authenticate(const register_request& req, int64_t now_s);
  void forget_old_nonces(int64_t now_s);

  limits lim_;
  std::map<std::string, std::string> passwords_;
  std::string secret_;
  uint64_t nonce_serial_ = 0;
  // qop=auth does not sign the Contact or Expires, so a captured
  // Authorization must not be accepted twice: per nonce, when it was issued
  // and the highest nonce-count accepted (UINT32_MAX once a request without
  // qop, which has no nonce-count, used it).
  struct nonce_use {
    int64_t issued_s = 0;
    uint32_t highest_nc = 0;
  };
  std::map<std::string, nonce_use> nonces_;
  failure_limiter failures_;
  std::map<std::string, std::vector<binding>> by_dn_;
};

}  // namespace sipcc::registrar
