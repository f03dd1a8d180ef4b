// Where a media leg goes: weights, capacity, affinity, the prompt catalog,
// locales, dead servers and malformed requests, each with the reply it gets.
#include "media/model/select.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "media_requests.hpp"

namespace sipcc::media {
namespace {

media_server_config server(const std::string& name, uint16_t port, uint32_t weight = 1,
                           uint32_t capacity = 0) {
  media_server_config s;
  s.name = name;
  s.address = {"10.0.0.1", port};
  s.weight = weight;
  s.capacity = capacity;
  return s;
}

media_server_config with(media_server_config s, std::vector<v1::TreatmentType> types,
                         std::vector<std::string> prompts = {},
                         std::vector<std::string> locales = {}) {
  s.treatments = std::move(types);
  s.prompts = std::move(prompts);
  s.locales = std::move(locales);
  return s;
}

using test::conference_ask;
using test::treatment_ask;

// `n` treatment legs started on `server`.
std::function<void(media_book&)> busy(const std::string& on, int n) {
  return [on, n](media_book& b) {
    for (int i = 0; i < n; ++i) {
      v1::MediaLeg l;
      l.set_leg_id(on + "-busy-" + std::to_string(i));
      l.set_server(on);
      l.set_kind(v1::MEDIA_TREATMENT);
      b.started("callctl-0", l, 1);
    }
  };
}

// A leg of conference `conf_id` on `on`, started or only held.
std::function<void(media_book&)> in_conf(const std::string& on, const std::string& conf_id,
                                         bool held = false) {
  return [=](media_book& b) {
    v1::MediaLeg l;
    l.set_leg_id("conf-leg-1");
    l.set_server(on);
    l.set_kind(v1::MEDIA_CONFERENCE);
    l.set_conf_id(conf_id);
    if (held)
      b.hold(l, 100);
    else
      b.started("callctl-0", l, 1);
  };
}

constexpr auto in = v1::MEDIA_IN_SERVICE;
constexpr auto out = v1::MEDIA_OUT_OF_SERVICE;
constexpr auto unknown = v1::MEDIA_HEALTH_UNKNOWN;

struct select_case {
  std::string name;
  std::vector<media_server_config> servers;
  std::vector<v1::MediaHealthState> health;
  std::function<void(media_book&)> setup;
  v1::MediaRequest req;
  v1::MediaRefusal refusal;
  std::string server;  // when granted
  std::string uri;     // when granted
  std::string reason;  // when refused
};

void run(const select_case& c) {
  SCOPED_TRACE(c.name);
  media_book book;
  if (c.setup)
    c.setup(book);
  std::vector<server_health> h(c.servers.size());
  for (size_t i = 0; i < c.health.size(); ++i)
    h[i].state = c.health[i];
  const auto reply = select_media({c.servers, h, book}, c.req);
  EXPECT_EQ(reply.refusal(), c.refusal) << reply.reason();
  EXPECT_EQ(reply.server(), c.server);
  EXPECT_EQ(reply.uri(), c.uri);
  EXPECT_EQ(reply.reason(), c.reason);
  for (const auto& s : c.servers) {
    if (s.name == c.server) {
      EXPECT_EQ(reply.address(), s.address.str());
    }
  }
}

const auto music = treatment_ask("L1", v1::Music);
const std::string music_a = "sip:annc@10.0.0.1:5070;play=moh:default;repeat=forever";
const std::string music_b = "sip:annc@10.0.0.1:5072;play=moh:default;repeat=forever";

TEST(MediaSelect, LoadCapacityAndHealth) {
  const auto a = server("a", 5070, 2, 4), b = server("b", 5072, 1, 2);
  const std::vector<select_case> cases = {
      {"idle pool: the first", {a, b}, {in, in}, nullptr, music, v1::MEDIA_OK, "a", music_a, ""},
      {"by weight: a has 1 of 2, b 0 of 1", {a, b}, {in, in}, busy("a", 1), music, v1::MEDIA_OK,
       "b", music_b, ""},
      {"by weight: a 2/2 ties b 1/1, the first wins", {a, b}, {in, in},
       [](media_book& bk) { busy("a", 2)(bk), busy("b", 1)(bk); }, music, v1::MEDIA_OK, "a",
       music_a, ""},
      {"a full server is skipped", {server("a", 5070, 1, 1), b}, {in, in}, busy("a", 1), music,
       v1::MEDIA_OK, "b", music_b, ""},
      {"holds count against capacity",
       {server("a", 5070, 1, 1), b},
       {in, in},
       [](media_book& bk) {
         v1::MediaLeg l;
         l.set_leg_id("held");
         l.set_server("a");
         bk.hold(l, 100);
       },
       music, v1::MEDIA_OK, "b", music_b, ""},
      {"every server full", {a, b}, {in, in},
       [](media_book& bk) { busy("a", 4)(bk), busy("b", 2)(bk); }, music, v1::MEDIA_POOL_FULL,
       "", "", "media pool full for Music: a 4/4, b 2/2"},
      {"a dead server is avoided however idle", {a, b}, {out, in}, busy("b", 1), music,
       v1::MEDIA_OK, "b", music_b, ""},
      {"not probed yet counts as in service", {a, b}, {unknown, unknown}, nullptr, music,
       v1::MEDIA_OK, "a", music_a, ""},
      {"every server dead", {a, b}, {out, out}, nullptr, music, v1::MEDIA_SERVER_DOWN, "", "",
       "every media server for Music is out of service (a, b)"},
      {"no limit without a capacity", {server("a", 5070)}, {in}, busy("a", 1000), music,
       v1::MEDIA_OK, "a", music_a, ""},
  };
  for (const auto& c : cases)
    run(c);
}

TEST(MediaSelect, TreatmentTypesPromptsAndLocales) {
  const auto musiconly = with(server("a", 5070), {v1::Music});
  const auto any = server("b", 5072);
  const auto welcome = treatment_ask("L1", v1::PlayAnnouncement, {{"PROMPT", "welcome"}});
  const std::string welcome_b = "sip:annc@10.0.0.1:5072;play=file:welcome";
  const std::vector<select_case> cases = {
      {"the type only b plays, though b is busier", {musiconly, any}, {in, in}, busy("b", 3),
       welcome, v1::MEDIA_OK, "b", welcome_b, ""},
      {"a type nobody plays", {musiconly}, {in}, nullptr, welcome, v1::MEDIA_NOT_SERVED, "", "",
       "no media server plays PlayAnnouncement"},
      {"the prompt only b's catalog has",
       {with(server("a", 5070), {}, {"goodbye"}), with(any, {}, {"welcome", "goodbye"})},
       {in, in}, busy("b", 3), welcome, v1::MEDIA_OK, "b", welcome_b, ""},
      {"a prompt no catalog has, before any INVITE",
       {with(server("a", 5070), {}, {"goodbye"}), with(any, {}, {"goodbye"}), musiconly},
       {in, in, in}, nullptr, welcome, v1::MEDIA_NO_PROMPT, "", "",
       "no media server has prompt 'welcome' (a, b)"},
      {"no catalog: not checked (the server answers 404 itself)", {any}, {in}, nullptr, welcome,
       v1::MEDIA_OK, "b", welcome_b, ""},
      {"the catalog is not asked for music", {with(any, {}, {"goodbye"})}, {in}, nullptr, music,
       v1::MEDIA_OK, "b", music_b, ""},
      {"the prompt of PlayAnnouncementAndDigits too", {with(any, {}, {"goodbye"})}, {in}, nullptr,
       treatment_ask("L1", v1::PlayAnnouncementAndDigits, {{"PROMPT", "pin"}, {"MAX_DIGITS", "4"}}),
       v1::MEDIA_NO_PROMPT, "", "", "no media server has prompt 'pin' (b)"},
      {"the locale b has",
       {with(server("a", 5070), {}, {}, {"en"}), with(any, {}, {}, {"en", "fr"})},
       {in, in}, nullptr,
       treatment_ask("L1", v1::PlayAnnouncement, {{"PROMPT", "welcome"}, {"LANGUAGE", "fr"}}),
       v1::MEDIA_OK, "b", "sip:annc@10.0.0.1:5072;play=file:welcome;locale=fr", ""},
      {"a locale nobody has", {with(any, {}, {}, {"en"})}, {in}, nullptr,
       treatment_ask("L1", v1::PlayAnnouncement, {{"PROMPT", "welcome"}, {"LANGUAGE", "de"}}),
       v1::MEDIA_NOT_SERVED, "", "", "no media server plays PlayAnnouncement in locale de"},
      {"the one that plays it is dead", {musiconly, any}, {in, out}, nullptr, welcome,
       v1::MEDIA_SERVER_DOWN, "", "",
       "every media server for PlayAnnouncement is out of service (b)"},
  };
  for (const auto& c : cases)
    run(c);
}

TEST(MediaSelect, ConferenceAndRecordingAffinity) {
  const auto a = server("a", 5070, 1, 3), b = server("b", 5072, 1, 3);
  const std::vector<select_case> cases = {
      {"a new conference: the least loaded", {a, b}, {in, in}, busy("a", 1),
       conference_ask("L2", "c1"), v1::MEDIA_OK, "b", "sip:conf=c1@10.0.0.1:5072", ""},
      {"a party joins its conference's server, though busier", {a, b}, {in, in},
       [](media_book& bk) { busy("b", 1)(bk), in_conf("b", "c1")(bk); },
       conference_ask("L2", "c1"), v1::MEDIA_OK, "b", "sip:conf=c1@10.0.0.1:5072", ""},
      {"a hold keeps the place before the first leg starts", {a, b}, {in, in},
       in_conf("b", "c1", true), conference_ask("L2", "c1"), v1::MEDIA_OK, "b",
       "sip:conf=c1@10.0.0.1:5072", ""},
      {"the second leg of a recording", {a, b}, {in, in},
       [](media_book& bk) {
         busy("a", 1)(bk);
         in_conf("a", "rec-1")(bk);
       },
       conference_ask("L3", "rec-1", "1-3.wav"), v1::MEDIA_OK, "a",
       "sip:conf=rec-1@10.0.0.1:5070;record=1-3.wav", ""},
      {"its server died: refused, not split", {a, b}, {in, out}, in_conf("b", "c1"),
       conference_ask("L2", "c1"), v1::MEDIA_SERVER_DOWN, "", "",
       "conference c1 is on b, which is out of service"},
      {"its server is full", {a, b}, {in, in},
       [](media_book& bk) { busy("b", 2)(bk), in_conf("b", "c1")(bk); }, conference_ask("L2", "c1"),
       v1::MEDIA_POOL_FULL, "", "", "conference c1 is on b, which is at its capacity (3)"},
      {"its server left the pool", {a}, {in}, in_conf("b", "c1"), conference_ask("L2", "c1"),
       v1::MEDIA_SERVER_DOWN, "", "", "conference c1 is on b, which is no longer in the pool"},
      {"a conference is not a treatment: types do not limit it",
       {with(a, {v1::Music}), with(b, {v1::Music})}, {in, in}, nullptr, conference_ask("L2", "c9"),
       v1::MEDIA_OK, "a", "sip:conf=c9@10.0.0.1:5070", ""},
  };
  for (const auto& c : cases)
    run(c);
}

TEST(MediaSelect, MalformedRequests) {
  const auto a = server("a", 5070);
  auto no_leg = music;
  no_leg.clear_leg_id();
  auto no_kind = music;
  no_kind.clear_kind();
  const std::vector<select_case> cases = {
      {"no leg id", {a}, {in}, nullptr, no_leg, v1::MEDIA_BAD_REQUEST, "", "", "leg_id is required"},
      {"no kind", {a}, {in}, nullptr, no_kind, v1::MEDIA_BAD_REQUEST, "", "",
       "kind is required (treatment, conference or recording)"},
      {"a treatment TApplyTreatment would refuse", {a}, {in}, nullptr,
       treatment_ask("L1", v1::PlayAnnouncement), v1::MEDIA_BAD_REQUEST, "", "",
       "PROMPT is required"},
      {"a conference without its id", {a}, {in}, nullptr, conference_ask("L1", ""),
       v1::MEDIA_BAD_REQUEST, "", "", "conf_id is required"},
      {"a recording without its file", {a}, {in}, nullptr,
       [] {
         auto r = conference_ask("L1", "rec-1");
         r.set_kind(v1::MEDIA_RECORDING);
         return r;
       }(),
       v1::MEDIA_BAD_REQUEST, "", "", "a recording needs its record_file"},
  };
  for (const auto& c : cases)
    run(c);
}

// As the service does it: each granted request holds its session, so a run
// of requests spreads by weight.
TEST(MediaSelect, ARunOfTreatmentsSpreadsByWeight) {
  const std::vector<media_server_config> servers = {server("a", 5070, 2), server("b", 5072, 1)};
  const std::vector<server_health> h(2);
  media_book book;
  std::string order;
  for (int i = 0; i < 9; ++i) {
    const auto req = treatment_ask("L" + std::to_string(i), v1::Music);
    const auto reply = select_media({servers, h, book}, req);
    ASSERT_EQ(reply.refusal(), v1::MEDIA_OK);
    book.hold(placed_leg(req, reply), 1'000'000);
    order += reply.server();
  }
  EXPECT_EQ(order, "abaabaaba");
}

TEST(MediaSelect, DigitCollectionSaysItCollects) {
  const std::vector<media_server_config> servers = {server("a", 5070)};
  const std::vector<server_health> h(1);
  media_book book;
  const auto reply =
      select_media({servers, h, book}, treatment_ask("L1", v1::CollectDigits, {{"MAX_DIGITS", "4"}}));
  EXPECT_TRUE(reply.collects());
  EXPECT_EQ(reply.uri(), "sip:collect@10.0.0.1:5070;maxdigits=4");
}

TEST(MediaSelect, PlacedLegCarriesWhatTheBookNeeds) {
  v1::MediaReply reply;
  reply.set_server("b");
  const auto leg = placed_leg(conference_ask("L7", "rec-1", "x.wav"), reply);
  EXPECT_EQ(leg.leg_id(), "L7");
  EXPECT_EQ(leg.server(), "b");
  EXPECT_EQ(leg.kind(), v1::MEDIA_RECORDING);
  EXPECT_EQ(leg.conf_id(), "rec-1");
  EXPECT_EQ(leg.record_file(), "x.wav");
  auto t = treatment_ask("L8", v1::Music);
  t.set_conf_id("ignored");
  EXPECT_EQ(placed_leg(t, reply).conf_id(), "");
}

}  // namespace
}  // namespace sipcc::media
