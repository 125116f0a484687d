#include "ranking/ranking_kernels.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

#include "core/cholesky.h"
#include "core/scratch.h"

namespace hybridrec {

void CanonicalHistory(std::span<const HistoryEntry> history, std::vector<HistoryEntry>& out) {
  out.assign(history.begin(), history.end());
  for (const auto& [item, r] : out) {
    if (!std::isfinite(r) || r < 0.f)
      throw std::invalid_argument("history strength of item " + std::to_string(item) + " must be finite and >= 0");
  }
  std::stable_sort(out.begin(), out.end(), [](const HistoryEntry& a, const HistoryEntry& b) { return a.first < b.first; });
  size_t w = 0;
  for (size_t r = 0; r < out.size(); ++r) {
    if (w > 0 && out[w - 1].first == out[r].first) {
      out[w - 1].second += out[r].second;
    } else {
      out[w++] = out[r];
    }
  }
  out.resize(w);
}

float EntryConfidence(const ConfidenceOptions& options, float strength) {
  if (options.kind == ConfidenceKind::kLog) return 1.f + options.alpha * std::log1p(strength / options.eps);
  return 1.f + options.alpha * strength;
}

bool BuildContentProfile(std::span<const float> embeddings, size_t num_items, size_t d,
                         std::span<const uint32_t> items, std::span<const float> weights, std::span<float> out) {
  if (embeddings.size() != num_items * d || out.size() != d || weights.size() != items.size())
    throw std::invalid_argument("BuildContentProfile: size mismatch");
  std::fill(out.begin(), out.end(), 0.f);
  bool any = false;
  for (size_t t = 0; t < items.size(); ++t) {
    const float w = weights[t];
    if (items[t] >= num_items || !(w > 0.f) || !std::isfinite(w)) continue;
    const float* e = embeddings.data() + static_cast<size_t>(items[t]) * d;
    for (size_t j = 0; j < d; ++j) out[j] += w * e[j];
    any = true;
  }
  if (!any) return false;
  // The mean's scale does not matter after normalisation, so the division by the weight sum is
  // skipped.
  double norm2 = 0.0;
  for (size_t j = 0; j < d; ++j) norm2 += static_cast<double>(out[j]) * out[j];
  if (!(norm2 > 0.0) || !std::isfinite(norm2)) {
    std::fill(out.begin(), out.end(), 0.f);
    return false;
  }
  const float inv = static_cast<float>(1.0 / std::sqrt(norm2));
  for (size_t j = 0; j < d; ++j) out[j] *= inv;
  return true;
}

void UnionCandidates(std::span<const uint32_t> ids, std::span<const uint32_t> exclude, uint32_t limit,
                     std::vector<uint8_t>& mark, std::vector<uint32_t>& out) {
  ResizeScratch(mark, limit, uint8_t{0});
  if (ids.size() < limit / 16) {
    out.clear();
    for (uint32_t i : ids)
      if (i < limit) out.push_back(i);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    for (uint32_t h : exclude)
      if (h < limit) mark[h] = 1;
    out.erase(std::remove_if(out.begin(), out.end(), [&mark](uint32_t i) { return mark[i] != 0; }), out.end());
    for (uint32_t h : exclude)
      if (h < limit) mark[h] = 0;
    return;
  }
  for (uint32_t i : ids)
    if (i < limit) mark[i] = 1;
  for (uint32_t h : exclude)
    if (h < limit) mark[h] = 0;
  ResizeScratch(out, static_cast<size_t>(limit) + 1);
  size_t n = 0;
  for (uint32_t i = 0; i < limit; ++i) {  // branch-free compaction
    out[n] = i;
    n += mark[i];
  }
  out.resize(n);
  for (uint32_t i : ids)
    if (i < limit) mark[i] = 0;
}

namespace {

// The k-th largest (0-based) of a[0..m) (no NaN), by quickselect with branch-free partitions
// (the comparisons of a selection are unpredictable, so branchy std::nth_element spends most of
// its time in mispredictions). Clobbers a; tmp is scratch.
float NthLargest(float* a, size_t m, size_t k, std::vector<float>& tmp) {
  ResizeScratch(tmp, m);
  while (m > 24) {
    float x = a[0], y = a[m / 2], z = a[m - 1];  // median of three
    if (x > y) std::swap(x, y);
    const float pivot = std::max(x, std::min(y, z));
    size_t hi = 0, lo = m, eq = 0;
    float* t = tmp.data();
    for (size_t i = 0; i < m; ++i) {
      const float v = a[i];
      const bool gt = v > pivot;
      t[hi] = v;
      t[lo - 1] = v;
      hi += gt ? 1 : 0;
      lo -= gt ? 0 : 1;
      eq += v == pivot ? 1 : 0;
    }
    // t[0, hi): > pivot; t[hi, m): <= pivot (reversed).
    if (k < hi) {
      std::copy(t, t + hi, a);
      m = hi;
    } else if (k < hi + eq) {
      return pivot;
    } else {
      size_t w = 0;
      for (size_t i = hi; i < m; ++i) {
        a[w] = t[i];
        w += t[i] < pivot ? 1 : 0;
      }
      k -= hi + eq;
      m = w;
    }
  }
  std::sort(a, a + m, std::greater<float>());
  return a[k];
}

}  // namespace

void SelectTopN(std::span<const float> scores, size_t n, std::vector<float>& values, std::vector<uint32_t>& out) {
  out.clear();
  if (n == 0) return;
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const float* s = scores.data();
  const size_t size = scores.size();
  // Eligible = v > -inf (false for NaN). Written as branch-free reductions so they vectorise:
  // this runs twice per request over the whole catalogue.
  // Fast path (catalogue much larger than n): a strided sample gives a threshold that is very
  // likely below the n-th largest value; one pass collects every eligible value at or above it
  // (in index order), and the exact threshold and the output come from that short list. When
  // fewer than n values are collected (unlucky sample, or few eligible values) the general path
  // below runs instead, so the result is always exact.
  if (size >= 8 * n && n >= 8) {
    constexpr size_t kStride = 4;
    values.clear();
    ReserveScratch(values, size);  // grows to `size` below
    for (size_t i = 0; i < size; i += kStride)
      if (s[i] > -kInf) values.push_back(s[i]);
    const double expect = static_cast<double>(n) / kStride;
    const auto rank = static_cast<size_t>(expect + 3.0 * std::sqrt(expect) + 4.0);
    thread_local std::vector<float> tmp, sel;
    if (rank < values.size()) {
      const float low = NthLargest(values.data(), values.size(), rank, tmp);
      thread_local std::vector<uint32_t> idx;
      ResizeScratch(idx, size);
      ResizeScratch(values, size);
      size_t c = 0;
      for (uint32_t i = 0; i < size; ++i) {  // branch-free compaction
        idx[c] = i;
        values[c] = s[i];
        c += s[i] >= low ? 1 : 0;
      }
      if (c >= n) {
        sel.assign(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(c));
        const float thr = NthLargest(sel.data(), c, n - 1, tmp);
        out.resize(n);
        size_t w = 0;
        for (size_t t = 0; t < c && w < n; ++t) {
          out[w] = idx[t];
          w += values[t] > thr ? 1 : 0;
        }
        for (size_t t = 0; t < c && w < n; ++t)
          if (values[t] == thr) out[w++] = idx[t];
        out.resize(w);
        return;
      }
    }
  }
  float lo = kInf, hi = -kInf;
  size_t m = 0;
  for (size_t i = 0; i < size; ++i) {
    const float v = s[i];
    const bool ok = v > -kInf;
    m += ok ? 1 : 0;
    lo = std::min(lo, ok ? v : kInf);
    hi = std::max(hi, ok ? v : -kInf);
  }
  if (m <= n) {
    for (uint32_t i = 0; i < size; ++i)
      if (s[i] > -kInf) out.push_back(i);
    return;
  }
  float thr = hi;
  if (hi > lo) {
    // A histogram finds the bin holding the n-th largest value; only that bin is selected
    // exactly (the bin index is monotone in v, so every higher bin lies strictly above it). A
    // range overflowing float (v - lo could be infinite) puts everything in one bin: exact,
    // only slower.
    constexpr int kBins = 256;
    const float range = hi - lo;
    const bool binned = std::isfinite(range);
    const float scale = binned ? static_cast<float>(kBins) / range : 0.f;
    auto bin = [&](float v) { return binned ? std::min(kBins - 1, static_cast<int>((v - lo) * scale)) : 0; };
    size_t hist[kBins] = {};
    for (size_t i = 0; i < size; ++i)
      if (s[i] > -kInf) ++hist[bin(s[i])];
    size_t above = 0;
    int b = kBins - 1;
    for (; b > 0 && above + hist[b] < n; --b) above += hist[b];
    values.clear();
    for (size_t i = 0; i < size; ++i)
      if (s[i] > -kInf && bin(s[i]) == b) values.push_back(s[i]);
    const size_t need = n - above;  // 1 <= need <= values.size()
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(need - 1), values.end(),
                     std::greater<float>());
    thr = values[need - 1];
  }
  // Everything above the threshold (branch-free writes), then ties at it by ascending index.
  out.resize(n);
  uint32_t* o = out.data();
  size_t w = 0;
  for (uint32_t i = 0; i < size && w < n; ++i) {
    o[w] = i;
    w += s[i] > thr ? 1 : 0;
  }
  for (uint32_t i = 0; i < size && w < n; ++i)
    if (s[i] == thr) o[w++] = i;
  out.resize(w);
}

