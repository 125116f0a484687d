#include "index/simd_flat_ip.h"

#include <faiss/IndexHNSW.h>
#include <faiss/impl/DistanceComputer.h>

#include <cstdint>

#include "core/vector_kernels.h"

namespace hybridrec {

namespace {

class SimdIpComputer final : public faiss::FlatCodesDistanceComputer {
 public:
  SimdIpComputer(const float* base, size_t d)
      : faiss::FlatCodesDistanceComputer(reinterpret_cast<const uint8_t*>(base), d * sizeof(float)),
        base_(base), d_(d) {}
  void set_query(const float* x) override { q_ = x; }
  float distance_to_code(const uint8_t* code) override {
    return DotSimd(q_, reinterpret_cast<const float*>(code), d_);
  }
  float symmetric_dis(idx_t i, idx_t j) override {
    return DotSimd(base_ + static_cast<size_t>(i) * d_, base_ + static_cast<size_t>(j) * d_, d_);
  }

 private:
  const float* base_;
  size_t d_;
  const float* q_ = nullptr;
};

}  // namespace

faiss::FlatCodesDistanceComputer* SimdFlatIP::get_FlatCodesDistanceComputer() const {
  return new SimdIpComputer(get_xb(), static_cast<size_t>(d));
}

void AdoptSimdStorage(faiss::IndexHNSWFlat* hnsw) {
  if (hnsw == nullptr || hnsw->storage == nullptr) return;
  if (dynamic_cast<SimdFlatIP*>(hnsw->storage) != nullptr) return;
  auto* old = dynamic_cast<faiss::IndexFlat*>(hnsw->storage);
  if (old == nullptr || old->metric_type != faiss::METRIC_INNER_PRODUCT) return;
  auto* fresh = new SimdFlatIP(old->d);
  fresh->codes = std::move(old->codes);
  fresh->ntotal = old->ntotal;
  fresh->is_trained = old->is_trained;
  delete hnsw->storage;
  hnsw->storage = fresh;
}

}  // namespace hybridrec
