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

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "index/vector_index.h"

namespace faiss {
struct Index;
struct IndexFlat;
struct IndexHNSWFlat;
struct IndexIVFFlat;
template <typename IndexT>
struct IndexIDMapTemplate;
using IndexIDMap = IndexIDMapTemplate<Index>;
}  // namespace faiss

namespace hybridrec {

struct HnswParams {
  // Graph shape. bench_index, n = 20,000 uniformly random unit vectors, d = 384, target 0.95
  // (the hard case; 2 threads, loaded machine, 200 calibration queries): efConstruction
  // 64 / 100 / 200 with m 32 took 21 / 31 / 87 s of CPU for the whole run and calibrated to
  // efSearch 486 / 360 / 324; m 16 needed efSearch 810, m 48 288 at about m 32's cost.
  // efConstruction 100 halves the build of 200 for ~10% more search work. With these
  // defaults: 100k uniform, graph 176 s, calibrated efSearch 1,695, recall@10 0.960 on
  // independent queries; 1M clustered, graph 327 s, efSearch 90, recall@10 0.955.
  int m = 32;                // graph degree (links per node on upper layers; 2m on layer 0)
  int ef_construction = 100; // candidate list while building
  // Candidate list while searching (recall/latency trade-off). With calibration on, this is
  // the first rung of the ladder (the chosen value is never below it); without calibration
  // (target_recall 0 or a catalogue too small to sample) it is the value used. Low, so that
  // easy (clustered) data keeps a fast search: 100k clustered unit vectors, d 384, reach
  // recall@10 0.995 at efSearch 32 (p50 0.29 ms) against 1.000 at 128 (p50 1.0 ms).
  int ef_search = 32;

  // Self-calibrating efSearch (BuildIndex only; FaissIndex::Add alone never calibrates).
  // BuildIndex holds out q = min(calibration_queries, n / 10) of the n vectors (chosen by
  // calibration_seed), builds the graph from the others, and searches the held-out vectors
  // (out-of-sample queries, like real ones) with efSearch = ef_search, x1.5, ... up to
  // max_ef_search (then a bisection of the last step), keeping the smallest efSearch whose mean
  // recall@10 against exact search reaches target_recall; then it adds the held-out vectors. Skipped when q < 50
  // (n < 500). If no rung reaches the target, max_ef_search is kept and the shortfall recorded.
  double target_recall = 0.95;   // 0 = off: keep ef_search
  int max_ef_search = 4096;      // cap of the ladder
  int calibration_queries = 500; // held-out queries (5,000 recall samples at k = 10)
  uint64_t calibration_seed = 20240611;
};

// One search depth tried by the calibration (efSearch for HNSW, nprobe for IVF).
struct SearchCalibrationStep {
  int ef_search = 0;  // the depth
  double recall = 0;     // mean recall@10 over the held-out queries
  double std_error = 0;  // standard error of that mean (per-query spread / sqrt(queries))
  bool passed = false;   // recall - 1.645 * std_error >= target (one-sided 95% lower bound)
};

// What a search-depth calibration found (FaissIndex::CalibrateSearchDepth; BuildIndex runs it
// for HNSW, see HnswParams). Not saved with the index: the chosen depth is (FAISS stores
// efSearch and nprobe in the file), this record is not. ef_search is the depth of the index's
// kind: efSearch for HNSW, nprobe for IVF.
struct SearchCalibration {
  bool ran = false;          // false: not calibrated (target 0, catalogue too small, loaded, flat)
  double target = 0;         // target_recall asked for
  int queries = 0;           // held-out queries measured
  int ef_search = 0;         // depth chosen and set on the index
  double recall = 0;         // held-out mean recall@10 at ef_search
  bool reached = false;      // the chosen step passed (else ef_search = the ladder's cap)
  double exact_seconds = 0;  // exact top-10 of the held-out queries
  double ladder_seconds = 0; // approximate searches over the ladder
  std::vector<SearchCalibrationStep> ladder;  // every depth tried, in order
};

class FaissIndex final : public VectorIndex {
 public:
  // REQUIRES: dim >= 1; for HNSW, params with m >= 2 and ef_* >= 1 (std::invalid_argument).
  static std::unique_ptr<FaissIndex> NewFlat(int dim);
  static std::unique_ptr<FaissIndex> NewHnsw(int dim, const HnswParams& params);
  // IVF-Flat: `lists` cells found by k-means on the vectors of the first Add (which must hold
  // at least `lists` vectors; later Adds only assign), searched `nprobe` cells deep (search
  // depth, default 1). Exact when nprobe = lists. REQUIRES: dim, lists >= 1.
  static std::unique_ptr<FaissIndex> NewIvf(int dim, int lists);
  // Reads a file written by Save (or by Python faiss: an IndexIDMap over IndexFlatIP,
  // IndexHNSWFlat or IndexIVFFlat with the inner-product metric). ef_search > 0 overrides the
  // saved HNSW value.
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

  // HNSW only (no-op for flat and IVF). REQUIRES: ef >= 1.
  void set_ef_search(int ef);
  // The HNSW search depth in use (0 for flat and IVF).
  int ef_search() const;
  // The search depth of the index's kind: efSearch (HNSW), nprobe (IVF, capped at the number of
  // lists); no-op / 0 for flat. REQUIRES: depth >= 1.
  void set_search_depth(int depth);
  int search_depth() const;
  // IVF: its number of lists (0 otherwise).
  int ivf_lists() const;

  // HNSW or IVF: measures mean recall@10 of `queries` (nq * dimension() floats) against exact
  // search over the vectors now in the index (a hit tied with the exact 10th score counts),
  // for a search depth (efSearch, or nprobe) = start_ef, then x1.5 (rounded up) until max_ef
  // (for IVF at most the number of lists, which is exact), stopping at the first value
  // that passes, then bisects that last step down to 1/8 of its width; sets the depth to the
  // smallest passing value tried (max_ef when none passes), records and returns the outcome.
  // A value passes when the one-sided 95% lower confidence bound of its mean recall (mean -
  // 1.645 standard errors over the queries) reaches target, so that the recall of fresh
  // queries is at least target with high probability rather than about half the time.
  // The queries should not be in the index (a stored vector is an easy query: its graph links
  // are its neighbours). Uses build_threads() OpenMP threads.
  // REQUIRES: an HNSW or IVF index with at least one vector, nq >= 1, 0 < target <= 1,
  // 1 <= start_ef <= max_ef (std::invalid_argument).
  const SearchCalibration& CalibrateSearchDepth(std::span<const float> queries, double target, int start_ef,
                                           int max_ef);
  // The last calibration (ran == false when none ran on this object).
  const SearchCalibration& calibration() const { return calibration_; }
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
  faiss::IndexIVFFlat* ivf_ = nullptr;       // inner index when IVF, else null
  int build_threads_ = 0;
  SearchCalibration calibration_;
};

}  // namespace hybridrec
