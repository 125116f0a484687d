#include "ranking/signal_popularity.h"

#include <algorithm>

#include "ranking/ranker_options.h"

namespace hybridrec {
namespace {

class PopularitySignal final : public Signal {
 public:
  explicit PopularitySignal(const RankerOptions& o) : o_(o) {}
  std::string_view name() const override { return "popularity"; }

  bool Prepare(const Catalogue& cat, const QueryView& q, SignalScratch& s) const override {
    if (cat.popularity.empty()) return false;
    const float t = o_.popularity.T > 0.f ? o_.popularity.T : o_.T;
    const float m = o_.popularity.mix * (1.f - HistoryRamp(q.history.size(), t));
    if (!(m > 0.f) || !(m < 1.f)) return false;
    s.weight = m / (1.f - m);
    return true;
  }

  void Propose(const Catalogue& cat, const QueryView& q, SignalScratch&, size_t n,
               std::vector<uint32_t>& out) const override {
    size_t taken = 0;
    for (uint32_t i : cat.popularity_order.first(cat.num_items)) {
      if (taken == n) break;
      if (std::binary_search(q.seen.begin(), q.seen.end(), i)) continue;
      out.push_back(i);
      ++taken;
    }
  }

  void Score(const Catalogue& cat, const QueryView&, SignalScratch&, std::span<const uint32_t> cand,
             std::span<float> raw) const override {
    // An item without training interactions (popularity 0: a cold item, or one added to the
    // service) has no popularity yet, which is not the same as being unpopular: no score, so its
    // z is 0 rather than the lowest of the candidates, and the blend cannot bury new items.
    for (size_t j = 0; j < cand.size(); ++j) {
      const float p = cat.popularity[cand[j]];
      raw[j] = p > 0.f ? p : kNoScore;
    }
  }

  float Weight(const Catalogue&, const QueryView&, SignalScratch& s, const ActiveSignals&) const override {
    return s.weight;
  }

 private:
  RankerOptions o_;
};

}  // namespace

std::shared_ptr<const Signal> MakePopularitySignal(const SignalInputs&, const RankerOptions& options) {
  if (!(options.popularity.mix > 0.f)) return nullptr;
  return std::make_shared<PopularitySignal>(options);
}

void PopularityOptions::Grid(std::string_view protocol, const RankerOptions& base, std::vector<GridAxis>& out) {
  // (mix, T) pairs; the half-life stays the base's.
  std::vector<std::pair<float, float>> blends;
  const float bt = base.popularity.T;
  if (protocol == "random" || protocol == "global-random") {
    blends = {{0.f, bt}, {0.5f, bt}};
  } else if (protocol == "temporal") {
    // Lasting for every history (T 1000) or fading with the ranker's T (0).
    blends = {{0.f, bt}, {0.3f, 0.f}, {0.5f, 0.f}, {0.3f, 1000.f}, {0.5f, 1000.f}};
  } else if (protocol == "cold-users") {
    blends = {{0.f, bt}, {0.1f, 50.f}, {0.3f, 50.f}, {0.5f, 50.f}};
  } else {
    return;  // cold items: popularity cannot reach items without interactions
  }
  GridAxis a{"popularity", {}};
  for (const auto& [mix, t] : blends)
    a.values.push_back([mix = mix, t = t](RankerOptions& o) {
      o.popularity.mix = mix;
      o.popularity.T = t;
    });
  out.push_back(std::move(a));
}

}  // namespace hybridrec
