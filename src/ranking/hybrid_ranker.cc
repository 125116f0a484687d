#include "ranking/hybrid_ranker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "core/scratch.h"
#include "core/topk.h"

namespace hybridrec {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

bool Contains(std::span<const uint32_t> sorted, uint32_t v) { return std::binary_search(sorted.begin(), sorted.end(), v); }

// Eight independent partial sums so the compiler can vectorise (a strict left-to-right float sum
// cannot be reordered).
float Dot(const float* a, const float* b, size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (size_t t = 0; t < 8; ++t) acc[t] += a[j + t] * b[j + t];
  float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; j < n; ++j) s += a[j] * b[j];
  return s;
}

float InvNorm(const float* v, size_t n) {
  double n2 = 0.0;
  for (size_t c = 0; c < n; ++c) n2 += static_cast<double>(v[c]) * v[c];
  return n2 > 0.0 ? static_cast<float>(1.0 / std::sqrt(n2)) : 0.f;
}

// order[0, n) = items 0..n-1 by popularity, best first (NaN last; ties by ascending index).
void SortByPopularity(std::span<const float> pop, uint32_t* order, size_t n) {
  std::iota(order, order + n, 0u);
  if (pop.empty()) return;
  auto key = [&](uint32_t i) { return std::isnan(pop[i]) ? kNegInf : pop[i]; };
  std::stable_sort(order, order + n, [&](uint32_t a, uint32_t b) { return key(a) > key(b); });
}

}  // namespace

void RankerOptions::Validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument("RankerOptions: " + what); };
  if (candidates < 1) bad("candidates must be >= 1");
  if (!std::isfinite(T)) bad("T must be finite");
  if (!(w_max >= 0.f && w_max <= 1.f)) bad("w_max must be in [0, 1]");
  if (!(sigma_floor >= 0.f) || !std::isfinite(sigma_floor)) bad("sigma_floor must be finite and >= 0");
  if (std::isnan(foldin_regularization)) bad("foldin_regularization must not be NaN");
  if (!(popularity_mix >= 0.f && popularity_mix <= 1.f)) bad("popularity_mix must be in [0, 1]");
  if (!(map_ridge >= 0.f) || !std::isfinite(map_ridge)) bad("map_ridge must be finite and >= 0");
  if (!(popularity_half_life_days >= 0.f) || !std::isfinite(popularity_half_life_days))
    bad("popularity_half_life_days must be finite and >= 0");
  if (!(recent_weight >= 0.f) || !std::isfinite(recent_weight)) bad("recent_weight must be finite and >= 0");
  if (!(recent_regularization >= 0.f) || !std::isfinite(recent_regularization))
    bad("recent_regularization must be finite and >= 0");
  if (!(cooccurrence_weight >= 0.f) || !std::isfinite(cooccurrence_weight))
    bad("cooccurrence_weight must be finite and >= 0");
  if (std::isnan(cooccurrence_T) || std::isinf(cooccurrence_T)) bad("cooccurrence_T must be finite");
  if (cooccurrence_neighbours < 1) bad("cooccurrence_neighbours must be >= 1");
  if (!(cooccurrence_alpha >= 0.f) || !std::isfinite(cooccurrence_alpha))
    bad("cooccurrence_alpha must be finite and >= 0");
  if (!(cooccurrence_beta >= 0.f) || !std::isfinite(cooccurrence_beta)) bad("cooccurrence_beta must be finite and >= 0");
}

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

struct HybridRanker::Scratch {
  std::vector<HistoryEntry> hist;
  std::vector<uint32_t> hist_items;
  std::vector<float> hist_conf;
  std::vector<HistoryEntry> fold;
  std::vector<HistoryEntry> recent;
  std::vector<float> x, xr, profile, collab_full, content_full, recent_full, cooc_full;
  std::vector<uint32_t> top, cand, sel;
  std::vector<SearchHit> hits;
  std::vector<float> rc, rt, rp, rr, ro, zc, zt, zp, zr, zo, fused, vals;
  std::vector<uint8_t> mark;  // per item, all zero between requests
};