std::vector<std::vector<Contribution>> CollabContributions(std::span<const float> y, std::span<const float> gram,
                                                           int k, std::span<const uint32_t> history_items,
                                                           std::span<const float> confidences, float reg,
                                                           std::span<const uint32_t> targets) {
  if (k <= 0 || y.size() % static_cast<size_t>(k) != 0 || gram.size() != static_cast<size_t>(k) * k ||
      confidences.size() != history_items.size())
    throw std::invalid_argument("CollabContributions: size mismatch");
  const size_t ks = static_cast<size_t>(k);
  const size_t n = y.size() / ks;
  for (uint32_t h : history_items)
    if (h >= n) throw std::invalid_argument("CollabContributions: history item out of range");
  for (uint32_t t : targets)
    if (t >= n) throw std::invalid_argument("CollabContributions: target item out of range");
  std::vector<double> w(ks * ks);
  for (size_t i = 0; i < ks * ks; ++i) w[i] = gram[i];
  for (size_t j = 0; j < ks; ++j) w[j * ks + j] += reg;
  for (size_t t = 0; t < history_items.size(); ++t) {
    const float* yh = y.data() + history_items[t] * ks;
    const double c1 = static_cast<double>(confidences[t]) - 1.0;
    for (size_t a = 0; a < ks; ++a)
      for (size_t b = 0; b < ks; ++b) w[a * ks + b] += c1 * yh[a] * yh[b];
  }
  if (!CholeskyFactor(w, ks))
    throw std::invalid_argument("CollabContributions: W_u is not positive definite (regularisation 0?)");
  std::vector<std::vector<Contribution>> out(targets.size());
  std::vector<double> v(ks);
  for (size_t q = 0; q < targets.size(); ++q) {
    const float* yi = y.data() + targets[q] * ks;
    for (size_t j = 0; j < ks; ++j) v[j] = yi[j];
    CholeskySolve(w, ks, v);  // v = W_u^{-1} y_i (W_u symmetric)
    out[q].resize(history_items.size());
    for (size_t t = 0; t < history_items.size(); ++t) {
      const float* yh = y.data() + history_items[t] * ks;
      double dot = 0.0;
      for (size_t j = 0; j < ks; ++j) dot += v[j] * yh[j];
      out[q][t] = {history_items[t], static_cast<float>(confidences[t] * dot)};
    }
  }
  return out;
}

