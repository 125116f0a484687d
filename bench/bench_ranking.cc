// Hybrid ranking benchmark on ML-100K with the LSA encoder (speed, plus a quick
// quality sanity check of the ranking layer on its own).
//
//   bench_ranking [data=DIR] [threads=2] [T=20] [w_max=1] [N=200] [mix=0] [foldin_reg=-1]
//                 [map=0] [map_ridge=1] [seed=0] [batch=1] [cooc=0] [cooc_T=0] [cooc_m=50]
// Prints: single-user Recommend latency p50/p99 (exact FAISS/flat index when the content model
// has one), batch top-10 users/s over `threads` threads (brute-force content scoring), and
// NDCG@10 (random 80/20), NDCG@10 (cold-users, 5 revealed) and R@20 (cold-items) for hybrid,
// collab and content, with the evaluator's metric functions (eval/metrics.h). With cooc > 0 (the
// co-occurrence signal's weight) it also prints the table's build time and size, and the latency
// of new users given 5 items (the cold-users case the signal is for).
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bench_util.h"
#include "collab/als_model.h"
#include "content/content_model.h"
#include "core/parallel.h"
#include "core/topk.h"
#include "data/loader.h"
#include "eval/metrics.h"
#include "eval/split.h"
#include "ranking/hybrid_ranker.h"
#include "ranking/recommenders.h"

namespace hr = hybridrec;

namespace {

std::map<std::string, std::string> g_args;
double Arg(const std::string& k, double def) {
  auto it = g_args.find(k);
  return it == g_args.end() ? def : std::atof(it->second.c_str());
}

hr::RankerOptions RankerFromArgs() {
  hr::RankerOptions o;
  o.T = static_cast<float>(Arg("T", 20));
  o.w_max = static_cast<float>(Arg("w_max", 1));
  o.candidates = static_cast<size_t>(Arg("N", 200));
  o.popularity.mix = static_cast<float>(Arg("mix", 0));
  o.collab.foldin_regularization = static_cast<float>(Arg("foldin_reg", -1));
  o.popularity.T = static_cast<float>(Arg("popularity_T", 0));
  o.map_cold_items = Arg("map", 0) != 0;
  o.map_ridge = static_cast<float>(Arg("map_ridge", 1));
  o.brute_force_max_items = static_cast<size_t>(Arg("brute_max", 20000));
  o.cooccurrence.weight = static_cast<float>(Arg("cooc", 0));
  o.cooccurrence.T = static_cast<float>(Arg("cooc_T", 0));
  o.cooccurrence.neighbours = static_cast<size_t>(Arg("cooc_m", 50));
  return o;
}

// Per-user test sets.
std::vector<std::vector<uint32_t>> ByUser(const std::vector<hr::Interaction>& v, uint32_t users) {
  std::vector<std::vector<uint32_t>> out(users);
  for (const auto& x : v) out[x.user].push_back(x.item);
  for (auto& r : out) std::sort(r.begin(), r.end());
  return out;
}

// Masks train items, returns top-k.
std::vector<uint32_t> TopUnseen(std::vector<float>& s, const hr::CsrMatrix& train, uint32_t u, size_t k) {
  if (u < train.rows)
    for (uint32_t i : train.RowIndices(u)) s[i] = -INFINITY;
  return hr::TopK(s, k);
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("%s\n", hybridrec::bench::MachineLine().c_str());
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto eq = a.find('=');
    if (eq != std::string::npos) g_args[a.substr(0, eq)] = a.substr(eq + 1);
  }
  const char* env = std::getenv("HYBRIDREC_SHARED_DIR");
  std::string shared = env ? env : std::string(__FILE__).substr(0, std::string(__FILE__).rfind('/')) + "/../../shared";
  std::string dir = g_args.count("data") ? g_args["data"] : shared + "/data/ml-100k";
  auto ds = hr::LoadDataset(dir);
  if (!ds.ok()) { std::fprintf(stderr, "%s\n", ds.status().ToString().c_str()); return 1; }
  const hr::Dataset& data = *ds;
  hr::ContentModelOptions co;
  co.encoder.choice = hr::EncoderChoice::kLsa;
  auto cm = hr::BuildContentModel(data, co);
  if (!cm.ok()) { std::fprintf(stderr, "%s\n", cm.status().ToString().c_str()); return 1; }
  const int d = cm->dimension();
  const int threads = static_cast<int>(Arg("threads", 2));
  const uint64_t seed = static_cast<uint64_t>(Arg("seed", 0));
  std::printf("ML-100K: %u users, %u items, LSA d=%d, index %s\n", data.num_users(), data.num_items(), d,
              cm->index ? cm->index->kind().c_str() : "none");
  hr::RankerOptions ro = RankerFromArgs();

