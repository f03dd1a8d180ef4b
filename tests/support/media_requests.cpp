#include "media_requests.hpp"

#include <algorithm>

#include "sipcc/bus_schema.hpp"

namespace sipcc::test {
namespace {

v1::MediaRequest ask(const std::string& leg_id, v1::MediaKind kind) {
  v1::MediaRequest r;
  r.set_schema(v1::SCHEMA_V1);
  r.set_kind(kind);
  r.set_conn_id(leg_id.substr(0, leg_id.find('-')));
  r.set_leg_id(leg_id);
  return r;
}

}  // namespace

v1::MediaRequest treatment_ask(const std::string& leg_id, v1::TreatmentType type,
                               const std::map<std::string, std::string>& parms) {
  auto r = ask(leg_id, v1::MEDIA_TREATMENT);
  r.set_treatment_type(type);
  for (const auto& [key, value] : parms) {
    auto* kv = r.mutable_treatment_parms()->add_pairs();
    kv->set_key(key);
    kv->set_str(value);
  }
  return r;
}

v1::MediaRequest conference_ask(const std::string& leg_id, const std::string& conf_id,
                                const std::string& record_file) {
  auto r = ask(leg_id, record_file.empty() ? v1::MEDIA_CONFERENCE : v1::MEDIA_RECORDING);
  r.set_conf_id(conf_id);
  r.set_record_file(record_file);
  return r;
}

void publish_out_of_service(bus& client, const std::string& server) {
  v1::MediaHealth down;
  down.set_schema(v1::SCHEMA_V1);
  down.set_server(server);
  down.set_state(v1::MEDIA_OUT_OF_SERVICE);
  down.set_previous(v1::MEDIA_IN_SERVICE);
  down.set_reason("3 OPTIONS in a row failed (last: 408 timed out)");
  client.publish(subj::media_health(server), down);
}

std::optional<v1::MediaPool> ask_pool(bus& client) {
  v1::MediaPoolQuery q;
  q.set_schema(v1::SCHEMA_V1);
  v1::MediaPool p;
  auto answer = client.request(subj::media_pool, q, std::chrono::seconds(2));
  if (!answer || !p.ParseFromString(*answer))
    return std::nullopt;
  return p;
}

bool pool_until(bus& client, const std::function<bool(const v1::MediaPool&)>& done,
                std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until)
    if (auto p = ask_pool(client); p && done(*p))
      return true;
  return false;
}

uint32_t sessions(const v1::MediaPool& p, const std::string& server) {
  for (const auto& s : p.servers())
    if (s.name() == server)
      return s.sessions();
  return 0;
}

bool all_in_service(const v1::MediaPool& p, int n) {
  return p.servers_size() == n &&
         std::all_of(p.servers().begin(), p.servers().end(),
                     [](const auto& s) { return s.health() == v1::MEDIA_IN_SERVICE; });
}

v1::MediaLeg wait_leg_started(bus_recorder& rec, const std::string& owner,
                              const std::string& conn_id, const std::string& except,
                              std::chrono::milliseconds deadline) {
  v1::MediaLegEvent ev;
  const bool came = rec.wait(
                           [&](const bus_msg& m) {
                             return m.subject == subj::media_leg(owner) &&
                                    ev.ParseFromString(m.data) && ev.has_started() &&
                                    ev.started().conn_id() == conn_id &&
                                    ev.started().leg_id() != except;
                           },
                           deadline)
                        .has_value();
  return came ? ev.started() : v1::MediaLeg{};
}

bool wait_out_of_service(bus_recorder& rec, const std::string& server,
                         std::chrono::milliseconds deadline) {
  return rec
      .wait(
          [&](const bus_msg& m) {
            v1::MediaHealth h;
            return m.subject == subj::media_health(server) && h.ParseFromString(m.data) &&
                   h.state() == v1::MEDIA_OUT_OF_SERVICE;
          },
          deadline)
      .has_value();
}

}  // namespace sipcc::test
