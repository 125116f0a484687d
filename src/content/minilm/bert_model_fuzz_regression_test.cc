// Regressions found by fuzz/fuzz_safetensors.cc.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "content/minilm/bert_model.h"
#include "content/minilm/fast_math.h"
#include "content/minilm/safetensors.h"
#include "core/file_util.h"

namespace hybridrec {
namespace {
namespace fs = std::filesystem;

const fs::path kFixture = fs::path(HYBRIDREC_SOURCE_DIR) / "tests" / "fixtures" / "minilm-tiny";

// A weights file with a NaN or Inf weight used to load, and the forward pass then converted
// NaN to int inside ExpOne (undefined behaviour, reported by UBSan). Load now refuses it,
// naming the tensor.
TEST(BertModelFuzzRegression, NonFiniteWeightIsRefusedNamingTheTensor) {
  auto config = BertConfig::Load(kFixture / "config.json");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto bytes = ReadFile(kFixture / "model.safetensors");
  ASSERT_TRUE(bytes.ok());
  std::string name;
  size_t offset = 0;
  {
    auto f = SafetensorsFile::Open(kFixture / "model.safetensors");
    ASSERT_TRUE(f.ok());
    const SafetensorsTensor* t = f->Find("embeddings.LayerNorm.weight");
    if (t == nullptr) t = f->Find("bert.embeddings.LayerNorm.weight");
    ASSERT_NE(t, nullptr);
    ASSERT_EQ(t->dtype, SafetensorsDType::kF32);
    name = t->name;
    offset = t->file_offset + 4 * 3;  // element 3
  }
  const fs::path dir = fs::temp_directory_path() / ("hr_bert_fuzz_regression_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    std::string damaged = *bytes;
    std::memcpy(damaged.data() + offset, &bad, 4);
    ASSERT_TRUE(WriteFileAtomic(dir / "model.safetensors", damaged).ok());
    auto m = BertModel::Load(*config, dir / "model.safetensors");
    ASSERT_FALSE(m.ok()) << "non-finite weight accepted";
    EXPECT_NE(m.status().message().find(name), std::string::npos) << m.status().ToString();
    EXPECT_NE(m.status().message().find("non-finite"), std::string::npos) << m.status().ToString();
  }
  fs::remove_all(dir);
}

// config.json: a number too large for a double escaped BertConfig::Load as
// nlohmann::json::out_of_range (std::terminate); a layer_norm_eps beyond float's range was
// converted to float (undefined behaviour); an integer beyond 32 bits was silently truncated.
TEST(BertModelFuzzRegression, ConfigNumbersOutOfRangeAreRefused) {
  const fs::path dir = fs::temp_directory_path() / ("hr_bert_config_regression_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string base =
      R"("hidden_act": "gelu", "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64,
         "max_position_embeddings": 64, "vocab_size": 135, "type_vocab_size": 2)";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"architectures": [3333E3333333333], "hidden_size": 32, )" + base + "}", "malformed"},
      {R"({"hidden_size": 32, "layer_norm_eps": 1e300, )" + base + "}", "layer_norm_eps"},
      {R"({"hidden_size": 32, "layer_norm_eps": -1, )" + base + "}", "layer_norm_eps"},
      {R"({"hidden_size": 4294967328, )" + base + "}", "hidden_size"},
      {R"({"hidden_size": 18446744073709551615, )" + base + "}", "hidden_size"},
  };
  for (const auto& [text, what] : cases) {
    ASSERT_TRUE(WriteFileAtomic(dir / "config.json", text).ok());
    Result<BertConfig> c = Status::Corruption("not run");
    ASSERT_NO_THROW(c = BertConfig::Load(dir / "config.json")) << text;
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_NE(c.status().message().find("config.json"), std::string::npos) << c.status().ToString();
    EXPECT_NE(c.status().message().find(what), std::string::npos) << c.status().ToString();
  }
  // The same config with sane numbers loads.
  ASSERT_TRUE(WriteFileAtomic(dir / "config.json", R"({"hidden_size": 32, "layer_norm_eps": 1e-12, )" + base + "}").ok());
  EXPECT_TRUE(BertConfig::Load(dir / "config.json").ok());
  fs::remove_all(dir);
}

// ExpInPlace on NaN must not convert NaN to int (UB); it clamps like a very negative input.
TEST(BertModelFuzzRegression, ExpOfNanIsDefined) {
  std::vector<float> x = {std::numeric_limits<float>::quiet_NaN(), -1e30f, 1e30f, 0.f};
  ExpInPlace(x.data(), x.size());
  EXPECT_GE(x[0], 0.f);
  EXPECT_LT(x[0], 1e-30f);
  EXPECT_LT(x[1], 1e-30f);
  EXPECT_TRUE(std::isfinite(x[2]));
  EXPECT_FLOAT_EQ(x[3], 1.f);
}

}  // namespace
}  // namespace hybridrec

namespace hybridrec {
namespace {

// A header holding a number too large for a double made nlohmann::json throw out_of_range
// (not parse_error) out of SafetensorsFile::Open, ending the process (fuzz_safetensors, CI run).
TEST(SafetensorsFuzzRegression, HeaderNumberOverflowIsRefusedNotThrown) {
  const std::string header = "{\"pos\":2222e2222222222222222}";
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  bytes += header;
  const auto file = std::filesystem::temp_directory_path() /
                    ("hr_safetensors_overflow_" + std::to_string(::getpid()) + ".safetensors");
  ASSERT_TRUE(WriteFileAtomic(file, bytes).ok());
  auto f = SafetensorsFile::Open(file);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().ToString().find(file.string()), std::string::npos) << f.status().ToString();
  EXPECT_NE(f.status().ToString().find("malformed JSON header"), std::string::npos) << f.status().ToString();
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace hybridrec
