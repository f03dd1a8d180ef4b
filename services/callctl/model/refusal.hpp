// Why callctl cannot carry out a desktop request: the EventError it answers.
#pragma once

#include <string>

#include "sipcc/v1/tlib.pb.h"

namespace sipcc {

struct request_refusal {
  v1::ErrorCode code = v1::ERROR_NONE;
  std::string text;  // empty: the request can be carried out
};

}  // namespace sipcc
