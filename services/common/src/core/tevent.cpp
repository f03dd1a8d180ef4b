#include "sipcc/tevent.hpp"

namespace sipcc {

v1::TEvent make_error(const v1::TRequest& req, v1::ErrorCode code, std::string message,
                      int64_t now_us) {
  v1::TEvent ev;
  ev.set_schema(v1::SCHEMA_V1);
  ev.set_type(v1::EventError);
  ev.set_reference_id(req.reference_id());
  ev.set_this_dn(req.this_dn());
  ev.set_agent_id(req.agent_id());
  ev.set_conn_id(req.conn_id());
  ev.set_error_code(code);
  ev.set_error_message(std::move(message));
  ev.set_timestamp_us(now_us);
  return ev;
}

}  // namespace sipcc
