// sipcc as a registrar for the phones of DNs that carry a password: RFC 3261
// section 10.3 REGISTER processing, RFC 2617 / 7616 digest authentication
// (MD5, qop=auth) and the binding table with expiry. Pure: no SIP stack, no
// clock, no bus; the edge fills a register_request from the message, calls
// handle() and expire() with the time, and sends what comes back.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipcc::registrar {

// Lower-case hex MD5 of `data` (sofia-sip's su_md5).
std::string md5_hex(std::string_view data);

// The fields of an Authorization: Digest header that sipcc uses.
struct digest_credentials {
  std::string username, realm, nonce, uri, response, algorithm, qop, nc, cnonce, opaque;
};

// Parses the header value ("Digest username=\"2000\", realm=..."). Fails
// (nullopt, with `error` set) for another scheme, a broken parameter list or a
// missing username, realm, nonce, uri or response, or qop without nc/cnonce.
std::optional<digest_credentials> parse_authorization(std::string_view value,
                                                      std::string* error);

// RFC 2617 3.2.2.1: the request-digest for `method` with `password`.
std::string digest_response(const digest_credentials& c, std::string_view method,
                            std::string_view password);

// Stateless nonces: "<issued-at seconds>.<HMAC-MD5(secret, issued-at)>", so
// any edge restart or nonce from elsewhere is recognised without a table.
enum class nonce_check { fresh, stale, forged };
std::string make_nonce(std::string_view secret, int64_t now_s);
nonce_check check_nonce(std::string_view secret, std::string_view nonce, int64_t now_s,
                        int64_t max_age_s);

// The WWW-Authenticate value of a 401.
std::string challenge(std::string_view realm, std::string_view nonce, bool stale);

struct limits {
  std::string realm = "sipcc";
  uint32_t min_expires_s = 60;
  uint32_t max_expires_s = 3600;
  int64_t nonce_max_age_s = 300;
};

// One REGISTER as the edge read it.
struct register_request {
  std::string aor;                // To user: the DN
  std::string call_id;
  uint32_t cseq = 0;
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
};

// A binding that appeared, was refreshed (expires_s > 0) or is gone (0).
struct change {
  std::string dn;
  std::string contact;
  uint32_t expires_s = 0;
};

struct outcome {
  int status = 500;
  std::string phrase;
  std::string www_authenticate;  // 401
  uint32_t min_expires = 0;      // 423
  // 200: every binding of the DN now, with its remaining seconds.
  std::vector<change> bindings;
  std::vector<change> changes;   // what the bus must hear
};

class binding_table {
public:
  // `passwords`: DN -> digest password; a DN absent from it is not served here.
  binding_table(limits lim, std::map<std::string, std::string> passwords, std::string secret);

  // RFC 3261 10.3 with digest authentication first.
  outcome handle(const register_request& req, int64_t now_s);
  // Removes bindings whose time has come; returns them as changes (expires 0).
  std::vector<change> expire(int64_t now_s);
  // Every live binding, for a service that starts after the phones registered.
  std::vector<change> all(int64_t now_s) const;

private:
  outcome authenticate(const register_request& req, int64_t now_s) const;
  std::vector<change> current(const std::string& dn, int64_t now_s) const;

  limits lim_;
  std::map<std::string, std::string> passwords_;
  std::string secret_;
  std::map<std::string, std::vector<binding>> by_dn_;
};

}  // namespace sipcc::registrar
