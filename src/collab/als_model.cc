#include "collab/als_model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <immintrin.h>

#include "collab/als_kernels.h"
#include "collab/als_sweep.h"
#include "core/parallel.h"
#include "core/progress.h"
#include "core/random.h"

namespace hybridrec {
namespace {

using als::ConfidenceFn;
using als::PerEntryConfidence;

constexpr size_t kUserBlock = 8;

#if defined(__AVX512F__)
// U users x 64 items of output held in 16 registers while f runs over the k factors: per f,
// 4 loads of Y^T and U broadcasts feed 4U FMAs (compute-bound, no output traffic inside).
// Each output is the same fma chain over f = 0..k-1 whatever U is, so blocks of any size give
// bit-identical scores.
template <int U>
void ScoreGroup(const float* const* xs, const float* yt, uint32_t n, int k, float* const* out) {
  for (uint32_t i0 = 0; i0 < n; i0 += 64) {
    const uint32_t len = std::min<uint32_t>(64, n - i0);
    __mmask16 m[4];
    for (int j = 0; j < 4; ++j) {
      const int rem = static_cast<int>(len) - 16 * j;
      m[j] = rem >= 16 ? static_cast<__mmask16>(0xFFFF)
                       : (rem <= 0 ? static_cast<__mmask16>(0) : static_cast<__mmask16>((1u << rem) - 1u));
    }
    __m512 acc[U][4];
    for (int u = 0; u < U; ++u) {
      for (int j = 0; j < 4; ++j) acc[u][j] = _mm512_setzero_ps();
    }
    for (int f = 0; f < k; ++f) {
      const float* yrow = yt + static_cast<size_t>(f) * n + i0;
      __m512 yv[4];
      for (int j = 0; j < 4; ++j) yv[j] = _mm512_maskz_loadu_ps(m[j], yrow + 16 * j);
      for (int u = 0; u < U; ++u) {
        const __m512 xb = _mm512_set1_ps(xs[u][f]);
        for (int j = 0; j < 4; ++j) acc[u][j] = _mm512_fmadd_ps(xb, yv[j], acc[u][j]);
      }
    }
    for (int u = 0; u < U; ++u) {
      for (int j = 0; j < 4; ++j) _mm512_mask_storeu_ps(out[u] + i0 + 16 * j, m[j], acc[u][j]);
    }
  }
}
#endif

// out_rows[b][i] = sum_f x_b[f] * yt[f][i] for i in [0, n), accumulated over f in order.
void ScoreBlock(const float* const* xs, size_t nb, const float* yt, uint32_t n, int k, float* const* out) {
#if defined(__AVX512F__)
  size_t b = 0;
  for (; b + 4 <= nb; b += 4) ScoreGroup<4>(xs + b, yt, n, k, out + b);
  switch (nb - b) {
    case 3: ScoreGroup<3>(xs + b, yt, n, k, out + b); break;
    case 2: ScoreGroup<2>(xs + b, yt, n, k, out + b); break;
    case 1: ScoreGroup<1>(xs + b, yt, n, k, out + b); break;
    default: break;
  }
#else
  constexpr uint32_t kTile = 512;
  for (uint32_t i0 = 0; i0 < n; i0 += kTile) {
    const uint32_t len = std::min(kTile, n - i0);
    for (size_t b = 0; b < nb; ++b) std::fill(out[b] + i0, out[b] + i0 + len, 0.f);
    for (int f = 0; f < k; ++f) {
      const float* __restrict yrow = yt + static_cast<size_t>(f) * n + i0;
      for (size_t b = 0; b < nb; ++b) {
        const float a = xs[b][f];
        float* __restrict o = out[b] + i0;
        for (uint32_t i = 0; i < len; ++i) o[i] += a * yrow[i];
      }
    }
  }
#endif
}

}  // namespace

namespace als {

// Per-entry confidence c = f(raw strength); kPrecomputed when the matrix already holds c.
float ConfidenceFn::operator()(float r) const {
  switch (mode) {
    case kPrecomputed: return r;
    case kLinear: return 1.f + alpha * r;
    case kLog: return 1.f + alpha * std::log1p(r / eps);
  }
  return r;
}

ConfidenceFn PerEntryConfidence(const ConfidenceOptions& c) {
  ConfidenceFn fn;
  fn.alpha = c.alpha;
  fn.eps = c.eps;
  // BM25 needs whole-matrix statistics; per entry (fold-in) we fall back to the linear form.
  fn.mode = c.kind == ConfidenceKind::kLog ? ConfidenceFn::kLog : ConfidenceFn::kLinear;
  return fn;
}

namespace {

// A row's raw strengths through the confidence transform, from either matrix type.
void RowConfidence(const CsrMatrix& m, uint32_t row, const ConfidenceFn& fn, std::vector<float>& conf) {
  const auto vals = m.RowValues(row);
  conf.resize(vals.size());
  for (size_t t = 0; t < vals.size(); ++t) conf[t] = fn(vals[t]);
}
void RowConfidence(const CsrView& m, uint32_t row, const ConfidenceFn& fn, std::vector<float>& conf) {
  const uint64_t b = m.RowBegin(row);
  conf.resize(static_cast<size_t>(m.RowEnd(row) - b));
  for (size_t t = 0; t < conf.size(); ++t) conf[t] = fn(m.Value(b + t));
}

// One ALS half-step: every row of `self` re-solved against `other` (whose Gram is `gram`).
template <typename Matrix>
void HalfStepT(const Matrix& m, const ConfidenceFn& fn, std::span<const float> other,
              std::span<const float> gram, std::span<float> self, std::span<const float> reg,
              const AlsOptions& o) {
  const size_t ks = static_cast<size_t>(o.factors);
  ParallelFor(m.rows, o.threads, [&](size_t b, size_t e) {
    als::RowScratch scratch;
    std::vector<float> conf;
    for (size_t r = b; r < e; ++r) {
      const auto row = static_cast<uint32_t>(r);
      const auto idx = m.RowIndices(row);
      RowConfidence(m, row, fn, conf);
      std::span<float> x = self.subspan(r * ks, ks);
      if (o.solver == AlsSolver::kCholesky) {
        als::SolveRowCholesky(gram, reg[r], other, o.factors, idx, conf, x, scratch);
      } else {
        als::SolveRowCg(gram, reg[r], other, o.factors, idx, conf, o.cg_steps, x, scratch);
      }
    }
  }, 16);
}

}  // namespace

void InitFactorRows(std::vector<float>& f, uint64_t first_row, uint32_t rows, int k, uint64_t seed, float scale) {
  const size_t ks = static_cast<size_t>(k);
  f.assign(static_cast<size_t>(rows) * ks, 0.f);
  for (uint32_t r = 0; r < rows; ++r) {
    Rng rng(SplitSeed(seed, first_row + r));  // per-row stream: independent of threads and of other rows
    for (size_t j = 0; j < ks; ++j) f[r * ks + j] = static_cast<float>(rng.Normal() * scale);
  }
}

void HalfStep(const CsrMatrix& m, const ConfidenceFn& fn, std::span<const float> other, std::span<const float> gram,
              std::span<float> self, std::span<const float> reg, const AlsOptions& o) {
  HalfStepT(m, fn, other, gram, self, reg, o);
}
void HalfStep(const CsrView& m, const ConfidenceFn& fn, std::span<const float> other, std::span<const float> gram,
              std::span<float> self, std::span<const float> reg, const AlsOptions& o) {
  HalfStepT(m, fn, other, gram, self, reg, o);
}

float RowRegularization(const AlsOptions& o, uint64_t row_length) {
  if (o.reg_exponent == 0.f) return o.regularization;
  return o.regularization *
         static_cast<float>(std::pow(static_cast<double>(row_length) + o.reg_offset, o.reg_exponent));
}

}  // namespace als

Result<AlsSolver> ParseAlsSolver(const std::string& name) {
  if (name == "cg") return AlsSolver::kConjugateGradient;
  if (name == "cholesky") return AlsSolver::kCholesky;
  return Status::InvalidArgument("unknown ALS solver '" + name + "': use cg or cholesky");
}

std::string AlsSolverName(AlsSolver solver) {
  return solver == AlsSolver::kCholesky ? "cholesky" : "cg";
}

void AlsOptions::Validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument("AlsOptions: " + what); };
  if (factors < 1) bad("factors must be >= 1");
  if (!(regularization >= 0.f) || !std::isfinite(regularization)) bad("regularization must be finite and >= 0");
  if (!std::isfinite(reg_exponent)) bad("reg_exponent must be finite");
  if (reg_exponent != 0.f && !(reg_offset > 0.f)) bad("reg_offset must be > 0 when reg_exponent != 0");
  if (!(confidence.alpha >= 0.f) || !std::isfinite(confidence.alpha)) bad("confidence.alpha must be finite and >= 0");
  if (confidence.kind == ConfidenceKind::kLog && !(confidence.eps > 0.f)) bad("confidence.eps must be > 0");
  if (iterations < 0) bad("iterations must be >= 0");
  if (cg_steps < 1) bad("cg_steps must be >= 1");
  if (threads < 0) bad("threads must be >= 0 (0 = all hardware threads)");
  if (!(init_scale >= 0.f) || !std::isfinite(init_scale)) bad("init_scale must be finite and >= 0");
}

