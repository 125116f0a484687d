// Choosing, building and reopening a VectorIndex (exact below a size threshold,
// approximate above it or when asked). Stateless and thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "index/faiss_index.h"
#include "index/vector_index.h"

namespace hybridrec {

enum class IndexKind {
  kAuto,   // flat below hnsw_threshold vectors, HNSW at or above it
  kFlat,   // FAISS IndexFlatIP (exact)
  kHnsw,   // FAISS IndexHNSWFlat (approximate)
  kIvf,    // FAISS IndexIVFFlat (approximate; sqrt(n) k-means lists, or ivf_lists)
  kBrute,  // BruteForceIndex (exact reference; own file format)
};

struct IndexOptions {
  IndexKind kind = IndexKind::kAuto;
  int64_t hnsw_threshold = 50000;  // auto: catalogues of at least this many items get HNSW
  HnswParams hnsw;                 // M / efConstruction / efSearch (see HnswParams defaults)
  int ivf_lists = 0;               // IVF: number of lists (0: about sqrt(n), at least 1)
  int build_threads = 0;           // OpenMP threads for building (0 = OpenMP default)
  bool quiet = true;               // false: progress of an HNSW build on stderr (core/progress.h)
};

// "auto" | "flat" | "hnsw" | "ivf" | "brute"; InvalidArgument otherwise.
Result<IndexKind> ParseIndexKind(std::string_view name);

// An empty index of the kind options ask for; kAuto decides from expected_size (the number of
// vectors about to be added). An index made flat stays flat when later Adds grow it.
// REQUIRES: dim >= 1 (std::invalid_argument).
std::unique_ptr<VectorIndex> MakeIndex(const IndexOptions& options, int dim, int64_t expected_size);

// Fewest held-out queries for which BuildIndex calibrates efSearch (HnswParams).
inline constexpr size_t kMinCalibrationQueries = 50;

// MakeIndex + Add of n = ids.size() row-major vectors. When the index is HNSW, target_recall
// > 0 and min(calibration_queries, n / 10) >= kMinCalibrationQueries, it also calibrates
// efSearch on held-out vectors (HnswParams; the outcome is FaissIndex::calibration()); every
// vector is in the index afterwards either way. InvalidArgument when the sizes disagree or
// target_recall > 1.
Result<std::unique_ptr<VectorIndex>> BuildIndex(const IndexOptions& options, int dim,
                                                std::span<const float> vectors, std::span<const int64_t> ids);

// One line for people: "flat (exact)", or for HNSW "hnsw (efSearch 32, calibrated: recall@10
// 0.992 on 500 fresh queries, target 0.95)" (queries not in the index: held-out items for
// BuildIndex, users for BuildMipsIndex) / "... target 0.95 NOT reached at the efSearch cap)" /
// "hnsw (efSearch 128)" when no calibration ran on this object; for IVF "ivf (243 lists,
// nprobe 4, calibrated: ...)".
std::string DescribeIndex(const VectorIndex& index);
// The calibration record of an HNSW or IVF index ({"ef_search" (IVF: "nprobe"), "target",
// "recall", "queries", "reached"}), or null when none ran (flat, loaded, too small, target 0).
nlohmann::json IndexCalibrationJson(const VectorIndex& index);

// Reopens a file written by VectorIndex::Save (FAISS or brute-force format, told apart by the
// file's magic). ef_search > 0 overrides a saved HNSW's value. Errors name the file.
Result<std::unique_ptr<VectorIndex>> LoadIndex(const std::filesystem::path& file, int ef_search = 0);

}  // namespace hybridrec
