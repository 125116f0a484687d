#include "ranking/signal_recent.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "ranking/hybrid_ranker.h"
#include "ranking/ranker_options.h"

namespace hybridrec {
namespace {

class RecentSignal final : public FactorSignal {
 public:
  RecentSignal(const AlsModel* als, const RankerOptions& o) : als_(als), o_(o) {}
  std::string_view name() const override { return "recent"; }

  bool Prepare(const Catalogue& cat, const QueryView& q, SignalScratch& s) const override {
    s.entries.clear();
    for (uint32_t item : q.query->recent) {
      if (s.entries.size() == o_.recent.items) break;
      if (item >= cat.num_items)
        throw std::invalid_argument("HybridRanker: recent item " + std::to_string(item) + " out of range (" +
                                    std::to_string(cat.num_items) + " items)");
      if (item >= cat.als_items) continue;
      const auto it = std::lower_bound(q.history.begin(), q.history.end(), HistoryEntry{item, 0.f},
                                       [](const HistoryEntry& a, const HistoryEntry& b) { return a.first < b.first; });
      const float r = it != q.history.end() && it->first == item ? it->second : 1.f;
      bool dup = false;
      for (const auto& e : s.entries) dup = dup || e.first == item;
      if (!dup) s.entries.emplace_back(item, r);
    }
    if (s.entries.empty()) return false;
    s.query = als_->FoldInUser(s.entries, o_.recent.regularization);
    s.dense = DenseFactors(cat);
    s.inputs = s.entries.size();
    return true;
  }


  float Weight(const Catalogue&, const QueryView&, SignalScratch&, const ActiveSignals&) const override {
    return o_.recent.weight;
  }

 private:
  const AlsModel* als_;
  RankerOptions o_;
};

}  // namespace

std::shared_ptr<const Signal> MakeRecentSignal(const SignalInputs& in, const RankerOptions& options) {
  if (in.als == nullptr || options.recent.items == 0 || !(options.recent.weight > 0.f)) return nullptr;
  return std::make_shared<RecentSignal>(in.als, options);
}

void RecentOptions::Grid(std::string_view protocol, const RankerOptions& base, std::vector<GridAxis>& out) {
  // (items, weight, regularization); (0, 0, base) = off.
  std::vector<std::tuple<size_t, float, float>> values;
  const std::tuple<size_t, float, float> off{0, 0.f, base.recent.regularization};
  if (protocol == "temporal") {
    values = {off, {3, 1.f, 100.f}, {5, 0.5f, 100.f}, {5, 1.f, 100.f}, {10, 1.f, 10.f}};
  } else if (protocol == "cold-users") {
    // A second, strongly regularised fold-in of the revealed items (random: it lowered NDCG).
    values = {off, {5, 1.f, 100.f}};
  } else {
    return;
  }
  GridAxis a{"recent", {}};
  for (const auto& [n, w, l] : values)
    a.values.push_back([n = n, w = w, l = l](RankerOptions& o) {
      o.recent.items = n;
      o.recent.weight = w;
      o.recent.regularization = l;
    });
  out.push_back(std::move(a));
}

}  // namespace hybridrec
