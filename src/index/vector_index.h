// VectorIndex: inner-product nearest-neighbour search over L2-normalised item vectors, with our
// dense item indices as ids. Implementations: BruteForceIndex (reference) and FaissIndex
// (IndexFlatIP exact, or HNSW approximate). Thread-safety: Search is safe from many threads
// at once; Add must not run concurrently with anything else (the service serialises it).
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
  // Adds n vectors (n * dimension() floats) with the given ids.
  virtual Status Add(std::span<const float> vectors, std::span<const int64_t> ids) = 0;
  // k best hits for each of n queries; out has n * k entries (id -1 pads missing ones).
  virtual void Search(std::span<const float> queries, int k, std::vector<SearchHit>& out) const = 0;
  virtual Status Save(const std::filesystem::path& file) const = 0;
};

}  // namespace hybridrec
