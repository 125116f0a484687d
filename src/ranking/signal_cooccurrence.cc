#include "ranking/signal_cooccurrence.h"

#include <algorithm>
#include <stdexcept>

#include "core/scratch.h"
#include "ranking/ranker_options.h"

namespace hybridrec {
namespace {

class CooccurrenceSignal final : public FullScoreSignal {
 public:
  CooccurrenceSignal(std::shared_ptr<const ItemNeighbours> nb, const RankerOptions& o)
      : FullScoreSignal(false), nb_(std::move(nb)), o_(o) {}
  std::string_view name() const override { return "cooccurrence"; }

  bool Prepare(const Catalogue& cat, const QueryView& q, SignalScratch& s) const override {
    const float tc = o_.cooccurrence.T;
    s.weight = o_.cooccurrence.weight * (tc > 0.f ? 1.f - HistoryRamp(q.history.size(), tc) : 1.f);
    if (!(s.weight > 0.f)) return false;
    ResizeScratch(s.full, cat.num_items);
    std::fill(s.full.begin(), s.full.end(), 0.f);
    bool any = false;
    // Sparse accumulation of the history items' neighbour weights.
    for (uint32_t h : q.items) {
      if (h >= nb_->num_items) continue;
      const auto js = nb_->Items(h);
      const auto ws = nb_->Weights(h);
      for (size_t t = 0; t < js.size(); ++t) s.full[js[t]] += ws[t];
      any = any || !js.empty();
    }
    return any;
  }


  float Weight(const Catalogue&, const QueryView&, SignalScratch& s, const ActiveSignals&) const override {
    return s.weight;
  }

 private:
  std::shared_ptr<const ItemNeighbours> nb_;
  RankerOptions o_;
};

}  // namespace

std::shared_ptr<const Signal> MakeCooccurrenceSignal(const SignalInputs& in, const RankerOptions& options) {
  if (!(options.cooccurrence.weight > 0.f)) return nullptr;
  if (in.neighbours == nullptr)
    throw std::invalid_argument("HybridRanker: cooccurrence_weight > 0 needs the item co-occurrence table");
  if (!(in.neighbours->options == options.cooccurrence.neighbour_options()))
    throw std::invalid_argument("HybridRanker: the co-occurrence table was built with other "
                                "cooccurrence_neighbours / cooccurrence_alpha / cooccurrence_beta");
  return std::make_shared<CooccurrenceSignal>(in.neighbours, options);
}

void CooccurrenceOptions::Grid(std::string_view protocol, const RankerOptions& base, std::vector<GridAxis>& out) {
  if (protocol != "cold-users") return;
  const CooccurrenceOptions& b = base.cooccurrence;
  // Cold-users validation users all have the same few items, so it cannot tell how the signal
  // should fade; it fades at 20 items unless the base says otherwise (it costs NDCG on long
  // histories). 50 neighbours per item: 20 and 200 never won on validation.
  const float fade = b.T > 0.f ? b.T : 20.f;
  std::vector<std::pair<float, float>> values = {{0.f, b.beta}};  // (weight, beta)
  for (float w : {0.5f, 1.f, 1.5f, 2.f, 3.f})
    for (float beta : {0.f, 0.3f}) values.emplace_back(w, beta);
  GridAxis a{"cooccurrence", {}};
  for (size_t v = 0; v < values.size(); ++v) {
    const auto [w, beta] = values[v];
    const float t = v == 0 ? b.T : fade;
    a.values.push_back([w = w, beta = beta, t](RankerOptions& o) {
      o.cooccurrence.weight = w;
      o.cooccurrence.beta = beta;
      o.cooccurrence.T = t;
    });
  }
  out.push_back(std::move(a));
}

}  // namespace hybridrec
