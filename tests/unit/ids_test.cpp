#include <gtest/gtest.h>

#include "callctl/model/ids.hpp"

namespace sipcc {
namespace {

TEST(ConnId, FormatsAndParsesTheShard) {
  struct row {
    conn_id id;
    const char* text;
  };
  const std::vector<row> rows = {
      {{0, 1}, "0000000000000001"},
      {{7, 0x123456789abc}, "0007123456789abc"},
      {{0xffff, 0xffffffffffff}, "ffffffffffffffff"},
  };
  for (auto& r : rows) {
    SCOPED_TRACE(r.text);
    EXPECT_EQ(format_conn_id(r.id), r.text);
    auto back = parse_conn_id(r.text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->shard, r.id.shard);
    EXPECT_EQ(back->serial, r.id.serial);
  }
}

TEST(ConnId, RejectsWhatIsNotOne) {
  for (const char* bad : {"", "123", "00000000000000001", "000000000000000g", "0x00000000000001"})
    EXPECT_FALSE(parse_conn_id(bad)) << bad;
  EXPECT_TRUE(parse_conn_id("00000000000000AB"));  // case-insensitive
}

TEST(ConnId, GeneratorIsUniqueOverTheShardsItIsGiven) {
  conn_id_generator gen(1700000000000);
  auto a = gen.next(3), b = gen.next(3), c = gen.next(5);
  EXPECT_NE(a, b);
  EXPECT_EQ(parse_conn_id(a)->shard, 3);
  EXPECT_EQ(parse_conn_id(c)->shard, 5);
  EXPECT_EQ(parse_conn_id(b)->serial, parse_conn_id(a)->serial + 1);
  EXPECT_EQ(parse_conn_id(c)->serial, parse_conn_id(b)->serial + 1) << "one serial for all shards";
}

// A restored call's ConnID (the last run's) is never handed out again.
TEST(ConnId, GeneratorPassesRestoredConnIds) {
  struct row {
    const char* name;
    std::string restored;
    uint64_t next_serial;  // of the next ConnID, the generator starting at serial 100
  };
  const std::vector<row> rows = {
      {"ahead of the generator", format_conn_id({3, 500}), 501},
      {"behind it", format_conn_id({3, 50}), 101},
      {"another shard's: the serial is the member's", format_conn_id({4, 500}), 501},
      {"not a ConnID", "nope", 101},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    conn_id_generator gen(100);
    gen.pass(r.restored);
    EXPECT_EQ(parse_conn_id(gen.next(3))->serial, r.next_serial);
  }
}

}  // namespace
}  // namespace sipcc
