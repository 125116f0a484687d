// ALS benchmarks and the quality experiment of the collaborative layer.
//
// A plain main printing figures (medians of repeated runs), not Google Benchmark: the figures
// we need are whole-fit times, per-iteration times, throughput and peak RSS of a process, which
// fit a measured-once-per-process program better than micro-benchmark loops.
//
// Usage (from the build directory; ML-100K read from ../shared/data/ml-100k/u.data unless
// data=PATH is given):
//   bench/bench_als mode=fit        [runs=5]   ML-100K fit: factors 64, 15 iterations, CG, 2 threads
//   bench/bench_als mode=recommend  [runs=5]   top-10 for every ML-100K user, train items filtered
//   bench/bench_als mode=foldin                fold-in latency of one user (Cholesky, k = 64)
//   bench/bench_als mode=synth      [runs=3]   100k users x 20k items x 5M nnz, zipf 0.9:
//                                              s/iteration and peak RSS vs CSR+CSC+factor bytes
//   bench/bench_als mode=eval [factors=.. reg=.. alpha=.. iters=.. nu=.. offset=.. solver=cg|cholesky
//                              cg=.. seed=..]  NDCG@10 on the per-user random 80/20 split (seed 0)
//   bench/bench_als mode=tune                  the grid of the README table (NDCG@10 per setting)
// Run synth in its own process (peak RSS is per process). threads=N overrides the 2 threads.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "collab/als_model.h"
#include "collab/popularity.h"
#include "bench_util.h"
#include "core/parallel.h"
#include "core/random.h"
#include "core/topk.h"
#include "data/csr_matrix.h"

namespace hr = hybridrec;

namespace {

using hr::bench::Clock;
using hr::bench::Median;
using hr::bench::Seconds;

std::string Join(const std::vector<double>& v, int decimals) {
  std::string s;
  char buf[64];
  for (double x : v) {
    std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
    if (!s.empty()) s += " ";
    s += buf;
  }
  return s;
}

// CPU seconds of the whole process (user + system), to tell contention on a shared machine
// apart from the work done: wall time / CPU time shows how much of the 2 cores we really got.
double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

double PeakRssBytes() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) * 1024.0;  // Linux: kilobytes
}

struct Args {
  std::map<std::string, std::string> kv;
  std::string Get(const std::string& k, const std::string& def) const {
    auto it = kv.find(k);
    return it == kv.end() ? def : it->second;
  }
  double Num(const std::string& k, double def) const {
    auto it = kv.find(k);
    return it == kv.end() ? def : std::stod(it->second);
  }
};

// ML-100K u.data: user \t item \t rating \t timestamp, ids 1-based. Dense ids in file order of
// first appearance would also do; MovieLens ids are already dense, so id - 1.
std::vector<hr::Interaction> ReadMl100k(const std::string& path, uint32_t& users, uint32_t& items) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot open %s (pass data=PATH to u.data)\n", path.c_str());
    std::exit(1);
  }
  std::vector<hr::Interaction> v;
  users = items = 0;
  uint32_t u, i;
  float r;
  int64_t ts;
  while (in >> u >> i >> r >> ts) {
    v.push_back({u - 1, i - 1, r, ts});
    users = std::max(users, u);
    items = std::max(items, i);
  }
  return v;
}

// Per-user random 80/20 split: each user's interactions shuffled with a per-user stream of
// `seed`, round(0.2 n) of them to test.
void SplitRandom(const std::vector<hr::Interaction>& all, uint32_t users, uint64_t seed,
                 std::vector<hr::Interaction>& train, std::vector<std::vector<uint32_t>>& test) {
  std::vector<std::vector<hr::Interaction>> by_user(users);
  for (const auto& x : all) by_user[x.user].push_back(x);
  test.assign(users, {});
  for (uint32_t u = 0; u < users; ++u) {
    auto& v = by_user[u];
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.item < b.item; });
    hr::Rng rng(hr::SplitSeed(seed, u));
    hr::Shuffle(v.begin(), v.end(), rng);
    const size_t n_test = static_cast<size_t>(std::lround(0.2 * static_cast<double>(v.size())));
    for (size_t t = 0; t < v.size(); ++t) {
      if (t < n_test) {
        test[u].push_back(v[t].item);
      } else {
        train.push_back(v[t]);
      }
    }
  }
}

