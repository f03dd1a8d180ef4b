#include "sip-edge/model/registrar.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <sofia-sip/auth_digest.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>
#include <sofia-sip/su_string.h>

#include "sipcc/hashes.hpp"
#include "sipcc/sofia_home.hpp"

namespace sipcc::registrar {

namespace {

// RFC 3261 10.2.1.1: what a REGISTER without any expiry asks for.
constexpr uint32_t kDefaultExpires = 3600;
// A nonce issued this far in the future is not ours (clock skew allowance).
constexpr int64_t kNonceSkewS = 5;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

outcome fail(int status, std::string phrase) {
  outcome o;
  o.status = status;
  o.phrase = std::move(phrase);
  return o;
}

// The answer to credentials that do not authenticate, whatever the reason:
// the phone must not learn whether the DN exists or is being throttled.
outcome refused(std::string detail) {
  auto o = fail(403, "Authentication failed");
  o.detail = std::move(detail);
  return o;
}

// The issue time of a nonce this secret made; nullopt for any other.
std::optional<int64_t> nonce_issued(std::string_view secret, std::string_view nonce,
                                    int64_t now_s) {
  auto first = nonce.find('.'), last = nonce.rfind('.');
  if (first == std::string_view::npos || first == last)
    return std::nullopt;
  auto ts = nonce.substr(0, first);
  int64_t issued = 0;
  auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), issued);
  if (ec != std::errc() || end != ts.data() + ts.size() || issued > now_s + kNonceSkewS ||
      !constant_time_equal(nonce.substr(last + 1), hmac_sha256_hex(secret, nonce.substr(0, last))))
    return std::nullopt;
  return issued;
}

std::optional<uint32_t> parse_nc(std::string_view nc) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(nc.data(), nc.data() + nc.size(), v, 16);
  if (nc.empty() || nc.size() > 8 || ec != std::errc() || end != nc.data() + nc.size())
    return std::nullopt;
  return v;
}

// Whether an Authorization value is in the Digest scheme (case-insensitive,
// RFC 3261 25.1); its syntax is parse_authorization's to check.
bool is_digest(std::string_view value) {
  auto start = value.find_first_not_of(" \t");
  if (start == std::string_view::npos)
    return false;
  auto scheme = value.substr(start, value.find_first_of(" \t", start) - start);
  return iequals(scheme, "Digest");
}

}  // namespace

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<digest_credentials> parse_authorization(std::string_view v, std::string* error) {
  auto bad = [&](std::string why) -> std::optional<digest_credentials> {
    if (error)
      *error = std::move(why);
    return std::nullopt;
  };
  sofia_home home;
  const sip_authorization_t* au = sip_authorization_make(home.get(), std::string(v).c_str());
  if (!au)
    return bad("bad header syntax");
  if (!au->au_scheme || !su_casematch(au->au_scheme, "Digest"))
    return bad("not a Digest Authorization");
  // sofia asserts on a header without parameters ("Digest ,", found by
  // fuzzing): the whole edge would abort on one REGISTER from anyone.
  if (!au->au_params)
    return bad("Digest without parameters");
  auth_response_t ar[1] = {};
  ar->ar_size = sizeof ar[0];
  if (auth_digest_response_get(home.get(), ar, au->au_params) < 0)
    return bad("bad header syntax");
  auto text = [](const char* s) { return std::string(s ? s : ""); };
  digest_credentials c{text(ar->ar_username), text(ar->ar_realm),  text(ar->ar_nonce),
                       text(ar->ar_uri),      text(ar->ar_response), text(ar->ar_algorithm),
                       text(ar->ar_qop),      text(ar->ar_nc),     text(ar->ar_cnonce),
                       text(ar->ar_opaque)};
  const std::pair<const char*, const std::string*> required[] = {
      {"username", &c.username}, {"realm", &c.realm},       {"nonce", &c.nonce},
      {"uri", &c.uri},           {"response", &c.response},
  };
  for (auto& [name, field] : required)
    if (field->empty())
      return bad(fmt::format("Digest parameter '{}' is missing", name));
  if (!c.qop.empty() && (c.nc.empty() || c.cnonce.empty()))
    return bad("qop without nc and cnonce");
  if (!c.nc.empty() && !parse_nc(c.nc))
    return bad("nc must be 1 to 8 hex digits");
  return c;
}

