// callctl holds each media-server INVITE until the media service says where
// it goes (media_placement): each row is a sequence of what happens to one
// call's held INVITEs and what callctl must then do.
#include "callctl/model/media_placement.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace sipcc::callctl {
namespace {

const std::string kConn = "007d0000000001";

call_action treatment_invite(const std::string& leg) {
  call_action a{call_action::invite_media};
  a.leg = leg;
  a.uri = "sip:annc@127.0.0.1:5070;play=file://music";  // what the call model said
  a.media_kind = v1::MEDIA_TREATMENT;
  a.treatment_type = v1::PlayAnnouncement;
  auto* kv = a.treatment_parms.add_pairs();
  kv->set_key("PROMPT");
  kv->set_str("welcome");
  return a;
}

v1::MediaReply placed(const std::string& leg, const std::string& server, const std::string& uri) {
  v1::MediaReply r;
  r.set_leg_id(leg);
  r.set_conn_id(kConn);
  r.set_server(server);
  r.set_uri(uri);
  return r;
}

v1::MediaReply refused(const std::string& leg, v1::MediaRefusal why, const std::string& reason) {
  v1::MediaReply r;
  r.set_leg_id(leg);
  r.set_refusal(why);
  r.set_reason(reason);
  return r;
}

TEST(MediaPlacement, TheQuestionCarriesWhatTheMediaServiceChoosesBy) {
  media_placement mp;
  auto conf = treatment_invite("c-3");
  conf.media_kind = v1::MEDIA_RECORDING;
  conf.conf_id = "rec-c-1";
  conf.record_file = "c-1.wav";
  auto q = mp.hold(conf, kConn, 0, 0);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->kind(), v1::MEDIA_RECORDING);
  EXPECT_EQ(q->conn_id(), kConn);
  EXPECT_EQ(q->leg_id(), "c-3");
  EXPECT_EQ(q->conf_id(), "rec-c-1");
  EXPECT_EQ(q->record_file(), "c-1.wav");
  EXPECT_EQ(q->treatment_type(), v1::PlayAnnouncement);
  ASSERT_EQ(q->treatment_parms().pairs_size(), 1);
  EXPECT_EQ(q->treatment_parms().pairs(0).str(), "welcome");
  EXPECT_EQ(mp.held(), 1u);
}

TEST(MediaPlacement, WhatEachOutcomeMakesCallctlDo) {
  struct row {
    std::string name;
    // Runs against a placement holding legs c-2 and c-3 (asked at 0 us);
    // returns what callctl must do.
    std::function<std::vector<placement>(media_placement&)> happen;
    std::vector<placement::kind> want;
    std::string want_uri, want_server, want_reason;
    int64_t want_quiet_until_us;
    size_t still_held;
  };
  auto one = [](placement p) { return std::vector<placement>{std::move(p)}; };
  std::vector<row> rows = {
      {"an answer sends the INVITE to the chosen server",
       [](media_placement& mp) {
         return mp.answered(placed("c-2", "ms2", "sip:annc@10.0.0.2:5060;play=x"), 10);
       },
       {placement::send}, "sip:annc@10.0.0.2:5060;play=x", "ms2", "", 0, 1},
      {"a refusal is never sent and says why",
       [](media_placement& mp) {
         return mp.answered(refused("c-2", v1::MEDIA_POOL_FULL, "every server is full"), 10);
       },
       {placement::refused}, "", "", "every server is full", 0, 1},
      {"a refusal without words is named by its kind",
       [](media_placement& mp) {
         return mp.answered(refused("c-3", v1::MEDIA_NO_PROMPT, ""), 10);
       },
       {placement::refused}, "", "", "MEDIA_NO_PROMPT", 0, 1},
      {"no answer in time: sent where the call model said, and quiet for a while",
       [&](media_placement& mp) { return one(mp.timed_out("c-2", 500'000)); },
       {placement::send}, "sip:annc@127.0.0.1:5070;play=file://music", "", "", 30'500'000, 1},
      {"no responders: every held INVITE goes out at once",
       [](media_placement& mp) { return mp.answered(v1::MediaReply{}, 7); },
       {placement::send, placement::send}, "sip:annc@127.0.0.1:5070;play=file://music", "", "",
       30'000'007, 0},
      {"a late answer after the timeout changes nothing",
       [&](media_placement& mp) {
         mp.timed_out("c-2", 500'000);
         return mp.answered(placed("c-2", "ms2", "sip:x@10.0.0.2"), 600'000);
       },
       {}, "", "", "", 0, 1},
      {"the timer after the answer changes nothing",
       [&](media_placement& mp) {
         mp.answered(placed("c-2", "ms2", "sip:x@10.0.0.2"), 10);
         return one(mp.timed_out("c-2", 500'000));
       },
       {placement::none}, "", "", "", 0, 1},
      {"an answer for a leg of another call is not ours",
       [](media_placement& mp) { return mp.answered(placed("z-9", "ms1", "sip:x@1"), 10); },
       {}, "", "", "", 0, 2},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    media_placement mp;
    ASSERT_TRUE(mp.hold(treatment_invite("c-2"), kConn, 0, 0));
    ASSERT_TRUE(mp.hold(treatment_invite("c-3"), kConn, 0, 0));
    auto got = r.happen(mp);
    ASSERT_EQ(got.size(), r.want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].what, r.want[i]);
      if (got[i].what == placement::send) {
        EXPECT_EQ(got[i].invite.what, call_action::invite_media);
        EXPECT_EQ(got[i].invite.uri, r.want_uri);
        EXPECT_EQ(got[i].server, r.want_server);
        EXPECT_EQ(got[i].quiet_until_us, r.want_quiet_until_us);
      }
      if (got[i].what == placement::refused) {
        EXPECT_EQ(got[i].reason, r.want_reason);
      }
    }
    EXPECT_EQ(mp.held(), r.still_held);
  }
}

TEST(MediaPlacement, WhileQuietInvitesAreNotHeld) {
  media_placement mp;
  EXPECT_FALSE(mp.hold(treatment_invite("c-2"), kConn, 1'000, 2'000));
  EXPECT_TRUE(mp.hold(treatment_invite("c-3"), kConn, 2'000, 2'000));
}

// The caller hangs up while the INVITE waits: its CANCEL is not sent, and the
// leg ends toward the call model as a CANCELled one (held); a refused leg's
// CANCEL (the call model takes the lost leg off) is not sent either.
TEST(MediaPlacement, CommandsForLegsThatNeverWentOutAreNotSent) {
  media_placement mp;
  mp.hold(treatment_invite("c-2"), kConn, 0, 0);
  mp.hold(treatment_invite("c-3"), kConn, 0, 0);
  mp.answered(refused("c-3", v1::MEDIA_SERVER_DOWN, "down"), 1);
  EXPECT_EQ(mp.drop("c-2"), media_placement::unsent::held);
  EXPECT_EQ(mp.drop("c-2"), media_placement::unsent::no);  // once
  EXPECT_EQ(mp.drop("c-3"), media_placement::unsent::refused);
  EXPECT_EQ(mp.drop("c-1"), media_placement::unsent::no);  // the customer's leg
  EXPECT_EQ(mp.held(), 0u);
  EXPECT_EQ(mp.timed_out("c-2", 9).what, placement::none);  // its timer, later
}

}  // namespace
}  // namespace sipcc::callctl
