// JSON shapes of the API responses (docs/api.md), built from a snapshot and the ranker's
// answers. Pure formatting: no HTTP, no locking. Thread-safety: stateless.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ranking/hybrid_ranker.h"
#include "serve/json_text.h"
#include "serve/snapshot.h"

namespace hybridrec::serve {

// {"id", "title", "genres"}: Snapshot::ItemRefText parsed (one definition of the shape).
nlohmann::json ItemRefJson(const Snapshot& snap, uint32_t item);
// ItemRef + "tags", "popularity", "has_factor", "source" ("catalogue" | "added").
nlohmann::json ItemJson(const Snapshot& snap, uint32_t item);
// The hot responses are written as text (json_text.h) with the items' pre-serialised refs
// (Snapshot::ItemRefText): building them as nlohmann trees cost more CPU than the ranking.
//
// Members "path", "weight", "popularity_weight", "history_size", "model_version" and
// "items": [{"rank", "item": ItemRef, "score", "collab", "content", "z_collab", "z_content"}]
// ("explanation": {"content": [...], "collab": [...]} per item when `explain`), written into the
// object the caller has open (it adds its own members and closes it).
void AppendRankResponseMembers(JsonText& out, const Snapshot& snap, const RankResponse& r, size_t history_size,
                               bool explain);
// {"item": ItemRef, "mode", "model_version", "items": [{"item", "score", "content", "collab"}]}
std::string SimilarText(const Snapshot& snap, uint32_t item, std::string_view mode,
                        const std::vector<SimilarItem>& items);
// {"error": {"code", "message"}}
nlohmann::json ErrorJson(std::string_view code, std::string_view message);

}  // namespace hybridrec::serve
