// Quality sanity of the encoders on the real MovieLens-100K catalogue:
// Toy Story's nearest items and the query "animated children's adventure" should be
// animation or children's films. The catalogue is read here directly from u.item so this test
// does not depend on the data layer; it is skipped when the dataset is not present, and the
// MiniLM variant is skipped (saying why) unless the real weights have been fetched.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <fstream>
#include <sstream>

#include "content/encoder_factory.h"
#include "content/lsa_encoder.h"
#include "content/minilm/minilm_encoder.h"
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

// One catalogue + encoder + index per encoder name, built once for the whole suite.
struct Catalogue {
  std::vector<Movie> movies;
  std::unique_ptr<TextEncoder> encoder;
  std::unique_ptr<BruteForceIndex> index;
  std::string skip_reason;  // non-empty: the encoder or the data is not available here
};

Catalogue* BuildCatalogue(const std::string& encoder_name) {
  auto* c = new Catalogue;
  const std::filesystem::path file = std::filesystem::path(HYBRIDREC_SHARED_DIR) / "data/ml-100k/u.item";
  if (!std::filesystem::exists(file)) {
    c->skip_reason = "ML-100K not found at " + file.string();
    return c;
  }
  c->movies = LoadMl100kItems(file);
  std::vector<std::string> texts;
  for (const auto& m : c->movies) texts.push_back(ItemText(m));
  if (encoder_name == "lsa") {
    auto enc = LsaEncoder::Fit(texts, LsaOptions{});
    if (!enc.ok()) { c->skip_reason = enc.status().ToString(); return c; }
    c->encoder = std::move(enc).value();
  } else {
    // The real MiniLM weights cannot be downloaded on the build machines; this check runs where
    // a user has fetched them (`hybridrec fetch-model all-MiniLM-L6-v2`).
    const auto dir = DefaultMiniLmDir();
    if (!MiniLmEncoder::HasModelFiles(dir)) {
      c->skip_reason = "real MiniLM weights not present in " + dir.string() +
                       " (get them with `hybridrec fetch-model all-MiniLM-L6-v2`, or set HYBRIDREC_MINILM_DIR)";
      return c;
    }
    auto enc = MiniLmEncoder::Load(dir);
    if (!enc.ok()) { c->skip_reason = enc.status().ToString(); return c; }
    c->encoder = std::move(enc).value();
  }
  std::vector<float> emb;
  if (Status st = c->encoder->Encode(texts, emb); !st.ok()) { c->skip_reason = st.ToString(); return c; }
  c->index = std::make_unique<BruteForceIndex>(c->encoder->dimension());
  std::vector<int64_t> ids(texts.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
  if (Status st = c->index->Add(emb, ids); !st.ok()) c->skip_reason = st.ToString();
  return c;
}

class LsaQuality : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    static std::map<std::string, std::unique_ptr<Catalogue>> cache;  // built once per encoder
    auto& c = cache[GetParam()];
    if (c == nullptr) c.reset(BuildCatalogue(GetParam()));
    cat_ = c.get();
    if (!cat_->skip_reason.empty()) GTEST_SKIP() << GetParam() << ": " << cat_->skip_reason;
    movies_ = &cat_->movies;
  }
  std::vector<SearchHit> Query(const std::string& text, int k) {
    std::vector<float> q;
    EXPECT_TRUE(cat_->encoder->Encode(std::span<const std::string>(&text, 1), q).ok());
    std::vector<SearchHit> hits;
    cat_->index->Search(q, k, hits);
    return hits;
  }
  Catalogue* cat_ = nullptr;
  const std::vector<Movie>* movies_ = nullptr;
};

TEST_P(LsaQuality, ToyStoryNeighboursAreMostlyAnimationOrChildrens) {
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
  std::cout << "[" << GetParam() << "] Toy Story: " << family << "/10 neighbours are Animation or Children's\n" << listing;
}

TEST_P(LsaQuality, AnimatedChildrensAdventureQueryFindsFamilyFilms) {
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
  std::cout << "[" << GetParam() << "] query: " << family << "/5 are Animation or Children's\n" << listing;
}

INSTANTIATE_TEST_SUITE_P(Encoders, LsaQuality, ::testing::Values("lsa", "minilm"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace hybridrec
