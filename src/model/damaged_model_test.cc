// Damaged model directories: LoadTrainedModel must refuse each kind of damage with a
// message naming the file at fault, both when the manifest's checksums catch the edit and when
// the manifest was re-signed after the edit (so only the loader's own checks stand between the
// damage and the service).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "collab/als_model.h"
#include "collab/popularity.h"
#include "content/content_model.h"
#include "core/file_util.h"
#include "core/npy.h"
#include "data/csr_matrix.h"
#include "model/model_dir.h"
#include "model/test_util.h"
#include "model/trained_model.h"

namespace hybridrec {
namespace {
namespace fs = std::filesystem;
using model_testing::TrainTinyModel;
using nlohmann::json;

class DamagedModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("hr_damaged_model_test_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    dir_ = root_ / "model";
    TrainTinyModel(dir_, 8, 3, 3);
  }
  void TearDown() override { fs::remove_all(root_); }

  // Recomputes the manifest's sha256 and size of `name`, as someone editing a model on purpose
  // (or a buggy tool) would.
  void Resign(const std::string& name) {
    auto text = ReadFile(dir_ / "manifest.json");
    ASSERT_TRUE(text.ok());
    json m = json::parse(*text);
    auto sha = Sha256File(dir_ / name);
    ASSERT_TRUE(sha.ok());
    m["files"][name] = {{"sha256", *sha}, {"bytes", fs::file_size(dir_ / name)}};
    ASSERT_TRUE(WriteFileAtomic(dir_ / "manifest.json", m.dump(2)).ok());
  }
  void EditManifest(const std::function<void(json&)>& edit) {
    auto text = ReadFile(dir_ / "manifest.json");
    ASSERT_TRUE(text.ok());
    json m = json::parse(*text);
    edit(m);
    ASSERT_TRUE(WriteFileAtomic(dir_ / "manifest.json", m.dump(2)).ok());
  }
  void Replace(const std::string& name, std::string_view bytes) {
    ASSERT_TRUE(WriteFileAtomic(dir_ / name, bytes).ok());
  }
  NpyArray ReadArray(const std::string& name) {
    auto bytes = ReadFile(dir_ / name);
    EXPECT_TRUE(bytes.ok());
    auto a = DecodeNpy(*bytes, name);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return *a;
  }
  // Loads and expects a refusal whose message names `file` and contains `what`.
  void ExpectRefused(const std::string& file, const std::string& what) {
    auto tm = LoadTrainedModel(dir_);
    ASSERT_FALSE(tm.ok()) << "damaged " << file << " was accepted";
    EXPECT_NE(tm.status().message().find(file), std::string::npos) << tm.status().ToString();
    EXPECT_NE(tm.status().message().find(what), std::string::npos) << tm.status().ToString();
  }

