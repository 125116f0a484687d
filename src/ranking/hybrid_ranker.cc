#include "ranking/hybrid_ranker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "core/scratch.h"
#include "core/topk.h"
#include "core/vector_kernels.h"
#include "ranking/rerank.h"
#include "ranking/signal_registry.h"

namespace hybridrec {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// order[0, n) = items 0..n-1 by popularity, best first (NaN last; ties by ascending index).
void SortByPopularity(std::span<const float> pop, uint32_t* order, size_t n) {
  std::iota(order, order + n, 0u);
  if (pop.empty()) return;
  auto key = [&](uint32_t i) { return std::isnan(pop[i]) ? kNegInf : pop[i]; };
  std::stable_sort(order, order + n, [&](uint32_t a, uint32_t b) { return key(a) > key(b); });
}

}  // namespace

std::string_view RankPathName(RankPath path) {
  switch (path) {
    case RankPath::kHybrid: return "hybrid";
    case RankPath::kCollab: return "collab";
    case RankPath::kContent: return "content";
    case RankPath::kPopularity: return "popularity";
  }
  return "popularity";
}

std::optional<SimilarMode> ParseSimilarMode(std::string_view name) {
  if (name == "content") return SimilarMode::kContent;
  if (name == "collab") return SimilarMode::kCollab;
  if (name == "hybrid") return SimilarMode::kHybrid;
  return std::nullopt;
}

std::optional<size_t> RankResponse::slot(std::string_view name) const {
  for (size_t i = 0; i < signals.size(); ++i)
    if (signals[i].name == name) return i;
  return std::nullopt;
}

float RankResponse::weight(std::string_view name) const {
  const auto i = slot(name);
  return i ? signals[*i].weight : 0.f;
}

size_t RankResponse::inputs(std::string_view name) const {
  const auto i = slot(name);
  return i ? signals[*i].inputs : 0;
}

std::optional<float> RankResponse::raw(const RankedItem& item, std::string_view name) const {
  const auto i = slot(name);
  if (!i || !std::isfinite(item.raw[*i])) return std::nullopt;
  return item.raw[*i];
}

float RankResponse::z(const RankedItem& item, std::string_view name) const {
  const auto i = slot(name);
  return i ? item.z[*i] : 0.f;
}

std::span<const Contribution> RankResponse::reasons(const RankedItem& item, std::string_view name) const {
  const auto i = slot(name);
  if (!i || *i >= item.reasons.size()) return {};
  return item.reasons[*i];
}

float PopularityShare(const RankResponse& r) {
  const float c = r.weight("popularity");
  return c > 0.f ? c / (1.f + c) : 0.f;
}

struct HybridRanker::Scratch : ActiveSignals {
  std::vector<HistoryEntry> hist;
  std::vector<uint32_t> hist_items;
  std::vector<float> hist_conf;
  QueryView view;
  const std::vector<std::shared_ptr<const Signal>>* signals = nullptr;
  std::vector<SignalScratch> sig;       // one per signal
  std::vector<uint8_t> on;              // signal active for this query
  std::vector<float> weights;
  std::vector<uint32_t> top, cand, sel;
  std::vector<float> fused;
  std::vector<uint8_t> mark;            // per item, all zero between requests
  size_t eligible = 0;                  // unseen items that pass the request's filter
  std::vector<uint32_t> pool, pool_items, chosen;  // re-ranking
  std::vector<float> pool_rel, mix;
  // Index of the active signal called `name` among the first `upto`, or -1.
  int Find(std::string_view name, size_t upto) const {
    for (size_t i = 0; i < upto && i < signals->size(); ++i)
      if (on[i] && (*signals)[i]->name() == name) return static_cast<int>(i);
    return -1;
  }
  bool active(std::string_view name) const override { return Find(name, signals->size()) >= 0; }
  float weight(std::string_view name) const override {
    const int i = Find(name, weighted);
    return i >= 0 ? weights[i] : 0.f;
  }
  float secondary_weight() const override {
    float w = 0.f;
    for (size_t i = 0; i < weighted; ++i)
      if (on[i] && !(*signals)[i]->primary()) w += weights[i];
    return w;
  }
  std::span<const float> z(std::string_view name) const override {
    const int i = Find(name, scored);
    return i >= 0 ? std::span<const float>(sig[i].z) : std::span<const float>();
  }
  size_t weighted = 0;  // signals whose weight is set
  size_t scored = 0;    // signals whose z is set
};

