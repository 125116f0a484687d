#include "content/content_model.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/file_util.h"
#include "core/npy.h"

namespace hybridrec {
namespace {

std::vector<ContentHit> ToHits(const std::vector<SearchHit>& hits, int64_t exclude, int k) {
  std::vector<ContentHit> out;
  for (const auto& h : hits) {
    if (h.id < 0 || h.id == exclude) continue;
    if (static_cast<int>(out.size()) == k) break;
    out.push_back({static_cast<uint32_t>(h.id), h.score});
  }
  return out;
}

}  // namespace

Result<ContentModel> BuildContentModel(const Dataset& data, const ContentModelOptions& options,
                                       std::string* message, const EmbedProgress& progress) {
  const size_t n = data.num_items();
  if (n == 0) return Status::InvalidArgument("content model: the catalogue has no items");
  if (options.index.kind == IndexKind::kIvf)
    return Status::InvalidArgument("content model: the content index is auto, flat, hnsw or brute (ivf serves the "
                                   "collaborative factor index: train --collab-index ivf)");
  std::vector<std::string> texts(n);
  for (uint32_t i = 0; i < n; ++i) texts[i] = data.ItemText(i);

  ContentModel model;
  HR_ASSIGN_OR_RETURN(EncoderSelection sel, MakeEncoder(options.encoder, texts));
  if (message != nullptr) *message = sel.message;
  model.encoder = std::move(sel.encoder);
  const auto d = static_cast<size_t>(model.encoder->dimension());

  model.embeddings.resize(n * d);
  const size_t batch = std::max<size_t>(options.batch_size, 1);
  std::vector<float> part;
  for (size_t begin = 0; begin < n; begin += batch) {
    const size_t end = std::min(n, begin + batch);
    HR_RETURN_IF_ERROR(model.encoder->Encode(std::span<const std::string>(texts).subspan(begin, end - begin), part));
    std::copy(part.begin(), part.end(), model.embeddings.begin() + static_cast<ptrdiff_t>(begin * d));
    if (progress) progress(end, n);
  }

  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i);
  HR_ASSIGN_OR_RETURN(model.index, BuildIndex(options.index, static_cast<int>(d), model.embeddings, ids));
  model.item_ids = data.items.ids();
  model.titles.resize(n);
  for (uint32_t i = 0; i < n; ++i) model.titles[i] = data.item_info[i].title;
  return model;
}

Result<std::vector<std::string>> SaveContentModel(const ContentModel& model, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError(dir.string() + ": cannot create directory: " + ec.message());
  HR_ASSIGN_OR_RETURN(std::vector<std::string> files, model.encoder->Save(dir));
  HR_RETURN_IF_ERROR(WriteNpyFloat32(dir / ContentModel::kEmbeddingsFile, model.embeddings.data(),
                                     model.num_items(), static_cast<size_t>(model.dimension())));
  HR_RETURN_IF_ERROR(model.index->Save(dir / ContentModel::kIndexFile));
  const nlohmann::json items = {{"ids", model.item_ids}, {"titles", model.titles}};
  HR_RETURN_IF_ERROR(WriteFileAtomic(dir / ContentModel::kItemsFile, items.dump() + "\n"));
  files.insert(files.end(), {ContentModel::kEmbeddingsFile, ContentModel::kIndexFile, ContentModel::kItemsFile});
  return files;
}

Result<ContentModel> LoadContentModel(const std::filesystem::path& dir, int ef_search) {
  ContentModel model;
  HR_ASSIGN_OR_RETURN(model.encoder, LoadEncoder(dir));
  const auto items_path = dir / ContentModel::kItemsFile;
  HR_ASSIGN_OR_RETURN(std::string items_text, ReadFile(items_path));
  try {
    const auto j = nlohmann::json::parse(items_text);
    model.item_ids = j.at("ids").get<std::vector<std::string>>();
    model.titles = j.at("titles").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(items_path.string() + ": malformed (" + e.what() + ")");
  }
  if (model.titles.size() != model.item_ids.size())
    return Status::Corruption(items_path.string() + ": 'ids' and 'titles' differ in length");
  const auto d = static_cast<size_t>(model.encoder->dimension());
  size_t rows = 0, cols = 0;
  HR_ASSIGN_OR_RETURN(model.embeddings, ReadNpyFloat32(dir / ContentModel::kEmbeddingsFile, &rows, &cols,
                                                       model.item_ids.size(), d));
  const auto index_path = dir / ContentModel::kIndexFile;
  HR_ASSIGN_OR_RETURN(model.index, LoadIndex(index_path, ef_search));
  if (model.index->dimension() != static_cast<int>(d) ||
      model.index->size() != static_cast<int64_t>(model.item_ids.size()))
    return Status::Corruption(index_path.string() + ": index holds " + std::to_string(model.index->size()) +
                              " vectors of dimension " + std::to_string(model.index->dimension()) + ", expected " +
                              std::to_string(model.item_ids.size()) + " of dimension " + std::to_string(d));
  return model;
}

Result<std::vector<ContentHit>> SearchByText(const ContentModel& model, std::string_view text, int k) {
  return SearchByText(*model.encoder, *model.index, text, k);
}

Result<std::vector<ContentHit>> SearchByText(const TextEncoder& encoder, const VectorIndex& index,
                                             std::string_view text, int k) {
  if (k < 1) throw std::invalid_argument("SearchByText: k must be >= 1");
  const std::string q(text);
  std::vector<float> vec;
  HR_RETURN_IF_ERROR(encoder.Encode(std::span<const std::string>(&q, 1), vec));
  if (std::all_of(vec.begin(), vec.end(), [](float x) { return x == 0.f; })) return std::vector<ContentHit>{};
  if (index.size() == 0) return std::vector<ContentHit>{};
  // No more slots than vectors: k may be far above the catalogue size.
  const int kk = static_cast<int>(std::min<int64_t>(k, index.size()));
  std::vector<SearchHit> hits;
  index.Search(vec, kk, hits);
  return ToHits(hits, -1, kk);
}

std::vector<ContentHit> SimilarItems(const ContentModel& model, uint32_t item, int k) {
  if (k < 1) throw std::invalid_argument("SimilarItems: k must be >= 1");
  if (item >= model.num_items()) throw std::invalid_argument("SimilarItems: item index out of range");
  const auto d = static_cast<size_t>(model.dimension());
  std::span<const float> vec(model.embeddings.data() + item * d, d);
  std::vector<SearchHit> hits;
  model.index->Search(vec, k + 1, hits);  // one extra: the item itself
  return ToHits(hits, item, k);
}

}  // namespace hybridrec
