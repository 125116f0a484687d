#include "ranking/signal_content.h"

#include <algorithm>

#include "core/vector_kernels.h"
#include "ranking/ranker_options.h"

namespace hybridrec {
namespace {

class ContentSignal final : public Signal {
 public:
  explicit ContentSignal(const RankerOptions& o) : o_(o) {}
  std::string_view name() const override { return "content"; }
  bool primary() const override { return true; }

  bool Prepare(const Catalogue& cat, const QueryView& q, SignalScratch& s) const override {
    if (cat.emb.empty()) return false;
    s.query.resize(cat.dim);
    if (!BuildContentProfile(cat.emb, cat.num_items, cat.dim, q.items, q.confidence, s.query)) return false;
    s.dense = cat.index == nullptr ? &cat.embeddings : nullptr;
    return true;
  }

  void Propose(const Catalogue& cat, const QueryView& q, SignalScratch& s, size_t n,
               std::vector<uint32_t>& out) const override {
    if (cat.index == nullptr) {
      ProposeTopOfFull(q, s, {}, n, out);
      return;
    }
    const int want = static_cast<int>(std::min<size_t>(n + q.seen.size(), static_cast<size_t>(cat.index->size())));
    cat.index->Search(s.query, std::max(want, 1), s.hits);
    size_t taken = 0;
    for (const SearchHit& h : s.hits) {
      if (h.id < 0 || static_cast<uint64_t>(h.id) >= cat.num_items) continue;
      const auto id = static_cast<uint32_t>(h.id);
      if (std::binary_search(q.seen.begin(), q.seen.end(), id)) continue;
      out.push_back(id);
      if (++taken == n) break;
    }
  }

  void Score(const Catalogue& cat, const QueryView&, SignalScratch& s, std::span<const uint32_t> cand,
             std::span<float> raw) const override {
    if (cat.index == nullptr) {
      ScoreFromFull(s, cand, raw);
      return;
    }
    DotGathered(s.query.data(), cat.emb.data(), cat.dim, cand.data(), cand.size(), raw.data());
  }

  float Weight(const Catalogue&, const QueryView& q, SignalScratch&, const ActiveSignals& active) const override {
    if (!active.active("collab")) return 1.f;
    return 1.f - AdaptiveWeight(q.history.size(), o_.T, o_.w_max, true);
  }

  void Explain(const Catalogue& cat, const QueryView& q, const SignalScratch&, std::span<const uint32_t> items,
               size_t max_items, std::vector<std::vector<Contribution>>& out) const override {
    ExplainByContent(cat, q, items, max_items, false, out);
  }


 private:
  RankerOptions o_;
};

}  // namespace

std::shared_ptr<const Signal> MakeContentSignal(const SignalInputs& in, const RankerOptions& options) {
  if (!in.has_content) return nullptr;
  return std::make_shared<ContentSignal>(options);
}

}  // namespace hybridrec