HybridRanker::HybridRanker(const AlsModel* als, std::span<const float> embeddings, int dim, const VectorIndex* index,
                           std::span<const float> popularity, RankerOptions options,
                           std::span<const uint8_t> item_has_factor,
                           std::shared_ptr<const ItemNeighbours> neighbours,
                           std::vector<std::shared_ptr<const Signal>> extra_signals,
                           const VectorIndex* factor_index)
    : als_(als), emb_(embeddings), index_(index), factor_index_given_(factor_index), pop_(popularity),
      options_(options) {
  options_.Validate();
  const bool uses_neighbours = options_.cooccurrence.weight > 0.f;
  signals_ = MakeSignals({als_, !emb_.empty(), uses_neighbours ? neighbours : nullptr}, options_);
  for (auto& sig : extra_signals) {
    if (sig == nullptr) throw std::invalid_argument("HybridRanker: an extra signal is null");
    signals_.push_back(std::move(sig));
  }
  if (signals_.size() > kMaxSignals)
    throw std::invalid_argument("HybridRanker: more than " + std::to_string(kMaxSignals) + " signals");
  if (!emb_.empty()) {
    if (dim <= 0 || emb_.size() % static_cast<size_t>(dim) != 0)
      throw std::invalid_argument("HybridRanker: embeddings size is not a multiple of dim");
    dim_ = static_cast<size_t>(dim);
    emb_items_ = static_cast<uint32_t>(emb_.size() / dim_);
    if (index_ != nullptr && index_->dimension() != dim)
      throw std::invalid_argument("HybridRanker: index dimension differs from the embeddings'");
  } else {
    index_ = nullptr;  // no embeddings: no content signal at all
  }
  if (als_ != nullptr) {
    als_items_ = als_->num_items();
    k_ = als_->factors();
  }
  num_items_ = emb_items_ ? emb_items_ : als_items_;
  index_ = IndexFor(index_, num_items_);
  if (index_ != nullptr && index_->size() != static_cast<int64_t>(emb_items_))
    throw std::invalid_argument("HybridRanker: the index holds " + std::to_string(index_->size()) +
                                " vectors for " + std::to_string(emb_items_) + " embeddings");
  if (num_items_ == 0) throw std::invalid_argument("HybridRanker: neither an ALS model nor embeddings");
  if (factor_index_given_ != nullptr && als_ != nullptr) {
    if (factor_index_given_->dimension() != k_ + 1)
      throw std::invalid_argument("HybridRanker: the factor index has dimension " +
                                  std::to_string(factor_index_given_->dimension()) + ", expected " +
                                  std::to_string(k_ + 1) + " (the factors plus one)");
    if (factor_index_given_->size() > static_cast<int64_t>(als_items_))
      throw std::invalid_argument("HybridRanker: the factor index holds more vectors than the ALS model has items");
  }
  factor_index_ = FactorIndexFor(num_items_);
  if (als_items_ > num_items_)
    throw std::invalid_argument("HybridRanker: the ALS model has more items (" + std::to_string(als_items_) +
                                ") than there are embeddings (" + std::to_string(num_items_) + ")");
  if (uses_neighbours && neighbours->num_items > num_items_)
    throw std::invalid_argument("HybridRanker: the co-occurrence table has more items (" +
                                std::to_string(neighbours->num_items) + ") than the catalogue (" +
                                std::to_string(num_items_) + ")");
  if (!pop_.empty() && pop_.size() != num_items_)
    throw std::invalid_argument("HybridRanker: popularity has " + std::to_string(pop_.size()) +
                                " entries for " + std::to_string(num_items_) + " items");
  const size_t n = num_items_;
  const size_t ks = static_cast<size_t>(k_);
  if (!item_has_factor.empty() && item_has_factor.size() != n)
    throw std::invalid_argument("HybridRanker: item_has_factor must have one flag per item");
  t_ = std::make_shared<Tables>();
  Tables& t = *t_;
  t.Allocate(n, ks, dim_);
  if (als_ != nullptr) {
    const auto y = als_->item_factors();
    std::copy(y.begin(), y.end(), t.y.get());
    for (size_t i = 0; i < als_items_; ++i) {
      bool nz = false;
      for (size_t j = 0; j < ks && !nz; ++j) nz = y[i * ks + j] != 0.f;
      const bool trained = item_has_factor.empty() ? (pop_.empty() || pop_[i] > 0.f) : item_has_factor[i] != 0;
      t.has_factor[i] = nz && trained ? 1 : 0;
    }
    // Rows without a factor are zeroed so that they cannot leak into scores or the Gram below.
    for (size_t i = 0; i < als_items_; ++i)
      if (!t.has_factor[i]) std::fill_n(t.y.get() + i * ks, ks, 0.f);
    for (size_t i = 0; i < als_items_; ++i) t.trained[i] = t.has_factor[i];
    t.gram.assign(ks * ks, 0.f);
    std::vector<double> g(ks * ks, 0.0);
    // Gram of the trained Y as AlsModel's fold-in uses it (all rows), so that the explanation
    // decomposition sums to the fold-in score.
    for (size_t i = 0; i < als_items_; ++i) {
      const float* yi = y.data() + i * ks;
      for (size_t a = 0; a < ks; ++a)
        for (size_t b = a; b < ks; ++b) g[a * ks + b] += static_cast<double>(yi[a]) * yi[b];
    }
    for (size_t a = 0; a < ks; ++a)
      for (size_t b = a; b < ks; ++b) t.gram[a * ks + b] = t.gram[b * ks + a] = static_cast<float>(g[a * ks + b]);
    if (options_.map_cold_items && emb_items_ > 0) {
      std::vector<uint32_t> warm;
      for (uint32_t i = 0; i < als_items_; ++i)
        if (t.has_factor[i]) warm.push_back(i);
      t.map = FitContentToFactorMap(emb_.subspan(0, static_cast<size_t>(als_items_) * dim_), dim_, y, k_, warm,
                                    options_.map_ridge);
    }
  }
  for (size_t i = 0; i < n; ++i) FillContentRow(t, i);
  for (size_t i = 0; i < n; ++i) FillFactorRow(t, i);
  for (uint32_t i = 0; i < n; ++i) {
    if (!t.has_factor[i]) t.no_factor[no_factor_count_++] = i;
    if (!t.trained[i]) ++cold_count_;
    if (t.has_factor[i] && !t.trained[i]) t.estimated[estimated_count_++] = i;
  }
  SortByPopularity(pop_, t.pop_order.get(), n);
  t.tip.Reset(n);
  RefreshCatalogue();
}

