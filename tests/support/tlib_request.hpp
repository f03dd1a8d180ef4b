// A desktop request as the tests and benchmarks send them: type, ThisDN and
// (agent requests) the AgentID, schema set.
#pragma once

#include <string>

#include "sipcc/v1/tlib.pb.h"

namespace sipcc::test {

inline v1::TRequest tlib_request(v1::RequestType type, const std::string& dn,
                                 const std::string& agent_id = "") {
  v1::TRequest r;
  r.set_schema(v1::SCHEMA_V1);
  r.set_type(type);
  r.set_this_dn(dn);
  r.set_agent_id(agent_id);
  return r;
}

}  // namespace sipcc::test
