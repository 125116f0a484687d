#include "data/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <zlib.h>
#include <zstd.h>

namespace hybridrec {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A fresh directory per test under gtest's temp dir.
class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / (std::string("hr_loader_") + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& name, const std::string& content) {
    std::ofstream out(dir_ / name, std::ios::binary);
    out << content;
  }
  // A valid movielens-csv directory whose ratings.csv is `ratings`.
  void MovieLens(const std::string& ratings) {
    Write("movies.csv", "movieId,title,genres\n1,Toy Story (1995),Animation|Comedy\n2,Heat (1995),Action\n");
    Write("ratings.csv", ratings);
  }
  std::string LoadError(const LoadOptions& options = {}) {
    auto r = LoadDataset(dir_, options);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.status().message();
  }
  fs::path dir_;
};

TEST_F(LoaderTest, Ml100kLayoutWithLatin1TitlesAndGenres) {
  std::string flags_toy = "0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0";
  std::string flags_none = "1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0";
  Write("u.item", "1|Toy Story (1995)|01-Jan-1995||http://x|" + flags_toy + "\n" +
                      "2|Cit\xe9 des enfants perdus (1995)|01-Jan-1995||http://y|" + flags_none + "\n");
  Write("u.data", "196\t2\t3\t881250949\n186\t1\t5\t891717742\n196\t1\t4\t881250950\n");
  auto ds = LoadDataset(dir_);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->format, "ml-100k");
  EXPECT_EQ(ds->num_items(), 2u);
  EXPECT_EQ(ds->num_users(), 2u);
  EXPECT_EQ(ds->items.Id(0), "1");
  EXPECT_EQ(ds->item_info[1].title, "Cit\xc3\xa9 des enfants perdus (1995)");
  EXPECT_THAT(ds->item_info[0].genres, ElementsAre("Animation", "Children's", "Comedy"));
  EXPECT_THAT(ds->item_info[1].genres, ElementsAre("unknown"));
  ASSERT_EQ(ds->interactions.size(), 3u);
  EXPECT_EQ(ds->users.Id(ds->interactions[0].user), "196");  // first-seen order
  EXPECT_EQ(ds->interactions[0].item, 1u);
  EXPECT_EQ(ds->interactions[0].strength, 3.f);
  EXPECT_EQ(ds->interactions[0].timestamp, 881250949);
  EXPECT_TRUE(ds->has_timestamps);
}

TEST_F(LoaderTest, Ml100kGenreNamesFromUGenre) {
  std::string genre;
  for (int g = 0; g < 19; ++g) genre += "G" + std::to_string(g) + "|" + std::to_string(g) + "\n";
  Write("u.genre", genre + "\n");
  Write("u.item", "7|X|||u|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|1\n");
  Write("u.data", "1\t7\t1\t0\n");
  auto ds = LoadDataset(dir_);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_THAT(ds->item_info[0].genres, ElementsAre("G18"));
}

