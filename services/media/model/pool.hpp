// The pool as the media service knows it: the configured servers, each
// one's health, and what the book holds; and that view as sipccctl shows it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "media/model/book.hpp"
#include "media/model/health.hpp"
#include "sipcc/config.hpp"
#include "sipcc/v1/media.pb.h"

namespace sipcc::media {

struct pool_view {
  const std::vector<media_server_config>& servers;
  const std::vector<server_health>& health;  // one per server, in the same order
  const media_book& book;
  // A recording file's size in bytes, 0 when not known; none: never known.
  std::function<int64_t(const std::string& file)> size_of = {};
};

// The size in bytes of recording `file` in folder `dir` (media.recordings-dir),
// 0 when there is no such file; a name with a '/' is never looked up (the
// name comes from the bus).
int64_t recording_size(const std::string& dir, const std::string& file);

// The answer to sipcc.media.pool: servers in configuration order,
// conferences, recordings (media_book's order).
v1::MediaPool pool_state(const pool_view& pool, const std::string& instance);

// The pool as `sipccctl media` prints it: a table of servers (health,
// sessions, holds, capacity, weight, last OPTIONS), then conferences with
// their parties, then recordings (times in UTC, the size when known).
std::string pool_text(const v1::MediaPool& pool);

}  // namespace sipcc::media
