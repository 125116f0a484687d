// Quality sanity of the LSA encoder on the real MovieLens-100K catalogue (SPEC 2, issue 3):
// Toy Story's nearest items and the query "animated children's adventure" should be
// animation or children's films. The catalogue is read here directly from u.item so this test
// does not depend on the data layer; it is skipped when the dataset is not present.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "content/lsa_encoder.h"
#include "core/utf8.h"
#include "index/brute_force_index.h"

namespace hybridrec {
namespace {

constexpr const char* kGenres[19] = {"unknown", "Action", "Adventure", "Animation", "Children's", "Comedy",
                                     "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror",
                                     "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"};

struct Movie {
  std::string title;
  std::vector<std::string> genres;
  bool family() const {  // Animation or Children's
    for (const auto& g : genres)
      if (g == "Animation" || g == "Children's") return true;
    return false;
  }
};

std::vector<Movie> LoadMl100kItems(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<Movie> movies;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '|')) f.push_back(field);
    if (f.size() < 24) continue;  // id|title|release|video|url|19 flags
    Movie m;
    m.title = Latin1ToUtf8(f[1]);
    for (int g = 0; g < 19; ++g)
      if (TrimCr(f[f.size() - 19 + static_cast<size_t>(g)]) == "1") m.genres.emplace_back(kGenres[g]);
    movies.push_back(std::move(m));
  }
  return movies;
}

std::string ItemText(const Movie& m) {
  std::string t = m.title;
  if (!m.genres.empty()) {
    t += ". Genres: ";
    for (size_t i = 0; i < m.genres.size(); ++i) t += (i ? ", " : "") + m.genres[i];
  }
  return t;
}

class LsaQuality : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::filesystem::path file = std::filesystem::path(HYBRIDREC_SHARED_DIR) / "data/ml-100k/u.item";
    if (!std::filesystem::exists(file)) return;
    movies_ = new std::vector<Movie>(LoadMl100kItems(file));
    std::vector<std::string> texts;
    for (const auto& m : *movies_) texts.push_back(ItemText(m));
    auto enc = LsaEncoder::Fit(texts, LsaOptions{});
    ASSERT_TRUE(enc.ok()) << enc.status().ToString();
    encoder_ = enc->release();
    std::vector<float> emb;
    ASSERT_TRUE(encoder_->Encode(texts, emb).ok());
    index_ = new BruteForceIndex(encoder_->dimension());
    std::vector<int64_t> ids(texts.size());
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
    ASSERT_TRUE(index_->Add(emb, ids).ok());
  }
  static void TearDownTestSuite() {
    delete index_;
    delete encoder_;
    delete movies_;
  }
  void SetUp() override {
    if (movies_ == nullptr)
      GTEST_SKIP() << "ML-100K not found at " << HYBRIDREC_SHARED_DIR << "/data/ml-100k/u.item";
  }
  std::vector<SearchHit> Query(const std::string& text, int k) {
    std::vector<float> q;
    EXPECT_TRUE(encoder_->Encode(std::span<const std::string>(&text, 1), q).ok());
    std::vector<SearchHit> hits;
    index_->Search(q, k, hits);
    return hits;
  }
  static std::vector<Movie>* movies_;
  static LsaEncoder* encoder_;
  static BruteForceIndex* index_;
};

std::vector<Movie>* LsaQuality::movies_ = nullptr;
LsaEncoder* LsaQuality::encoder_ = nullptr;
BruteForceIndex* LsaQuality::index_ = nullptr;

TEST_F(LsaQuality, ToyStoryNeighboursAreMostlyAnimationOrChildrens) {
  ASSERT_EQ((*movies_)[0].title, "Toy Story (1995)");
  const auto hits = Query(ItemText((*movies_)[0]), 11);
  int family = 0;
  std::string listing;
  int shown = 0;
  for (const auto& h : hits) {
    if (h.id == 0) continue;  // Toy Story itself
    if (shown++ == 10) break;
    const Movie& m = (*movies_)[static_cast<size_t>(h.id)];
    family += m.family();
    listing += "  " + std::to_string(h.score) + " " + ItemText(m) + "\n";
  }
  EXPECT_GE(family, 6) << "10 nearest of Toy Story:\n" << listing;
  std::cout << "[lsa] Toy Story: " << family << "/10 neighbours are Animation or Children's\n" << listing;
}

TEST_F(LsaQuality, AnimatedChildrensAdventureQueryFindsFamilyFilms) {
  const auto hits = Query("animated children's adventure", 5);
  int family = 0;
  std::string listing;
  for (const auto& h : hits) {
    ASSERT_GE(h.id, 0);
    const Movie& m = (*movies_)[static_cast<size_t>(h.id)];
    family += m.family();
    listing += "  " + std::to_string(h.score) + " " + ItemText(m) + "\n";
  }
  EXPECT_TRUE((*movies_)[static_cast<size_t>(hits[0].id)].family()) << listing;
  EXPECT_GE(family, 4) << "top 5:\n" << listing;
  std::cout << "[lsa] query: " << family << "/5 are Animation or Children's\n" << listing;
}

}  // namespace
}  // namespace hybridrec