TEST_F(LoaderTest, MovieLensCsvWithQuotesCrlfAndTags) {
  Write("movies.csv",
        "movieId,title,genres\r\n"
        "1,Toy Story (1995),Adventure|Animation\r\n"
        "11,\"American President, The (1995)\",Comedy|Drama|Romance\r\n"
        "7789,\"11'09\"\"01 - September 11 (2002)\",Drama\r\n"
        "99,Empty (2000),(no genres listed)\r\n");
  Write("ratings.csv",
        "userId,movieId,rating,timestamp\r\n"
        "5,11,4.5,964982703\r\n"
        "1,1,0.5,964981247\r\n"
        "5,7789,3.0,964982224\r\n");
  Write("tags.csv",
        "userId,movieId,tag,timestamp\r\n"
        "2,1,pixar,1445714994\r\n"
        "3,1,Pixar,1445714995\r\n"
        "3,1,\"fun, for kids\",1445714996\r\n"
        "4,11,politics,1445714997\r\n");
  auto ds = LoadDataset(dir_);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->format, "movielens-csv");
  ASSERT_EQ(ds->num_items(), 4u);
  EXPECT_EQ(ds->item_info[1].title, "American President, The (1995)");
  EXPECT_EQ(ds->item_info[2].title, "11'09\"01 - September 11 (2002)");
  EXPECT_THAT(ds->item_info[1].genres, ElementsAre("Comedy", "Drama", "Romance"));
  EXPECT_TRUE(ds->item_info[3].genres.empty());
  EXPECT_THAT(ds->item_info[0].tags, ElementsAre("pixar", "fun, for kids"));
  EXPECT_THAT(ds->item_info[1].tags, ElementsAre("politics"));
  ASSERT_EQ(ds->interactions.size(), 3u);
  EXPECT_EQ(ds->users.Id(0), "5");
  EXPECT_EQ(ds->interactions[1].strength, 0.5f);
  EXPECT_EQ(ds->interactions[2].timestamp, 964982224);
  EXPECT_EQ(ds->ItemText(0), "Toy Story (1995). Genres: Adventure, Animation. Tags: pixar, fun, for kids");
}

TEST_F(LoaderTest, GenericLayoutWithItemsFile) {
  Write("items.csv",
        "\xEF\xBB\xBFitem,title,genres,text\nA,Alpha,x|y,\"first item, described\"\nB,Beta,,\nC,Gamma,z,\n");
  Write("interactions.csv", "user,item,strength,timestamp\nu1,B,2,10\nu2,A,1.5,11\nu1,A,1,12\n");
  auto ds = LoadDataset(dir_);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->format, "generic");
  EXPECT_EQ(ds->num_items(), 3u);   // C has no interactions but stays in the catalogue
  EXPECT_EQ(ds->items.Id(0), "A");  // items.csv order
  EXPECT_THAT(ds->item_info[0].genres, ElementsAre("x", "y"));
  EXPECT_EQ(ds->item_info[0].description, "first item, described");
  EXPECT_EQ(ds->num_users(), 2u);
  EXPECT_TRUE(ds->has_timestamps);
  EXPECT_EQ(ds->interactions[0].item, 1u);
}

TEST_F(LoaderTest, GenericLayoutWithoutItemsFileOrTimestamps) {
  Write("interactions.csv", "user,item,strength\n7,x,1\n8,y,2\n7,y,3\n");
  auto ds = LoadDataset(dir_);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->num_items(), 2u);
  EXPECT_EQ(ds->item_info[1].title, "y");
  EXPECT_FALSE(ds->has_timestamps);
  EXPECT_EQ(ds->interactions[2].timestamp, 0);
}

TEST_F(LoaderTest, GenericThirdColumnNamedText) {
  Write("items.csv", "item,title,description\nA,Alpha,some words\n");
  Write("interactions.csv", "user,item,strength\n1,A,1\n");
  auto ds = LoadDataset(dir_);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_TRUE(ds->item_info[0].genres.empty());
  EXPECT_EQ(ds->item_info[0].description, "some words");
}

TEST_F(LoaderTest, ExplicitFormatAndUnknownFormat) {
  MovieLens("userId,movieId,rating,timestamp\n1,1,4,0\n");
  LoadOptions o;
  o.format = "movielens-csv";
  EXPECT_TRUE(LoadDataset(dir_, o).ok());
  o.format = "ml-100k";
  EXPECT_THAT(LoadError(o), HasSubstr("u.item: no such file"));
  o.format = "parquet";
  EXPECT_THAT(LoadError(o), HasSubstr("unknown dataset format 'parquet'"));
}

TEST_F(LoaderTest, NoKnownLayout) {
  Write("readme.txt", "hi");
  EXPECT_THAT(LoadError(), HasSubstr("no known dataset layout"));
  EXPECT_THAT(LoadDataset(dir_ / "nope").status().message(), HasSubstr("no such directory"));
}

