// Text-encoder throughput at the real all-MiniLM-L6-v2 shape (hidden 384, 6 layers, 12 heads,
// FFN 1536, vocab 30522) with random weights, next to the machine's measured single-precision
// GEMM throughput (the physical limit for this workload).
//
// Run (medians of 5):
//   build/bench/bench_encoder --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// Side by side with PyTorch on the same shapes: tools/bench_torch_encoder.py --cpp <this binary>.
// Counters: sent/s = sentences per second; GFLOP/s = useful model FLOPs (BertModel::Flops:
// the matrix products plus attention, about 21.2 MFLOP per token at length 16) per second.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "gbench_main.h"
#include "content/minilm/bert_model.h"
#include "content/minilm/minilm_encoder.h"
#include "core/random.h"
#include "core/utf8.h"

namespace hybridrec {
namespace {

constexpr int kThreads = 2;

const BertModel& RealShapeModel() {
  static const BertModel model = BertModel::Random(BertConfig{}, 42);  // BertConfig defaults = MiniLM-L6
  return model;
}

std::vector<std::vector<int32_t>> RandomBatch(int batch, int len, uint64_t seed) {
  Rng rng(seed);
  std::vector<std::vector<int32_t>> seqs(static_cast<size_t>(batch));
  for (auto& s : seqs) {
    s.resize(static_cast<size_t>(len));
    s.front() = 101;
    s.back() = 102;
    for (int i = 1; i + 1 < len; ++i) s[static_cast<size_t>(i)] = static_cast<int32_t>(1000 + rng.Below(29000));
  }
  return seqs;
}

// Args: batch, sequence length, parallelism (0 = split sequences over threads, 1 = BLAS threads).
void BM_MiniLmForward(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0)), len = static_cast<int>(state.range(1));
  const BertModel& model = RealShapeModel();
  const auto seqs = RandomBatch(batch, len, 7);
  ForwardOptions fo;
  fo.threads = kThreads;
  fo.parallelism = state.range(2) == 0 ? ForwardOptions::Parallelism::kSequences : ForwardOptions::Parallelism::kBlas;
  std::vector<float> out(static_cast<size_t>(batch) * 384);
  for (auto _ : state) {
    model.Forward(seqs, out.data(), fo);
    benchmark::DoNotOptimize(out.data());
  }
  const double per_iter_tokens = double(batch) * len;
  state.counters["sent/s"] = benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["tok/s"] = benchmark::Counter(per_iter_tokens, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(model.Flops(per_iter_tokens, len) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  SetBlasThreads(1);
}
BENCHMARK(BM_MiniLmForward)
    ->ArgNames({"batch", "len", "blas_threads"})
    ->ArgsProduct({{1, 32, 128}, {16, 32, 128}, {0}})
    ->ArgsProduct({{1, 32}, {16, 32}, {1}})
    ->UseRealTime()
    ->MinTime(1.0)
    ->Unit(benchmark::kMillisecond);

// The machine's single-precision GEMM throughput: OpenBLAS sgemm, n x n x n, 2 threads.
void BM_Sgemm(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<float> a(size_t(n) * n, 0.5f), b(size_t(n) * n, 0.25f), c(size_t(n) * n);
  SetBlasThreads(kThreads);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * double(n) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  SetBlasThreads(1);
}
BENCHMARK(BM_Sgemm)->Arg(2048)->UseRealTime()->MinTime(1.0)->Unit(benchmark::kMillisecond);

// The whole ML-100K catalogue (1,682 "Title. Genres: A, B" texts) through MiniLmEncoder::Encode
// (tokenise, sort by length, batches of 64, 2 threads) at the real shape. Needs the shared
// vocab.txt and ml-100k folder; skipped otherwise. Random weights: same cost as the real ones.
void BM_Ml100kCatalogue(benchmark::State& state) {
  // bench/CMakeLists.txt defines no HYBRIDREC_SHARED_DIR: take $HYBRIDREC_SHARED_DIR, else
  // the `shared` folder beside the source tree (as the tests' definition does).
  const char* env = std::getenv("HYBRIDREC_SHARED_DIR");
  const std::filesystem::path shared =
      env != nullptr ? std::filesystem::path(env)
                     : std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "shared";
  const auto vocab = shared / "models" / "all-MiniLM-L6-v2" / "vocab.txt";
  std::ifstream items(shared / "data" / "ml-100k" / "u.item", std::ios::binary);
  auto tok = WordPieceTokenizer::Load(vocab);
  if (!items || !tok.ok()) {
    state.SkipWithError("needs ../shared/models/all-MiniLM-L6-v2/vocab.txt and ../shared/data/ml-100k/u.item");
    return;
  }
  static const char* kGenres[] = {"unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
                                  "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
                                  "Romance", "Sci-Fi", "Thriller", "War", "Western"};
  std::vector<std::string> texts;
  std::string line;
  while (std::getline(items, line)) {
    std::vector<std::string> f;
    std::stringstream ss(Latin1ToUtf8(line));
    for (std::string x; std::getline(ss, x, '|');) f.push_back(x);
    if (f.size() < 24) continue;
    std::string t = f[1] + ". Genres: ";
    bool first = true;
    for (size_t g = 0; g < 19; ++g)
      if (f[5 + g] == "1") t += (first ? "" : ", ") + std::string(kGenres[g]), first = false;
    texts.push_back(t);
  }
  MiniLmEncoderOptions o;
  o.threads = kThreads;
  const auto enc = MiniLmEncoder::FromParts(std::move(tok).value(), BertModel::Random(BertConfig{}, 42), o);
  std::vector<float> out;
  size_t tokens = 0;
  for (const auto& t : texts) tokens += enc->Tokenize(t).size();
  for (auto _ : state) {
    if (!enc->Encode(texts, out).ok()) state.SkipWithError("encode failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["texts"] = double(texts.size());
  state.counters["mean_tokens"] = double(tokens) / double(texts.size());
  state.counters["sent/s"] = benchmark::Counter(double(texts.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Ml100kCatalogue)->UseRealTime()->Iterations(2)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace hybridrec

// Google Benchmark's main, with the CPU and kernel path in the context it prints first.
int main(int argc, char** argv) { return hybridrec::bench::RunGoogleBenchmarks(argc, argv); }
