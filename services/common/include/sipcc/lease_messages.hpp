// lease_change (sipcc/lease_keeper.hpp, which keeps CAF out) as a CAF
// message: the keeper's thread sends it to the service's registry actor.
#pragma once

#include <caf/meta/type_name.hpp>

#include "sipcc/lease_keeper.hpp"

namespace sipcc {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lease_change& x) {
  return f(caf::meta::type_name("lease_change"), x.gained, x.lost, x.previous, x.draining);
}

}  // namespace sipcc
