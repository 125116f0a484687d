// Maximum inner-product search (MIPS) over vectors of any norm, such as ALS item factors, with an
// inner-product VectorIndex of dimension dim + 1, queried with q' = [q, 0].
//
// What is stored depends on the index kind, as measured on ALS factors (bench/bench_mips: 59,047
// items, 64 factors, users' factors as queries):
//  - IVF and flat store the unit-sphere transform v' = [v / M, sqrt(1 - |v|^2 / M^2)], M the
//    largest norm of the set (Bachrach et al., "Speeding up the Xbox recommender system using a
//    Euclidean transformation for inner-product spaces", RecSys 2014): q' . v' = q . v / M, the
//    same order as q . v, and k-means over unit vectors finds real clusters. IVF reached recall@10
//    1.0 at nprobe 4 of 243 lists, built in 2 s.
//  - HNSW stores [v, 0]: a graph built with the inner product itself (ip-NSW, Morozov & Babenko,
//    NeurIPS 2018), recall@10 0.998 at efSearch 128. An HNSW graph over the unit-sphere transform
//    did far worse (0.63 at efSearch 2,048): most items sit near the added axis, which every
//    query is orthogonal to.
//
// The index is calibrated on the queries it will serve (user factors), not on held-out stored
// vectors: BuildMipsIndex raises the search depth (HNSW efSearch, IVF nprobe) until the recall@10
// of those queries against exact MIPS over the same vectors reaches the target
// (FaissIndex::CalibrateSearchDepth). Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/status.h"
#include "index/index_factory.h"
#include "index/vector_index.h"

namespace hybridrec {

// The unit-sphere transform v' of the rows `rows` of `vectors` (row-major, dim columns):
// rows.size() x (dim + 1), row-major. All zero vectors (M = 0) map to [0, ..., 0, 1].
std::vector<float> MipsStoredVectors(std::span<const float> vectors, size_t dim, std::span<const uint32_t> rows);

// q' = [q, 0] into out (q.size() + 1 floats).
void MipsQuery(std::span<const float> q, std::span<float> out);

// An index over the rows `rows` of `vectors` (stored as above for its kind) with the rows'
// numbers as ids; the kind from options (kAuto: IVF at or above options.hnsw_threshold rows,
// else flat; kBrute is refused). An HNSW or IVF index is calibrated on `queries` (nq x dim,
// row-major, e.g. a sample of user factors) when options.hnsw.target_recall > 0 and nq >=
// kMinCalibrationQueries, from efSearch options.hnsw.ef_search up to max_ef_search, or from
// nprobe 1 up to every list; its outcome is then IndexCalibrationJson(*index). InvalidArgument
// when the sizes disagree or a row is out of range.
Result<std::unique_ptr<VectorIndex>> BuildMipsIndex(const IndexOptions& options, size_t dim,
                                                    std::span<const float> vectors, std::span<const uint32_t> rows,
                                                    std::span<const float> queries);

}  // namespace hybridrec
