#include "ranking/signal_fresh.h"

#include <algorithm>
#include <cmath>

#include "core/vector_kernels.h"
#include "ranking/ranker_options.h"

namespace hybridrec {
namespace {

class FreshSignal final : public Signal {
 public:
  explicit FreshSignal(const RankerOptions& o) : o_(o) {}
  std::string_view name() const override { return "fresh"; }
  bool z_scored() const override { return false; }

  bool Prepare(const Catalogue& cat, const QueryView& q, SignalScratch& s) const override {
    if (cat.num_cold == 0 || cat.als == nullptr || cat.emb.empty()) return false;
    // The content profile, as the content signal builds it, for the content floor.
    s.query.resize(cat.dim);
    s.flag = BuildContentProfile(cat.emb, cat.num_items, cat.dim, q.items, q.confidence, s.query);
    return true;
  }

  void Propose(const Catalogue&, const QueryView&, SignalScratch&, size_t, std::vector<uint32_t>&) const override {}

  float Weight(const Catalogue&, const QueryView& q, SignalScratch& s, const ActiveSignals& active) const override {
    if (!active.active("collab")) {
      s.weight = -1.f;  // off for this query
      return 0.f;
    }
    s.flag = s.flag && active.active("content");
    s.weight = s.flag ? AdaptiveWeight(q.history.size(), o_.T, o_.w_max, true) : 1.f;  // w_u, as collab's
    // The other signals (popularity, recent items, co-occurrence) add their weight to the sum, and
    // a new item has no popularity or co-occurrence yet: the boost grows with them.
    s.entries.resize(1);
    s.entries[0].second = 1.f + active.secondary_weight();
    return 1.f;
  }

  void Score(const Catalogue& cat, const QueryView&, SignalScratch& s, std::span<const uint32_t> cand,
             std::span<float> raw) const override {
    std::fill(raw.begin(), raw.end(), 0.f);
    const float w = s.weight;
    if (!(w >= 0.f)) return;
    bool any = false;
    for (uint32_t i : cand) any = any || !cat.trained[i];
    if (!any) return;
    // z_content over the candidates, as the content signal computes it (in vals / full: the
    // ranker's raw and z buffers of this signal are `raw` and its output).
    std::vector<float>& zc = s.full;
    zc.assign(cand.size(), 0.f);
    if (s.flag) {
      s.vals.resize(cand.size());
      for (size_t j = 0; j < cand.size(); ++j)
        s.vals[j] = Dot(s.query.data(), cat.emb.data() + static_cast<size_t>(cand[j]) * cat.dim, cat.dim);
      ZScore(s.vals, {}, zc, cat.options->sigma_floor);
    }
    const float extra = std::max(1.f - w, o_.fresh.content_floor) - (1.f - w);
    for (size_t j = 0; j < cand.size(); ++j)
      if (!cat.trained[cand[j]]) raw[j] = w * o_.fresh.boost * s.entries[0].second + extra * zc[j];
  }

  void Explain(const Catalogue& cat, const QueryView& q, const SignalScratch&, std::span<const uint32_t> items,
               size_t max_items, std::vector<std::vector<Contribution>>& out) const override {
    ExplainByContent(cat, q, items, max_items, true, out);
  }


 private:
  RankerOptions o_;
};

}  // namespace

std::shared_ptr<const Signal> MakeFreshSignal(const SignalInputs& in, const RankerOptions& options) {
  if (in.als == nullptr || !in.has_content) return nullptr;
  if (!(options.fresh.boost > 0.f) && !(options.fresh.content_floor > 0.f)) return nullptr;
  return std::make_shared<FreshSignal>(options);
}

}  // namespace hybridrec
