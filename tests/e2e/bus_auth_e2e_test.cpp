// Authorization on the bus with real processes: nats-server runs the shipped
// allow lists (deploy/nats/permissions.conf) and the fixture's users, each
// service connects as its own user, and a party that tries a subject it may
// not use is refused by the server: told so asynchronously ("Permissions
// Violation"), and nobody receives the message. A desktop user may send the
// requests of its DN and hear that DN's events only; a wrong password does
// not connect.
#include <gtest/gtest.h>

#include <nats/nats.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "sipcc/bus.hpp"
#include "sipcc/bus_schema.hpp"
#include "sipcc/v1/call.pb.h"
#include "sipcc/v1/state.pb.h"
#include "sipcc_fixture.hpp"
#include "tlib_request.hpp"

namespace sipcc::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 10s;

// A NATS client as a desktop or an intruder writes it (nats.c directly): it
// keeps the server's asynchronous errors, which sipcc's bus only logs.
class raw_client {
public:
  raw_client(const std::string& url, const std::string& user, const std::string& password) {
    natsOptions* opts = nullptr;
    natsOptions_Create(&opts);
    natsOptions_SetURL(opts, url.c_str());
    natsOptions_SetUserInfo(opts, user.c_str(), password.c_str());
    // sipcc's inbox scheme: the user may read _INBOX_<user>.> only.
    natsOptions_SetCustomInboxPrefix(opts, ("_INBOX_" + user).c_str());
    natsOptions_SetErrorHandler(opts, on_error, this);
    natsStatus s = natsConnection_Connect(&nc_, opts);
    natsOptions_Destroy(opts);
    if (s != NATS_OK)
      throw std::runtime_error(user + " cannot connect: " + natsStatus_GetText(s));
  }
  ~raw_client() {
    for (auto* sub : subs_)
      natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc_);
  }

  void publish(const std::string& subject, const google::protobuf::MessageLite& m) {
    const auto data = m.SerializeAsString();
    ASSERT_EQ(natsConnection_Publish(nc_, subject.c_str(), data.data(),
                                     static_cast<int>(data.size())),
              NATS_OK);
    // Sent now: what the server says about it comes before the PONG.
    ASSERT_EQ(natsConnection_FlushTimeout(nc_, 5000), NATS_OK);
  }
  std::optional<v1::TEvent> request(const std::string& subject, const v1::TRequest& r) {
    const auto data = r.SerializeAsString();
    natsMsg* reply = nullptr;
    if (natsConnection_Request(&reply, nc_, subject.c_str(), data.data(),
                               static_cast<int>(data.size()), 5000) != NATS_OK)
      return std::nullopt;
    v1::TEvent ev;
    ev.ParseFromArray(natsMsg_GetData(reply), natsMsg_GetDataLength(reply));
    natsMsg_Destroy(reply);
    return ev;
  }
  // A synchronous subscription, its messages read with next().
  natsSubscription* subscribe(const std::string& subject) {
    natsSubscription* sub = nullptr;
    EXPECT_EQ(natsConnection_SubscribeSync(&sub, nc_, subject.c_str()), NATS_OK);
    EXPECT_EQ(natsConnection_FlushTimeout(nc_, 5000), NATS_OK);
    subs_.push_back(sub);
    return sub;
  }
  std::optional<v1::TEvent> next_event(natsSubscription* sub, v1::EventType type) {
    const auto until = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < until) {
      natsMsg* m = nullptr;
      if (natsSubscription_NextMsg(&m, sub, 500) != NATS_OK)
        continue;
      v1::TEvent ev;
      const bool ok = ev.ParseFromArray(natsMsg_GetData(m), natsMsg_GetDataLength(m));
      natsMsg_Destroy(m);
      if (ok && ev.type() == type)
        return ev;
    }
    return std::nullopt;
  }
  // Waits for an asynchronous error holding `text`.
  bool wait_error(const std::string& text) {
    std::unique_lock<std::mutex> g(mu_);
    return cv_.wait_for(g, kWait, [&] {
      for (auto& e : errors_)
        if (e.find(text) != std::string::npos)
          return true;
      return false;
    });
  }
  std::string errors() const {
    std::lock_guard<std::mutex> g(mu_);
    std::string all;
    for (auto& e : errors_)
      all += e + "; ";
    return all;
  }

