#include "content/lsa_encoder.h"

#include <utf8proc.h>

// GCC 12 reports false -Wmaybe-uninitialized positives from inside Eigen's AVX-512 GEMV
// kernels (avx512fintrin.h) when built with -march=native; they are not in our code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/npy.h"
#include "core/random.h"

namespace hybridrec {
namespace {

constexpr int kFormatVersion = 1;

bool IsWordCodepoint(utf8proc_int32_t cp) {
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

bool IsApostrophe(utf8proc_int32_t cp) { return cp == 0x27 || cp == 0x2019; }

bool IsSpace(utf8proc_int32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

// Orthonormal basis of the column space of a (tall) matrix: thin Q of Householder QR.
Eigen::MatrixXd Orthonormalise(const Eigen::MatrixXd& a) {
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
  return qr.householderQ() * Eigen::MatrixXd::Identity(a.rows(), a.cols());
}

Status FileError(const std::filesystem::path& file, const std::string& what) {
  return Status::Corruption(file.string() + ": " + what + " (re-run `hybridrec embed` to rebuild the model)");
}

}  // namespace

std::vector<std::string> LsaTerms(std::string_view text, bool bigrams) {
  // Words, each flagged with whether it continues the phrase of the previous word.
  std::vector<std::string> words;
  std::vector<bool> joins_previous;
  std::string word;
  bool phrase_open = false;   // the previous word may pair with the next
  bool broken = false;        // punctuation seen since the previous word
  auto flush = [&] {
    if (word.empty()) return;
    // Count code points: one-character words carry little meaning ("s", "a", "i").
    size_t cps = 0;
    for (unsigned char c : word) cps += (c & 0xC0) != 0x80;
    if (cps > 1) {
      words.push_back(word);
      joins_previous.push_back(phrase_open && !broken);
      phrase_open = true;
      broken = false;
    }
    word.clear();
  };
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  const auto n = static_cast<utf8proc_ssize_t>(text.size());
  utf8proc_ssize_t i = 0;
  while (i < n) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t len = utf8proc_iterate(p + i, n - i, &cp);
    if (len <= 0) {  // invalid byte: a separator that ends the phrase
      flush();
      broken = true;
      i += 1;
      continue;
    }
    i += len;
    if (IsWordCodepoint(cp)) {
      utf8proc_uint8_t buf[4];
      const auto m = utf8proc_encode_char(utf8proc_tolower(cp), buf);
      word.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(m));
      continue;
    }
    if (IsApostrophe(cp) && !word.empty() && i < n) {
      utf8proc_int32_t next = 0;
      if (utf8proc_iterate(p + i, n - i, &next) > 0 && IsWordCodepoint(next)) continue;  // "children's"
    }
    flush();
    if (!IsSpace(cp)) broken = true;
  }
  flush();
  std::vector<std::string> terms = words;
  if (bigrams) {
    for (size_t w = 1; w < words.size(); ++w)
      if (joins_previous[w]) terms.push_back(words[w - 1] + " " + words[w]);
  }
  return terms;
}

Result<std::unique_ptr<LsaEncoder>> LsaEncoder::Fit(std::span<const std::string> texts, const LsaOptions& options) {
  if (options.dim < 1 || options.min_df < 1 || options.power_iters < 0 || options.oversample < 0)
    return Status::InvalidArgument("LSA options out of range: need dim >= 1, min_df >= 1, power_iters >= 0, "
                                   "oversample >= 0");
  const size_t n = texts.size();
  // Term counts per document and document frequencies.
  std::vector<std::map<std::string, int>> counts(n);
  std::unordered_map<std::string, int> df;
  for (size_t d = 0; d < n; ++d) {
    for (auto& t : LsaTerms(texts[d], options.bigrams)) ++counts[d][std::move(t)];
    for (const auto& [term, c] : counts[d]) ++df[term];
  }
  auto enc = std::unique_ptr<LsaEncoder>(new LsaEncoder());
  enc->options_ = options;
  for (const auto& [term, f] : df)
    if (f >= options.min_df) enc->vocab_.push_back(term);
  if (enc->vocab_.empty())
    return Status::InvalidArgument("LSA: no term occurs in at least min_df = " + std::to_string(options.min_df) +
                                   " of the " + std::to_string(n) + " item texts; the catalogue is too small "
                                   "or has no text");
  std::sort(enc->vocab_.begin(), enc->vocab_.end());
  enc->BuildLookup();
  const size_t v = enc->vocab_.size();
  enc->idf_.resize(v);
  for (size_t t = 0; t < v; ++t) {
    const double f = df[enc->vocab_[t]];
    enc->idf_[t] = static_cast<float>(std::log((1.0 + static_cast<double>(n)) / (1.0 + f)) + 1.0);
  }

  // Unit TF-IDF rows as a sparse n x V matrix.
  std::vector<Eigen::Triplet<double>> triplets;
  std::vector<std::pair<uint32_t, float>> row;
  for (size_t d = 0; d < n; ++d) {
    enc->TfidfRow(texts[d], row);
    for (const auto& [col, w] : row)
      triplets.emplace_back(static_cast<int>(d), static_cast<int>(col), static_cast<double>(w));
  }
  Eigen::SparseMatrix<double, Eigen::RowMajor> x(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(v));
  x.setFromTriplets(triplets.begin(), triplets.end());
  const Eigen::SparseMatrix<double, Eigen::RowMajor> xt = x.transpose();

  // Randomised range finder with power iterations (Halko et al., algorithm 4.4).
  const Eigen::Index max_rank = std::min<Eigen::Index>(x.rows(), x.cols());
  const Eigen::Index k = std::min<Eigen::Index>(options.dim, max_rank);
  const Eigen::Index l = std::min<Eigen::Index>(k + options.oversample, max_rank);
  Eigen::MatrixXd omega(x.cols(), l);
  Rng rng(options.seed);
  for (Eigen::Index c = 0; c < l; ++c)
    for (Eigen::Index r = 0; r < x.cols(); ++r) omega(r, c) = rng.Normal();
  Eigen::MatrixXd q = Orthonormalise(x * omega);
  for (int it = 0; it < options.power_iters; ++it) {
    const Eigen::MatrixXd z = Orthonormalise(xt * q);
    q = Orthonormalise(x * z);
  }
  // B = Q^T X (l x V); its SVD gives X's top right singular vectors.
  const Eigen::MatrixXd b = (xt * q).transpose();
  Eigen::BDCSVD<Eigen::MatrixXd> svd(b, Eigen::ComputeThinV);
  const Eigen::VectorXd& s = svd.singularValues();
  const Eigen::MatrixXd& vmat = svd.matrixV();
  // Cap by numerical rank: components with a negligible singular value carry only noise.
  Eigen::Index kept = 0;
  while (kept < k && kept < s.size() && s(kept) > 1e-9 * std::max(s(0), 1e-300)) ++kept;
  if (kept == 0) return Status::InvalidArgument("LSA: the TF-IDF matrix is zero; nothing to factorise");
  enc->dim_ = static_cast<int>(kept);
  enc->projection_.assign(v * static_cast<size_t>(kept), 0.f);
  for (Eigen::Index c = 0; c < kept; ++c) {
    // Fix each component's sign (largest-magnitude entry positive) so the model does not
    // depend on the SVD routine's arbitrary choice.
    Eigen::Index arg = 0;
    vmat.col(c).cwiseAbs().maxCoeff(&arg);
    const double sign = vmat(arg, c) < 0 ? -1.0 : 1.0;
    for (size_t t = 0; t < v; ++t)
      enc->projection_[t * static_cast<size_t>(kept) + static_cast<size_t>(c)] =
          static_cast<float>(sign * vmat(static_cast<Eigen::Index>(t), c));
    enc->singular_values_.push_back(s(c));
  }
  return enc;
}

void LsaEncoder::BuildLookup() {
  lookup_.clear();
  lookup_.reserve(vocab_.size());
  for (size_t t = 0; t < vocab_.size(); ++t) lookup_.emplace(vocab_[t], static_cast<uint32_t>(t));
}

void LsaEncoder::TfidfRow(const std::string& text, std::vector<std::pair<uint32_t, float>>& row) const {
  std::map<uint32_t, int> tf;
  for (const auto& term : LsaTerms(text, options_.bigrams)) {
    auto it = lookup_.find(term);
    if (it != lookup_.end()) ++tf[it->second];
  }
  row.clear();
  double norm = 0;
  for (const auto& [col, c] : tf) {
    const double w = (1.0 + std::log(static_cast<double>(c))) * idf_[col];
    row.emplace_back(col, static_cast<float>(w));
    norm += w * w;
  }
  if (norm > 0) {
    const double inv = 1.0 / std::sqrt(norm);
    for (auto& e : row) e.second = static_cast<float>(e.second * inv);
  }
}

Status LsaEncoder::Encode(std::span<const std::string> texts, std::vector<float>& out) const {
  const auto d = static_cast<size_t>(dim_);
  out.assign(texts.size() * d, 0.f);
  std::vector<std::pair<uint32_t, float>> row;
  std::vector<double> acc(d);
  for (size_t i = 0; i < texts.size(); ++i) {
    TfidfRow(texts[i], row);
    std::fill(acc.begin(), acc.end(), 0.0);
    for (const auto& [col, w] : row) {
      const float* p = projection_.data() + static_cast<size_t>(col) * d;
      for (size_t j = 0; j < d; ++j) acc[j] += static_cast<double>(w) * p[j];
    }
    double norm = 0;
    for (double a : acc) norm += a * a;
    if (norm <= 0) continue;  // no known term: zero row (documented)
    const double inv = 1.0 / std::sqrt(norm);
    for (size_t j = 0; j < d; ++j) out[i * d + j] = static_cast<float>(acc[j] * inv);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> LsaEncoder::Save(const std::filesystem::path& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError(dir.string() + ": cannot create directory: " + ec.message());
  nlohmann::json cfg = {{"encoder", "lsa"},
                        {"format_version", kFormatVersion},
                        {"dimension", dim_},
                        {"vocabulary_size", vocab_.size()},
                        {"options",
                         {{"dim", options_.dim},
                          {"seed", options_.seed},
                          {"min_df", options_.min_df},
                          {"bigrams", options_.bigrams},
                          {"power_iters", options_.power_iters},
                          {"oversample", options_.oversample}}},
                        {"singular_values", singular_values_}};
  HR_RETURN_IF_ERROR(WriteFileAtomic(dir / kConfigFile, cfg.dump(2) + "\n"));
  std::string vocab;
  for (const auto& t : vocab_) (vocab += t) += '\n';
  HR_RETURN_IF_ERROR(WriteFileAtomic(dir / kVocabFile, vocab));
  HR_RETURN_IF_ERROR(WriteFileAtomic(dir / kIdfFile, EncodeNpy(NpyDtype::kFloat32, {idf_.size()}, idf_.data())));
  HR_RETURN_IF_ERROR(WriteNpyFloat32(dir / kProjectionFile, projection_.data(), vocab_.size(),
                                     static_cast<size_t>(dim_)));
  return std::vector<std::string>{kConfigFile, kVocabFile, kIdfFile, kProjectionFile};
}

Result<std::unique_ptr<LsaEncoder>> LsaEncoder::Load(const std::filesystem::path& dir) {
  auto enc = std::unique_ptr<LsaEncoder>(new LsaEncoder());
  const auto cfg_path = dir / kConfigFile;
  HR_ASSIGN_OR_RETURN(std::string cfg_text, ReadFile(cfg_path));
  try {
    const auto cfg = nlohmann::json::parse(cfg_text);
    if (cfg.at("encoder").get<std::string>() != "lsa") return FileError(cfg_path, "field 'encoder' is not \"lsa\"");
    if (cfg.at("format_version").get<int>() != kFormatVersion)
      return FileError(cfg_path, "unsupported format_version " + cfg.at("format_version").dump());
    enc->dim_ = cfg.at("dimension").get<int>();
    const auto& o = cfg.at("options");
    enc->options_.dim = o.at("dim").get<int>();
    enc->options_.seed = o.at("seed").get<uint64_t>();
    enc->options_.min_df = o.at("min_df").get<int>();
    enc->options_.bigrams = o.at("bigrams").get<bool>();
    enc->options_.power_iters = o.at("power_iters").get<int>();
    enc->options_.oversample = o.at("oversample").get<int>();
    if (cfg.contains("singular_values")) enc->singular_values_ = cfg["singular_values"].get<std::vector<double>>();
  } catch (const nlohmann::json::exception& e) {
    return FileError(cfg_path, std::string("malformed or missing field: ") + e.what());
  }
  if (enc->dim_ < 1) return FileError(cfg_path, "field 'dimension' must be >= 1");

  const auto vocab_path = dir / kVocabFile;
  HR_ASSIGN_OR_RETURN(std::string vocab_text, ReadFile(vocab_path));
  size_t start = 0;
  while (start < vocab_text.size()) {
    const size_t end = vocab_text.find('\n', start);
    if (end == std::string::npos) return FileError(vocab_path, "last line is not terminated (truncated file?)");
    if (end == start) return FileError(vocab_path, "empty term on line " + std::to_string(enc->vocab_.size() + 1));
    enc->vocab_.emplace_back(vocab_text.substr(start, end - start));
    start = end + 1;
  }
  if (enc->vocab_.empty()) return FileError(vocab_path, "vocabulary is empty");
  enc->BuildLookup();
  if (enc->lookup_.size() != enc->vocab_.size()) return FileError(vocab_path, "duplicate terms");

  const auto idf_path = dir / kIdfFile;
  HR_ASSIGN_OR_RETURN(std::string idf_bytes, ReadFile(idf_path));
  HR_ASSIGN_OR_RETURN(NpyArray idf, DecodeNpy(idf_bytes, idf_path.string()));
  if (idf.dtype != NpyDtype::kFloat32 || idf.shape.size() != 1 || idf.shape[0] != enc->vocab_.size())
    return FileError(idf_path, "expected float32 array of shape (" + std::to_string(enc->vocab_.size()) +
                                   ",) matching " + std::string(kVocabFile));
  enc->idf_.resize(enc->vocab_.size());
  std::memcpy(enc->idf_.data(), idf.data.data(), enc->idf_.size() * sizeof(float));

  size_t rows = 0, cols = 0;
  HR_ASSIGN_OR_RETURN(enc->projection_, ReadNpyFloat32(dir / kProjectionFile, &rows, &cols, enc->vocab_.size(),
                                                      static_cast<size_t>(enc->dim_)));
  return enc;
}

}  // namespace hybridrec
