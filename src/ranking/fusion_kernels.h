// Pure kernels of the hybrid ranking stage. No state, no allocation beyond the
// outputs; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace hybridrec {

// Default floor on the standard deviation: below it a signal is treated as constant and
// contributes z = 0 (it cannot discriminate between candidates).
inline constexpr float kDefaultSigmaFloor = 1e-6f;

// z-scores `scores` over the entries where present[i] != 0 (all entries when `present` is
// empty), writing out[i] = (s - mean) / max(std, sigma_floor); absent or non-finite entries get
// 0 and are excluded from mean/std. A constant signal (std below the floor) gives all zeros.
// REQUIRES: out.size() == scores.size(); present empty or of the same size.
void ZScore(std::span<const float> scores, std::span<const uint8_t> present, std::span<float> out,
            float sigma_floor = kDefaultSigmaFloor);

// min(1, history_size / T), or 1 when T <= 0: how far a history has grown towards T. The
// collaborative weight rises with it; the popularity blend and the co-occurrence signal fade
// with it (1 - ramp).
float HistoryRamp(size_t history_size, float T);

// w_u = 0 without a collaborative factor; otherwise w_max * min(1, history_size / T).
// T <= 0 means "full weight from the first interaction". Result clamped to [0, 1].
float AdaptiveWeight(size_t history_size, float T, float w_max, bool has_collab_factor);

// out[i] = w * z_collab[i] + (1 - w) * z_content[i].
void FuseScores(std::span<const float> z_collab, std::span<const float> z_content, float w, std::span<float> out);

}  // namespace hybridrec
