#include "collab/als_kernels.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <immintrin.h>

#include "core/cholesky.h"
#include "core/parallel.h"
#include "core/vector_kernels.h"

namespace hybridrec::als {
namespace {

// y += a * x over k floats. Axpy and DotSimd (core/vector_kernels.h) are the inner loops of
// every solver. With AVX-512 (the build uses -march=native) it is written with intrinsics: the
// tail is a masked store instead of a scalar loop. The order of every reduction here is fixed,
// so results never depend on threads.
inline void Axpy(float a, const float* __restrict x, float* __restrict y, int k) {
#if defined(__AVX512F__)
  const __m512 va = _mm512_set1_ps(a);
  int i = 0;
  for (; i + 16 <= k; i += 16) {
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
  }
  if (i < k) {
    const auto m = static_cast<__mmask16>((1u << (k - i)) - 1u);
    _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
  }
#else
  for (int j = 0; j < k; ++j) y[j] += a * x[j];
#endif
}

#if defined(__AVX512F__)
// out += sum_t f(conf[t], y_t . v) y_t over the rows y_t = y[idx[t]], with k = 16 * KV: v and
// the accumulator stay in registers for the whole row list (a generic axpy would store and
// reload `out` once per entry, a store-forwarding chain that dominated the CG time).
constexpr size_t kPrefetchAhead = 4;

template <int KV, typename F>
void FusedDotAxpyK(const float* y, const uint32_t* idx, const float* conf, size_t n, const float* v, float* out, F f) {
  constexpr size_t ks = 16 * KV;
  __m512 vv[KV], acc[KV];
  for (int j = 0; j < KV; ++j) {
    vv[j] = _mm512_loadu_ps(v + 16 * j);
    acc[j] = _mm512_loadu_ps(out + 16 * j);
  }
  for (size_t t = 0; t < n; ++t) {
    const float* yi = y + static_cast<size_t>(idx[t]) * ks;
    if (t + kPrefetchAhead < n) {
      // Rows are gathered at random (the other side's factors rarely fit in cache on large
      // data): ask for a later row's lines now so the loads below do not stall.
      const char* next = reinterpret_cast<const char*>(y + static_cast<size_t>(idx[t + kPrefetchAhead]) * ks);
      for (size_t line = 0; line < ks * sizeof(float); line += 64) _mm_prefetch(next + line, _MM_HINT_T0);
    }
    __m512 yv[KV];
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    for (int j = 0; j < KV; ++j) {
      yv[j] = _mm512_loadu_ps(yi + 16 * j);
      if (j % 2 == 0) {
        s0 = _mm512_fmadd_ps(yv[j], vv[j], s0);
      } else {
        s1 = _mm512_fmadd_ps(yv[j], vv[j], s1);
      }
    }
    const __m512 w = _mm512_set1_ps(f(conf[t], HorizontalSum(_mm512_add_ps(s0, s1))));
    for (int j = 0; j < KV; ++j) acc[j] = _mm512_fmadd_ps(w, yv[j], acc[j]);
  }
  for (int j = 0; j < KV; ++j) _mm512_storeu_ps(out + 16 * j, acc[j]);
}
#endif

// out += sum_t f(conf[t], y_t . v) y_t (see FusedDotAxpyK); generic k falls back to dot + axpy.
template <typename F>
void FusedDotAxpy(const float* y, int k, std::span<const uint32_t> idx, const float* conf, const float* v,
                  float* out, F f) {
#if defined(__AVX512F__)
  switch (k) {
    case 16: return FusedDotAxpyK<1>(y, idx.data(), conf, idx.size(), v, out, f);
    case 32: return FusedDotAxpyK<2>(y, idx.data(), conf, idx.size(), v, out, f);
    case 48: return FusedDotAxpyK<3>(y, idx.data(), conf, idx.size(), v, out, f);
    case 64: return FusedDotAxpyK<4>(y, idx.data(), conf, idx.size(), v, out, f);
    case 96: return FusedDotAxpyK<6>(y, idx.data(), conf, idx.size(), v, out, f);
    case 128: return FusedDotAxpyK<8>(y, idx.data(), conf, idx.size(), v, out, f);
    default: break;
  }
#endif
  const size_t ks = static_cast<size_t>(k);
  for (size_t t = 0; t < idx.size(); ++t) {
    const float* yi = y + static_cast<size_t>(idx[t]) * ks;
    Axpy(f(conf[t], DotSimd(yi, v, ks)), yi, out, k);
  }
}

// out = G p for symmetric G (k x k): out = sum_b p[b] * G[b, :], an axpy form that vectorises.
#if defined(__AVX512F__)
template <int KV>
void SymMatVecK(const float* __restrict g, const float* __restrict p, float* __restrict out) {
  constexpr size_t ks = 16 * KV;
  __m512 acc[KV];
  for (int j = 0; j < KV; ++j) acc[j] = _mm512_setzero_ps();
  for (size_t b = 0; b < ks; ++b) {
    const __m512 pb = _mm512_set1_ps(p[b]);
    for (int j = 0; j < KV; ++j) acc[j] = _mm512_fmadd_ps(pb, _mm512_loadu_ps(g + b * ks + 16 * j), acc[j]);
  }
  for (int j = 0; j < KV; ++j) _mm512_storeu_ps(out + 16 * j, acc[j]);
}
#endif

inline void SymMatVec(const float* __restrict g, const float* __restrict p, float* __restrict out, int k) {
#if defined(__AVX512F__)
  switch (k) {  // accumulator in registers for the common sizes (see FusedDotAxpyK)
    case 16: return SymMatVecK<1>(g, p, out);
    case 32: return SymMatVecK<2>(g, p, out);
    case 64: return SymMatVecK<4>(g, p, out);
    case 128: return SymMatVecK<8>(g, p, out);
    default: break;
  }
#endif
  std::fill(out, out + k, 0.f);
  for (int b = 0; b < k; ++b) Axpy(p[b], g + static_cast<size_t>(b) * k, out, k);
}

// Rows per chunk of the Gram reduction: fixed so the summation order never depends on threads.
constexpr size_t kGramChunk = 512;

// g (k x k) += sum over rows [begin, end) of y_r y_r^T, four rows at a time to cut traffic on g.
void GramAccumulate(const float* y, size_t begin, size_t end, int k, float* g) {
  const size_t ks = static_cast<size_t>(k);
  size_t r = begin;
  for (; r + 4 <= end; r += 4) {
    const float* y0 = y + r * ks;
    const float* y1 = y0 + ks;
    const float* y2 = y1 + ks;
    const float* y3 = y2 + ks;
    for (int a = 0; a < k; ++a) {
      const float a0 = y0[a], a1 = y1[a], a2 = y2[a], a3 = y3[a];
      float* __restrict row = g + static_cast<size_t>(a) * ks;
      for (int b = 0; b < k; ++b) row[b] += a0 * y0[b] + a1 * y1[b] + a2 * y2[b] + a3 * y3[b];
    }
  }
  for (; r < end; ++r) {
    const float* y0 = y + r * ks;
    for (int a = 0; a < k; ++a) Axpy(y0[a], y0, g + static_cast<size_t>(a) * ks, k);
  }
}

}  // namespace

void ComputeGram(std::span<const float> y, uint32_t n, int k, int threads, std::span<float> out) {
  const size_t kk = static_cast<size_t>(k) * static_cast<size_t>(k);
  if (k <= 0 || y.size() != static_cast<size_t>(n) * static_cast<size_t>(k) || out.size() != kk) {
    throw std::invalid_argument("ComputeGram: y must be n*k and out k*k");
  }
  const size_t chunks = GramChunks(n);
  std::vector<float> partial(chunks * kk, 0.f);
  ComputeGramChunks(y, n, k, 0, chunks, threads, partial);
  SumGramChunks(partial, chunks, k, out);
}

size_t GramChunks(uint32_t n) { return (static_cast<size_t>(n) + kGramChunk - 1) / kGramChunk; }

void ComputeGramChunks(std::span<const float> y, uint32_t n, int k, size_t first, size_t last, int threads,
                       std::span<float> out) {
  const size_t kk = static_cast<size_t>(k) * static_cast<size_t>(k);
  if (k <= 0 || y.size() != static_cast<size_t>(n) * static_cast<size_t>(k) || first > last ||
      last > GramChunks(n) || out.size() != (last - first) * kk) {
    throw std::invalid_argument("ComputeGramChunks: y must be n*k, chunks in range and out (last-first)*k*k");
  }
  std::fill(out.begin(), out.end(), 0.f);
  ParallelFor(last - first, threads, [&](size_t b, size_t e) {
    for (size_t c = first + b; c < first + e; ++c) {
      const size_t rb = c * kGramChunk, re = std::min(static_cast<size_t>(n), rb + kGramChunk);
      GramAccumulate(y.data(), rb, re, k, out.data() + (c - first) * kk);
    }
  }, 1);
}

void SumGramChunks(std::span<const float> partials, size_t chunks, int k, std::span<float> out) {
  const size_t kk = static_cast<size_t>(k) * static_cast<size_t>(k);
  if (partials.size() != chunks * kk || out.size() != kk)
    throw std::invalid_argument("SumGramChunks: partials must be chunks*k*k and out k*k");
  std::fill(out.begin(), out.end(), 0.f);
  for (size_t c = 0; c < chunks; ++c) {
    const float* p = partials.data() + c * kk;
    for (size_t j = 0; j < kk; ++j) out[j] += p[j];
  }
}

void RowScratch::ResizeCg(int k) {
  const size_t ks = static_cast<size_t>(k);
  if (r.size() != ks) r.assign(ks, 0.f);
  if (p.size() != ks) p.assign(ks, 0.f);
  if (ap.size() != ks) ap.assign(ks, 0.f);
}

void RowScratch::ResizeCholesky(int k) {
  const size_t ks = static_cast<size_t>(k);
  if (r.size() != ks) r.assign(ks, 0.f);
  if (tmp.size() != ks * ks) tmp.assign(ks * ks, 0.f);
  if (a.size() != ks * ks) a.assign(ks * ks, 0.0);
  if (b.size() != ks) b.assign(ks, 0.0);
}

void SolveRowCg(std::span<const float> gram, float reg, std::span<const float> y, int k,
                std::span<const uint32_t> indices, std::span<const float> conf, int steps,
                std::span<float> x, RowScratch& scratch) {
  scratch.ResizeCg(k);
  const size_t ks = static_cast<size_t>(k);
  float* __restrict r = scratch.r.data();
  float* __restrict p = scratch.p.data();
  float* __restrict ap = scratch.ap.data();
  float* xs = x.data();
  const float* g = gram.data();

  // r = b - A x = -(G + reg I) x + sum_i (c_i - (c_i - 1) y_i.x) y_i
  SymMatVec(g, xs, r, k);
  for (size_t j = 0; j < ks; ++j) r[j] = -r[j] - reg * xs[j];
  FusedDotAxpy(y.data(), k, indices, conf.data(), xs, r, [](float c, float d) { return c - (c - 1.f) * d; });
  std::copy(r, r + ks, p);
  float rsold = DotSimd(r, r, ks);
  if (rsold < 1e-20f) return;

  for (int it = 0; it < steps; ++it) {
    // ap = A p
    SymMatVec(g, p, ap, k);
    for (size_t j = 0; j < ks; ++j) ap[j] += reg * p[j];
    FusedDotAxpy(y.data(), k, indices, conf.data(), p, ap, [](float c, float d) { return (c - 1.f) * d; });
    const float pap = DotSimd(p, ap, ks);
    if (!(pap > 0.f)) break;  // p is (numerically) in A's null space: nothing left to gain
    const float step = rsold / pap;
    for (size_t j = 0; j < ks; ++j) {
      xs[j] += step * p[j];
      r[j] -= step * ap[j];
    }
    const float rsnew = DotSimd(r, r, ks);
    if (rsnew < 1e-20f) break;
    const float beta = rsnew / rsold;
    for (size_t j = 0; j < ks; ++j) p[j] = r[j] + beta * p[j];
    rsold = rsnew;
  }
}

void SolveRowCholesky(std::span<const float> gram, float reg, std::span<const float> y, int k,
                      std::span<const uint32_t> indices, std::span<const float> conf,
                      std::span<float> x, RowScratch& scratch) {
  scratch.ResizeCholesky(k);
  const size_t ks = static_cast<size_t>(k);
  float* __restrict af = scratch.tmp.data();
  float* __restrict bf = scratch.r.data();
  std::copy(gram.begin(), gram.end(), af);
  for (size_t j = 0; j < ks; ++j) af[j * ks + j] += reg;
  std::fill(bf, bf + ks, 0.f);
  for (size_t t = 0; t < indices.size(); ++t) {
    const float* yi = y.data() + static_cast<size_t>(indices[t]) * ks;
    const float w = conf[t] - 1.f;
    Axpy(conf[t], yi, bf, k);
    if (w == 0.f) continue;
    for (size_t a = 0; a < ks; ++a) Axpy(w * yi[a], yi, af + a * ks, k);
  }
  for (size_t j = 0; j < ks * ks; ++j) scratch.a[j] = af[j];
  for (size_t j = 0; j < ks; ++j) scratch.b[j] = bf[j];
  if (!CholeskyFactor(scratch.a, ks)) {
    throw std::invalid_argument("SolveRowCholesky: system not positive definite (regularization " +
                                std::to_string(reg) + "); use a positive regularization");
  }
  CholeskySolve(scratch.a, ks, scratch.b);
  for (size_t j = 0; j < ks; ++j) x[j] = static_cast<float>(scratch.b[j]);
}

std::vector<double> SolveRowReference(std::span<const float> y, uint32_t n, int k, float reg,
                                      std::span<const uint32_t> indices, std::span<const float> conf) {
  const size_t ks = static_cast<size_t>(k);
  std::vector<double> c(n, 1.0), p(n, 0.0);
  for (size_t t = 0; t < indices.size(); ++t) {
    c[indices[t]] = conf[t];
    p[indices[t]] = 1.0;
  }
  // Augmented matrix [A | b], A = Y^T C Y + reg I, b = Y^T C p.
  std::vector<double> m(ks * (ks + 1), 0.0);
  for (uint32_t i = 0; i < n; ++i) {
    const float* yi = y.data() + static_cast<size_t>(i) * ks;
    for (size_t a = 0; a < ks; ++a) {
      for (size_t b = 0; b < ks; ++b) m[a * (ks + 1) + b] += c[i] * double{yi[a]} * double{yi[b]};
      m[a * (ks + 1) + ks] += c[i] * p[i] * double{yi[a]};
    }
  }
  for (size_t a = 0; a < ks; ++a) m[a * (ks + 1) + a] += reg;
  // Gaussian elimination with partial pivoting.
  for (size_t col = 0; col < ks; ++col) {
    size_t piv = col;
    for (size_t r = col + 1; r < ks; ++r) {
      if (std::fabs(m[r * (ks + 1) + col]) > std::fabs(m[piv * (ks + 1) + col])) piv = r;
    }
    if (m[piv * (ks + 1) + col] == 0.0) throw std::invalid_argument("SolveRowReference: singular system");
    if (piv != col) {
      for (size_t j = 0; j <= ks; ++j) std::swap(m[col * (ks + 1) + j], m[piv * (ks + 1) + j]);
    }
    for (size_t r = col + 1; r < ks; ++r) {
      const double f = m[r * (ks + 1) + col] / m[col * (ks + 1) + col];
      for (size_t j = col; j <= ks; ++j) m[r * (ks + 1) + j] -= f * m[col * (ks + 1) + j];
    }
  }
  std::vector<double> xs(ks);
  for (size_t r = ks; r-- > 0;) {
    double s = m[r * (ks + 1) + ks];
    for (size_t j = r + 1; j < ks; ++j) s -= m[r * (ks + 1) + j] * xs[j];
    xs[r] = s / m[r * (ks + 1) + r];
  }
  return xs;
}

double Loss(std::span<const float> x, uint32_t num_users, std::span<const float> y, uint32_t num_items,
            int k, std::span<const uint64_t> indptr, std::span<const uint32_t> indices,
            std::span<const float> conf, std::span<const float> reg_users,
            std::span<const float> reg_items, int threads) {
  const size_t ks = static_cast<size_t>(k);
  // Gram of Y in double (exactness matters more than speed here).
  std::vector<double> gram(ks * ks, 0.0);
  for (uint32_t i = 0; i < num_items; ++i) {
    const float* yi = y.data() + static_cast<size_t>(i) * ks;
    for (size_t a = 0; a < ks; ++a) {
      const double ya = yi[a];
      for (size_t b = 0; b < ks; ++b) gram[a * ks + b] += ya * double{yi[b]};
    }
  }
  constexpr size_t kChunk = 256;
  const size_t chunks = (static_cast<size_t>(num_users) + kChunk - 1) / kChunk;
  std::vector<double> partial(chunks, 0.0);
  ParallelChunks(num_users, kChunk, threads, [&](size_t c, size_t b, size_t e) {
    double s = 0.0;
    std::vector<double> gx(ks);
    for (size_t u = b; u < e; ++u) {
      const float* xu = x.data() + u * ks;
      // All pairs as if unobserved: sum_i (x.y_i)^2 = x^T G x.
      for (size_t a = 0; a < ks; ++a) {
        double t = 0.0;
        for (size_t bb = 0; bb < ks; ++bb) t += gram[a * ks + bb] * double{xu[bb]};
        gx[a] = t;
      }
      double quad = 0.0, norm = 0.0;
      for (size_t a = 0; a < ks; ++a) {
        quad += double{xu[a]} * gx[a];
        norm += double{xu[a]} * double{xu[a]};
      }
      s += quad + double{reg_users[u]} * norm;
      // Observed pairs: replace 1 * s^2 by c (1 - s)^2.
      for (uint64_t t = indptr[u]; t < indptr[u + 1]; ++t) {
        const float* yi = y.data() + static_cast<size_t>(indices[t]) * ks;
        double d = 0.0;
        for (size_t a = 0; a < ks; ++a) d += double{xu[a]} * double{yi[a]};
        s += double{conf[t]} * (1.0 - d) * (1.0 - d) - d * d;
      }
    }
    partial[c] = s;
  });
  double total = 0.0;
  for (double v : partial) total += v;
  for (uint32_t i = 0; i < num_items; ++i) {
    const float* yi = y.data() + static_cast<size_t>(i) * ks;
    double norm = 0.0;
    for (size_t a = 0; a < ks; ++a) norm += double{yi[a]} * double{yi[a]};
    total += double{reg_items[i]} * norm;
  }
  return total;
}

}  // namespace hybridrec::als
