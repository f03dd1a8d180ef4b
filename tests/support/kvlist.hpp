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

// "k1=v1,k2=v2": a KVList of string values as text, for comparisons.
inline std::string str_pairs_text(const v1::KVList& list) {
  std::string out;
  for (const auto& kv : list.pairs())
    out += (out.empty() ? "" : ",") + kv.key() + "=" + kv.str();
  return out;
}

}  // namespace sipcc::test
