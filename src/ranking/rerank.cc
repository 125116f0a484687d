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
  thread_local std::vector<float> rel, maxsim, inv_norm;
  thread_local std::vector<uint8_t> taken;
  rel.resize(m);
  for (size_t j = 0; j < m; ++j) rel[j] = span > 0.f ? (in.relevance[j] - lo) / span : 0.f;
  taken.assign(m, 0);
  if (mmr) {
    maxsim.assign(m, -std::numeric_limits<float>::infinity());
    inv_norm.resize(m);
    for (size_t j = 0; j < m; ++j)
      inv_norm[j] = InvNorm(in.vectors.data() + static_cast<size_t>(in.items[j]) * in.dim, in.dim);
  }
  // Calibration state: category mass of the chosen list (counts), number of chosen items with a
  // category, and per category p_g (only categories with p_g > 0 matter).
  thread_local std::vector<double> cnt, logbase;
  thread_local std::vector<uint32_t> active;  // categories with p_g > 0
  double total = 0.0;
  const double alpha = kCalibrationAlpha;
  if (cal) {
    cnt.assign(in.target.size(), 0.0);
    logbase.assign(in.target.size(), 0.0);
    active.clear();
    for (uint32_t g = 0; g < in.target.size(); ++g)
      if (in.target[g] > 0.f) active.push_back(g);
  }
  for (size_t step = 0; step < k; ++step) {
    // Calibration: L(candidate) = sum_g p_g log q~_g after adding it. For candidates with a
    // category the list's normaliser becomes total + 1 whichever they are, so the sum over
    // every category is shared (B) and each candidate corrects its own categories.
    double b_with = 0.0, l_without = 0.0;
    if (cal) {
      const double t1 = total + 1.0;
      for (uint32_t g : active) {
        const double p = in.target[g];
        const double qb = (1.0 - alpha) * cnt[g] / t1 + alpha * p;
        logbase[g] = std::log(qb);
        b_with += p * logbase[g];
        const double q0 = (1.0 - alpha) * (total > 0.0 ? cnt[g] / total : 0.0) + alpha * p;
        l_without += p * std::log(q0);
      }
    }
    size_t best = m;
    float best_obj = -std::numeric_limits<float>::infinity();
    for (size_t j = 0; j < m; ++j) {
      if (taken[j]) continue;
      float obj = wr * rel[j];
      if (mmr && step > 0) obj -= d * maxsim[j];
      if (cal) {
        // KL = H(p) terms cancel between candidates: maximise -c * (-L) = c * L.
        double l = l_without;
        const auto gs = in.categories->of(in.items[j]);
        if (!gs.empty()) {
          l = b_with;
          const double share = 1.0 / static_cast<double>(gs.size());
          const double t1 = total + 1.0;
          for (uint32_t g : gs) {
            if (g >= in.target.size() || in.target[g] <= 0.f) continue;
            const double p = in.target[g];
            const double q = (1.0 - alpha) * (cnt[g] + share) / t1 + alpha * p;
            l += p * (std::log(q) - logbase[g]);
          }
        }
        obj += c * static_cast<float>(l);
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
    if (mmr) {
      const float* vb = in.vectors.data() + static_cast<size_t>(in.items[best]) * in.dim;
      for (size_t j = 0; j < m; ++j) {
        if (taken[j]) continue;
        const float* vj = in.vectors.data() + static_cast<size_t>(in.items[j]) * in.dim;
        const float s = Dot(vb, vj, in.dim) * inv_norm[best] * inv_norm[j];
        maxsim[j] = std::max(maxsim[j], s);
      }
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
