#include "serve/responses.h"

#include "ranking/signal_registry.h"

namespace hybridrec::serve {
namespace {

using nlohmann::json;

}  // namespace

json ItemRefJson(const Snapshot& snap, uint32_t item) { return json::parse(snap.ItemRefText(item)); }

json ItemJson(const Snapshot& snap, uint32_t item) {
  const Item& info = snap.ItemInfo(item);
  json j = ItemRefJson(snap, item);
  j["tags"] = info.tags;
  if (!info.description.empty()) j["description"] = info.description;
  j["popularity"] = snap.Popularity(item);
  j["has_factor"] = snap.ranker().has_factor(item);
  // "trained", "estimated" (from the item's content neighbours: no interactions yet) or "none".
  j["factor"] = snap.ranker().has_trained_factor(item) ? "trained"
                : snap.ranker().has_factor(item)       ? "estimated"
                                                       : "none";
  j["source"] = snap.IsAdded(item) ? "added" : "catalogue";
  return j;
}

namespace {

bool IsBuiltinSignal(std::string_view name) {
  for (const SignalRegistration& reg : BuiltinSignals())
    if (reg.name == name) return true;
  return false;
}

void AppendReasons(JsonText& t, const Snapshot& snap, std::span<const Contribution> cs) {
  t.BeginArray();
  for (const auto& c : cs)
    t.BeginObject().Key("contribution").Number(c.value).Key("item").Raw(snap.ItemRefText(c.history_item)).EndObject();
  t.EndArray();
}

}  // namespace

void AppendRankResponseMembers(JsonText& t, const Snapshot& snap, const RankResponse& r, size_t history_size,
                               bool explain) {
  t.Key("path").String(RankPathName(r.path));
  t.Key("weight").Number(r.weight("collab"));
  t.Key("popularity_weight").Number(PopularityShare(r));
  t.Key("recent_weight").Number(r.weight("recent"));
  t.Key("recent_items").Number(static_cast<uint64_t>(r.inputs("recent")));
  t.Key("cooccurrence_weight").Number(r.weight("cooccurrence"));
  t.Key("signals").BeginObject();
  for (const SignalUse& u : r.signals) t.Key(u.name).Number(u.weight);
  t.EndObject();
  t.Key("history_size").Number(static_cast<uint64_t>(history_size));
  t.Key("model_version").String(snap.version());
  t.Key("items").BeginArray();
  for (size_t i = 0; i < r.items.size(); ++i) {
    const RankedItem& it = r.items[i];
    t.BeginObject();
    t.Key("rank").Number(static_cast<uint64_t>(i + 1));
    t.Key("item").Raw(snap.ItemRefText(it.item));
    t.Key("score").Number(it.score);
    t.Key("added").Bool(snap.IsAdded(it.item));
    t.Key("collab").Optional(r.raw(it, "collab"));
    t.Key("content").Optional(r.raw(it, "content"));
    // One z-score per built-in signal (0 when it took no part), then any other signal's.
    for (const SignalRegistration& reg : BuiltinSignals()) t.Key("z_" + std::string(reg.name)).Number(r.z(it, reg.name));
    for (const SignalUse& u : r.signals)
      if (!IsBuiltinSignal(u.name)) t.Key("z_" + std::string(u.name)).Number(r.z(it, u.name));
    if (explain) {
      t.Key("explanation").BeginObject();
      t.Key("content");
      AppendReasons(t, snap, r.reasons(it, "content"));
      t.Key("collab");
      AppendReasons(t, snap, r.reasons(it, "collab"));
      if (const auto fresh = r.reasons(it, "fresh"); !fresh.empty()) {
        t.Key("fresh");  // an item without a trained factor: the history items it is most like
        AppendReasons(t, snap, fresh);
      }
      t.EndObject();
    }
    t.EndObject();
  }
  t.EndArray();
}

std::string SimilarText(const Snapshot& snap, uint32_t item, std::string_view mode,
                        const std::vector<SimilarItem>& items) {
  JsonText t(256 + 160 * items.size());
  t.BeginObject();
  t.Key("item").Raw(snap.ItemRefText(item));
  t.Key("mode").String(mode);
  t.Key("model_version").String(snap.version());
  t.Key("items").BeginArray();
  for (const auto& s : items) {
    t.BeginObject();
    t.Key("item").Raw(snap.ItemRefText(s.item));
    t.Key("score").Number(s.score);
    t.Key("content").Optional(s.content);
    t.Key("collab").Optional(s.collab);
    t.EndObject();
  }
  t.EndArray().EndObject();
  return t.Take();
}

json ErrorJson(std::string_view code, std::string_view message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

}  // namespace hybridrec::serve