std::string digest_response(const digest_credentials& c, std::string_view method,
                            std::string_view password) {
  auto opt = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
  auth_response_t ar[1] = {};
  ar->ar_size = sizeof ar[0];
  ar->ar_username = c.username.c_str();
  ar->ar_realm = c.realm.c_str();
  ar->ar_nonce = c.nonce.c_str();
  ar->ar_uri = c.uri.c_str();
  ar->ar_nc = opt(c.nc);
  ar->ar_cnonce = opt(c.cnonce);
  ar->ar_md5 = 1;
  ar->ar_auth = !c.qop.empty();  // qop=auth is the only one served
  auth_hexmd5_t ha1, response;
  auth_digest_a1(ar, ha1, std::string(password).c_str());
  auth_digest_response(ar, response, ha1, std::string(method).c_str(), nullptr, 0);
  return response;
}

std::string make_nonce(std::string_view secret, int64_t now_s, uint64_t serial) {
  auto signed_part = fmt::format("{}.{}", now_s, serial);
  return signed_part + "." + hmac_sha256_hex(secret, signed_part);
}

nonce_check check_nonce(std::string_view secret, std::string_view nonce, int64_t now_s,
                        int64_t max_age_s) {
  auto issued = nonce_issued(secret, nonce, now_s);
  if (!issued)
    return nonce_check::forged;
  return now_s - *issued > max_age_s ? nonce_check::stale : nonce_check::fresh;
}

std::string challenge(std::string_view realm, std::string_view nonce, bool stale) {
  return fmt::format("Digest realm=\"{}\", nonce=\"{}\", algorithm=MD5, qop=\"auth\"{}", realm,
                     nonce, stale ? ", stale=true" : "");
}

failure_limiter::failure_limiter(uint32_t max_failures, int64_t window_s, int64_t block_s)
    : max_failures_(max_failures), window_s_(window_s), block_s_(block_s) {}

bool failure_limiter::blocked(const std::string& key, int64_t now_s) {
  auto it = by_key_.find(key);
  return it != by_key_.end() && it->second.blocked_until_s > now_s;
}

void failure_limiter::failed(const std::string& key, int64_t now_s) {
  auto& r = by_key_[key];
  auto& f = r.failures;
  f.erase(f.begin(), std::find_if(f.begin(), f.end(),
                                  [&](int64_t t) { return now_s - t < window_s_; }));
  f.push_back(now_s);
  if (f.size() >= max_failures_) {
    r.blocked_until_s = now_s + block_s_;
    f.clear();
  }
}

void failure_limiter::succeeded(const std::string& key) { by_key_.erase(key); }

binding_table::binding_table(limits lim, std::map<std::string, std::string> passwords,
                             std::string secret)
    : lim_(std::move(lim)),
      passwords_(std::move(passwords)),
      secret_(std::move(secret)),
      failures_(lim_.max_failures, lim_.failure_window_s, lim_.failure_block_s) {}

void binding_table::forget_old_nonces(int64_t now_s) {
  for (auto it = nonces_.begin(); it != nonces_.end();)
    it = now_s - it->second.issued_s > lim_.nonce_max_age_s ? nonces_.erase(it) : std::next(it);
}

