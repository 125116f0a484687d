#include "content/content_model.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace hybridrec {
namespace {

Dataset SmallCatalogue() {
  Dataset d;
  const std::vector<std::pair<std::string, std::vector<std::string>>> items = {
      {"Toy Story (1995)", {"Animation", "Children's", "Comedy"}},
      {"Aladdin (1992)", {"Animation", "Children's", "Musical"}},
      {"Lion King, The (1994)", {"Animation", "Children's", "Musical"}},
      {"Die Hard (1988)", {"Action", "Thriller"}},
      {"Die Hard 2 (1990)", {"Action", "Thriller"}},
      {"Speed (1994)", {"Action", "Romance", "Thriller"}},
      {"Casablanca (1942)", {"Drama", "Romance", "War"}},
      {"Sleepless in Seattle (1993)", {"Comedy", "Romance"}},
  };
  for (size_t i = 0; i < items.size(); ++i) {
    d.items.GetOrAdd("m" + std::to_string(i + 1));
    Item it;
    it.title = items[i].first;
    it.genres = items[i].second;
    d.item_info.push_back(it);
  }
  return d;
}

TEST(ContentModel, BuildSaveLoadSearchAndSimilar) {
  const Dataset data = SmallCatalogue();
  ContentModelOptions opt;
  opt.encoder.choice = EncoderChoice::kLsa;
  opt.encoder.lsa.dim = 4;
  opt.batch_size = 3;
  std::string message;
  size_t last_done = 0;
  auto model = BuildContentModel(data, opt, &message, [&](size_t done, size_t total) {
    EXPECT_EQ(total, 8u);
    EXPECT_GT(done, last_done);
    last_done = done;
  });
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(last_done, 8u);
  EXPECT_NE(message.find("lsa"), std::string::npos);
  EXPECT_EQ(model->index->kind(), "flat");
  EXPECT_EQ(model->num_items(), 8u);

  const auto dir = std::filesystem::temp_directory_path() / ("hr_content_model_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto files = SaveContentModel(*model, dir);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto loaded = LoadContentModel(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->item_ids, model->item_ids);
  EXPECT_EQ(loaded->titles[3], "Die Hard (1988)");
  EXPECT_EQ(loaded->embeddings, model->embeddings);

  auto hits = SearchByText(*loaded, "die hard action", 3);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 3u);
  EXPECT_TRUE((*hits)[0].item == 3 || (*hits)[0].item == 4);
  auto none = SearchByText(*loaded, "xyzzy plugh", 3);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  // Over the encoder and index directly, k above the catalogue size: every item, once.
  auto all = SearchByText(*loaded->encoder, *loaded->index, "die hard action", 1000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), loaded->num_items());
  EXPECT_EQ((*all)[0].item, (*hits)[0].item);

  const auto sim = SimilarItems(*loaded, 3, 2);
  ASSERT_EQ(sim.size(), 2u);
  EXPECT_EQ(sim[0].item, 4u);  // Die Hard 2, itself excluded
  for (const auto& h : sim) EXPECT_NE(h.item, 3u);
  EXPECT_THROW(SimilarItems(*loaded, 99, 2), std::invalid_argument);

  // A damaged index is refused, naming the file.
  std::filesystem::resize_file(dir / ContentModel::kIndexFile, 10);
  auto bad = LoadContentModel(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(ContentModel::kIndexFile), std::string::npos) << bad.status().ToString();
  std::filesystem::remove_all(dir);
}

TEST(EncoderFactory, AutoFallsBackToLsaWithInstructions) {
  const Dataset data = SmallCatalogue();
  std::vector<std::string> texts;
  for (uint32_t i = 0; i < data.num_items(); ++i) texts.push_back(data.ItemText(i));
  EncoderOptions opt;
  opt.minilm_dir = std::filesystem::temp_directory_path() / "hr_no_such_minilm_dir";
  opt.lsa.dim = 4;
  auto sel = MakeEncoder(opt, texts);
  ASSERT_TRUE(sel.ok()) << sel.status().ToString();
  EXPECT_EQ(sel->encoder->name(), "lsa");
  EXPECT_NE(sel->message.find("fetch-model all-MiniLM-L6-v2"), std::string::npos) << sel->message;
  EXPECT_NE(sel->message.find("model.safetensors"), std::string::npos) << sel->message;
  // Explicit minilm without weights is an error, not a silent fallback.
  opt.choice = EncoderChoice::kMiniLm;
  EXPECT_FALSE(MakeEncoder(opt, texts).ok());
  EXPECT_FALSE(ParseEncoderChoice("bert").ok());
  EXPECT_EQ(*ParseEncoderChoice("lsa"), EncoderChoice::kLsa);
  // LoadEncoder on a directory without encoder files.
  auto r = LoadEncoder(opt.minilm_dir);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace hybridrec
