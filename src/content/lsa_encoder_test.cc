#include "content/lsa_encoder.h"

#include <gtest/gtest.h>

// GCC 12 false -Wmaybe-uninitialized inside Eigen's AVX-512 kernels (see lsa_encoder.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

namespace hybridrec {
namespace {

bool Has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

std::vector<std::string> Corpus() {
  return {
      "Toy Story (1995). Genres: Animation, Children's, Comedy",
      "Aladdin (1992). Genres: Animation, Children's, Comedy, Musical",
      "The Lion King (1994). Genres: Animation, Children's, Musical",
      "Pinocchio (1940). Genres: Animation, Children's",
      "Die Hard (1988). Genres: Action, Thriller",
      "Die Hard 2 (1990). Genres: Action, Thriller",
      "Speed (1994). Genres: Action, Romance, Thriller",
      "Star Wars (1977). Genres: Action, Adventure, Romance, Sci-Fi, War",
      "Return of the Jedi (1983). Genres: Action, Adventure, Romance, Sci-Fi, War",
      "Alien (1979). Genres: Action, Horror, Sci-Fi, Thriller",
      "Aliens (1986). Genres: Action, Sci-Fi, Thriller, War",
      "Casablanca (1942). Genres: Drama, Romance, War",
      "Sleepless in Seattle (1993). Genres: Comedy, Romance",
      "When Harry Met Sally (1989). Genres: Comedy, Romance",
      "Scream (1996). Genres: Horror, Thriller",
      "The Shining (1980). Genres: Horror",
  };
}

TEST(LsaTerms, UnigramsBigramsAndPunctuation) {
  const auto t = LsaTerms("Toy Story (1995). Genres: Animation, Children's", true);
  EXPECT_TRUE(Has(t, "toy"));
  EXPECT_TRUE(Has(t, "story"));
  EXPECT_TRUE(Has(t, "1995"));
  EXPECT_TRUE(Has(t, "childrens"));
  EXPECT_TRUE(Has(t, "toy story"));
  EXPECT_FALSE(Has(t, "story 1995"));   // "(" breaks the phrase
  EXPECT_FALSE(Has(t, "1995 genres"));  // "." breaks the phrase
  EXPECT_FALSE(Has(t, "animation childrens"));
  EXPECT_EQ(LsaTerms("Toy Story", false), (std::vector<std::string>{"toy", "story"}));
}

TEST(LsaTerms, UnicodeShortWordsAndInvalidBytes) {
  const auto t = LsaTerms("CAFÉ Amélie à la carte", true);
  EXPECT_TRUE(Has(t, "café"));
  EXPECT_TRUE(Has(t, "amélie"));
  EXPECT_TRUE(Has(t, "café amélie"));
  EXPECT_FALSE(Has(t, "à"));  // one-character words are ignored
  EXPECT_TRUE(Has(t, "la carte"));
  const std::string bad = std::string("abc\xff\xfe") + "def";
  const auto b = LsaTerms(bad, true);  // invalid bytes separate words and phrases
  EXPECT_EQ(b, (std::vector<std::string>{"abc", "def"}));
  EXPECT_TRUE(LsaTerms("", true).empty());
}

TEST(LsaEncoder, FitEncodeUnitRowsAndDeterminism) {
  const auto corpus = Corpus();
  LsaOptions opt;
  opt.dim = 6;
  auto a = LsaEncoder::Fit(corpus, opt);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ((*a)->dimension(), 6);
  EXPECT_EQ((*a)->name(), "lsa");
  std::vector<float> ea, eb;
  ASSERT_TRUE((*a)->Encode(corpus, ea).ok());
  ASSERT_EQ(ea.size(), corpus.size() * 6);
  for (size_t i = 0; i < corpus.size(); ++i) {
    double n2 = 0;
    for (int j = 0; j < 6; ++j) n2 += ea[i * 6 + j] * ea[i * 6 + j];
    EXPECT_NEAR(n2, 1.0, 1e-5) << corpus[i];
  }
  auto b = LsaEncoder::Fit(corpus, opt);
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*b)->Encode(corpus, eb).ok());
  EXPECT_EQ(ea, eb);  // same seed, same bits
  // Die Hard is closer to Die Hard 2 than to Casablanca.
  auto dot = [&](size_t i, size_t j) {
    double s = 0;
    for (int c = 0; c < 6; ++c) s += ea[i * 6 + c] * ea[j * 6 + c];
    return s;
  };
  EXPECT_GT(dot(4, 5), dot(4, 11));
  EXPECT_GT(dot(0, 1), dot(0, 9));
}

TEST(LsaEncoder, UnknownWordsGiveZeroRowAndDimensionIsCappedByRank) {
  const std::vector<std::string> corpus = {"red apple", "red apple pie", "green apple", "green pear"};
  LsaOptions opt;  // dim 128 >> rank
  auto enc = LsaEncoder::Fit(corpus, opt);
  ASSERT_TRUE(enc.ok()) << enc.status().ToString();
  EXPECT_LE((*enc)->dimension(), 4);
  EXPECT_GE((*enc)->dimension(), 1);
  std::vector<float> out;
  const std::vector<std::string> q = {"zebra xylophone", "apple"};
  ASSERT_TRUE((*enc)->Encode(q, out).ok());
  const int d = (*enc)->dimension();
  for (int j = 0; j < d; ++j) EXPECT_EQ(out[static_cast<size_t>(j)], 0.f);
  double n2 = 0;
  for (int j = 0; j < d; ++j) n2 += out[static_cast<size_t>(d + j)] * out[static_cast<size_t>(d + j)];
  EXPECT_NEAR(n2, 1.0, 1e-5);
}

