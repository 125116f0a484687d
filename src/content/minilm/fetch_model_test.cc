#include "content/minilm/fetch_model.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>

namespace hybridrec {
namespace {

namespace fs = std::filesystem;

fs::path Scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("hr_fetch_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p;
}

// The shared mirror on the build machines has tokenizer and config files but no weights.
TEST(FetchModel, SharedMirrorWithoutWeightsSaysSoAndWritesNothing) {
  const fs::path mirror = fs::path(HYBRIDREC_SHARED_DIR) / "models" / "all-MiniLM-L6-v2";
  if (!fs::exists(mirror / "vocab.txt")) GTEST_SKIP() << mirror << " is absent";
  if (fs::exists(mirror / "model.safetensors")) GTEST_SKIP() << "this mirror has the weights";
  FetchModelOptions o;
  o.mirror = mirror;
  o.dest = Scratch("dest");
  auto r = FetchModel(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  const std::string& msg = r.status().message();
  EXPECT_EQ(msg.rfind((mirror / "model.safetensors").string() +
                          " is missing: this mirror has the tokenizer and config but not the weights; download them with: ",
                      0),
            0u)
      << msg;
  EXPECT_NE(msg.find("https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/model.safetensors"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(o.dest));
}

TEST(FetchModel, CopiesFromMirrorAndVerifiesTheFolder) {
  const fs::path fixture = fs::path(HYBRIDREC_SOURCE_DIR) / "tests" / "fixtures" / "minilm-tiny";
  FetchModelOptions o;
  o.mirror = fixture;
  o.dest = Scratch("copy");
  std::ostringstream log;
  auto r = FetchModel(o, &log);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.value(), (std::vector<std::string>{"config.json", "vocab.txt", "model.safetensors"}));
  EXPECT_TRUE(fs::exists(o.dest / "model.safetensors"));
  EXPECT_NE(log.str().find("model ready"), std::string::npos);
  fs::remove_all(o.dest);
}

TEST(FetchModel, DownloadFailureNamesUrl) {
  FetchModelOptions o;
  o.dest = Scratch("dl");
  o.hub_url = "file:///nonexistent-hub";  // curl fails fast, no network needed
  auto r = FetchModel(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("file:///nonexistent-hub/all-MiniLM-L6-v2/resolve/main/config.json"),
            std::string::npos)
      << r.status().message();
  EXPECT_FALSE(fs::exists(o.dest / "config.json"));
  fs::remove_all(o.dest);
}

TEST(FetchModel, UnknownModelIsRefused) {
  FetchModelOptions o;
  o.model = "bert-base-uncased";
  auto r = FetchModel(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("supported: all-MiniLM-L6-v2"), std::string::npos);
}

}  // namespace
}  // namespace hybridrec
