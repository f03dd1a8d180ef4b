#include "callctl/model/media_legs.hpp"

namespace sipcc::callctl {

std::string media_server_name(const config& cfg, const std::string& address) {
  for (const auto& server : cfg.media.servers)
    if (server.address.str() == address)
      return server.name;
  return address;
}

v1::MediaLeg media_leg_of(const call_action& a, const std::string& conn_id,
                          const std::string& server, int64_t now_us) {
  v1::MediaLeg leg;
  leg.set_conn_id(conn_id);
  leg.set_leg_id(a.leg);
  leg.set_server(server);
  leg.set_kind(a.media_kind);
  leg.set_conf_id(a.conf_id);
  leg.set_record_file(a.record_file);
  leg.set_started_us(now_us);
  return leg;
}

}  // namespace sipcc::callctl
