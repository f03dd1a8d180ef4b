#include "callctl/model/sdp.hpp"

#include <charconv>
#include <vector>

#include "sipcc/text.hpp"

namespace sipcc {

namespace {

bool is_direction(std::string_view a) {
  return a == "sendrecv" || a == "sendonly" || a == "recvonly" || a == "inactive";
}

// "o=<user> <sess-id> <sess-version> <nettype> <addrtype> <address>" split
// around its version; nothing when it is not that.
struct origin_line {
  std::string head, tail;
  uint64_t version = 0;
};
std::optional<origin_line> parse_origin(std::string_view line) {
  auto fields = split(line.substr(2), ' ');
  if (fields.size() != 6)
    return std::nullopt;
  origin_line o;
  auto v = fields[2];
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), o.version);
  if (ec != std::errc() || end != v.data() + v.size())
    return std::nullopt;
  o.head = "o=" + std::string(fields[0]) + " " + std::string(fields[1]);
  o.tail = std::string(fields[3]) + " " + std::string(fields[4]) + " " + std::string(fields[5]);
  return o;
}

std::string origin_text(const std::string& head, uint64_t version, const std::string& tail) {
  return head + " " + std::to_string(version) + " " + tail;
}

// The version one higher; nothing when `line` is no o= line.
std::optional<std::string> next_origin(std::string_view line) {
  auto o = parse_origin(line);
  if (!o)
    return std::nullopt;
  return origin_text(o->head, o->version + 1, o->tail);
}

std::string eol_of(std::string_view sdp) {
  return sdp.find("\r\n") != std::string_view::npos ? "\r\n" : "\n";
}

}  // namespace

std::optional<std::string> hold_offer(std::string_view sdp, std::string_view direction) {
  if (!is_direction(direction))
    return std::nullopt;
  const std::string eol = eol_of(sdp);
  const std::string attr = "a=" + std::string(direction);
  std::string out;
  bool origin = false;
  bool in_media = false, session_has = false, media_has = false;
  // A media section without a direction of its own (and none at session
  // level) gets one where it ends.
  auto close_media = [&] {
    if (in_media && !media_has && !session_has)
      out += attr + eol;
  };
  for (auto line : split_lines(sdp)) {
    if (line.empty())
      continue;
    if (line.rfind("o=", 0) == 0 && !origin) {
      auto o = next_origin(line);
      if (!o)
        return std::nullopt;
      out += *o + eol;
      origin = true;
    } else if (line.rfind("m=", 0) == 0) {
      close_media();
      in_media = true;
      media_has = false;
      out += std::string(line) + eol;
    } else if (line.rfind("a=", 0) == 0 && is_direction(line.substr(2))) {
      (in_media ? media_has : session_has) = true;
      out += attr + eol;
    } else {
      out += std::string(line) + eol;
    }
  }
  close_media();
  if (!origin)
    return std::nullopt;
  return out;
}

std::string rejecting_answer(std::string_view offer) {
  std::string out = "v=0\r\no=sipcc 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
  for (auto line : split_lines(offer)) {
    if (line.rfind("m=", 0) != 0)
      continue;
    // m=<media> <port> <proto> <fmt> ...: keep media, proto and the first format.
    auto f = split(line.substr(2), ' ');
    if (f.size() < 4)
      continue;
    out += "m=" + std::string(f[0]) + " 0 " + std::string(f[2]) + " " + std::string(f[3]) + "\r\n";
  }
  return out;
}

std::string stamp_origin(leg_origin& origin, std::string_view sdp) {
  // The body around its first o= line.
  size_t start = 0;
  while (start < sdp.size()) {
    if (sdp.compare(start, 2, "o=") == 0)
      break;
    auto nl = sdp.find('\n', start);
    start = nl == std::string_view::npos ? sdp.size() : nl + 1;
  }
  if (start >= sdp.size())
    return std::string(sdp);
  auto end = sdp.find_first_of("\r\n", start);
  if (end == std::string_view::npos)
    end = sdp.size();
  auto line = parse_origin(sdp.substr(start, end - start));
  if (!line)
    return std::string(sdp);
  std::string rest = std::string(sdp.substr(0, start)) + std::string(sdp.substr(end));
  if (origin.head.empty()) {
    origin.head = line->head;
    origin.tail = line->tail;
    origin.version = line->version;
  } else if (rest != origin.last) {
    ++origin.version;
  }
  origin.last = rest;
  return std::string(sdp.substr(0, start)) + origin_text(origin.head, origin.version, origin.tail) +
         std::string(sdp.substr(end));
}

bool has_origin(std::string_view sdp) {
  for (auto line : split_lines(sdp))
    if (line.rfind("o=", 0) == 0)
      return parse_origin(line).has_value();
  return false;
}

std::string inactive_answer(std::string_view offer) {
  std::string out = "v=0\r\no=sipcc 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n";
  std::string format;  // of the current m= line; empty outside one, or rejected
  for (auto line : split_lines(offer)) {
    if (line.rfind("m=", 0) == 0) {
      // m=<media> <port> <proto> <fmt> ...
      auto f = split(line.substr(2), ' ');
      format.clear();
      if (f.size() < 4)
        continue;
      bool rejected = f[1] == "0";
      out += "m=" + std::string(f[0]) + (rejected ? " 0 " : " 9 ") + std::string(f[2]) + " " +
             std::string(f[3]) + "\r\n";
      if (!rejected) {
        format = f[3];
        out += "a=inactive\r\n";
      }
    } else if (!format.empty() && (line.rfind("a=rtpmap:" + format + " ", 0) == 0 ||
                                   line.rfind("a=fmtp:" + format + " ", 0) == 0)) {
      out += std::string(line) + "\r\n";
    }
  }
  return out;
}

}  // namespace sipcc
