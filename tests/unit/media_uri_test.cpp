// RFC 4240 URI builder (escaping, every parameter) and the treatment mapping.
#include "sipcc/media_uri.hpp"

#include <gtest/gtest.h>

#include "kvlist.hpp"

namespace sipcc {
namespace {

constexpr const char* kMs = "127.0.0.1:5070";

TEST(MediaUri, EscapesWhatASipUriParameterCannotHold) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"file:vm-intro", "file:vm-intro"},
      {"http://audio.example.net/a.g711", "http://audio.example.net/a.g711"},
      {"moh:default", "moh:default"},
      {"a b;c=d?e,f", "a%20b%3Bc%3Dd%3Fe%2Cf"},
      {"#*", "%23*"},
      {"100%", "100%25"},
      {"é", "%C3%A9"},
      {"[x]&+$-_.!~'()", "[x]&+$-_.!~'()"},
      {"", ""},
  };
  for (const auto& [in, want] : cases)
    EXPECT_EQ(escape_uri_param(in), want) << in;
}

TEST(MediaUri, AnnouncementConferenceAndCollectUris) {
  auto annc = [](announcement a) { return annc_uri(kMs, a); };
  announcement every;
  every.play = "file:welcome";
  every.repeat = 3;
  every.delay_ms = 500;
  every.duration_ms = 20000;
  every.locale = "en_US";
  announcement forever;
  forever.play = "moh:default";
  forever.forever = true;
  forever.repeat = 7;  // forever wins
  collect c;
  c.play = "file:enter-account";
  c.max_digits = 4;
  c.terminator = "#";
  c.timeout_ms = 5000;
  collect bare;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {annc({"file:welcome", 0, false, 0, 0, ""}), "sip:annc@127.0.0.1:5070;play=file:welcome"},
      {annc(every),
       "sip:annc@127.0.0.1:5070;play=file:welcome;repeat=3;delay=500;duration=20000;locale=en_US"},
      {annc(forever), "sip:annc@127.0.0.1:5070;play=moh:default;repeat=forever"},
      {conf_uri(kMs, "4f2a"), "sip:conf=4f2a@127.0.0.1:5070"},
      {conf_uri(kMs, "a b", "rec-1.wav"), "sip:conf=a%20b@127.0.0.1:5070;record=rec-1.wav"},
      {collect_uri(kMs, c),
       "sip:collect@127.0.0.1:5070;play=file:enter-account;maxdigits=4;term=%23;timeout=5000"},
      {collect_uri(kMs, bare), "sip:collect@127.0.0.1:5070;maxdigits=1"},
  };
  for (const auto& [got, want] : cases)
    EXPECT_EQ(got, want);
}

