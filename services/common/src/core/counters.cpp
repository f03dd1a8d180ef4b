#include "sipcc/counters.hpp"

#include <vector>

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

int64_t& counters::value_of(counter_id id, const std::string& label) {
  if (auto it = values_.find({id, label}); it != values_.end())
    return it->second;
  auto& labels = labels_[static_cast<std::size_t>(id)];
  // The last slot is kept for the overflow label itself.
  bool room = labels + 1 < kMaxLabels;
  auto [it, made] = values_.try_emplace({id, room ? label : std::string(kOverflowLabel)}, 0);
  if (made)
    ++labels;
  return it->second;
}

void counters::add(counter_id id, const std::string& label, int64_t delta) {
  std::lock_guard<std::mutex> g(mu_);
  value_of(id, label) += delta;
}

void counters::set(counter_id id, const std::string& label, int64_t value) {
  std::lock_guard<std::mutex> g(mu_);
  value_of(id, label) = value;
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

namespace {
const std::vector<int64_t>& bucket_bounds() {
  static const std::vector<int64_t> bounds = [] {
    std::vector<int64_t> b;
    for (double v = 100; v <= 10e6; v *= 1.25)
      b.push_back(static_cast<int64_t>(v));
    return b;
  }();
  return bounds;
}
}  // namespace

std::string sip_status_label(int status) {
  return status >= 100 && status <= 699 ? std::to_string(status) : "other";
}

std::string latency_bucket(int64_t value_us) {
  for (auto bound : bucket_bounds())
    if (value_us <= bound)
      return "le_" + std::to_string(bound);
  return "le_inf";
}

int64_t latency_bucket_bound(const std::string& label) {
  if (label.rfind("le_", 0) != 0 || label == "le_inf")
    return -1;
  return std::stoll(label.substr(3));
}

counters& process_counters() {
  static counters instance;
  return instance;
}

}  // namespace sipcc