struct HybridRanker::State {
  bool has_collab = false;
  bool has_content = false;
  bool has_recent = false;
  bool has_cooc = false;
  size_t recent_used = 0;
  float g = 0.f;  // co-occurrence weight g_u
  float w = 0.f;
  float m = 0.f;
};

HybridRanker::HybridRanker(const AlsModel* als, std::span<const float> embeddings, int dim, const VectorIndex* index,
                           std::span<const float> popularity, RankerOptions options,
                           std::span<const uint8_t> item_has_factor,
                           std::shared_ptr<const ItemNeighbours> neighbours)
    : als_(als), emb_(embeddings), index_(index), pop_(popularity), options_(options) {
  options_.Validate();
  if (options_.cooccurrence_weight > 0.f) {
    if (neighbours == nullptr)
      throw std::invalid_argument("HybridRanker: cooccurrence_weight > 0 needs the item co-occurrence table");
    if (!(neighbours->options == options_.neighbour_options()))
      throw std::invalid_argument("HybridRanker: the co-occurrence table was built with other "
                                  "cooccurrence_neighbours / cooccurrence_alpha / cooccurrence_beta");
    nb_ = std::move(neighbours);
  }
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
  if (index_ != nullptr && num_items_ <= options_.brute_force_max_items) index_ = nullptr;
  if (index_ != nullptr && index_->size() != static_cast<int64_t>(emb_items_))
    throw std::invalid_argument("HybridRanker: the index holds " + std::to_string(index_->size()) +
                                " vectors for " + std::to_string(emb_items_) + " embeddings");
  if (num_items_ == 0) throw std::invalid_argument("HybridRanker: neither an ALS model nor embeddings");
  if (als_items_ > num_items_)
    throw std::invalid_argument("HybridRanker: the ALS model has more items (" + std::to_string(als_items_) +
                                ") than there are embeddings (" + std::to_string(num_items_) + ")");
  if (nb_ != nullptr && nb_->num_items > num_items_)
    throw std::invalid_argument("HybridRanker: the co-occurrence table has more items (" +
                                std::to_string(nb_->num_items) + ") than the catalogue (" +
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
  for (size_t i = 0; i < n; ++i) FillRow(t, i);
  for (uint32_t i = 0; i < n; ++i)
    if (!t.has_factor[i]) t.no_factor[no_factor_count_++] = i;
  SortByPopularity(pop_, t.pop_order.get(), n);
  t.tip.Reset(n);
}

void HybridRanker::Tables::Allocate(size_t rows, size_t k_factors, size_t d) {
  cap = rows;
  k = k_factors;
  dim = d;
  has_factor = std::make_unique<uint8_t[]>(rows);  // value-initialised: zeros
  no_factor = std::make_unique<uint32_t[]>(rows);
  y = std::make_unique<float[]>(rows * k);
  y_t = std::make_unique<float[]>(k * rows);
  e_t = std::make_unique<float[]>(dim * rows);
  emb_inv_norm = std::make_unique<float[]>(rows);
  y_inv_norm = std::make_unique<float[]>(rows);
  pop_order = std::make_unique<uint32_t[]>(rows);
}

// Row i of the derived tables from the embeddings and t.y: the mapped factor of an item without
// a trained one (map_cold_items), has_factor, the transposed columns and the norms.
void HybridRanker::FillRow(Tables& t, size_t i) const {
  const size_t ks = t.k;
  if (als_ != nullptr) {
    float* yi = t.y.get() + i * ks;
    if (!t.has_factor[i] && !t.map.empty() && i < emb_items_) {
      ApplyContentToFactorMap(t.map, dim_, k_, emb_.subspan(i * dim_, dim_), std::span<float>(yi, ks));
      bool nz = false;
      for (size_t j = 0; j < ks; ++j) nz = nz || yi[j] != 0.f;
      t.has_factor[i] = nz ? 1 : 0;
    }
    for (size_t j = 0; j < ks; ++j) t.y_t[j * t.cap + i] = yi[j];
    t.y_inv_norm[i] = InvNorm(yi, ks);
  }
  if (emb_items_ > 0) {
    const float* e = emb_.data() + i * dim_;
    for (size_t j = 0; j < dim_; ++j) t.e_t[j * t.cap + i] = e[j];
    t.emb_inv_norm[i] = InvNorm(e, dim_);
  }
}

std::unique_ptr<HybridRanker> HybridRanker::WithExcludeSeen(bool exclude_seen) const {
  std::unique_ptr<HybridRanker> r(new HybridRanker(*this));
  r->options_.exclude_seen = exclude_seen;
  return r;
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
  r->index_ = index != nullptr && total > options_.brute_force_max_items ? index : nullptr;
  if (r->index_ != nullptr && r->index_->size() != static_cast<int64_t>(total))
    throw std::invalid_argument("HybridRanker::Extended: the index holds " + std::to_string(r->index_->size()) +
                                " vectors for " + std::to_string(total) + " embeddings");
  if (m == 0) return r;
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
    std::copy_n(o.no_factor.get(), no_factor_count_, nt->no_factor.get());
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
    r->FillRow(t, i);
    if (!t.has_factor[i]) t.no_factor[r->no_factor_count_++] = static_cast<uint32_t>(i);
  }
  if (order_appends) {
    std::iota(t.pop_order.get() + n, t.pop_order.get() + total, static_cast<uint32_t>(n));
  } else {
    SortByPopularity(popularity, t.pop_order.get(), total);
  }
  return r;
}