// status 0: authenticated. A DN that is not served here goes the same way
// as one that is, up to the password check, which it always fails: before
// credentials that check could run, the answers do not tell DNs apart.
outcome binding_table::authenticate(const register_request& req, int64_t now_s) {
  auto challenge_with = [&](bool stale) {
    auto o = fail(401, "Unauthorized");
    o.www_authenticate =
        challenge(lim_.realm, make_nonce(secret_, now_s, ++nonce_serial_), stale);
    return o;
  };
  // Credentials in a scheme sipcc does not know are none for it: it
  // challenges with its own (RFC 4475 3.3.7), as for no credentials.
  if (!req.authorization || !is_digest(*req.authorization))
    return challenge_with(false);
  std::string why;
  auto cred = parse_authorization(*req.authorization, &why);
  if (!cred)
    return fail(400, "Malformed Authorization: " + why);
  if (cred->username != req.aor)
    return fail(403, "Credentials are not those of DN " + req.aor);
  if (!cred->algorithm.empty() && !iequals(cred->algorithm, "MD5"))
    return fail(400, "Unsupported digest algorithm " + cred->algorithm);
  if (!cred->qop.empty() && !iequals(cred->qop, "auth"))
    return fail(400, "Unsupported qop " + cred->qop);
  // The response signs the uri parameter, not the Request-URI: another one
  // means credentials made for another request (RFC 7616 3.4.6: 400).
  if (cred->uri != req.request_uri)
    return fail(400, "Digest uri is not the Request-URI");
  // Another realm or a nonce we did not issue: the client answered someone
  // else's challenge, so it gets ours.
  auto issued = nonce_issued(secret_, cred->nonce, now_s);
  if (cred->realm != lim_.realm || !issued)
    return challenge_with(false);

  auto password = passwords_.find(req.aor);
  bool known = password != passwords_.end();
  // Computed for an unknown or blocked DN too, so the time tells nothing.
  auto expected = digest_response(*cred, "REGISTER", known ? password->second : "");
  if (known && failures_.blocked(req.aor, now_s))
    return refused(fmt::format("DN {}: {} wrong passwords, not checked for {} s", req.aor,
                               lim_.max_failures, lim_.failure_block_s));
  if (!constant_time_equal(cred->response, expected) || !known) {
    if (known)
      failures_.failed(req.aor, now_s);
    return refused(known ? "wrong password" : "DN " + req.aor + " does not register on sipcc");
  }
  // RFC 7616 3.3: stale only says the password was right for an old nonce.
  if (now_s - *issued > lim_.nonce_max_age_s)
    return challenge_with(true);

  // A replay (nonce-count not above the highest seen) gets a new nonce,
  // which the replaying party cannot answer without the password.
  bool counted = !cred->qop.empty();
  uint32_t nc = counted ? *parse_nc(cred->nc) : UINT32_MAX;
  auto use = nonces_.find(cred->nonce);
  if (use == nonces_.end()) {
    // Only a full table is pruned: it is bounded either way, and a nonce
    // too old to be fresh never gets this far.
    if (nonces_.size() >= lim_.max_nonces_in_use)
      forget_old_nonces(now_s);
    if (nonces_.size() >= lim_.max_nonces_in_use) {
      auto o = fail(503, "Too many nonces in use");
      int64_t oldest = now_s;
      for (auto& [n, u] : nonces_)
        oldest = std::min(oldest, u.issued_s);
      o.retry_after = static_cast<uint32_t>(oldest + lim_.nonce_max_age_s + 1 - now_s);
      return o;
    }
    use = nonces_.emplace(cred->nonce, nonce_use{*issued, 0}).first;
  }
  if (counted ? nc <= use->second.highest_nc : use->second.highest_nc != 0) {
    auto o = challenge_with(false);
    o.detail = counted ? fmt::format("replay? nonce-count {} is not above {}", nc,
                                     use->second.highest_nc)
                       : "replay? a nonce without qop serves once";
    return o;
  }
  use->second.highest_nc = nc;
  failures_.succeeded(req.aor);
  return fail(0, "");
}

