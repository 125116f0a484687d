#include "index/simd_flat_ip.h"

#include <faiss/IndexHNSW.h>
#include <faiss/impl/DistanceComputer.h>

#include <cstdint>
#include <cstring>
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace hybridrec {

float InnerProductSimd(const float* a, const float* b, size_t d) {
  size_t i = 0;
  float tail = 0.f;
#if defined(__AVX512F__)
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  for (; i + 32 <= d; i += 32) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
  }
  if (i + 16 <= d) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    i += 16;
  }
  // Horizontal sum through memory (GCC 12's _mm512_reduce_add_ps trips -Wuninitialized).
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, _mm512_add_ps(s0, s1));
  for (float v : lanes) tail += v;
#elif defined(__AVX2__) && defined(__FMA__)
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  for (; i + 16 <= d; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  const __m256 s = _mm256_add_ps(s0, s1);
  const __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
  tail = _mm_cvtss_f32(_mm_add_ss(q, _mm_shuffle_ps(q, q, 1)));
#endif
  // Portable remainder (and the whole vector without AVX): 4 independent accumulators.
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
  for (; i + 4 <= d; i += 4)
    for (size_t j = 0; j < 4; ++j) acc[j] += a[i + j] * b[i + j];
  for (; i < d; ++i) acc[0] += a[i] * b[i];
  return tail + ((acc[0] + acc[1]) + (acc[2] + acc[3]));
}

namespace {

class SimdIpComputer final : public faiss::FlatCodesDistanceComputer {
 public:
  SimdIpComputer(const float* base, size_t d)
      : faiss::FlatCodesDistanceComputer(reinterpret_cast<const uint8_t*>(base), d * sizeof(float)),
        base_(base), d_(d) {}
  void set_query(const float* x) override { q_ = x; }
  float distance_to_code(const uint8_t* code) override {
    return InnerProductSimd(q_, reinterpret_cast<const float*>(code), d_);
  }
  float symmetric_dis(idx_t i, idx_t j) override {
    return InnerProductSimd(base_ + static_cast<size_t>(i) * d_, base_ + static_cast<size_t>(j) * d_, d_);
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
