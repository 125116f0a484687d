// Dense float vector kernels shared by the ALS solvers, the vector indexes and the ranker.
//
// Each function sums in one fixed order, documented below, so its result depends only on the
// inputs and on the instruction set the build targets (with HYBRIDREC_NATIVE the compiler may
// fuse a multiply and an add into one FMA), never on threads, pointer alignment or the caller.
// The two dot products differ only in that order: `Dot` is plain C++ that the compiler
// vectorises, `DotSimd` is written with AVX-512 / AVX2+FMA intrinsics and is the faster one on
// long vectors. They are defined here, inline, because they sit in the innermost loops of their
// callers. Pointers need no particular alignment; n == 0 gives 0. Thread-safe: stateless.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace hybridrec {

// a . b with eight float partial sums: lane t accumulates the products a[j] b[j] with
// j = t (mod 8) over the whole blocks of eight, the lanes are combined as
// ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)), and the remaining n mod 8 products are then
// added in ascending order. Independent lanes let the compiler vectorise a float reduction it
// may not reorder.
inline float Dot(const float* a, const float* b, size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (size_t t = 0; t < 8; ++t) acc[t] += a[j + t] * b[j + t];
  float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; j < n; ++j) s += a[j] * b[j];
  return s;
}

// Asks the CPU to start loading the n floats at p into its caches (a hint; no effect on results).
// For loops that gather scattered rows: prefetching a few rows ahead hides the memory latency
// that otherwise dominates a short dot product per row.
inline void PrefetchRow(const float* p, size_t n) {
  for (size_t j = 0; j < n; j += 16) __builtin_prefetch(p + j, 0, 3);
}

// out[j] = q . rows[ids[j] * d, +d) for every j, prefetching `ahead` rows in advance.
inline void DotGathered(const float* q, const float* rows, size_t d, const uint32_t* ids, size_t n, float* out,
                        size_t ahead = 4) {
  for (size_t j = 0; j < n && j < ahead; ++j) PrefetchRow(rows + static_cast<size_t>(ids[j]) * d, d);
  for (size_t j = 0; j < n; ++j) {
    if (j + ahead < n) PrefetchRow(rows + static_cast<size_t>(ids[j + ahead]) * d, d);
    out[j] = Dot(q, rows + static_cast<size_t>(ids[j]) * d, d);
  }
}

#if defined(__AVX512F__)
// Sum of the 16 lanes of s: the two 256-bit halves, then the 128-bit pairs, then within the last
// 128 bits. The masked shuffles take an explicit pass-through operand: the unmasked intrinsics
// (and _mm512_reduce_add_ps) use _mm*_undefined_*, which GCC 12 flags with -Wuninitialized once
// inlined.
inline float HorizontalSum(__m512 s) {
  s = _mm512_add_ps(s, _mm512_mask_shuffle_f32x4(s, 0xFFFF, s, s, 0x4E));  // swap 256-bit halves
  s = _mm512_add_ps(s, _mm512_mask_shuffle_f32x4(s, 0xFFFF, s, s, 0xB1));  // swap 128-bit pairs
  __m128 h = _mm512_mask_extractf32x4_ps(_mm_setzero_ps(), 0xF, s, 0);
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
  return _mm_cvtss_f32(h);
}
#endif

// a . b with FMA vector accumulators. AVX-512: two 16-lane accumulators take alternate blocks of
// 16 (a last whole block goes to the first, a last partial block, masked, to the second), then
// HorizontalSum of their sum. AVX2+FMA: the same with 8-lane blocks, and the n mod 8 remaining
// products added to the horizontal sum in ascending order. Otherwise: Dot's eight lanes, the
// remainder going to lanes 0, 1, ..., and the lanes summed in order.
inline float DotSimd(const float* a, const float* b, size_t n) {
#if defined(__AVX512F__)
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
  }
  if (i + 16 <= n) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    i += 16;
  }
  if (i < n) {
    const auto m = static_cast<__mmask16>((1u << (n - i)) - 1u);
    s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s1);
  }
  return HorizontalSum(_mm512_add_ps(s0, s1));
#elif defined(__AVX2__) && defined(__FMA__)
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  if (i + 8 <= n) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    i += 8;
  }
  const __m256 s = _mm256_add_ps(s0, s1);
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
  float r = _mm_cvtss_f32(h);
  for (; i < n; ++i) r += a[i] * b[i];
  return r;
#else
  constexpr size_t kLanes = 8;
  float acc[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (size_t j = 0; j < kLanes; ++j) acc[j] += a[i + j] * b[i + j];
  for (size_t j = 0; i < n; ++i, ++j) acc[j] += a[i] * b[i];
  float r = 0.f;
  for (float v : acc) r += v;
  return r;
#endif
}

// 1 / ||v||: the squares accumulated in double in ascending order (no overflow for any finite
// float vector), the reciprocal square root taken in double and rounded to float. 0 when v is
// the zero vector (or n == 0) and when the sum is not finite (an infinite or NaN entry), so a
// caller can scale by it without a test.
float InvNorm(const float* v, size_t n);

}  // namespace hybridrec
