// The pool as sipcc.media.pool answers it and as `sipccctl media` prints it.
#include "media/model/pool.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace sipcc::media {
namespace {

v1::MediaLeg leg(const std::string& id, const std::string& server, v1::MediaKind kind,
                 const std::string& conf_id = "", const std::string& file = "") {
  v1::MediaLeg l;
  l.set_conn_id("000000010000000" + id.substr(1));
  l.set_leg_id(id);
  l.set_server(server);
  l.set_kind(kind);
  l.set_conf_id(conf_id);
  l.set_record_file(file);
  return l;
}

constexpr int64_t t0 = 1'800'000'000'000'000;  // 2027-01-15T08:00:00Z

TEST(MediaPool, StateAndItsText) {
  media_server_config ms1, ms2;
  ms1.name = "ms1";
  ms1.address = {"10.0.0.21", 5060};
  ms1.weight = 2;
  ms1.capacity = 200;
  ms2.name = "ms2";
  ms2.address = {"10.0.0.22", 5060};
  const std::vector<media_server_config> servers = {ms1, ms2};
  std::vector<server_health> health(2);
  health[0] = {v1::MEDIA_IN_SERVICE, 0, 4, "200 OK"};
  health[1] = {v1::MEDIA_OUT_OF_SERVICE, 3, 0, "408 timed out"};
  media_book book;
  book.started("callctl-0", leg("L1", "ms1", v1::MEDIA_TREATMENT), t0);
  book.started("callctl-0", leg("L2", "ms1", v1::MEDIA_CONFERENCE, "c1"), t0);
  book.started("callctl-0", leg("L3", "ms1", v1::MEDIA_CONFERENCE, "c1"), t0);
  book.started("callctl-0", leg("L4", "ms1", v1::MEDIA_RECORDING, "rec-4", "4-2.wav"), t0 + 60e6);
  book.started("callctl-0", leg("L5", "ms1", v1::MEDIA_RECORDING, "rec-5", "5-2.wav"), t0);
  book.ended("L5", t0 + 90e6);
  book.hold(leg("L6", "ms2", v1::MEDIA_TREATMENT), t0 + 10e6);

  // The shared folder has 5-2.wav only.
  const auto size_of = [](const std::string& f) -> int64_t { return f == "5-2.wav" ? 48044 : 0; };
  const auto p = pool_state({servers, health, book, size_of}, "media-0");
  ASSERT_EQ(p.servers_size(), 2);
  EXPECT_EQ(p.servers(0).sessions(), 4u);  // L5 ended
  EXPECT_EQ(p.servers(1).pending(), 1u);
  EXPECT_EQ(p.servers(1).last_probe(), "408 timed out");
  EXPECT_EQ(pool_text(p),
            "media pool, as media-0 sees it\n"
            "SERVER  ADDRESS         HEALTH          SESSIONS  HELD  CAPACITY  WEIGHT  "
            "LAST OPTIONS\n"
            "ms1     10.0.0.21:5060  in service      4         0     200       2       200 OK\n"
            "ms2     10.0.0.22:5060  out of service  0         1     no limit  1       "
            "408 timed out\n"
            "\n"
            "conferences: 1\n"
            "  c1 on ms1: 0000000100000002 (leg L2), 0000000100000003 (leg L3)\n"
            "\n"
            "recordings: 1 in progress, 1 done\n"
            "  4-2.wav  ConnID 0000000100000004  on ms1  2027-01-15T08:01:00Z  in progress           "
            "size unknown\n"
            "  5-2.wav  ConnID 0000000100000005  on ms1  2027-01-15T08:00:00Z  "
            "2027-01-15T08:01:30Z  48044 bytes\n");
  EXPECT_EQ(pool_state({servers, health, book}, "media-0").recordings(1).size_bytes(), 0)
      << "no folder: not known";
}

TEST(MediaPool, RecordingSizesFromTheSharedFolder) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("sipcc-media-pool-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "1-1.wav") << std::string(1234, 'x');
  std::ofstream(dir / "sub" / "2-1.wav") << "x";
  struct row {
    std::string file;
    int64_t size;
  };
  for (const auto& r : std::vector<row>{{"1-1.wav", 1234},
                                        {"9-1.wav", 0},          // not there (yet)
                                        {"sub/2-1.wav", 0},      // names with '/' are not looked up
                                        {"../1-1.wav", 0},
                                        {"", 0},
                                        {"sub", 0}}) {          // a folder has no size
    SCOPED_TRACE(r.file);
    EXPECT_EQ(recording_size(dir.string(), r.file), r.size);
  }
  std::filesystem::remove_all(dir);
}

TEST(MediaPool, AnEmptyPoolSaysSo) {
  v1::MediaPool p;
  p.set_instance("media-0");
  EXPECT_EQ(pool_text(p),
            "media pool, as media-0 sees it\n"
            "SERVER  ADDRESS  HEALTH  SESSIONS  HELD  CAPACITY  WEIGHT  LAST OPTIONS\n"
            "\nconferences: 0\n\nrecordings: 0 in progress, 0 done\n");
}

}  // namespace
}  // namespace sipcc::media