private:
  static void on_error(natsConnection* nc, natsSubscription*, natsStatus, void* self) {
    auto* c = static_cast<raw_client*>(self);
    const char* text = nullptr;
    natsConnection_GetLastError(nc, &text);
    {
      std::lock_guard<std::mutex> g(c->mu_);
      c->errors_.push_back(text ? text : "");
    }
    c->cv_.notify_all();
  }
  natsConnection* nc_ = nullptr;
  std::vector<natsSubscription*> subs_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> errors_;
};

class BusAuthE2E : public ::testing::Test {
protected:
  void SetUp() override {
    system_options opts;
    opts.dns = {{"1000"}, {"1001"}};
    opts.agents = {"agent1000", "agent1001"};
    opts.desktops = {{"desktop-1000", {"1000"}}};
    sys = std::make_unique<sipcc_system>(opts);
    sys->asterisk().set_initial_notify("1000", "presence-notify-open.sip");
    sys->asterisk().set_initial_notify("1001", "presence-notify-open.sip");
    // The services run as their users: presence's key-value bucket and
    // leases (JetStream, through the per-user inbox) work, or it is never ready.
    sys->start_services();
  }
  raw_client as(const std::string& user) {
    return raw_client(sys->nats_url(), user, sys->nats_password(user));
  }
  // Whether the recorder (which may read everything) got a message on `subject`.
  bool recorded(const std::string& subject) {
    for (auto& m : sys->recorder().all())
      if (m.subject == subject)
        return true;
    return false;
  }
  // Waits for the nth message on `subject` at the recorder.
  bool wait_recorded(const std::string& subject, int nth = 1) {
    int seen = 0;
    return sys->recorder()
        .wait(
            [&](const bus_msg& m) {
              if (&m == &sys->recorder().all_front())
                seen = 0;
              return m.subject == subject && ++seen == nth;
            },
            kWait)
        .has_value();
  }
  std::unique_ptr<sipcc_system> sys;
};

// A service's user may not act as another service: mwi sending the edge a
// LegCommand (an INVITE to anywhere) is refused and never reaches the edge.
TEST_F(BusAuthE2E, AServiceUserCannotPublishAnotherServicesCommands) {
  auto mwi = as("mwi");
  v1::LegCommand cmd;
  cmd.set_schema(v1::SCHEMA_V1);
  cmd.set_leg_id("intruder-1");
  cmd.mutable_invite()->set_target_uri("sip:premium@example.com");
  const auto forbidden = subj::edge_leg("edge1");
  mwi.publish(forbidden, cmd);
  EXPECT_TRUE(mwi.wait_error("Permissions Violation for Publish to \"" + forbidden + "\""))
      << mwi.errors();
  // Something mwi may send, after it on the same connection: once the
  // recorder has it, the LegCommand would have come before it.
  v1::TEvent marker;
  marker.set_schema(v1::SCHEMA_V1);
  marker.set_type(v1::EventUserEvent);
  marker.set_this_dn("1000");
  mwi.publish(subj::tlib_evt("1000"), marker);
  ASSERT_TRUE(wait_recorded(subj::tlib_evt("1000"))) << "logs in " << sys->dir();
  EXPECT_FALSE(recorded(forbidden));
  // Nor may it listen to the edge's commands.
  mwi.subscribe(subj::edge_leg("*"));
  EXPECT_TRUE(mwi.wait_error("Permissions Violation for Subscription to \"" +
                             subj::edge_leg("*") + "\""))
      << mwi.errors();
}

