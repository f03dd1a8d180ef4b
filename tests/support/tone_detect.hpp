// The test phone's ears and mouth as pure functions over 8 kHz samples:
// G.711 mu-law both ways, a Goertzel tone detector and a silence test. The
// detector looks for one frequency carrying a large share of the energy and
// standing well above its neighbours, so a test tone is told from silence,
// noise, music and the other phones' tones (440, 1000, 1800 Hz).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sipcc::test {

constexpr int k_sample_rate = 8000;
constexpr int k_packet_samples = 160;  // 20 ms, the analysis block too

int16_t ulaw_decode(uint8_t code);
uint8_t ulaw_encode(int16_t sample);

// `count` samples of a sine of `amplitude` starting at sample `first` (so
// consecutive calls continue the wave).
std::vector<int16_t> sine(double hz, double amplitude, uint64_t first, size_t count);

// Whether the RMS stays below ~-50 dBFS (G.711 idle noise, comfort noise).
bool is_silent(const std::vector<int16_t>& samples);

// Whether `hz` is a clear tone in `samples` (at least one 20 ms block): not
// silent, at least a fifth of the energy at `hz` (two equal tones mixed each
// pass), and ten times the energy found 250 Hz either side of it.
bool has_tone(const std::vector<int16_t>& samples, double hz);

}  // namespace sipcc::test