float HybridRanker::FoldInReg(size_t n) const {
  if (options_.foldin_regularization >= 0.f) return options_.foldin_regularization;
  const AlsOptions& o = als_->options();
  if (o.reg_exponent == 0.f) return o.regularization;
  return o.regularization *
         static_cast<float>(std::pow(static_cast<double>(n) + o.reg_offset, static_cast<double>(o.reg_exponent)));
}

bool HybridRanker::Prepare(const UserQuery& query, Scratch& s, State& st) const {
  st = State{};
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
  if (s.hist.empty()) return false;

  // Collaborative factor.
  const size_t ks = static_cast<size_t>(k_);
  if (als_ != nullptr) {
    if (query.known_user && query.use_trained_factor) {
      const auto xs = als_->user_factors().subspan(static_cast<size_t>(*query.known_user) * ks, ks);
      s.x.assign(xs.begin(), xs.end());
      st.has_collab = true;
    } else {
      s.fold.clear();
      for (const auto& e : s.hist)
        if (e.first < als_items_) s.fold.push_back(e);
      if (!s.fold.empty()) {
        s.x = als_->FoldInUser(s.fold, options_.foldin_regularization);
        st.has_collab = true;
      }
    }
  }
  // Content profile.
  if (emb_items_ > 0) {
    s.profile.resize(dim_);
    st.has_content = BuildContentProfile(emb_, emb_items_, dim_, s.hist_items, s.hist_conf, s.profile);
  }
  if (!st.has_collab && !st.has_content) return false;
  // Recent-items factor.
  if (st.has_collab && options_.recent_items > 0 && options_.recent_weight > 0.f && !query.recent.empty()) {
    s.recent.clear();
    for (uint32_t item : query.recent) {
      if (s.recent.size() == options_.recent_items) break;
      if (item >= n)
        throw std::invalid_argument("HybridRanker: recent item " + std::to_string(item) + " out of range (" +
                                    std::to_string(n) + " items)");
      if (item >= als_items_) continue;
      const auto it = std::lower_bound(s.hist.begin(), s.hist.end(), HistoryEntry{item, 0.f},
                                       [](const HistoryEntry& a, const HistoryEntry& b) { return a.first < b.first; });
      const float r = it != s.hist.end() && it->first == item ? it->second : 1.f;
      bool dup = false;
      for (const auto& e : s.recent) dup = dup || e.first == item;
      if (!dup) s.recent.emplace_back(item, r);
    }
    if (!s.recent.empty()) {
      s.xr = als_->FoldInUser(s.recent, options_.recent_regularization);
      st.has_recent = true;
      st.recent_used = s.recent.size();
    }
  }
  // Co-occurrence scores: sum of the history items' neighbour weights (sparse accumulation).
  if (nb_ != nullptr) {
    const float tc = options_.cooccurrence_T;  // <= 0: constant weight, no fade
    st.g = options_.cooccurrence_weight * (tc > 0.f ? 1.f - HistoryRamp(s.hist.size(), tc) : 1.f);
  }
  if (st.g > 0.f) {
    ResizeScratch(s.cooc_full, n);
    std::fill_n(s.cooc_full.begin(), n, 0.f);
    for (uint32_t h : s.hist_items) {
      if (h >= nb_->num_items) continue;
      const auto js = nb_->Items(h);
      const auto ws = nb_->Weights(h);
      for (size_t q = 0; q < js.size(); ++q) s.cooc_full[js[q]] += ws[q];
      st.has_cooc = st.has_cooc || !js.empty();
    }
  }
  if (st.has_collab && st.has_content) {
    st.w = AdaptiveWeight(s.hist.size(), options_.T, options_.w_max, true);
  } else {
    st.w = st.has_collab ? 1.f : 0.f;
  }
  if (options_.popularity_mix > 0.f && !pop_.empty()) {
    const float tp = options_.popularity_T > 0.f ? options_.popularity_T : options_.T;
    st.m = options_.popularity_mix * (1.f - HistoryRamp(s.hist.size(), tp));
  }
  return true;
}