TEST_F(LoaderTest, MissingFile) {
  Write("movies.csv", "movieId,title,genres\n1,A,B\n");
  LoadOptions o;
  o.format = "movielens-csv";
  EXPECT_THAT(LoadError(o), HasSubstr("ratings.csv: no such file"));
}

TEST_F(LoaderTest, EmptyFile) {
  MovieLens("");
  EXPECT_THAT(LoadError(), HasSubstr("ratings.csv: file is empty"));
  MovieLens("\r\n\r\n");
  EXPECT_THAT(LoadError(), HasSubstr("ratings.csv: file is empty"));
}

TEST_F(LoaderTest, HeaderOnlyHasNoRows) {
  MovieLens("userId,movieId,rating,timestamp\n");
  EXPECT_THAT(LoadError(), HasSubstr("no usable rows"));
}

TEST_F(LoaderTest, MissingHeaderRow) {
  Write("interactions.csv", "1,2,3\n4,5,6\n");
  EXPECT_THAT(LoadError(), HasSubstr("interactions.csv:1: the first row looks like data"));
}

TEST_F(LoaderTest, WrongColumnCount) {
  MovieLens("userId,movieId,rating,timestamp\n1,1,4,0\n1,2,4\n");
  const std::string msg = LoadError();
  EXPECT_THAT(msg, HasSubstr("ratings.csv:3: expected 4 fields"));
  EXPECT_THAT(msg, HasSubstr("found 3"));
  EXPECT_THAT(msg, HasSubstr("--skip-bad-rows"));
}

TEST_F(LoaderTest, NonNumericStrength) {
  MovieLens("userId,movieId,rating,timestamp\n1,1,4,0\n1,2,abc,0\n");
  EXPECT_THAT(LoadError(), HasSubstr("ratings.csv:3: field 'rating': \"abc\" is not a number; fix or remove the row "
                                     "(or pass --skip-bad-rows)"));
}

TEST_F(LoaderTest, NonFiniteStrength) {
  MovieLens("userId,movieId,rating,timestamp\n1,1,inf,0\n");
  EXPECT_THAT(LoadError(), HasSubstr("ratings.csv:2: field 'rating': \"inf\" is not a finite number"));
  MovieLens("userId,movieId,rating,timestamp\n1,1,nan,0\n");
  EXPECT_THAT(LoadError(), HasSubstr("\"nan\" is not a finite number"));
  MovieLens("userId,movieId,rating,timestamp\n1,1,1e300,0\n");  // finite double, overflows float
  EXPECT_THAT(LoadError(), HasSubstr("\"1e300\" is not a finite number"));
}

TEST_F(LoaderTest, NegativeOrZeroStrength) {
  MovieLens("userId,movieId,rating,timestamp\n1,1,-2,0\n");
  EXPECT_THAT(LoadError(), HasSubstr("ratings.csv:2: field 'rating': \"-2\" must be > 0"));
  MovieLens("userId,movieId,rating,timestamp\n1,1,0,0\n");
  EXPECT_THAT(LoadError(), HasSubstr("\"0\" must be > 0"));
}

TEST_F(LoaderTest, BadTimestamp) {
  MovieLens("userId,movieId,rating,timestamp\n1,1,3,yesterday\n");
  EXPECT_THAT(LoadError(), HasSubstr("ratings.csv:2: field 'timestamp': \"yesterday\" is not an integer timestamp"));
}

TEST_F(LoaderTest, RatingForItemMissingFromItemFile) {
  MovieLens("userId,movieId,rating,timestamp\n1,1,4,0\n1,42,4,0\n");
  EXPECT_THAT(LoadError(), HasSubstr("ratings.csv:3: field 'movieid': \"42\" is not in movies.csv"));
  Write("u.item", "1|A|||u|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|1\n");
  Write("u.data", "1\t1\t4\t0\n1\t9\t4\t0\n");
  LoadOptions o;
  o.format = "ml-100k";
  EXPECT_THAT(LoadError(o), HasSubstr("u.data:2: field 'item': \"9\" is not in u.item"));
}