AlsModel::AlsModel(AlsOptions options) : options_(options) { options_.Validate(); }

AlsModel::AlsModel(AlsOptions options, uint32_t num_users, uint32_t num_items, std::vector<float> user_factors,
                   std::vector<float> item_factors)
    : options_(options), num_users_(num_users), num_items_(num_items), x_(std::move(user_factors)),
      y_(std::move(item_factors)) {
  options_.Validate();
  const size_t ks = static_cast<size_t>(options_.factors);
  if (x_.size() != num_users_ * ks || y_.size() != num_items_ * ks) {
    throw std::invalid_argument("AlsModel: factor arrays must be num_users x " + std::to_string(ks) + " and num_items x " +
                                std::to_string(ks) + " (got " + std::to_string(x_.size()) + " and " +
                                std::to_string(y_.size()) + " floats)");
  }
  FinishFactors();
}

float AlsModel::RowReg(uint64_t row_length) const { return als::RowRegularization(options_, row_length); }

Status AlsModel::Fit(const FitInput& input) {
  if (input.train == nullptr) return Status::InvalidArgument("AlsModel::Fit: no training matrix");
  const InteractionMatrix* m = input.train;
  if (m->by_item.rows != m->by_user.cols || m->by_item.cols != m->by_user.rows ||
      m->by_user.indptr.size() != static_cast<size_t>(m->by_user.rows) + 1 ||
      m->by_item.indptr.size() != static_cast<size_t>(m->by_item.rows) + 1 || m->by_user.nnz() != m->by_item.nnz()) {
    return Status::InvalidArgument("AlsModel::Fit: CSR and CSC views of the training matrix disagree");
  }
  if (m->num_users() == 0 || m->num_items() == 0) {
    return Status::InvalidArgument("AlsModel::Fit: the training matrix has no users or no items");
  }
  if (options_.confidence.kind == ConfidenceKind::kBm25) {
    const InteractionMatrix bm25 = ApplyConfidence(*m, options_.confidence);
    FitSweeps(bm25.by_user, bm25.by_item, input.quiet);
  } else {
    FitSweeps(m->by_user, m->by_item, input.quiet);
  }
  return Status::Ok();
}

