#include "ranking/signal_collab.h"

#include <cmath>

#include "ranking/ranker_options.h"

namespace hybridrec {
namespace {

class CollabSignal final : public FactorSignal {
 public:
  CollabSignal(const AlsModel* als, const RankerOptions& o) : als_(als), o_(o) {}
  std::string_view name() const override { return "collab"; }
  bool primary() const override { return true; }

  bool Prepare(const Catalogue& cat, const QueryView& q, SignalScratch& s) const override {
    const UserQuery& uq = *q.query;
    if (uq.known_user && uq.use_trained_factor) {
      const auto xs = als_->user_factors().subspan(static_cast<size_t>(*uq.known_user) * cat.k, cat.k);
      s.query.assign(xs.begin(), xs.end());
    } else {
      s.entries.clear();
      for (const auto& e : q.history)
        if (e.first < cat.als_items) s.entries.push_back(e);
      if (s.entries.empty()) return false;
      s.query = als_->FoldInUser(s.entries, o_.collab.foldin_regularization);
    }
    s.dense = DenseFactors(cat);
    return true;
  }


  float Weight(const Catalogue&, const QueryView& q, SignalScratch&, const ActiveSignals& active) const override {
    return active.active("content") ? AdaptiveWeight(q.history.size(), o_.T, o_.w_max, true) : 1.f;
  }

  void Explain(const Catalogue& cat, const QueryView& q, const SignalScratch&, std::span<const uint32_t> items,
               size_t max_items, std::vector<std::vector<Contribution>>& out) const override {
    std::vector<uint32_t> hist;
    std::vector<float> confs;
    for (size_t t = 0; t < q.items.size(); ++t) {
      if (q.items[t] >= cat.als_items) continue;  // no trained factor: not part of the fold-in
      hist.push_back(q.items[t]);
      confs.push_back(q.confidence[t]);
    }
    std::vector<uint32_t> targets;
    std::vector<size_t> where;
    for (size_t r = 0; r < items.size(); ++r) {
      if (!cat.has_factor[items[r]]) continue;
      targets.push_back(items[r]);
      where.push_back(r);
    }
    if (hist.empty() || targets.empty()) return;
    auto contrib = CollabContributions(cat.y, cat.gram, static_cast<int>(cat.k), hist, confs, FoldInReg(hist.size()),
                                       targets);
    for (size_t t = 0; t < targets.size(); ++t) {
      KeepTopContributions(contrib[t], max_items);
      out[where[t]] = std::move(contrib[t]);
    }
  }

 private:
  float FoldInReg(size_t n) const {
    if (o_.collab.foldin_regularization >= 0.f) return o_.collab.foldin_regularization;
    const AlsOptions& o = als_->options();
    if (o.reg_exponent == 0.f) return o.regularization;
    return o.regularization *
           static_cast<float>(std::pow(static_cast<double>(n) + o.reg_offset, static_cast<double>(o.reg_exponent)));
  }

  const AlsModel* als_;
  RankerOptions o_;
};

}  // namespace

std::shared_ptr<const Signal> MakeCollabSignal(const SignalInputs& in, const RankerOptions& options) {
  if (in.als == nullptr) return nullptr;
  return std::make_shared<CollabSignal>(in.als, options);
}

void CollabOptions::Grid(std::string_view protocol, const RankerOptions& base, std::vector<GridAxis>& out) {
  if (protocol != "cold-users") return;
  // A strongly regularised, popularity-leaning fold-in of the few revealed items.
  GridAxis a{"foldin_regularization", {}};
  for (float l : {base.collab.foldin_regularization, 100.f})
    a.values.push_back([l](RankerOptions& o) { o.collab.foldin_regularization = l; });
  out.push_back(std::move(a));
}

}  // namespace hybridrec
