#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/random.h"
#include "core/vector_kernels.h"
#include "index/brute_force_index.h"
#include "index/faiss_index.h"
#include "index/index_factory.h"
#include "index/simd_flat_ip.h"

namespace hybridrec {
namespace {

std::vector<float> RandomUnitRows(size_t n, int dim, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n * static_cast<size_t>(dim));
  for (size_t i = 0; i < n; ++i) {
    double norm = 0;
    for (int j = 0; j < dim; ++j) {
      const double x = rng.Normal();
      v[i * dim + j] = static_cast<float>(x);
      norm += x * x;
    }
    for (int j = 0; j < dim; ++j) v[i * dim + j] = static_cast<float>(v[i * dim + j] / std::sqrt(norm));
  }
  return v;
}

std::vector<int64_t> Ids(size_t n, int64_t offset = 0) {
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i) * 3 + offset;  // non-contiguous
  return ids;
}

std::filesystem::path TempPath(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("hr_index_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

void ExpectSameHits(const std::vector<SearchHit>& a, const std::vector<SearchHit>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id) << "rank entry " << i;
    EXPECT_NEAR(a[i].score, b[i].score, 1e-5f) << "rank entry " << i;
  }
}

TEST(BruteForceIndex, TiesBrokenByAscendingIdAndPadding) {
  BruteForceIndex index(2);
  const std::vector<float> v = {1, 0, 0, 1, 1, 0, 1, 0};
  const std::vector<int64_t> ids = {9, 4, 7, 2};
  ASSERT_TRUE(index.Add(v, ids).ok());
  std::vector<SearchHit> out;
  const std::vector<float> q = {1, 0};
  index.Search(q, 6, out);
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0].id, 2);
  EXPECT_EQ(out[1].id, 7);
  EXPECT_EQ(out[2].id, 9);
  EXPECT_EQ(out[3].id, 4);
  EXPECT_EQ(out[4].id, -1);
  EXPECT_TRUE(std::isinf(out[5].score));
}

TEST(BruteForceIndex, AddRejectsMismatchedSizes) {
  BruteForceIndex index(4);
  const std::vector<float> v(7);
  const std::vector<int64_t> ids = {1, 2};
  EXPECT_FALSE(index.Add(v, ids).ok());
  std::vector<SearchHit> out;
  EXPECT_THROW(index.Search(std::vector<float>(3), 1, out), std::invalid_argument);
  EXPECT_THROW(index.Search(std::vector<float>(4), 0, out), std::invalid_argument);
}

TEST(FaissIndex, FlatMatchesBruteForceSingleAndBatch) {
  const int dim = 48;
  const size_t n = 3000;
  const auto data = RandomUnitRows(n, dim, 1);
  const auto ids = Ids(n, 5);
  BruteForceIndex brute(dim);
  auto flat = FaissIndex::NewFlat(dim);
  ASSERT_TRUE(brute.Add(data, ids).ok());
  ASSERT_TRUE(flat->Add(data, ids).ok());
  EXPECT_EQ(flat->kind(), "flat");
  EXPECT_EQ(flat->size(), static_cast<int64_t>(n));
  const auto queries = RandomUnitRows(40, dim, 2);
  std::vector<SearchHit> a, b;
  // Batch: goes through FAISS (BLAS).
  brute.Search(queries, 10, a);
  flat->Search(queries, 10, b);
  ExpectSameHits(a, b);
  // One query at a time: our direct path.
  for (size_t q = 0; q < 40; ++q) {
    std::span<const float> one(queries.data() + q * dim, dim);
    brute.Search(one, 10, a);
    flat->Search(one, 10, b);
    ExpectSameHits(a, b);
  }
}

