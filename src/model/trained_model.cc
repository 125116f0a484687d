#include "model/trained_model.h"

#include <cstdint>
#include <cstring>

#include "core/file_util.h"
#include "core/npy.h"
#include "collab/als_options_json.h"
#include "index/index_factory.h"
#include "model/model_dir.h"

namespace hybridrec {
namespace fs = std::filesystem;
using nlohmann::json;

std::string DatasetFingerprint(const Dataset& d) {
  // The digest of one text (item ids, then a line per interaction), hashed in 1 MiB pieces so
  // that a dataset of 10^8 interactions does not need the text in memory at once.
  constexpr size_t kChunk = 1 << 20;
  Sha256Stream sha;
  std::string buf;
  buf.reserve(kChunk + 4096);
  const auto flush = [&](bool force) {
    if (buf.size() >= kChunk || (force && !buf.empty())) {
      sha.Update(buf.data(), buf.size());
      buf.clear();
    }
  };
  for (const auto& id : d.items.ids()) {
    buf += id;
    buf += '\n';
    flush(false);
  }
  buf += "--\n";
  for (const auto& it : d.interactions) {
    buf += d.users.Id(it.user); buf += ',';
    buf += d.items.Id(it.item); buf += ',';
    buf += std::to_string(it.strength); buf += ',';
    buf += std::to_string(it.timestamp); buf += '\n';
    flush(false);
  }
  flush(true);
  return sha.HexDigest();
}

DatasetRecord RecordDataset(const Dataset& d, const CsrMatrix& history) {
  DatasetRecord r;
  r.fingerprint = DatasetFingerprint(d);
  r.interactions = d.interactions.size();
  r.has_timestamps = d.has_timestamps;
  if (d.has_timestamps) r.entry_timestamps = EntryTimestamps(history, d.interactions);
  return r;
}

namespace {

json ItemsToJson(const Dataset& d) {
  json arr = json::array();
  for (uint32_t i = 0; i < d.num_items(); ++i) {
    const Item& it = d.item_info[i];
    json o = {{"id", d.items.Id(i)}, {"title", it.title}, {"genres", it.genres}};
    if (!it.tags.empty()) o["tags"] = it.tags;
    if (!it.description.empty()) o["description"] = it.description;
    arr.push_back(std::move(o));
  }
  return arr;
}

}  // namespace

std::span<const uint32_t> TrainedModel::RecentItems(uint32_t user) const {
  if (history_recent.empty() || user >= history.rows) return {};
  return std::span<const uint32_t>(history_recent)
      .subspan(history.indptr[user], history.indptr[user + 1] - history.indptr[user]);
}

std::shared_ptr<const ItemNeighbours> TrainedModel::NeighboursFor(const RankerOptions& options) const {
  if (options.cooccurrence.weight <= 0.f) return nullptr;
  if (neighbours != nullptr && neighbours->options == options.cooccurrence.neighbour_options()) return neighbours;
  return std::make_shared<const ItemNeighbours>(BuildItemNeighbours(history, options.cooccurrence.neighbour_options()));
}

std::unique_ptr<HybridRanker> TrainedModel::MakeRanker(const RankerOptions& options) const {
  std::span<const float> emb;
  int dim = 0;
  const VectorIndex* index = nullptr;
  if (content) {
    emb = content->embeddings;
    dim = content->dimension();
    index = content->index.get();
  }
  return std::make_unique<HybridRanker>(als.get(), emb, dim, index, popularity->item_scores(), options,
                                        std::span<const uint8_t>{}, NeighboursFor(options),
                                        std::vector<std::shared_ptr<const Signal>>{}, factor_index.get());
}

Status SaveTrainedModel(const fs::path& dir, const Dataset& dataset, const CsrMatrix& history, const AlsModel& als,
                        const PopularityModel& popularity, const ContentModel* content, const RankerOptions& ranker,
                        const json& extra_manifest, const VectorIndex* factor_index) {
  return SaveTrainedModel(dir, dataset, RecordDataset(dataset, history), history, als, popularity, content, ranker,
                          extra_manifest, factor_index);
}

Status SaveTrainedModel(const fs::path& dir, const Dataset& dataset, const DatasetRecord& record,
                        const CsrMatrix& history, const AlsModel& als, const PopularityModel& popularity,
                        const ContentModel* content, const RankerOptions& ranker, const json& extra_manifest,
                        const VectorIndex* factor_index) {
  if (history.rows != dataset.num_users() || history.cols != dataset.num_items() ||
      als.num_users() != dataset.num_users() || als.num_items() != dataset.num_items() ||
      popularity.num_items() != dataset.num_items())
    return Status::InvalidArgument("SaveTrainedModel: model sizes do not match the dataset");
  HR_ASSIGN_OR_RETURN(ModelDirWriter w, ModelDirWriter::Create(dir));
  HR_RETURN_IF_ERROR(w.AddJson("users.json", dataset.users.ids()));
  HR_RETURN_IF_ERROR(w.AddJson("items.json", ItemsToJson(dataset)));
  if (record.has_timestamps && record.entry_timestamps.size() != history.nnz())
    return Status::InvalidArgument("SaveTrainedModel: the dataset record has a timestamp per entry of another history");
  // Arrays are written from where they lie: CSR indices (uint32, all < 2^31) and indptr (uint64,
  // all < 2^63) have the bytes of the int32/int64 arrays the files declare.
  const size_t k = static_cast<size_t>(als.factors());
  HR_RETURN_IF_ERROR(w.AddNpy("user_factors.npy", NpyDtype::kFloat32, {als.num_users(), k}, als.user_factors().data()));
  HR_RETURN_IF_ERROR(w.AddNpy("item_factors.npy", NpyDtype::kFloat32, {als.num_items(), k}, als.item_factors().data()));
  HR_RETURN_IF_ERROR(w.AddNpy("popularity.npy", NpyDtype::kFloat32, {popularity.num_items()}, popularity.item_scores().data()));
  static_assert(sizeof(history.indptr[0]) == sizeof(int64_t) && sizeof(history.indices[0]) == sizeof(int32_t));
  HR_RETURN_IF_ERROR(w.AddNpy("history_indptr.npy", NpyDtype::kInt64, {history.indptr.size()}, history.indptr.data()));
  HR_RETURN_IF_ERROR(w.AddNpy("history_items.npy", NpyDtype::kInt32, {history.indices.size()}, history.indices.data()));
  HR_RETURN_IF_ERROR(w.AddNpy("history_strength.npy", NpyDtype::kFloat32, {history.values.size()}, history.values.data()));
  if (record.has_timestamps) {
    const std::vector<int64_t>& ts = record.entry_timestamps;
    HR_RETURN_IF_ERROR(w.AddNpy("history_timestamp.npy", NpyDtype::kInt64, {ts.size()}, ts.data()));
    // The per-row recency order, so that loading need not sort every row again.
    const std::vector<uint32_t> recent = RowsMostRecentFirst(history, ts);
    HR_RETURN_IF_ERROR(w.AddNpy("history_recent.npy", NpyDtype::kInt32, {recent.size()}, recent.data()));
  }

  if (content) {
    if (content->num_items() != dataset.num_items())
      return Status::InvalidArgument("SaveTrainedModel: content model has a different number of items");
    auto files = SaveContentModel(*content, w.staging_dir());
    if (!files.ok()) return files.status();
  }
  if (factor_index != nullptr) {
    if (factor_index->dimension() != als.factors() + 1 || factor_index->size() > static_cast<int64_t>(als.num_items()))
      return Status::InvalidArgument("SaveTrainedModel: the factor index does not fit the ALS model");
    HR_RETURN_IF_ERROR(factor_index->Save(w.staging_dir() / kFactorIndexFile));
  }
  json m = extra_manifest.is_object() ? extra_manifest : json::object();
  if (factor_index != nullptr) {
    m["collab_index"] = {{"file", kFactorIndexFile}, {"kind", factor_index->kind()}, {"items", factor_index->size()},
                         {"dimension", factor_index->dimension()}};
    if (auto cal = IndexCalibrationJson(*factor_index); !cal.is_null()) m["collab_index"]["calibration"] = cal;
  }
  if (content) {
    m["encoder"] = {{"name", content->encoder->name()}, {"dimension", content->dimension()},
                    {"index", content->index->kind()}};
    if (auto cal = IndexCalibrationJson(*content->index); !cal.is_null()) m["encoder"]["index_calibration"] = cal;
  }
  m["params"]["ranker"] = RankerOptionsToJson(ranker);
  m["hybridrec_version"] = "0.1.0";
  m["dataset"] = {{"name", dataset.name},
                  {"format", dataset.format},
                  {"fingerprint", record.fingerprint},
                  {"users", dataset.num_users()},
                  {"items", dataset.num_items()},
                  {"interactions", record.interactions},
                  {"train_interactions", history.nnz()}};
  m["params"]["als"] = AlsOptionsToJson(als.options());
  return w.Commit(std::move(m));
}

Result<TrainedModel> LoadTrainedModel(const fs::path& dir) {
  // The large arrays are checksummed as they are read (one pass over each file).
  HR_ASSIGN_OR_RETURN(ModelDir md, ModelDir::Open(dir, {"user_factors.npy", "item_factors.npy", "popularity.npy",
                                                         "history_indptr.npy", "history_items.npy",
                                                         "history_strength.npy", "history_timestamp.npy",
                                                         "history_recent.npy"}));
  TrainedModel tm;
  tm.manifest = md.manifest();
  const json& m = tm.manifest;
  const fs::path mpath = md.File("manifest.json");
  if (!m.contains("dataset") || !m["dataset"].contains("users") || !m["dataset"].contains("items") ||
      !m.contains("params") || !m["params"].contains("als"))
    return Status::Corruption(mpath.string() + ": missing 'dataset' sizes or 'params.als'");
  // get<size_t>() would throw json::type_error on a string and wrap a negative number around
  // (found while writing fuzz/fuzz_manifest.cc); check the types first.
  if (!m["dataset"]["users"].is_number_unsigned() || !m["dataset"]["items"].is_number_unsigned() ||
      m["dataset"]["users"].get<uint64_t>() > UINT32_MAX || m["dataset"]["items"].get<uint64_t>() > UINT32_MAX)
    return Status::Corruption(mpath.string() + ": 'dataset.users' and 'dataset.items' must be counts below 2^32");
  const auto nu = m["dataset"]["users"].get<size_t>();
  const auto ni = m["dataset"]["items"].get<size_t>();
  auto als_opts = AlsOptionsFromJson(m["params"]["als"]);
  if (!als_opts.ok()) return als_opts.status().WithContext(mpath.string());
  const auto k = static_cast<size_t>(als_opts->factors);

  HR_ASSIGN_OR_RETURN(json users, md.ReadJson("users.json"));
  HR_ASSIGN_OR_RETURN(json items, md.ReadJson("items.json"));
  if (!users.is_array() || users.size() != nu)
    return Status::Corruption(md.File("users.json").string() + ": expected an array of " + std::to_string(nu) + " ids");
  if (!items.is_array() || items.size() != ni)
    return Status::Corruption(md.File("items.json").string() + ": expected an array of " + std::to_string(ni) + " items");
  try {
    for (const auto& u : users) tm.users.GetOrAdd(u.get<std::string>());
    tm.item_info.reserve(ni);
    for (const auto& it : items) {
      tm.items.GetOrAdd(it.at("id").get<std::string>());
      Item item;
      item.title = it.value("title", std::string());
      item.genres = it.value("genres", std::vector<std::string>{});
      item.tags = it.value("tags", std::vector<std::string>{});
      item.description = it.value("description", std::string());
      tm.item_info.push_back(std::move(item));
    }
  } catch (const std::exception& e) {
    return Status::Corruption(md.path().string() + ": users.json/items.json: " + e.what());
  }
  if (tm.users.size() != nu || tm.items.size() != ni)
    return Status::Corruption(md.path().string() + ": duplicate ids in users.json or items.json");

  HR_ASSIGN_OR_RETURN(std::vector<float> x, md.ReadNpy<float>("user_factors.npy", NpyDtype::kFloat32, {nu, k}));
  HR_ASSIGN_OR_RETURN(std::vector<float> y, md.ReadNpy<float>("item_factors.npy", NpyDtype::kFloat32, {ni, k}));
  HR_ASSIGN_OR_RETURN(std::vector<float> pop, md.ReadNpy<float>("popularity.npy", NpyDtype::kFloat32, {ni}));
  HR_ASSIGN_OR_RETURN(const std::vector<int64_t> ip,
                      md.ReadNpy<int64_t>("history_indptr.npy", NpyDtype::kInt64, {nu + 1}));
  const size_t nnz = ip.empty() ? 0 : static_cast<size_t>(std::max<int64_t>(ip.back(), 0));
  tm.history.rows = static_cast<uint32_t>(nu);
  tm.history.cols = static_cast<uint32_t>(ni);
  tm.history.indptr.resize(ip.size());
  for (size_t r = 0; r < ip.size(); ++r) {
    if (ip[r] < 0 || (r > 0 && ip[r] < ip[r - 1]) || (r == 0 && ip[r] != 0))
      return Status::Corruption(md.File("history_indptr.npy").string() + ": not monotone at row " + std::to_string(r));
    tm.history.indptr[r] = static_cast<uint64_t>(ip[r]);
  }
  // int32 on disk, read as uint32: a negative index becomes >= 2^31, out of range like any other.
  HR_ASSIGN_OR_RETURN(tm.history.indices, md.ReadNpy<uint32_t>("history_items.npy", NpyDtype::kInt32, {nnz}));
  for (uint32_t c : tm.history.indices)
    if (c >= ni)
      return Status::Corruption(md.File("history_items.npy").string() + ": item index " +
                                std::to_string(static_cast<int32_t>(c)) + " out of range");
  HR_ASSIGN_OR_RETURN(tm.history.values, md.ReadNpy<float>("history_strength.npy", NpyDtype::kFloat32, {nnz}));
  if (md.HasFile("history_timestamp.npy")) {
    HR_ASSIGN_OR_RETURN(tm.history_timestamps, md.ReadNpy<int64_t>("history_timestamp.npy", NpyDtype::kInt64, {nnz}));
    if (md.HasFile("history_recent.npy")) {
      HR_ASSIGN_OR_RETURN(tm.history_recent, md.ReadNpy<uint32_t>("history_recent.npy", NpyDtype::kInt32, {nnz}));
      for (uint32_t c : tm.history_recent)
        if (c >= ni)
          return Status::Corruption(md.File("history_recent.npy").string() + ": item index " +
                                    std::to_string(static_cast<int32_t>(c)) + " out of range");
    } else {
      tm.history_recent = RowsMostRecentFirst(tm.history, tm.history_timestamps);  // models saved without it
    }
  }

  try {
    tm.als = std::make_unique<AlsModel>(*als_opts, static_cast<uint32_t>(nu), static_cast<uint32_t>(ni), std::move(x),
                                        std::move(y));
  } catch (const std::exception& e) {
    return Status::Corruption(md.path().string() + ": factors: " + e.what());
  }
  tm.popularity = std::make_unique<PopularityModel>(std::move(pop));
  if (m["params"].contains("ranker")) {
    auto r = RankerOptionsFromJson(m["params"]["ranker"]);
    if (!r.ok()) return r.status().WithContext(mpath.string());
    tm.ranker = *r;
  }
  // The co-occurrence table is derived from the training history, not stored: built here when
  // the model's fusion options use it.
  tm.neighbours = tm.NeighboursFor(tm.ranker);
  if (m.contains("encoder")) {
    auto cm = LoadContentModel(md.path());
    if (!cm.ok()) return cm.status();
    if (cm->num_items() != ni)
      return Status::Corruption(md.path().string() + ": content model has " + std::to_string(cm->num_items()) +
                                " items, the manifest says " + std::to_string(ni));
    tm.content = std::make_unique<ContentModel>(std::move(cm).value());
  }
  if (m.contains("collab_index")) {
    const fs::path file = md.File(kFactorIndexFile);
    HR_ASSIGN_OR_RETURN(tm.factor_index, LoadIndex(file));
    if (tm.factor_index->dimension() != static_cast<int>(k) + 1 || tm.factor_index->size() > static_cast<int64_t>(ni))
      return Status::Corruption(file.string() + ": holds " + std::to_string(tm.factor_index->size()) +
                                " vectors of dimension " + std::to_string(tm.factor_index->dimension()) +
                                ", expected at most " + std::to_string(ni) + " of dimension " + std::to_string(k + 1) +
                                " (the item factors plus one); retrain the model");
  }
  return tm;
}

}  // namespace hybridrec
