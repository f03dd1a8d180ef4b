// The process's one NATS connection. Publishing is thread-safe (actors and
// the sofia thread publish directly); inbound traffic arrives through a few
// wildcard subscriptions whose callbacks hand each message on and return.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <google/protobuf/message_lite.h>

struct __natsConnection;
struct __natsSubscription;

namespace sipcc {

struct bus_msg {
  std::string subject;
  std::string data;
  std::string reply;  // empty unless the sender waits for an answer
};

class bus {
public:
  using handler = std::function<void(bus_msg)>;

  // Connects (retrying while the server comes up, up to `connect_wait`);
  // throws std::runtime_error with the NATS error text on failure.
  // `hear_own` false: the server does not deliver this connection's own
  // publications to its subscriptions (NATS no_echo).
  bus(const std::string& url, const std::string& name,
      std::chrono::milliseconds connect_wait = std::chrono::seconds(10), bool hear_own = true);
  ~bus();
  bus(const bus&) = delete;
  bus& operator=(const bus&) = delete;

  // Serializes and publishes; counts bus_out by subject family.
  // With `reply`: a request whose answer is to go there (an actor waits for
  // it as a bridged message, never blocking).
  bool publish(const std::string& subject, const google::protobuf::MessageLite& msg,
               const std::string& reply = "");
  bool publish_raw(const std::string& subject, const std::string& data,
                   const std::string& reply = "");

  // One async subscription (one delivery thread) for a wildcard pattern.
  // Messages of one subscription are delivered in order.
  void subscribe(const std::string& pattern, handler h, const std::string& queue = "");
  // Ends the subscriptions to exactly `pattern`; messages already received
  // are still handed on. Safe from any thread, also while one is delivered.
  void unsubscribe(const std::string& pattern);

  // Blocking request/reply: for the CLI and tests only, never inside an actor.
  std::optional<std::string> request(const std::string& subject,
                                     const google::protobuf::MessageLite& msg,
                                     std::chrono::milliseconds timeout);

  // Makes sure everything published so far reached the server.
  bool flush(std::chrono::milliseconds timeout = std::chrono::seconds(2));

  // Unsubscribes everything and closes; idempotent.
  void close();

  // Messages NATS dropped for a slow consumer, summed over subscriptions.
  int64_t dropped() const;

  // The connection itself, for the JetStream calls of kv.cpp.
  __natsConnection* native() const { return conn_; }

private:
  struct sub_ctx;
  __natsConnection* conn_ = nullptr;
  std::vector<std::unique_ptr<sub_ctx>> subs_;
  // Unsubscribed, kept until NATS says their handler will not run again.
  std::vector<std::unique_ptr<sub_ctx>> retired_;
  void reap_retired();
};

}  // namespace sipcc