void HybridRanker::ScoreFull(Scratch& s, const State& st) const {
  const size_t n = num_items_;
  if (st.has_collab) {
    ResizeScratch(s.collab_full, n);
    ScoreTransposed({t_->y_t.get(), t_->k * t_->cap}, t_->cap, n, t_->k, s.x, s.collab_full);
  }
  if (st.has_recent) {
    ResizeScratch(s.recent_full, n);
    ScoreTransposed({t_->y_t.get(), t_->k * t_->cap}, t_->cap, n, t_->k, s.xr, s.recent_full);
  }
  if (st.has_content && index_ == nullptr) {
    ResizeScratch(s.content_full, n);
    ScoreTransposed({t_->e_t.get(), dim_ * t_->cap}, t_->cap, n, dim_, s.profile, s.content_full);
  }
}

RankPath HybridRanker::Finish(Scratch& s, const State& st) const {
  const size_t n = num_items_;
  const std::span<const uint32_t> seen = options_.exclude_seen ? std::span<const uint32_t>(s.hist_items)
                                                               : std::span<const uint32_t>();
  const size_t big_n = options_.candidates;
  s.top.clear();
  // Top-N of a collaborative score (x . y_i) over the items with a factor.
  auto take_collab_top = [&](std::vector<float>& full) {
    for (size_t q = 0; q < no_factor_count_; ++q) full[t_->no_factor[q]] = kNegInf;
    // Seen items are dropped below anyway; masking them here keeps N unseen items in the top-N.
    for (uint32_t h : seen) full[h] = kNegInf;
    SelectTopN(full, big_n, s.vals, s.sel);
    s.top.insert(s.top.end(), s.sel.begin(), s.sel.end());
  };
  if (st.has_collab) take_collab_top(s.collab_full);
  if (st.has_recent) take_collab_top(s.recent_full);
  if (st.has_cooc) {
    for (uint32_t h : seen) s.cooc_full[h] = kNegInf;
    SelectTopN(s.cooc_full, big_n, s.vals, s.sel);
    s.top.insert(s.top.end(), s.sel.begin(), s.sel.end());
  }
  if (st.has_content) {
    if (index_ != nullptr) {
      const int want = static_cast<int>(std::min<size_t>(big_n + seen.size(), static_cast<size_t>(index_->size())));
      index_->Search(s.profile, std::max(want, 1), s.hits);
      size_t taken = 0;
      for (const SearchHit& h : s.hits) {
        if (h.id < 0 || static_cast<uint64_t>(h.id) >= n) continue;
        const auto id = static_cast<uint32_t>(h.id);
        if (Contains(seen, id)) continue;
        s.top.push_back(id);
        if (++taken == big_n) break;
      }
    } else {
      for (uint32_t h : seen) s.content_full[h] = kNegInf;
      SelectTopN(s.content_full, big_n, s.vals, s.sel);
      s.top.insert(s.top.end(), s.sel.begin(), s.sel.end());
    }
  }
  if (st.m > 0.f) {
    size_t taken = 0;
    for (uint32_t i : std::span<const uint32_t>(t_->pop_order.get(), n)) {
      if (taken == big_n) break;
      if (Contains(seen, i)) continue;
      s.top.push_back(i);
      ++taken;
    }
  }
  // Union by marking (O(n) for the small catalogues this ranker targets, no sort): the result is
  // in ascending item order, as UnionCandidates gives.
  ResizeScratch(s.mark, n, uint8_t{0});
  for (uint32_t i : s.top) s.mark[i] = 1;
  for (uint32_t h : seen) s.mark[h] = 0;
  ResizeScratch(s.cand, n + 1);
  size_t nc = 0;
  for (uint32_t i = 0; i < n; ++i) {  // branch-free compaction
    s.cand[nc] = i;
    nc += s.mark[i];
  }
  s.cand.resize(nc);
  for (uint32_t i : s.top) s.mark[i] = 0;

  const size_t c = s.cand.size();
  s.rc.resize(c);
  s.rt.resize(c);
  s.zc.resize(c);
  s.zt.resize(c);
  s.fused.resize(c);
  for (size_t j = 0; j < c; ++j) {
    const uint32_t i = s.cand[j];
    // collab_full holds x . y_i, with -infinity for items without a factor (and seen items,
    // which are not candidates unless !exclude_seen, in which case they were not masked).
    s.rc[j] = st.has_collab && std::isfinite(s.collab_full[i]) ? s.collab_full[i] : kNaN;
    if (!st.has_content) {
      s.rt[j] = kNaN;
    } else if (index_ != nullptr) {
      s.rt[j] = Dot(s.profile.data(), emb_.data() + i * dim_, dim_);
    } else {
      s.rt[j] = s.content_full[i];
    }
  }
  ZScore(s.rc, {}, s.zc, options_.sigma_floor);
  ZScore(s.rt, {}, s.zt, options_.sigma_floor);
  FuseScores(s.zc, s.zt, st.w, s.fused);
  // An extra signal: z-scored over the candidates (a non-finite score counts as missing) and
  // added to the fused score with its weight.
  auto add_signal = [&](const std::vector<float>& full, float weight, std::vector<float>& raw, std::vector<float>& z) {
    raw.resize(c);
    z.resize(c);
    for (size_t j = 0; j < c; ++j) {
      const float v = full[s.cand[j]];
      raw[j] = std::isfinite(v) ? v : kNaN;
    }
    ZScore(raw, {}, z, options_.sigma_floor);
    for (size_t j = 0; j < c; ++j) s.fused[j] += weight * z[j];
  };
  if (st.has_recent) add_signal(s.recent_full, options_.recent_weight, s.rr, s.zr);
  if (st.has_cooc) add_signal(s.cooc_full, st.g, s.ro, s.zo);
  if (st.m > 0.f) {
    s.rp.resize(c);
    s.zp.resize(c);
    for (size_t j = 0; j < c; ++j) s.rp[j] = pop_[s.cand[j]];
    ZScore(s.rp, {}, s.zp, options_.sigma_floor);
    for (size_t j = 0; j < c; ++j) s.fused[j] = (1.f - st.m) * s.fused[j] + st.m * s.zp[j];
  }
  if (st.has_collab && st.has_content) return RankPath::kHybrid;
  return st.has_collab ? RankPath::kCollab : RankPath::kContent;
}

