#include "media/model/select.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "sipcc/media_uri.hpp"

namespace sipcc::media {
namespace {

v1::MediaReply refuse(v1::MediaRefusal why, std::string reason) {
  v1::MediaReply r;
  r.set_schema(v1::SCHEMA_V1);
  r.set_refusal(why);
  r.set_reason(std::move(reason));
  return r;
}

template <class T>
bool allows(const std::vector<T>& listed, const T& x) {
  return listed.empty() || std::find(listed.begin(), listed.end(), x) != listed.end();
}

// What a request needs of a server (for a treatment: its type, prompt and
// locale), or why it cannot be served at all.
struct needs {
  std::optional<media_request> treatment;
  std::string error;
};

needs needs_of(const v1::MediaRequest& req) {
  needs n;
  if (req.leg_id().empty())
    n.error = "leg_id is required";
  switch (req.kind()) {
    case v1::MEDIA_TREATMENT:
      n.treatment = treatment_request(req.treatment_type(), req.treatment_parms(), "ms");
      if (n.error.empty())
        n.error = n.treatment->error;
      break;
    case v1::MEDIA_RECORDING:
      if (req.record_file().empty() && n.error.empty())
        n.error = "a recording needs its record_file";
      [[fallthrough]];
    case v1::MEDIA_CONFERENCE:
      if (req.conf_id().empty() && n.error.empty())
        n.error = "conf_id is required";
      break;
    default:
      if (n.error.empty())
        n.error = "kind is required (treatment, conference or recording)";
  }
  return n;
}

struct load {
  size_t index;
  uint32_t used;  // sessions + held
};

load load_of(const pool_view& pool, size_t i) {
  const auto& name = pool.servers[i].name;
  return {i, pool.book.sessions(name) + pool.book.pending(name)};
}

bool full(const pool_view& pool, const load& l) {
  const uint32_t cap = pool.servers[l.index].capacity;
  return cap != 0 && l.used >= cap;
}

// a/wa < b/wb, exactly.
bool lighter(const pool_view& pool, const load& a, const load& b) {
  return uint64_t{a.used} * pool.servers[b.index].weight <
         uint64_t{b.used} * pool.servers[a.index].weight;
}

std::string names(const pool_view& pool, const std::vector<size_t>& which) {
  std::string out;
  for (size_t i : which)
    out += (out.empty() ? "" : ", ") + pool.servers[i].name;
  return out;
}

std::string what(const v1::MediaRequest& req) {
  switch (req.kind()) {
    case v1::MEDIA_TREATMENT:
      return v1::TreatmentType_Name(req.treatment_type());
    case v1::MEDIA_CONFERENCE:
      return "conference " + req.conf_id();
    default:
      return "recording " + req.record_file();
  }
}

v1::MediaReply grant(const pool_view& pool, size_t i, const v1::MediaRequest& req) {
  const auto& s = pool.servers[i];
  v1::MediaReply r;
  r.set_schema(v1::SCHEMA_V1);
  r.set_server(s.name);
  r.set_address(s.address.str());
  if (req.kind() == v1::MEDIA_TREATMENT) {
    auto t = treatment_request(req.treatment_type(), req.treatment_parms(), s.address.str());
    r.set_uri(t.uri);
    r.set_collects(t.collects);
  } else {
    r.set_uri(conf_uri(s.address.str(), req.conf_id(),
                       req.kind() == v1::MEDIA_RECORDING ? req.record_file() : ""));
  }
  return r;
}

// A conference or recording with legs or holds already: its server or none.
v1::MediaReply join(const pool_view& pool, const std::string& server,
                    const v1::MediaRequest& req) {
  auto it = std::find_if(pool.servers.begin(), pool.servers.end(),
                         [&](const media_server_config& s) { return s.name == server; });
  if (it == pool.servers.end())
    return refuse(v1::MEDIA_SERVER_DOWN,
                  fmt::format("{} is on {}, which is no longer in the pool", what(req), server));
  const size_t i = static_cast<size_t>(it - pool.servers.begin());
  if (!selectable(pool.health[i].state))
    return refuse(v1::MEDIA_SERVER_DOWN,
                  fmt::format("{} is on {}, which is out of service", what(req), server));
  if (full(pool, load_of(pool, i)))
    return refuse(v1::MEDIA_POOL_FULL, fmt::format("{} is on {}, which is at its capacity ({})",
                                                   what(req), server, it->capacity));
  return grant(pool, i, req);
}

// The servers that may play the treatment, or a refusal.
std::vector<size_t> serving(const pool_view& pool, const media_request& t,
                            const v1::MediaRequest& req, v1::MediaReply& refusal) {
  std::vector<size_t> served, with_prompt;
  for (size_t i = 0; i < pool.servers.size(); ++i) {
    const auto& s = pool.servers[i];
    if (!allows(s.treatments, req.treatment_type()) ||
        (!t.locale.empty() && !allows(s.locales, t.locale)))
      continue;
    served.push_back(i);
    if (t.prompt.empty() || allows(s.prompts, t.prompt))
      with_prompt.push_back(i);
  }
  if (served.empty())
    refusal = refuse(v1::MEDIA_NOT_SERVED,
                     fmt::format("no media server plays {}{}", what(req),
                                 t.locale.empty() ? "" : " in locale " + t.locale));
  else if (with_prompt.empty())
    refusal = refuse(v1::MEDIA_NO_PROMPT, fmt::format("no media server has prompt '{}' ({})",
                                                      t.prompt, names(pool, served)));
  return with_prompt;
}

// The least loaded of `candidates` that is in service and has room.
v1::MediaReply least_loaded(const pool_view& pool, const std::vector<size_t>& candidates,
                            const v1::MediaRequest& req) {
  std::vector<load> alive;
  for (size_t i : candidates)
    if (selectable(pool.health[i].state))
      alive.push_back(load_of(pool, i));
  if (alive.empty())
    return refuse(v1::MEDIA_SERVER_DOWN,
                  fmt::format("every media server for {} is out of service ({})", what(req),
                              names(pool, candidates)));
  std::optional<load> best;
  std::string loads;
  for (const load& l : alive) {
    loads += fmt::format("{}{} {}/{}", loads.empty() ? "" : ", ", pool.servers[l.index].name,
                         l.used, pool.servers[l.index].capacity);
    if (!full(pool, l) && (!best || lighter(pool, l, *best)))
      best = l;
  }
  if (!best)
    return refuse(v1::MEDIA_POOL_FULL,
                  fmt::format("media pool full for {}: {}", what(req), loads));
  return grant(pool, best->index, req);
}

}  // namespace

v1::MediaReply select_media(const pool_view& pool, const v1::MediaRequest& req) {
  const needs n = needs_of(req);
  if (!n.error.empty())
    return refuse(v1::MEDIA_BAD_REQUEST, n.error);
  if (req.kind() != v1::MEDIA_TREATMENT)
    if (const std::string* on = pool.book.server_of(req.conf_id()))
      return join(pool, *on, req);
  std::vector<size_t> candidates;
  if (n.treatment) {
    v1::MediaReply refusal;
    candidates = serving(pool, *n.treatment, req, refusal);
    if (candidates.empty())
      return refusal;
  } else {
    for (size_t i = 0; i < pool.servers.size(); ++i)
      candidates.push_back(i);
  }
  return least_loaded(pool, candidates, req);
}

v1::MediaLeg placed_leg(const v1::MediaRequest& req, const v1::MediaReply& reply) {
  v1::MediaLeg leg;
  leg.set_conn_id(req.conn_id());
  leg.set_leg_id(req.leg_id());
  leg.set_server(reply.server());
  leg.set_kind(req.kind());
  if (req.kind() == v1::MEDIA_TREATMENT)
    return leg;
  leg.set_conf_id(req.conf_id());
  if (req.kind() == v1::MEDIA_RECORDING)
    leg.set_record_file(req.record_file());
  return leg;
}

}  // namespace sipcc::media
