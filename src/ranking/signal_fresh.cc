#include "ranking/signal_fresh.h"

#include <algorithm>
#include <cmath>

#include "ranking/ranker_options.h"

namespace hybridrec {
namespace {

class FreshSignal final : public Signal {
 public:
  explicit FreshSignal(const RankerOptions& o) : o_(o) {}
  std::string_view name() const override { return "fresh"; }
  bool z_scored() const override { return false; }

  bool Prepare(const Catalogue& cat, const QueryView& q, SignalScratch&) const override {
    // On only beside the collaborative signal (which comes first in fusion order).
    return cat.num_cold > 0 && q.signals != nullptr && q.signals->active("collab");
  }

  void Propose(const Catalogue&, const QueryView&, SignalScratch&, size_t, std::vector<uint32_t>&) const override {}

  float Weight(const Catalogue&, const QueryView&, SignalScratch& s, const ActiveSignals& active) const override {
    const float w = active.weight("collab");  // w_u: 1 without the content signal
    // The other signals (popularity, recent items, co-occurrence) add their weight to the sum, and
    // a new item has no popularity or co-occurrence yet: the boost grows with them.
    s.coef[0] = w * o_.fresh.boost * (1.f + active.secondary_weight());
    s.coef[1] = active.active("content") ? std::max(1.f - w, o_.fresh.content_floor) - (1.f - w) : 0.f;
    return 1.f;
  }

  void Score(const Catalogue& cat, const QueryView& q, SignalScratch& s, std::span<const uint32_t> cand,
             std::span<float> raw) const override {
    // z_content over the candidates, as the content signal (before this one) scored them.
    const std::span<const float> zc = q.signals != nullptr ? q.signals->z("content") : std::span<const float>();
    const bool content = zc.size() == cand.size() && s.coef[1] != 0.f;
    for (size_t j = 0; j < cand.size(); ++j)
      raw[j] = cat.trained[cand[j]] ? 0.f : s.coef[0] + (content ? s.coef[1] * zc[j] : 0.f);
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