Status AlsModel::FitCsr(const CsrView& user_items, bool quiet) {
  if (user_items.rows == 0 || user_items.cols == 0)
    return Status::InvalidArgument("AlsModel::Fit: the training matrix has no users or no items");
  HR_RETURN_IF_ERROR(user_items.Validate());
  if (options_.confidence.kind == ConfidenceKind::kBm25) {
    InteractionMatrix m;
    m.by_user = user_items.ToMatrix();
    m.by_item = m.by_user.Transposed();
    return Fit(FitInput{nullptr, &m, quiet});
  }
  const CsrMatrix by_item = user_items.Transposed();
  FitSweeps(user_items, by_item, quiet);
  return Status::Ok();
}

template <typename ByUser>
void AlsModel::FitSweeps(const ByUser& by_user, const CsrMatrix& by_item, bool quiet) {
  const AlsOptions& o = options_;
  ConfidenceFn fn = PerEntryConfidence(o.confidence);
  if (o.confidence.kind == ConfidenceKind::kBm25) fn.mode = ConfidenceFn::kPrecomputed;
  num_users_ = by_user.rows;
  num_items_ = by_user.cols;
  const int k = o.factors;
  const size_t ks = static_cast<size_t>(k);
  std::vector<float> reg_u(num_users_), reg_i(num_items_);
  for (uint32_t u = 0; u < num_users_; ++u) reg_u[u] = RowReg(by_user.RowLength(u));
  for (uint32_t i = 0; i < num_items_; ++i) reg_i[i] = RowReg(by_item.RowLength(i));
  als::InitFactorRows(x_, 0, num_users_, k, SplitSeed(o.seed, 0), o.init_scale);
  als::InitFactorRows(y_, 0, num_items_, k, SplitSeed(o.seed, 1), o.init_scale);
  // The loss is summed over the user-major entries of an owned matrix, else (the objective is
  // symmetric in users and items) over the item-major ones.
  constexpr bool kOwned = std::is_same_v<ByUser, CsrMatrix>;
  const CsrMatrix& loss_matrix = [&]() -> const CsrMatrix& {
    if constexpr (kOwned) return by_user; else return by_item;
  }();
  std::vector<float> conf_all;  // only for the loss
  if (o.compute_loss) {
    conf_all.resize(loss_matrix.nnz());
    for (size_t t = 0; t < conf_all.size(); ++t) conf_all[t] = fn(loss_matrix.values[t]);
  }
  loss_history_.clear();
  iteration_seconds_.clear();
  std::vector<float> gram(ks * ks);
  Progress progress("als", static_cast<size_t>(o.iterations), quiet && o.quiet);
  for (int it = 0; it < o.iterations; ++it) {
    const auto t0 = std::chrono::steady_clock::now();
    als::ComputeGram(y_, num_items_, k, o.threads, gram);
    als::HalfStep(by_user, fn, y_, gram, x_, reg_u, o);
    als::ComputeGram(x_, num_users_, k, o.threads, gram);
    als::HalfStep(by_item, fn, x_, gram, y_, reg_i, o);
    iteration_seconds_.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    std::string extra;
    if (o.compute_loss) {
      const double loss =
          kOwned ? als::Loss(x_, num_users_, y_, num_items_, k, loss_matrix.indptr, loss_matrix.indices, conf_all,
                             reg_u, reg_i, o.threads)
                 : als::Loss(y_, num_items_, x_, num_users_, k, loss_matrix.indptr, loss_matrix.indices, conf_all,
                             reg_i, reg_u, o.threads);
      loss_history_.push_back(loss);
      char buf[64];
      std::snprintf(buf, sizeof buf, "loss %.6g", loss);
      extra = buf;
    }
    progress.Update(static_cast<size_t>(it) + 1, extra);
  }
  progress.Finish();
  FinishFactors();
}

