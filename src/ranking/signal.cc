#include "ranking/signal.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/vector_kernels.h"
#include "index/mips.h"

namespace hybridrec {

void Signal::Explain(const Catalogue&, const QueryView&, const SignalScratch&, std::span<const uint32_t>, size_t,
                     std::vector<std::vector<Contribution>>&) const {}

void FullScoreSignal::Propose(const Catalogue& cat, const QueryView& q, SignalScratch& s, size_t n,
                              std::vector<uint32_t>& out) const {
  ProposeTopOfFull(q, s, factor_only_ ? cat.no_factor : std::span<const uint32_t>(), n, out);
}

void FullScoreSignal::Score(const Catalogue&, const QueryView&, SignalScratch& s, std::span<const uint32_t> cand,
                            std::span<float> raw) const {
  ScoreFromFull(s, cand, raw);
}

void FactorSignal::Propose(const Catalogue& cat, const QueryView& q, SignalScratch& s, size_t n,
                           std::vector<uint32_t>& out) const {
  if (cat.factor_index == nullptr) return FullScoreSignal::Propose(cat, q, s, n, out);
  ProposeByFactorIndex(cat, q, s, n, out);
}

void FactorSignal::Score(const Catalogue& cat, const QueryView& q, SignalScratch& s, std::span<const uint32_t> cand,
                         std::span<float> raw) const {
  if (cat.factor_index == nullptr) return FullScoreSignal::Score(cat, q, s, cand, raw);
  ScoreByFactors(cat, s, cand, raw);
}

void ProposeTopOfFull(const QueryView& q, SignalScratch& s, std::span<const uint32_t> mask, size_t n,
                      std::vector<uint32_t>& out) {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  for (uint32_t i : mask) s.full[i] = kNegInf;
  // Seen items are dropped from the candidates anyway; masking them here keeps n unseen items.
  for (uint32_t h : q.seen) s.full[h] = kNegInf;
  SelectTopN(s.full, n, s.vals, s.sel);
  out.insert(out.end(), s.sel.begin(), s.sel.end());
}

void ExplainByContent(const Catalogue& cat, const QueryView& q, std::span<const uint32_t> items, size_t max_items,
                      bool cold_only, std::vector<std::vector<Contribution>>& out) {
  if (cat.emb.empty()) return;
  for (size_t r = 0; r < items.size(); ++r) {
    if (cold_only && cat.trained[items[r]]) continue;
    out[r] = ContentContributions(cat.emb, cat.dim, q.items, items[r]);
    KeepTopContributions(out[r], max_items);
  }
}

void ScoreFromFull(const SignalScratch& s, std::span<const uint32_t> cand, std::span<float> raw) {
  for (size_t j = 0; j < cand.size(); ++j) {
    const float v = s.full[cand[j]];
    raw[j] = std::isfinite(v) ? v : kNoScore;
  }
}

void ProposeByFactorIndex(const Catalogue& cat, const QueryView& q, SignalScratch& s, size_t n,
                          std::vector<uint32_t>& out) {
  const VectorIndex& index = *cat.factor_index;
  const size_t k = cat.k;
  auto seen = [&q](uint32_t i) { return std::binary_search(q.seen.begin(), q.seen.end(), i); };
  // (item, exact score) of the index's hits and of the items with an estimated factor.
  std::vector<HistoryEntry>& scored = s.scored;
  scored.clear();
  const size_t want = std::min<size_t>(n + q.seen.size(), static_cast<size_t>(std::max<int64_t>(index.size(), 0)));
  if (want > 0 && n > 0) {
    s.vals.resize(k + 1);
    MipsQuery(s.query, s.vals);
    index.Search(s.vals, static_cast<int>(want), s.hits);
    for (const SearchHit& h : s.hits) {
      if (h.id < 0 || static_cast<uint64_t>(h.id) >= cat.num_items) continue;
      const auto id = static_cast<uint32_t>(h.id);
      if (!cat.trained[id] || seen(id)) continue;
      scored.emplace_back(id, 0.f);
    }
  }
  for (uint32_t i : cat.estimated)
    if (!seen(i)) scored.emplace_back(i, 0.f);
  s.sel.resize(scored.size());
  s.vals.resize(scored.size());
  for (size_t j = 0; j < scored.size(); ++j) s.sel[j] = scored[j].first;
  DotGathered(s.query.data(), cat.y.data(), k, s.sel.data(), s.sel.size(), s.vals.data());
  for (size_t j = 0; j < scored.size(); ++j) scored[j].second = s.vals[j];
  const size_t take = std::min(n, scored.size());
  auto better = [](const HistoryEntry& a, const HistoryEntry& b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  };
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(take), scored.end(), better);
  for (size_t j = 0; j < take; ++j) out.push_back(scored[j].first);
}

void ScoreByFactors(const Catalogue& cat, const SignalScratch& s, std::span<const uint32_t> cand, std::span<float> raw) {
  DotGathered(s.query.data(), cat.y.data(), cat.k, cand.data(), cand.size(), raw.data());
  for (size_t j = 0; j < cand.size(); ++j)
    if (!cat.has_factor[cand[j]]) raw[j] = kNoScore;
}

}  // namespace hybridrec