std::vector<change> binding_table::current(const std::string& dn, int64_t now_s) const {
  std::vector<change> out;
  auto it = by_dn_.find(dn);
  if (it == by_dn_.end())
    return out;
  for (auto& b : it->second)
    if (b.expires_at_s > now_s)
      out.push_back({dn, b.contact, static_cast<uint32_t>(b.expires_at_s - now_s), b.source});
  return out;
}

outcome binding_table::handle(const register_request& req, int64_t now_s) {
  if (req.aor.empty())
    return fail(400, "No DN in the To header");
  if (auto auth = authenticate(req, now_s); auth.status != 0)
    return auth;
  if (req.wildcard && (!req.contacts.empty() || req.expires.value_or(1) != 0))
    return fail(400, "Contact: * needs Expires: 0 and no other Contact");

  // Every check before any change: a REGISTER applies whole or not at all.
  std::vector<std::pair<std::string, uint32_t>> wanted;  // contact -> seconds
  for (auto& c : req.contacts) {
    uint32_t e = c.expires.value_or(req.expires.value_or(kDefaultExpires));
    if (e != 0 && e < lim_.min_expires_s) {
      auto o = fail(423, "Interval Too Brief");
      o.min_expires = lim_.min_expires_s;
      return o;
    }
    wanted.emplace_back(c.uri, std::min(e, lim_.max_expires_s));
  }
  auto& list = by_dn_[req.aor];
  // RFC 3261 10.3 step 7: a repeated or older request of the same Call-ID
  // must not undo a newer one.
  auto out_of_order = [&](const binding& b) {
    return b.call_id == req.call_id && req.cseq <= b.cseq;
  };
  for (auto& b : list) {
    bool touched = req.wildcard || std::any_of(wanted.begin(), wanted.end(), [&](auto& w) {
                     return w.first == b.contact;
                   });
    if (touched && out_of_order(b))
      return fail(500, "REGISTER out of order (CSeq not above the binding's)");
  }

  outcome o;
  o.status = 200;
  o.phrase = "OK";
  if (req.wildcard) {
    for (auto& b : list)
      o.changes.push_back({req.aor, b.contact, 0, b.source});
    list.clear();
  }
  for (auto& [contact, seconds] : wanted) {
    auto it = std::find_if(list.begin(), list.end(),
                           [&c = contact](const binding& b) { return b.contact == c; });
    if (seconds == 0) {
      if (it != list.end()) {
        o.changes.push_back({req.aor, contact, 0, it->source});
        list.erase(it);
      }
      continue;
    }
    if (it == list.end())
      it = list.insert(list.end(), binding{req.aor, contact, 0, {}, 0});
    it->expires_at_s = now_s + seconds;
    it->call_id = req.call_id;
    it->cseq = req.cseq;
    // A refresh moves it: the phone's NAT mapping may have changed.
    it->source = req.source;
    o.changes.push_back({req.aor, contact, seconds, req.source});
  }
  if (list.empty())
    by_dn_.erase(req.aor);
  o.bindings = current(req.aor, now_s);
  return o;
}

std::vector<change> binding_table::expire(int64_t now_s) {
  std::vector<change> gone;
  for (auto it = by_dn_.begin(); it != by_dn_.end();) {
    auto& list = it->second;
    for (auto b = list.begin(); b != list.end();) {
      if (b->expires_at_s <= now_s) {
        gone.push_back({b->dn, b->contact, 0, b->source});
        b = list.erase(b);
      } else {
        ++b;
      }
    }
    it = list.empty() ? by_dn_.erase(it) : std::next(it);
  }
  return gone;
}

std::vector<change> binding_table::all(int64_t now_s) const {
  std::vector<change> out;
  for (auto& [dn, list] : by_dn_) {
    auto some = current(dn, now_s);
    out.insert(out.end(), some.begin(), some.end());
  }
  return out;
}

}  // namespace sipcc::registrar