TEST(FaissIndex, HnswRecallAt10On10k) {
  const int dim = 32;
  const size_t n = 10000;
  const auto data = RandomUnitRows(n, dim, 3);
  const auto ids = Ids(n);
  BruteForceIndex brute(dim);
  ASSERT_TRUE(brute.Add(data, ids).ok());
  // A fixed efSearch (no calibration: plain NewHnsw + Add), high enough for this easy case.
  HnswParams params;
  params.ef_search = 128;
  auto hnsw = FaissIndex::NewHnsw(dim, params);
  ASSERT_TRUE(hnsw->Add(data, ids).ok());
  EXPECT_EQ(hnsw->kind(), "hnsw");
  const auto queries = RandomUnitRows(100, dim, 4);
  std::vector<SearchHit> exact, approx;
  brute.Search(queries, 10, exact);
  hnsw->Search(queries, 10, approx);
  size_t found = 0;
  for (size_t q = 0; q < 100; ++q) {
    std::set<int64_t> truth;
    for (int r = 0; r < 10; ++r) truth.insert(exact[q * 10 + r].id);
    for (int r = 0; r < 10; ++r) found += truth.count(approx[q * 10 + r].id);
  }
  const double recall = static_cast<double>(found) / 1000.0;
  EXPECT_GE(recall, 0.95) << "HNSW recall@10 on 10k random unit vectors, d=32";
  // A single query (scoped OpenMP path) gives the same answer as the batch.
  std::vector<SearchHit> one;
  hnsw->Search(std::span<const float>(queries.data(), dim), 10, one);
  for (int r = 0; r < 10; ++r) EXPECT_EQ(one[r].id, approx[r].id);
}

// n random unit rows of dimension 24 (the masked AVX-512 tail), their ids and a default HNSW
// index over them.
struct HnswOverRandomRows {
  static constexpr int dim = 24;
  std::vector<float> data;
  std::vector<int64_t> ids;
  std::unique_ptr<FaissIndex> hnsw = FaissIndex::NewHnsw(dim, HnswParams{});
  HnswOverRandomRows(size_t n, uint64_t seed) : data(RandomUnitRows(n, dim, seed)), ids(Ids(n)) {
    EXPECT_TRUE(hnsw->Add(data, ids).ok());
  }
};

TEST(SimdFlatIP, HnswAndExactSearchScoreWithDotSimd) {
  // Both report DotSimd(query, row) for a hit, so their scores compare exactly.
  const HnswOverRandomRows r(400, 31);
  const int dim = r.dim;
  const auto& data = r.data;
  const auto& ids = r.ids;
  const auto& hnsw = r.hnsw;
  BruteForceIndex exact(dim);
  ASSERT_TRUE(exact.Add(data, ids).ok());
  const auto queries = RandomUnitRows(20, dim, 32);
  for (const VectorIndex* index :
       {static_cast<const VectorIndex*>(hnsw.get()), static_cast<const VectorIndex*>(&exact)}) {
    std::vector<SearchHit> hits;
    index->Search(queries, 5, hits);
    ASSERT_EQ(hits.size(), 100u);
    for (size_t h = 0; h < hits.size(); ++h) {
      ASSERT_EQ(hits[h].id % 3, 0) << index->kind();
      const size_t row = static_cast<size_t>(hits[h].id / 3);
      EXPECT_EQ(hits[h].score, DotSimd(queries.data() + (h / 5) * dim, data.data() + row * dim, dim))
          << index->kind() << " hit " << h;
    }
  }
}

TEST(SimdFlatIP, HnswUsesSimdStorageAfterBuildAndAfterLoad) {
  HnswOverRandomRows r(300, 21);
  auto& hnsw = r.hnsw;
  auto storage_of = [](const FaissIndex& index) {
    const auto* map = dynamic_cast<const faiss::IndexIDMap*>(index.faiss_index());
    const auto* inner = dynamic_cast<const faiss::IndexHNSWFlat*>(map->index);
    return inner->storage;
  };
  EXPECT_NE(dynamic_cast<const SimdFlatIP*>(storage_of(*hnsw)), nullptr);
  const auto file = TempPath("simd_hnsw.bin");
  ASSERT_TRUE(hnsw->Save(file).ok());
  auto loaded = FaissIndex::Load(file);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_NE(dynamic_cast<const SimdFlatIP*>(storage_of(**loaded)), nullptr);
  EXPECT_EQ((*loaded)->size(), static_cast<int64_t>(r.data.size() / r.dim));
  // Same answers as the exact reference for a query equal to a stored vector.
  std::vector<SearchHit> hits;
  (*loaded)->Search(std::span<const float>(r.data.data() + 5 * r.dim, r.dim), 1, hits);
  EXPECT_EQ(hits[0].id, r.ids[5]);
  EXPECT_NEAR(hits[0].score, 1.f, 1e-5f);
  std::filesystem::remove(file);
}

class IndexRoundTrip : public ::testing::TestWithParam<IndexKind> {};