TEST(MediaUri, TreatmentsMapToMediaRequests) {
  v1::KVList num_digits;
  auto* p = num_digits.add_pairs();
  p->set_key("MAX_DIGITS");
  p->set_num(6);
  v1::KVList list_prompt;
  list_prompt.add_pairs()->set_key("PROMPT");
  list_prompt.mutable_pairs(0)->mutable_list();
  struct treatment_case {
    const char* name;
    v1::TreatmentType type;
    v1::KVList parms;
    std::string uri;  // empty when an error is expected
    bool collects;
    std::string error;
  };
  const std::string annc = "sip:annc@127.0.0.1:5070;play=";
  const std::string coll = "sip:collect@127.0.0.1:5070;";
  const std::vector<treatment_case> cases = {
      {"music_default", v1::Music, {}, annc + "moh:default;repeat=forever", false, ""},
      {"music_class_for_a_while", v1::Music, test::str_pairs({{"MUSIC", "jazz"}, {"DURATION", "30"}}),
       annc + "moh:jazz;repeat=forever;duration=30000", false, ""},
      {"ringback", v1::RingBack, {}, annc + "tone:ring;repeat=forever", false, ""},
      {"busy", v1::Busy, {}, annc + "tone:busy;repeat=forever", false, ""},
      {"fast_busy", v1::FastBusy, {}, annc + "tone:congestion;repeat=forever", false, ""},
      {"silence", v1::Silence, test::str_pairs({{"DURATION", "5"}}),
       annc + "silence:;repeat=forever;duration=5000", false, ""},
      {"announcement", v1::PlayAnnouncement,
       test::str_pairs({{"PROMPT", "queue-thankyou"}, {"REPEAT", "2"}, {"DELAY", "1000"}, {"LANGUAGE", "fr"}}),
       annc + "file:queue-thankyou;repeat=2;delay=1000;locale=fr", false, ""},
      {"collect", v1::CollectDigits, num_digits, coll + "maxdigits=6", true, ""},
      {"announcement_and_digits", v1::PlayAnnouncementAndDigits,
       test::str_pairs({{"PROMPT", "enter-account"}, {"MAX_DIGITS", "4"}, {"TERMINATOR", "#"},
           {"TIMEOUT", "10"}}),
       coll + "play=file:enter-account;maxdigits=4;term=%23;timeout=10000", true, ""},
      // Refused, with the reason the desktop sees.
      {"announcement_without_prompt", v1::PlayAnnouncement, {}, "", false, "PROMPT is required"},
      {"prompt_is_a_list", v1::PlayAnnouncement, list_prompt, "", false, "PROMPT is required"},
      {"collect_without_max", v1::CollectDigits, {}, "", false, "MAX_DIGITS is required"},
      {"collect_too_many", v1::CollectDigits, test::str_pairs({{"MAX_DIGITS", "33"}}), "", false,
       "MAX_DIGITS must be a whole number 1..32, got '33'"},
      {"bad_terminator", v1::CollectDigits, test::str_pairs({{"MAX_DIGITS", "2"}, {"TERMINATOR", "x"}}), "",
       false, "TERMINATOR must be one of 0-9 * #, got 'x'"},
      {"bad_duration", v1::Music, test::str_pairs({{"DURATION", "soon"}}), "", false,
       "DURATION must be a whole number 1..86400, got 'soon'"},
      {"unknown_type", v1::TREATMENT_UNSPECIFIED, {}, "", false, "unknown TreatmentType 0"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = treatment_request(c.type, c.parms, kMs);
    EXPECT_EQ(r.uri, c.uri);
    EXPECT_EQ(r.collects, c.collects);
    EXPECT_EQ(r.error, c.error);
  }
}

TEST(MediaUri, TreatmentsWrittenAsConfigurationText) {
  struct text_case {
    const char* text;
    v1::TreatmentType type;  // TREATMENT_UNSPECIFIED: rejected
    std::vector<std::pair<std::string, std::string>> parms;
    const char* error;
  };
  const std::vector<text_case> cases = {
      {"Music", v1::Music, {}, ""},
      {"  Music   MUSIC=jazz  DURATION=30 ", v1::Music, {{"MUSIC", "jazz"}, {"DURATION", "30"}},
       ""},
      {"PlayAnnouncement PROMPT=queue-welcome REPEAT=2", v1::PlayAnnouncement,
       {{"PROMPT", "queue-welcome"}, {"REPEAT", "2"}}, ""},
      {"RingBack", v1::RingBack, {}, ""},
      {"", v1::TREATMENT_UNSPECIFIED, {}, "a TreatmentType is required"},
      {"Jazz", v1::TREATMENT_UNSPECIFIED, {},
       "'Jazz' is not a TreatmentType (Music, RingBack, Silence, Busy, FastBusy, "
       "PlayAnnouncement, CollectDigits, PlayAnnouncementAndDigits)"},
      {"TREATMENT_UNSPECIFIED", v1::TREATMENT_UNSPECIFIED, {},
       "'TREATMENT_UNSPECIFIED' is not a TreatmentType (Music, RingBack, Silence, Busy, "
       "FastBusy, PlayAnnouncement, CollectDigits, PlayAnnouncementAndDigits)"},
      {"Music jazz", v1::TREATMENT_UNSPECIFIED, {}, "'jazz' is not KEY=VALUE"},
      {"Music =x", v1::TREATMENT_UNSPECIFIED, {}, "'=x' is not KEY=VALUE"},
      {"PlayAnnouncement", v1::TREATMENT_UNSPECIFIED, {}, "PROMPT is required"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    std::string error;
    auto t = parse_treatment(c.text, error);
    if (c.type == v1::TREATMENT_UNSPECIFIED) {
      EXPECT_FALSE(t);
      EXPECT_EQ(error, c.error);
      continue;
    }
    ASSERT_TRUE(t) << error;
    EXPECT_EQ(t->type, c.type);
    ASSERT_EQ(t->parms.pairs_size(), static_cast<int>(c.parms.size()));
    for (size_t i = 0; i < c.parms.size(); ++i) {
      EXPECT_EQ(t->parms.pairs(static_cast<int>(i)).key(), c.parms[i].first);
      EXPECT_EQ(t->parms.pairs(static_cast<int>(i)).str(), c.parms[i].second);
    }
  }
}

}  // namespace
}  // namespace sipcc