void AlsModel::FinishFactors() {
  const size_t ks = static_cast<size_t>(options_.factors);
  y_t_.assign(ks * num_items_, 0.f);
  for (uint32_t i = 0; i < num_items_; ++i) {
    for (size_t f = 0; f < ks; ++f) y_t_[f * num_items_ + i] = y_[i * ks + f];
  }
  gram_x_.assign(ks * ks, 0.f);
  gram_y_.assign(ks * ks, 0.f);
  als::ComputeGram(x_, num_users_, options_.factors, options_.threads, gram_x_);
  als::ComputeGram(y_, num_items_, options_.factors, options_.threads, gram_y_);
}

size_t AlsModel::MemoryBytes() const {
  return (x_.size() + y_.size() + y_t_.size() + gram_x_.size() + gram_y_.size()) * sizeof(float);
}

void AlsModel::ScoreUser(uint32_t user, std::span<float> scores) const {
  if (user >= num_users_ || scores.size() != num_items_) {
    throw std::invalid_argument("AlsModel::ScoreUser: user out of range or scores not num_items long");
  }
  ScoreVector(std::span<const float>(x_).subspan(static_cast<size_t>(user) * options_.factors,
                                                 static_cast<size_t>(options_.factors)),
              scores);
}

void AlsModel::ScoreVector(std::span<const float> user_vector, std::span<float> scores) const {
  if (user_vector.size() != static_cast<size_t>(options_.factors) || scores.size() != num_items_) {
    throw std::invalid_argument("AlsModel::ScoreVector: vector must have k entries and scores num_items");
  }
  const float* xs[1] = {user_vector.data()};
  float* out[1] = {scores.data()};
  ScoreBlock(xs, 1, y_t_.data(), num_items_, options_.factors, out);
}

