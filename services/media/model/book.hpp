// What the media servers hold, kept from what callctl reports: every media
// leg (a SIP session with a media server) from its `started` to its `ended`,
// and the holds selections make for legs that have not started yet.
//
//   sessions of a server   its legs started, against its capacity; with its
//                          holds, the load selection weighs
//   conferences            the legs of one conf_id: one server, its parties
//   recordings             a record_file's legs: in progress from its first
//                          leg's start to its last leg's end, then done
//                          (the latest `done_kept` are kept)
//
// A hold ends when its leg starts or at its deadline (a leg callctl never
// INVITEd). An owner's list (after the media service restarted) replaces
// what was known of that owner: legs it no longer lists ended meanwhile.
// Everything is idempotent: a leg started twice counts once, an unknown
// leg's end is ignored.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "sipcc/v1/media.pb.h"

namespace sipcc::media {

class media_book {
public:
  explicit media_book(size_t done_kept = 100) : done_kept_(done_kept) {}

  // A selection placed `leg` (leg_id, server, kind, conf_id...) ahead of its
  // start; held until `until_us`. A new hold for the same leg replaces it.
  void hold(const v1::MediaLeg& leg, int64_t until_us);
  void started(const std::string& owner, const v1::MediaLeg& leg, int64_t now_us);
  void ended(const std::string& leg_id, int64_t at_us);
  // Returns how many of the owner's legs ended that way.
  size_t replace_owner(const std::string& owner, const std::vector<v1::MediaLeg>& legs,
                       int64_t now_us);
  // Lets go of the holds whose deadline passed.
  void expire(int64_t now_us);

  uint32_t sessions(const std::string& server) const { return count(sessions_, server); }
  uint32_t pending(const std::string& server) const { return count(pending_, server); }
  // The server conference (or recording) `conf_id` is on, from its legs or
  // holds; nullptr when it has none.
  const std::string* server_of(const std::string& conf_id) const;

  std::vector<v1::MediaConference> conferences() const;
  // In progress (oldest first), then done (newest first).
  std::vector<v1::MediaRecording> recordings() const;
  // Into `h`, a server's MediaHealth out of service: the conferences on it
  // and the recordings in progress there, lost with it.
  void lost_with(v1::MediaHealth& h) const;

private:
  struct started_leg {
    std::string owner;
    v1::MediaLeg leg;
  };
  struct held_leg {
    v1::MediaLeg leg;
    int64_t until_us = 0;
  };
  struct conf_use {
    std::string server;
    uint32_t uses = 0;  // legs and holds
  };
  struct recording_use {
    v1::MediaRecording rec;
    uint32_t legs = 0;
  };

  static uint32_t count(const std::map<std::string, uint32_t>& m, const std::string& key);
  void take(std::map<std::string, uint32_t>& counts, const v1::MediaLeg& leg);
  void give_back(std::map<std::string, uint32_t>& counts, const v1::MediaLeg& leg);
  void unhold(const std::string& leg_id);
  void record_start(const v1::MediaLeg& leg);
  void record_end(const v1::MediaLeg& leg, int64_t at_us);

  size_t done_kept_;
  std::map<std::string, started_leg> legs_;  // by leg id
  std::map<std::string, held_leg> holds_;    // by leg id
  std::map<std::string, uint32_t> sessions_, pending_;  // by server
  std::map<std::string, conf_use> confs_;               // by conf id
  std::map<std::string, recording_use> recording_;      // in progress, by file
  std::deque<v1::MediaRecording> done_;                 // newest first
};

}  // namespace sipcc::media