TEST_P(IndexRoundTrip, SaveLoadSearchAndAddAfterLoad) {
  const int dim = 16;
  const size_t n = 500;
  const auto data = RandomUnitRows(n, dim, 7);
  const auto ids = Ids(n);
  IndexOptions opt;
  opt.kind = GetParam();
  auto built = BuildIndex(opt, dim, data, ids);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  const auto file = TempPath("index_" + (*built)->kind() + ".bin");
  ASSERT_TRUE((*built)->Save(file).ok());
  auto loaded = LoadIndex(file);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->kind(), (*built)->kind());
  EXPECT_EQ((*loaded)->size(), static_cast<int64_t>(n));
  EXPECT_EQ((*loaded)->dimension(), dim);
  const auto queries = RandomUnitRows(5, dim, 8);
  std::vector<SearchHit> a, b;
  (*built)->Search(queries, 5, a);
  (*loaded)->Search(queries, 5, b);
  ExpectSameHits(a, b);
  // Add one new item after load: querying with its own vector finds it first.
  const auto extra = RandomUnitRows(1, dim, 9);
  const std::vector<int64_t> extra_id = {100000};
  ASSERT_TRUE((*loaded)->Add(extra, extra_id).ok());
  EXPECT_EQ((*loaded)->size(), static_cast<int64_t>(n + 1));
  (*loaded)->Search(extra, 3, b);
  EXPECT_EQ(b[0].id, 100000);
  EXPECT_NEAR(b[0].score, 1.0f, 1e-5f);
  std::filesystem::remove(file);
}

INSTANTIATE_TEST_SUITE_P(Kinds, IndexRoundTrip,
                         ::testing::Values(IndexKind::kFlat, IndexKind::kHnsw, IndexKind::kBrute));

TEST(IndexFactory, AutoUsesThresholdAndParsesKinds) {
  IndexOptions opt;
  opt.hnsw_threshold = 100;
  EXPECT_EQ(MakeIndex(opt, 8, 99)->kind(), "flat");
  EXPECT_EQ(MakeIndex(opt, 8, 100)->kind(), "hnsw");
  EXPECT_EQ(*ParseIndexKind("hnsw"), IndexKind::kHnsw);
  EXPECT_EQ(*ParseIndexKind("ivf"), IndexKind::kIvf);
  EXPECT_FALSE(ParseIndexKind("pq").ok());
}

double RecallAt10(const std::vector<SearchHit>& exact, const std::vector<SearchHit>& approx, size_t nq) {
  size_t found = 0;
  for (size_t q = 0; q < nq; ++q) {
    std::set<int64_t> truth;
    for (size_t r = 0; r < 10; ++r) truth.insert(exact[q * 10 + r].id);
    for (size_t r = 0; r < 10; ++r) found += truth.count(approx[q * 10 + r].id);
  }
  return static_cast<double>(found) / static_cast<double>(nq * 10);
}

// Uniform random vectors in d = 48 with a deliberately small graph and a low first rung, so
// efSearch 10 is far from the target and the ladder has to climb.
IndexOptions CalibratedHnswOptions(double target) {
  IndexOptions opt;
  opt.kind = IndexKind::kHnsw;
  opt.hnsw.m = 12;
  opt.hnsw.ef_construction = 40;
  opt.hnsw.ef_search = 10;
  opt.hnsw.target_recall = target;
  opt.build_threads = 2;
  return opt;
}

