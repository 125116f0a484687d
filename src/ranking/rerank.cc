#include "ranking/rerank.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/vector_kernels.h"

namespace hybridrec {

void CategoryMix(const ItemCategories& categories, std::span<const HistoryEntry> history, std::vector<float>& p) {
  std::vector<double> acc(categories.num_categories, 0.0);
  double total = 0.0;
  for (const auto& [item, strength] : history) {
    const auto g = categories.of(item);
    if (g.empty() || !(strength > 0.f)) continue;
    const double w = static_cast<double>(strength) / static_cast<double>(g.size());
    for (uint32_t c : g) acc[c] += w;
    total += strength;
  }
  p.assign(categories.num_categories, 0.f);
  if (total <= 0.0) return;
  for (size_t c = 0; c < acc.size(); ++c) p[c] = static_cast<float>(acc[c] / total);
}

double CalibrationKl(const ItemCategories& categories, std::span<const float> p, std::span<const uint32_t> items) {
  std::vector<double> q(p.size(), 0.0);
  double total = 0.0;
  for (uint32_t i : items) {
    const auto g = categories.of(i);
    if (g.empty()) continue;
    for (uint32_t c : g) q[c] += 1.0 / static_cast<double>(g.size());
    total += 1.0;
  }
  double kl = 0.0;
  const double a = kCalibrationAlpha;
  for (size_t c = 0; c < p.size(); ++c) {
    if (p[c] <= 0.f) continue;
    const double qt = (1.0 - a) * (total > 0.0 ? q[c] / total : 0.0) + a * p[c];
    kl += p[c] * std::log(p[c] / qt);
  }
  return kl;
}

void Rerank(const RerankInput& in, std::vector<uint32_t>& out) {
  out.clear();
  const size_t m = in.items.size();
  const size_t k = std::min(in.k, m);
  if (k == 0) return;
  // Relevance scaled to [0, 1].
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (float r : in.relevance) {
    lo = std::min(lo, r);
    hi = std::max(hi, r);
  }
  const float span = hi - lo;
  const bool mmr = in.diversity > 0.f && !in.vectors.empty() && in.dim > 0;
  const bool cal = in.calibration > 0.f && in.categories != nullptr && !in.target.empty();
  const float d = mmr ? in.diversity : 0.f, c = cal ? in.calibration : 0.f;
  const float wr = (1.f - d) * (1.f - c);
  const size_t dim = in.dim;
  thread_local std::vector<float> rel, maxsim, unit;
  thread_local std::vector<uint8_t> taken;
  rel.resize(m);
  for (size_t j = 0; j < m; ++j) rel[j] = span > 0.f ? (in.relevance[j] - lo) / span : 0.f;
  taken.assign(m, 0);
  if (mmr) {
    // The candidates' unit vectors in one contiguous block.
    maxsim.assign(m, -std::numeric_limits<float>::infinity());
    unit.resize(m * dim);
    for (size_t j = 0; j < m; ++j) {
      const float* v = in.vectors.data() + static_cast<size_t>(in.items[j]) * dim;
      const float inv = InvNorm(v, dim);
      float* u = unit.data() + j * dim;
      for (size_t x = 0; x < dim; ++x) u[x] = v[x] * inv;
    }
  }
  // Calibration state: the chosen list's category mass (cnt), how many chosen items have a
  // category (total); only categories with p_g > 0 enter the KL.
  constexpr size_t kMaxShare = 4;  // categories per item with a precomputed gain
  thread_local std::vector<double> cnt, logbase, gain;
  thread_local std::vector<uint32_t> active;
  double total = 0.0;
  const double alpha = kCalibrationAlpha;
  if (cal) {
    cnt.assign(in.target.size(), 0.0);
    logbase.assign(in.target.size(), 0.0);
    gain.assign(in.target.size() * kMaxShare, 0.0);
    active.clear();
    for (uint32_t g = 0; g < in.target.size(); ++g)
      if (in.target[g] > 0.f) active.push_back(g);
  }
  for (size_t step = 0; step < k; ++step) {
    // Calibration: L(candidate) = sum_g p_g log q~_g with the candidate added; the KL is H(p) - L.
    // For a candidate with categories the normaliser becomes total + 1 whichever it is, so the
    // sum over all categories (b_with) is shared and each candidate adds, for each of its own
    // categories, gain = p_g (log q~_g with it - log q~_g without it), tabulated by the number
    // of categories the item spreads its weight over. A candidate without categories leaves the
    // list's mix, and L, as they are (l_without).
    double b_with = 0.0, l_without = 0.0;
    if (cal) {
      const double t1 = total + 1.0;
      for (uint32_t g : active) {
        const double p = in.target[g];
        logbase[g] = std::log((1.0 - alpha) * cnt[g] / t1 + alpha * p);
        b_with += p * logbase[g];
        l_without += p * std::log((1.0 - alpha) * (total > 0.0 ? cnt[g] / total : 0.0) + alpha * p);
        for (size_t sh = 1; sh <= kMaxShare; ++sh) {
          const double q = (1.0 - alpha) * (cnt[g] + 1.0 / static_cast<double>(sh)) / t1 + alpha * p;
          gain[g * kMaxShare + sh - 1] = p * (std::log(q) - logbase[g]);
        }
      }
    }
    size_t best = m;
    float best_obj = -std::numeric_limits<float>::infinity();
    for (size_t j = 0; j < m; ++j) {
      if (taken[j]) continue;
      float obj = wr * rel[j];
      if (mmr && step > 0) obj -= d * maxsim[j];
      if (cal) {
        double l = l_without;
        const auto gs = in.categories->of(in.items[j]);
        if (!gs.empty()) {
          l = b_with;
          const size_t sh = gs.size();
          for (uint32_t g : gs) {
            if (g >= in.target.size() || in.target[g] <= 0.f) continue;
            if (sh <= kMaxShare) {
              l += gain[g * kMaxShare + sh - 1];
            } else {
              const double p = in.target[g];
              const double q = (1.0 - alpha) * (cnt[g] + 1.0 / static_cast<double>(sh)) / (total + 1.0) + alpha * p;
              l += p * (std::log(q) - logbase[g]);
            }
          }
        }
        obj += c * static_cast<float>(l);  // - c KL = c L - c H(p); H(p) is the same for all
      }
      if (best == m || obj > best_obj ||
          (obj == best_obj && (rel[j] > rel[best] || (rel[j] == rel[best] && in.items[j] < in.items[best])))) {
        best = j;
        best_obj = obj;
      }
    }
    if (best == m) break;
    taken[best] = 1;
    out.push_back(static_cast<uint32_t>(best));
    if (mmr && step + 1 < k) {
      const float* vb = unit.data() + best * dim;
      for (size_t j = 0; j < m; ++j)
        if (!taken[j]) maxsim[j] = std::max(maxsim[j], DotSimd(vb, unit.data() + j * dim, dim));
    }
    if (cal) {
      const auto gs = in.categories->of(in.items[best]);
      if (!gs.empty()) {
        for (uint32_t g : gs)
          if (g < cnt.size()) cnt[g] += 1.0 / static_cast<double>(gs.size());
        total += 1.0;
      }
    }
  }
}

}  // namespace hybridrec
