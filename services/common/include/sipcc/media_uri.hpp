// Media-server requests as pure functions: RFC 4240 Request-URIs (and the
// two services RFC 4240 leaves out, recording and prompt-and-collect, in the
// same style) and the mapping from a T-Library treatment to one of them.
//
// What `play=` names, as the shipped Asterisk dialplan reads it
// (deploy/asterisk/extensions.conf [media-server]):
//   file:<prompt>       a sound file by Asterisk's name, e.g. file:vm-intro
//   moh:<class>         music on hold of that musiconhold.conf class
//   tone:<name>         an indications tone: ring, busy, congestion
//   silence:            nothing (the caller hears silence)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sipcc/v1/common.pb.h"
#include "sipcc/v1/tlib.pb.h"

namespace sipcc {

// A value made safe inside a SIP URI parameter (RFC 3261 paramchar):
// unreserved and param-unreserved characters stay, the rest is %XX.
std::string escape_uri_param(std::string_view value);

// sip:annc@<ms>;play=<uri>[;repeat=<n|forever>][;delay=<ms>][;duration=<ms>][;locale=<l>]
// (RFC 4240 section 3). repeat 0 means once (the parameter is left out).
struct announcement {
  std::string play;
  uint32_t repeat = 0;
  bool forever = false;
  uint32_t delay_ms = 0;
  uint32_t duration_ms = 0;
  std::string locale;
};
std::string annc_uri(const std::string& ms, const announcement& a);

// sip:conf=<id>@<ms> (RFC 4240 section 4); with `record`, ;record=<file>
// records the whole conference (every party, both directions).
std::string conf_uri(const std::string& ms, const std::string& id, const std::string& record = "");

// Prompt and collect, a sipcc extension in the RFC 4240 style:
// sip:collect@<ms>;play=<uri>;maxdigits=<n>[;term=<c>][;timeout=<ms>]
struct collect {
  std::string play;         // may be empty: collect without a prompt
  uint32_t max_digits = 1;
  std::string terminator;   // one of 0-9 * #, or empty
  uint32_t timeout_ms = 0;  // 0: the media server's default
};
std::string collect_uri(const std::string& ms, const collect& c);

// What a TApplyTreatment asks the media server for: exactly one of them, or
// the reason the request cannot be carried out (EventError / NotApplied).
struct media_request {
  std::string uri;
  bool collects = false;    // EventTreatmentEnd carries the collected digits
  std::string error;
  // What the media server must have: the PROMPT and LANGUAGE asked for
  // (empty when none), checked against its catalog before any INVITE.
  std::string prompt;
  std::string locale;
};

// Treatment types and their parameters (TreatmentParms, keys as below, str
// or num values):
//   Music              MUSIC (class, default "default"), DURATION (s)
//   RingBack, Busy, FastBusy, Silence   DURATION (s)
//   PlayAnnouncement   PROMPT (required), REPEAT, DELAY (ms), LANGUAGE
//   CollectDigits      MAX_DIGITS (required, 1..32), TERMINATOR, TIMEOUT (s)
//   PlayAnnouncementAndDigits  PROMPT (required) and the CollectDigits keys
// Without a DURATION, music and tones last until the call leaves them.
media_request treatment_request(v1::TreatmentType type, const v1::KVList& parms,
                                const std::string& ms);

// A treatment written as configuration text: the TreatmentType name, then
// KEY=VALUE parameters separated by blanks, e.g. "Music MUSIC=jazz" or
// "PlayAnnouncement PROMPT=queue-welcome REPEAT=2". Checked with
// treatment_request; nullopt and `error` when it would be refused.
struct treatment_spec {
  v1::TreatmentType type = v1::TREATMENT_UNSPECIFIED;
  v1::KVList parms;
};
std::optional<treatment_spec> parse_treatment(std::string_view text, std::string& error);

}  // namespace sipcc
