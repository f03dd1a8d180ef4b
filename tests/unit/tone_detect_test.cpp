// The test phone's tone detector and G.711 mu-law: a phone must hear its
// partner's tone and nothing else (silence, noise, music, a third phone).
#include "tone_detect.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>

namespace sipcc::test {
namespace {

constexpr size_t k_window = 1600;  // 200 ms, what the phone analyses
constexpr double k_tones[] = {440, 1000, 1800};

std::vector<int16_t> mix(std::vector<std::vector<int16_t>> parts) {
  std::vector<int16_t> out(parts.front().size());
  for (const auto& p : parts)
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = static_cast<int16_t>(out[i] + p[i]);
  return out;
}

std::vector<int16_t> noise(double amplitude, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> d(-amplitude, amplitude);
  std::vector<int16_t> out(k_window);
  for (auto& s : out)
    s = static_cast<int16_t>(d(gen));
  return out;
}

// A C major chord with two overtones per note, moving to A minor halfway:
// what hold music looks like to the detector.
std::vector<int16_t> music() {
  auto chord = [](std::vector<double> notes, uint64_t first) {
    std::vector<std::vector<int16_t>> parts;
    for (double f : notes)
      for (int h = 1; h <= 3; ++h)
        parts.push_back(sine(f * h, 2000.0 / (h * h), first, k_window / 2));
    return mix(parts);
  };
  auto out = chord({261.63, 329.63, 392.00}, 0);
  auto second = chord({220.00, 261.63, 329.63}, k_window / 2);
  out.insert(out.end(), second.begin(), second.end());
  return out;
}

// Through the codec, as the phone receives it.
std::vector<int16_t> over_ulaw(std::vector<int16_t> s) {
  for (auto& x : s)
    x = ulaw_decode(ulaw_encode(x));
  return s;
}

// The tone restarting at a random phase every packet, as jitter, lost
// packets or a resampler may leave it.
std::vector<int16_t> choppy(double hz) {
  std::mt19937 gen(7);
  std::vector<int16_t> out;
  for (size_t at = 0; at < k_window; at += k_packet_samples) {
    auto block = sine(hz, 6000, gen() % 1000, k_packet_samples);
    out.insert(out.end(), block.begin(), block.end());
  }
  return out;
}

TEST(ToneDetect, HearsExactlyTheTonesThatArePresent) {
  struct detect_case {
    std::string name;
    std::vector<int16_t> samples;
    std::vector<double> heard;  // of k_tones
    bool silent;
  };
  const std::vector<detect_case> cases = {
      {"440", over_ulaw(sine(440, 6000, 0, k_window)), {440}, false},
      {"1000", over_ulaw(sine(1000, 6000, 0, k_window)), {1000}, false},
      {"1800", over_ulaw(sine(1800, 6000, 0, k_window)), {1800}, false},
      {"loud_1000", over_ulaw(sine(1000, 30000, 0, k_window)), {1000}, false},
      {"one_packet_of_1800", sine(1800, 6000, 0, k_packet_samples), {1800}, false},
      {"440_choppy", over_ulaw(choppy(440)), {440}, false},
      {"440_and_1000_mixed",
       over_ulaw(mix({sine(440, 3000, 0, k_window), sine(1000, 3000, 0, k_window)})),
       {440, 1000},
       false},
      {"1800_in_noise_10dB_down",
       over_ulaw(mix({sine(1800, 6000, 0, k_window), noise(2300, 1)})),
       {1800},
       false},
      {"digital_silence", std::vector<int16_t>(k_window, 0), {}, true},
      {"idle_noise", noise(20, 2), {}, true},
      {"too_faint_440", sine(440, 60, 0, k_window), {}, true},
      {"white_noise", over_ulaw(noise(8000, 3)), {}, false},
      {"music", over_ulaw(music()), {}, false},
      {"near_but_not_440", sine(600, 6000, 0, k_window), {}, false},
      {"less_than_a_packet", sine(440, 6000, 0, k_packet_samples - 1), {}, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(is_silent(c.samples), c.silent);
    for (double hz : k_tones) {
      bool expected = std::find(c.heard.begin(), c.heard.end(), hz) != c.heard.end();
      EXPECT_EQ(has_tone(c.samples, hz), expected) << hz << " Hz";
    }
  }
}

TEST(ToneDetect, UlawKnownCodesAndRoundTripWithinItsStep) {
  EXPECT_EQ(ulaw_encode(0), 0xFF);
  EXPECT_EQ(ulaw_decode(0xFF), 0);
  EXPECT_EQ(ulaw_decode(0x7F), 0);
  EXPECT_EQ(ulaw_decode(0x80), 32124);
  EXPECT_EQ(ulaw_decode(0x00), -32124);
  EXPECT_EQ(ulaw_encode(32767), 0x80);
  EXPECT_EQ(ulaw_encode(-32768), 0x00);
  for (int x = -32768; x <= 32767; x += 7) {
    int back = ulaw_decode(ulaw_encode(static_cast<int16_t>(x)));
    ASSERT_LE(std::abs(back - x), 8 + std::abs(x) / 16) << x;
  }
}

}  // namespace
}  // namespace sipcc::test