// The operator (sipccctl) reads everything and asks, but cannot command.
TEST_F(BusAuthE2E, TheOperatorAsksButCannotCommand) {
  int code = -1;
  sys->ctl({"health", "presence-0"}, &code);
  EXPECT_EQ(code, 0) << "sipccctl runs as operator; logs in " << sys->dir();
  auto op = as("operator");
  v1::LegCommand cmd;
  cmd.set_schema(v1::SCHEMA_V1);
  cmd.set_leg_id("edge1-1");
  cmd.mutable_drop();
  op.publish(subj::edge_leg("edge1"), cmd);
  EXPECT_TRUE(op.wait_error("Permissions Violation for Publish")) << op.errors();
  v1::StateQuery q;
  q.set_schema(v1::SCHEMA_V1);
  op.publish(subj::state_query, q);
  ASSERT_TRUE(wait_recorded(subj::state_query));
  EXPECT_FALSE(recorded(subj::edge_leg("edge1")));
}

// A desktop user works its own DN: its request is answered (on its own
// inbox) and it hears the DN's events; another DN's request is refused and
// never reaches presence, and it may not listen to another DN or to others'
// replies.
TEST_F(BusAuthE2E, ADesktopUserWorksItsDnOnly) {
  auto desk = as("desktop-1000");
  auto* events = desk.subscribe(subj::tlib_evt("1000"));
  auto reply = desk.request(subj::tlib_req(v1::TAgentLogin, "1000"),
                            tlib_request(v1::TAgentLogin, "1000", "agent1000"));
  ASSERT_TRUE(reply) << desk.errors() << "; logs in " << sys->dir();
  EXPECT_EQ(reply->type(), v1::EventAgentLogin);
  EXPECT_TRUE(desk.next_event(events, v1::EventAgentLogin));

  const auto forbidden = subj::tlib_req(v1::TAgentLogin, "1001");
  desk.publish(forbidden, tlib_request(v1::TAgentLogin, "1001", "agent1001"));
  EXPECT_TRUE(desk.wait_error("Permissions Violation for Publish to \"" + forbidden + "\""))
      << desk.errors();
  // Its own DN again, after it: the second request on 1000 at the recorder.
  desk.publish(subj::tlib_req(v1::TQueryAddress, "1000"), tlib_request(v1::TQueryAddress, "1000"));
  ASSERT_TRUE(wait_recorded(subj::tlib_req(v1::TQueryAddress, "1000"), 2));
  EXPECT_FALSE(recorded(forbidden));
  const auto on_1001 = sys->recorder().events("1001");
  EXPECT_EQ(std::count(on_1001.begin(), on_1001.end(), v1::EventAgentLogin), 0);

  desk.subscribe(subj::tlib_evt("1001"));
  EXPECT_TRUE(desk.wait_error("Permissions Violation for Subscription to \"" +
                              subj::tlib_evt("1001") + "\""))
      << desk.errors();
  // Another user's replies (here the operator's) are not its to read.
  desk.subscribe("_INBOX_operator.>");
  EXPECT_TRUE(desk.wait_error("Permissions Violation for Subscription to \"_INBOX_operator.>\""))
      << desk.errors();
}

// A wrong password, or none, does not connect; sipcc's bus says why at once
// (no retry for its connect wait) and so does sipccctl.
TEST_F(BusAuthE2E, AWrongPasswordDoesNotConnect) {
  EXPECT_THROW(raw_client(sys->nats_url(), "presence", "not-the-password"), std::runtime_error);
  EXPECT_THROW(raw_client(sys->nats_url(), "", ""), std::runtime_error);
  const std::string good = std::getenv("SIPCC_NATS_PASSWORD");
  ::setenv("SIPCC_NATS_PASSWORD", "not-the-password", 1);
  std::string error;
  const auto before = std::chrono::steady_clock::now();
  try {
    bus b(sys->nats_url(), "auth-test", 30s);
  } catch (const std::exception& e) {
    error = e.what();
  }
  ::setenv("SIPCC_NATS_PASSWORD", good.c_str(), 1);
  EXPECT_NE(error.find("Authorization Violation"), std::string::npos) << error;
  // Retrying would have taken the 30 s connect wait.
  EXPECT_LT(std::chrono::steady_clock::now() - before, 10s);
  int code = -1;
  sys->ctl({"health", "presence-0"}, &code, {{"SIPCC_NATS_PASSWORD_FILE", ""},
                                             {"SIPCC_NATS_PASSWORD", "not-the-password"}});
  EXPECT_NE(code, 0);
}

}  // namespace
}  // namespace sipcc::test
