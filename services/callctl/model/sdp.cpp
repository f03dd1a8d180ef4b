#include "callctl/model/sdp.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <vector>

#include <sofia-sip/bnf.h>
#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

#include "sipcc/sofia_home.hpp"

namespace sipcc {

namespace {

// sdp_f_mode_manual: direction attributes stay a= attributes where they
// were written, instead of becoming m_mode, which sdp_print writes back
// only where it differs from the session's. c= may be at session level
// only or nowhere (a hold offer edits what the party sent), and o=/c= with
// another network type than IN go through as they are.
constexpr int kParseFlags = sdp_f_c_missing | sdp_f_anynet | sdp_f_mode_manual;
constexpr int kPrintFlags = sdp_f_mode_manual;

bool is_direction(std::string_view a) {
  return a == "sendrecv" || a == "sendonly" || a == "recvonly" || a == "inactive";
}

bool is_token(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return IS_TOKEN(c); });
}

// token *("/" token), as RFC 4566 5.14's <proto>.
bool is_tokens(std::string_view s) {
  for (;;) {
    const auto slash = s.find('/');
    if (!is_token(s.substr(0, slash)))
      return false;
    if (slash == std::string_view::npos)
      return true;
    s.remove_prefix(slash + 1);
  }
}

// An m= line after "m=" (RFC 4566 5.14): <media> <port>[/<number>] <proto>
// <fmt> ..., each a token, the port and proto with their slashes.
bool is_media_line(std::string_view line) {
  size_t field = 0;
  for (size_t at = 0; at <= line.size();) {
    const auto end = std::min(line.find(' ', at), line.size());
    const auto f = line.substr(at, end - at);
    at = end + 1;
    if (f.empty())
      continue;
    const bool ok = field == 1 || field == 2 ? is_tokens(f) : is_token(f);
    if (!ok || (field == 1 && f.find('/') != f.rfind('/')))
      return false;
    ++field;
  }
  return field >= 3;
}

// sofia 1.12.11 asks for gigabytes, or loops, on some malformed m= lines
// (found by fuzzing: a bare CR inside or at the end of one, control
// characters, "m=audio 0 x/AVP 0 1\xd5\r", formats of an unknown transport
// that are no token: "m=audio 1 x 0 =", "m=audio 1 x /8"), and reads
// "m=audio 31/2 /RTP/AVP 0" but not the same line back without its port
// count, as an answer writes it. Lines end in CRLF or LF (RFC 4566 5), hold
// no other control characters and start with their type, only s=, i= and a=
// may carry UTF-8 text, and m= lines are as RFC 4566 writes them: a body
// breaking these rules is no SDP sipcc edits.
bool sofia_can_read(std::string_view text) {
  for (size_t at = 0; at < text.size();) {
    const auto end = text.find('\n', at);
    auto line = text.substr(at, end == std::string_view::npos ? end : end - at);
    at = end == std::string_view::npos ? text.size() : end + 1;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t'))
      return false;  // sofia skips it: " m=" would be an m= line unchecked
    const bool text_line = !line.empty() && (line[0] == 's' || line[0] == 'i' || line[0] == 'a');
    for (unsigned char c : line)
      if ((c > 0x7f && !text_line) || (c < 0x20 && c != '\t'))
        return false;
    if (line.rfind("m=", 0) == 0 && !is_media_line(line.substr(2)))
      return false;
  }
  return true;
}

bool is_modifier(std::string_view name, const char* known) {
  return name.size() == 2 && std::toupper(static_cast<unsigned char>(name[0])) == known[0] &&
         std::toupper(static_cast<unsigned char>(name[1])) == known[1];
}

// The memory of one edit: every body parsed, every structure made and the
// printed text live until it goes.
class sdp_home {
public:
  sdp_home() = default;
  ~sdp_home() {
    for (auto* p : parsers_)
      sdp_parser_free(p);
  }
  sdp_home(const sdp_home&) = delete;
  sdp_home& operator=(const sdp_home&) = delete;

