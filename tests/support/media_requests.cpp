#include "media_requests.hpp"

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

}  // namespace sipcc::test
