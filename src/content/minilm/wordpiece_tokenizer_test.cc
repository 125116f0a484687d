// Expected ids were derived from the real vocab.txt (id = line number - 1), e.g.
// `grep -n -x hello vocab.txt` -> 7593 -> id 7592, with WordPiece splits worked out by
// longest-prefix search over the same file.
#include "content/minilm/wordpiece_tokenizer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/random.h"

namespace hybridrec {
namespace {

using Ids = std::vector<int32_t>;

const std::filesystem::path kRealVocab =
    std::filesystem::path(HYBRIDREC_SHARED_DIR) / "models" / "all-MiniLM-L6-v2" / "vocab.txt";

class RealVocabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kRealVocab)) GTEST_SKIP() << kRealVocab << " is absent (shared model folder)";
    auto r = WordPieceTokenizer::Load(kRealVocab);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    tok_ = std::make_unique<WordPieceTokenizer>(std::move(r).value());
  }
  Ids Enc(std::string_view s) const { return tok_->Encode(s); }
  std::unique_ptr<WordPieceTokenizer> tok_;
};

TEST_F(RealVocabTest, SpecialIds) {
  EXPECT_EQ(tok_->vocab_size(), 30522);
  EXPECT_EQ(tok_->pad_id(), 0);
  EXPECT_EQ(tok_->unk_id(), 100);
  EXPECT_EQ(tok_->cls_id(), 101);
  EXPECT_EQ(tok_->sep_id(), 102);
}

TEST_F(RealVocabTest, HelloWorld) { EXPECT_EQ(Enc("hello world"), (Ids{101, 7592, 2088, 102})); }

TEST_F(RealVocabTest, EmptyAndBlank) {
  EXPECT_EQ(Enc(""), (Ids{101, 102}));
  EXPECT_EQ(Enc(" \t\n "), (Ids{101, 102}));
}

TEST_F(RealVocabTest, AccentsAreStripped) {
  EXPECT_EQ(Enc("Café Amélie"), (Ids{101, 7668, 25285, 102}));
  // Already-decomposed input (e + U+0301 COMBINING ACUTE) gives the same ids.
  EXPECT_EQ(Enc("Cafe\xCC\x81 Ame\xCC\x81lie"), (Ids{101, 7668, 25285, 102}));
  EXPECT_EQ(Enc("ÉCOLE naïve Ångström"), (Ids{101, 12431, 15743, 17076, 15687, 102}));
}

TEST_F(RealVocabTest, Punctuation) {
  EXPECT_EQ(Enc("Hello, world! How are you?"), (Ids{101, 7592, 1010, 2088, 999, 2129, 2024, 2017, 1029, 102}));
  // Unicode P* punctuation and ASCII symbols that are not Unicode punctuation ($ ^).
  EXPECT_EQ(Enc("¿Qué? «quote» — dash"), (Ids{101, 1094, 10861, 1029, 1077, 14686, 1090, 1517, 11454, 102}));
  EXPECT_EQ(Enc("$5^2"), (Ids{101, 1002, 1019, 1034, 1016, 102}));
}

TEST_F(RealVocabTest, Numbers) {
  EXPECT_EQ(Enc("I have 12 apples and 3.14 pies in 2024"),
            (Ids{101, 1045, 2031, 2260, 18108, 1998, 1017, 1012, 2403, 11345, 2015, 1999, 16798, 2549, 102}));
}

TEST_F(RealVocabTest, Apostrophes) { EXPECT_EQ(Enc("don't stop"), (Ids{101, 2123, 1005, 1056, 2644, 102})); }

TEST_F(RealVocabTest, CjkCharactersAreSingleTokens) {
  EXPECT_EQ(Enc("中文"), (Ids{101, 1746, 1861, 102}));
  // 欢 迎 你 are not in this vocabulary: each is its own [UNK], not one [UNK] for the run.
  EXPECT_EQ(Enc("北京欢迎你 hello"), (Ids{101, 1781, 1755, 100, 100, 100, 7592, 102}));
}

TEST_F(RealVocabTest, WordPieceContinuations) {
  EXPECT_EQ(Enc("tokenization unbelievable"), (Ids{101, 19204, 3989, 23653, 102}));
  EXPECT_EQ(tok_->token(3989), "##ization");
  EXPECT_EQ(Enc("supercalifragilistic"), (Ids{101, 3565, 9289, 10128, 29181, 24411, 4588, 102}));
}

