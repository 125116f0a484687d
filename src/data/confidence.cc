#include "data/confidence.h"

#include <cmath>
#include <stdexcept>
#include <vector>

namespace hybridrec {

Result<ConfidenceKind> ParseConfidenceKind(const std::string& name) {
  if (name == "linear") return ConfidenceKind::kLinear;
  if (name == "log") return ConfidenceKind::kLog;
  if (name == "bm25") return ConfidenceKind::kBm25;
  return Status::InvalidArgument("unknown confidence kind '" + name + "'; expected linear, log or bm25");
}

std::string ConfidenceKindName(ConfidenceKind kind) {
  switch (kind) {
    case ConfidenceKind::kLinear:
      return "linear";
    case ConfidenceKind::kLog:
      return "log";
    case ConfidenceKind::kBm25:
      return "bm25";
  }
  return "unknown";
}

namespace {

// Applies value = f(row, col, value) to every entry of `m`.
template <typename F>
void Transform(CsrMatrix& m, F&& f) {
  for (uint32_t r = 0; r < m.rows; ++r)
    for (uint64_t k = m.indptr[r]; k < m.indptr[r + 1]; ++k) m.values[k] = f(r, m.indices[k], m.values[k]);
}

}  // namespace

InteractionMatrix ApplyConfidence(const InteractionMatrix& raw, const ConfidenceOptions& o) {
  if (!(o.alpha >= 0.f) || !std::isfinite(o.alpha))
    throw std::invalid_argument("ApplyConfidence: alpha must be finite and >= 0");
  if (o.kind == ConfidenceKind::kLog && !(o.eps > 0.f))
    throw std::invalid_argument("ApplyConfidence: eps must be > 0 for log confidence");
  if (o.kind == ConfidenceKind::kBm25 && (!(o.bm25_k1 >= 0.f) || !(o.bm25_b >= 0.f && o.bm25_b <= 1.f)))
    throw std::invalid_argument("ApplyConfidence: bm25_k1 must be >= 0 and bm25_b in [0, 1]");
  const CsrMatrix& bu = raw.by_user;
  const CsrMatrix& bi = raw.by_item;
  if (bu.rows != bi.cols || bu.cols != bi.rows || bu.nnz() != bi.nnz() ||
      bu.indptr.size() != static_cast<size_t>(bu.rows) + 1 || bi.indptr.size() != static_cast<size_t>(bi.rows) + 1)
    throw std::invalid_argument("ApplyConfidence: the CSR and CSC views of the matrix disagree");

  InteractionMatrix out = raw;
  const float alpha = o.alpha;
  switch (o.kind) {
    case ConfidenceKind::kLinear: {
      auto f = [alpha](uint32_t, uint32_t, float r) { return 1.f + alpha * r; };
      Transform(out.by_user, f);
      Transform(out.by_item, f);
      break;
    }
    case ConfidenceKind::kLog: {
      const float eps = o.eps;
      auto f = [alpha, eps](uint32_t, uint32_t, float r) { return 1.f + alpha * std::log1p(r / eps); };
      Transform(out.by_user, f);
      Transform(out.by_item, f);
      break;
    }
    case ConfidenceKind::kBm25: {
      const uint32_t nu = bu.rows;
      const uint32_t ni = bu.cols;
      // Statistics in double, in a fixed order, so the result does not depend on orientation.
      std::vector<double> idf(ni), len_norm(nu);
      const double log_n = std::log(static_cast<double>(nu));
      for (uint32_t i = 0; i < ni; ++i) idf[i] = log_n - std::log1p(static_cast<double>(bi.RowLength(i)));
      double total = 0;
      std::vector<double> len(nu, 0.0);
      for (uint32_t u = 0; u < nu; ++u) {
        for (float v : bu.RowValues(u)) len[u] += v;
        total += len[u];
      }
      const double avg = nu > 0 ? total / nu : 0.0;
      const double k1 = o.bm25_k1;
      const double b = o.bm25_b;
      for (uint32_t u = 0; u < nu; ++u) len_norm[u] = (1.0 - b) + (avg > 0 ? b * len[u] / avg : 0.0);
      auto weight = [&](uint32_t u, uint32_t i, float r) {
        const double rd = r;
        double w = rd * (k1 + 1.0) / (k1 * len_norm[u] + rd) * idf[i];
        if (!(w > 0.0)) w = 0.0;  // see header: keep c >= 1
        return 1.f + alpha * static_cast<float>(w);
      };
      Transform(out.by_user, weight);
      Transform(out.by_item, [&](uint32_t i, uint32_t u, float r) { return weight(u, i, r); });
      break;
    }
  }
  return out;
}

}  // namespace hybridrec
