#include "index/mips.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "index/faiss_index.h"

namespace hybridrec {
namespace {

// n x d normal vectors whose norms spread over [0.1, 3] (like ALS factors of rare and popular items).
std::vector<float> SpreadVectors(size_t n, size_t d, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> nd(0.f, 1.f);
  std::uniform_real_distribution<float> scale(0.1f, 3.f);
  std::vector<float> v(n * d);
  for (size_t i = 0; i < n; ++i) {
    double s = 0;
    for (size_t j = 0; j < d; ++j) s += (v[i * d + j] = nd(g)) * v[i * d + j];
    const float f = scale(g) / static_cast<float>(std::sqrt(s));
    for (size_t j = 0; j < d; ++j) v[i * d + j] *= f;
  }
  return v;
}

std::vector<uint32_t> ExactTop(const std::vector<float>& v, size_t d, const float* q, size_t k) {
  const size_t n = v.size() / d;
  std::vector<std::pair<float, uint32_t>> s(n);
  for (size_t i = 0; i < n; ++i) {
    float x = 0;
    for (size_t j = 0; j < d; ++j) x += q[j] * v[i * d + j];
    s[i] = {-x, static_cast<uint32_t>(i)};
  }
  std::partial_sort(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(k), s.end());
  std::vector<uint32_t> out;
  for (size_t i = 0; i < k; ++i) out.push_back(s[i].second);
  return out;
}

TEST(Mips, StoredVectorsAreUnitAndKeepTheInnerProductOrder) {
  const size_t d = 5;
  const auto v = SpreadVectors(40, d, 1);
  std::vector<uint32_t> rows(40);
  std::iota(rows.begin(), rows.end(), 0u);
  const auto t = MipsStoredVectors(v, d, rows);
  ASSERT_EQ(t.size(), 40 * (d + 1));
  double max_norm = 0;
  for (size_t i = 0; i < 40; ++i) {
    double s = 0, u = 0;
    for (size_t j = 0; j < d; ++j) s += v[i * d + j] * v[i * d + j];
    for (size_t j = 0; j <= d; ++j) u += t[i * (d + 1) + j] * t[i * (d + 1) + j];
    EXPECT_NEAR(u, 1.0, 1e-5) << i;
    max_norm = std::max(max_norm, std::sqrt(s));
  }
  const std::vector<float> q = {0.3f, -1.f, 2.f, 0.f, 0.5f};
  std::vector<float> qq(d + 1);
  MipsQuery(q, qq);
  EXPECT_EQ(qq[d], 0.f);
  for (size_t i = 0; i < 40; ++i) {
    float a = 0, b = 0;
    for (size_t j = 0; j < d; ++j) a += q[j] * v[i * d + j];
    for (size_t j = 0; j <= d; ++j) b += qq[j] * t[i * (d + 1) + j];
    EXPECT_NEAR(b, a / max_norm, 1e-5) << i;
  }
  // Zero vectors only: unit vectors all the same, no division by zero.
  const auto z = MipsStoredVectors(std::vector<float>(2 * d, 0.f), d, std::vector<uint32_t>{0, 1});
  EXPECT_EQ(z[d], 1.f);
  EXPECT_EQ(z[0], 0.f);
}

TEST(Mips, FlatIndexIsExactAndIdsAreTheRows) {
  const size_t d = 8;
  const auto v = SpreadVectors(300, d, 2);
  std::vector<uint32_t> rows;
  for (uint32_t i = 0; i < 300; i += 2) rows.push_back(i);  // only the even rows are indexed
  IndexOptions io;
  io.kind = IndexKind::kFlat;
  auto index = BuildMipsIndex(io, d, v, rows, {});
  ASSERT_TRUE(index.ok()) << index.status().message();
  EXPECT_EQ((*index)->size(), 150);
  EXPECT_EQ((*index)->dimension(), static_cast<int>(d + 1));
  std::vector<float> even;
  for (uint32_t r : rows) even.insert(even.end(), v.begin() + r * d, v.begin() + (r + 1) * d);
  const auto queries = SpreadVectors(20, d, 3);
  std::vector<float> q(d + 1);
  std::vector<SearchHit> hits;
  for (size_t i = 0; i < 20; ++i) {
    MipsQuery(std::span<const float>(queries.data() + i * d, d), q);
    (*index)->Search(q, 10, hits);
    const auto want = ExactTop(even, d, queries.data() + i * d, 10);
    for (size_t j = 0; j < 10; ++j) EXPECT_EQ(hits[j].id, static_cast<int64_t>(rows[want[j]])) << i << " " << j;
  }
  EXPECT_FALSE(BuildMipsIndex(io, d, v, std::vector<uint32_t>{300}, {}).ok());  // row out of range
  EXPECT_FALSE(BuildMipsIndex(io, d, std::vector<float>(7), rows, {}).ok());    // not whole rows
}

TEST(Mips, HnswIsCalibratedOnTheQueriesItServes) {
  const size_t d = 16, n = 3000;
  const auto v = SpreadVectors(n, d, 4);
  std::vector<uint32_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0u);
  const auto queries = SpreadVectors(100, d, 5);
  IndexOptions io;
  io.kind = IndexKind::kHnsw;
  io.hnsw.ef_search = 8;
  io.hnsw.target_recall = 0.9;
  auto index = BuildMipsIndex(io, d, v, rows, queries);
  ASSERT_TRUE(index.ok()) << index.status().message();
  const auto* f = dynamic_cast<const FaissIndex*>(index->get());
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(f->calibration().ran);
  EXPECT_EQ(f->calibration().queries, 100);
  EXPECT_TRUE(f->calibration().reached);
  // Fresh queries reach about the target too.
  const auto fresh = SpreadVectors(200, d, 6);
  std::vector<float> q(d + 1);
  std::vector<SearchHit> hits;
  double found = 0;
  for (size_t i = 0; i < 200; ++i) {
    MipsQuery(std::span<const float>(fresh.data() + i * d, d), q);
    (*index)->Search(q, 10, hits);
    const auto want = ExactTop(v, d, fresh.data() + i * d, 10);
    for (const SearchHit& h : hits) found += std::count(want.begin(), want.end(), static_cast<uint32_t>(h.id));
  }
  EXPECT_GE(found / 2000.0, 0.85);
}

TEST(Mips, IvfIsCalibratedByNprobe) {
  const size_t d = 16, n = 3000;
  const auto v = SpreadVectors(n, d, 7);
  std::vector<uint32_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0u);
  const auto queries = SpreadVectors(100, d, 8);
  IndexOptions io;
  io.kind = IndexKind::kAuto;
  io.hnsw_threshold = 1000;  // auto: IVF from here
  io.hnsw.target_recall = 0.95;
  auto index = BuildMipsIndex(io, d, v, rows, queries);
  ASSERT_TRUE(index.ok()) << index.status().message();
  const auto* f = dynamic_cast<const FaissIndex*>(index->get());
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->kind(), "ivf");
  EXPECT_EQ(f->ivf_lists(), 55);  // about sqrt(3000)
  ASSERT_TRUE(f->calibration().ran);
  EXPECT_TRUE(f->calibration().reached);
  EXPECT_EQ(f->search_depth(), f->calibration().ef_search);
  EXPECT_EQ(IndexCalibrationJson(*f)["nprobe"], f->search_depth());
  EXPECT_NE(DescribeIndex(*f).find("ivf (55 lists, nprobe "), std::string::npos) << DescribeIndex(*f);
  // It saves and loads with its depth.
  const auto file = std::filesystem::temp_directory_path() / ("hr_mips_ivf_" + std::to_string(::getpid()) + ".faiss");
  ASSERT_TRUE(f->Save(file).ok());
  auto loaded = LoadIndex(file);
  std::filesystem::remove(file);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ((*loaded)->kind(), "ivf");
  EXPECT_EQ(dynamic_cast<const FaissIndex*>(loaded->get())->search_depth(), f->search_depth());
  // More lists asked for than vectors: as many lists as vectors. Too few vectors for a FaissIndex's
  // lists: refused, not a crash.
  io.kind = IndexKind::kIvf;
  io.ivf_lists = 50;
  auto few = BuildMipsIndex(io, d, std::vector<float>(10 * d, 1.f), std::vector<uint32_t>{0, 1, 2}, {});
  ASSERT_TRUE(few.ok()) << few.status().message();
  EXPECT_EQ(dynamic_cast<const FaissIndex*>(few->get())->ivf_lists(), 3);
  auto raw = FaissIndex::NewIvf(4, 50);
  EXPECT_FALSE(raw->Add(std::vector<float>(12, 1.f), std::vector<int64_t>{0, 1, 2}).ok());
  // Below the threshold auto is flat; brute is refused.
  io.kind = IndexKind::kAuto;
  io.hnsw_threshold = 5000;
  auto flat = BuildMipsIndex(io, d, v, rows, {});
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ((*flat)->kind(), "flat");
  io.kind = IndexKind::kBrute;
  EXPECT_FALSE(BuildMipsIndex(io, d, v, rows, {}).ok());
}

