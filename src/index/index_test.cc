#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/random.h"
#include "index/brute_force_index.h"
#include "index/faiss_index.h"
#include "index/index_factory.h"
#include "index/simd_flat_ip.h"

#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>

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
  auto hnsw = FaissIndex::NewHnsw(dim, HnswParams{});
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

TEST(SimdFlatIP, InnerProductMatchesDoubleReferenceForEveryLength) {
  // Lengths around every SIMD width boundary (4, 8, 16, 32) and the MiniLM dimension.
  for (size_t d : {1u, 3u, 4u, 7u, 8u, 15u, 16u, 17u, 31u, 32u, 33u, 48u, 63u, 100u, 128u, 384u, 385u}) {
    const auto a = RandomUnitRows(1, static_cast<int>(d), 11 + d);
    const auto b = RandomUnitRows(1, static_cast<int>(d), 12 + d);
    double ref = 0;
    for (size_t i = 0; i < d; ++i) ref += static_cast<double>(a[i]) * b[i];
    EXPECT_NEAR(InnerProductSimd(a.data(), b.data(), d), ref, 1e-6) << "d=" << d;
  }
  EXPECT_EQ(InnerProductSimd(nullptr, nullptr, 0), 0.f);
}

TEST(SimdFlatIP, HnswUsesSimdStorageAfterBuildAndAfterLoad) {
  const int dim = 24;
  const size_t n = 300;
  const auto data = RandomUnitRows(n, dim, 21);
  const auto ids = Ids(n);
  auto hnsw = FaissIndex::NewHnsw(dim, HnswParams{});
  ASSERT_TRUE(hnsw->Add(data, ids).ok());
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
  EXPECT_EQ((*loaded)->size(), static_cast<int64_t>(n));
  // Same answers as the exact reference for a query equal to a stored vector.
  std::vector<SearchHit> hits;
  (*loaded)->Search(std::span<const float>(data.data() + 5 * dim, dim), 1, hits);
  EXPECT_EQ(hits[0].id, ids[5]);
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
  EXPECT_FALSE(ParseIndexKind("ivf").ok());
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
