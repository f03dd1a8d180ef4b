// The edge's own subscriber dialogs: refresh timing and the in-dialog
// requests they take (sip-edge/model/sub_dialog.hpp).
#include "sip-edge/model/sub_dialog.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sipcc::sub_dialog {
namespace {

using std::chrono::milliseconds;

TEST(SubDialog, RefreshDelay) {
  const milliseconds t32{32000};
  struct row {
    std::string name;
    uint32_t granted_s;
    double u;
    milliseconds timeout;
    milliseconds delay;
  };
  const std::vector<row> rows = {
      {"an hour, earliest draw: half", 3600, 0.0, t32, milliseconds{1800000}},
      {"an hour, last draw: four fifths", 3600, 0.999999, t32, milliseconds{2879998}},
      {"an hour, middle draw", 3600, 0.5, t32, milliseconds{2340000}},
      {"two minutes: the time-out and tick cap four fifths", 120, 0.999, t32, milliseconds{87000}},
      {"two minutes, earliest draw: half", 120, 0.0, t32, milliseconds{60000}},
      {"a minute: too short for the cap, half", 60, 0.7, t32, milliseconds{30000}},
      {"four seconds (tests): half", 4, 0.9, t32, milliseconds{2000}},
      {"a short time-out lets four fifths through", 60, 0.999999, milliseconds{2000},
       milliseconds{47999}},
      {"a draw outside [0, 1) is clamped", 3600, 7.0, t32, milliseconds{2880000}},
      {"nothing granted: at once", 0, 0.5, t32, milliseconds{0}},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    EXPECT_EQ(refresh_delay(r.granted_s, r.u, r.timeout), r.delay);
  }
}

TEST(SubDialog, InDialogRequestsTaken) {
  struct row {
    std::string name;
    std::string method, subscribed, event;
    bool has_state;
    int status;  // 0: taken
  };
  const std::vector<row> rows = {
      {"NOTIFY of the subscribed package", "NOTIFY", "presence", "presence", true, 0},
      {"message-summary", "NOTIFY", "message-summary", "message-summary", true, 0},
      {"another package", "NOTIFY", "presence", "dialog", true, 489},
      {"no Event", "NOTIFY", "presence", "", true, 489},
      {"event types compare case-sensitively", "NOTIFY", "presence", "Presence", true, 489},
      {"no Subscription-State", "NOTIFY", "presence", "presence", false, 400},
      {"not a NOTIFY", "INFO", "presence", "presence", true, 405},
      {"a re-SUBSCRIBE from the notifier", "SUBSCRIBE", "presence", "presence", true, 405},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    auto refused = refusal(r.method, r.subscribed, r.event, r.has_state);
    EXPECT_EQ(refused ? refused->status : 0, r.status);
  }
}

}  // namespace
}  // namespace sipcc::sub_dialog
