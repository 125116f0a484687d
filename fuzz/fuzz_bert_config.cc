// Fuzzes BertConfig::Load (content/minilm/bert_model.h), the config.json of a MiniLM folder.
// A loaded config must pass Validate.
#include <cstdint>

#include "content/minilm/bert_model.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hybridrec;
  const auto path = fuzz::ScratchDir() / "config.json";
  fuzz::WriteBytes(path, fuzz::AsView(data, size));
  auto c = BertConfig::Load(path);
  if (c.ok()) {
    HR_FUZZ_CHECK(c->Validate().ok());
    HR_FUZZ_CHECK(c->hidden_size > 0 && c->num_attention_heads > 0 &&
                  c->hidden_size % c->num_attention_heads == 0);
  } else {
    HR_FUZZ_CHECK(c.status().message().find("config.json") != std::string::npos);
  }
  return 0;
}
