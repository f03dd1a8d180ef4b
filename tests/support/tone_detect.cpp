#include "tone_detect.hpp"

#include <algorithm>
#include <cmath>

namespace sipcc::test {
namespace {

constexpr double k_pi = 3.14159265358979323846;
constexpr int k_ulaw_bias = 0x84;
constexpr int k_ulaw_clip = 32635;

double energy(const int16_t* x, size_t n) {
  double e = 0;
  for (size_t i = 0; i < n; ++i)
    e += static_cast<double>(x[i]) * x[i];
  return e;
}

// Energy at `hz` summed over 20 ms blocks. Each block's Goertzel power is
// scaled so that a pure sine reads its whole energy; blocks are added as
// powers, so a phase jump between packets (jitter, a lost packet, a
// resampler) costs nothing.
double tone_energy(const std::vector<int16_t>& s, double hz) {
  const double coeff = 2 * std::cos(2 * k_pi * hz / k_sample_rate);
  double total = 0;
  for (size_t at = 0; at + k_packet_samples <= s.size(); at += k_packet_samples) {
    double s1 = 0, s2 = 0;
    for (size_t i = at; i < at + k_packet_samples; ++i) {
      double s0 = s[i] + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    total += 2 * (s1 * s1 + s2 * s2 - coeff * s1 * s2) / k_packet_samples;
  }
  return total;
}

}  // namespace

int16_t ulaw_decode(uint8_t code) {
  code = static_cast<uint8_t>(~code);
  int exponent = (code >> 4) & 0x07;
  int v = (((code & 0x0F) << 3) + k_ulaw_bias) << exponent;
  v -= k_ulaw_bias;
  return static_cast<int16_t>((code & 0x80) ? -v : v);
}

uint8_t ulaw_encode(int16_t sample) {
  int sign = sample < 0 ? 0x80 : 0;
  int v = std::min(std::abs(static_cast<int>(sample)), k_ulaw_clip) + k_ulaw_bias;
  int exponent = 7;
  for (int mask = 0x4000; (v & mask) == 0 && exponent > 0; mask >>= 1)
    --exponent;
  int mantissa = (v >> (exponent + 3)) & 0x0F;
  return static_cast<uint8_t>(~(sign | (exponent << 4) | mantissa));
}

std::vector<int16_t> sine(double hz, double amplitude, uint64_t first, size_t count) {
  std::vector<int16_t> out(count);
  for (size_t i = 0; i < count; ++i)
    out[i] = static_cast<int16_t>(
        std::lround(amplitude * std::sin(2 * k_pi * hz * static_cast<double>(first + i) /
                                         k_sample_rate)));
  return out;
}

bool is_silent(const std::vector<int16_t>& samples) {
  constexpr double k_rms_floor = 100;  // ~-50 dBFS
  return samples.empty() ||
         energy(samples.data(), samples.size()) < k_rms_floor * k_rms_floor * samples.size();
}

bool has_tone(const std::vector<int16_t>& samples, double hz) {
  constexpr double k_min_share = 0.2;
  constexpr double k_neighbour_ratio = 10;
  constexpr double k_neighbour_hz = 250;
  size_t n = samples.size() / k_packet_samples * k_packet_samples;
  if (n == 0 || is_silent(samples))
    return false;
  double at = tone_energy(samples, hz);
  if (at < k_min_share * energy(samples.data(), n))
    return false;
  for (double probe : {hz - k_neighbour_hz, hz + k_neighbour_hz})
    if (probe > 0 && probe < k_sample_rate / 2.0 &&
        tone_energy(samples, probe) * k_neighbour_ratio > at)
      return false;
  return true;
}

}  // namespace sipcc::test
