// Deterministic pseudo-random numbers for every seeded operation (ALS init, splits, SVD, synth).
// We avoid std:: distributions because their output is not specified across standard libraries;
// these functions give the same stream for the same seed on every platform. No
// std::random_device anywhere in library code: seeds come from options.
// Not thread-safe: one Rng per thread (derive with Rng::Fork or SplitSeed).
#pragma once

#include <cmath>
#include <cstdint>

namespace hybridrec {

// SplitMix64: mixes a 64-bit value; used to derive independent seeds (e.g. per row).
inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Seed for stream `index` under `seed`, independent of thread scheduling.
inline uint64_t SplitSeed(uint64_t seed, uint64_t index) { return SplitMix64(seed ^ SplitMix64(index + 1)); }

// xoshiro256** generator.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t x = seed;
    for (auto& w : s_) { x += 0x9E3779B97F4A7C15ULL; w = SplitMix64(x); }
  }
  uint64_t NextU64() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0]; s_[3] ^= s_[1]; s_[1] ^= s_[2]; s_[0] ^= s_[3];
    s_[2] ^= t; s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n). REQUIRES: n > 0. (Lemire-free simple modulo is biased; use
  // 128-bit multiply which is unbiased enough for our n << 2^64.)
  uint64_t Below(uint64_t n) {
    __extension__ using U128 = unsigned __int128;  // GNU extension, available on every target we build
    return static_cast<uint64_t>((static_cast<U128>(NextU64()) * n) >> 64);
  }
  // Standard normal (Box-Muller, no caching so the stream is simple to reason about).
  double Normal() {
    double u1 = Uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Fisher-Yates shuffle with our Rng (std::shuffle's use of the engine is unspecified).
template <typename It>
void Shuffle(It first, It last, Rng& rng) {
  const auto n = last - first;
  for (auto i = n - 1; i > 0; --i) {
    const auto j = static_cast<decltype(i)>(rng.Below(static_cast<uint64_t>(i) + 1));
    using std::swap;
    swap(first[i], first[j]);
  }
}

}  // namespace hybridrec
