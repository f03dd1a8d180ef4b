#include "media/model/book.hpp"

#include <algorithm>
#include <set>

namespace sipcc::media {

uint32_t media_book::count(const std::map<std::string, uint32_t>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

// A leg or hold starts using its server (and its conference's place there).
void media_book::take(std::map<std::string, uint32_t>& counts, const v1::MediaLeg& leg) {
  ++counts[leg.server()];
  if (leg.conf_id().empty())
    return;
  auto& use = confs_[leg.conf_id()];
  if (use.uses++ == 0)
    use.server = leg.server();
}

void media_book::give_back(std::map<std::string, uint32_t>& counts, const v1::MediaLeg& leg) {
  auto it = counts.find(leg.server());
  if (it != counts.end() && --it->second == 0)
    counts.erase(it);
  if (leg.conf_id().empty())
    return;
  auto c = confs_.find(leg.conf_id());
  if (c != confs_.end() && --c->second.uses == 0)
    confs_.erase(c);
}

void media_book::unhold(const std::string& leg_id) {
  auto it = holds_.find(leg_id);
  if (it == holds_.end())
    return;
  give_back(pending_, it->second.leg);
  holds_.erase(it);
}

void media_book::hold(const v1::MediaLeg& leg, int64_t until_us) {
  if (legs_.count(leg.leg_id()))
    return;  // started already: counted as a session
  unhold(leg.leg_id());
  take(pending_, leg);
  holds_[leg.leg_id()] = {leg, until_us};
}

void media_book::record_start(const v1::MediaLeg& leg) {
  if (leg.record_file().empty())
    return;
  auto& r = recording_[leg.record_file()];
  if (r.legs++ == 0) {
    r.rec.set_file(leg.record_file());
    r.rec.set_conn_id(leg.conn_id());
    r.rec.set_server(leg.server());
    r.rec.set_started_us(leg.started_us());
  }
}

void media_book::record_end(const v1::MediaLeg& leg, int64_t at_us) {
  auto it = recording_.find(leg.record_file());
  if (it == recording_.end() || --it->second.legs > 0)
    return;
  it->second.rec.set_stopped_us(at_us);
  done_.push_front(it->second.rec);
  recording_.erase(it);
  if (done_.size() > done_kept_)
    done_.pop_back();
}

void media_book::started(const std::string& owner, const v1::MediaLeg& leg, int64_t now_us) {
  unhold(leg.leg_id());
  if (legs_.count(leg.leg_id()))
    return;
  auto& s = legs_[leg.leg_id()];
  s.owner = owner;
  s.leg = leg;
  if (s.leg.started_us() == 0)
    s.leg.set_started_us(now_us);
  take(sessions_, s.leg);
  record_start(s.leg);
}

void media_book::ended(const std::string& leg_id, int64_t at_us) {
  unhold(leg_id);  // its INVITE failed before it was reported started
  auto it = legs_.find(leg_id);
  if (it == legs_.end())
    return;
  give_back(sessions_, it->second.leg);
  record_end(it->second.leg, at_us);
  legs_.erase(it);
}

size_t media_book::replace_owner(const std::string& owner, const std::vector<v1::MediaLeg>& legs,
                               int64_t now_us) {
  std::set<std::string> listed;
  for (const auto& l : legs)
    listed.insert(l.leg_id());
  std::vector<std::string> gone;
  for (const auto& [id, s] : legs_)
    if (s.owner == owner && !listed.count(id))
      gone.push_back(id);
  for (const auto& id : gone)
    ended(id, now_us);
  for (const auto& l : legs)
    started(owner, l, now_us);
  return gone.size();
}

void media_book::expire(int64_t now_us) {
  std::vector<std::string> late;
  for (const auto& [id, h] : holds_)
    if (h.until_us <= now_us)
      late.push_back(id);
  for (const auto& id : late)
    unhold(id);
}

const std::string* media_book::server_of(const std::string& conf_id) const {
  auto it = confs_.find(conf_id);
  return it == confs_.end() ? nullptr : &it->second.server;
}

std::vector<v1::MediaConference> media_book::conferences() const {
  std::map<std::string, v1::MediaConference> by_id;
  for (const auto& [id, s] : legs_) {
    if (s.leg.kind() != v1::MEDIA_CONFERENCE)
      continue;
    auto& c = by_id[s.leg.conf_id()];
    c.set_conf_id(s.leg.conf_id());
    c.set_server(s.leg.server());
    *c.add_parties() = s.leg;
  }
  std::vector<v1::MediaConference> out;
  for (auto& [id, c] : by_id)
    out.push_back(std::move(c));
  return out;
}

std::vector<v1::MediaRecording> media_book::recordings() const {
  std::vector<v1::MediaRecording> out;
  for (const auto& [file, r] : recording_)
    out.push_back(r.rec);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.started_us() < b.started_us();
  });
  out.insert(out.end(), done_.begin(), done_.end());
  return out;
}

void media_book::lost_with(v1::MediaHealth& h) const {
  for (auto& c : conferences())
    if (c.server() == h.server())
      *h.add_conferences() = std::move(c);
  for (const auto& [file, r] : recording_)
    if (r.rec.server() == h.server())
      *h.add_recordings() = r.rec;
}

}  // namespace sipcc::media