std::vector<Contribution> ContentContributions(std::span<const float> embeddings, size_t d,
                                               std::span<const uint32_t> history_items, uint32_t target) {
  const size_t n = d ? embeddings.size() / d : 0;
  if (target >= n) throw std::invalid_argument("ContentContributions: target out of range");
  const float* ei = embeddings.data() + static_cast<size_t>(target) * d;
  double ni = 0.0;
  for (size_t j = 0; j < d; ++j) ni += static_cast<double>(ei[j]) * ei[j];
  std::vector<Contribution> out;
  out.reserve(history_items.size());
  for (uint32_t h : history_items) {
    if (h >= n) throw std::invalid_argument("ContentContributions: history item out of range");
    const float* eh = embeddings.data() + static_cast<size_t>(h) * d;
    double dot = 0.0, nh = 0.0;
    for (size_t j = 0; j < d; ++j) {
      dot += static_cast<double>(eh[j]) * ei[j];
      nh += static_cast<double>(eh[j]) * eh[j];
    }
    const double denom = std::sqrt(ni * nh);
    out.push_back({h, denom > 0.0 ? static_cast<float>(dot / denom) : 0.f});
  }
  return out;
}

void KeepTopContributions(std::vector<Contribution>& c, size_t n) {
  std::stable_sort(c.begin(), c.end(), [](const Contribution& a, const Contribution& b) { return a.value > b.value; });
  if (c.size() > n) c.resize(n);
}

