// BruteForceIndex: the exact reference VectorIndex. Scores every stored vector with a plain dot
// product and keeps the k best, ties broken by ascending id, so results are fully determined
// by the data. Used by the tests (side by side with FaissIndex) and for tiny catalogues.
// Thread-safety: as VectorIndex (Search is const and stateless).
// File format (Save/Load): "HRBRUTE1", int32 dim, int64 n, n int64 ids, n*dim float32, all
// little-endian.
#pragma once

#include <algorithm>
#include <limits>
#include <memory>
#include <vector>

#include "index/vector_index.h"

namespace hybridrec {

// The k best hits offered so far (higher score first, ties by ascending id), for scans that
// visit their rows in several blocks (the IVF lists). A min-heap of k entries: O(log k) per
// offer that enters, no allocation proportional to the rows scanned.
class TopKHits {
 public:
  // REQUIRES: k >= 1.
  explicit TopKHits(int k) : k_(static_cast<size_t>(k)) { heap_.reserve(k_); }
  static bool Better(const SearchHit& a, const SearchHit& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  }
  void Offer(const SearchHit& h) {
    if (heap_.size() < k_) {
      heap_.push_back(h);
      std::push_heap(heap_.begin(), heap_.end(), Better);
    } else if (Better(h, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), Better);
      heap_.back() = h;
      std::push_heap(heap_.begin(), heap_.end(), Better);
    }
  }
  // Writes exactly k hits, best first (padded with id -1, score -inf), and empties the set.
  void Flush(SearchHit* out) {
    std::sort(heap_.begin(), heap_.end(), Better);
    for (size_t r = 0; r < k_; ++r)
      out[r] = r < heap_.size() ? heap_[r] : SearchHit{-1, -std::numeric_limits<float>::infinity()};
    heap_.clear();
  }

 private:
  size_t k_;
  std::vector<SearchHit> heap_;  // worst of the k best on top
};

class BruteForceIndex final : public VectorIndex {
 public:
  // REQUIRES: dim >= 1 (std::invalid_argument otherwise).
  explicit BruteForceIndex(int dim);

  std::string kind() const override { return "brute"; }
  int dimension() const override { return dim_; }
  int64_t size() const override { return static_cast<int64_t>(ids_.size()); }
  Status Add(std::span<const float> vectors, std::span<const int64_t> ids) override;
  void Search(std::span<const float> queries, int k, std::vector<SearchHit>& out) const override;
  Status Save(const std::filesystem::path& file) const override;

  static Result<std::unique_ptr<BruteForceIndex>> Load(const std::filesystem::path& file);

 private:
  int dim_;
  std::vector<float> vectors_;
  std::vector<int64_t> ids_;
};

// Exact top-k over a row-major matrix (n rows of dim floats) for one query, ties by ascending
// id: the shared kernel of BruteForceIndex and FaissIndex's single-query flat path.
// out receives exactly k hits (padded with id -1, score -inf). REQUIRES: k >= 1.
void ExactTopK(const float* query, const float* rows, const int64_t* ids, int64_t n, int dim, int k,
               SearchHit* out);
// The same with row i's id first_id + i.
void ExactTopKRange(const float* query, const float* rows, int64_t first_id, int64_t n, int dim, int k,
                    SearchHit* out);

}  // namespace hybridrec
