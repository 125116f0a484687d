#include "data/fetch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/file_util.h"

namespace hybridrec {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kSharedData = fs::path(HYBRIDREC_SHARED_DIR) / "data";

class FetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / (std::string("hr_fetch_") + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static bool HaveShared(const std::string& name) {
    return fs::exists(kSharedData / name / "README.txt") || fs::exists(kSharedData / name / "u.data");
  }
  // Options that never consult $HYBRIDREC_DATA_MIRROR (CI sets it).
  static FetchOptions NoEnv() {
    FetchOptions o;
    o.mirror_from_env = false;
    return o;
  }
  fs::path dir_;
};

TEST_F(FetchTest, UnknownDataSet) {
  std::ostringstream log;
  auto r = FetchDataset("ml-1b", dir_, NoEnv(), log);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("unknown data set 'ml-1b'"));
}

TEST_F(FetchTest, CopiesFromMirrorVerifiesAndIsIdempotent) {
  for (const std::string name : {"ml-latest-small", "ml-100k"}) {
    if (!HaveShared(name)) GTEST_SKIP() << "shared mirror missing: " << kSharedData / name;
    std::ostringstream log;
    auto r = FetchDataset(name, dir_ / "data", kSharedData, log);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, dir_ / "data" / name);
    EXPECT_TRUE(VerifyDataset(name, *r).ok());
    EXPECT_THAT(log.str(), HasSubstr("files verified"));
    EXPECT_EQ(KnownDatasetFiles(name).size(),
              static_cast<size_t>(std::distance(fs::directory_iterator(*r), fs::directory_iterator{})));
    std::ostringstream again;
    r = FetchDataset(name, dir_ / "data", kSharedData, again);
    ASSERT_TRUE(r.ok());
    EXPECT_THAT(again.str(), HasSubstr("already present and verified"));
  }
  // No staging directories are left behind.
  for (const auto& e : fs::directory_iterator(dir_ / "data")) EXPECT_NE(e.path().filename().string()[0], '.');
}

TEST_F(FetchTest, CorruptedMirrorFileIsRejectedWithBothHashes) {
  const std::string name = "ml-latest-small";
  if (!HaveShared(name)) GTEST_SKIP() << "shared mirror missing";
  const fs::path mirror = dir_ / "mirror";
  fs::create_directories(mirror / name);
  for (const auto& f : KnownDatasetFiles(name)) fs::copy_file(kSharedData / name / f.name, mirror / name / f.name);
  {
    std::fstream f(mirror / name / "movies.csv", std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(100);
    char c = 0;
    f.get(c);
    f.seekp(100);
    f.put(static_cast<char>(c ^ 1));  // one flipped bit
  }
  const std::string bad_hash = *Sha256File(mirror / name / "movies.csv");
  std::ostringstream log;
  auto r = FetchDataset(name, dir_ / "data", mirror, log);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  const std::string& msg = r.status().message();
  EXPECT_THAT(msg, HasSubstr((mirror / name / "movies.csv").string()));
  EXPECT_THAT(msg, HasSubstr("expected 5a5f32dd9bb3797b8e728a1b98958789d2b13f294a69fdfbc5727f8a9611aa07"));
  EXPECT_THAT(msg, HasSubstr("got " + bad_hash));
  EXPECT_FALSE(fs::exists(dir_ / "data" / name));  // nothing installed
}

TEST_F(FetchTest, DamagedDestinationIsFetchedAgain) {
  const std::string name = "ml-latest-small";
  if (!HaveShared(name)) GTEST_SKIP() << "shared mirror missing";
  std::ostringstream log;
  ASSERT_TRUE(FetchDataset(name, dir_, kSharedData, log).ok());
  { std::ofstream(dir_ / name / "tags.csv", std::ios::app) << "x"; }
  auto r = FetchDataset(name, dir_, kSharedData, log);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(log.str(), HasSubstr("fetching again"));
  EXPECT_TRUE(VerifyDataset(name, dir_ / name).ok());
}

TEST_F(FetchTest, MirrorWithoutTheDataSet) {
  std::ostringstream log;
  FetchOptions o = NoEnv();
  o.mirror = dir_ / "empty-mirror";
  auto r = FetchDataset("ml-100k", dir_ / "data", o, log);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("has no ml-100k/ directory"));
  fs::create_directories(dir_ / "empty-mirror" / "ml-100k");
  r = FetchDataset("ml-100k", dir_ / "data", o, log);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("README: missing from the mirror"));
}

TEST_F(FetchTest, MirrorFromEnvironment) {
  const std::string name = "ml-latest-small";
  if (!HaveShared(name)) GTEST_SKIP() << "shared mirror missing";
  const char* old = std::getenv("HYBRIDREC_DATA_MIRROR");
  const std::string saved = old ? old : "";
  ::setenv("HYBRIDREC_DATA_MIRROR", kSharedData.c_str(), 1);
  std::ostringstream log;
  auto r = FetchDataset(name, dir_, std::nullopt, log);
  if (old)
    ::setenv("HYBRIDREC_DATA_MIRROR", saved.c_str(), 1);
  else
    ::unsetenv("HYBRIDREC_DATA_MIRROR");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(log.str(), HasSubstr("from mirror " + (kSharedData / name).string()));
}

TEST_F(FetchTest, DownloadFailureSaysWhatToDo) {
  FetchOptions o = NoEnv();
  o.url_base = "file://" + (dir_ / "no-such-server").string();
  std::ostringstream log;
  auto r = FetchDataset("ml-100k", dir_ / "data", o, log);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kIOError);
  EXPECT_THAT(r.status().message(), HasSubstr("download of file://"));
  EXPECT_THAT(r.status().message(), HasSubstr("--mirror DIR"));
  EXPECT_FALSE(fs::exists(dir_ / "data" / "ml-100k"));
}

// The download path end to end, offline: a zip laid out like GroupLens's, served by file://.
TEST_F(FetchTest, DownloadsAndExtractsAZip) {
  const std::string name = "ml-latest-small";
  if (!HaveShared(name)) GTEST_SKIP() << "shared mirror missing";
  if (std::system("command -v zip >/dev/null 2>&1") != 0) GTEST_SKIP() << "zip not installed";
  const fs::path server = dir_ / "server";
  fs::create_directories(server / "src");
  fs::copy(kSharedData / name, server / "src" / name);
  const std::string cmd =
      "cd '" + (server / "src").string() + "' && zip -qr '" + (server / (name + ".zip")).string() + "' " + name;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  FetchOptions o = NoEnv();
  o.url_base = "file://" + server.string();
  std::ostringstream log;
  auto r = FetchDataset(name, dir_ / "data", o, log);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(VerifyDataset(name, *r).ok());
  EXPECT_THAT(log.str(), HasSubstr("downloading file://"));
}

}  // namespace
}  // namespace hybridrec
