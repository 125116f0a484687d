// Fuzzes the safetensors reader (content/minilm/safetensors.h): header length, JSON header,
// tensor table (dtype, shape, offsets, overlaps), then reads every tensor, and finally tries
// to load the file as the weights of a tiny BERT (every tensor name and shape checked), so the
// table-to-weights mapping of BertModel::Load is fuzzed too.
#include <cstdint>

#include "content/minilm/bert_model.h"
#include "content/minilm/safetensors.h"
#include "fuzz/fuzz_util.h"

namespace {

// Matches the seed corpus (fuzz/make_seeds.py).
hybridrec::BertConfig TinyConfig() {
  hybridrec::BertConfig c;
  c.hidden_size = 4;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 2;
  c.intermediate_size = 8;
  c.max_position_embeddings = 8;
  c.vocab_size = 16;
  c.type_vocab_size = 2;
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hybridrec;
  const auto path = fuzz::ScratchDir() / "model.safetensors";
  fuzz::WriteBytes(path, fuzz::AsView(data, size));
  {
    auto f = SafetensorsFile::Open(path);
    if (!f.ok()) {
      HR_FUZZ_CHECK(f.status().message().find("model.safetensors") != std::string::npos);
      return 0;
    }
    for (const SafetensorsTensor& t : f->tensors()) {
      HR_FUZZ_CHECK(f->Find(t.name) != nullptr);
      HR_FUZZ_CHECK(t.file_offset + t.byte_size <= size);
      HR_FUZZ_CHECK(t.byte_size == static_cast<size_t>(t.numel()) * DTypeSize(t.dtype));
      HR_FUZZ_CHECK(f->Bytes(t).size() == t.byte_size);
      auto v = f->ReadFloat(t);
      if (t.dtype == SafetensorsDType::kI64) {
        HR_FUZZ_CHECK(!v.ok());
      } else {
        HR_FUZZ_CHECK(v.ok() && v->size() == static_cast<size_t>(t.numel()));
      }
    }
  }
  auto m = BertModel::Load(TinyConfig(), path);
  if (m.ok()) {
    const std::vector<int32_t> ids = {1, 5, 2};
    std::vector<float> out(4);
    m->Forward(std::span<const std::vector<int32_t>>(&ids, 1), out.data(), {.threads = 1});
  }
  return 0;
}
