#include "index/index_factory.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "core/progress.h"
#include "core/random.h"
#include "index/brute_force_index.h"

namespace hybridrec {

Result<IndexKind> ParseIndexKind(std::string_view name) {
  if (name == "auto") return IndexKind::kAuto;
  if (name == "flat") return IndexKind::kFlat;
  if (name == "hnsw") return IndexKind::kHnsw;
  if (name == "ivf") return IndexKind::kIvf;
  if (name == "brute") return IndexKind::kBrute;
  return Status::InvalidArgument("unknown index kind '" + std::string(name) +
                                 "' (expected auto, flat, hnsw, ivf or brute)");
}

std::unique_ptr<VectorIndex> MakeIndex(const IndexOptions& options, int dim, int64_t expected_size) {
  std::unique_ptr<FaissIndex> faiss_index;
  switch (options.kind) {
    case IndexKind::kBrute:
      return std::make_unique<BruteForceIndex>(dim);
    case IndexKind::kFlat:
      faiss_index = FaissIndex::NewFlat(dim);
      break;
    case IndexKind::kHnsw:
      faiss_index = FaissIndex::NewHnsw(dim, options.hnsw);
      break;
    case IndexKind::kIvf: {
      const auto lists = options.ivf_lists > 0
                             ? static_cast<int64_t>(options.ivf_lists)
                             : std::llround(std::sqrt(static_cast<double>(std::max<int64_t>(expected_size, 1))));
      faiss_index = FaissIndex::NewIvf(dim, static_cast<int>(std::clamp<int64_t>(lists, 1, std::max<int64_t>(expected_size, 1))));
      break;
    }
    case IndexKind::kAuto:
      faiss_index = expected_size >= options.hnsw_threshold ? FaissIndex::NewHnsw(dim, options.hnsw)
                                                            : FaissIndex::NewFlat(dim);
      break;
  }
  faiss_index->set_build_threads(options.build_threads);
  return faiss_index;
}

namespace {

// index.Add of rows [begin, end) of `vectors` in chunks, advancing `progress` by each chunk (an
// HNSW build of a large catalogue takes minutes). The graph depends on the chunking, which
// depends only on the number of rows, so builds stay reproducible.
Status AddInChunks(VectorIndex& index, std::span<const float> vectors, std::span<const int64_t> ids, size_t begin,
                   size_t end, Progress& progress, size_t& done) {
  const size_t d = vectors.size() / std::max<size_t>(ids.size(), 1);
  const size_t chunk = std::max<size_t>(10000, ids.size() / 50);
  for (size_t b = begin; b < end; b += chunk) {
    const size_t e = std::min(end, b + chunk);
    HR_RETURN_IF_ERROR(index.Add(vectors.subspan(b * d, (e - b) * d), ids.subspan(b, e - b)));
    done += e - b;
    progress.Update(done);
  }
  return Status::Ok();
}

// BuildIndex for HNSW with efSearch calibration (see HnswParams): the held-out rows are
// skipped by adding the rows between them in runs, so the n x d matrix is never copied.
Status AddWithCalibration(const HnswParams& params, FaissIndex& index, std::span<const float> vectors,
                          std::span<const int64_t> ids, size_t n_queries, Progress& progress) {
  const size_t n = ids.size();
  const size_t d = static_cast<size_t>(index.dimension());
  std::vector<char> held(n, 0);
  Rng rng(params.calibration_seed);
  for (size_t picked = 0; picked < n_queries;) {
    const size_t i = static_cast<size_t>(rng.Below(n));
    if (!held[i]) held[i] = 1, ++picked;
  }
  std::vector<size_t> rows;  // held-out rows, ascending
  rows.reserve(n_queries);
  for (size_t i = 0; i < n; ++i)
    if (held[i]) rows.push_back(i);

  size_t begin = 0, done = 0;
  for (size_t stop : rows) {
    if (stop > begin) HR_RETURN_IF_ERROR(AddInChunks(index, vectors, ids, begin, stop, progress, done));
    begin = stop + 1;
  }
  if (n > begin) HR_RETURN_IF_ERROR(AddInChunks(index, vectors, ids, begin, n, progress, done));

  std::vector<float> queries(n_queries * d);
  std::vector<int64_t> query_ids(n_queries);
  for (size_t j = 0; j < n_queries; ++j) {
    std::copy_n(vectors.data() + rows[j] * d, d, queries.data() + j * d);
    query_ids[j] = ids[rows[j]];
  }
  index.CalibrateSearchDepth(queries, params.target_recall, params.ef_search,
                          std::max(params.ef_search, params.max_ef_search));
  return index.Add(queries, query_ids);
}

}  // namespace

Result<std::unique_ptr<VectorIndex>> BuildIndex(const IndexOptions& options, int dim,
                                                std::span<const float> vectors, std::span<const int64_t> ids) {
  std::unique_ptr<VectorIndex> index = MakeIndex(options, dim, static_cast<int64_t>(ids.size()));
  if (vectors.size() != ids.size() * static_cast<size_t>(dim)) {
    return Status::InvalidArgument("BuildIndex: " + std::to_string(vectors.size()) + " floats for " +
                                   std::to_string(ids.size()) + " ids of dimension " + std::to_string(dim));
  }
  const HnswParams& hp = options.hnsw;
  const size_t n_queries = std::min<size_t>(static_cast<size_t>(std::max(0, hp.calibration_queries)), ids.size() / 10);
  auto* faiss_index = dynamic_cast<FaissIndex*>(index.get());
  if (faiss_index != nullptr && faiss_index->kind() == "hnsw" && hp.target_recall > 0 &&
      n_queries >= kMinCalibrationQueries) {
    if (hp.target_recall > 1.0)
      return Status::InvalidArgument("BuildIndex: hnsw target_recall must be in [0, 1], got " +
                                     std::to_string(hp.target_recall));
    Progress progress("building the HNSW index (vectors)", ids.size(), options.quiet);
    HR_RETURN_IF_ERROR(AddWithCalibration(hp, *faiss_index, vectors, ids, n_queries, progress));
    progress.Finish(DescribeIndex(*index));
    return index;
  }
  if (index->kind() == "hnsw") {
    Progress progress("building the HNSW index (vectors)", ids.size(), options.quiet);
    size_t done = 0;
    HR_RETURN_IF_ERROR(AddInChunks(*index, vectors, ids, 0, ids.size(), progress, done));
    progress.Finish();
    return index;
  }
  HR_RETURN_IF_ERROR(index->Add(vectors, ids));
  return index;
}

std::string DescribeIndex(const VectorIndex& index) {
  const auto* f = dynamic_cast<const FaissIndex*>(&index);
  if (f == nullptr || (f->kind() != "hnsw" && f->kind() != "ivf")) return index.kind() + " (exact)";
  const bool ivf = f->kind() == "ivf";
  const std::string depth = ivf ? "nprobe" : "efSearch";
  const std::string head =
      ivf ? "ivf (" + std::to_string(f->ivf_lists()) + " lists, nprobe " : std::string("hnsw (efSearch ");
  const SearchCalibration& c = f->calibration();
  char buf[256];
  if (!c.ran) {
    std::snprintf(buf, sizeof buf, "%s%d)", head.c_str(), f->search_depth());
  } else {
    std::snprintf(buf, sizeof buf, "%s%d, calibrated: recall@10 %.3f on %d fresh queries, target %.2f%s)", head.c_str(),
                  c.ef_search, c.recall, c.queries, c.target,
                  c.reached ? "" : (" NOT reached at the " + depth + " cap").c_str());
  }
  return buf;
}

nlohmann::json IndexCalibrationJson(const VectorIndex& index) {
  const auto* f = dynamic_cast<const FaissIndex*>(&index);
  if (f == nullptr || !f->calibration().ran) return nullptr;
  const SearchCalibration& c = f->calibration();
  return {{f->kind() == "ivf" ? "nprobe" : "ef_search", c.ef_search}, {"target", c.target}, {"recall", c.recall},
          {"queries", c.queries}, {"reached", c.reached}};
}

Result<std::unique_ptr<VectorIndex>> LoadIndex(const std::filesystem::path& file, int ef_search) {
  char magic[8] = {};
  {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Status::NotFound(file.string() + ": index file not found or unreadable");
    in.read(magic, sizeof(magic));
  }
  if (std::string_view(magic, sizeof(magic)) == "HRBRUTE1") {
    HR_ASSIGN_OR_RETURN(auto brute, BruteForceIndex::Load(file));
    return std::unique_ptr<VectorIndex>(std::move(brute));
  }
  HR_ASSIGN_OR_RETURN(auto faiss_index, FaissIndex::Load(file, ef_search));
  return std::unique_ptr<VectorIndex>(std::move(faiss_index));
}

}  // namespace hybridrec