void AlsModel::ScoreUsers(std::span<const uint32_t> users, std::span<float> out, uint32_t num_items) const {
  if (num_items != num_items_ || out.size() != users.size() * static_cast<size_t>(num_items_)) {
    throw std::invalid_argument("AlsModel::ScoreUsers: out must be users.size() x num_items");
  }
  for (uint32_t u : users) {
    if (u >= num_users_) throw std::invalid_argument("AlsModel::ScoreUsers: user out of range");
  }
  const size_t ks = static_cast<size_t>(options_.factors);
  const size_t blocks = (users.size() + kUserBlock - 1) / kUserBlock;
  ParallelFor(blocks, options_.threads, [&](size_t bb, size_t be) {
    for (size_t blk = bb; blk < be; ++blk) {
      const float* xs[kUserBlock];
      float* rows[kUserBlock];
      const size_t first = blk * kUserBlock;
      const size_t nb = std::min(kUserBlock, users.size() - first);
      for (size_t b = 0; b < nb; ++b) {
        xs[b] = x_.data() + users[first + b] * ks;
        rows[b] = out.data() + (first + b) * num_items_;
      }
      ScoreBlock(xs, nb, y_t_.data(), num_items_, options_.factors, rows);
    }
  }, 4);
}

std::vector<float> AlsModel::FoldIn(std::span<const std::pair<uint32_t, float>> strengths, uint32_t limit,
                                    std::span<const float> other, std::span<const float> other_gram,
                                    float regularization) const {
  std::vector<std::pair<uint32_t, float>> s(strengths.begin(), strengths.end());
  for (const auto& [id, r] : s) {
    if (id >= limit) throw std::invalid_argument("AlsModel fold-in: id " + std::to_string(id) + " out of range");
    if (!std::isfinite(r) || r < 0.f) {
      throw std::invalid_argument("AlsModel fold-in: strength of id " + std::to_string(id) +
                                  " must be finite and >= 0");
    }
  }
  std::stable_sort(s.begin(), s.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<uint32_t> idx;
  std::vector<float> raw;
  for (const auto& [id, r] : s) {
    if (!idx.empty() && idx.back() == id) {
      raw.back() += r;  // duplicates summed, as in BuildInteractionMatrix
    } else {
      idx.push_back(id);
      raw.push_back(r);
    }
  }
  const ConfidenceFn fn = PerEntryConfidence(options_.confidence);
  std::vector<float> conf(raw.size());
  for (size_t t = 0; t < raw.size(); ++t) conf[t] = fn(raw[t]);
  const float reg = regularization >= 0.f ? regularization : RowReg(idx.size());
  std::vector<float> x(static_cast<size_t>(options_.factors));
  als::RowScratch scratch;
  als::SolveRowCholesky(other_gram, reg, other, options_.factors, idx, conf, x, scratch);
  return x;
}

std::vector<float> AlsModel::FoldInUser(std::span<const std::pair<uint32_t, float>> item_strengths,
                                        float regularization) const {
  return FoldIn(item_strengths, num_items_, y_, gram_y_, regularization);
}

std::vector<float> AlsModel::FoldInItem(std::span<const std::pair<uint32_t, float>> user_strengths,
                                        float regularization) const {
  return FoldIn(user_strengths, num_users_, x_, gram_x_, regularization);
}

}  // namespace hybridrec
