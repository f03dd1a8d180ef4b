// The media service's bookkeeping: sessions and holds per server,
// conferences with their parties, recordings in progress and done, an
// owner's list after a restart, and every operation repeated or out of turn.
#include "media/model/book.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace sipcc::media {
namespace {

v1::MediaLeg leg(const std::string& id, const std::string& server,
                 v1::MediaKind kind = v1::MEDIA_TREATMENT, const std::string& conf_id = "",
                 const std::string& file = "", int64_t started_us = 0) {
  v1::MediaLeg l;
  l.set_conn_id("conn-" + id);
  l.set_leg_id(id);
  l.set_server(server);
  l.set_kind(kind);
  l.set_conf_id(conf_id);
  l.set_record_file(file);
  l.set_started_us(started_us);
  return l;
}

// What a server holds after a step: sessions started, holds.
struct load {
  uint32_t a_sessions, a_pending, b_sessions, b_pending;
};

struct step {
  std::string name;
  std::function<void(media_book&)> op;
  load after;
};

void run(const std::vector<step>& steps) {
  media_book book;
  for (const auto& s : steps) {
    SCOPED_TRACE(s.name);
    s.op(book);
    EXPECT_EQ(book.sessions("a"), s.after.a_sessions);
    EXPECT_EQ(book.pending("a"), s.after.a_pending);
    EXPECT_EQ(book.sessions("b"), s.after.b_sessions);
    EXPECT_EQ(book.pending("b"), s.after.b_pending);
  }
}

TEST(MediaBook, SessionsAndHolds) {
  run({
      {"a hold", [](media_book& b) { b.hold(leg("L1", "a"), 100); }, {0, 1, 0, 0}},
      {"its leg starts: the hold becomes a session",
       [](media_book& b) { b.started("callctl-0", leg("L1", "a"), 10); }, {1, 0, 0, 0}},
      {"the same start again counts once",
       [](media_book& b) { b.started("callctl-0", leg("L1", "a"), 11); }, {1, 0, 0, 0}},
      {"a hold for a leg started already is no second session",
       [](media_book& b) { b.hold(leg("L1", "a"), 100); }, {1, 0, 0, 0}},
      {"asked again, a leg's hold moves", [](media_book& b) {
         b.hold(leg("L2", "a"), 100);
         b.hold(leg("L2", "b"), 100);
       },
       {1, 0, 0, 1}},
      {"a leg reported without a hold (another instance placed it)",
       [](media_book& b) { b.started("callctl-0", leg("L3", "b"), 12); }, {1, 0, 1, 1}},
      {"holds expire at their deadline, not before", [](media_book& b) { b.expire(99); },
       {1, 0, 1, 1}},
      {"expired", [](media_book& b) { b.expire(100); }, {1, 0, 1, 0}},
      {"an end", [](media_book& b) { b.ended("L1", 20); }, {0, 0, 1, 0}},
      {"an unknown leg's end, and the same end again", [](media_book& b) {
         b.ended("nobody", 21);
         b.ended("L1", 21);
       },
       {0, 0, 1, 0}},
      {"an INVITE that failed before its start was reported ends its hold", [](media_book& b) {
         b.hold(leg("L4", "a"), 100);
         b.ended("L4", 22);
       },
       {0, 0, 1, 0}},
  });
}

TEST(MediaBook, ConferenceAffinityLastsWhileItHasLegsOrHolds) {
  media_book b;
  EXPECT_EQ(b.server_of("c1"), nullptr);
  b.hold(leg("L1", "b", v1::MEDIA_CONFERENCE, "c1"), 100);
  ASSERT_NE(b.server_of("c1"), nullptr);
  EXPECT_EQ(*b.server_of("c1"), "b");
  b.started("callctl-0", leg("L1", "b", v1::MEDIA_CONFERENCE, "c1"), 5);
  b.started("callctl-0", leg("L2", "b", v1::MEDIA_CONFERENCE, "c1"), 6);
  b.ended("L1", 7);
  ASSERT_NE(b.server_of("c1"), nullptr);
  EXPECT_EQ(*b.server_of("c1"), "b");
  b.ended("L2", 8);
  EXPECT_EQ(b.server_of("c1"), nullptr);  // the media server ended it with its last leg
  b.hold(leg("L3", "a", v1::MEDIA_CONFERENCE, "c1"), 100);
  b.expire(100);
  EXPECT_EQ(b.server_of("c1"), nullptr);
}

TEST(MediaBook, ConferencesListTheirParties) {
  media_book b;
  b.started("callctl-0", leg("L1", "b", v1::MEDIA_CONFERENCE, "c1"), 5);
  b.started("callctl-0", leg("L2", "b", v1::MEDIA_CONFERENCE, "c1"), 6);
  b.started("callctl-0", leg("L3", "a", v1::MEDIA_CONFERENCE, "c0"), 7);
  b.started("callctl-0", leg("L4", "a", v1::MEDIA_RECORDING, "rec-1", "1.wav"), 8);
  b.hold(leg("L5", "b", v1::MEDIA_CONFERENCE, "c2"), 100);  // not started: not listed
  const auto confs = b.conferences();
  ASSERT_EQ(confs.size(), 2u);
  EXPECT_EQ(confs[0].conf_id(), "c0");
  EXPECT_EQ(confs[0].server(), "a");
  ASSERT_EQ(confs[0].parties_size(), 1);
  EXPECT_EQ(confs[1].conf_id(), "c1");
  EXPECT_EQ(confs[1].server(), "b");
  ASSERT_EQ(confs[1].parties_size(), 2);
  EXPECT_EQ(confs[1].parties(0).leg_id(), "L1");
  EXPECT_EQ(confs[1].parties(1).conn_id(), "conn-L2");
}

std::string describe(const std::vector<v1::MediaRecording>& recs) {
  std::string out;
  for (const auto& r : recs)
    out += (out.empty() ? "" : " ") + r.file() + "@" + r.server() + ":" +
           std::to_string(r.started_us()) + "-" + std::to_string(r.stopped_us());
  return out;
}

// A server out of service reports what is lost with it: its conferences and
// its recordings in progress; another server's, or a done recording, are not.
TEST(MediaBook, WhatIsLostWithAServer) {
  media_book b;
  b.started("callctl-0", leg("L1", "b", v1::MEDIA_CONFERENCE, "c1"), 5);
  b.started("callctl-0", leg("L2", "b", v1::MEDIA_CONFERENCE, "c1"), 6);
  b.started("callctl-0", leg("L3", "a", v1::MEDIA_CONFERENCE, "c0"), 7);
  b.started("callctl-0", leg("L4", "b", v1::MEDIA_RECORDING, "rec-1", "1.wav", 8), 8);
  b.started("callctl-0", leg("L5", "b", v1::MEDIA_RECORDING, "rec-2", "2.wav", 9), 9);
  b.ended("L5", 10);  // done before the loss
  b.started("callctl-0", leg("L6", "b"), 11);  // a treatment: in no list
  struct row {
    std::string server, conferences, recordings;
  };
  for (const auto& r : std::vector<row>{{"b", "c1:2", "1.wav@b:8-0"},
                                        {"a", "c0:1", ""},
                                        {"c", "", ""}}) {
    SCOPED_TRACE(r.server);
    v1::MediaHealth h;
    h.set_server(r.server);
    b.lost_with(h);
    std::string confs;
    for (const auto& c : h.conferences())
      confs += (confs.empty() ? "" : " ") + c.conf_id() + ":" + std::to_string(c.parties_size());
    EXPECT_EQ(confs, r.conferences);
    EXPECT_EQ(describe({h.recordings().begin(), h.recordings().end()}), r.recordings);
  }
}

TEST(MediaBook, RecordingsFromFirstLegToLastThenDone) {
  media_book b(2);  // keeps the last two done
  auto rec = [](const std::string& id, const std::string& file, int64_t t) {
    return leg(id, "a", v1::MEDIA_RECORDING, "rec-" + file, file, t);
  };
  struct rec_step {
    std::string name;
    std::function<void()> op;
    std::string recordings;
  };
  const std::vector<rec_step> steps = {
      {"the customer's leg starts it", [&] { b.started("callctl-0", rec("L1", "1.wav", 10), 0); },
       "1.wav@a:10-0"},
      {"the agent's leg joins it", [&] { b.started("callctl-0", rec("L2", "1.wav", 12), 0); },
       "1.wav@a:10-0"},
      {"a second recording, started without a time (now)",
       [&] { b.started("callctl-0", rec("L3", "2.wav", 0), 15); }, "1.wav@a:10-0 2.wav@a:15-0"},
      {"one leg left: still in progress", [&] { b.ended("L1", 20); },
       "1.wav@a:10-0 2.wav@a:15-0"},
      {"its last leg: done", [&] { b.ended("L2", 30); }, "2.wav@a:15-0 1.wav@a:10-30"},
      {"done ones newest first", [&] { b.ended("L3", 40); }, "2.wav@a:15-40 1.wav@a:10-30"},
      {"only the last two done are kept", [&] {
         b.started("callctl-0", rec("L4", "3.wav", 50), 0);
         b.ended("L4", 60);
       },
       "3.wav@a:50-60 2.wav@a:15-40"},
  };
  for (const auto& s : steps) {
    SCOPED_TRACE(s.name);
    s.op();
    EXPECT_EQ(describe(b.recordings()), s.recordings);
  }
}

TEST(MediaBook, AnOwnersListReplacesWhatWasKnownOfIt) {
  media_book b;
  b.started("callctl-0", leg("L1", "a"), 1);
  b.started("callctl-0", leg("L2", "a", v1::MEDIA_RECORDING, "rec-1", "1.wav", 2), 2);
  b.started("callctl-1", leg("L9", "b"), 3);
  // After a restart: callctl-0 lists L1 and a new L3; L2 ended meanwhile.
  EXPECT_EQ(b.replace_owner("callctl-0", {leg("L1", "a"), leg("L3", "b")}, 50), 1u);
  EXPECT_EQ(b.sessions("a"), 1u);
  EXPECT_EQ(b.sessions("b"), 2u);  // L3, and callctl-1's L9 untouched
  EXPECT_EQ(describe(b.recordings()), "1.wav@a:2-50");
  // A list repeated changes nothing; an empty one (a restarted owner) ends all of its legs.
  EXPECT_EQ(b.replace_owner("callctl-0", {leg("L1", "a"), leg("L3", "b")}, 60), 0u);
  EXPECT_EQ(b.replace_owner("callctl-0", {}, 70), 2u);
  EXPECT_EQ(b.sessions("a"), 0u);
  EXPECT_EQ(b.sessions("b"), 1u);
}

TEST(MediaBook, AListedLegEndsItsHold) {
  media_book b;
  b.hold(leg("L1", "a"), 100);
  b.replace_owner("callctl-0", {leg("L1", "a")}, 5);
  EXPECT_EQ(b.pending("a"), 0u);
  EXPECT_EQ(b.sessions("a"), 1u);
}

}  // namespace
}  // namespace sipcc::media