// Top-k of every user in `users` with the user's train items masked, batched through ScoreUsers.
void RecommendAll(const hr::Recommender& model, const hr::CsrMatrix& train, uint32_t num_items, size_t k,
                  int threads, std::vector<std::vector<uint32_t>>& out) {
  const uint32_t users = train.rows;
  out.assign(users, {});
  constexpr uint32_t kBatch = 1024;
  std::vector<float> scores(static_cast<size_t>(kBatch) * num_items);
  std::vector<uint32_t> ids;
  for (uint32_t b = 0; b < users; b += kBatch) {
    const uint32_t n = std::min(kBatch, users - b);
    ids.resize(n);
    for (uint32_t j = 0; j < n; ++j) ids[j] = b + j;
    model.ScoreUsers(ids, std::span<float>(scores.data(), static_cast<size_t>(n) * num_items), num_items);
    hr::ParallelFor(n, threads, [&](size_t jb, size_t je) {
      for (size_t j = jb; j < je; ++j) {
        float* row = scores.data() + j * num_items;
        for (uint32_t i : train.RowIndices(b + static_cast<uint32_t>(j))) row[i] = -INFINITY;
        hr::TopKInto(std::span<const float>(row, num_items), k, out[b + j]);
      }
    }, 32);
  }
}

double NdcgAt(const std::vector<std::vector<uint32_t>>& recs, const std::vector<std::vector<uint32_t>>& test,
              size_t k, size_t* evaluated) {
  double sum = 0;
  size_t n = 0;
  for (size_t u = 0; u < test.size(); ++u) {
    if (test[u].empty()) continue;
    std::vector<uint32_t> t = test[u];
    std::sort(t.begin(), t.end());
    double dcg = 0, idcg = 0;
    for (size_t r = 0; r < std::min(k, recs[u].size()); ++r) {
      if (std::binary_search(t.begin(), t.end(), recs[u][r])) dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
    }
    for (size_t r = 0; r < std::min(k, t.size()); ++r) idcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
    sum += dcg / idcg;
    ++n;
  }
  if (evaluated) *evaluated = n;
  return n ? sum / static_cast<double>(n) : 0.0;
}

hr::AlsOptions OptionsFrom(const Args& a, hr::AlsOptions o) {
  o.factors = static_cast<int>(a.Num("factors", o.factors));
  o.regularization = static_cast<float>(a.Num("reg", o.regularization));
  o.confidence.alpha = static_cast<float>(a.Num("alpha", o.confidence.alpha));
  o.iterations = static_cast<int>(a.Num("iters", o.iterations));
  o.reg_exponent = static_cast<float>(a.Num("nu", o.reg_exponent));
  o.reg_offset = static_cast<float>(a.Num("offset", o.reg_offset));
  o.cg_steps = static_cast<int>(a.Num("cg", o.cg_steps));
  o.seed = static_cast<uint64_t>(a.Num("seed", static_cast<double>(o.seed)));
  o.threads = static_cast<int>(a.Num("threads", 2));
  const std::string solver = a.Get("solver", hr::AlsSolverName(o.solver));
  o.solver = solver == "cholesky" ? hr::AlsSolver::kCholesky : hr::AlsSolver::kConjugateGradient;
  const std::string conf = a.Get("conf", "");
  if (!conf.empty()) o.confidence.kind = hr::ParseConfidenceKind(conf).value();
  return o;
}

// ../shared next to the source tree (the layout of this project), or $HYBRIDREC_SHARED_DIR.
std::string SharedDir() {
  if (const char* env = std::getenv("HYBRIDREC_SHARED_DIR")) return env;
  std::string f = __FILE__;
  return f.substr(0, f.rfind('/')) + "/../../shared";
}

