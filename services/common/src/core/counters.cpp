#include "sipcc/counters.hpp"

namespace sipcc {

namespace {
struct counter_meta {
  const char* name;
  bool gauge;
};
const counter_meta kMeta[] = {
#define SIPCC_C(name, help) {#name, false},
#define SIPCC_G(name, help) {#name, true},
    SIPCC_COUNTERS(SIPCC_C, SIPCC_G)
#undef SIPCC_C
#undef SIPCC_G
};
}  // namespace

void counters::add(counter_id id, const std::string& label, int64_t delta) {
  std::lock_guard<std::mutex> g(mu_);
  values_[{id, label}] += delta;
}

void counters::set(counter_id id, const std::string& label, int64_t value) {
  std::lock_guard<std::mutex> g(mu_);
  values_[{id, label}] = value;
}

int64_t counters::get(counter_id id, const std::string& label) const {
  std::lock_guard<std::mutex> g(mu_);
  auto it = values_.find({id, label});
  return it == values_.end() ? 0 : it->second;
}

v1::CounterSet counters::snapshot(const std::string& instance) const {
  v1::CounterSet out;
  out.set_schema(v1::SCHEMA_V1);
  out.set_instance(instance);
  std::lock_guard<std::mutex> g(mu_);
  for (auto& [key, value] : values_) {
    auto* c = out.add_counters();
    c->set_name(name(key.first));
    c->set_label(key.second);
    c->set_kind(is_gauge(key.first) ? "gauge" : "counter");
    c->set_value(value);
  }
  return out;
}

const char* counters::name(counter_id id) { return kMeta[static_cast<int>(id)].name; }
bool counters::is_gauge(counter_id id) { return kMeta[static_cast<int>(id)].gauge; }

counters& process_counters() {
  static counters instance;
  return instance;
}

}  // namespace sipcc