std::vector<float> FitContentToFactorMap(std::span<const float> embeddings, size_t d, std::span<const float> y, int k,
                                         std::span<const uint32_t> warm_items, float mu) {
  if (d == 0 || k <= 0 || embeddings.size() % d != 0 || y.size() % static_cast<size_t>(k) != 0)
    throw std::invalid_argument("FitContentToFactorMap: size mismatch");
  if (!(mu >= 0.f)) throw std::invalid_argument("FitContentToFactorMap: mu must be >= 0");
  if (warm_items.empty() && mu == 0.f)
    throw std::invalid_argument("FitContentToFactorMap: no warm items and mu = 0");
  const size_t ks = static_cast<size_t>(k);
  const size_t ne = embeddings.size() / d, ny = y.size() / ks;
  std::vector<double> a(d * d, 0.0), b(d * ks, 0.0);
  for (uint32_t i : warm_items) {
    if (i >= ne || i >= ny) throw std::invalid_argument("FitContentToFactorMap: warm item out of range");
    const float* e = embeddings.data() + static_cast<size_t>(i) * d;
    const float* yi = y.data() + static_cast<size_t>(i) * ks;
    for (size_t p = 0; p < d; ++p) {
      const double ep = e[p];
      if (ep == 0.0) continue;
      for (size_t q = p; q < d; ++q) a[p * d + q] += ep * e[q];
      for (size_t q = 0; q < ks; ++q) b[p * ks + q] += ep * yi[q];
    }
  }
  for (size_t p = 0; p < d; ++p) {
    a[p * d + p] += mu;
    for (size_t q = 0; q < p; ++q) a[p * d + q] = a[q * d + p];
  }
  if (!CholeskyFactor(a, d)) throw std::invalid_argument("FitContentToFactorMap: E^T E + mu I is singular; use mu > 0");
  std::vector<float> m(d * ks);
  std::vector<double> col(d);
  for (size_t q = 0; q < ks; ++q) {
    for (size_t p = 0; p < d; ++p) col[p] = b[p * ks + q];
    CholeskySolve(a, d, col);
    for (size_t p = 0; p < d; ++p) m[p * ks + q] = static_cast<float>(col[p]);
  }
  return m;
}

void ApplyContentToFactorMap(std::span<const float> map, size_t d, int k, std::span<const float> e,
                             std::span<float> out) {
  const size_t ks = static_cast<size_t>(k);
  if (map.size() != d * ks || e.size() != d || out.size() != ks)
    throw std::invalid_argument("ApplyContentToFactorMap: size mismatch");
  std::fill(out.begin(), out.end(), 0.f);
  for (size_t p = 0; p < d; ++p) {
    const float ep = e[p];
    const float* row = map.data() + p * ks;
    for (size_t q = 0; q < ks; ++q) out[q] += ep * row[q];
  }
}

void ScoreTransposed(std::span<const float> et, size_t n, size_t d, std::span<const float> q, std::span<float> scores) {
  ScoreTransposed(et, n, n, d, q, scores);
}

void ScoreTransposed(std::span<const float> et, size_t ld, size_t n, size_t d, std::span<const float> q,
                     std::span<float> scores) {
  if (ld < n || (d > 0 && et.size() < (d - 1) * ld + n) || q.size() != d || scores.size() < n)
    throw std::invalid_argument("ScoreTransposed: size mismatch");
  float* s = scores.data();
  std::fill(s, s + n, 0.f);
  for (size_t j = 0; j < d; ++j) {
    const float qj = q[j];
    if (qj == 0.f) continue;
    const float* row = et.data() + j * ld;
    for (size_t i = 0; i < n; ++i) s[i] += qj * row[i];
  }
}

namespace {

// One 64-item tile (W = 64, compile-time so the accumulators live in vector registers: several
// independent FMA chains, so the loop is not bound by FMA latency) or the last partial tile
// (W = 0: width w at run time).
template <size_t W>
void ScoreTile(const float* et, size_t ld, size_t d, size_t i0, size_t w, const float* q, float* out) {
  constexpr size_t kMax = 64;
  const size_t width = W == 0 ? w : W;
  float acc[kMax] = {};
  for (size_t j = 0; j < d; ++j) {
    const float qj = q[j];
    if (qj == 0.f) continue;
    const float* row = et + j * ld + i0;
    if constexpr (W != 0) {
      for (size_t t = 0; t < W; ++t) acc[t] += qj * row[t];
    } else {
      for (size_t t = 0; t < width; ++t) acc[t] += qj * row[t];
    }
  }
  std::copy(acc, acc + width, out + i0);
}

}  // namespace

void ScoreTransposedBatch(std::span<const float> et, size_t n, size_t d, std::span<const float* const> queries,
                          std::span<float* const> outs) {
  ScoreTransposedBatch(et, n, n, d, queries, outs);
}

void ScoreTransposedBatch(std::span<const float> et, size_t ld, size_t n, size_t d,
                          std::span<const float* const> queries, std::span<float* const> outs) {
  if (ld < n || (d > 0 && et.size() < (d - 1) * ld + n) || queries.size() != outs.size())
    throw std::invalid_argument("ScoreTransposedBatch: size mismatch");
  constexpr size_t kTile = 64;
  for (size_t i0 = 0; i0 < n; i0 += kTile) {
    const size_t w = std::min(kTile, n - i0);
    for (size_t b = 0; b < queries.size(); ++b) {
      if (w == kTile) {
        ScoreTile<kTile>(et.data(), ld, d, i0, w, queries[b], outs[b]);
      } else {
        ScoreTile<0>(et.data(), ld, d, i0, w, queries[b], outs[b]);
      }
    }
  }
}

}  // namespace hybridrec
