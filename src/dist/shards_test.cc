#include "dist/shards.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>

#include "data/csr_matrix.h"
#include "data/loader.h"
#include "data/synth.h"

namespace hybridrec::dist {
namespace {
namespace fs = std::filesystem;

class ShardsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hr-shards-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream f(dir_ / name, std::ios::binary);
    f << text;
  }
  std::string ReadError(const std::vector<std::string>& names) {
    std::vector<fs::path> files;
    for (const auto& n : names) files.push_back(dir_ / n);
    auto r = ReadShards(dir_, files);
    EXPECT_FALSE(r.ok());
    return r.ok() ? "" : r.status().message();
  }
  fs::path dir_;
};

TEST_F(ShardsTest, ListsShardFilesInNameOrder) {
  Write("items.csv", "item,title\n1,A\n");
  Write("interactions-00002.csv", "user,item,strength\nc,1,1\n");
  Write("interactions-00000.csv", "user,item,strength\na,1,1\n");
  Write("interactions-00001.csv", "user,item,strength\nb,1,1\n");
  Write("notes.txt", "ignored");
  Write("interactions-.csv", "ignored: no suffix after the prefix");
  auto files = ListShardFiles(dir_);
  ASSERT_TRUE(files.ok()) << files.status().message();
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[0].filename(), "interactions-00000.csv");
  EXPECT_EQ((*files)[2].filename(), "interactions-00002.csv");
  auto d = ReadShards(dir_, *files);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->users.ids(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(ShardsTest, MissingPiecesAreNamed) {
  auto none = ListShardFiles(dir_ / "absent");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("not a directory"), std::string::npos);
  Write("interactions-00000.csv", "user,item,strength\na,1,1\n");
  auto no_items = ListShardFiles(dir_);
  ASSERT_FALSE(no_items.ok());
  EXPECT_NE(no_items.status().message().find("items.csv"), std::string::npos);
  fs::remove(dir_ / "interactions-00000.csv");
  Write("items.csv", "item,title\n1,A\n");
  auto no_shards = ListShardFiles(dir_);
  ASSERT_FALSE(no_shards.ok());
  EXPECT_NE(no_shards.status().message().find("no interactions-*.csv"), std::string::npos);
}

TEST_F(ShardsTest, HostileRowsNameFileLineAndField) {
  Write("items.csv", "item,title\n1,A\n2,B\n");
  Write("interactions-00000.csv", "user,item,strength\na,1,1\nb,9,1\n");
  std::string e = ReadError({"interactions-00000.csv"});
  EXPECT_NE(e.find("interactions-00000.csv:3"), std::string::npos) << e;
  EXPECT_NE(e.find("'item'"), std::string::npos) << e;
  Write("interactions-00001.csv", "user,item,strength\na,1,-2\n");
  e = ReadError({"interactions-00001.csv"});
  EXPECT_NE(e.find("interactions-00001.csv:2"), std::string::npos) << e;
  EXPECT_NE(e.find("must be > 0"), std::string::npos) << e;
  Write("interactions-00002.csv", "user,item,strength\na,1,nan\n");
  EXPECT_NE(ReadError({"interactions-00002.csv"}).find("not a finite number"), std::string::npos);
  Write("interactions-00003.csv", "user,item,strength\na,1\n");
  EXPECT_NE(ReadError({"interactions-00003.csv"}).find("expected 3 fields"), std::string::npos);
  Write("interactions-00004.csv", "a,1,1\n");
  EXPECT_NE(ReadError({"interactions-00004.csv"}).find("header"), std::string::npos);
  Write("interactions-00005.csv", "");
  EXPECT_NE(ReadError({"interactions-00005.csv"}).find("empty"), std::string::npos);
  Write("interactions-00006.csv", "user,item,strength\n\"a,1,1\n");
  EXPECT_FALSE(ReadError({"interactions-00006.csv"}).empty());
  Write("interactions-00007.csv", std::string("user,item,strength\n\xff\xfe,1,1\n"));
  EXPECT_NE(ReadError({"interactions-00007.csv"}).find("UTF-8"), std::string::npos);
  Write("interactions-00008.csv", std::string("user,item,strength\na\0b,1,1\n", 27));
  (void)ReadShards(dir_, std::vector<fs::path>{dir_ / "interactions-00008.csv"});  // no crash either way
  Write("interactions-00009.csv", "user,item,strength,timestamp\na,1,1,12x\n");
  EXPECT_NE(ReadError({"interactions-00009.csv"}).find("timestamp"), std::string::npos);
}

TEST_F(ShardsTest, ShardsMustAgreeOnTimestamps) {
  Write("items.csv", "item,title\n1,A\n");
  Write("interactions-00000.csv", "user,item,strength,timestamp\na,1,1,5\n");
  Write("interactions-00001.csv", "user,item,strength\nb,1,1\n");
  const std::string e = ReadError({"interactions-00000.csv", "interactions-00001.csv"});
  EXPECT_NE(e.find("timestamp column"), std::string::npos) << e;
}