  // The session of `text`; nullptr when it is not SDP with an o= line.
  sdp_session_t* parse(std::string_view text) {
    if (!sofia_can_read(text))
      return nullptr;
    parsers_.push_back(sdp_parse(home_.get(), text.data(), static_cast<issize_t>(text.size()),
                                 kParseFlags));
    auto* s = sdp_session(parsers_.back());
    // sofia's sanity check lets some bodies through without o= (found by
    // fuzzing: an unknown line "1" before it); every edit needs one.
    if (!s || !s->sdp_origin)
      return nullptr;
    // Every edit prints what it parsed; sofia reads some bodies it cannot
    // write back (found by fuzzing: an o= address with a TTL, "IN IP4 h/1").
    if (!print(*s))
      return nullptr;
    if (!keep_bandwidth_names(*s, text))
      return nullptr;
    return s;
  }

  // sofia writes CRLF line ends, the lines in RFC 4566 order, and each m=
  // line's rtpmap/fmtp lines (in format order) before its other a= lines.
  std::optional<std::string> print(const sdp_session_t& s) {
    sdp_printer_t* p = sdp_print(home_.get(), &s, nullptr, 0, kPrintFlags);
    const char* text = sdp_message(p);
    std::optional<std::string> out;
    if (text)
      out.emplace(text, sdp_message_size(p));
    sdp_printer_free(p);
    return out;
  }

  // A valueless a= attribute, e.g. a=inactive.
  sdp_attribute_t* flag(std::string_view name) {
    auto* a = static_cast<sdp_attribute_t*>(su_salloc(home_.get(), sizeof(sdp_attribute_t)));
    if (!a || !(a->a_name = su_strndup(home_.get(), name.data(), static_cast<isize_t>(name.size()))))
      std::abort();  // out of memory
    return a;
  }

private:
  // sofia 1.12.11 reads every b= modifier but CT as AS (b=TIAS:64000 would
  // go out as b=AS:64000, a thousand times the bandwidth): the modifiers the
  // text had go back into the structure, in order, as sofia's "unknown"
  // kind, which sdp_print writes by name. False when a b= line's modifier
  // is no token before a colon (RFC 4566 5.8; sofia reads
  // "b=- 1001 IN IP4 h" as b=AS:1001, found by fuzzing).
  bool keep_bandwidth_names(sdp_session_t& s, std::string_view text) {
    sdp_bandwidth_t* b = s.sdp_bandwidths;
    sdp_media_t* m = nullptr;
    for (size_t at = 0; at < text.size();) {
      auto end = text.find('\n', at);
      auto line = text.substr(at, end == std::string_view::npos ? end : end - at);
      at = end == std::string_view::npos ? text.size() : end + 1;
      if (line.rfind("m=", 0) == 0) {
        m = m ? m->m_next : s.sdp_media;
        b = m ? m->m_bandwidths : nullptr;
      } else if (line.rfind("b=", 0) == 0 && b) {
        const auto colon = line.find(':');
        if (colon == std::string_view::npos)
          return false;
        auto name = line.substr(2, colon - 2);
        if (!is_token(name))
          return false;
        if (!is_modifier(name, "CT") && !is_modifier(name, "AS")) {
          b->b_modifier = sdp_bw_x;
          b->b_modifier_name =
              su_strndup(home_.get(), name.data(), static_cast<isize_t>(name.size()));
        }
        b = b->b_next;
      }
    }
    return true;
  }

  sofia_home home_;
  std::vector<sdp_parser_t*> parsers_;
};

// Renames every direction attribute of `list` to `direction`; whether there
// was one.
bool set_direction(sdp_attribute_t* list, const char* direction) {
  bool found = false;
  for (auto* a = list; a; a = a->a_next)
    if (is_direction(a->a_name)) {
      a->a_name = direction;
      a->a_value = nullptr;
      found = true;
    }
  return found;
}

