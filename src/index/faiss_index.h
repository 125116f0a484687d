// FaissIndex: a VectorIndex over libfaiss, inner-product metric, our item indices as FAISS ids
// (an IndexIDMap around either an exact IndexFlatIP or an approximate IndexHNSWFlat).
// The saved file is a plain faiss::write_index file, readable by Python's faiss.read_index.
//
// Single-query latency: FAISS parallelises search with OpenMP, and opening a parallel region
// for one query costs more than the search itself on small catalogues. So a one-vector Search
// on a flat index runs our own SIMD-friendly dot/top-k loop over FAISS's stored vectors
// (ties by ascending id, like BruteForceIndex), and a one-vector HNSW search runs with the
// calling thread's OpenMP team size scoped to 1. Batches go through FAISS as usual (BLAS for
// flat). bench_index measures both paths.
//
// Thread-safety: Search is const and safe from many threads; Add and set_ef_search must not
// run concurrently with anything else. Ownership: the object owns its FAISS indexes.
#pragma once

#include <memory>

#include "index/vector_index.h"

namespace faiss {
struct Index;
struct IndexFlat;
struct IndexHNSWFlat;
template <typename IndexT>
struct IndexIDMapTemplate;
using IndexIDMap = IndexIDMapTemplate<Index>;
}  // namespace faiss

namespace hybridrec {

struct HnswParams {
  // bench_index on 100k clustered unit vectors, d = 384 (1,000 centres, sigma 0.05): recall@10
  // against exact search 1.000 at efSearch 64, 128 and 256 with these m / efConstruction.
  // Uniformly random vectors are harder; see bench_index (data=uniform) before lowering these.
  int m = 32;                // graph degree (links per node on upper layers; 2m on layer 0)
  int ef_construction = 200; // candidate list while building
  int ef_search = 128;       // candidate list while searching (recall/latency trade-off)
};

class FaissIndex final : public VectorIndex {
 public:
  // REQUIRES: dim >= 1; for HNSW, params with m >= 2 and ef_* >= 1 (std::invalid_argument).
  static std::unique_ptr<FaissIndex> NewFlat(int dim);
  static std::unique_ptr<FaissIndex> NewHnsw(int dim, const HnswParams& params);
  // Reads a file written by Save (or by Python faiss: an IndexIDMap over IndexFlatIP or
  // IndexHNSWFlat with the inner-product metric). ef_search > 0 overrides the saved value.
  // NotFound / Corruption / Unsupported with the file name.
  static Result<std::unique_ptr<FaissIndex>> Load(const std::filesystem::path& file, int ef_search = 0);

  ~FaissIndex() override;
  FaissIndex(const FaissIndex&) = delete;
  FaissIndex& operator=(const FaissIndex&) = delete;

  std::string kind() const override;
  int dimension() const override;
  int64_t size() const override;
  // Adding uses up to build_threads() OpenMP threads (HNSW insertion is parallel).
  Status Add(std::span<const float> vectors, std::span<const int64_t> ids) override;
  void Search(std::span<const float> queries, int k, std::vector<SearchHit>& out) const override;
  Status Save(const std::filesystem::path& file) const override;

  // HNSW only (no-op for flat). REQUIRES: ef >= 1.
  void set_ef_search(int ef);
  // Threads for Add (0 = OpenMP's default). Search of batches uses OpenMP's default.
  void set_build_threads(int threads) { build_threads_ = threads; }
  int build_threads() const { return build_threads_; }
  // The underlying FAISS index (an IndexIDMap), e.g. for benchmarks comparing FAISS's own
  // search path. The pointer lives as long as this object; do not modify through it.
  const faiss::Index* faiss_index() const;

 private:
  explicit FaissIndex(std::unique_ptr<faiss::IndexIDMap> map);

  std::unique_ptr<faiss::IndexIDMap> map_;   // owns the inner index (own_fields)
  faiss::IndexFlat* flat_ = nullptr;         // inner index when exact, else null
  faiss::IndexHNSWFlat* hnsw_ = nullptr;     // inner index when HNSW, else null
  int build_threads_ = 0;
};

}  // namespace hybridrec