RankPath HybridRanker::Rank(const UserQuery& query, Scratch& s, State& st) const {
  if (!Prepare(query, s, st)) return RankPath::kPopularity;
  ScoreFull(s, st);
  return Finish(s, st);
}

RankResponse HybridRanker::Recommend(const UserQuery& query, size_t k, bool explain) const {
  thread_local Scratch s;
  State st;
  const RankPath path = Rank(query, s, st);
  return Respond(s, st, path, k, explain);
}

RankResponse HybridRanker::Respond(Scratch& s, const State& st, RankPath path, size_t k, bool explain) const {
  RankResponse resp;
  resp.path = path;
  resp.weight = st.w;
  resp.popularity_weight = st.m;
  if (st.has_recent && path != RankPath::kPopularity) {
    resp.recent_weight = options_.recent_weight;
    resp.recent_used = st.recent_used;
  }
  if (st.has_cooc && path != RankPath::kPopularity) resp.cooccurrence_weight = st.g;
  if (resp.path == RankPath::kPopularity) {
    for (uint32_t i : std::span<const uint32_t>(t_->pop_order.get(), num_items_)) {
      if (resp.items.size() >= k) break;
      if (options_.exclude_seen && Contains(s.hist_items, i)) continue;
      RankedItem r;
      r.item = i;
      r.score = pop_.empty() ? 0.f : pop_[i];
      resp.items.push_back(std::move(r));
    }
    return resp;
  }
  TopKInto(s.fused, k, s.sel);
  resp.items.reserve(s.sel.size());
  for (uint32_t j : s.sel) {
    RankedItem r;
    r.item = s.cand[j];
    r.score = s.fused[j];
    if (std::isfinite(s.rc[j])) r.collab = s.rc[j];
    if (std::isfinite(s.rt[j])) r.content = s.rt[j];
    r.z_collab = s.zc[j];
    r.z_content = s.zt[j];
    if (st.has_recent) r.z_recent = s.zr[j];
    if (st.has_cooc) r.z_cooccurrence = s.zo[j];
    resp.items.push_back(std::move(r));
  }
  if (!explain) return resp;
  if (st.has_content) {
    for (RankedItem& r : resp.items) {
      r.content_reasons = ContentContributions(emb_, dim_, s.hist_items, r.item);
      KeepTopContributions(r.content_reasons, options_.explain_items);
    }
  }
  if (st.has_collab) {
    std::vector<uint32_t> items;
    std::vector<float> confs;
    for (size_t t = 0; t < s.hist_items.size(); ++t) {
      if (s.hist_items[t] >= als_items_) continue;  // no trained factor: not part of the fold-in
      items.push_back(s.hist_items[t]);
      confs.push_back(s.hist_conf[t]);
    }
    std::vector<uint32_t> targets;
    std::vector<size_t> where;
    for (size_t q = 0; q < resp.items.size(); ++q) {
      if (!t_->has_factor[resp.items[q].item]) continue;
      targets.push_back(resp.items[q].item);
      where.push_back(q);
    }
    if (!items.empty() && !targets.empty()) {
      const std::span<const float> y(t_->y.get(), static_cast<size_t>(num_items_) * t_->k);
      auto contrib = CollabContributions(y, t_->gram, k_, items, confs, FoldInReg(items.size()), targets);
      for (size_t q = 0; q < targets.size(); ++q) {
        KeepTopContributions(contrib[q], options_.explain_items);
        resp.items[where[q]].collab_reasons = std::move(contrib[q]);
      }
    }
  }
  return resp;
}