  auto run_protocol = [&](hr::SplitProtocol p) {
    hr::SplitOptions so;
    so.protocol = p;
    so.seed = seed;
    auto h = hr::SplitInteractions(data.interactions, data.num_users(), data.num_items(), data.has_timestamps, so);
    if (!h.ok()) { std::fprintf(stderr, "%s\n", h.status().ToString().c_str()); std::exit(1); }
    const auto train = hr::BuildInteractionMatrix(data.num_users(), data.num_items(), h->train);
    hr::FitInput in;
    in.dataset = &data;
    in.train = &train;
    hr::HybridRecommenderOptions ho;
    ho.ranker = ro;
    ho.threads = threads;
    ho.als.threads = threads;
    hr::HybridRecommender hyb(cm->embeddings, d, ho);
    if (!hyb.Fit(in).ok()) std::exit(1);
    hr::ContentRecommender con(cm->embeddings, d, ho.als.confidence);
    if (!con.Fit(in).ok()) std::exit(1);
    const auto test = ByUser(h->test, data.num_users());
    const auto revealed = ByUser(h->revealed, data.num_users());
    std::vector<float> s(data.num_items());
    double m[3] = {0, 0, 0};
    size_t nu = 0;
    for (uint32_t u = 0; u < data.num_users(); ++u) {
      if (test[u].empty()) continue;
      std::vector<uint32_t> top[3];
      const size_t k = p == hr::SplitProtocol::kColdItems ? 20 : 10;
      if (p == hr::SplitProtocol::kColdUsers) {
        if (revealed[u].empty() && !std::binary_search(h->cold_users.begin(), h->cold_users.end(), u)) continue;
        std::vector<std::pair<uint32_t, float>> hist;
        std::vector<uint32_t> items;
        std::vector<float> str;
        for (const auto& x : h->revealed)
          if (x.user == u) { hist.push_back({x.item, x.strength}); }
        hyb.ScoreHistory(hist, s);
        for (auto& [i, r] : hist) s[i] = -INFINITY;
        top[0] = hr::TopK(s, k);
        const auto x = hyb.als().FoldInUser(hist, ro.collab.foldin_regularization);
        hyb.als().ScoreVector(x, s);
        for (auto& [i, r] : hist) s[i] = -INFINITY;
        top[1] = hr::TopK(s, k);
        con.ScoreHistory(hist, s);
        for (auto& [i, r] : hist) s[i] = -INFINITY;
        top[2] = hr::TopK(s, k);
      } else {
        hyb.ScoreUser(u, s);
        top[0] = TopUnseen(s, train.by_user, u, k);
        hyb.als().ScoreUser(u, s);
        top[1] = TopUnseen(s, train.by_user, u, k);
        con.ScoreUser(u, s);
        top[2] = TopUnseen(s, train.by_user, u, k);
      }
      for (int j = 0; j < 3; ++j)
        m[j] += p == hr::SplitProtocol::kColdItems ? hr::RecallAtK(top[j], test[u], k) : hr::NdcgAtK(top[j], test[u], k);
      ++nu;
    }
    std::printf("%-10s %-8s users=%zu  hybrid %.4f  collab %.4f  content %.4f\n", hr::SplitProtocolName(p).c_str(),
                p == hr::SplitProtocol::kColdItems ? "R@20" : "NDCG@10", nu, m[0] / nu, m[1] / nu, m[2] / nu);
  };
  if (Arg("quality", 1) != 0) {
    run_protocol(hr::SplitProtocol::kRandom);
    run_protocol(hr::SplitProtocol::kColdUsers);
    run_protocol(hr::SplitProtocol::kColdItems);
  }

