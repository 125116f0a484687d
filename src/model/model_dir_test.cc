#include "model/model_dir.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/file_util.h"

namespace hybridrec {
namespace {
namespace fs = std::filesystem;

class ModelDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("hr_model_dir_test_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    dir_ = root_ / "model";
    auto w = ModelDirWriter::Create(dir_);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE(w->AddFile("X.bin", std::string(1000, 'x')).ok());
    ASSERT_TRUE(w->AddJson("params.json", {{"k", 3}}).ok());
    ASSERT_TRUE(w->Commit({{"params", {{"factors", 8}}}}).ok());
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_, dir_;
};

TEST_F(ModelDirTest, RoundTripVerifies) {
  auto md = ModelDir::Open(dir_);
  ASSERT_TRUE(md.ok()) << md.status().ToString();
  EXPECT_EQ(md->manifest()["params"]["factors"], 8);
  EXPECT_TRUE(md->HasFile("X.bin"));
  EXPECT_EQ((*md->ReadJson("params.json"))["k"], 3);
  // No staging directory is left behind.
  for (const auto& e : fs::directory_iterator(root_)) EXPECT_EQ(e.path().filename(), "model");
}

TEST_F(ModelDirTest, FlippedByteIsRefusedNamingTheFile) {
  {
    std::fstream f(dir_ / "X.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(500);
    f.put('y');
  }
  auto md = ModelDir::Open(dir_);
  ASSERT_FALSE(md.ok());
  EXPECT_NE(md.status().message().find("X.bin"), std::string::npos);
  EXPECT_NE(md.status().message().find("checksum"), std::string::npos);
}

TEST_F(ModelDirTest, TruncatedFileIsRefused) {
  fs::resize_file(dir_ / "X.bin", 10);
  auto md = ModelDir::Open(dir_);
  ASSERT_FALSE(md.ok());
  EXPECT_NE(md.status().message().find("X.bin"), std::string::npos);
  EXPECT_NE(md.status().message().find("truncated"), std::string::npos);
}

TEST_F(ModelDirTest, MissingFileIsRefused) {
  fs::remove(dir_ / "params.json");
  auto md = ModelDir::Open(dir_);
  ASSERT_FALSE(md.ok());
  EXPECT_NE(md.status().message().find("params.json"), std::string::npos);
  EXPECT_NE(md.status().message().find("missing"), std::string::npos);
}

TEST_F(ModelDirTest, FutureFormatVersionIsRefused) {
  auto m = nlohmann::json::parse(*ReadFile(dir_ / "manifest.json"));
  m["format_version"] = kModelFormatVersion + 1;
  ASSERT_TRUE(WriteFileAtomic(dir_ / "manifest.json", m.dump()).ok());
  auto md = ModelDir::Open(dir_);
  ASSERT_FALSE(md.ok());
  EXPECT_NE(md.status().message().find("manifest.json"), std::string::npos);
  EXPECT_NE(md.status().message().find("newer"), std::string::npos);
}

TEST_F(ModelDirTest, GarbageManifestAndMissingDir) {
  ASSERT_TRUE(WriteFileAtomic(dir_ / "manifest.json", "{not json").ok());
  EXPECT_FALSE(ModelDir::Open(dir_).ok());
  auto none = ModelDir::Open(root_ / "nope");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("not found"), std::string::npos);
}

TEST_F(ModelDirTest, RecommitReplacesAtomically) {
  auto w = ModelDirWriter::Create(dir_);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->AddFile("Y.bin", "yy").ok());
  ASSERT_TRUE(w->Commit({}).ok());
  auto md = ModelDir::Open(dir_);
  ASSERT_TRUE(md.ok());
  EXPECT_TRUE(md->HasFile("Y.bin"));
  EXPECT_FALSE(md->HasFile("X.bin"));
  EXPECT_FALSE(fs::exists(dir_ / "X.bin"));
}

TEST_F(ModelDirTest, AbandonedWriterLeavesNothing) {
  {
    auto w = ModelDirWriter::Create(root_ / "other");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->AddFile("a", "b").ok());
  }
  EXPECT_FALSE(fs::exists(root_ / "other"));
  for (const auto& e : fs::directory_iterator(root_)) EXPECT_EQ(e.path().filename(), "model");
}

}  // namespace
}  // namespace hybridrec
