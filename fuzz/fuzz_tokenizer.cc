// Fuzzes the WordPiece tokenizer (content/minilm/wordpiece_tokenizer.h) with arbitrary bytes as
// text, against the real all-MiniLM-L6-v2 vocab.txt when present (else the test fixture's).
// Every result must be [CLS] ids... [SEP], within max_len, with ids inside the vocabulary.
//
// Input starting with "VOCAB\n": the rest is a vocab.txt, loaded and used on a fixed text (the
// vocab file of a model folder is outside input too).
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "content/minilm/wordpiece_tokenizer.h"
#include "fuzz/fuzz_util.h"

namespace hybridrec {
namespace {

std::filesystem::path VocabPath() {
  if (const char* env = std::getenv("HYBRIDREC_FUZZ_VOCAB")) return env;
  const std::filesystem::path real =
      std::filesystem::path(HYBRIDREC_SOURCE_DIR) / "../shared/models/all-MiniLM-L6-v2/vocab.txt";
  if (std::filesystem::exists(real)) return real;
  return std::filesystem::path(HYBRIDREC_SOURCE_DIR) / "tests/fixtures/minilm-tiny/vocab.txt";
}

const WordPieceTokenizer& Tokenizer(int which) {
  static const auto make = [](WordPieceOptions o) {
    auto t = WordPieceTokenizer::Load(VocabPath(), o);
    if (!t.ok()) {
      std::fprintf(stderr, "cannot load vocab: %s\n", t.status().ToString().c_str());
      std::abort();
    }
    return std::move(t).value();
  };
  static const WordPieceTokenizer normal = make({});
  static const WordPieceTokenizer tight = make({.max_len = 5, .max_input_chars_per_word = 6});
  return which == 0 ? normal : tight;
}

void CheckEncoding(const WordPieceTokenizer& t, const std::vector<int32_t>& ids) {
  HR_FUZZ_CHECK(ids.size() >= 2);
  HR_FUZZ_CHECK(ids.size() <= static_cast<size_t>(t.options().max_len));
  HR_FUZZ_CHECK(ids.front() == t.cls_id());
  HR_FUZZ_CHECK(ids.back() == t.sep_id());
  for (int32_t id : ids) HR_FUZZ_CHECK(id >= 0 && id < t.vocab_size());
}

}  // namespace
}  // namespace hybridrec

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hybridrec;
  const std::string_view in = fuzz::AsView(data, size);
  constexpr std::string_view kVocabMode = "VOCAB\n";
  if (in.substr(0, kVocabMode.size()) == kVocabMode) {
    const auto path = fuzz::ScratchDir() / "vocab.txt";
    fuzz::WriteBytes(path, in.substr(kVocabMode.size()));
    auto t = WordPieceTokenizer::Load(path, {.max_len = 16});
    if (t.ok()) {
      CheckEncoding(*t, t->Encode("Hello, wörld! 東京 unaffable [UNK] ##ing"));
      HR_FUZZ_CHECK(t->Find(t->token(t->unk_id())) == t->unk_id());
    }
    return 0;
  }
  for (int which = 0; which < 2; ++which) {
    const WordPieceTokenizer& t = Tokenizer(which);
    CheckEncoding(t, t.Encode(in));
    for (const std::string& word : t.BasicTokenize(in)) {
      HR_FUZZ_CHECK(!word.empty());
      std::vector<int32_t> pieces;
      t.WordPiece(word, pieces);
      HR_FUZZ_CHECK(!pieces.empty());
      for (int32_t id : pieces) HR_FUZZ_CHECK(id >= 0 && id < t.vocab_size());
    }
  }
  return 0;
}
