#include "callctl/model/shown_calls.hpp"

namespace sipcc::callctl {

bool shown_calls::on_fact(const std::string& dn, const std::string& conn_id, bool active) {
  key k{dn, conn_id};
  if (!active) {
    marked_.erase(k);
    told_.erase(k);
    shown_.erase(k);
    return false;
  }
  marked_.insert(k);
  return told_.count(k) && shown_.insert(k).second;
}

bool shown_calls::on_event(const std::string& dn, const std::string& conn_id) {
  key k{dn, conn_id};
  told_.insert(k);
  return marked_.count(k) && shown_.insert(k).second;
}

}  // namespace sipcc::callctl
