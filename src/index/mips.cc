#include "index/mips.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "index/faiss_index.h"

namespace hybridrec {

std::vector<float> MipsStoredVectors(std::span<const float> vectors, size_t dim, std::span<const uint32_t> rows) {
  const size_t d1 = dim + 1;
  std::vector<float> out(rows.size() * d1, 0.f);
  std::vector<double> sq(rows.size(), 0.0);
  double max_sq = 0.0;
  for (size_t r = 0; r < rows.size(); ++r) {
    const float* v = vectors.data() + static_cast<size_t>(rows[r]) * dim;
    double s = 0.0;
    for (size_t j = 0; j < dim; ++j) s += static_cast<double>(v[j]) * v[j];
    sq[r] = s;
    max_sq = std::max(max_sq, s);
  }
  const double inv = max_sq > 0.0 ? 1.0 / std::sqrt(max_sq) : 0.0;
  for (size_t r = 0; r < rows.size(); ++r) {
    const float* v = vectors.data() + static_cast<size_t>(rows[r]) * dim;
    float* o = out.data() + r * d1;
    for (size_t j = 0; j < dim; ++j) o[j] = static_cast<float>(v[j] * inv);
    const double rest = max_sq > 0.0 ? 1.0 - sq[r] / max_sq : 1.0;
    o[dim] = static_cast<float>(std::sqrt(std::max(0.0, rest)));
  }
  return out;
}

void MipsQuery(std::span<const float> q, std::span<float> out) {
  std::copy(q.begin(), q.end(), out.begin());
  out[q.size()] = 0.f;
}

Result<std::unique_ptr<VectorIndex>> BuildMipsIndex(const IndexOptions& options, size_t dim,
                                                    std::span<const float> vectors, std::span<const uint32_t> rows,
                                                    std::span<const float> queries) {
  if (dim == 0 || vectors.size() % dim != 0 || queries.size() % dim != 0)
    return Status::InvalidArgument("BuildMipsIndex: vectors and queries must hold whole rows of dimension " +
                                   std::to_string(dim));
  if (options.kind == IndexKind::kBrute)
    return Status::InvalidArgument("BuildMipsIndex: the brute-force index is not supported (use flat)");
  const size_t n = vectors.size() / dim;
  for (uint32_t r : rows)
    if (r >= n)
      return Status::InvalidArgument("BuildMipsIndex: row " + std::to_string(r) + " out of range (" +
                                     std::to_string(n) + " vectors)");
  IndexOptions build = options;
  if (build.kind == IndexKind::kAuto)
    build.kind = static_cast<int64_t>(rows.size()) >= options.hnsw_threshold ? IndexKind::kIvf : IndexKind::kFlat;
  build.hnsw.target_recall = 0;  // calibrated below on the real queries, not held-out stored vectors
  std::vector<float> stored;
  if (build.kind == IndexKind::kHnsw) {
    stored.assign(rows.size() * (dim + 1), 0.f);
    for (size_t r = 0; r < rows.size(); ++r)
      std::copy_n(vectors.data() + static_cast<size_t>(rows[r]) * dim, dim, stored.data() + r * (dim + 1));
  } else {
    stored = MipsStoredVectors(vectors, dim, rows);
  }
  const std::vector<int64_t> ids(rows.begin(), rows.end());
  HR_ASSIGN_OR_RETURN(std::unique_ptr<VectorIndex> index,
                      BuildIndex(build, static_cast<int>(dim + 1), stored, ids));
  auto* faiss_index = dynamic_cast<FaissIndex*>(index.get());
  const size_t nq = queries.size() / dim;
  const HnswParams& hp = options.hnsw;
  const bool approximate = faiss_index != nullptr && (faiss_index->kind() == "hnsw" || faiss_index->kind() == "ivf");
  if (approximate && index->size() > 0 && hp.target_recall > 0 && nq >= kMinCalibrationQueries) {
    if (hp.target_recall > 1.0)
      return Status::InvalidArgument("BuildMipsIndex: hnsw target_recall must be in [0, 1], got " +
                                     std::to_string(hp.target_recall));
    std::vector<float> q(nq * (dim + 1));
    for (size_t i = 0; i < nq; ++i)
      MipsQuery(queries.subspan(i * dim, dim), std::span<float>(q.data() + i * (dim + 1), dim + 1));
    if (faiss_index->kind() == "ivf") {
      faiss_index->CalibrateSearchDepth(q, hp.target_recall, 1, faiss_index->ivf_lists());
    } else {
      faiss_index->CalibrateSearchDepth(q, hp.target_recall, hp.ef_search, std::max(hp.ef_search, hp.max_ef_search));
    }
  }
  return index;
}

}  // namespace hybridrec
