#include "eval/diversity_sweep.h"

#include <charconv>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <limits>
#include <string>

#include "eval/evaluator.h"

namespace hybridrec {
namespace {

// One lambda's lists as scores: the re-ranked top max(K) get descending scores, the rest -inf.
class RerankedHybrid final : public Recommender {
 public:
  RerankedHybrid(const HybridRecommender& hybrid, double lambda, size_t k)
      : hybrid_(hybrid), lambda_(lambda), k_(k) {}
  std::string name() const override {
    char buf[48];
    std::snprintf(buf, sizeof buf, "hybrid diversity=%g", lambda_);
    return buf;
  }
  Status Fit(const FitInput&) override { return Status::Ok(); }  // fitted once, shared
  void ScoreUser(uint32_t user, std::span<float> scores) const override {
    std::fill(scores.begin(), scores.end(), -std::numeric_limits<float>::infinity());
    RankRequest r;
    r.k = k_;
    r.rules.diversity = static_cast<float>(lambda_);
    const RankResponse resp = hybrid_.RecommendUser(user, r);
    for (size_t i = 0; i < resp.items.size(); ++i)
      scores[resp.items[i].item] = static_cast<float>(resp.items.size() - i);
  }

 private:
  const HybridRecommender& hybrid_;
  double lambda_;
  size_t k_;
};

}  // namespace

Result<std::vector<double>> ParseDiversitySweep(std::string_view spec) {
  const std::string_view prefix = "diversity=";
  if (!spec.starts_with(prefix))
    return Status::InvalidArgument("--sweep: expected diversity=L1,L2,... (e.g. diversity=0,0.1,0.2), got '" +
                                   std::string(spec) + "'");
  spec.remove_prefix(prefix.size());
  std::vector<double> out;
  while (!spec.empty() || out.empty()) {
    const size_t comma = spec.find(',');
    const std::string part(spec.substr(0, comma));
    double v = 0;
    const auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || p != part.data() + part.size() || !std::isfinite(v) || v < 0 || v > 1)
      return Status::InvalidArgument("--sweep: '" + part + "' is not a diversity weight in [0, 1]");
    out.push_back(v);
    if (out.size() > 101) return Status::InvalidArgument("--sweep: at most 101 diversity weights");
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
    if (spec.empty()) return Status::InvalidArgument("--sweep: trailing comma");
  }
  return out;
}

Result<std::vector<SweepPoint>> DiversitySweep(const Dataset& dataset, const Split& split,
                                               std::span<const float> embeddings, int dim,
                                               const HybridRecommenderOptions& options, std::span<const double> lambdas,
                                               std::span<const size_t> ks) {
  if (split.revealed_matrix.by_user.nnz() > 0)
    return Status::InvalidArgument("--sweep: not available with the cold-users protocol (revealed histories)");
  if (embeddings.empty()) return Status::InvalidArgument("--sweep: diversity re-ranking needs content embeddings");
  HybridRecommender hybrid(embeddings, dim, options);
  FitInput in;
  in.dataset = &dataset;
  in.train = &split.train_matrix;
  HR_RETURN_IF_ERROR(hybrid.Fit(in));
  size_t kmax = 0;
  for (size_t k : ks) kmax = std::max(kmax, k);
  std::vector<std::unique_ptr<RerankedHybrid>> models;
  std::vector<EvalModel> entries;
  for (double l : lambdas) {
    models.push_back(std::make_unique<RerankedHybrid>(hybrid, l, kmax));
    entries.push_back(EvalModel{models.back().get(), nullptr});
  }
  EvalOptions eo;
  eo.ks.assign(ks.begin(), ks.end());
  eo.threads = options.threads;
  eo.embeddings = embeddings;
  eo.embedding_dim = dim;
  HR_ASSIGN_OR_RETURN(EvaluationResult r, Evaluate(dataset, split, entries, eo));
  std::vector<SweepPoint> out;
  for (size_t m = 0; m < r.models.size(); ++m) {
    SweepPoint p;
    p.lambda = lambdas[m];
    for (const MetricsAtK& a : r.models[m].at_k) {
      p.ndcg.push_back(a.ndcg);
      p.recall.push_back(a.recall);
      p.ild.push_back(a.ild);
      p.content_ild.push_back(a.content_ild);
      p.novelty.push_back(a.novelty);
    }
    out.push_back(std::move(p));
  }
  return out;
}

nlohmann::ordered_json SweepJson(std::span<const SweepPoint> points, std::span<const size_t> ks) {
  nlohmann::ordered_json pts = nlohmann::ordered_json::array();
  for (const SweepPoint& p : points) {
    nlohmann::ordered_json o;
    o["lambda"] = p.lambda;
    for (size_t i = 0; i < ks.size() && i < p.ndcg.size(); ++i) {
      const std::string s = "@" + std::to_string(ks[i]);
      o["ndcg" + s] = p.ndcg[i];
      o["recall" + s] = p.recall[i];
      o["ild" + s] = p.ild[i];
      o["content_ild" + s] = p.content_ild[i];
      o["novelty" + s] = p.novelty[i];
    }
    pts.push_back(std::move(o));
  }
  nlohmann::ordered_json j;
  j["ks"] = std::vector<size_t>(ks.begin(), ks.end());
  j["points"] = std::move(pts);
  return j;
}

}  // namespace hybridrec