  fs::path root_, dir_;
};

TEST_F(DamagedModelTest, IntactModelLoads) {
  auto tm = LoadTrainedModel(dir_);
  ASSERT_TRUE(tm.ok()) << tm.status().ToString();
  EXPECT_EQ(tm->num_items(), 8u);
  EXPECT_EQ(tm->num_users(), 6u);
  ASSERT_TRUE(tm->content);
  EXPECT_EQ(tm->content->dimension(), 3);
  // Training timestamps (1000 + 10 u + i): each user's items, most recent (highest index) first.
  ASSERT_EQ(tm->history_timestamps.size(), tm->history.nnz());
  for (uint32_t u = 0; u < tm->num_users(); ++u) {
    const auto recent = tm->RecentItems(u);
    const auto row = tm->history.RowIndices(u);
    ASSERT_EQ(recent.size(), row.size());
    for (size_t j = 0; j < row.size(); ++j) {
      EXPECT_EQ(recent[j], row[row.size() - 1 - j]) << u;
      EXPECT_EQ(tm->history_timestamps[tm->history.indptr[u] + j], 1000 + u * 10 + row[j]);
    }
  }
}

// The recency order is saved with the model; a model saved without it (as older versions did)
// gets the same order computed at load, and a damaged one is refused.
TEST_F(DamagedModelTest, RecencyOrderFromTheFileOrComputed) {
  auto with_file = LoadTrainedModel(dir_);
  ASSERT_TRUE(with_file.ok()) << with_file.status().ToString();
  ASSERT_TRUE(fs::exists(dir_ / "history_recent.npy"));
  const std::vector<uint32_t> saved = with_file->history_recent;
  fs::copy_file(dir_ / "history_recent.npy", root_ / "history_recent.npy");
  fs::remove(dir_ / "history_recent.npy");
  EditManifest([](json& m) { m["files"].erase("history_recent.npy"); });
  auto without = LoadTrainedModel(dir_);
  ASSERT_TRUE(without.ok()) << without.status().ToString();
  EXPECT_EQ(without->history_recent, saved);
  // Back, with an item index out of range (re-signed, so only the loader's check stands).
  NpyArray r = DecodeNpy(*ReadFile(root_ / "history_recent.npy"), "history_recent.npy").value();
  const int32_t bad = 1000;
  std::memcpy(r.data.data(), &bad, sizeof bad);
  Replace("history_recent.npy", EncodeNpy(NpyDtype::kInt32, r.shape, r.data.data()));
  EditManifest([](json& m) { m["files"]["history_recent.npy"] = {{"sha256", ""}, {"bytes", 0}}; });
  Resign("history_recent.npy");
  ExpectRefused("history_recent.npy", "out of range");
}

TEST_F(DamagedModelTest, WrongShapeOfTimestampsIsRefused) {
  const NpyArray t = ReadArray("history_timestamp.npy");
  ASSERT_EQ(t.shape.size(), 1u);
  ASSERT_GT(t.shape[0], 1u);
  Replace("history_timestamp.npy", EncodeNpy(NpyDtype::kInt64, {t.shape[0] - 1}, t.data.data()));
  Resign("history_timestamp.npy");
  ExpectRefused("history_timestamp.npy", "history_timestamp.npy");
}

TEST_F(DamagedModelTest, TruncatedArrayIsRefusedBySizeCheck) {
  fs::resize_file(dir_ / "item_factors.npy", fs::file_size(dir_ / "item_factors.npy") - 8);
  ExpectRefused("item_factors.npy", "truncated");
}

TEST_F(DamagedModelTest, TruncatedArrayIsRefusedEvenWhenResigned) {
  for (const std::string name : {"item_factors.npy", "history_indptr.npy", "item_embeddings.npy"}) {
    SetUp();
    fs::resize_file(dir_ / name, fs::file_size(dir_ / name) - 4);
    Resign(name);
    ExpectRefused(name, name);
    // A file cut inside the header is refused too.
    fs::resize_file(dir_ / name, 20);
    Resign(name);
    ExpectRefused(name, name);
  }
}

TEST_F(DamagedModelTest, WrongDtypeIsRefused) {
  const NpyArray x = ReadArray("user_factors.npy");
  std::vector<double> wide(x.size());
  for (size_t i = 0; i < wide.size(); ++i) {
    float f;
    std::memcpy(&f, x.data.data() + i * 4, 4);
    wide[i] = f;
  }
  Replace("user_factors.npy", EncodeNpy(NpyDtype::kFloat64, x.shape, wide.data()));
  ExpectRefused("user_factors.npy", "replaced");  // the size no longer matches the manifest
  Resign("user_factors.npy");
  ExpectRefused("user_factors.npy", "dtype");

  // int64 where int32 history indices are expected.
  const NpyArray h = ReadArray("history_items.npy");
  std::vector<int64_t> h64(h.size());
  for (size_t i = 0; i < h64.size(); ++i) {
    int32_t v;
    std::memcpy(&v, h.data.data() + i * 4, 4);
    h64[i] = v;
  }
  SetUp();
  Replace("history_items.npy", EncodeNpy(NpyDtype::kInt64, h.shape, h64.data()));
  Resign("history_items.npy");
  ExpectRefused("history_items.npy", "dtype");
}

TEST_F(DamagedModelTest, WrongShapeIsRefused) {
  const NpyArray y = ReadArray("item_factors.npy");
  ASSERT_EQ(y.shape, (std::vector<size_t>{8, 3}));
  // Same bytes, another shape: (4, 6) and (24,) hold the same number of floats.
  Replace("item_factors.npy", EncodeNpy(NpyDtype::kFloat32, {4, 6}, y.data.data()));
  Resign("item_factors.npy");
  ExpectRefused("item_factors.npy", "shape");
  Replace("item_factors.npy", EncodeNpy(NpyDtype::kFloat32, {24}, y.data.data()));
  Resign("item_factors.npy");
  ExpectRefused("item_factors.npy", "shape");
  // One item short.
  Replace("item_factors.npy", EncodeNpy(NpyDtype::kFloat32, {7, 3}, y.data.data()));
  Resign("item_factors.npy");
  ExpectRefused("item_factors.npy", "shape");

  SetUp();
  const NpyArray e = ReadArray("item_embeddings.npy");
  ASSERT_EQ(e.shape, (std::vector<size_t>{8, 3}));
  Replace("item_embeddings.npy", EncodeNpy(NpyDtype::kFloat32, {12, 2}, e.data.data()));
  Resign("item_embeddings.npy");
  ExpectRefused("item_embeddings.npy", "item_embeddings.npy");
}

TEST_F(DamagedModelTest, InconsistentHistoryIsRefused) {
  NpyArray ip = ReadArray("history_indptr.npy");
  int64_t first;
  std::memcpy(&first, ip.data.data() + 8, 8);
  const int64_t big = 1000;
  std::memcpy(ip.data.data() + 8, &big, 8);  // row 1 starts after the end: not monotone
  Replace("history_indptr.npy", EncodeNpy(NpyDtype::kInt64, ip.shape, ip.data.data()));
  Resign("history_indptr.npy");
  ExpectRefused("history_indptr.npy", "history_indptr.npy");

  SetUp();
  NpyArray hi = ReadArray("history_items.npy");
  const int32_t out_of_range = 8;
  std::memcpy(hi.data.data(), &out_of_range, 4);
  Replace("history_items.npy", EncodeNpy(NpyDtype::kInt32, hi.shape, hi.data.data()));
  Resign("history_items.npy");
  ExpectRefused("history_items.npy", "out of range");
}

TEST_F(DamagedModelTest, IndexFromAnotherModelIsRefused) {
  // Another model with fewer items and another dimension; keep its files in memory because
  // SetUp() below starts from an empty root again.
  const fs::path other = root_ / "other";
  TrainTinyModel(other, 7, 3, 2);
  std::map<std::string, std::string> theirs;
  for (const std::string name : {"item_index.faiss", "item_embeddings.npy", "item_factors.npy"}) {
    auto b = ReadFile(other / name);
    ASSERT_TRUE(b.ok());
    theirs[name] = *b;
  }
  Replace("item_index.faiss", theirs["item_index.faiss"]);
  ExpectRefused("item_index.faiss", "replaced");  // another size than the manifest says
  Resign("item_index.faiss");
  ExpectRefused("item_index.faiss", "expected 8 of dimension 3");

  SetUp();
  Replace("item_embeddings.npy", theirs["item_embeddings.npy"]);
  Resign("item_embeddings.npy");
  ExpectRefused("item_embeddings.npy", "item_embeddings.npy");

  SetUp();
  Replace("item_factors.npy", theirs["item_factors.npy"]);
  Resign("item_factors.npy");
  ExpectRefused("item_factors.npy", "shape");
}

TEST_F(DamagedModelTest, ChecksumMismatchIsRefusedUnlessResigned) {
  // Flip one payload byte of a factor: same size, valid .npy, different content.
  auto bytes = ReadFile(dir_ / "user_factors.npy");
  ASSERT_TRUE(bytes.ok());
  std::string edited = *bytes;
  edited[edited.size() - 2] ^= 0x01;
  Replace("user_factors.npy", edited);
  ExpectRefused("user_factors.npy", "checksum mismatch");
  // Re-signed, the edit is a valid model again: the checksums guard against damage, not against
  // someone who rewrites the manifest, and the loader accepts a well-formed array.
  Resign("user_factors.npy");
  auto tm = LoadTrainedModel(dir_);
  ASSERT_TRUE(tm.ok()) << tm.status().ToString();
  // A re-signed edit that breaks the format is refused by the loader's own checks.
  std::string garbage = *bytes;
  garbage[3] = 'X';  // inside the magic "\x93NUMPY"
  Replace("user_factors.npy", garbage);
  Resign("user_factors.npy");
  ExpectRefused("user_factors.npy", "user_factors.npy");
}

TEST_F(DamagedModelTest, JsonFilesAreChecked) {
  Replace("users.json", "[\"u0\", \"u1\"]");
  ExpectRefused("users.json", "users.json");
  Resign("users.json");
  ExpectRefused("users.json", "expected an array of 6 ids");

  SetUp();
  Replace("items.json", "{not json");
  Resign("items.json");
  ExpectRefused("items.json", "not valid JSON");

  SetUp();
  Replace("content_items.json", "{\"ids\": [\"m0\", \"m1\"], \"titles\": [\"x\"]}");
  Resign("content_items.json");
  ExpectRefused("content_items.json", "differ in length");

  // A content catalogue of another size is refused (the embeddings no longer fit it).
  SetUp();
  Replace("content_items.json", "{\"ids\": [\"m0\"], \"titles\": [\"x\"]}");
  Resign("content_items.json");
  EXPECT_FALSE(LoadTrainedModel(dir_).ok());
}

TEST_F(DamagedModelTest, ManifestFieldsOfTheWrongTypeAreRefused) {
  // Regression (found while writing fuzz/fuzz_manifest.cc): a wrong JSON type in a manifest
  // field the loader reads threw nlohmann::json::type_error out of LoadTrainedModel instead of
  // returning an error, and a negative count wrapped around to a huge size_t.
  EditManifest([](json& m) { m["dataset"]["users"] = "six"; });
  ExpectRefused("manifest.json", "users");

  SetUp();
  EditManifest([](json& m) { m["dataset"]["items"] = -3; });
  ExpectRefused("manifest.json", "items");

  SetUp();
  EditManifest([](json& m) { m["dataset"] = json::array({1, 2}); });
  ExpectRefused("manifest.json", "dataset");

  SetUp();
  EditManifest([](json& m) { m["params"] = "none"; });
  ExpectRefused("manifest.json", "params");

  SetUp();
  EditManifest([](json& m) { m["params"]["ranker"] = json::array(); });
  ExpectRefused("manifest.json", "ranker");

  SetUp();
  EditManifest([](json& m) { m["params"]["als"]["factors"] = 5; });
  ExpectRefused("user_factors.npy", "shape");
}

TEST_F(DamagedModelTest, MissingFileIsRefused) {
  fs::remove(dir_ / "item_index.faiss");
  ExpectRefused("item_index.faiss", "missing");
  SetUp();
  EditManifest([](json& m) { m["files"].erase("popularity.npy"); });
  fs::remove(dir_ / "popularity.npy");
  ExpectRefused("popularity.npy", "popularity.npy");
}

}  // namespace
}  // namespace hybridrec
