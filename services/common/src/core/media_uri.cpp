#include "sipcc/media_uri.hpp"

#include <cctype>
#include <charconv>

#include "sipcc/text.hpp"

namespace sipcc {
namespace {

// RFC 3261 25.1: unreserved = alphanum / mark; param-unreserved.
bool param_char(unsigned char c) {
  static constexpr std::string_view kMark = "-_.!~*'()";
  static constexpr std::string_view kParamUnreserved = "[]/:&+$";
  return std::isalnum(c) || kMark.find(static_cast<char>(c)) != std::string_view::npos ||
         kParamUnreserved.find(static_cast<char>(c)) != std::string_view::npos;
}

std::string param(const char* name, const std::string& value) {
  return std::string(";") + name + "=" + escape_uri_param(value);
}

const v1::KVPair* find(const v1::KVList& l, std::string_view key) {
  for (const auto& p : l.pairs())
    if (p.key() == key)
      return &p;
  return nullptr;
}

// A parameter as text (str or num); nullopt when absent.
std::optional<std::string> text(const v1::KVList& l, std::string_view key) {
  const auto* p = find(l, key);
  if (!p)
    return std::nullopt;
  if (p->value_case() == v1::KVPair::kNum)
    return std::to_string(p->num());
  if (p->value_case() == v1::KVPair::kStr)
    return p->str();
  return std::string();  // a list where a value belongs: rejected by the callers
}

// A whole number in [lo, hi]; nullopt when absent, error when bad.
std::optional<uint32_t> number(const v1::KVList& l, std::string_view key, uint32_t lo, uint32_t hi,
                               std::string& error) {
  auto t = text(l, key);
  if (!t)
    return std::nullopt;
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(t->data(), t->data() + t->size(), n);
  if (ec != std::errc() || end != t->data() + t->size() || n < lo || n > hi) {
    if (error.empty())
      error = std::string(key) + " must be a whole number " + std::to_string(lo) + ".." +
              std::to_string(hi) + ", got '" + *t + "'";
    return std::nullopt;
  }
  return n;
}

std::string required_text(const v1::KVList& l, std::string_view key, std::string& error) {
  auto t = text(l, key);
  if ((!t || t->empty()) && error.empty())
    error = std::string(key) + " is required";
  return t.value_or("");
}

}  // namespace

std::string escape_uri_param(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (param_char(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string annc_uri(const std::string& ms, const announcement& a) {
  std::string u = "sip:annc@" + ms + param("play", a.play);
  if (a.forever)
    u += ";repeat=forever";
  else if (a.repeat > 0)
    u += ";repeat=" + std::to_string(a.repeat);
  if (a.delay_ms > 0)
    u += ";delay=" + std::to_string(a.delay_ms);
  if (a.duration_ms > 0)
    u += ";duration=" + std::to_string(a.duration_ms);
  if (!a.locale.empty())
    u += param("locale", a.locale);
  return u;
}

std::string conf_uri(const std::string& ms, const std::string& id, const std::string& record) {
  // The id is the user part: escape what a user part cannot hold, as a
  // parameter would be (user-unreserved is wider, never narrower, here).
  std::string u = "sip:conf=" + escape_uri_param(id) + "@" + ms;
  if (!record.empty())
    u += param("record", record);
  return u;
}

std::string collect_uri(const std::string& ms, const collect& c) {
  std::string u = "sip:collect@" + ms;
  if (!c.play.empty())
    u += param("play", c.play);
  u += ";maxdigits=" + std::to_string(c.max_digits);
  if (!c.terminator.empty())
    u += param("term", c.terminator);
  if (c.timeout_ms > 0)
    u += ";timeout=" + std::to_string(c.timeout_ms);
  return u;
}

media_request treatment_request(v1::TreatmentType type, const v1::KVList& parms,
                                const std::string& ms) {
  media_request r;
  std::string& err = r.error;
  auto duration_ms = [&] { return number(parms, "DURATION", 1, 86400, err).value_or(0) * 1000; };
  auto tone = [&](const std::string& play) {
    announcement a;
    a.play = play;
    a.forever = true;
    a.duration_ms = duration_ms();
    return annc_uri(ms, a);
  };
  auto collect_of = [&](const std::string& prompt) {
    collect c;
    c.play = prompt;
    c.max_digits = number(parms, "MAX_DIGITS", 1, 32, err).value_or(0);
    if (!find(parms, "MAX_DIGITS") && err.empty())
      err = "MAX_DIGITS is required";
    c.terminator = text(parms, "TERMINATOR").value_or("");
    if (c.terminator.size() > 1 ||
        (c.terminator.size() == 1 && !std::isdigit(static_cast<unsigned char>(c.terminator[0])) &&
         c.terminator != "*" && c.terminator != "#"))
      if (err.empty())
        err = "TERMINATOR must be one of 0-9 * #, got '" + c.terminator + "'";
    c.timeout_ms = number(parms, "TIMEOUT", 1, 3600, err).value_or(0) * 1000;
    r.collects = true;
    return collect_uri(ms, c);
  };
  switch (type) {
    case v1::Music:
      r.uri = tone("moh:" + text(parms, "MUSIC").value_or("default"));
      break;
    case v1::RingBack:
      r.uri = tone("tone:ring");
      break;
    case v1::Busy:
      r.uri = tone("tone:busy");
      break;
    case v1::FastBusy:
      r.uri = tone("tone:congestion");
      break;
    case v1::Silence:
      r.uri = tone("silence:");
      break;
    case v1::PlayAnnouncement: {
      announcement a;
      r.prompt = required_text(parms, "PROMPT", err);
      a.play = "file:" + r.prompt;
      a.repeat = number(parms, "REPEAT", 1, 100, err).value_or(0);
      a.delay_ms = number(parms, "DELAY", 0, 60000, err).value_or(0);
      a.locale = r.locale = text(parms, "LANGUAGE").value_or("");
      r.uri = annc_uri(ms, a);
      break;
    }
    case v1::CollectDigits:
      r.uri = collect_of("");
      break;
    case v1::PlayAnnouncementAndDigits:
      r.prompt = required_text(parms, "PROMPT", err);
      r.uri = collect_of("file:" + r.prompt);
      break;
    default:
      err = "unknown TreatmentType " + std::to_string(static_cast<int>(type));
  }
  if (!err.empty()) {
    r.uri.clear();
    r.collects = false;
  }
  return r;
}

std::optional<treatment_spec> parse_treatment(std::string_view text, std::string& error) {
  treatment_spec t;
  bool first = true;
  for (auto piece : split(text, ' ')) {
    if (piece.empty())
      continue;  // runs of blanks
    std::string word(piece);
    if (first) {
      first = false;
      if (!v1::TreatmentType_Parse(word, &t.type) || t.type == v1::TREATMENT_UNSPECIFIED) {
        error = "'" + word + "' is not a TreatmentType (Music, RingBack, Silence, Busy, " +
                "FastBusy, PlayAnnouncement, CollectDigits, PlayAnnouncementAndDigits)";
        return std::nullopt;
      }
      continue;
    }
    auto eq = word.find('=');
    if (eq == std::string::npos || eq == 0) {
      error = "'" + word + "' is not KEY=VALUE";
      return std::nullopt;
    }
    auto* kv = t.parms.add_pairs();
    kv->set_key(word.substr(0, eq));
    kv->set_str(word.substr(eq + 1));
  }
  if (first) {
    error = "a TreatmentType is required";
    return std::nullopt;
  }
  auto checked = treatment_request(t.type, t.parms, "ms");
  if (!checked.error.empty()) {
    error = checked.error;
    return std::nullopt;
  }
  return t;
}

}  // namespace sipcc
