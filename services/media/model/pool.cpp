#include "media/model/pool.hpp"

#include <algorithm>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

namespace sipcc::media {
namespace {

// Columns padded to their widest cell, two blanks apart.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    width.resize(std::max(width.size(), r.size()));
    for (size_t i = 0; i < r.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i)
      line += i + 1 < r.size() ? fmt::format("{:<{}}  ", r[i], width[i]) : r[i];
    out += line + "\n";
  }
  return out;
}

std::string utc(int64_t us) {
  const std::time_t t = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

int64_t recording_size(const std::string& dir, const std::string& file) {
  if (file.empty() || file.find('/') != std::string::npos)
    return 0;
  std::error_code ec;
  const auto n = std::filesystem::file_size(std::filesystem::path(dir) / file, ec);
  return ec ? 0 : static_cast<int64_t>(n);
}

v1::MediaPool pool_state(const pool_view& pool, const std::string& instance) {
  v1::MediaPool p;
  p.set_schema(v1::SCHEMA_V1);
  p.set_instance(instance);
  for (size_t i = 0; i < pool.servers.size(); ++i) {
    const auto& cfg = pool.servers[i];
    auto* s = p.add_servers();
    s->set_name(cfg.name);
    s->set_address(cfg.address.str());
    s->set_health(pool.health[i].state);
    s->set_weight(cfg.weight);
    s->set_capacity(cfg.capacity);
    s->set_sessions(pool.book.sessions(cfg.name));
    s->set_pending(pool.book.pending(cfg.name));
    s->set_last_probe(pool.health[i].last_probe);
  }
  for (auto& c : pool.book.conferences())
    *p.add_conferences() = std::move(c);
  for (auto& r : pool.book.recordings()) {
    if (pool.size_of)
      r.set_size_bytes(pool.size_of(r.file()));
    *p.add_recordings() = std::move(r);
  }
  return p;
}

std::string pool_text(const v1::MediaPool& pool) {
  std::vector<std::vector<std::string>> servers = {
      {"SERVER", "ADDRESS", "HEALTH", "SESSIONS", "HELD", "CAPACITY", "WEIGHT", "LAST OPTIONS"}};
  for (const auto& s : pool.servers())
    servers.push_back({s.name(), s.address(), health_name(s.health()),
                       std::to_string(s.sessions()), std::to_string(s.pending()),
                       s.capacity() ? std::to_string(s.capacity()) : "no limit",
                       std::to_string(s.weight()),
                       s.last_probe().empty() ? "-" : s.last_probe()});
  std::string out = fmt::format("media pool, as {} sees it\n", pool.instance()) + table(servers);
  out += fmt::format("\nconferences: {}\n", pool.conferences_size());
  for (const auto& c : pool.conferences()) {
    std::string parties;
    for (const auto& p : c.parties())
      parties += fmt::format("{}{} (leg {})", parties.empty() ? "" : ", ", p.conn_id(),
                             p.leg_id());
    out += fmt::format("  {} on {}: {}\n", c.conf_id(), c.server(), parties);
  }
  std::vector<std::vector<std::string>> recs;
  int in_progress = 0;
  for (const auto& r : pool.recordings()) {
    in_progress += r.stopped_us() == 0;
    recs.push_back({"  " + r.file(), "ConnID " + r.conn_id(), "on " + r.server(),
                    utc(r.started_us()),
                    r.stopped_us() ? utc(r.stopped_us()) : "in progress",
                    r.size_bytes() ? fmt::format("{} bytes", r.size_bytes()) : "size unknown"});
  }
  out += fmt::format("\nrecordings: {} in progress, {} done\n", in_progress,
                     pool.recordings_size() - in_progress);
  return out + table(recs);
}

}  // namespace sipcc::media
