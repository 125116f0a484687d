#include "index/faiss_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_io.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <system_error>

#include "core/vector_kernels.h"
#include "index/brute_force_index.h"
#include "index/simd_flat_ip.h"

namespace hybridrec {
namespace {

// Sets the calling thread's OpenMP team size for the scope (the ICV is per thread, so this
// does not affect searches running concurrently on other threads).
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int threads) : saved_(omp_get_max_threads()), active_(threads > 0) {
    if (active_) omp_set_num_threads(threads);
  }
  ~ScopedOmpThreads() {
    if (active_) omp_set_num_threads(saved_);
  }
  ScopedOmpThreads(const ScopedOmpThreads&) = delete;
  ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;

 private:
  int saved_;
  bool active_;
};

// One query through an IVF-Flat index with the inner product, scored with our SIMD kernel
// (Debian's FAISS scans the lists with a scalar one): the nprobe lists whose centroids score
// highest (ties by lower list number), then every vector stored in them; hits are labelled
// through the id map. The same lists and vectors as FAISS's own search, so the same hits up to
// the rounding of the dot products.
void IvfTopK(const faiss::IndexIVFFlat& ivf, const int64_t* labels, const float* query, int k, SearchHit* out) {
  const size_t d = static_cast<size_t>(ivf.d);
  const auto* centroids = dynamic_cast<const faiss::IndexFlat*>(ivf.quantizer);
  if (centroids == nullptr || static_cast<size_t>(centroids->ntotal) != ivf.nlist)
    throw std::logic_error("IvfTopK: the IVF quantizer is not a flat index over its lists");
  const size_t nprobe = std::min(ivf.nprobe, ivf.nlist);
  std::vector<std::pair<float, size_t>> lists(ivf.nlist);
  const float* c = centroids->get_xb();
  for (size_t l = 0; l < ivf.nlist; ++l) lists[l] = {DotSimd(query, c + l * d, d), l};
  std::partial_sort(lists.begin(), lists.begin() + static_cast<std::ptrdiff_t>(nprobe), lists.end(),
                    [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  TopKHits top(k);
  const faiss::InvertedLists& inv = *ivf.invlists;
  for (size_t p = 0; p < nprobe; ++p) {
    const size_t l = lists[p].second;
    const size_t n = inv.list_size(l);
    if (n == 0) continue;
    faiss::InvertedLists::ScopedCodes codes(&inv, l);
    faiss::InvertedLists::ScopedIds ids(&inv, l);
    const auto* rows = reinterpret_cast<const float*>(codes.get());
    for (size_t i = 0; i < n; ++i) {
      if (i + 4 < n) PrefetchRow(rows + (i + 4) * d, d);
      top.Offer({labels[ids[i]], DotSimd(query, rows + i * d, d)});
    }
  }
  top.Flush(out);
}

}  // namespace

FaissIndex::FaissIndex(std::unique_ptr<faiss::IndexIDMap> map) : map_(std::move(map)) {
  flat_ = dynamic_cast<faiss::IndexFlat*>(map_->index);
  hnsw_ = dynamic_cast<faiss::IndexHNSWFlat*>(map_->index);
  ivf_ = dynamic_cast<faiss::IndexIVFFlat*>(map_->index);
}

FaissIndex::~FaissIndex() = default;

std::unique_ptr<FaissIndex> FaissIndex::NewFlat(int dim) {
  if (dim < 1) throw std::invalid_argument("FaissIndex::NewFlat: dimension must be >= 1");
  auto map = std::make_unique<faiss::IndexIDMap>(new faiss::IndexFlatIP(dim));
  map->own_fields = true;
  return std::unique_ptr<FaissIndex>(new FaissIndex(std::move(map)));
}

std::unique_ptr<FaissIndex> FaissIndex::NewHnsw(int dim, const HnswParams& params) {
  if (dim < 1) throw std::invalid_argument("FaissIndex::NewHnsw: dimension must be >= 1");
  if (params.m < 2 || params.ef_construction < 1 || params.ef_search < 1)
    throw std::invalid_argument("FaissIndex::NewHnsw: need m >= 2, ef_construction >= 1, ef_search >= 1");
  auto* inner = new faiss::IndexHNSWFlat(dim, params.m, faiss::METRIC_INNER_PRODUCT);
  AdoptSimdStorage(inner);  // our SIMD inner product for graph build and search
  inner->hnsw.efConstruction = params.ef_construction;
  inner->hnsw.efSearch = params.ef_search;
  auto map = std::make_unique<faiss::IndexIDMap>(inner);
  map->own_fields = true;
  return std::unique_ptr<FaissIndex>(new FaissIndex(std::move(map)));
}

std::unique_ptr<FaissIndex> FaissIndex::NewIvf(int dim, int lists) {
  if (dim < 1 || lists < 1) throw std::invalid_argument("FaissIndex::NewIvf: need dimension >= 1 and lists >= 1");
  auto* quantizer = new faiss::IndexFlatIP(dim);
  auto* inner = new faiss::IndexIVFFlat(quantizer, static_cast<size_t>(dim), static_cast<size_t>(lists),
                                        faiss::METRIC_INNER_PRODUCT);
  inner->own_fields = true;  // the quantizer
  inner->nprobe = 1;
  // k-means samples at most 256 vectors per list; warn only below one vector per list (refused).
  inner->cp.min_points_per_centroid = 1;
  auto map = std::make_unique<faiss::IndexIDMap>(inner);
  map->own_fields = true;
  return std::unique_ptr<FaissIndex>(new FaissIndex(std::move(map)));
}

Result<std::unique_ptr<FaissIndex>> FaissIndex::Load(const std::filesystem::path& file, int ef_search) {
  const std::string where = file.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    return Status::NotFound(where + ": index file not found (rebuild it with `hybridrec embed`)");
  std::unique_ptr<faiss::Index> raw;
  try {
    raw.reset(faiss::read_index(where.c_str()));
  } catch (const std::exception& e) {
    return Status::Corruption(where + ": not a readable FAISS index (" + std::string(e.what()) + ")");
  }
  auto* map = dynamic_cast<faiss::IndexIDMap*>(raw.get());
  if (map == nullptr)
    return Status::Unsupported(where + ": expected a FAISS IndexIDMap (item ids), found another index type");
  const bool known = dynamic_cast<faiss::IndexFlat*>(map->index) != nullptr ||
                     dynamic_cast<faiss::IndexHNSWFlat*>(map->index) != nullptr ||
                     dynamic_cast<faiss::IndexIVFFlat*>(map->index) != nullptr;
  if (!known)
    return Status::Unsupported(where + ": inner index is none of IndexFlatIP, IndexHNSWFlat and IndexIVFFlat");
  if (map->metric_type != faiss::METRIC_INNER_PRODUCT || map->index->metric_type != faiss::METRIC_INNER_PRODUCT)
    return Status::Unsupported(where + ": index metric is not inner product");
  if (static_cast<int64_t>(map->id_map.size()) != map->index->ntotal)
    return Status::Corruption(where + ": id map size does not match the number of vectors");
  raw.release();
  std::unique_ptr<FaissIndex> out(new FaissIndex(std::unique_ptr<faiss::IndexIDMap>(map)));
  out->map_->own_fields = true;
  if (out->hnsw_ != nullptr && out->hnsw_->own_fields) AdoptSimdStorage(out->hnsw_);
  if (ef_search > 0) out->set_ef_search(ef_search);
  return out;
}

const faiss::Index* FaissIndex::faiss_index() const { return map_.get(); }

std::string FaissIndex::kind() const { return hnsw_ != nullptr ? "hnsw" : ivf_ != nullptr ? "ivf" : "flat"; }
int FaissIndex::dimension() const { return static_cast<int>(map_->d); }
int64_t FaissIndex::size() const { return map_->ntotal; }

void FaissIndex::set_ef_search(int ef) {
  if (ef < 1) throw std::invalid_argument("FaissIndex::set_ef_search: ef must be >= 1");
  if (hnsw_ != nullptr) hnsw_->hnsw.efSearch = ef;
}

int FaissIndex::ef_search() const { return hnsw_ != nullptr ? hnsw_->hnsw.efSearch : 0; }

void FaissIndex::set_search_depth(int depth) {
  if (depth < 1) throw std::invalid_argument("FaissIndex::set_search_depth: depth must be >= 1");
  if (hnsw_ != nullptr) hnsw_->hnsw.efSearch = depth;
  if (ivf_ != nullptr) ivf_->nprobe = std::min(static_cast<size_t>(depth), ivf_->nlist);
}

int FaissIndex::search_depth() const {
  if (hnsw_ != nullptr) return hnsw_->hnsw.efSearch;
  if (ivf_ != nullptr) return static_cast<int>(ivf_->nprobe);
  return 0;
}

int FaissIndex::ivf_lists() const { return ivf_ != nullptr ? static_cast<int>(ivf_->nlist) : 0; }

const SearchCalibration& FaissIndex::CalibrateSearchDepth(std::span<const float> queries, double target, int start_ef,
                                                     int max_ef) {
  const size_t d = static_cast<size_t>(map_->d);
  faiss::Index* inner = map_->index;
  if ((hnsw_ == nullptr && ivf_ == nullptr) || inner->ntotal < 1)
    throw std::invalid_argument("FaissIndex::CalibrateSearchDepth: needs a non-empty HNSW or IVF index");
  if (queries.empty() || queries.size() % d != 0)
    throw std::invalid_argument("FaissIndex::CalibrateSearchDepth: need >= 1 query of the index dimension");
  if (!(target > 0.0 && target <= 1.0) || start_ef < 1 || max_ef < start_ef)
    throw std::invalid_argument("FaissIndex::CalibrateSearchDepth: need 0 < target <= 1 and 1 <= start_ef <= max_ef");
  using Clock = std::chrono::steady_clock;
  auto seconds_since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  const auto nq = static_cast<faiss::Index::idx_t>(queries.size() / d);
  const auto k = static_cast<faiss::Index::idx_t>(std::min<int64_t>(10, inner->ntotal));
  if (ivf_ != nullptr) {  // nprobe = nlist is exhaustive: no deeper value to try
    max_ef = std::min(max_ef, static_cast<int>(ivf_->nlist));
    start_ef = std::min(start_ef, max_ef);
  }
  const size_t nk = static_cast<size_t>(nq * k);
  ScopedOmpThreads scope(build_threads_);

  // Exact answers straight from the graph's own flat storage (BLAS; no copy of the vectors), or
  // for IVF from a search of every list. Labels on both sides are positions in the inner index,
  // so no id mapping is needed.
  SearchCalibration cal;
  cal.ran = true;
  cal.target = target;
  cal.queries = static_cast<int>(nq);
  auto t0 = Clock::now();
  std::vector<float> dist(nk);
  std::vector<faiss::Index::idx_t> exact(nk), approx(nk);
  if (hnsw_ != nullptr) {
    hnsw_->storage->search(nq, queries.data(), k, dist.data(), exact.data());
  } else {
    ivf_->nprobe = ivf_->nlist;
    ivf_->search(nq, queries.data(), k, dist.data(), exact.data());
  }
  // A hit counts if it is one of the exact top k or scores as high as the k-th (a tie: equal
  // item vectors are common in real catalogues, and the tied one returned is arbitrary). The
  // tolerance covers the BLAS vs SIMD rounding of the same inner product.
  constexpr float kTieTolerance = 1e-5f;
  std::vector<float> kth(static_cast<size_t>(nq));
  for (faiss::Index::idx_t q = 0; q < nq; ++q) {
    kth[static_cast<size_t>(q)] = dist[static_cast<size_t>(q * k + k - 1)] - kTieTolerance;
    std::sort(exact.begin() + q * k, exact.begin() + (q + 1) * k);  // for binary_search below
  }
  cal.exact_seconds = seconds_since(t0);

  t0 = Clock::now();
  constexpr double kZ = 1.645;  // one-sided 95% normal quantile
  auto try_ef = [&](int ef) {
    set_search_depth(ef);
    inner->search(nq, queries.data(), k, dist.data(), approx.data());
    double sum = 0, sum_sq = 0;
    for (faiss::Index::idx_t q = 0; q < nq; ++q) {
      const auto first = exact.begin() + q * k, last = first + k;
      size_t found = 0;
      for (faiss::Index::idx_t r = 0; r < k; ++r) {
        const size_t i = static_cast<size_t>(q * k + r);
        found += (approx[i] >= 0 && (dist[i] >= kth[static_cast<size_t>(q)] ||
                                     std::binary_search(first, last, approx[i]))) ? 1 : 0;
      }
      const double r = static_cast<double>(found) / static_cast<double>(k);
      sum += r;
      sum_sq += r * r;
    }
    SearchCalibrationStep step;
    step.ef_search = ef;
    const double m = static_cast<double>(nq);
    step.recall = sum / m;
    const double var = nq > 1 ? std::max(0.0, (sum_sq - m * step.recall * step.recall) / (m - 1)) : 0.0;
    step.std_error = std::sqrt(var / m);
    step.passed = step.recall - kZ * step.std_error >= target;
    cal.ladder.push_back(step);
    return step;
  };
  // Climb x1.5 (at least +1, the cap itself always tried) to the first value that passes...
  int lo = 0;  // largest ef known to fail (0 = none)
  SearchCalibrationStep best = try_ef(start_ef);
  while (!best.passed && best.ef_search < max_ef) {
    lo = best.ef_search;
    const int64_t next = std::max<int64_t>(lo + 1, (static_cast<int64_t>(lo) * 3 + 1) / 2);
    best = try_ef(static_cast<int>(std::min<int64_t>(max_ef, next)));
  }
  // ...then halve the last step while it is wider than 1/8 of its lower end, so the choice is
  // within ~12% of the smallest passing ef rather than up to 50% above it.
  if (best.passed && lo > 0) {
    while (best.ef_search - lo > std::max(1, lo / 8)) {
      const SearchCalibrationStep mid = try_ef(lo + (best.ef_search - lo) / 2);
      if (mid.passed) {
        best = mid;
      } else {
        lo = mid.ef_search;
      }
    }
  }
  cal.ef_search = best.ef_search;
  cal.recall = best.recall;
  cal.reached = best.passed;
  set_search_depth(cal.ef_search);
  cal.ladder_seconds = seconds_since(t0);
  calibration_ = std::move(cal);
  return calibration_;
}

Status FaissIndex::Add(std::span<const float> vectors, std::span<const int64_t> ids) {
  const size_t d = static_cast<size_t>(map_->d);
  if (vectors.size() != ids.size() * d) {
    return Status::InvalidArgument("FaissIndex::Add: " + std::to_string(vectors.size()) + " floats for " +
                                   std::to_string(ids.size()) + " ids of dimension " + std::to_string(d));
  }
  if (ids.empty()) return Status::Ok();
  ScopedOmpThreads scope(build_threads_);
  if (ivf_ != nullptr && !ivf_->is_trained) {
    if (ids.size() < ivf_->nlist)
      return Status::InvalidArgument("FaissIndex::Add: the first vectors added to an IVF index train its " +
                                     std::to_string(ivf_->nlist) + " lists, but only " + std::to_string(ids.size()) +
                                     " were given");
    try {
      ivf_->train(static_cast<faiss::Index::idx_t>(ids.size()), vectors.data());
    } catch (const std::exception& e) {
      return Status::InvalidArgument(std::string("FaissIndex::Add: training the IVF lists: ") + e.what());
    }
  }
  try {
    map_->add_with_ids(static_cast<faiss::Index::idx_t>(ids.size()), vectors.data(), ids.data());
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("FaissIndex::Add: ") + e.what());
  }
  return Status::Ok();
}

