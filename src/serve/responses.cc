#include "serve/responses.h"

namespace hybridrec::serve {
namespace {

using nlohmann::json;

json Opt(const std::optional<float>& v) { return v ? json(*v) : json(nullptr); }

json Reasons(const Snapshot& snap, const std::vector<Contribution>& cs) {
  json arr = json::array();
  for (const auto& c : cs) arr.push_back({{"item", ItemRefJson(snap, c.history_item)}, {"contribution", c.value}});
  return arr;
}

}  // namespace

json ItemRefJson(const Snapshot& snap, uint32_t item) {
  const Item& info = snap.ItemInfo(item);
  return {{"id", snap.ItemId(item)}, {"title", info.title}, {"genres", info.genres}};
}

json ItemJson(const Snapshot& snap, uint32_t item) {
  const Item& info = snap.ItemInfo(item);
  json j = ItemRefJson(snap, item);
  j["tags"] = info.tags;
  if (!info.description.empty()) j["description"] = info.description;
  j["popularity"] = snap.Popularity(item);
  j["has_factor"] = snap.ranker(true).has_factor(item);
  j["source"] = snap.IsAdded(item) ? "added" : "catalogue";
  return j;
}

json RankResponseJson(const Snapshot& snap, const RankResponse& r, size_t history_size, bool explain) {
  json items = json::array();
  for (size_t i = 0; i < r.items.size(); ++i) {
    const RankedItem& it = r.items[i];
    json j = {{"rank", i + 1},           {"item", ItemRefJson(snap, it.item)}, {"score", it.score},
              {"collab", Opt(it.collab)}, {"content", Opt(it.content)},       {"z_collab", it.z_collab},
              {"z_content", it.z_content}};
    if (explain)
      j["explanation"] = {{"content", Reasons(snap, it.content_reasons)}, {"collab", Reasons(snap, it.collab_reasons)}};
    items.push_back(std::move(j));
  }
  return {{"path", RankPathName(r.path)},
          {"weight", r.weight},
          {"popularity_weight", r.popularity_weight},
          {"history_size", history_size},
          {"model_version", snap.version()},
          {"items", std::move(items)}};
}

json SimilarJson(const Snapshot& snap, uint32_t item, std::string_view mode, const std::vector<SimilarItem>& items) {
  json arr = json::array();
  for (const auto& s : items)
    arr.push_back({{"item", ItemRefJson(snap, s.item)}, {"score", s.score}, {"content", Opt(s.content)},
                   {"collab", Opt(s.collab)}});
  return {{"item", ItemRefJson(snap, item)}, {"mode", mode}, {"model_version", snap.version()}, {"items", std::move(arr)}};
}

json ErrorJson(std::string_view code, std::string_view message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

}  // namespace hybridrec::serve