TEST(SearchCalibration, ClimbsToTargetAndHoldsOnFreshQueries) {
  const int dim = 48;
  const size_t n = 6000;
  const auto data = RandomUnitRows(n, dim, 31);
  const auto ids = Ids(n, 1);
  auto built = BuildIndex(CalibratedHnswOptions(0.95), dim, data, ids);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  auto* index = dynamic_cast<FaissIndex*>(built->get());
  ASSERT_NE(index, nullptr);
  const SearchCalibration& cal = index->calibration();
  ASSERT_TRUE(cal.ran);
  EXPECT_EQ(cal.queries, 500);
  EXPECT_TRUE(cal.reached);
  EXPECT_GE(cal.recall, 0.95);
  ASSERT_GE(cal.ladder.size(), 2u) << "efSearch 10 should not reach 0.95 here; the ladder must climb";
  EXPECT_EQ(cal.ladder.front().ef_search, 10);
  EXPECT_FALSE(cal.ladder.front().passed);
  // The choice is the smallest efSearch tried that passes; everything below it failed, and a
  // pass means the mean less 1.645 standard errors reached the target.
  int smallest_pass = 1 << 30;
  for (const auto& step : cal.ladder) {
    EXPECT_EQ(step.passed, step.recall - 1.645 * step.std_error >= 0.95) << "efSearch " << step.ef_search;
    EXPECT_GT(step.std_error, 0.0);
    if (step.passed) smallest_pass = std::min(smallest_pass, step.ef_search);
    if (step.ef_search == cal.ef_search) {
      EXPECT_DOUBLE_EQ(step.recall, cal.recall);
    }
  }
  EXPECT_EQ(cal.ef_search, smallest_pass);
  // The last x1.5 step was bisected: the choice is within 1/8 of the largest miss below it.
  int largest_miss = 0;
  for (const auto& step : cal.ladder) {
    if (step.ef_search < cal.ef_search) largest_miss = std::max(largest_miss, step.ef_search);
  }
  EXPECT_LE(cal.ef_search - largest_miss, std::max(1, largest_miss / 8));
  EXPECT_EQ(index->ef_search(), cal.ef_search);

  // Out-of-sample queries never seen by the calibration: recall holds (sampling noise aside).
  BruteForceIndex brute(dim);
  ASSERT_TRUE(brute.Add(data, ids).ok());
  const size_t nq = 500;
  const auto fresh = RandomUnitRows(nq, dim, 32);
  std::vector<SearchHit> exact, approx;
  brute.Search(fresh, 10, exact);
  index->Search(fresh, 10, approx);
  EXPECT_GE(RecallAt10(exact, approx, nq), 0.93) << "calibrated efSearch " << cal.ef_search;
}

TEST(SearchCalibration, HeldOutVectorsAreAddedOnceWithTheirIds) {
  const int dim = 32;
  const size_t n = 4000;
  const auto data = RandomUnitRows(n, dim, 33);
  const auto ids = Ids(n, 2);
  auto built = BuildIndex(CalibratedHnswOptions(0.9), dim, data, ids);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  auto* index = dynamic_cast<FaissIndex*>(built->get());
  ASSERT_TRUE(index->calibration().ran);
  EXPECT_EQ(index->size(), static_cast<int64_t>(n));
  const auto* map = dynamic_cast<const faiss::IndexIDMap*>(index->faiss_index());
  ASSERT_NE(map, nullptr);
  std::vector<int64_t> stored(map->id_map.begin(), map->id_map.end());
  std::sort(stored.begin(), stored.end());
  EXPECT_EQ(stored, ids);  // Ids() is ascending: every id exactly once
  // Every vector, held out or not, finds itself (its own id, score 1) as the best hit.
  std::vector<SearchHit> hits;
  index->Search(data, 1, hits);
  size_t self = 0;
  for (size_t i = 0; i < n; ++i) self += (hits[i].id == ids[i] && std::abs(hits[i].score - 1.f) < 1e-5f) ? 1 : 0;
  EXPECT_GE(self, n - n / 200) << "of " << n << " self-queries";
}

TEST(SearchCalibration, OffOrTooSmallKeepsEfSearch) {
  const int dim = 16;
  const auto data = RandomUnitRows(3000, dim, 34);
  const auto ids = Ids(3000);
  auto off = BuildIndex(CalibratedHnswOptions(0.0), dim, data, ids);
  ASSERT_TRUE(off.ok());
  auto* index = dynamic_cast<FaissIndex*>(off->get());
  EXPECT_FALSE(index->calibration().ran);
  EXPECT_EQ(index->ef_search(), 10);
  EXPECT_EQ(index->size(), 3000);
  // 400 vectors: n / 10 = 40 held-out queries are too few to calibrate.
  auto small = BuildIndex(CalibratedHnswOptions(0.95), dim, std::span<const float>(data).first(400 * dim),
                          std::span<const int64_t>(ids).first(400));
  ASSERT_TRUE(small.ok());
  EXPECT_FALSE(dynamic_cast<FaissIndex*>(small->get())->calibration().ran);
  EXPECT_EQ(dynamic_cast<FaissIndex*>(small->get())->ef_search(), 10);
  // Flat indexes ignore the HNSW options.
  IndexOptions flat = CalibratedHnswOptions(0.95);
  flat.kind = IndexKind::kFlat;
  auto f = BuildIndex(flat, dim, data, ids);
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(dynamic_cast<FaissIndex*>(f->get())->calibration().ran);
  IndexOptions bad = CalibratedHnswOptions(1.5);
  EXPECT_EQ(BuildIndex(bad, dim, data, ids).status().code(), Status::Code::kInvalidArgument);
}

