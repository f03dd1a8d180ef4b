// The registrar's Authorization handling (sip-edge/model/registrar.hpp): the
// whole input is an Authorization header value. parse_authorization reads it
// as it is; then a binding_table gets it on a REGISTER after a challenge,
// with "$NONCE" replaced by the nonce that challenge issued and "$RESPONSE"
// by the right digest, so that the fuzzer gets past the password check to
// the nonce-count and binding code (and once more, as a replay).
#include <string>

#include "fuzz_input.hpp"
#include "sip-edge/model/registrar.hpp"

namespace {

using namespace sipcc::registrar;

void replace_all(std::string& s, std::string_view from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

void check_parse(std::string_view value) {
  std::string error;
  auto c = parse_authorization(value, &error);
  sipcc::fuzz::check(c || !error.empty(), "a refused Authorization says why");
  if (!c)
    return;
  sipcc::fuzz::check(!c->username.empty() && !c->realm.empty() && !c->nonce.empty() &&
                         !c->uri.empty() && !c->response.empty(),
                     "accepted credentials have username, realm, nonce, uri and response");
  sipcc::fuzz::check(c->qop.empty() || (!c->nc.empty() && !c->cnonce.empty()),
                     "accepted credentials with qop have nc and cnonce");
  sipcc::fuzz::check(digest_response(*c, "REGISTER", "pw").size() == 32,
                     "a digest is 32 hex digits");
}

register_request request(std::optional<std::string> authorization) {
  register_request r;
  r.aor = "1000";
  r.request_uri = "sip:127.0.0.1:5060";
  r.call_id = "fuzz@127.0.0.1";
  r.cseq = 1;
  r.source = "127.0.0.1:5071";
  r.authorization = std::move(authorization);
  r.expires = 300;
  r.contacts.push_back({"sip:1000@127.0.0.1:5071", std::nullopt});
  return r;
}

// The nonce of a 401's WWW-Authenticate value.
std::string nonce_of(const std::string& www_authenticate) {
  auto at = www_authenticate.find("nonce=\"") + 7;
  return www_authenticate.substr(at, www_authenticate.find('"', at) - at);
}

void check_table(std::string_view value) {
  const int64_t now = 1700000000;
  binding_table table(limits{}, {{"1000", "pw"}}, "secret");
  auto challenged = table.handle(request(std::nullopt), now);
  sipcc::fuzz::check(challenged.status == 401, "a REGISTER without credentials is challenged");
  std::string auth(value);
  replace_all(auth, "$NONCE", nonce_of(challenged.www_authenticate));
  if (auto c = parse_authorization(auth, nullptr))
    replace_all(auth, "$RESPONSE", digest_response(*c, "REGISTER", "pw"));
  for (int i = 0; i < 2; ++i) {
    auto o = table.handle(request(auth), now + i);
    sipcc::fuzz::check(o.status >= 200 && o.status < 700, "a REGISTER gets a final status");
  }
  table.expire(now + 4000);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto value = sipcc::fuzz::as_text(data, size);
  check_parse(value);
  check_table(value);
  return 0;
}
