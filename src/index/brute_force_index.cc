#include "index/brute_force_index.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "core/file_util.h"
#include "core/vector_kernels.h"

namespace hybridrec {
namespace {

constexpr char kMagic[8] = {'H', 'R', 'B', 'R', 'U', 'T', 'E', '1'};

// Exact top-k of rows 0..n-1 with ids id_of(i).
template <typename IdOf>
void ExactTopKImpl(const float* query, const float* rows, IdOf id_of, int64_t n, int dim, int k, SearchHit* out) {
  if (k < 1) throw std::invalid_argument("ExactTopK: k must be >= 1");
  TopKHits top(k);
  for (int64_t i = 0; i < n; ++i) top.Offer({id_of(i), DotSimd(query, rows + i * dim, static_cast<size_t>(dim))});
  top.Flush(out);
}

}  // namespace

void ExactTopK(const float* query, const float* rows, const int64_t* ids, int64_t n, int dim, int k,
               SearchHit* out) {
  ExactTopKImpl(query, rows, [ids](int64_t i) { return ids[i]; }, n, dim, k, out);
}

void ExactTopKRange(const float* query, const float* rows, int64_t first_id, int64_t n, int dim, int k,
                    SearchHit* out) {
  ExactTopKImpl(query, rows, [first_id](int64_t i) { return first_id + i; }, n, dim, k, out);
}

BruteForceIndex::BruteForceIndex(int dim) : dim_(dim) {
  if (dim < 1) throw std::invalid_argument("BruteForceIndex: dimension must be >= 1");
}

Status BruteForceIndex::Add(std::span<const float> vectors, std::span<const int64_t> ids) {
  if (vectors.size() != ids.size() * static_cast<size_t>(dim_)) {
    return Status::InvalidArgument("BruteForceIndex::Add: " + std::to_string(vectors.size()) +
                                   " floats for " + std::to_string(ids.size()) + " ids of dimension " +
                                   std::to_string(dim_));
  }
  vectors_.insert(vectors_.end(), vectors.begin(), vectors.end());
  ids_.insert(ids_.end(), ids.begin(), ids.end());
  return Status::Ok();
}

void BruteForceIndex::Search(std::span<const float> queries, int k, std::vector<SearchHit>& out) const {
  if (k < 1) throw std::invalid_argument("BruteForceIndex::Search: k must be >= 1");
  if (queries.size() % static_cast<size_t>(dim_) != 0)
    throw std::invalid_argument("BruteForceIndex::Search: query buffer is not a multiple of the dimension");
  const size_t nq = queries.size() / static_cast<size_t>(dim_);
  out.resize(nq * static_cast<size_t>(k));
  for (size_t q = 0; q < nq; ++q) {
    ExactTopK(queries.data() + q * static_cast<size_t>(dim_), vectors_.data(), ids_.data(), size(), dim_, k,
              out.data() + q * static_cast<size_t>(k));
  }
}

Status BruteForceIndex::Save(const std::filesystem::path& file) const {
  std::string bytes(kMagic, sizeof(kMagic));
  const int32_t d = dim_;
  const int64_t n = size();
  bytes.append(reinterpret_cast<const char*>(&d), sizeof(d));
  bytes.append(reinterpret_cast<const char*>(&n), sizeof(n));
  bytes.append(reinterpret_cast<const char*>(ids_.data()), ids_.size() * sizeof(int64_t));
  bytes.append(reinterpret_cast<const char*>(vectors_.data()), vectors_.size() * sizeof(float));
  return WriteFileAtomic(file, bytes);
}

Result<std::unique_ptr<BruteForceIndex>> BruteForceIndex::Load(const std::filesystem::path& file) {
  HR_ASSIGN_OR_RETURN(std::string bytes, ReadFile(file));
  const std::string where = file.string();
  constexpr size_t kHeader = sizeof(kMagic) + sizeof(int32_t) + sizeof(int64_t);
  if (bytes.size() < kHeader || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
    return Status::Corruption(where + ": not a hybridrec brute-force index (bad magic or truncated header)");
  int32_t d = 0;
  int64_t n = 0;
  std::memcpy(&d, bytes.data() + sizeof(kMagic), sizeof(d));
  std::memcpy(&n, bytes.data() + sizeof(kMagic) + sizeof(d), sizeof(n));
  if (d < 1 || n < 0) return Status::Corruption(where + ": invalid dimension or size in header");
  const size_t payload = static_cast<size_t>(n) * (sizeof(int64_t) + static_cast<size_t>(d) * sizeof(float));
  if (bytes.size() != kHeader + payload)
    return Status::Corruption(where + ": expected " + std::to_string(kHeader + payload) + " bytes, found " +
                              std::to_string(bytes.size()));
  auto index = std::make_unique<BruteForceIndex>(d);
  index->ids_.resize(static_cast<size_t>(n));
  index->vectors_.resize(static_cast<size_t>(n) * static_cast<size_t>(d));
  std::memcpy(index->ids_.data(), bytes.data() + kHeader, index->ids_.size() * sizeof(int64_t));
  std::memcpy(index->vectors_.data(), bytes.data() + kHeader + index->ids_.size() * sizeof(int64_t),
              index->vectors_.size() * sizeof(float));
  return index;
}

}  // namespace hybridrec
