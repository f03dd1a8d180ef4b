#include <gtest/gtest.h>

#include "sipcc/dn_logic.hpp"
#include "sipcc/snapshot.hpp"

namespace sipcc {
namespace {

// A DN moved to another instance through its snapshot carries on exactly:
// same state, and the live subscription's ordering still holds.
TEST(DnSnapshot, RestoredDnContinuesWhereItStopped) {
  sub_settings cfg;
  v1::DnState st = initial_dn_state("1000", v1::Extension, 1);
  sub_state sub;
  auto feed = [&](sub_input in) { return step(sub, in, cfg); };
  feed(sub_input{sub_input::start});
  feed(sub_input{sub_input::paced});
  sub_input ok{sub_input::notify};
  ok.generation = sub.generation;
  ok.substate = "active";
  ok.cseq = 10;
  ok.dialog_tag = "t1";
  feed(ok);
  dn_step(st, [] { dn_input m{dn_input::monitoring}; m.live = true; return m; }());
  dn_step(st, [] { dn_input d{dn_input::device_changed}; d.device = v1::DEVICE_IDLE; return d; }());
  check_version(sub, 4, true);

  auto bytes = snapshot_dn(st, sub).SerializeAsString();
  v1::DnSnapshot back;
  ASSERT_TRUE(back.ParseFromString(bytes));
  v1::DnState st2;
  sub_state sub2;
  restore_dn(back, st2, sub2);

  EXPECT_EQ(st2.SerializeAsString(), st.SerializeAsString());
  EXPECT_EQ(sub2.phase, sub_phase::active);
  EXPECT_TRUE(sub2.live);
  struct row {
    uint32_t cseq;
    bool applied;
  };
  for (auto r : {row{10, false}, row{9, false}, row{11, true}}) {
    sub_input n = ok;
    n.cseq = r.cseq;
    EXPECT_EQ(step(sub2, n, cfg).apply_body, r.applied) << "CSeq " << r.cseq;
  }
  EXPECT_EQ(check_version(sub2, 4, true), version_verdict::replay);
  EXPECT_EQ(check_version(sub2, 5, true), version_verdict::apply);
}

TEST(DnSnapshot, OnlyALiveSubscriptionSurvives) {
  v1::DnSnapshot snap;
  snap.mutable_state()->set_dn("1000");
  snap.mutable_state()->set_monitor(v1::MONITOR_RETRY_WAIT);
  snap.set_sub_generation(3);
  v1::DnState st;
  sub_state sub;
  restore_dn(snap, st, sub);
  EXPECT_EQ(sub.phase, sub_phase::idle);
  EXPECT_FALSE(sub.live);
  EXPECT_EQ(sub.generation, 3u);  // the next attempt gets a new sub-id
}

}  // namespace
}  // namespace sipcc