TEST_F(LoaderTest, DuplicateRowsAreSummedWithLatestTimestamp) {
  MovieLens("userId,movieId,rating,timestamp\n1,1,4,100\n2,1,1,5\n1,2,2,7\n1,1,0.5,300\n1,1,1,200\n");
  auto ds = LoadDataset(dir_);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->report.rows_read, 5u);
  EXPECT_EQ(ds->report.duplicates_merged, 2u);
  ASSERT_EQ(ds->interactions.size(), 3u);
  EXPECT_EQ(ds->interactions[0].strength, 5.5f);  // merged into the first occurrence, file order kept
  EXPECT_EQ(ds->interactions[0].timestamp, 300);
  EXPECT_EQ(ds->users.Id(ds->interactions[1].user), "2");
  EXPECT_EQ(ds->interactions[2].item, 1u);
}

TEST_F(LoaderTest, InvalidUtf8NamesLineAndOffset) {
  Write("movies.csv", "movieId,title,genres\n1,Ok,A\n2,Bad \xC3\x28 title,B\n");
  Write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4,0\n");
  const std::string msg = LoadError();
  EXPECT_THAT(
      msg, HasSubstr("movies.csv:3: invalid UTF-8 at byte 7 of the line (byte offset 34 from the start of the file)"));
  // In a quoted record too.
  Write("movies.csv", "movieId,title,genres\n1,\"Bad, \xFF\",A\n");
  EXPECT_THAT(LoadError(), HasSubstr("movies.csv:2: invalid UTF-8"));
}

TEST_F(LoaderTest, UnterminatedQuote) {
  Write("movies.csv", "movieId,title,genres\n1,Ok,A\n2,\"Never closed,B\n3,Other,C\n");
  Write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4,0\n");
  EXPECT_THAT(LoadError(), HasSubstr("movies.csv:3: unterminated quoted field"));
  LoadOptions skip;
  skip.skip_bad_rows = true;  // still fatal: the rest of the file cannot be split into rows
  EXPECT_THAT(LoadError(skip), HasSubstr("unterminated"));
}

TEST_F(LoaderTest, CrlfFileParsesLikeLf) {
  MovieLens("userId,movieId,rating,timestamp\r\n1,1,4,10\r\n2,2,3.5,20\r\n");
  auto ds = LoadDataset(dir_);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  ASSERT_EQ(ds->interactions.size(), 2u);
  EXPECT_EQ(ds->interactions[1].strength, 3.5f);
  EXPECT_EQ(ds->interactions[1].timestamp, 20);  // no stray '\r' in the last field
}

TEST_F(LoaderTest, QuotedFieldMayContainNewline) {
  Write("items.csv", "item,title,text\nA,Alpha,\"two\r\nlines\"\nB,Beta,x\n");
  Write("interactions.csv", "user,item,strength\n1,B,oops\n");
  EXPECT_THAT(LoadError(), HasSubstr("interactions.csv:2:"));
  Write("interactions.csv", "user,item,strength\n1,B,1\n");
  auto ds = LoadDataset(dir_);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->item_info[0].description, "two\r\nlines");
}

TEST_F(LoaderTest, SkipBadRowsCountsAndWarns) {
  MovieLens("userId,movieId,rating,timestamp\n1,1,4,0\n1,2,abc,0\n1,2\n2,42,3,0\n3,\"x\"y,1,0\n2,2,-1,0\n2,2,3,0\n");
  LoadOptions o;
  o.skip_bad_rows = true;
  auto ds = LoadDataset(dir_, o);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->report.rows_skipped, 5u);
  EXPECT_EQ(ds->report.rows_read, 2u);
  EXPECT_EQ(ds->interactions.size(), 2u);
  ASSERT_EQ(ds->report.warnings.size(), 5u);
  EXPECT_THAT(ds->report.warnings[0], HasSubstr("ratings.csv:3: field 'rating'"));
  EXPECT_THAT(ds->report.warnings[3], HasSubstr("ratings.csv:6: unexpected character 'y' after a closing quote"));
  o.max_warnings = 2;
  ds = LoadDataset(dir_, o);
  ASSERT_TRUE(ds.ok());
  ASSERT_EQ(ds->report.warnings.size(), 3u);
  EXPECT_EQ(ds->report.warnings[2], "... 3 more bad rows skipped");
}

