// Ranking speed and fidelity of a trained model's indexes: the exact pipeline (every item scored
// by both layers) against the indexed one (content HNSW and the collaborative factor index, each
// used above RankerOptions::brute_force_max_items items), on the same users.
//
//   bench_model_ranking model=DIR [users=2000] [batch_users=20000] [threads=2] [k=10] [rounds=3]
//                       [brute_max=20000] [collab_ef=0] [rebuild=ivf|hnsw|flat] [target=0.99]
//
// Prints the CPU and kernel path, then for an evenly spaced sample of `users` known users:
// single-user Recommend latency p50/p99 of both pipelines (interleaved, `rounds` passes), the
// recall@10 of the indexed final top-k against the exact one, and the batch rate (users/s of
// RecommendUsers over `batch_users` users, `threads` threads; median of `rounds`) of both.
// brute_max: the indexed pipeline's brute_force_max_items (0: the indexes whatever the size);
// collab_ef > 0: the factor index's efSearch instead of the calibrated one; rebuild: a new
// factor index of that kind, calibrated to `target` as `train` does, instead of the saved one.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bench_util.h"
#include "index/faiss_index.h"
#include "eval/train_model.h"
#include "model/batch_recommend.h"
#include "model/trained_model.h"

namespace hr = hybridrec;
using hr::bench::Clock;
using hr::bench::Median;
using hr::bench::Seconds;

namespace {

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  hr::bench::KeyValueArgs args;
  if (!args.Parse(argc, argv,
                  "bench_model_ranking model=DIR [users=N] [batch_users=N] [threads=N] [k=N] [rounds=N] "
                  "[brute_max=N] [collab_ef=N]"))
    return 2;
  auto ArgS = [&args](const std::string& k, const std::string& def) { return args.Str(k, def); };
  auto Arg = [&args](const std::string& k, double def) { return args.Num(k, def); };
  const std::string dir = ArgS("model", "");
  if (dir.empty()) {
    std::fprintf(stderr, "bench_model_ranking: model=DIR is required\n");
    return 2;
  }
  const auto n_users = static_cast<size_t>(Arg("users", 2000));
  const auto batch_users = static_cast<size_t>(Arg("batch_users", 20000));
  const int threads = static_cast<int>(Arg("threads", 2));
  const auto k = static_cast<size_t>(Arg("k", 10));
  const int rounds = std::max(1, static_cast<int>(Arg("rounds", 3)));
  std::printf("%s\n", hr::bench::MachineLine().c_str());

  auto t0 = Clock::now();
  auto model = hr::LoadTrainedModel(dir);
  if (!model.ok()) {
    std::fprintf(stderr, "error: %s\n", model.status().message().c_str());
    return 1;
  }
  std::printf("model %s: %u users, %u items, content index %s, collaborative index %s; loaded in %.1f s\n", dir.c_str(),
              model->num_users(), model->num_items(), model->content ? model->content->index->kind().c_str() : "none",
              model->factor_index ? model->factor_index->kind().c_str() : "none", Seconds(t0));
  if (const std::string kind = ArgS("rebuild", ""); !kind.empty()) {
    hr::IndexOptions io;
    io.kind = *hr::ParseIndexKind(kind);
    io.hnsw.target_recall = Arg("target", 0.99);
    io.build_threads = threads;
    t0 = Clock::now();
    auto index = hr::BuildCollabIndex(io, *model->als, model->popularity->item_scores(), model->history);
    if (!index.ok()) {
      std::fprintf(stderr, "error: %s\n", index.status().message().c_str());
      return 1;
    }
    model->factor_index = std::move(index).value();
    std::printf("rebuilt the factor index in %.1f s: %s\n", Seconds(t0), hr::DescribeIndex(*model->factor_index).c_str());
  }
  if (const int ef = static_cast<int>(Arg("collab_ef", 0)); ef > 0 && model->factor_index)
    if (auto* f = dynamic_cast<hr::FaissIndex*>(model->factor_index.get())) f->set_ef_search(ef);
  hr::RankerOptions exact_options = model->ranker, index_options = model->ranker;
  index_options.brute_force_max_items = static_cast<size_t>(Arg("brute_max", 20000));
  exact_options.brute_force_max_items = std::numeric_limits<size_t>::max();
  const auto exact = model->MakeRanker(exact_options);
  const auto indexed = model->MakeRanker(index_options);

  const uint32_t nu = model->num_users();
  std::vector<uint32_t> users;
  for (size_t i = 0; i < std::min<size_t>(n_users, nu); ++i) users.push_back(static_cast<uint32_t>(i * nu / std::min<size_t>(n_users, nu)));
  std::vector<double> lat_exact, lat_index;
  double found = 0, total = 0;
  for (int r = 0; r < rounds; ++r) {
    for (uint32_t u : users) {
      std::vector<hr::HistoryEntry> h;
      for (uint64_t e = model->history.indptr[u]; e < model->history.indptr[u + 1]; ++e)
        h.emplace_back(model->history.indices[e], model->history.values[e]);
      hr::UserQuery q;
      q.known_user = u;
      q.history = h;
      q.recent = model->RecentItems(u);
      auto s = Clock::now();
      const auto a = exact->Recommend(q, k);
      lat_exact.push_back(Seconds(s) * 1e3);
      s = Clock::now();
      const auto b = indexed->Recommend(q, k);
      lat_index.push_back(Seconds(s) * 1e3);
      if (r == 0) {
        std::set<uint32_t> want;
        for (const auto& it : a.items) want.insert(it.item);
        for (const auto& it : b.items) found += static_cast<double>(want.count(it.item));
        total += static_cast<double>(a.items.size());
      }
    }
  }
  std::printf("single user, %zu users x %d rounds: exact p50 %.3f ms p99 %.3f ms; indexed p50 %.3f ms p99 %.3f ms; "
              "recall@%zu of the indexed lists against the exact ones %.4f\n",
              users.size(), rounds, Percentile(lat_exact, 0.5), Percentile(lat_exact, 0.99), Percentile(lat_index, 0.5),
              Percentile(lat_index, 0.99), k, total > 0 ? found / total : 0.0);

  std::vector<std::optional<uint32_t>> batch;
  const size_t nb = std::min<size_t>(batch_users, nu);
  for (size_t i = 0; i < nb; ++i) batch.push_back(static_cast<uint32_t>(i * nu / nb));
  std::vector<int32_t> items(nb * k);
  std::vector<float> scores(nb * k);
  std::vector<double> rate_exact, rate_index;
  for (int r = 0; r < rounds; ++r) {
    auto s = Clock::now();
    hr::RecommendUsers(*model, *exact, batch, k, threads, items, scores);
    rate_exact.push_back(static_cast<double>(nb) / Seconds(s));
    s = Clock::now();
    hr::RecommendUsers(*model, *indexed, batch, k, threads, items, scores);
    rate_index.push_back(static_cast<double>(nb) / Seconds(s));
  }
  std::printf("batch, %zu users, %d threads (median of %d): exact %.0f users/s; indexed %.0f users/s\n", nb, threads,
              rounds, Median(rate_exact), Median(rate_index));
  return 0;
}