RankPath HybridRanker::ScoreInto(const UserQuery& query, std::span<float> scores) const {
  if (scores.size() != num_items_) throw std::invalid_argument("HybridRanker::ScoreInto: scores size != num_items");
  thread_local Scratch s;
  State st;
  const RankPath path = Rank(query, s, st);
  FillScores(s, path, scores);
  return path;
}

void HybridRanker::FillScores(const Scratch& s, RankPath path, std::span<float> scores) const {
  if (path == RankPath::kPopularity) {
    for (size_t i = 0; i < num_items_; ++i) scores[i] = pop_.empty() ? 0.f : pop_[i];
    if (options_.exclude_seen)
      for (uint32_t h : s.hist_items) scores[h] = kNegInf;
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

void HybridRanker::RankBlock(std::span<const UserQuery> queries, RankPath* paths, State* states) const {
  std::vector<Scratch>& ss = BlockScratches();
  const size_t nb = queries.size();
  const float* cq[2 * kBatchBlock];
  float* co[2 * kBatchBlock];
  const float* tq[kBatchBlock];
  float* to[kBatchBlock];
  size_t nc = 0, nt = 0;
  bool prepared[kBatchBlock];
  for (size_t b = 0; b < nb; ++b) {
    Scratch& s = ss[b];
    prepared[b] = Prepare(queries[b], s, states[b]);
    if (!prepared[b]) continue;
    if (states[b].has_collab) {
      ResizeScratch(s.collab_full, num_items_);
      cq[nc] = s.x.data();
      co[nc++] = s.collab_full.data();
    }
    if (states[b].has_recent) {
      ResizeScratch(s.recent_full, num_items_);
      cq[nc] = s.xr.data();
      co[nc++] = s.recent_full.data();
    }
    if (states[b].has_content && index_ == nullptr) {
      ResizeScratch(s.content_full, num_items_);
      tq[nt] = s.profile.data();
      to[nt++] = s.content_full.data();
    }
  }
  if (nc > 0) ScoreTransposedBatch({t_->y_t.get(), t_->k * t_->cap}, t_->cap, num_items_, t_->k, {cq, nc}, {co, nc});
  if (nt > 0) ScoreTransposedBatch({t_->e_t.get(), dim_ * t_->cap}, t_->cap, num_items_, dim_, {tq, nt}, {to, nt});
  for (size_t b = 0; b < nb; ++b) paths[b] = prepared[b] ? Finish(ss[b], states[b]) : RankPath::kPopularity;
}

void HybridRanker::RecommendBatch(std::span<const UserQuery> queries, size_t k, std::span<RankResponse> out) const {
  if (out.size() != queries.size())
    throw std::invalid_argument("HybridRanker::RecommendBatch: out must have one entry per query");
  RankPath paths[kBatchBlock];
  State states[kBatchBlock];
  for (size_t b0 = 0; b0 < queries.size(); b0 += kBatchBlock) {
    const size_t nb = std::min(kBatchBlock, queries.size() - b0);
    RankBlock(queries.subspan(b0, nb), paths, states);
    std::vector<Scratch>& ss = BlockScratches();
    for (size_t b = 0; b < nb; ++b) out[b0 + b] = Respond(ss[b], states[b], paths[b], k, false);
  }
}

void HybridRanker::ScoreIntoBatch(std::span<const UserQuery> queries, std::span<float> scores) const {
  if (scores.size() != queries.size() * static_cast<size_t>(num_items_))
    throw std::invalid_argument("HybridRanker::ScoreIntoBatch: scores size != queries x num_items");
  RankPath paths[kBatchBlock];
  State states[kBatchBlock];
  for (size_t b0 = 0; b0 < queries.size(); b0 += kBatchBlock) {
    const size_t nb = std::min(kBatchBlock, queries.size() - b0);
    RankBlock(queries.subspan(b0, nb), paths, states);
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
  const uint32_t self[1] = {item};
  UnionCandidates(top, {}, self, num_items_, cand);
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
