// The popularity signal: the item's popularity score, blended in with share
// m_u = mix * (1 - min(1, |history| / T_pop)) so that short histories lean on popularity. A blend
// (1 - m) F + m z_pop of the other signals' fused score F ranks exactly as F + m / (1 - m) z_pop,
// so the signal enters the fused score with weight m_u / (1 - m_u) (m_u < 1 for any non-empty
// history). Candidates: the top-N popular unseen items. Items without training interactions
// (popularity 0) have no popularity score (z = 0), so the blend neither lifts nor buries them.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "ranking/option_fields.h"
#include "ranking/signal.h"

namespace hybridrec {

struct PopularityOptions {
  // Blend weight at an empty history, fading to 0 at T; in [0, 1]; 0 = off. The default 0.7 was
  // the best of 0, 0.3, 0.5, 0.7, 0.9 for new users given 5 items (cold-users splits of
  // MovieLens latest-small, three seeds) and cost nothing measurable on warm users.
  float mix = 0.7f;
  float T = 0.f;             // history size at which the blend vanishes (<= 0: the ranker's T)
  // Half-life in days of the exponential time decay of each training interaction's vote in the
  // popularity counts, back from the latest training timestamp; 0 = plain counts. Applied where
  // the popularity vector is built (training, evaluation), not by the ranker. Ignored without
  // timestamps.
  float half_life_days = 0.f;
  template <typename Self, typename V>
  static void VisitFields(Self& o, V&& v) {
    v(FieldSpec{"popularity_mix", "popularity-mix", "popularity blend for short histories, in [0, 1]", 0, 1}, o.mix);
    v(FieldSpec{"popularity_T", "popularity-T", "history size at which the popularity blend vanishes (<= 0: T)"},
      o.T);
    v(FieldSpec{"popularity_half_life_days", "popularity-half-life",
                "half-life in days of the popularity counts' time decay (0: plain counts)", 0, kInf},
      o.half_life_days);
  }
  static void Grid(std::string_view protocol, const RankerOptions& base, std::vector<GridAxis>& out);
};

// Null when the blend is off (mix 0).
std::shared_ptr<const Signal> MakePopularitySignal(const SignalInputs& in, const RankerOptions& options);

}  // namespace hybridrec
