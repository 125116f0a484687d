#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "ranking/item_filter.h"

namespace hybridrec {
namespace {

void CheckArgs(std::span<const uint32_t> relevant, size_t k) {
  if (k == 0) throw std::invalid_argument("ranking metrics: K must be > 0");
  if (relevant.empty())
    throw std::invalid_argument("ranking metrics: user has no relevant items (skip such users before scoring)");
  for (size_t i = 1; i < relevant.size(); ++i)
    if (relevant[i - 1] >= relevant[i])
      throw std::invalid_argument("ranking metrics: relevant items must be sorted ascending and unique");
}

}  // namespace

UserMetrics ComputeUserMetrics(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant, size_t k) {
  CheckArgs(relevant, k);
  const size_t n = std::min(k, ranked.size());
  // Items already counted as hits, to count a repeated entry once. K is small, so a linear
  // scan beats a hash set here.
  std::vector<uint32_t> seen_hits;
  size_t hits = 0;
  double dcg = 0, ap_sum = 0;
  for (size_t pos = 0; pos < n; ++pos) {
    const uint32_t item = ranked[pos];
    if (!std::binary_search(relevant.begin(), relevant.end(), item)) continue;
    if (std::find(seen_hits.begin(), seen_hits.end(), item) != seen_hits.end()) continue;
    seen_hits.push_back(item);
    ++hits;
    const double rank = static_cast<double>(pos + 1);
    dcg += 1.0 / std::log2(rank + 1.0);
    ap_sum += static_cast<double>(hits) / rank;
  }
  const size_t ideal = std::min(k, relevant.size());
  double idcg = 0;
  for (size_t r = 1; r <= ideal; ++r) idcg += 1.0 / std::log2(static_cast<double>(r) + 1.0);

  UserMetrics m;
  m.precision = static_cast<double>(hits) / static_cast<double>(k);
  m.recall = static_cast<double>(hits) / static_cast<double>(relevant.size());
  m.ndcg = dcg / idcg;
  m.ap = ap_sum / static_cast<double>(ideal);
  m.hit = hits > 0 ? 1.0 : 0.0;
  return m;
}

double PrecisionAtK(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant, size_t k) {
  return ComputeUserMetrics(ranked, relevant, k).precision;
}
double RecallAtK(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant, size_t k) {
  return ComputeUserMetrics(ranked, relevant, k).recall;
}
double NdcgAtK(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant, size_t k) {
  return ComputeUserMetrics(ranked, relevant, k).ndcg;
}
double AveragePrecisionAtK(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant, size_t k) {
  return ComputeUserMetrics(ranked, relevant, k).ap;
}
double HitRateAtK(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant, size_t k) {
  return ComputeUserMetrics(ranked, relevant, k).hit;
}

double CatalogueCoverage(std::span<const uint32_t> lists, size_t stride, size_t k, uint32_t num_items) {
  if (num_items == 0) throw std::invalid_argument("CatalogueCoverage: num_items must be > 0");
  if (stride == 0 || k > stride || lists.size() % stride != 0)
    throw std::invalid_argument("CatalogueCoverage: need 0 < k <= stride and lists.size() a multiple of stride");
  std::vector<char> seen(num_items, 0);
  size_t distinct = 0;
  for (size_t base = 0; base < lists.size(); base += stride) {
    for (size_t j = 0; j < k; ++j) {
      const uint32_t item = lists[base + j];
      if (item == kNoItem) continue;
      if (item >= num_items)
        throw std::invalid_argument("CatalogueCoverage: item " + std::to_string(item) + " >= num_items");
      if (!seen[item]) {
        seen[item] = 1;
        ++distinct;
      }
    }
  }
  return static_cast<double>(distinct) / static_cast<double>(num_items);
}

PairedStat PairedDifference(std::span<const double> a, std::span<const double> b) {
  if (a.size() != b.size())
    throw std::invalid_argument("PairedDifference: vectors differ in length (" + std::to_string(a.size()) + " vs " +
                                std::to_string(b.size()) + "); they must cover the same users");
  PairedStat s;
  s.n = a.size();
  if (s.n == 0) return s;
  double sum = 0;
  for (size_t i = 0; i < s.n; ++i) sum += a[i] - b[i];
  s.mean = sum / static_cast<double>(s.n);
  if (s.n < 2) return s;
  double ss = 0;  // two-pass variance: stable for the tiny differences typical here
  for (size_t i = 0; i < s.n; ++i) {
    const double d = a[i] - b[i] - s.mean;
    ss += d * d;
  }
  const double var = ss / static_cast<double>(s.n - 1);
  s.stderr_ = std::sqrt(var / static_cast<double>(s.n));
  return s;
}

double IntraListDiversity(std::span<const uint32_t> ranked, size_t k, const ItemCategories& categories) {
  const size_t n = std::min(k, ranked.size());
  double sum = 0.0;
  size_t pairs = 0;
  for (size_t a = 0; a < n; ++a) {
    if (ranked[a] == kNoItem) continue;
    const auto ga = categories.of(ranked[a]);
    for (size_t b = a + 1; b < n; ++b) {
      if (ranked[b] == kNoItem) continue;
      const auto gb = categories.of(ranked[b]);
      // Both lists are ascending: count the shared categories by merging.
      size_t i = 0, j = 0, both = 0;
      while (i < ga.size() && j < gb.size()) {
        if (ga[i] == gb[j]) {
          ++both;
          ++i;
          ++j;
        } else if (ga[i] < gb[j]) {
          ++i;
        } else {
          ++j;
        }
      }
      const size_t either = ga.size() + gb.size() - both;
      sum += either == 0 ? 0.0 : 1.0 - static_cast<double>(both) / static_cast<double>(either);
      ++pairs;
    }
  }
  return pairs == 0 ? 0.0 : sum / static_cast<double>(pairs);
}

double ContentIntraListDistance(std::span<const uint32_t> ranked, size_t k, std::span<const float> embeddings,
                                int dim) {
  if (dim <= 0) throw std::invalid_argument("ContentIntraListDistance: dimension must be positive");
  const size_t d = static_cast<size_t>(dim);
  const size_t rows = embeddings.size() / d;
  const size_t n = std::min(k, ranked.size());
  double sum = 0.0;
  size_t pairs = 0;
  for (size_t a = 0; a < n; ++a) {
    if (ranked[a] == kNoItem) continue;
    if (ranked[a] >= rows)
      throw std::out_of_range("ContentIntraListDistance: item " + std::to_string(ranked[a]) + " has no embedding row");
    const float* ea = embeddings.data() + ranked[a] * d;
    for (size_t b = a + 1; b < n; ++b) {
      if (ranked[b] == kNoItem) continue;
      if (ranked[b] >= rows)
        throw std::out_of_range("ContentIntraListDistance: item " + std::to_string(ranked[b]) + " has no embedding row");
      const float* eb = embeddings.data() + ranked[b] * d;
      double dot = 0.0;
      for (size_t x = 0; x < d; ++x) dot += static_cast<double>(ea[x]) * eb[x];
      sum += 1.0 - dot;
      ++pairs;
    }
  }
  return pairs == 0 ? 0.0 : sum / static_cast<double>(pairs);
}

double Novelty(std::span<const uint32_t> ranked, size_t k, std::span<const uint32_t> item_users, uint32_t num_users) {
  const size_t n = std::min(k, ranked.size());
  double sum = 0.0;
  size_t count = 0;
  for (size_t j = 0; j < n; ++j) {
    const uint32_t i = ranked[j];
    if (i == kNoItem) continue;
    const double users = i < item_users.size() ? item_users[i] : 0.0;
    sum += -std::log2((users + 1.0) / (static_cast<double>(num_users) + 1.0));
    ++count;
  }
  return count == 0 ? 0.0 : sum / static_cast<double>(count);
}

}  // namespace hybridrec