struct Ml100k {
  uint32_t users = 0, items = 0;
  std::vector<hr::Interaction> all;
};

Ml100k LoadMl(const Args& a) {
  Ml100k d;
  d.all = ReadMl100k(a.Get("data", SharedDir() + "/data/ml-100k/u.data"), d.users, d.items);
  return d;
}

// The benchmark configuration of the issue: factors 64, 15 iterations, CG (3 steps), 2 threads.
hr::AlsOptions BenchOptions(const Args& a) {
  hr::AlsOptions o;
  o.factors = 64;
  o.iterations = 15;
  o.solver = hr::AlsSolver::kConjugateGradient;
  o.cg_steps = 3;
  return OptionsFrom(a, o);
}

int ModeFit(const Args& a) {
  const Ml100k d = LoadMl(a);
  const auto m = hr::BuildInteractionMatrix(d.users, d.items, d.all);
  const hr::AlsOptions o = BenchOptions(a);
  std::vector<double> t, cpu;
  for (int r = 0; r < static_cast<int>(a.Num("runs", 5)); ++r) {
    hr::AlsModel model(o);
    const double c0 = CpuSeconds();
    const auto t0 = Clock::now();
    if (!model.Fit({nullptr, &m, true}).ok()) return 1;
    t.push_back(Seconds(t0));
    cpu.push_back(CpuSeconds() - c0);
  }
  std::printf("ml-100k fit: %u users x %u items, %llu nnz, factors %d, %d iterations, %s(%d), threads %d\n", d.users,
              d.items, static_cast<unsigned long long>(m.by_user.nnz()), o.factors, o.iterations,
              hr::AlsSolverName(o.solver).c_str(), o.cg_steps, o.threads);
  std::printf("  runs (s): %s\n  median: %.4f s (%.2f ms/iteration); CPU time median %.4f s\n", Join(t, 4).c_str(),
              Median(t), 1e3 * Median(t) / o.iterations, Median(cpu));
  return 0;
}

int ModeRecommend(const Args& a) {
  const Ml100k d = LoadMl(a);
  const auto m = hr::BuildInteractionMatrix(d.users, d.items, d.all);
  const hr::AlsOptions o = BenchOptions(a);
  hr::AlsModel model(o);
  if (!model.Fit({nullptr, &m, true}).ok()) return 1;
  std::vector<double> rate;
  std::vector<std::vector<uint32_t>> recs;
  for (int r = 0; r < static_cast<int>(a.Num("runs", 5)); ++r) {
    const auto t0 = Clock::now();
    RecommendAll(model, m.by_user, d.items, 10, o.threads, recs);
    rate.push_back(d.users / Seconds(t0));
  }
  std::printf("ml-100k recommend top-10 (train items filtered), %u users, threads %d\n", d.users, o.threads);
  std::printf("  runs (users/s): %s\n  median: %.0f users/s\n", Join(rate, 0).c_str(), Median(rate));
  return 0;
}