TEST_F(LoaderTest, AllRowsBadIsAnError) {
  MovieLens("userId,movieId,rating,timestamp\n1,1,x,0\n");
  LoadOptions o;
  o.skip_bad_rows = true;
  EXPECT_THAT(LoadError(o), HasSubstr("no usable rows (1 bad rows skipped)"));
}

TEST_F(LoaderTest, SparseAndOddIdsRoundTrip) {
  // Large numeric ids (outside the direct index), leading zeros and text ids must not collide.
  Write("interactions.csv", "user,item,strength\n900000000,7,1\n0900000000,7,2\n1,007,3\n1,7,4\nx,999999999,5\n");
  auto ds = LoadDataset(dir_);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->num_users(), 4u);
  EXPECT_EQ(ds->num_items(), 3u);
  EXPECT_EQ(ds->report.duplicates_merged, 0u);
  EXPECT_EQ(ds->users.Id(ds->interactions[1].user), "0900000000");
  EXPECT_EQ(ds->items.Id(ds->interactions[2].item), "007");
  EXPECT_EQ(ds->interactions[3].item, ds->interactions[0].item);
}

// Random bytes in every file: the loader must return (an error or a data set), never crash.
// Compressed copies of the files: the same data as the plain files; damaged streams and bad
// rows are errors that name the compressed file.
class CompressedLoaderTest : public LoaderTest {
 protected:
  static std::string Gzip(const std::string& text) {
    const fs::path tmp = fs::path(::testing::TempDir()) / "hr_loader_gz.tmp";
    gzFile gz = gzopen(tmp.c_str(), "wb");
    EXPECT_NE(gz, nullptr);
    gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
    gzclose(gz);
    std::ifstream in(tmp, std::ios::binary);
    std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fs::remove(tmp);
    return out;
  }
  static std::string Zstd(const std::string& text) {
    std::string out(ZSTD_compressBound(text.size()), '\0');
    const size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3);
    EXPECT_FALSE(ZSTD_isError(n));
    out.resize(n);
    return out;
  }
  const std::string items_ = "item,title,genres\n10,Alpha,A|B\n20,Beta,B\n";
  const std::string inter_ = "user,item,strength,timestamp\nu1,10,1,100\nu2,20,2.5,200\nu1,20,1,300\n";
};

TEST_F(CompressedLoaderTest, GzipAndZstdLoadLikePlainFiles) {
  Write("items.csv", items_);
  Write("interactions.csv", inter_);
  auto plain = LoadDataset(dir_);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  fs::remove(dir_ / "items.csv");
  fs::remove(dir_ / "interactions.csv");
  Write("items.csv.zst", Zstd(items_));
  Write("interactions.csv.gz", Gzip(inter_));
  auto packed = LoadDataset(dir_);
  ASSERT_TRUE(packed.ok()) << packed.status().ToString();
  EXPECT_EQ(packed->format, "generic");
  ASSERT_EQ(packed->interactions.size(), plain->interactions.size());
  for (size_t i = 0; i < plain->interactions.size(); ++i) {
    EXPECT_EQ(packed->interactions[i].user, plain->interactions[i].user);
    EXPECT_EQ(packed->interactions[i].item, plain->interactions[i].item);
    EXPECT_EQ(packed->interactions[i].strength, plain->interactions[i].strength);
    EXPECT_EQ(packed->interactions[i].timestamp, plain->interactions[i].timestamp);
  }
  EXPECT_EQ(packed->item_info[0].title, "Alpha");
  EXPECT_THAT(packed->item_info[0].genres, ElementsAre("A", "B"));
}