void FaissIndex::Search(std::span<const float> queries, int k, std::vector<SearchHit>& out) const {
  const size_t d = static_cast<size_t>(map_->d);
  if (k < 1) throw std::invalid_argument("FaissIndex::Search: k must be >= 1");
  if (queries.size() % d != 0)
    throw std::invalid_argument("FaissIndex::Search: query buffer is not a multiple of the dimension");
  const size_t nq = queries.size() / d;
  out.resize(nq * static_cast<size_t>(k));
  if (nq == 0) return;
  if (flat_ != nullptr && nq == 1) {
    ExactTopK(queries.data(), flat_->get_xb(), map_->id_map.data(), map_->ntotal, static_cast<int>(d), k,
              out.data());
    return;
  }
  if (ivf_ != nullptr && nq == 1) {
    IvfTopK(*ivf_, map_->id_map.data(), queries.data(), k, out.data());
    return;
  }
  std::vector<float> dist(nq * static_cast<size_t>(k));
  std::vector<faiss::Index::idx_t> labels(nq * static_cast<size_t>(k));
  {
    ScopedOmpThreads scope(nq == 1 ? 1 : 0);
    map_->search(static_cast<faiss::Index::idx_t>(nq), queries.data(), k, dist.data(), labels.data());
  }
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = labels[i] < 0 ? SearchHit{-1, -std::numeric_limits<float>::infinity()}
                           : SearchHit{labels[i], dist[i]};
  }
}

Status FaissIndex::Save(const std::filesystem::path& file) const {
  // Write beside the target then rename, so a crash never leaves a torn index.
  const std::filesystem::path tmp = file.string() + ".tmp";
  try {
    faiss::write_index(map_.get(), tmp.string().c_str());
  } catch (const std::exception& e) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    return Status::IOError(file.string() + ": cannot write FAISS index (" + std::string(e.what()) + ")");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) return Status::IOError(file.string() + ": cannot move index into place: " + ec.message());
  return Status::Ok();
}

}  // namespace hybridrec
