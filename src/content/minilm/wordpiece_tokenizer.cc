#include "content/minilm/wordpiece_tokenizer.h"

#include <utf8proc.h>

#include <fstream>
#include <stdexcept>

namespace hybridrec {
namespace {

constexpr utf8proc_int32_t kReplacement = 0xFFFD;

// Decodes UTF-8 into code points; each byte that does not start a valid sequence becomes
// U+FFFD (one per byte) so decoding always advances and never fails.
std::vector<utf8proc_int32_t> Decode(std::string_view s) {
  std::vector<utf8proc_int32_t> cps;
  cps.reserve(s.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) {
      cps.push_back(kReplacement);
      ++p;
      --left;
    } else {
      cps.push_back(cp);
      p += n;
      left -= n;
    }
  }
  return cps;
}

void AppendUtf8(utf8proc_int32_t cp, std::string& out) {
  utf8proc_uint8_t buf[4];
  const utf8proc_ssize_t n = utf8proc_encode_char(cp, buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

// BERT treats \t \n \r and the Zs category as whitespace.
bool IsWhitespace(utf8proc_int32_t cp) {
  if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') return true;
  return utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

// BERT's control characters: every C* category except the \t \n \r whitespace.
bool IsControl(utf8proc_int32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CS:
      return true;
    default:
      return false;
  }
}

// ASCII symbols such as ^ $ ` are not Unicode punctuation but BERT splits on them too.
bool IsPunctuation(utf8proc_int32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
      (cp >= 123 && cp <= 126))
    return true;
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

// The CJK Unified Ideographs blocks BERT isolates (not Hangul or kana, which are spaced).
bool IsCjk(utf8proc_int32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// Lower-case, then canonical decomposition (NFD) with nonspacing marks (Mn) removed.
void LowerStripAccents(utf8proc_int32_t cp, std::vector<utf8proc_int32_t>& out) {
  const utf8proc_int32_t lower = utf8proc_tolower(cp);
  utf8proc_int32_t buf[16];
  int last_boundclass = 0;
  const utf8proc_ssize_t n = utf8proc_decompose_char(lower, buf, 16, UTF8PROC_DECOMPOSE, &last_boundclass);
  if (n < 0 || n > 16) {  // cannot happen for valid code points; keep the character as is
    out.push_back(lower);
    return;
  }
  for (utf8proc_ssize_t i = 0; i < n; ++i)
    if (utf8proc_category(buf[i]) != UTF8PROC_CATEGORY_MN) out.push_back(buf[i]);
}

}  // namespace

Result<WordPieceTokenizer> WordPieceTokenizer::Load(const std::filesystem::path& vocab_file,
                                                    WordPieceOptions options) {
  std::ifstream in(vocab_file, std::ios::binary);
  if (!in)
    return Status::IOError("cannot open vocabulary " + vocab_file.string() +
                           ": expected a BERT vocab.txt (one token per line)");
  std::vector<std::string> tokens;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    tokens.push_back(line);
  }
  if (in.bad()) return Status::IOError("read error in " + vocab_file.string());
  auto r = FromTokens(std::move(tokens), options);
  if (!r.ok()) return r.status().WithContext(vocab_file.string());
  return r;
}

Result<WordPieceTokenizer> WordPieceTokenizer::FromTokens(std::vector<std::string> tokens,
                                                          WordPieceOptions options) {
  if (options.max_len < 2)
    return Status::InvalidArgument("WordPieceOptions.max_len must be >= 2 (room for [CLS] and [SEP]), got " +
                                   std::to_string(options.max_len));
  WordPieceTokenizer t;
  t.options_ = options;
  t.tokens_ = std::move(tokens);
  t.ids_.reserve(t.tokens_.size());
  for (size_t i = 0; i < t.tokens_.size(); ++i) t.ids_.emplace(t.tokens_[i], static_cast<int32_t>(i));
  for (auto [name, dst] : {std::pair{"[PAD]", &t.pad_id_}, std::pair{"[UNK]", &t.unk_id_},
                           std::pair{"[CLS]", &t.cls_id_}, std::pair{"[SEP]", &t.sep_id_}}) {
    const int32_t id = t.Find(name);
    if (id < 0)
      return Status::Corruption(std::string("vocabulary has no ") + name + " token (" +
                                std::to_string(t.tokens_.size()) + " lines read); is this a BERT vocab.txt?");
    *dst = id;
  }
  return t;
}

int32_t WordPieceTokenizer::Find(std::string_view token) const {
  auto it = ids_.find(std::string(token));
  return it == ids_.end() ? -1 : it->second;
}

std::vector<std::string> WordPieceTokenizer::BasicTokenize(std::string_view text) const {
  const std::vector<utf8proc_int32_t> cps = Decode(text);
  std::vector<std::string> words;
  std::string cur;
  std::vector<utf8proc_int32_t> norm;
  auto flush = [&] {
    if (!cur.empty()) words.push_back(std::move(cur));
    cur.clear();
  };
  for (const utf8proc_int32_t cp : cps) {
    // Cleaning: drop NUL, U+FFFD and control characters; any whitespace separates words.
    if (cp == 0 || cp == kReplacement || IsControl(cp)) continue;
    if (IsWhitespace(cp)) {
      flush();
      continue;
    }
    // CJK ideographs are words of their own.
    if (IsCjk(cp)) {
      flush();
      std::string w;
      AppendUtf8(cp, w);
      words.push_back(std::move(w));
      continue;
    }
    // Lower-case and strip accents, then split punctuation off as single-character words.
    // (BERT does this per whitespace word; per character gives the same result because
    // neither step merges or moves characters across word boundaries.)
    norm.clear();
    LowerStripAccents(cp, norm);
    for (const utf8proc_int32_t c : norm) {
      if (IsPunctuation(c)) {
        flush();
        std::string w;
        AppendUtf8(c, w);
        words.push_back(std::move(w));
      } else {
        AppendUtf8(c, cur);
      }
    }
  }
  flush();
  return words;
}

void WordPieceTokenizer::WordPiece(std::string_view word, std::vector<int32_t>& out) const {
  // Character boundaries (byte offsets of each code point start, plus the end).
  std::vector<size_t> bounds;
  bounds.reserve(word.size() + 1);
  for (size_t i = 0; i < word.size(); ++i)
    if ((static_cast<unsigned char>(word[i]) & 0xC0) != 0x80) bounds.push_back(i);
  bounds.push_back(word.size());
  const size_t nchars = bounds.size() - 1;
  if (nchars == 0) return;
  if (nchars > static_cast<size_t>(options_.max_input_chars_per_word)) {
    out.push_back(unk_id_);
    return;
  }
  const size_t mark = out.size();
  std::string piece;
  size_t start = 0;
  while (start < nchars) {
    int32_t found = -1;
    size_t end = nchars;
    for (; end > start; --end) {
      piece.assign(start > 0 ? "##" : "");
      piece.append(word.substr(bounds[start], bounds[end] - bounds[start]));
      auto it = ids_.find(piece);
      if (it != ids_.end()) {
        found = it->second;
        break;
      }
    }
    if (found < 0) {  // an unmatchable remainder makes the whole word [UNK]
      out.resize(mark);
      out.push_back(unk_id_);
      return;
    }
    out.push_back(found);
    start = end;
  }
}

std::vector<int32_t> WordPieceTokenizer::Encode(std::string_view text) const {
  std::vector<int32_t> ids;
  ids.push_back(cls_id_);
  const size_t limit = static_cast<size_t>(options_.max_len) - 1;  // room for [SEP]
  for (const std::string& w : BasicTokenize(text)) {
    WordPiece(w, ids);
    if (ids.size() >= limit) break;
  }
  if (ids.size() > limit) ids.resize(limit);
  ids.push_back(sep_id_);
  return ids;
}

}  // namespace hybridrec