void HybridRanker::Tables::Allocate(size_t rows, size_t k_factors, size_t d) {
  cap = rows;
  k = k_factors;
  dim = d;
  has_factor = std::make_unique<uint8_t[]>(rows);  // value-initialised: zeros
  trained = std::make_unique<uint8_t[]>(rows);
  no_factor = std::make_unique<uint32_t[]>(rows);
  estimated = std::make_unique<uint32_t[]>(rows);
  y = std::make_unique<float[]>(rows * k);
  y_t = std::make_unique<float[]>(k * rows);
  e_t = std::make_unique<float[]>(dim * rows);
  emb_inv_norm = std::make_unique<float[]>(rows);
  y_inv_norm = std::make_unique<float[]>(rows);
  pop_order = std::make_unique<uint32_t[]>(rows);
}

// Row i of the content tables: the transposed embedding column and its norm.
void HybridRanker::FillContentRow(Tables& t, size_t i) const {
  if (emb_items_ == 0) return;
  const float* e = emb_.data() + i * dim_;
  for (size_t j = 0; j < dim_; ++j) t.e_t[j * t.cap + i] = e[j];
  t.emb_inv_norm[i] = InvNorm(e, dim_);
}

// Row i of the factor tables from t.y: the estimated factor of an item without a trained one
// (the content-to-factor map, or its content neighbours: their content rows must be filled),
// has_factor, the transposed column and the norm.
void HybridRanker::FillFactorRow(Tables& t, size_t i) const {
  if (als_ == nullptr) return;
  const size_t ks = t.k;
  float* yi = t.y.get() + i * ks;
  if (!t.has_factor[i] && i < emb_items_) {
    if (!t.map.empty()) {
      ApplyContentToFactorMap(t.map, dim_, k_, emb_.subspan(i * dim_, dim_), std::span<float>(yi, ks));
    } else if (options_.cold_knn > 0) {
      EstimateFactorFromNeighbours(t, i, yi);
    }
    bool nz = false;
    for (size_t j = 0; j < ks; ++j) nz = nz || yi[j] != 0.f;
    t.has_factor[i] = nz ? 1 : 0;
  }
  for (size_t j = 0; j < ks; ++j) t.y_t[j * t.cap + i] = yi[j];
  t.y_inv_norm[i] = InvNorm(yi, ks);
}