TEST(SearchCalibration, CapStopsTheLadderAndSaysSo) {
  const int dim = 48;
  const size_t n = 3000;
  const auto data = RandomUnitRows(n, dim, 35);
  auto hnsw = FaissIndex::NewHnsw(dim, HnswParams{.m = 8, .ef_construction = 20, .ef_search = 4});
  ASSERT_TRUE(hnsw->Add(data, Ids(n)).ok());
  const auto queries = RandomUnitRows(60, dim, 36);
  const SearchCalibration& cal = hnsw->CalibrateSearchDepth(queries, 1.0, 4, 7);
  EXPECT_TRUE(cal.ran);
  EXPECT_FALSE(cal.reached);
  EXPECT_EQ(cal.ef_search, 7);
  EXPECT_EQ(hnsw->ef_search(), 7);
  ASSERT_EQ(cal.ladder.size(), 3u);  // 4, 6, then the cap 7
  EXPECT_EQ(cal.ladder[1].ef_search, 6);
  EXPECT_LT(cal.recall, 1.0);
  auto flat = FaissIndex::NewFlat(dim);
  ASSERT_TRUE(flat->Add(data, Ids(n)).ok());
  EXPECT_THROW(flat->CalibrateSearchDepth(queries, 0.9, 4, 8), std::invalid_argument);
  EXPECT_THROW(hnsw->CalibrateSearchDepth(queries, 0.9, 9, 8), std::invalid_argument);
}

TEST(SearchCalibration, DuplicateVectorsCountAsTiesNotMisses) {
  // Each vector 4 times: the exact top 10 ends inside a group of equal scores, so which copies
  // it lists is arbitrary; matching by position alone would cap recall near 0.9 and push
  // efSearch to the cap.
  const int dim = 32;
  const size_t distinct = 1500, copies = 4;
  const auto unique = RandomUnitRows(distinct, dim, 38);
  std::vector<float> data;
  for (size_t c = 0; c < copies; ++c) data.insert(data.end(), unique.begin(), unique.end());
  const auto ids = Ids(distinct * copies);
  IndexOptions opt = CalibratedHnswOptions(0.95);
  opt.hnsw.max_ef_search = 1000;
  auto built = BuildIndex(opt, dim, data, ids);
  ASSERT_TRUE(built.ok());
  const SearchCalibration& cal = dynamic_cast<FaissIndex*>(built->get())->calibration();
  ASSERT_TRUE(cal.ran);
  EXPECT_TRUE(cal.reached);
  EXPECT_LT(cal.ef_search, 1000);
}

TEST(SearchCalibration, ChosenEfSearchSurvivesSaveAndLoad) {
  const int dim = 32;
  const size_t n = 4000;
  const auto data = RandomUnitRows(n, dim, 37);
  const auto ids = Ids(n);
  auto built = BuildIndex(CalibratedHnswOptions(0.97), dim, data, ids);
  ASSERT_TRUE(built.ok());
  const int chosen = dynamic_cast<FaissIndex*>(built->get())->ef_search();
  ASSERT_GT(chosen, 10);
  const auto file = TempPath("calibrated_hnsw.bin");
  ASSERT_TRUE((*built)->Save(file).ok());
  auto loaded = LoadIndex(file);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(dynamic_cast<FaissIndex*>(loaded->get())->ef_search(), chosen);
  auto overridden = LoadIndex(file, 77);
  ASSERT_TRUE(overridden.ok());
  EXPECT_EQ(dynamic_cast<FaissIndex*>(overridden->get())->ef_search(), 77);
  std::filesystem::remove(file);
}

TEST(IndexFactory, BadOrMissingFileNamesTheFile) {
  const auto missing = TempPath("does_not_exist.faiss");
  auto r = LoadIndex(missing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_NE(r.status().message().find("does_not_exist.faiss"), std::string::npos);

  const auto junk = TempPath("junk.faiss");
  { std::ofstream(junk) << "this is not an index at all"; }
  r = LoadIndex(junk);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("junk.faiss"), std::string::npos) << r.status().ToString();

  const auto truncated = TempPath("truncated.bin");
  {
    BruteForceIndex b(4);
    ASSERT_TRUE(b.Add(std::vector<float>(8, 0.5f), std::vector<int64_t>{1, 2}).ok());
    ASSERT_TRUE(b.Save(truncated).ok());
    std::filesystem::resize_file(truncated, std::filesystem::file_size(truncated) - 3);
  }
  r = LoadIndex(truncated);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("truncated.bin"), std::string::npos);
}

}  // namespace
}  // namespace hybridrec