TEST_F(CompressedLoaderTest, ThePlainFileWinsOverACompressedCopy) {
  Write("interactions.csv", inter_);
  Write("interactions.csv.gz", "not gzip at all");
  auto ds = LoadDataset(dir_);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->interactions.size(), 3u);
}

TEST_F(CompressedLoaderTest, BadRowNamesTheCompressedFileAndLine) {
  Write("interactions.csv.gz", Gzip("user,item,strength\nu1,10,1\nu2,20,oops\n"));
  EXPECT_THAT(LoadError(), HasSubstr("interactions.csv.gz:3"));
  Write("interactions.csv.zst", Zstd("user,item,strength\nu1,10,1\nu2,20,-1\n"));
  fs::remove(dir_ / "interactions.csv.gz");
  EXPECT_THAT(LoadError(), HasSubstr("interactions.csv.zst:3"));
}

TEST_F(CompressedLoaderTest, DamagedStreamsAreErrorsNotCrashes) {
  const std::string gz = Gzip(inter_ + inter_.substr(29));
  Write("interactions.csv.gz", gz.substr(0, gz.size() / 2));  // cut short
  EXPECT_THAT(LoadError(), HasSubstr("interactions.csv.gz"));
  fs::remove(dir_ / "interactions.csv.gz");
  const std::string zs = Zstd(inter_);
  Write("interactions.csv.zst", zs.substr(0, zs.size() - 3));  // cut short
  EXPECT_THAT(LoadError(), HasSubstr("interactions.csv.zst"));
  Write("interactions.csv.zst", "definitely not zstd");
  EXPECT_THAT(LoadError(), HasSubstr("not a valid zstd file"));
  Write("interactions.csv.zst", "");
  EXPECT_THAT(LoadError(), HasSubstr("interactions.csv.zst"));
}

TEST_F(LoaderTest, GarbageNeverCrashes) {
  const char alphabet[] = {',', '"', '\n', '\r', '|', '\t', '1', '2', 'a', ' ', '\xC3', '\xA9', '\xFF', '-', '.', 'e'};
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  auto garbage = [&](const std::string& prefix) {
    std::string s = prefix;
    const size_t n = next() % 200;
    for (size_t k = 0; k < n; ++k) s += alphabet[next() % sizeof(alphabet)];
    return s;
  };
  for (int round = 0; round < 100; ++round) {
    Write("movies.csv", garbage(round % 2 ? "movieId,title,genres\n1,a,b\n" : ""));
    Write("ratings.csv", garbage(round % 3 ? "userId,movieId,rating,timestamp\n1,1,2,3\n" : ""));
    Write("tags.csv", garbage("userId,movieId,tag,timestamp\n"));
    Write("u.item", garbage("1|a|||u|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|1\n"));
    Write("u.data", garbage("1\t1\t1\t1\n"));
    for (const char* format : {"movielens-csv", "ml-100k"}) {
      for (bool skip : {false, true}) {
        LoadOptions o;
        o.format = format;
        o.skip_bad_rows = skip;
        auto ds = LoadDataset(dir_, o);
        if (ds.ok()) {
          EXPECT_FALSE(ds->interactions.empty());
          for (const auto& x : ds->interactions) {
            EXPECT_LT(x.user, ds->num_users());
            EXPECT_LT(x.item, ds->num_items());
            EXPECT_GT(x.strength, 0.f);
          }
        } else {
          EXPECT_FALSE(ds.status().message().empty());
        }
      }
    }
  }
}

// The hand-made fixtures in tests/fixtures/data (see its README).
fs::path Fixture(const std::string& name) { return fs::path(HYBRIDREC_SOURCE_DIR) / "tests/fixtures/data" / name; }