  // Speed: full data as training.
  const auto all = hr::BuildInteractionMatrix(data.num_users(), data.num_items(), data.interactions);
  hr::FitInput in;
  in.dataset = &data;
  in.train = &all;
  hr::HybridRecommenderOptions ho;
  ho.ranker = ro;
  ho.threads = threads;
  ho.als.threads = threads;
  hr::HybridRecommender hyb(cm->embeddings, d, ho);
  if (!hyb.Fit(in).ok()) return 1;
  std::shared_ptr<const hr::ItemNeighbours> nb;
  if (ro.cooccurrence.weight > 0.f) {
    std::vector<double> build_ms;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      nb = std::make_shared<const hr::ItemNeighbours>(hr::BuildItemNeighbours(all.by_user, ro.cooccurrence.neighbour_options(), threads));
      build_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(build_ms.begin(), build_ms.end());
    std::printf("co-occurrence table (%zu neighbours, %d threads): built in %.1f ms (median of 5), %.2f MB\n",
                ro.cooccurrence.neighbours, threads, build_ms[2], nb->MemoryBytes() / 1e6);
  }
  hr::HybridRanker indexed(&hyb.als(), cm->embeddings, d, cm->index.get(), hyb.popularity().item_scores(), ro, {}, nb);
  const uint32_t nu = data.num_users();
  std::vector<std::vector<hr::HistoryEntry>> hist(nu);
  for (uint32_t u = 0; u < nu; ++u) {
    const auto idx = all.by_user.RowIndices(u);
    const auto val = all.by_user.RowValues(u);
    for (size_t t = 0; t < idx.size(); ++t) hist[u].push_back({idx[t], val[t]});
  }
  using clock = std::chrono::steady_clock;
  size_t sink = 0;
  const bool lat_on = Arg("lat", 1) != 0;
  // Latency of indexed.Recommend over every user, `reps` times; make(u) gives u's query.
  auto latency = [&](const char* what, int reps, bool explain, auto make) {
    std::vector<double> lat;
    for (int rep = 0; rep < (lat_on ? reps : 0); ++rep) {
      for (uint32_t u = 0; u < nu; ++u) {
        const hr::UserQuery q = make(u);
        const auto t0 = clock::now();
        const auto r = indexed.Recommend(q, 10, explain);
        lat.push_back(std::chrono::duration<double, std::micro>(clock::now() - t0).count());
        sink += r.items.size();
      }
    }
    if (lat.empty()) lat.push_back(0);
    std::sort(lat.begin(), lat.end());
    std::printf("recommend (%s): p50 %.1f us  p99 %.1f us  (n=%zu)\n", what, lat[lat.size() / 2],
                lat[lat.size() * 99 / 100], lat.size());
  };
  const std::string trained = std::string("1 user, k=10, ") + (cm->index ? cm->index->kind() : "no") +
                              " index if > brute_max items, trained factor";
  latency(trained.c_str(), 3, false, [&](uint32_t u) {
    hr::UserQuery q;
    q.known_user = u;
    q.history = hist[u];
    return q;
  });
  latency("1 user, k=10, fold-in + explanations", 1, true, [&](uint32_t u) {
    hr::UserQuery q;
    q.history = hist[u];
    q.use_trained_factor = false;
    return q;
  });
  latency("new user given 5 items, k=10, fold-in", 3, false, [&](uint32_t u) {
    hr::UserQuery q;
    q.history = std::span<const hr::HistoryEntry>(hist[u]).first(std::min<size_t>(5, hist[u].size()));
    q.use_trained_factor = false;
    return q;
  });
  const hr::HybridRanker& brute = hyb.ranker();
  double best = 0.0, cpu_best = 0.0;
  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  };
  for (int rep = 0; rep < static_cast<int>(Arg("reps", 5)); ++rep) {
    const auto t0 = clock::now();
    const double c0 = cpu_now();
    // Each thread ranks its users in blocks through the batch path (RecommendBatch), or one
    // Recommend call per user with batch=0.
    hr::ParallelFor(nu, threads, [&](size_t b, size_t e) {
      if (Arg("batch", 1) == 0) {
        for (size_t u = b; u < e; ++u) {
          hr::UserQuery q;
          q.known_user = static_cast<uint32_t>(u);
          q.history = hist[u];
          const auto r = brute.Recommend(q, 10);
          if (r.items.empty()) std::abort();
        }
        return;
      }
      std::vector<hr::UserQuery> qs(e - b);
      for (size_t u = b; u < e; ++u) {
        qs[u - b].known_user = static_cast<uint32_t>(u);
        qs[u - b].history = hist[u];
      }
      std::vector<hr::RankResponse> rs(qs.size());
      brute.RecommendBatch(qs, 10, rs);
      for (const auto& r : rs)
        if (r.items.empty()) std::abort();
    }, 64);
    const double sec = std::chrono::duration<double>(clock::now() - t0).count();
    best = std::max(best, nu / sec);
    cpu_best = std::max(cpu_best, nu / (cpu_now() - c0));
  }
  std::printf("batch top-10 hybrid, train items filtered, %d threads: %.0f users/s (best of %d runs)\n", threads, best, static_cast<int>(Arg("reps", 5)));
  std::printf("  CPU time: %.0f users per CPU-second (x2 = the 2-core rate on an idle machine)\n", cpu_best);
  return sink == 0 ? 1 : 0;
}