TEST(LsaEncoder, MinDfAndOptionErrors) {
  const std::vector<std::string> corpus = {"alpha beta", "gamma delta"};
  auto r = LsaEncoder::Fit(corpus, LsaOptions{});  // no term in >= 2 documents
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("min_df"), std::string::npos);
  LsaOptions bad;
  bad.dim = 0;
  EXPECT_FALSE(LsaEncoder::Fit(Corpus(), bad).ok());
}

// Full-rank LSA keeps every inner product of the TF-IDF rows; truncated LSA finds the exact
// top singular values (checks the randomised SVD against a dense SVD).
TEST(LsaEncoder, RandomisedSvdMatchesExactSvd) {
  const auto corpus = Corpus();
  LsaOptions full;
  full.dim = 1000;
  auto enc = LsaEncoder::Fit(corpus, full);
  ASSERT_TRUE(enc.ok());
  const size_t n = corpus.size(), v = (*enc)->vocabulary_size();
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(v));
  std::vector<std::pair<uint32_t, float>> row;
  for (size_t i = 0; i < n; ++i) {
    (*enc)->TfidfRow(corpus[i], row);
    for (auto [c, w] : row) x(static_cast<Eigen::Index>(i), c) = w;
  }
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(x);
  const auto& s = svd.singularValues();
  ASSERT_EQ((*enc)->singular_values().size(), static_cast<size_t>((*enc)->dimension()));
  for (size_t c = 0; c < (*enc)->singular_values().size(); ++c)
    EXPECT_NEAR((*enc)->singular_values()[c], s(static_cast<Eigen::Index>(c)), 1e-8);
  std::vector<float> e;
  ASSERT_TRUE((*enc)->Encode(corpus, e).ok());
  const int d = (*enc)->dimension();
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      double dot = 0;
      for (int c = 0; c < d; ++c) dot += e[i * d + c] * e[j * d + c];
      const auto xi = x.row(static_cast<Eigen::Index>(i)), xj = x.row(static_cast<Eigen::Index>(j));
      EXPECT_NEAR(dot, xi.dot(xj) / (xi.norm() * xj.norm()), 1e-5);
    }
  LsaOptions small;
  small.dim = 3;
  small.power_iters = 2;
  auto trunc = LsaEncoder::Fit(corpus, small);
  ASSERT_TRUE(trunc.ok());
  for (size_t c = 0; c < 3; ++c)
    EXPECT_NEAR((*trunc)->singular_values()[c], s(static_cast<Eigen::Index>(c)), 1e-6 * s(0));
}

class LsaFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("hr_lsa_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(LsaFiles, SaveLoadRoundTripEncodesIdentically) {
  const auto corpus = Corpus();
  LsaOptions opt;
  opt.dim = 5;
  auto enc = LsaEncoder::Fit(corpus, opt);
  ASSERT_TRUE(enc.ok());
  auto files = (*enc)->Save(dir_);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(files->size(), 4u);
  auto loaded = LsaEncoder::Load(dir_);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->dimension(), 5);
  EXPECT_EQ((*loaded)->vocabulary(), (*enc)->vocabulary());
  const std::vector<std::string> q = {"animated comedy for children", "space war adventure", corpus[3]};
  std::vector<float> a, b;
  ASSERT_TRUE((*enc)->Encode(q, a).ok());
  ASSERT_TRUE((*loaded)->Encode(q, b).ok());
  EXPECT_EQ(a, b);
}

TEST_F(LsaFiles, DamagedFilesAreRefusedNamingTheFile) {
  LsaOptions opt;
  opt.dim = 4;
  auto enc = LsaEncoder::Fit(Corpus(), opt);
  ASSERT_TRUE(enc.ok());
  ASSERT_TRUE((*enc)->Save(dir_).ok());
  // Truncated projection.
  const auto proj = dir_ / LsaEncoder::kProjectionFile;
  std::filesystem::resize_file(proj, std::filesystem::file_size(proj) - 8);
  auto r = LsaEncoder::Load(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(LsaEncoder::kProjectionFile), std::string::npos) << r.status().ToString();
  // Vocabulary with an extra line no longer matches the idf array.
  ASSERT_TRUE((*enc)->Save(dir_).ok());
  { std::ofstream(dir_ / LsaEncoder::kVocabFile, std::ios::app) << "extra\n"; }
  r = LsaEncoder::Load(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(LsaEncoder::kIdfFile), std::string::npos) << r.status().ToString();
  // Malformed config.
  ASSERT_TRUE((*enc)->Save(dir_).ok());
  { std::ofstream(dir_ / LsaEncoder::kConfigFile) << "{\"encoder\": \"lsa\"}"; }
  r = LsaEncoder::Load(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(LsaEncoder::kConfigFile), std::string::npos) << r.status().ToString();
  // Missing directory.
  r = LsaEncoder::Load(dir_ / "nope");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nope"), std::string::npos);
}

}  // namespace
}  // namespace hybridrec
