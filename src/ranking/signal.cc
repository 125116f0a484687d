#include "ranking/signal.h"

#include <cmath>
#include <limits>

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

}  // namespace hybridrec
