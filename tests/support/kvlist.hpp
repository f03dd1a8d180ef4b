// KVLists of string values for tests: {{"key", "value"}, ...}.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include "sipcc/v1/common.pb.h"

namespace sipcc::test {

inline v1::KVList str_pairs(std::initializer_list<std::pair<std::string, std::string>> pairs) {
  v1::KVList list;
  for (const auto& [k, v] : pairs) {
    auto* kv = list.add_pairs();
    kv->set_key(k);
    kv->set_str(v);
  }
  return list;
}

}  // namespace sipcc::test