// A single query through an IVF index is scanned by our own kernel; a batch goes through FAISS.
// Both must visit the same lists and return the same hits (ids with a gap, so the id map is
// used), at every search depth.
TEST(Mips, IvfSingleQueryScanAgreesWithFaiss) {
  const size_t n = 3000, d = 9;
  const auto v = SpreadVectors(n, d, 41);
  auto index = FaissIndex::NewIvf(static_cast<int>(d), 40);
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(1000 + 3 * i);
  ASSERT_TRUE(index->Add(v, ids).ok());
  const auto queries = SpreadVectors(25, d, 42);
  for (int depth : {1, 3, 40, 100}) {
    index->set_search_depth(depth);
    for (size_t qi = 0; qi < 25; ++qi) {
      const std::span<const float> q(queries.data() + qi * d, d);
      std::vector<float> twice(q.begin(), q.end());
      twice.insert(twice.end(), q.begin(), q.end());
      std::vector<SearchHit> one, batch;
      index->Search(q, 20, one);
      index->Search(twice, 20, batch);
      ASSERT_EQ(one.size(), 20u);
      ASSERT_EQ(batch.size(), 40u);
      for (size_t r = 0; r < 20; ++r) {
        EXPECT_EQ(one[r].id, batch[r].id) << "depth " << depth << " query " << qi << " rank " << r;
        EXPECT_NEAR(one[r].score, batch[r].score, 1e-5f);
        EXPECT_EQ(batch[r].id, batch[20 + r].id);
      }
    }
  }
  // Asking for more hits than the probed lists hold pads with id -1, like FAISS.
  index->set_search_depth(1);
  std::vector<SearchHit> all;
  index->Search(std::span<const float>(queries.data(), d), static_cast<int>(n), all);
  ASSERT_EQ(all.size(), n);
  EXPECT_EQ(all.back().id, -1);
  EXPECT_GT(all.front().id, 999);
}

}  // namespace
}  // namespace hybridrec
