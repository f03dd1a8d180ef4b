// Which DNs' desktops were told of a call, for presence: a DN marked with a
// sipcc call (DnCallFact active) whose desktop had an event of it is told
// once more, with `shown`, so that should the call die with its callctl,
// presence releases it on that desktop (and only there: a DN marked before
// its phone rang never showed the call).
#pragma once

#include <set>
#include <string>
#include <utility>

namespace sipcc::callctl {

class shown_calls {
public:
  // A DnCallFact for `dn` and `conn_id` is about to go out: whether it says
  // `shown` (the desktop had an event of the call before the mark).
  bool on_fact(const std::string& dn, const std::string& conn_id, bool active);
  // An event with `conn_id` went to `dn`: true when a DnCallFact with
  // `shown` must follow (the DN is marked and was not told yet).
  bool on_event(const std::string& dn, const std::string& conn_id);

private:
  using key = std::pair<std::string, std::string>;  // DN, ConnID
  std::set<key> marked_;
  std::set<key> told_;  // events sent, marked or not
  std::set<key> shown_;
};

}  // namespace sipcc::callctl
