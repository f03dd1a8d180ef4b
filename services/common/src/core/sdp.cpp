#include "sipcc/sdp.hpp"

#include <charconv>
#include <vector>

#include "sipcc/text.hpp"

namespace sipcc {

namespace {

bool is_direction(std::string_view a) {
  return a == "sendrecv" || a == "sendonly" || a == "recvonly" || a == "inactive";
}

// "o=<user> <sess-id> <sess-version> <nettype> <addrtype> <address>" with
// the version one higher; nothing when it is not that.
std::optional<std::string> next_origin(std::string_view line) {
  auto fields = split(line.substr(2), ' ');
  if (fields.size() != 6)
    return std::nullopt;
  uint64_t version = 0;
  auto v = fields[2];
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
  if (ec != std::errc() || end != v.data() + v.size())
    return std::nullopt;
  std::string out = "o=";
  for (size_t i = 0; i < fields.size(); ++i)
    out += (i ? " " : "") + (i == 2 ? std::to_string(version + 1) : std::string(fields[i]));
  return out;
}

// The first o= line of `sdp`, if any.
std::optional<std::string_view> origin_of(std::string_view sdp) {
  for (auto line : split_lines(sdp))
    if (line.rfind("o=", 0) == 0)
      return line;
  return std::nullopt;
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

std::optional<std::string> session_offer(std::string_view body, std::string_view last_sent) {
  auto last = origin_of(last_sent);
  auto o = last ? next_origin(*last) : std::nullopt;
  if (!o || !origin_of(body))
    return std::nullopt;
  const std::string eol = eol_of(body);
  std::string out;
  bool replaced = false;
  for (auto line : split_lines(body)) {
    if (line.empty())
      continue;
    if (line.rfind("o=", 0) == 0 && !replaced) {
      out += *o + eol;
      replaced = true;
    } else {
      out += std::string(line) + eol;
    }
  }
  return out;
}

}  // namespace sipcc
