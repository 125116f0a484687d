#include "index/faiss_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_io.h>
#include <omp.h>

#include <limits>
#include <stdexcept>
#include <system_error>

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

}  // namespace

FaissIndex::FaissIndex(std::unique_ptr<faiss::IndexIDMap> map) : map_(std::move(map)) {
  flat_ = dynamic_cast<faiss::IndexFlat*>(map_->index);
  hnsw_ = dynamic_cast<faiss::IndexHNSWFlat*>(map_->index);
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
                     dynamic_cast<faiss::IndexHNSWFlat*>(map->index) != nullptr;
  if (!known) return Status::Unsupported(where + ": inner index is neither IndexFlatIP nor IndexHNSWFlat");
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

std::string FaissIndex::kind() const { return hnsw_ != nullptr ? "hnsw" : "flat"; }
int FaissIndex::dimension() const { return static_cast<int>(map_->d); }
int64_t FaissIndex::size() const { return map_->ntotal; }

void FaissIndex::set_ef_search(int ef) {
  if (ef < 1) throw std::invalid_argument("FaissIndex::set_ef_search: ef must be >= 1");
  if (hnsw_ != nullptr) hnsw_->hnsw.efSearch = ef;
}

Status FaissIndex::Add(std::span<const float> vectors, std::span<const int64_t> ids) {
  const size_t d = static_cast<size_t>(map_->d);
  if (vectors.size() != ids.size() * d) {
    return Status::InvalidArgument("FaissIndex::Add: " + std::to_string(vectors.size()) + " floats for " +
                                   std::to_string(ids.size()) + " ids of dimension " + std::to_string(d));
  }
  if (ids.empty()) return Status::Ok();
  ScopedOmpThreads scope(build_threads_);
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
