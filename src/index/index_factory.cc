#include "index/index_factory.h"

#include <fstream>
#include <stdexcept>

#include "index/brute_force_index.h"

namespace hybridrec {

Result<IndexKind> ParseIndexKind(std::string_view name) {
  if (name == "auto") return IndexKind::kAuto;
  if (name == "flat") return IndexKind::kFlat;
  if (name == "hnsw") return IndexKind::kHnsw;
  if (name == "brute") return IndexKind::kBrute;
  return Status::InvalidArgument("unknown index kind '" + std::string(name) +
                                 "' (expected auto, flat, hnsw or brute)");
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
    case IndexKind::kAuto:
      faiss_index = expected_size >= options.hnsw_threshold ? FaissIndex::NewHnsw(dim, options.hnsw)
                                                            : FaissIndex::NewFlat(dim);
      break;
  }
  faiss_index->set_build_threads(options.build_threads);
  return faiss_index;
}

Result<std::unique_ptr<VectorIndex>> BuildIndex(const IndexOptions& options, int dim,
                                                std::span<const float> vectors, std::span<const int64_t> ids) {
  std::unique_ptr<VectorIndex> index = MakeIndex(options, dim, static_cast<int64_t>(ids.size()));
  HR_RETURN_IF_ERROR(index->Add(vectors, ids));
  return index;
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
