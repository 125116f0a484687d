// WordPieceTokenizer: the BERT "uncased" tokenizer used by all-MiniLM-L6-v2, i.e. the basic
// tokenizer (clean, CJK split, lower-case, NFD + accent strip, whitespace/punctuation split)
// followed by greedy longest-match-first WordPiece over a vocab.txt (one token per line,
// id = line index).
//
// Invalid UTF-8: every byte that does not start a valid UTF-8 sequence is decoded as U+FFFD,
// which the cleaning step then drops (as BERT drops U+FFFD), so invalid bytes simply vanish
// and the valid text around them is tokenised normally. Never throws on any input bytes.
//
// Thread-safety: immutable after Load; Encode is const and safe to call concurrently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace hybridrec {

struct WordPieceOptions {
  int max_len = 256;                // total ids including [CLS] and [SEP]; must be >= 2
  int max_input_chars_per_word = 100;  // longer words (in code points) become [UNK]
};

class WordPieceTokenizer {
 public:
  // Reads vocab.txt (UTF-8, one token per line, optional trailing '\r'). It must contain
  // [UNK], [CLS], [SEP] and [PAD]; duplicate tokens keep their first id.
  static Result<WordPieceTokenizer> Load(const std::filesystem::path& vocab_file,
                                         WordPieceOptions options = {});
  // Builds from an in-memory token list (id = index). Same requirements as Load.
  static Result<WordPieceTokenizer> FromTokens(std::vector<std::string> tokens,
                                               WordPieceOptions options = {});

  // [CLS] wordpieces... [SEP], truncated so that the result has at most max_len ids (the
  // first max_len - 2 wordpieces are kept, [SEP] stays last).
  std::vector<int32_t> Encode(std::string_view text) const;

  // The basic-tokenizer stage alone: cleaned, lower-cased, accent-stripped words and
  // punctuation marks, each as UTF-8. Exposed for tests and debugging.
  std::vector<std::string> BasicTokenize(std::string_view text) const;
  // WordPiece stage for one basic token; appends ids to `out`.
  void WordPiece(std::string_view word, std::vector<int32_t>& out) const;

  int vocab_size() const { return static_cast<int>(tokens_.size()); }
  int32_t pad_id() const { return pad_id_; }
  int32_t unk_id() const { return unk_id_; }
  int32_t cls_id() const { return cls_id_; }
  int32_t sep_id() const { return sep_id_; }
  // Token text of `id`; REQUIRES: 0 <= id < vocab_size().
  const std::string& token(int32_t id) const { return tokens_[static_cast<size_t>(id)]; }
  // Id of `token`, or -1.
  int32_t Find(std::string_view token) const;
  const WordPieceOptions& options() const { return options_; }

 private:
  WordPieceOptions options_;
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int32_t> ids_;
  int32_t pad_id_ = 0, unk_id_ = 0, cls_id_ = 0, sep_id_ = 0;
};

}  // namespace hybridrec