// y_i = sum_j c_j^p y_j / (sum_j c_j^p + shrink) over the cold_knn trained items j with the
// largest embedding cosine c_j > 0 (ties: lower index first). Reads only trained rows.
void HybridRanker::EstimateFactorFromNeighbours(const Tables& t, size_t i, float* yi) const {
  const size_t ks = t.k;
  const float* e = emb_.data() + i * dim_;
  const float ni = t.emb_inv_norm[i];
  thread_local std::vector<std::pair<float, uint32_t>> sims;
  sims.clear();
  for (uint32_t j = 0; j < als_items_; ++j) {
    if (!t.trained[j]) continue;
    const float* ej = emb_.data() + static_cast<size_t>(j) * dim_;
    const float c = Dot(e, ej, dim_) * ni * t.emb_inv_norm[j];
    if (c > 0.f) sims.emplace_back(c, j);
  }
  const size_t kk = std::min(options_.cold_knn, sims.size());
  std::partial_sort(sims.begin(), sims.begin() + static_cast<std::ptrdiff_t>(kk), sims.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  double wsum = 0.0;
  std::vector<double> acc(ks, 0.0);
  for (size_t q = 0; q < kk; ++q) {
    const double w = std::pow(static_cast<double>(sims[q].first), static_cast<double>(options_.cold_knn_power));
    wsum += w;
    const float* yj = t.y.get() + static_cast<size_t>(sims[q].second) * ks;
    for (size_t c = 0; c < ks; ++c) acc[c] += w * yj[c];
  }
  const double den = wsum + static_cast<double>(options_.cold_knn_shrink);
  for (size_t c = 0; c < ks; ++c) yi[c] = den > 0.0 ? static_cast<float>(acc[c] / den) : 0.f;
}

std::unique_ptr<HybridRanker> HybridRanker::Extended(std::span<const float> embeddings, const VectorIndex* index,
                                                     std::span<const float> popularity) const {
  if (emb_items_ == 0) throw std::invalid_argument("HybridRanker::Extended: the ranker has no content layer");
  if (embeddings.size() % dim_ != 0 || embeddings.size() / dim_ < num_items_)
    throw std::invalid_argument("HybridRanker::Extended: the embeddings do not extend the catalogue");
  const size_t n = num_items_;
  const size_t total = embeddings.size() / dim_;
  const size_t m = total - n;
  if (pop_.empty() != popularity.empty() || (!popularity.empty() && popularity.size() != total))
    throw std::invalid_argument("HybridRanker::Extended: popularity must have one entry per item of the grown "
                                "catalogue (or be empty, as this ranker's)");
  if (index != nullptr && index->dimension() != static_cast<int>(dim_))
    throw std::invalid_argument("HybridRanker::Extended: index dimension differs from the embeddings'");
  std::unique_ptr<HybridRanker> r(new HybridRanker(*this));
  r->emb_ = embeddings;
  r->pop_ = popularity;
  r->emb_items_ = r->num_items_ = static_cast<uint32_t>(total);
  r->index_ = r->IndexFor(index, total);
  r->factor_index_ = r->FactorIndexFor(total);
  if (r->index_ != nullptr && r->index_->size() != static_cast<int64_t>(total))
    throw std::invalid_argument("HybridRanker::Extended: the index holds " + std::to_string(r->index_->size()) +
                                " vectors for " + std::to_string(total) + " embeddings");
  if (m == 0) {
    r->RefreshCatalogue();
    return r;
  }
  // The popularity order of the grown catalogue is this one's followed by the new items when
  // they score 0 and nothing here scores below 0 (stable sort: ties keep index order).
  bool order_appends = true;
  if (!popularity.empty()) {
    for (size_t i = n; i < total && order_appends; ++i) order_appends = popularity[i] == 0.f;
    if (n > 0) {
      const float last = pop_[t_->pop_order[n - 1]];
      order_appends = order_appends && last >= 0.f;  // false for NaN too
    }
  }
  if (!order_appends || !t_->tip.Claim(n, m, t_->cap)) {
    // Copy this ranker's rows into larger tables (others may have filled the spare rows, or the
    // popularity order has to be rebuilt; this ranker's rows never change).
    auto nt = std::make_shared<Tables>();
    nt->Allocate(GrownCapacity(total), t_->k, t_->dim);
    const Tables& o = *t_;
    std::copy_n(o.has_factor.get(), n, nt->has_factor.get());
    std::copy_n(o.trained.get(), n, nt->trained.get());
    std::copy_n(o.no_factor.get(), no_factor_count_, nt->no_factor.get());
    std::copy_n(o.estimated.get(), estimated_count_, nt->estimated.get());
    std::copy_n(o.y.get(), n * o.k, nt->y.get());
    for (size_t j = 0; j < o.k; ++j) std::copy_n(o.y_t.get() + j * o.cap, n, nt->y_t.get() + j * nt->cap);
    for (size_t j = 0; j < o.dim; ++j) std::copy_n(o.e_t.get() + j * o.cap, n, nt->e_t.get() + j * nt->cap);
    std::copy_n(o.emb_inv_norm.get(), n, nt->emb_inv_norm.get());
    std::copy_n(o.y_inv_norm.get(), n, nt->y_inv_norm.get());
    std::copy_n(o.pop_order.get(), n, nt->pop_order.get());
    nt->gram = o.gram;
    nt->map = o.map;
    nt->tip.Reset(total);
    r->t_ = std::move(nt);
  }
  Tables& t = *r->t_;
  for (size_t i = n; i < total; ++i) {
    if (als_ != nullptr) std::fill_n(t.y.get() + i * t.k, t.k, 0.f);
    t.has_factor[i] = 0;
    t.trained[i] = 0;
    r->FillContentRow(t, i);
    r->FillFactorRow(t, i);
    if (!t.has_factor[i]) t.no_factor[r->no_factor_count_++] = static_cast<uint32_t>(i);
    if (t.has_factor[i]) t.estimated[r->estimated_count_++] = static_cast<uint32_t>(i);
    ++r->cold_count_;
  }
  if (order_appends) {
    std::iota(t.pop_order.get() + n, t.pop_order.get() + total, static_cast<uint32_t>(n));
  } else {
    SortByPopularity(popularity, t.pop_order.get(), total);
  }
  r->RefreshCatalogue();
  return r;
}

void HybridRanker::RefreshCatalogue() {
  Catalogue& c = cat_;
  const Tables& t = *t_;
  c.num_items = num_items_;
  c.options = &options_;
  c.als = als_;
  c.als_items = als_items_;
  c.k = t.k;
  c.y = {t.y.get(), static_cast<size_t>(num_items_) * t.k};
  c.has_factor = {t.has_factor.get(), num_items_};
  c.no_factor = {t.no_factor.get(), no_factor_count_};
  c.estimated = {t.estimated.get(), estimated_count_};
  c.factor_index = factor_index_;
  c.trained = {t.trained.get(), num_items_};
  c.num_cold = cold_count_;
  c.gram = t.gram;
  c.factors = {t.y_t.get(), t.cap, t.k};
  c.emb = emb_items_ > 0 ? emb_.first(static_cast<size_t>(emb_items_) * dim_) : std::span<const float>();
  c.dim = dim_;
  c.embeddings = {t.e_t.get(), t.cap, t.dim};
  c.index = index_;
  c.popularity = pop_;
  c.popularity_order = {t.pop_order.get(), num_items_};
}

bool HybridRanker::Prepare(const UserQuery& query, bool exclude_seen, Scratch& s) const {
  CanonicalHistory(query.history, s.hist);
  const size_t n = num_items_;
  s.hist_items.clear();
  s.hist_conf.clear();
  const ConfidenceOptions conf = als_ ? als_->options().confidence : ConfidenceOptions{};
  for (const auto& [item, r] : s.hist) {
    if (item >= n)
      throw std::invalid_argument("HybridRanker: history item " + std::to_string(item) + " out of range (" +
                                  std::to_string(n) + " items)");
    s.hist_items.push_back(item);
    s.hist_conf.push_back(EntryConfidence(conf, r));
  }
  if (query.known_user && als_ != nullptr && *query.known_user >= als_->num_users())
    throw std::invalid_argument("HybridRanker: known user " + std::to_string(*query.known_user) + " out of range");
  s.view.query = &query;
  s.view.history = s.hist;
  s.view.items = s.hist_items;
  s.view.confidence = s.hist_conf;
  s.view.seen = exclude_seen ? std::span<const uint32_t>(s.hist_items) : std::span<const uint32_t>();
  s.view.signals = &s;
  const size_t ns = signals_.size();
  s.signals = &signals_;
  s.weighted = 0;
  s.scored = 0;
  if (s.sig.size() < ns) s.sig.resize(ns);
  s.on.assign(ns, 0);
  s.weights.assign(ns, 0.f);
  if (s.hist.empty()) return false;
  bool primary = false;
  for (size_t i = 0; i < ns; ++i) {
    SignalScratch& ss = s.sig[i];
    ss.dense = nullptr;
    ss.inputs = 0;
    ss.weight = 0.f;
    s.on[i] = signals_[i]->Prepare(cat_, s.view, ss) ? 1 : 0;
    primary = primary || (s.on[i] && signals_[i]->primary());
  }
  if (!primary) return false;
  for (size_t i = 0; i < ns; ++i) {
    s.weighted = i;
    if (s.on[i]) s.weights[i] = signals_[i]->Weight(cat_, s.view, s.sig[i], s);
  }
  s.weighted = ns;
  return true;
}

void HybridRanker::ScoreDense(Scratch& s) const {
  for (size_t i = 0; i < signals_.size(); ++i) {
    SignalScratch& ss = s.sig[i];
    if (!s.on[i] || ss.dense == nullptr) continue;
    const DenseTable& t = *ss.dense;
    ResizeScratch(ss.full, num_items_);
    ScoreTransposed({t.data, t.d * t.ld}, t.ld, num_items_, t.d, ss.query, ss.full);
  }
}

RankPath HybridRanker::Finish(Scratch& s, const RankRequest* request) const {
  const size_t n = num_items_;
  const size_t ns = signals_.size();
  const ItemRules* rules = request != nullptr && request->rules.any() ? &request->rules : nullptr;
  if (rules == nullptr) {
    s.top.clear();
    for (size_t i = 0; i < ns; ++i)
      if (s.on[i]) signals_[i]->Propose(cat_, s.view, s.sig[i], options_.candidates, s.top);
    UnionCandidates(s.top, s.view.seen, static_cast<uint32_t>(n), s.mark, s.cand);
  } else {
    GatherCandidates(s, *rules, request->k);
  }
  const size_t c = s.cand.size();
  s.fused.assign(c, 0.f);
  for (size_t i = 0; i < ns; ++i) {
    if (!s.on[i]) continue;
    SignalScratch& ss = s.sig[i];
    ss.raw.resize(c);
    ss.z.resize(c);
    s.scored = i;
    signals_[i]->Score(cat_, s.view, ss, s.cand, ss.raw);
    if (signals_[i]->z_scored()) {
      ZScore(ss.raw, {}, ss.z, options_.sigma_floor);
    } else {
      for (size_t j = 0; j < c; ++j) ss.z[j] = std::isfinite(ss.raw[j]) ? ss.raw[j] : 0.f;
    }
    const float w = s.weights[i];
    for (size_t j = 0; j < c; ++j) s.fused[j] += w * ss.z[j];
  }
  s.scored = ns;
  if (rules != nullptr && rules->new_boost > 0.f) AddNewItemBoost(s, *rules);
  const bool collab = s.active("collab"), content = s.active("content");
  if (collab && content) return RankPath::kHybrid;
  if (collab) return RankPath::kCollab;
  return content ? RankPath::kContent : RankPath::kHybrid;
}

RankPath HybridRanker::Rank(const UserQuery& query, bool exclude_seen, Scratch& s, const RankRequest* request) const {
  const bool prepared = Prepare(query, exclude_seen, s);
  s.eligible = 0;
  if (request != nullptr) {
    const ItemRules& r = request->rules;
    if (r.eligible != nullptr) {
      if (r.eligible->size() != num_items_)
        throw std::invalid_argument("HybridRanker: the eligibility filter has " + std::to_string(r.eligible->size()) +
                                    " items for " + std::to_string(num_items_));
      s.eligible = r.eligible->count();
      for (uint32_t h : s.view.seen) s.eligible -= r.eligible->test(h) ? 1 : 0;
    }
    if (r.calibration > 0.f && r.categories != nullptr && r.categories->indptr.size() != size_t{num_items_} + 1)
      throw std::invalid_argument("HybridRanker: the item categories do not cover the catalogue");
    if (!(r.diversity >= 0.f && r.diversity <= 1.f) || !(r.calibration >= 0.f && r.calibration <= 1.f) ||
        !(r.new_boost >= 0.f) || !std::isfinite(r.new_boost) || !(r.half_life_days > 0.0))
      throw std::invalid_argument(
          "HybridRanker: rules out of range (diversity and calibration in [0, 1], "
          "new_boost >= 0, half_life_days > 0)");
  }
  if (!prepared) return RankPath::kPopularity;
  ScoreDense(s);
  return Finish(s, request);
}

RankResponse HybridRanker::Recommend(const UserQuery& query, const RankRequest& request) const {
  thread_local Scratch s;
  const RankPath path = Rank(query, request.exclude_seen, s, request.rules.any() ? &request : nullptr);
  return Respond(s, path, request);
}

void HybridRanker::GatherCandidates(Scratch& s, const ItemRules& rules, size_t k) const {
  const uint32_t n = num_items_;
  const ItemBitmap* el = rules.eligible;
  const size_t want = el != nullptr ? std::min(k, s.eligible) : k;
  size_t pool = options_.candidates;
  while (true) {
    s.top.clear();
    for (size_t i = 0; i < signals_.size(); ++i)
      if (s.on[i]) signals_[i]->Propose(cat_, s.view, s.sig[i], pool, s.top);
    if (rules.new_boost > 0.f) {
      size_t taken = 0;
      for (uint32_t i : rules.newest) {
        if (taken == options_.candidates) break;
        if (i >= n || (el != nullptr && !el->test(i))) continue;
        s.top.push_back(i);
        ++taken;
      }
    }
    UnionCandidates(s.top, s.view.seen, n, s.mark, s.cand);
    if (el == nullptr) return;
    std::erase_if(s.cand, [el](uint32_t i) { return !el->test(i); });
    if (s.cand.size() >= want || pool >= n) break;
    pool = std::min<size_t>(n, pool * 4);
  }
  if (s.cand.size() >= want) return;
  // Signals could not propose enough of them (e.g. items without a factor on the collaborative
  // path): every eligible unseen item is a candidate (ascending, as UnionCandidates gives them).
  s.cand.clear();
  size_t h = 0;
  for (uint32_t i = 0; i < n; ++i) {
    while (h < s.view.seen.size() && s.view.seen[h] < i) ++h;
    if (h < s.view.seen.size() && s.view.seen[h] == i) continue;
    if (el->test(i)) s.cand.push_back(i);
  }
}

void HybridRanker::AddNewItemBoost(Scratch& s, const ItemRules& rules) const {
  const double inv_half_life = 1.0 / rules.half_life_days;
  for (size_t j = 0; j < s.cand.size(); ++j) {
    const uint32_t i = s.cand[j];
    if (i >= rules.item_time.size() || rules.item_time[i] == kNoItemTime) continue;
    const double age_days = std::max<double>(0.0, static_cast<double>(rules.now - rules.item_time[i]) / 86400.0);
    s.fused[j] += static_cast<float>(rules.new_boost * std::exp2(-age_days * inv_half_life));
  }
}

void HybridRanker::PopularityCandidates(Scratch& s, const ItemRules& rules, size_t pool) const {
  const uint32_t n = num_items_;
  s.top.clear();
  size_t taken = 0;
  for (uint32_t i : cat_.popularity_order) {
    if (taken == pool) break;
    if (rules.eligible != nullptr && !rules.eligible->test(i)) continue;
    if (std::binary_search(s.view.seen.begin(), s.view.seen.end(), i)) continue;
    s.top.push_back(i);
    ++taken;
  }
  if (rules.new_boost > 0.f) {
    taken = 0;
    for (uint32_t i : rules.newest) {
      if (taken == pool) break;
      if (i >= n || (rules.eligible != nullptr && !rules.eligible->test(i))) continue;
      s.top.push_back(i);
      ++taken;
    }
  }
  UnionCandidates(s.top, s.view.seen, n, s.mark, s.cand);
  const size_t c = s.cand.size();
  s.fused.assign(c, 0.f);
  if (!pop_.empty()) {
    std::vector<float>& raw = s.pool_rel;
    raw.resize(c);
    for (size_t j = 0; j < c; ++j) raw[j] = pop_[s.cand[j]];
    ZScore(raw, {}, s.fused, options_.sigma_floor);
  }
  if (rules.new_boost > 0.f) AddNewItemBoost(s, rules);
}

void HybridRanker::Select(Scratch& s, const RankRequest& request, RankResponse& resp) const {
  const ItemRules& rules = request.rules;
  const size_t k = request.k;
  const bool rerank = rules.diversity > 0.f || rules.calibration > 0.f;
  if (!rerank) {
    TopKInto(s.fused, k, s.sel);
    return;
  }
  TopKInto(s.fused, std::max(k, request.rerank_pool), s.pool);
  s.pool_items.resize(s.pool.size());
  s.pool_rel.resize(s.pool.size());
  for (size_t j = 0; j < s.pool.size(); ++j) {
    s.pool_items[j] = s.cand[s.pool[j]];
    s.pool_rel[j] = s.fused[s.pool[j]];
  }
  RerankInput in;
  in.items = s.pool_items;
  in.relevance = s.pool_rel;
  in.k = k;
  in.diversity = rules.diversity;
  in.calibration = rules.calibration;
  if (!cat_.emb.empty()) {
    in.vectors = cat_.emb;
    in.dim = cat_.dim;
  } else if (cat_.als != nullptr) {
    in.vectors = cat_.y;
    in.dim = cat_.k;
  }
  s.mix.clear();
  if (rules.calibration > 0.f && rules.categories != nullptr) {
    CategoryMix(*rules.categories, s.hist, s.mix);
    if (std::all_of(s.mix.begin(), s.mix.end(), [](float v) { return v == 0.f; })) s.mix.clear();
    if (!s.mix.empty()) {
      in.categories = rules.categories;
      in.target = s.mix;
    }
  }
  Rerank(in, s.chosen);
  s.sel.clear();
  for (uint32_t j : s.chosen) s.sel.push_back(s.pool[j]);
  if (!s.mix.empty()) {
    const size_t top = std::min(k, s.pool_items.size());
    resp.calibration_kl_before =
        CalibrationKl(*rules.categories, s.mix, std::span<const uint32_t>(s.pool_items).first(top));
    std::vector<uint32_t> items;
    for (uint32_t j : s.chosen) items.push_back(s.pool_items[j]);
    resp.calibration_kl_after = CalibrationKl(*rules.categories, s.mix, items);
  }
}

RankResponse HybridRanker::Respond(Scratch& s, RankPath path, const RankRequest& request) const {
  RankResponse resp;
  resp.path = path;
  const size_t k = request.k;
  const ItemRules& rules = request.rules;
  if (rules.eligible != nullptr) resp.eligible = s.eligible;
  if (path == RankPath::kPopularity) {
    const bool scored = rules.new_boost > 0.f || rules.diversity > 0.f || rules.calibration > 0.f;
    if (!scored) {
      for (uint32_t i : cat_.popularity_order) {
        if (resp.items.size() >= k) break;
        if (rules.eligible != nullptr && !rules.eligible->test(i)) continue;
        if (std::binary_search(s.view.seen.begin(), s.view.seen.end(), i)) continue;
        RankedItem r;
        r.item = i;
        r.score = pop_.empty() ? 0.f : pop_[i];
        resp.items.push_back(std::move(r));
      }
      return resp;
    }
    PopularityCandidates(s, rules, std::max(k, request.rerank_pool));
    Select(s, request, resp);
    for (uint32_t j : s.sel) {
      RankedItem r;
      r.item = s.cand[j];
      r.score = pop_.empty() ? 0.f : pop_[r.item];
      resp.items.push_back(std::move(r));
    }
    return resp;
  }
  size_t used[kMaxSignals];  // signal index of each response slot
  size_t num_used = 0;
  resp.signals.reserve(signals_.size());
  for (size_t i = 0; i < signals_.size(); ++i) {
    if (!s.on[i]) continue;
    used[num_used++] = i;
    resp.signals.push_back({signals_[i]->name(), s.weights[i], s.sig[i].inputs});
  }
  if (request.rules.any()) {
    Select(s, request, resp);
  } else {
    TopKInto(s.fused, k, s.sel);
  }
  resp.items.reserve(s.sel.size());
  for (uint32_t j : s.sel) {
    RankedItem r;
    r.item = s.cand[j];
    r.score = s.fused[j];
    r.raw.fill(kNoScore);
    for (size_t q = 0; q < num_used; ++q) {
      r.raw[q] = s.sig[used[q]].raw[j];
      r.z[q] = s.sig[used[q]].z[j];
    }
    resp.items.push_back(std::move(r));
  }
  if (!request.explain || resp.items.empty()) return resp;
  std::vector<uint32_t> items;
  for (const RankedItem& r : resp.items) items.push_back(r.item);
  for (RankedItem& r : resp.items) r.reasons.resize(num_used);
  std::vector<std::vector<Contribution>> out;
  for (size_t q = 0; q < num_used; ++q) {
    out.assign(items.size(), {});
    signals_[used[q]]->Explain(cat_, s.view, s.sig[used[q]], items, request.explain_items, out);
    for (size_t r = 0; r < items.size(); ++r) resp.items[r].reasons[q] = std::move(out[r]);
  }
  return resp;
}

RankPath HybridRanker::ScoreInto(const UserQuery& query, std::span<float> scores) const {
  if (scores.size() != num_items_) throw std::invalid_argument("HybridRanker::ScoreInto: scores size != num_items");
  thread_local Scratch s;
  const RankPath path = Rank(query, true, s);
  FillScores(s, path, scores);
  return path;
}

void HybridRanker::FillScores(const Scratch& s, RankPath path, std::span<float> scores) const {
  if (path == RankPath::kPopularity) {
    for (size_t i = 0; i < num_items_; ++i) scores[i] = pop_.empty() ? 0.f : pop_[i];
    for (uint32_t h : s.view.seen) scores[h] = kNegInf;
    return;
  }
  std::fill(scores.begin(), scores.end(), kNegInf);
  for (size_t j = 0; j < s.cand.size(); ++j) scores[s.cand[j]] = s.fused[j];
}

// Per-thread scratches of the batch path, one per query of a block (reused across calls).
std::vector<HybridRanker::Scratch>& HybridRanker::BlockScratches() {
  thread_local std::vector<Scratch> scratches(kBatchBlock);
  return scratches;
}

void HybridRanker::RankBlock(std::span<const UserQuery> queries, RankPath* paths) const {
  std::vector<Scratch>& ss = BlockScratches();
  const size_t nb = queries.size();
  bool prepared[kBatchBlock];
  for (size_t b = 0; b < nb; ++b) prepared[b] = Prepare(queries[b], true, ss[b]);
  // One pass over each dense table for every query of the block that scores against it.
  const DenseTable* tables[kMaxSignals];
  size_t num_tables = 0;
  for (size_t b = 0; b < nb; ++b) {
    if (!prepared[b]) continue;
    for (size_t i = 0; i < signals_.size(); ++i) {
      const DenseTable* t = ss[b].on[i] ? ss[b].sig[i].dense : nullptr;
      if (t == nullptr || std::find(tables, tables + num_tables, t) != tables + num_tables) continue;
      if (num_tables < kMaxSignals) tables[num_tables++] = t;
    }
  }
  const float* qs[kBatchBlock * kMaxSignals];
  float* outs[kBatchBlock * kMaxSignals];
  for (size_t ti = 0; ti < num_tables; ++ti) {
    const DenseTable& t = *tables[ti];
    size_t m = 0;
    for (size_t b = 0; b < nb; ++b) {
      if (!prepared[b]) continue;
      for (size_t i = 0; i < signals_.size(); ++i) {
        SignalScratch& sc = ss[b].sig[i];
        if (!ss[b].on[i] || sc.dense != &t) continue;
        ResizeScratch(sc.full, num_items_);
        qs[m] = sc.query.data();
        outs[m++] = sc.full.data();
      }
    }
    if (m > 0) ScoreTransposedBatch({t.data, t.d * t.ld}, t.ld, num_items_, t.d, {qs, m}, {outs, m});
  }
  for (size_t b = 0; b < nb; ++b) paths[b] = prepared[b] ? Finish(ss[b]) : RankPath::kPopularity;
}

void HybridRanker::RecommendBatch(std::span<const UserQuery> queries, size_t k, std::span<RankResponse> out) const {
  if (out.size() != queries.size())
    throw std::invalid_argument("HybridRanker::RecommendBatch: out must have one entry per query");
  RankPath paths[kBatchBlock];
  RankRequest request;
  request.k = k;
  for (size_t b0 = 0; b0 < queries.size(); b0 += kBatchBlock) {
    const size_t nb = std::min(kBatchBlock, queries.size() - b0);
    RankBlock(queries.subspan(b0, nb), paths);
    std::vector<Scratch>& ss = BlockScratches();
    for (size_t b = 0; b < nb; ++b) out[b0 + b] = Respond(ss[b], paths[b], request);
  }
}

void HybridRanker::ScoreIntoBatch(std::span<const UserQuery> queries, std::span<float> scores) const {
  if (scores.size() != queries.size() * static_cast<size_t>(num_items_))
    throw std::invalid_argument("HybridRanker::ScoreIntoBatch: scores size != queries x num_items");
  RankPath paths[kBatchBlock];
  for (size_t b0 = 0; b0 < queries.size(); b0 += kBatchBlock) {
    const size_t nb = std::min(kBatchBlock, queries.size() - b0);
    RankBlock(queries.subspan(b0, nb), paths);
    std::vector<Scratch>& ss = BlockScratches();
    for (size_t b = 0; b < nb; ++b)
      FillScores(ss[b], paths[b], scores.subspan((b0 + b) * num_items_, num_items_));
  }
}

std::vector<SimilarItem> HybridRanker::Similar(uint32_t item, size_t k, SimilarMode mode) const {
  if (item >= num_items_) throw std::invalid_argument("HybridRanker::Similar: item " + std::to_string(item) + " out of range");
  const size_t n = num_items_;
  const size_t ks = static_cast<size_t>(k_);
  std::vector<float> content, collab;
  const Tables& t = *t_;
  const bool use_content = mode != SimilarMode::kCollab && emb_items_ > 0 && t.emb_inv_norm[item] > 0.f;
  const bool use_collab = mode != SimilarMode::kContent && als_ != nullptr && t.has_factor[item];
  if (use_content) {
    content.resize(n);
    ScoreTransposed({t.e_t.get(), dim_ * t.cap}, t.cap, n, dim_, emb_.subspan(item * dim_, dim_), content);
    for (size_t i = 0; i < n; ++i) content[i] *= t.emb_inv_norm[i] * t.emb_inv_norm[item];
    content[item] = kNegInf;
  }
  if (use_collab) {
    collab.resize(n);
    ScoreTransposed({t.y_t.get(), ks * t.cap}, t.cap, n, ks, {t.y.get() + item * ks, ks}, collab);
    for (size_t i = 0; i < n; ++i) collab[i] = t.has_factor[i] ? collab[i] * t.y_inv_norm[i] * t.y_inv_norm[item] : kNegInf;
    collab[item] = kNegInf;
  }
  std::vector<SimilarItem> out;
  auto make = [&](uint32_t i, float score) {
    SimilarItem r;
    r.item = i;
    r.score = score;
    if (use_content && std::isfinite(content[i])) r.content = content[i];
    if (use_collab && std::isfinite(collab[i])) r.collab = collab[i];
    return r;
  };
  if (mode == SimilarMode::kContent || mode == SimilarMode::kCollab) {
    const std::vector<float>& v = mode == SimilarMode::kContent ? content : collab;
    if (v.empty()) return out;
    for (uint32_t i : TopK(v, k)) out.push_back(make(i, v[i]));
    return out;
  }
  std::vector<uint32_t> top;
  if (use_content) top = TopK(content, options_.candidates);
  if (use_collab) {
    const auto b = TopK(collab, options_.candidates);
    top.insert(top.end(), b.begin(), b.end());
  }
  std::vector<uint32_t> cand;
  std::vector<uint8_t> mark;
  const uint32_t self[1] = {item};
  UnionCandidates(top, self, num_items_, mark, cand);
  std::vector<float> rc(cand.size()), rt(cand.size()), zc(cand.size()), zt(cand.size()), fused(cand.size());
  for (size_t j = 0; j < cand.size(); ++j) {
    rc[j] = use_collab ? collab[cand[j]] : kNaN;
    rt[j] = use_content ? content[cand[j]] : kNaN;
  }
  ZScore(rc, {}, zc, options_.sigma_floor);
  ZScore(rt, {}, zt, options_.sigma_floor);
  const float w = use_collab && use_content ? options_.w_max : (use_collab ? 1.f : 0.f);
  FuseScores(zc, zt, w, fused);
  for (uint32_t j : TopK(fused, k)) out.push_back(make(cand[j], fused[j]));
  return out;
}

}  // namespace hybridrec
