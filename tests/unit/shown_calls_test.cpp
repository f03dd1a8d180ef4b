// When callctl tells presence that a DN's desktop was told of a call.
#include "callctl/model/shown_calls.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sipcc::callctl {
namespace {

struct shown_step {
  std::string what;  // "on", "off": a DnCallFact; "event": a TEvent
  std::string dn, conn_id;
  bool shown;        // the fact says shown / a shown fact must follow the event
};

TEST(ShownCalls, ADnIsToldOnceWhenMarkedAndShown) {
  struct shown_case {
    const char* name;
    std::vector<shown_step> steps;
  };
  const std::vector<shown_case> cases = {
      {"marked, then rings",
       {{"on", "1000", "c1", false}, {"event", "1000", "c1", true},
        {"event", "1000", "c1", false}}},
      {"an event before the mark: the mark says it",
       {{"event", "1000", "c1", false}, {"on", "1000", "c1", true}, {"on", "1000", "c1", false}}},
      {"unmarked DNs (a Routing Point) are not told",
       {{"event", "8000", "c1", false}, {"event", "8000", "c1", false}}},
      {"per DN and per ConnID",
       {{"on", "1000", "c1", false}, {"on", "1001", "c1", false}, {"on", "1000", "c2", false},
        {"event", "1000", "c1", true}, {"event", "1001", "c1", true},
        {"event", "1000", "c2", true}}},
      {"ended and marked again (the same DN rings again): told again",
       {{"on", "1000", "c1", false}, {"event", "1000", "c1", true},
        {"off", "1000", "c1", false}, {"on", "1000", "c1", false},
        {"event", "1000", "c1", true}}},
  };
  for (const auto& sc : cases) {
    SCOPED_TRACE(sc.name);
    shown_calls s;
    for (size_t i = 0; i < sc.steps.size(); ++i) {
      SCOPED_TRACE("step " + std::to_string(i + 1));
      const auto& st = sc.steps[i];
      const bool got = st.what == "event" ? s.on_event(st.dn, st.conn_id)
                                          : s.on_fact(st.dn, st.conn_id, st.what == "on");
      EXPECT_EQ(got, st.shown);
    }
  }
}

}  // namespace
}  // namespace sipcc::callctl
