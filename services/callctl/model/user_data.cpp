#include "callctl/model/user_data.hpp"

#include <algorithm>

namespace sipcc {

void change_user_data(v1::KVList& data, const v1::KVList& given, bool remove) {
  if (remove && given.pairs().empty()) {
    data.clear_pairs();
    return;
  }
  for (const auto& kv : given.pairs()) {
    auto* pairs = data.mutable_pairs();
    auto it = std::find_if(pairs->begin(), pairs->end(),
                           [&](const v1::KVPair& p) { return p.key() == kv.key(); });
    if (remove) {
      if (it != pairs->end())
        pairs->erase(it);
    } else if (it != pairs->end()) {
      *it = kv;
    } else {
      *data.add_pairs() = kv;
    }
  }
}

}  // namespace sipcc
