// VectorIndex: inner-product nearest-neighbour search over L2-normalised item vectors, with our
// dense item indices as ids. Implementations: BruteForceIndex (exact reference,
// brute_force_index.h) and FaissIndex (IndexFlatIP exact, or HNSW approximate; faiss_index.h).
// MakeIndex / LoadIndex (index_factory.h) choose between them.
// Thread-safety: Search is safe from many threads at once; Add must not run concurrently with
// anything else (the service serialises it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace hybridrec {

struct SearchHit {
  int64_t id = -1;     // item index
  float score = 0.f;   // inner product
};

class VectorIndex {
 public:
  virtual ~VectorIndex() = default;
  virtual std::string kind() const = 0;   // "flat" | "hnsw" | "brute"
  virtual int dimension() const = 0;
  virtual int64_t size() const = 0;
  // Adds n vectors (n * dimension() floats, row-major) with the given n ids. Ids need not be
  // contiguous; adding an id twice is the caller's error (both copies would be returned).
  // InvalidArgument when the span sizes disagree.
  virtual Status Add(std::span<const float> vectors, std::span<const int64_t> ids) = 0;
  // k best hits for each of n = queries.size() / dimension() queries; out is resized to n * k
  // entries, best first per query (id -1, score -inf pad missing ones). REQUIRES: k >= 1 and
  // queries.size() a multiple of dimension() (std::invalid_argument otherwise).
  virtual void Search(std::span<const float> queries, int k, std::vector<SearchHit>& out) const = 0;
  // Writes the index to one file (atomically). Errors name the file.
  virtual Status Save(const std::filesystem::path& file) const = 0;
};

}  // namespace hybridrec