int ModeFoldIn(const Args& a) {
  const Ml100k d = LoadMl(a);
  const auto m = hr::BuildInteractionMatrix(d.users, d.items, d.all);
  hr::AlsModel model(BenchOptions(a));
  if (!model.Fit({nullptr, &m, true}).ok()) return 1;
  std::vector<double> us, cpu_us;
  size_t total_items = 0;
  for (uint32_t u = 0; u < d.users; ++u) {
    std::vector<std::pair<uint32_t, float>> h;
    for (size_t t = 0; t < m.by_user.RowLength(u); ++t) h.emplace_back(m.by_user.RowIndices(u)[t], m.by_user.RowValues(u)[t]);
    total_items += h.size();
    timespec c0{}, c1{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    const auto t0 = Clock::now();
    const auto x = model.FoldInUser(h);
    us.push_back(1e6 * Seconds(t0));
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    cpu_us.push_back(1e6 * static_cast<double>(c1.tv_sec - c0.tv_sec) + 1e-3 * static_cast<double>(c1.tv_nsec - c0.tv_nsec));
    if (x.empty()) return 1;
  }
  std::sort(us.begin(), us.end());
  std::sort(cpu_us.begin(), cpu_us.end());
  std::printf("fold-in of every ml-100k user (k = %d, Cholesky, mean history %.0f items):\n"
              "  wall: median %.1f us, p99 %.1f us, max %.1f us\n  thread CPU: median %.1f us, p99 %.1f us, max %.1f us\n",
              model.factors(), static_cast<double>(total_items) / d.users, Median(us), us[us.size() * 99 / 100],
              us.back(), Median(cpu_us), cpu_us[cpu_us.size() * 99 / 100], cpu_us.back());
  return 0;
}

// Synthetic set like `hybridrec synth --users 100000 --items 20000 --nnz 5000000 --zipf 0.9`:
// users drawn uniformly per interaction, items from a power law p(rank r) ~ r^-zipf, distinct per
// user, strengths uniform in 1..5. Built straight into CSR (no interaction list) so the process
// holds only the arrays being measured.
hr::InteractionMatrix Synthetic(uint32_t users, uint32_t items, uint64_t nnz, double zipf, uint64_t seed) {
  hr::Rng rng(seed);
  std::vector<uint32_t> count(users, 0);
  for (uint64_t t = 0; t < nnz; ++t) ++count[rng.Below(users)];
  std::vector<double> cdf(items);
  double s = 0;
  for (uint32_t i = 0; i < items; ++i) cdf[i] = (s += std::pow(static_cast<double>(i) + 1.0, -zipf));
  for (auto& c : cdf) c /= s;
  // Item ranks are scattered over ids with a fixed permutation so popular ids are not all low.
  std::vector<uint32_t> perm(items);
  for (uint32_t i = 0; i < items; ++i) perm[i] = i;
  hr::Shuffle(perm.begin(), perm.end(), rng);
  hr::CsrMatrix m;
  m.rows = users;
  m.cols = items;
  m.indptr.assign(static_cast<size_t>(users) + 1, 0);
  for (uint32_t u = 0; u < users; ++u) m.indptr[u + 1] = m.indptr[u] + std::min(count[u], items);
  m.indices.resize(m.indptr.back());
  m.values.resize(m.indptr.back());
  std::vector<uint32_t> row;
  for (uint32_t u = 0; u < users; ++u) {
    hr::Rng ru(hr::SplitSeed(seed, u));
    const uint32_t n = std::min(count[u], items);
    row.clear();
    while (row.size() < n) {
      const double x = ru.Uniform();
      const uint32_t rank = static_cast<uint32_t>(std::lower_bound(cdf.begin(), cdf.end(), x) - cdf.begin());
      const uint32_t id = perm[std::min(rank, items - 1)];
      if (std::find(row.begin(), row.end(), id) == row.end()) row.push_back(id);
    }
    std::sort(row.begin(), row.end());
    for (uint32_t j = 0; j < n; ++j) {
      m.indices[m.indptr[u] + j] = row[j];
      m.values[m.indptr[u] + j] = static_cast<float>(1 + ru.Below(5));
    }
  }
  hr::InteractionMatrix im;
  im.by_item = m.Transposed();
  im.by_user = std::move(m);
  return im;
}

int ModeSynth(const Args& a) {
  const auto users = static_cast<uint32_t>(a.Num("users", 100000));
  const auto items = static_cast<uint32_t>(a.Num("items", 20000));
  const auto nnz = static_cast<uint64_t>(a.Num("nnz", 5000000));
  const auto t0 = Clock::now();
  const auto m = Synthetic(users, items, nnz, a.Num("zipf", 0.9), 42);
  const double gen_s = Seconds(t0);
  hr::AlsOptions o = BenchOptions(a);
  o.iterations = static_cast<int>(a.Num("iters", 3));
  std::vector<double> per_iter, cpu;
  size_t factor_bytes = 0;
  for (int r = 0; r < static_cast<int>(a.Num("runs", 3)); ++r) {
    hr::AlsModel model(o);
    const double c0 = CpuSeconds();
    if (!model.Fit({nullptr, &m, true}).ok()) return 1;
    cpu.push_back((CpuSeconds() - c0) / o.iterations);
    for (double s : model.iteration_seconds()) per_iter.push_back(s);
    factor_bytes = (model.user_factors().size() + model.item_factors().size()) * sizeof(float);
  }
  const double arrays = static_cast<double>(m.by_user.MemoryBytes() + m.by_item.MemoryBytes() + factor_bytes);
  const double rss = PeakRssBytes();
  std::printf("synthetic %u x %u, %llu nnz (zipf %.2f, generated in %.2f s), factors %d, %s(%d), threads %d\n", users,
              items, static_cast<unsigned long long>(m.by_user.nnz()), a.Num("zipf", 0.9), gen_s, o.factors,
              hr::AlsSolverName(o.solver).c_str(), o.cg_steps, o.threads);
  std::printf("  s/iteration (%zu iterations over runs): %s\n  median: %.3f s/iteration; CPU s/iteration (per run) %s\n",
              per_iter.size(), Join(per_iter, 3).c_str(), Median(per_iter), Join(cpu, 3).c_str());
  std::printf("  peak RSS %.1f MiB; CSR+CSC+factors %.1f MiB; ratio %.2f\n", rss / 1048576.0, arrays / 1048576.0,
              rss / arrays);
  return 0;
}

struct EvalSetup {
  Ml100k d;
  hr::InteractionMatrix train;
  std::vector<std::vector<uint32_t>> test;
};

EvalSetup MakeEval(const Args& a) {
  EvalSetup e;
  e.d = LoadMl(a);
  std::vector<hr::Interaction> train;
  SplitRandom(e.d.all, e.d.users, static_cast<uint64_t>(a.Num("split_seed", 0)), train, e.test);
  e.train = hr::BuildInteractionMatrix(e.d.users, e.d.items, train);
  return e;
}

double EvalNdcg(const EvalSetup& e, hr::Recommender& model, double* fit_s) {
  const auto t0 = Clock::now();
  if (!model.Fit({nullptr, &e.train, true}).ok()) std::exit(1);
  if (fit_s) *fit_s = Seconds(t0);
  std::vector<std::vector<uint32_t>> recs;
  RecommendAll(model, e.train.by_user, e.d.items, 10, 2, recs);
  return NdcgAt(recs, e.test, 10, nullptr);
}

void PrintRow(const hr::AlsOptions& o, double ndcg, double fit_s) {
  std::printf("| %3d | %8.3g | %5.3g | %4.2f | %6.3g | %3d | %-8s | %.4f | %.2f |\n", o.factors, o.regularization,
              o.confidence.alpha, o.reg_exponent, o.reg_offset, o.iterations, hr::AlsSolverName(o.solver).c_str(), ndcg,
              fit_s);
  std::fflush(stdout);
}

void PrintHeader() {
  std::printf("| k | lambda | alpha | nu | offset | iters | solver | NDCG@10 | fit s |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
}

int ModeEval(const Args& a) {
  const EvalSetup e = MakeEval(a);
  hr::PopularityModel pop;
  std::printf("popularity NDCG@10 %.4f\n", EvalNdcg(e, pop, nullptr));
  hr::AlsOptions o = OptionsFrom(a, hr::AlsOptions{});
  hr::AlsModel model(o);
  double fit_s = 0;
  const double ndcg = EvalNdcg(e, model, &fit_s);
  PrintHeader();
  PrintRow(o, ndcg, fit_s);
  return 0;
}

int ModeTune(const Args& a) {
  const EvalSetup e = MakeEval(a);
  PrintHeader();
  auto run = [&](int k, float reg, float alpha, float nu, float offset, int iters, hr::AlsSolver solver) {
    hr::AlsOptions o = OptionsFrom(a, hr::AlsOptions{});
    o.factors = k;
    o.regularization = reg;
    o.confidence.alpha = alpha;
    o.reg_exponent = nu;
    o.reg_offset = offset;
    o.iterations = iters;
    o.solver = solver;
    hr::AlsModel model(o);
    double fit_s = 0;
    const double ndcg = EvalNdcg(e, model, &fit_s);
    PrintRow(o, ndcg, fit_s);
    return ndcg;
  };
  const std::string grid = a.Get("grid", "reg");
  const auto cg = hr::AlsSolver::kConjugateGradient;
  if (grid == "reg") {
    for (int k : {32, 64}) {
      for (float alpha : {1.f, 5.f, 20.f}) {
        for (float reg : {0.01f, 0.1f, 1.f, 10.f, 30.f, 100.f}) run(k, reg, alpha, 0.f, 1.f, 15, cg);
      }
    }
  } else if (grid == "fine") {
    for (int k : {32, 64, 128}) {
      for (float alpha : {0.5f, 1.f, 2.f}) {
        for (float reg : {10.f, 20.f, 30.f, 50.f}) run(k, reg, alpha, 0.f, 1.f, 15, cg);
      }
    }
  } else if (grid == "cand") {
    // Candidates for the defaults; run with split_seed=0,1,2 to check they are not a lucky split.
    run(64, 30.f, 1.f, 0.f, 1.f, 15, cg);
    run(64, 20.f, 0.5f, 0.f, 1.f, 15, cg);
    run(64, 40.f, 1.f, 0.f, 1.f, 15, cg);
    for (float reg : {2.f, 3.f, 4.f}) run(64, reg, 1.f, 0.5f, 1.f, 15, cg);
    for (float reg : {0.2f, 0.3f, 0.5f}) run(64, reg, 1.f, 1.f, 1.f, 15, cg);
    for (float reg : {1.f, 2.f, 3.f}) run(64, reg, 1.f, 0.5f, 100.f, 15, cg);
  } else if (grid == "iters") {
    for (int iters : {5, 10, 15, 30}) run(64, 30.f, 1.f, 0.f, 1.f, iters, cg);
    for (int iters : {5, 15}) run(64, 30.f, 1.f, 0.f, 1.f, iters, hr::AlsSolver::kCholesky);
  } else if (grid == "scaled") {
    for (int k : {64}) {
      for (float alpha : {1.f, 3.f}) {
        for (float nu : {0.5f, 1.f}) {
          for (float reg : {0.1f, 0.3f, 1.f, 3.f, 10.f}) run(k, reg, alpha, nu, 1.f, 15, cg);
        }
      }
    }
  } else {
    // grid=one: a single configuration from the command line (factors= reg= alpha= nu= ...).
    hr::AlsOptions o = OptionsFrom(a, hr::AlsOptions{});
    run(o.factors, o.regularization, o.confidence.alpha, o.reg_exponent, o.reg_offset, o.iterations, o.solver);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("%s\n", hybridrec::bench::MachineLine().c_str());
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    const auto eq = s.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "arguments are key=value (see the comment at the top of bench/bench_als.cc)\n");
      return 2;
    }
    a.kv[s.substr(0, eq)] = s.substr(eq + 1);
  }
  const std::string mode = a.Get("mode", "fit");
  if (mode == "fit") return ModeFit(a);
  if (mode == "recommend") return ModeRecommend(a);
  if (mode == "foldin") return ModeFoldIn(a);
  if (mode == "synth") return ModeSynth(a);
  if (mode == "eval") return ModeEval(a);
  if (mode == "tune") return ModeTune(a);
  std::fprintf(stderr, "unknown mode '%s': fit, recommend, foldin, synth, eval or tune\n", mode.c_str());
  return 2;
}