// The files each fixture's load reads: every file in its directory.
TEST(Fixtures, InputFilesAreThoseOfTheLayout) {
  for (const std::string name : {"ml-100k-mini", "movielens-csv-mini", "generic-mini"}) {
    auto files = DatasetInputFiles(Fixture(name));
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    std::vector<fs::path> in_dir;
    for (const auto& e : fs::directory_iterator(Fixture(name))) in_dir.push_back(e.path());
    std::vector<fs::path> listed = *files;
    std::sort(listed.begin(), listed.end());
    std::sort(in_dir.begin(), in_dir.end());
    EXPECT_EQ(listed, in_dir) << name;
  }
  auto ml = DatasetInputFiles(Fixture("ml-100k-mini"));
  ASSERT_TRUE(ml.ok());
  EXPECT_THAT(*ml, ElementsAre(Fixture("ml-100k-mini") / "u.genre", Fixture("ml-100k-mini") / "u.item",
                               Fixture("ml-100k-mini") / "u.data"));
}

TEST_F(LoaderTest, InputFilesFollowTheLoadersChoices) {
  // Optional files only when present; the compressed copy when the plain file is absent.
  Write("interactions.csv.zst", "");
  auto files = DatasetInputFiles(dir_);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_THAT(*files, ElementsAre(dir_ / "interactions.csv.zst"));
  Write("items.csv.gz", "");
  Write("interactions.csv", "");
  Write("ratings.csv", "");  // not part of the generic layout
  files = DatasetInputFiles(dir_);
  ASSERT_TRUE(files.ok());
  EXPECT_THAT(*files, ElementsAre(dir_ / "items.csv.gz", dir_ / "interactions.csv"));
  // A format named in the options: its files, a missing required one under its plain name.
  LoadOptions ml;
  ml.format = "movielens-csv";
  files = DatasetInputFiles(dir_, ml);
  ASSERT_TRUE(files.ok());
  EXPECT_THAT(*files, ElementsAre(dir_ / "movies.csv", dir_ / "ratings.csv"));
  Write("u.data", "");
  Write("u.item", "");
  Write("tags.csv.gz", "");
  files = DatasetInputFiles(dir_);  // ml-100k is detected first
  ASSERT_TRUE(files.ok());
  EXPECT_THAT(*files, ElementsAre(dir_ / "u.item", dir_ / "u.data"));
  files = DatasetInputFiles(dir_, ml);
  ASSERT_TRUE(files.ok());
  EXPECT_THAT(*files, ElementsAre(dir_ / "movies.csv", dir_ / "ratings.csv", dir_ / "tags.csv.gz"));
  // The loader's errors.
  ml.format = "parquet";
  EXPECT_THAT(DatasetInputFiles(dir_, ml).status().message(), HasSubstr("unknown dataset format 'parquet'"));
  EXPECT_THAT(DatasetInputFiles(dir_ / "nope").status().message(), HasSubstr("no such directory"));
}

TEST(Fixtures, Ml100kMini) {
  auto ds = LoadDataset(Fixture("ml-100k-mini"));
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->format, "ml-100k");
  EXPECT_EQ(ds->num_users(), 5u);
  EXPECT_EQ(ds->num_items(), 6u);
  EXPECT_EQ(ds->interactions.size(), 14u);
  EXPECT_EQ(ds->item_info[2].title, "Mis\xc3\xa9rables, Les (1995)");
  EXPECT_THAT(ds->item_info[5].genres, ElementsAre("Action", "Horror", "Sci-Fi", "Thriller"));
}

TEST(Fixtures, MovieLensCsvMini) {
  auto ds = LoadDataset(Fixture("movielens-csv-mini"));
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->format, "movielens-csv");
  EXPECT_EQ(ds->num_users(), 4u);
  EXPECT_EQ(ds->num_items(), 6u);
  EXPECT_EQ(ds->interactions.size(), 11u);
  EXPECT_EQ(ds->item_info[1].title, "American President, The (1995)");
  EXPECT_EQ(ds->item_info[2].title, "11'09\"01 - September 11 (2002)");
  EXPECT_TRUE(ds->item_info[5].genres.empty());
  EXPECT_THAT(ds->item_info[0].tags, ElementsAre("pixar"));
  EXPECT_THAT(ds->item_info[3].tags, ElementsAre("space, the final frontier", "classic"));
}

