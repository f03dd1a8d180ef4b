#include "sipcc/bus.hpp"

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include "sipcc/bus_auth.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/bus_tls.hpp"
#include "sipcc/counters.hpp"

namespace sipcc {

namespace {

std::string family_label(const std::string& subject) {
  auto* info = classify_subject(subject);
  return info ? info->name : "other";
}

// Slow consumers drop silently past the default 65,536 pending messages;
// allow a deep queue and export the drops.
constexpr int kPendingMsgs = 1 << 20;
constexpr int kPendingBytes = 1 << 30;

// Applies the TLS settings; the error names what failed (nats_GetLastError
// says which file and why).
natsStatus apply_tls(natsOptions* opts, const bus_tls& tls, std::string& what) {
  natsStatus s = NATS_OK;
  if (!tls.on())
    return s;
  s = natsOptions_SetSecure(opts, true);
  if (s == NATS_OK && !tls.ca.empty()) {
    what = "SIPCC_NATS_CA " + tls.ca;
    s = natsOptions_LoadCATrustedCertificates(opts, tls.ca.c_str());
  }
  if (s == NATS_OK && !tls.cert.empty()) {
    what = "SIPCC_NATS_CERT " + tls.cert + " / SIPCC_NATS_KEY " + tls.key;
    s = natsOptions_LoadCertificatesChain(opts, tls.cert.c_str(), tls.key.c_str());
  }
  if (s == NATS_OK && !tls.hostname.empty()) {
    what = "SIPCC_NATS_TLS_HOSTNAME";
    s = natsOptions_SetExpectedHostname(opts, tls.hostname.c_str());
  }
  return s;
}

// Applies the credentials: the user, its password (read from its file when
// given so) and the user's own inbox prefix.
natsStatus apply_auth(natsOptions* opts, bus_auth auth, std::string& what) {
  if (!auth.on())
    return NATS_OK;
  if (!auth.password_file.empty()) {
    std::ifstream in(auth.password_file);
    if (!in)
      throw std::invalid_argument("SIPCC_NATS_PASSWORD_FILE " + auth.password_file +
                                  " cannot be read");
    std::ostringstream text;
    text << in.rdbuf();
    auth.password = password_of_file_text(text.str());
    if (auth.password.empty())
      throw std::invalid_argument("SIPCC_NATS_PASSWORD_FILE " + auth.password_file +
                                  " holds no password");
  }
  what = "SIPCC_NATS_USER " + auth.user;
  natsStatus s = natsOptions_SetUserInfo(opts, auth.user.c_str(), auth.password.c_str());
  if (s == NATS_OK)
    s = natsOptions_SetCustomInboxPrefix(opts, auth.inbox_prefix().c_str());
  return s;
}

// The server's asynchronous errors (a publish or subscription the user's
// permissions refuse: the publish call itself succeeded) go to the log, so a
// service whose allow list misses a subject says so.
void log_async_error(natsConnection* nc, natsSubscription*, natsStatus err, void*) {
  const char* text = nullptr;
  natsConnection_GetLastError(nc, &text);
  spdlog::error("bus: NATS error: {} ({})", text && *text ? text : "", natsStatus_GetText(err));
}

// A variable's value; unset and empty are the same.
std::string env_value(const std::function<const char*(const char*)>& env, const char* name) {
  const char* v = env(name);
  return std::string(v ? v : "");
}

}  // namespace

bus_auth bus_auth_from(const std::function<const char*(const char*)>& env) {
  bus_auth a{env_value(env, "SIPCC_NATS_USER"), env_value(env, "SIPCC_NATS_PASSWORD"),
             env_value(env, "SIPCC_NATS_PASSWORD_FILE")};
  const bool secret = !a.password.empty() || !a.password_file.empty();
  if (!a.on() && secret)
    throw std::invalid_argument(a.password.empty()
                                    ? "SIPCC_NATS_PASSWORD_FILE is set without SIPCC_NATS_USER"
                                    : "SIPCC_NATS_PASSWORD is set without SIPCC_NATS_USER");
  if (a.on() && !secret)
    throw std::invalid_argument(
        "SIPCC_NATS_USER is set without SIPCC_NATS_PASSWORD or SIPCC_NATS_PASSWORD_FILE");
  if (!a.password.empty() && !a.password_file.empty())
    throw std::invalid_argument(
        "SIPCC_NATS_PASSWORD and SIPCC_NATS_PASSWORD_FILE are both set; set one");
  // The user names its inbox subjects (_INBOX_<user>): one subject token.
  for (char c : a.user)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      throw std::invalid_argument("SIPCC_NATS_USER may hold letters, digits, '-' and '_' only");
  return a;
}

std::string password_of_file_text(const std::string& text) {
  auto line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return line;
}

bus_tls bus_tls_from(const std::function<const char*(const char*)>& env) {
  auto get = [&](const char* name) { return env_value(env, name); };
  bus_tls t{get("SIPCC_NATS_CA"), get("SIPCC_NATS_CERT"), get("SIPCC_NATS_KEY"),
            get("SIPCC_NATS_TLS_HOSTNAME")};
  if (t.cert.empty() != t.key.empty())
    throw std::invalid_argument(t.cert.empty() ? "SIPCC_NATS_KEY is set without SIPCC_NATS_CERT"
                                               : "SIPCC_NATS_CERT is set without SIPCC_NATS_KEY");
  if (!t.hostname.empty() && !t.on())
    throw std::invalid_argument(
        "SIPCC_NATS_TLS_HOSTNAME is set without SIPCC_NATS_CA or SIPCC_NATS_CERT");
  return t;
}

struct bus::sub_ctx {
  handler h;
  std::string pattern;
  natsSubscription* sub = nullptr;
  std::atomic<bool> done{false};  // retired and its handler has returned for good
};

bus::bus(const std::string& url, const std::string& name,
         std::chrono::milliseconds connect_wait, bool hear_own) {
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetURL(opts, url.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(opts, name.c_str());
  // Latency matters more than batching for signalling.
  if (s == NATS_OK) s = natsOptions_SetSendAsap(opts, true);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 500);
  // One delivery thread for every subscription of the process, so messages
  // of different subjects are handed on in the order the server sent them:
  // a call's DnCallFact (callctl) must reach presence before the phone's
  // busy NOTIFY that the call caused (edge), or presence takes it for a
  // private call. Per-subscription threads would race the two. Handlers
  // never block (they hand messages to actors or to the sofia thread).
  if (s == NATS_OK) s = nats_SetMessageDeliveryPoolSize(1);
  if (s == NATS_OK) s = natsOptions_UseGlobalMessageDelivery(opts, true);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, log_async_error, nullptr);
  if (s == NATS_OK && !hear_own) s = natsOptions_SetNoEcho(opts, true);
  std::string what = "NATS options";
  if (s == NATS_OK) {
    try {
      s = apply_tls(opts, bus_tls_from(std::getenv), what);
      if (s == NATS_OK)
        s = apply_auth(opts, bus_auth_from(std::getenv), what);
    } catch (const std::invalid_argument&) {
      natsOptions_Destroy(opts);
      throw;
    }
  }
  if (s != NATS_OK) {
    natsOptions_Destroy(opts);
    const char* detail = nats_GetLastError(nullptr);
    throw std::runtime_error(what + ": " + natsStatus_GetText(s) +
                             (detail && *detail ? std::string(" (") + detail + ")" : ""));
  }
  auto deadline = std::chrono::steady_clock::now() + connect_wait;
  std::string refused;
  for (;;) {
    s = natsConnection_Connect(&conn_, opts);
    // Refused credentials stay refused: no retry.
    if (s == NATS_NOT_PERMITTED || s == NATS_CONNECTION_AUTH_FAILED) {
      const char* detail = nats_GetLastError(nullptr);
      refused = std::string(" (") + (detail && *detail ? detail : "refused") +
                "; SIPCC_NATS_USER and its password)";
      break;
    }
    if (s == NATS_OK || std::chrono::steady_clock::now() >= deadline)
      break;
    // The server may still be starting (run command, compose): poll.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  natsOptions_Destroy(opts);
  if (s != NATS_OK)
    throw std::runtime_error("cannot connect to NATS at " + url + ": " + natsStatus_GetText(s) +
                             refused);
}

bus::~bus() { close(); }

bool bus::publish_raw(const std::string& subject, const std::string& data,
                      const std::string& reply) {
  if (!conn_)
    return false;
  natsStatus s = reply.empty()
                     ? natsConnection_Publish(conn_, subject.c_str(), data.data(),
                                              static_cast<int>(data.size()))
                     : natsConnection_PublishRequest(conn_, subject.c_str(), reply.c_str(),
                                                     data.data(), static_cast<int>(data.size()));
  if (s != NATS_OK) {
    spdlog::warn("bus: publish to {} failed: {}", subject, natsStatus_GetText(s));
    return false;
  }
  process_counters().add(counter_id::bus_out, family_label(subject));
  return true;
}

bool bus::publish(const std::string& subject, const google::protobuf::MessageLite& msg,
                  const std::string& reply) {
  return publish_raw(subject, msg.SerializeAsString(), reply);
}

// Guards every bus's subscription list: a service may subscribe from another
// thread than its main one (callctl joins the INVITE queue group from its
// lease keeper's), while the counters read the drops.
std::mutex subs_mu;

void bus::subscribe(const std::string& pattern, handler h, const std::string& queue) {
  auto ctx = std::make_unique<sub_ctx>();
  ctx->h = std::move(h);
  ctx->pattern = pattern;
  auto cb = [](natsConnection*, natsSubscription*, natsMsg* m, void* closure) {
    auto* c = static_cast<sub_ctx*>(closure);
    bus_msg bm;
    bm.subject = natsMsg_GetSubject(m);
    bm.data.assign(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
    if (auto* r = natsMsg_GetReply(m))
      bm.reply = r;
    natsMsg_Destroy(m);
    process_counters().add(counter_id::bus_in, family_label(bm.subject));
    c->h(std::move(bm));
  };
  natsStatus s;
  if (queue.empty())
    s = natsConnection_Subscribe(&ctx->sub, conn_, pattern.c_str(), cb, ctx.get());
  else
    s = natsConnection_QueueSubscribe(&ctx->sub, conn_, pattern.c_str(), queue.c_str(), cb,
                                      ctx.get());
  if (s == NATS_OK)
    s = natsSubscription_SetPendingLimits(ctx->sub, kPendingMsgs, kPendingBytes);
  if (s != NATS_OK)
    throw std::runtime_error("cannot subscribe to " + pattern + ": " + natsStatus_GetText(s));
  std::lock_guard lock(subs_mu);
  subs_.push_back(std::move(ctx));
}

void bus::unsubscribe(const std::string& pattern) {
  std::lock_guard lock(subs_mu);
  reap_retired();
  for (auto it = subs_.begin(); it != subs_.end();) {
    if ((*it)->pattern != pattern) {
      ++it;
      continue;
    }
    auto& c = **it;
    // Drained, not just unsubscribed: what arrived is still handed on, and
    // the completion callback says when the handler can no longer run.
    natsSubscription_SetOnCompleteCB(
        c.sub, [](void* closure) { static_cast<sub_ctx*>(closure)->done = true; }, &c);
    if (natsSubscription_Drain(c.sub) != NATS_OK)
      natsSubscription_Unsubscribe(c.sub);
    retired_.push_back(std::move(*it));
    it = subs_.erase(it);
  }
}

// Under subs_mu.
void bus::reap_retired() {
  for (auto it = retired_.begin(); it != retired_.end();) {
    if (!(*it)->done) {
      ++it;
      continue;
    }
    natsSubscription_Destroy((*it)->sub);
    it = retired_.erase(it);
  }
}

std::optional<std::string> bus::request(const std::string& subject,
                                        const google::protobuf::MessageLite& msg,
                                        std::chrono::milliseconds timeout) {
  auto data = msg.SerializeAsString();
  natsMsg* reply = nullptr;
  natsStatus s = natsConnection_Request(&reply, conn_, subject.c_str(), data.data(),
                                        static_cast<int>(data.size()),
                                        static_cast<int64_t>(timeout.count()));
  if (s != NATS_OK)
    return std::nullopt;
  process_counters().add(counter_id::bus_out, family_label(subject));
  std::string out(natsMsg_GetData(reply), static_cast<size_t>(natsMsg_GetDataLength(reply)));
  natsMsg_Destroy(reply);
  return out;
}

bool bus::flush(std::chrono::milliseconds timeout) {
  return conn_ && natsConnection_FlushTimeout(conn_, static_cast<int64_t>(timeout.count())) ==
                      NATS_OK;
}

int64_t bus::dropped() const {
  int64_t total = 0;
  std::lock_guard lock(subs_mu);
  for (auto& c : subs_) {
    int64_t d = 0;
    if (c->sub && natsSubscription_GetDropped(c->sub, &d) == NATS_OK)
      total += d;
  }
  return total;
}

void bus::close() {
  if (!conn_)
    return;
  std::lock_guard lock(subs_mu);
  for (auto& c : subs_) {
    // Drain so the delivery thread has left our callback before it goes.
    if (natsSubscription_Drain(c->sub) == NATS_OK)
      natsSubscription_WaitForDrainCompletion(c->sub, 2000);
    natsSubscription_Destroy(c->sub);
    c->sub = nullptr;
  }
  for (auto& c : retired_) {
    natsSubscription_WaitForDrainCompletion(c->sub, 2000);
    natsSubscription_Destroy(c->sub);
  }
  retired_.clear();
  natsConnection_Close(conn_);
  natsConnection_Destroy(conn_);
  conn_ = nullptr;
}

}  // namespace sipcc
