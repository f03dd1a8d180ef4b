// T-Library events every service that answers desktop requests builds.
#pragma once

#include <cstdint>
#include <string>

#include "sipcc/v1/tlib.pb.h"

namespace sipcc {

// An EventError reply for `req`.
v1::TEvent make_error(const v1::TRequest& req, v1::ErrorCode code, std::string message,
                      int64_t now_us);

}  // namespace sipcc
