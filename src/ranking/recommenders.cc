#include "ranking/recommenders.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "core/parallel.h"

namespace hybridrec {

ContentRecommender::ContentRecommender(std::span<const float> embeddings, int dim, ConfidenceOptions confidence)
    : emb_(embeddings), dim_(dim > 0 ? static_cast<size_t>(dim) : 0), num_items_(0), confidence_(confidence) {
  if (dim_ == 0 || emb_.empty() || emb_.size() % dim_ != 0)
    throw std::invalid_argument("ContentRecommender: embeddings must be a non-empty num_items x dim matrix");
  num_items_ = static_cast<uint32_t>(emb_.size() / dim_);
  e_t_.assign(emb_.size(), 0.f);
  for (size_t i = 0; i < num_items_; ++i)
    for (size_t j = 0; j < dim_; ++j) e_t_[j * num_items_ + i] = emb_[i * dim_ + j];
}

Status ContentRecommender::Fit(const FitInput& input) {
  if (input.train == nullptr) return Status::InvalidArgument("ContentRecommender::Fit: no training matrix");
  const CsrMatrix& m = input.train->by_user;
  if (m.cols != num_items_) {
    return Status::InvalidArgument("ContentRecommender::Fit: " + std::to_string(num_items_) +
                                   " item embeddings for a training matrix with " + std::to_string(m.cols) +
                                   " items; rebuild the content model for this dataset");
  }
  profiles_.assign(static_cast<size_t>(m.rows) * dim_, 0.f);
  std::vector<float> w;
  for (uint32_t u = 0; u < m.rows; ++u) {
    const auto vals = m.RowValues(u);
    w.resize(vals.size());
    for (size_t t = 0; t < vals.size(); ++t) w[t] = EntryConfidence(confidence_, vals[t]);
    BuildContentProfile(emb_, num_items_, dim_, m.RowIndices(u), w,
                        std::span<float>(profiles_).subspan(static_cast<size_t>(u) * dim_, dim_));
  }
  return Status::Ok();
}

void ContentRecommender::ScoreUser(uint32_t user, std::span<float> scores) const {
  if (static_cast<size_t>(user) * dim_ >= profiles_.size())
    throw std::invalid_argument("ContentRecommender::ScoreUser: user out of range (or not fitted)");
  ScoreTransposed(e_t_, num_items_, dim_, std::span<const float>(profiles_).subspan(user * dim_, dim_), scores);
}

void ContentRecommender::ScoreHistory(std::span<const std::pair<uint32_t, float>> history,
                                      std::span<float> scores) const {
  std::vector<HistoryEntry> h;
  CanonicalHistory(history, h);
  std::vector<uint32_t> items;
  std::vector<float> w;
  for (const auto& [i, r] : h) {
    if (i >= num_items_) throw std::invalid_argument("ContentRecommender::ScoreHistory: item out of range");
    items.push_back(i);
    w.push_back(EntryConfidence(confidence_, r));
  }
  std::vector<float> p(dim_);
  BuildContentProfile(emb_, num_items_, dim_, items, w, p);
  ScoreTransposed(e_t_, num_items_, dim_, p, scores);
}

HybridRecommender::HybridRecommender(std::span<const float> embeddings, int dim, HybridRecommenderOptions options)
    : emb_(embeddings), dim_(dim), options_(std::move(options)), popularity_(options_.popularity_sum_strength) {
  options_.als.Validate();
  options_.ranker.Validate();
}

Status HybridRecommender::Fit(const FitInput& input) {
  if (input.train == nullptr) return Status::InvalidArgument("HybridRecommender::Fit: no training matrix");
  const uint32_t n = input.train->num_items();
  if (!emb_.empty() && (dim_ <= 0 || emb_.size() != static_cast<size_t>(n) * static_cast<size_t>(dim_))) {
    return Status::InvalidArgument("HybridRecommender::Fit: embeddings (" + std::to_string(emb_.size()) +
                                   " floats) are not " + std::to_string(n) + " items x dim " + std::to_string(dim_) +
                                   "; rebuild the content model for this dataset");
  }
  ranker_.reset();
  als_ = std::make_unique<AlsModel>(options_.als);
  HR_RETURN_IF_ERROR(als_->Fit(input));
  HR_RETURN_IF_ERROR(popularity_.Fit(input));
  train_ = input.train->by_user;
  entry_timestamps_.clear();
  recent_.clear();
  if (input.dataset != nullptr && input.dataset->has_timestamps) {
    // Timestamp of every training entry (dataset interactions are one per (user, item) pair).
    entry_timestamps_ = EntryTimestamps(train_, input.dataset->interactions);
    if (!entry_timestamps_.empty()) recent_ = RowsMostRecentFirst(train_, entry_timestamps_);
  }
  UpdateRankerPopularity();
  const auto counts = popularity_.item_scores();
  trained_.assign(counts.size(), 0);
  for (size_t i = 0; i < counts.size(); ++i) trained_[i] = counts[i] > 0.f ? 1 : 0;
  neighbours_.clear();
  ranker_ = std::make_unique<HybridRanker>(als_.get(), emb_, dim_, nullptr, ranker_pop_, options_.ranker, trained_,
                                           NeighboursFor(options_.ranker));
  return Status::Ok();
}

std::span<const uint32_t> HybridRecommender::RecentItems(uint32_t user) const {
  if (recent_.empty()) return {};
  return std::span<const uint32_t>(recent_).subspan(train_.indptr[user], train_.indptr[user + 1] - train_.indptr[user]);
}

void HybridRecommender::UpdateRankerPopularity() {
  const auto counts = popularity_.item_scores();
  ranker_pop_.assign(counts.begin(), counts.end());
  const double h = options_.ranker.popularity.half_life_days;
  if (!(h > 0.0) || entry_timestamps_.empty()) return;
  const std::vector<float> decayed = DecayedPopularity(train_, entry_timestamps_, h);
  std::copy(decayed.begin(), decayed.end(), ranker_pop_.begin());
}

std::shared_ptr<const ItemNeighbours> HybridRecommender::NeighboursFor(const RankerOptions& options) {
  if (options.cooccurrence.weight <= 0.f) return nullptr;
  for (const auto& t : neighbours_)
    if (t->options == options.cooccurrence.neighbour_options()) return t;
  neighbours_.push_back(std::make_shared<const ItemNeighbours>(
      BuildItemNeighbours(train_, options.cooccurrence.neighbour_options(), options_.threads)));
  return neighbours_.back();
}

void HybridRecommender::SetRankerOptions(const RankerOptions& options) {
  options.Validate();
  options_.ranker = options;
  if (als_ != nullptr) {
    UpdateRankerPopularity();
    ranker_ = std::make_unique<HybridRanker>(als_.get(), emb_, dim_, nullptr, ranker_pop_, options, trained_,
                                             NeighboursFor(options));
  }
}

void HybridRecommender::ScoreUser(uint32_t user, std::span<float> scores) const {
  if (ranker_ == nullptr) throw std::invalid_argument("HybridRecommender::ScoreUser: not fitted");
  if (user >= train_.rows) throw std::invalid_argument("HybridRecommender::ScoreUser: user out of range");
  thread_local std::vector<HistoryEntry> hist;
  const auto idx = train_.RowIndices(user);
  const auto val = train_.RowValues(user);
  hist.resize(idx.size());
  for (size_t t = 0; t < idx.size(); ++t) hist[t] = {idx[t], val[t]};
  UserQuery q;
  q.known_user = user;
  q.history = hist;
  q.recent = RecentItems(user);
  ranker_->ScoreInto(q, scores);
}

RankResponse HybridRecommender::RecommendUser(uint32_t user, const RankRequest& request) const {
  if (ranker_ == nullptr) throw std::invalid_argument("HybridRecommender::RecommendUser: not fitted");
  if (user >= train_.rows) throw std::invalid_argument("HybridRecommender::RecommendUser: user out of range");
  const auto idx = train_.RowIndices(user);
  const auto val = train_.RowValues(user);
  std::vector<HistoryEntry> hist(idx.size());
  for (size_t t = 0; t < idx.size(); ++t) hist[t] = {idx[t], val[t]};
  UserQuery q;
  q.known_user = user;
  q.history = hist;
  q.recent = RecentItems(user);
  return ranker_->Recommend(q, request);
}

void HybridRecommender::ScoreUsers(std::span<const uint32_t> users, std::span<float> out, uint32_t num_items) const {
  if (out.size() != users.size() * static_cast<size_t>(num_items))
    throw std::invalid_argument("HybridRecommender::ScoreUsers: out size != users x num_items");
  if (ranker_ == nullptr) throw std::invalid_argument("HybridRecommender::ScoreUsers: not fitted");
  if (num_items != ranker_->num_items())
    throw std::invalid_argument("HybridRecommender::ScoreUsers: num_items differs from the model's");
  for (uint32_t u : users)
    if (u >= train_.rows) throw std::invalid_argument("HybridRecommender::ScoreUsers: user out of range");
  // Blocks of HybridRanker::kBatchBlock users go through the batch path (one pass over the
  // factor and embedding matrices per block); same scores as a ScoreUser loop.
  constexpr size_t kBlock = HybridRanker::kBatchBlock;
  const size_t blocks = (users.size() + kBlock - 1) / kBlock;
  ParallelFor(blocks, ResolveThreads(options_.threads), [&](size_t b, size_t e) {
    std::vector<std::vector<HistoryEntry>> hist(kBlock);
    std::vector<UserQuery> queries(kBlock);
    for (size_t blk = b; blk < e; ++blk) {
      const size_t u0 = blk * kBlock;
      const size_t nb = std::min(kBlock, users.size() - u0);
      for (size_t t = 0; t < nb; ++t) {
        const uint32_t user = users[u0 + t];
        const auto idx = train_.RowIndices(user);
        const auto val = train_.RowValues(user);
        hist[t].resize(idx.size());
        for (size_t q = 0; q < idx.size(); ++q) hist[t][q] = {idx[q], val[q]};
        queries[t] = UserQuery{};
        queries[t].known_user = user;
        queries[t].history = hist[t];
        queries[t].recent = RecentItems(user);
      }
      ranker_->ScoreIntoBatch(std::span<const UserQuery>(queries).first(nb),
                              out.subspan(u0 * num_items, nb * static_cast<size_t>(num_items)));
    }
  }, 1);
}

void HybridRecommender::ScoreHistory(std::span<const std::pair<uint32_t, float>> history,
                                     std::span<float> scores) const {
  if (ranker_ == nullptr) throw std::invalid_argument("HybridRecommender::ScoreHistory: not fitted");
  // Without timestamps the history's own order stands in for recency.
  thread_local std::vector<uint32_t> recent;
  recent.clear();
  for (const auto& e : history) recent.push_back(e.first);
  UserQuery q;
  q.history = history;
  q.recent = recent;
  ranker_->ScoreInto(q, scores);
}

}  // namespace hybridrec