TEST_F(RealVocabTest, WhitespaceAndControlCharacters) {
  // Tab and NO-BREAK SPACE separate words; BEL (a control character) is dropped, joining c+d.
  EXPECT_EQ(Enc("a\tb\xC2\xA0" "c\x07" "d"), (Ids{101, 1037, 1038, 3729, 102}));
}

TEST_F(RealVocabTest, OverlongWordIsUnk) {
  EXPECT_EQ(Enc(std::string(101, 'x') + " ok"), (Ids{101, 100, 7929, 102}));
  const Ids hundred = Enc(std::string(100, 'x'));  // exactly 100 characters is still split
  ASSERT_GT(hundred.size(), 3u);
  EXPECT_NE(hundred[1], 100);
}

TEST_F(RealVocabTest, TruncatesTo256KeepingClsAndSep) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "hello ";
  const Ids ids = Enc(text);
  ASSERT_EQ(ids.size(), 256u);
  EXPECT_EQ(ids.front(), 101);
  EXPECT_EQ(ids.back(), 102);
  for (size_t i = 1; i + 1 < ids.size(); ++i) ASSERT_EQ(ids[i], 7592) << i;
}

TEST_F(RealVocabTest, InvalidUtf8BytesAreDropped) {
  // NUL, U+FFFD and an invalid byte all vanish; the text around them joins.
  EXPECT_EQ(Enc(std::string("ab\0c\xEF\xBF\xBD" "d", 8)), (Ids{101, 5925, 2094, 102}));
  EXPECT_EQ(Enc("ab\xFF" "cd"), (Ids{101, 5925, 2094, 102}));
  EXPECT_EQ(Enc("hello\xC3"), Enc("hello"));                 // truncated sequence
  EXPECT_EQ(Enc("hello \xC0\xAF world"), Enc("hello world"));  // overlong '/'
  EXPECT_EQ(Enc("hello \xED\xA0\x80 world"), Enc("hello world"));  // UTF-16 surrogate
  EXPECT_EQ(Enc("\x80\x80\x80"), (Ids{101, 102}));
}

TEST_F(RealVocabTest, RandomBytesNeverCrash) {
  Rng rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::string s(rng.Below(64), '\0');
    for (char& c : s) c = static_cast<char>(rng.Below(256));
    const Ids ids = Enc(s);
    ASSERT_GE(ids.size(), 2u);
    EXPECT_EQ(ids.front(), 101);
    EXPECT_EQ(ids.back(), 102);
    for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < tok_->vocab_size());
  }
}

TEST(WordPieceTokenizer, ShortMaxLenKeepsClsAndSep) {
  auto r = WordPieceTokenizer::FromTokens({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b"}, {.max_len = 3});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Encode("a b a"), (Ids{2, 4, 3}));
  EXPECT_FALSE(WordPieceTokenizer::FromTokens({"[PAD]", "[UNK]", "[CLS]", "[SEP]"}, {.max_len = 1}).ok());
}

TEST(WordPieceTokenizer, UnmatchableRemainderMakesWholeWordUnk) {
  auto r = WordPieceTokenizer::FromTokens({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "ab", "##c"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Encode("abc"), (Ids{2, 4, 5, 3}));
  EXPECT_EQ(r->Encode("abd"), (Ids{2, 1, 3}));
}

TEST(WordPieceTokenizer, LoadErrorsNameTheFile) {
  auto missing = WordPieceTokenizer::Load("/nonexistent/vocab.txt");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/vocab.txt"), std::string::npos);
  auto no_special = WordPieceTokenizer::FromTokens({"[PAD]", "a"});
  ASSERT_FALSE(no_special.ok());
  EXPECT_NE(no_special.status().message().find("[UNK]"), std::string::npos);
}

// The tiny fixture's ids were produced by the Python tokenizer in tools/make_minilm_fixture.py.
TEST(WordPieceTokenizer, MatchesFixtureIds) {
  const auto dir = std::filesystem::path(HYBRIDREC_SOURCE_DIR) / "tests" / "fixtures" / "minilm-tiny";
  auto tok = WordPieceTokenizer::Load(dir / "vocab.txt");
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  std::ifstream in(dir / "expected.json");
  const auto j = nlohmann::json::parse(in);
  const auto& sentences = j.at("sentences");
  ASSERT_GE(sentences.size(), 8u);
  for (size_t i = 0; i < sentences.size(); ++i)
    EXPECT_EQ(tok->Encode(sentences[i].get<std::string>()), j.at("token_ids")[i].get<Ids>()) << i;
}

}  // namespace
}  // namespace hybridrec