TEST_F(ShardsTest, DuplicatesMergedAndSkipBadRows) {
  Write("items.csv", "item,title\n1,A\n2,B\n");
  Write("interactions-00000.csv", "user,item,strength\na,1,1\na,1,2.5\na,7,1\nb,2,1\n");
  LoadOptions lo;
  lo.skip_bad_rows = true;
  auto d = ReadShards(dir_, std::vector<fs::path>{dir_ / "interactions-00000.csv"}, lo);
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_EQ(d->interactions.size(), 2u);
  EXPECT_FLOAT_EQ(d->interactions[0].strength, 3.5f);
  EXPECT_EQ(d->report.rows_skipped, 1u);
  EXPECT_EQ(d->report.duplicates_merged, 1u);
}

// Ids with commas, quotes, line breaks and NUL bytes survive WriteShards -> ReadShards.
TEST_F(ShardsTest, OddIdsRoundTrip) {
  Write("items.csv", "item,title\n\"i,1\",A\n\"i\"\"2\",B\n");
  const std::string nul_user("u\0x", 3);
  Write("interactions-00000.csv", "user,item,strength\n\"a,b\",\"i,1\",1.25\n\"q\"\"\nr\",\"i\"\"2\",3\n\"" + nul_user +
                                      "\",\"i,1\",0.1\n");
  auto d = ReadShards(dir_, std::vector<fs::path>{dir_ / "interactions-00000.csv"});
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_EQ(d->num_users(), 3u);
  EXPECT_EQ(d->users.Id(2), nul_user);
  ASSERT_TRUE(WriteShards(*d, 2, dir_ / "again", dir_ / "items.csv").ok());
  auto files = ListShardFiles(dir_ / "again");
  ASSERT_TRUE(files.ok());
  auto back = ReadShards(dir_ / "again", *files);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->users.ids(), d->users.ids());
  ASSERT_EQ(back->interactions.size(), 3u);
  EXPECT_EQ(back->interactions[0].strength, 1.25f);
  EXPECT_EQ(back->interactions[2].strength, 0.1f);
}

TEST(ShardPartition, FilesOfRankCoverEveryFileOnce) {
  for (size_t files : {1u, 2u, 7u, 64u}) {
    for (int ranks : {1, 2, 3, 8}) {
      size_t next = 0;
      for (int r = 0; r < ranks; ++r) {
        const auto [b, e] = FilesOfRank(files, r, ranks);
        EXPECT_EQ(b, next);
        EXPECT_LE(b, e);
        next = e;
      }
      EXPECT_EQ(next, files);
    }
  }
}

TEST(ShardPartition, BalancedBoundaries) {
  const std::vector<uint64_t> w = {10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  const auto b = BalancedBoundaries(w, 2);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], 0u);
  EXPECT_EQ(b[1], 1u);  // the heavy first row alone reaches half the weight
  EXPECT_EQ(b[2], w.size());
  const auto many = BalancedBoundaries(std::vector<uint64_t>(3, 1), 5);  // more parts than rows
  ASSERT_EQ(many.size(), 6u);
  for (size_t p = 1; p < many.size(); ++p) EXPECT_LE(many[p - 1], many[p]);
  EXPECT_EQ(many.back(), 3u);
  const auto empty = BalancedBoundaries({}, 3);
  EXPECT_EQ(empty, (std::vector<uint32_t>{0, 0, 0, 0}));
}

// Writing a dataset as shards and reading every shard back gives the same users, in the same
// order, and the same interaction matrix as loading the dataset in one piece.
TEST_F(ShardsTest, WriteThenReadEqualsTheWholeDataset) {
  SynthOptions so;
  so.users = 120;
  so.items = 40;
  so.nnz = 1500;
  so.seed = 4;
  ASSERT_TRUE(WriteSyntheticDataset(so, dir_ / "data").ok());
  auto whole = LoadDataset(dir_ / "data");
  ASSERT_TRUE(whole.ok()) << whole.status().message();
  ASSERT_TRUE(WriteShards(*whole, 5, dir_ / "shards", dir_ / "data" / "items.csv").ok());
  auto files = ListShardFiles(dir_ / "shards");
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 5u);
  auto back = ReadShards(dir_ / "shards", *files);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->users.ids(), whole->users.ids());
  EXPECT_EQ(back->items.ids(), whole->items.ids());
  EXPECT_TRUE(back->has_timestamps);
  const InteractionMatrix a = BuildInteractionMatrix(whole->num_users(), whole->num_items(), whole->interactions);
  const InteractionMatrix b = BuildInteractionMatrix(back->num_users(), back->num_items(), back->interactions);
  EXPECT_EQ(a.by_user.indptr, b.by_user.indptr);
  EXPECT_EQ(a.by_user.indices, b.by_user.indices);
  EXPECT_EQ(a.by_user.values, b.by_user.values);
  // Each rank's block of files holds whole users: the union over ranks is every user once.
  size_t users = 0;
  for (int r = 0; r < 3; ++r) {
    const auto [f, l] = FilesOfRank(files->size(), r, 3);
    auto part = ReadShards(dir_ / "shards", std::span(*files).subspan(f, l - f));
    ASSERT_TRUE(part.ok());
    users += part->num_users();
  }
  EXPECT_EQ(users, whole->num_users());
}

}  // namespace
}  // namespace hybridrec::dist