// `m` cut down to its first format, without the lines that describe the
// stream (RFC 3264 6: an answer's m= line lists what it accepts). With
// `keep_map`, that format's rtpmap and fmtp stay. False when it has no
// format (sdp_print would make up "19").
bool first_format_only(sdp_media_t* m, bool keep_map) {
  if (m->m_rtpmaps) {
    m->m_rtpmaps->rm_next = nullptr;
    if (!keep_map) {
      // sdp_print writes no a=rtpmap for a map it takes for predefined
      // (an empty name would come out as "a=rtpmap:0 /8000").
      m->m_rtpmaps->rm_predef = 1;
      m->m_rtpmaps->rm_fmtp = nullptr;
    }
  } else if (m->m_format) {
    m->m_format->l_next = nullptr;
  } else {
    return false;
  }
  m->m_number_of_ports = 0;
  m->m_information = nullptr;
  m->m_connections = nullptr;
  m->m_bandwidths = nullptr;
  m->m_key = nullptr;
  m->m_attributes = nullptr;
  return true;
}

// An answer with `session` (v=, o=, s=, c=, t=) and a copy of each m= line
// of `offer` that has a format: accepted at the discard port 9 with nothing
// flowing, or rejected (port 0). An offer that is not SDP gets the session
// alone, as one without m= lines.
std::string answer(std::string_view session, std::string_view offer, bool accept) {
  sdp_home home;
  sdp_session_t* out = home.parse(session);
  sdp_session_t* in = home.parse(offer);
  sdp_media_t** tail = &out->sdp_media;
  for (auto* m = in ? in->sdp_media : nullptr; m;) {
    auto* next = m->m_next;
    bool accepted = accept && m->m_port != 0;
    if (first_format_only(m, accepted)) {
      m->m_port = accepted ? 9 : 0;
      if (accepted)
        m->m_attributes = home.flag("inactive");
      m->m_session = out;
      m->m_next = nullptr;
      *tail = m;
      tail = &m->m_next;
    }
    m = next;
  }
  return *home.print(*out);
}

}  // namespace

std::optional<std::string> hold_offer(std::string_view sdp, std::string_view direction) {
  if (!is_direction(direction))
    return std::nullopt;
  sdp_home home;
  sdp_session_t* s = home.parse(sdp);
  if (!s)
    return std::nullopt;
  const char* dir = home.flag(direction)->a_name;
  ++s->sdp_origin->o_version;
  bool session_has = set_direction(s->sdp_attributes, dir);
  for (auto* m = s->sdp_media; m; m = m->m_next)
    if (!set_direction(m->m_attributes, dir) && !session_has)
      sdp_attribute_append(&m->m_attributes, home.flag(direction));
  return home.print(*s);
}

std::string rejecting_answer(std::string_view offer) {
  return answer("v=0\r\no=sipcc 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", offer, false);
}

std::string inactive_answer(std::string_view offer) {
  return answer("v=0\r\no=sipcc 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n",
                offer, true);
}

std::string stamp_origin(leg_origin& origin, std::string_view sdp) {
  sdp_home home;
  sdp_session_t* s = home.parse(sdp);
  if (!s)
    return std::string(sdp);
  sdp_origin_t* theirs = s->sdp_origin;
  s->sdp_origin = nullptr;
  auto rest = home.print(*s);
  if (!rest)
    return std::string(sdp);
  if (origin.session.empty()) {
    sdp_session_t first{};
    first.sdp_size = sizeof first;
    first.sdp_origin = theirs;
    origin.session = home.print(first).value_or("");
    origin.version = theirs->o_version;
  } else if (*rest != origin.last) {
    ++origin.version;
  }
  origin.last = *rest;
  sdp_session_t* leg = home.parse(origin.session);
  if (!leg)
    return std::string(sdp);
  s->sdp_origin = leg->sdp_origin;
  s->sdp_origin->o_version = origin.version;
  return home.print(*s).value_or(std::string(sdp));
}

bool has_origin(std::string_view sdp) {
  sdp_home home;
  return home.parse(sdp) != nullptr;
}

}  // namespace sipcc
