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
  ranker_ = std::make_unique<HybridRanker>(als_.get(), emb_, dim_, nullptr, popularity_.item_scores(),
                                           options_.ranker);
  return Status::Ok();
}

void HybridRecommender::SetRankerOptions(const RankerOptions& options) {
  options.Validate();
  options_.ranker = options;
  if (als_ != nullptr)
    ranker_ = std::make_unique<HybridRanker>(als_.get(), emb_, dim_, nullptr, popularity_.item_scores(), options);
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
  ranker_->ScoreInto(q, scores);
}

void HybridRecommender::ScoreUsers(std::span<const uint32_t> users, std::span<float> out, uint32_t num_items) const {
  if (out.size() != users.size() * static_cast<size_t>(num_items))
    throw std::invalid_argument("HybridRecommender::ScoreUsers: out size != users x num_items");
  ParallelFor(users.size(), ResolveThreads(options_.threads), [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) ScoreUser(users[i], out.subspan(i * num_items, num_items));
  }, 16);
}

void HybridRecommender::ScoreHistory(std::span<const std::pair<uint32_t, float>> history,
                                     std::span<float> scores) const {
  if (ranker_ == nullptr) throw std::invalid_argument("HybridRecommender::ScoreHistory: not fitted");
  UserQuery q;
  q.history = history;
  ranker_->ScoreInto(q, scores);
}

}  // namespace hybridrec