TEST(Fixtures, GenericMini) {
  auto ds = LoadDataset(Fixture("generic-mini"));
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->format, "generic");
  EXPECT_EQ(ds->num_users(), 4u);
  EXPECT_EQ(ds->num_items(), 5u);
  EXPECT_EQ(ds->report.rows_read, 10u);
  EXPECT_EQ(ds->report.duplicates_merged, 1u);
  ASSERT_EQ(ds->interactions.size(), 9u);
  EXPECT_EQ(ds->interactions[3].strength, 6.f);  // bob,sku-3: 5 + 1
  EXPECT_EQ(ds->interactions[3].timestamp, 1700000010);
  EXPECT_EQ(ds->item_info[0].description, "Light shoes for trail running, with grip");
  EXPECT_EQ(ds->ItemText(3), "Coffee grinder. Genres: kitchen. Burr grinder for coffee beans");
}

// The real data sets (shared, not in the repo).
fs::path SharedData(const std::string& name) { return fs::path(HYBRIDREC_SHARED_DIR) / "data" / name; }

TEST(RealData, Ml100k) {
  const fs::path dir = SharedData("ml-100k");
  if (!fs::exists(dir / "u.data")) GTEST_SKIP() << "shared data set missing: " << dir;
  const auto t0 = std::chrono::steady_clock::now();
  auto ds = LoadDataset(dir);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->format, "ml-100k");
  EXPECT_EQ(ds->name, "ml-100k");
  EXPECT_EQ(ds->num_users(), 943u);
  EXPECT_EQ(ds->num_items(), 1682u);
  EXPECT_EQ(ds->interactions.size(), 100000u);
  EXPECT_EQ(ds->report.duplicates_merged, 0u);
  EXPECT_EQ(ds->item_info[*ds->items.Find("1")].title, "Toy Story (1995)");
  // u.item item 543 is "Mis\xe9rables, Les (1995)" in latin-1.
  const auto mis = ds->items.Find("543");
  ASSERT_TRUE(mis);
  EXPECT_EQ(ds->item_info[*mis].title, "Mis\xc3\xa9rables, Les (1995)");
  EXPECT_THAT(ds->item_info[*ds->items.Find("1")].genres, ElementsAre("Animation", "Children's", "Comedy"));
  // Timing is recorded, not asserted (sanitizer builds and loaded machines are slow).
  ::testing::Test::RecordProperty("load_seconds", std::to_string(secs));
}

TEST(RealData, MlLatestSmall) {
  const fs::path dir = SharedData("ml-latest-small");
  if (!fs::exists(dir / "ratings.csv")) GTEST_SKIP() << "shared data set missing: " << dir;
  const auto t0 = std::chrono::steady_clock::now();
  auto ds = LoadDataset(dir);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->format, "movielens-csv");
  EXPECT_EQ(ds->num_users(), 610u);
  EXPECT_EQ(ds->num_items(), 9742u);
  EXPECT_EQ(ds->interactions.size(), 100836u);
  EXPECT_EQ(ds->report.duplicates_merged, 0u);
  EXPECT_EQ(ds->item_info[*ds->items.Find("11")].title, "American President, The (1995)");
  EXPECT_EQ(ds->item_info[*ds->items.Find("7789")].title, "11'09\"01 - September 11 (2002)");
  size_t with_tags = 0;
  for (const auto& it : ds->item_info) with_tags += !it.tags.empty();
  EXPECT_GT(with_tags, 1000u);
  // tags.csv: user 2 tagged movie 60756 "funny" and "Highly quotable".
  EXPECT_THAT(ds->item_info[*ds->items.Find("60756")].tags, ::testing::IsSupersetOf({"funny", "Highly quotable"}));
  // Timing is recorded, not asserted (sanitizer builds and loaded machines are slow).
  ::testing::Test::RecordProperty("load_seconds", std::to_string(secs));
}

}  // namespace
}  // namespace hybridrec
