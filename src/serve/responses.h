// JSON shapes of the API responses (docs/api.md), built from a snapshot and the ranker's
// answers. Pure formatting: no HTTP, no locking. Thread-safety: stateless.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ranking/hybrid_ranker.h"
#include "serve/snapshot.h"

namespace hybridrec::serve {

// {"id", "title", "genres"}
nlohmann::json ItemRefJson(const Snapshot& snap, uint32_t item);
// ItemRef + "tags", "popularity", "has_factor", "source" ("catalogue" | "added").
nlohmann::json ItemJson(const Snapshot& snap, uint32_t item);
// {"path", "weight", "popularity_weight", "history_size", "model_version", "items": [...]};
// "explanation" per item when `explain`.
nlohmann::json RankResponseJson(const Snapshot& snap, const RankResponse& r, size_t history_size, bool explain);
nlohmann::json SimilarJson(const Snapshot& snap, uint32_t item, std::string_view mode,
                           const std::vector<SimilarItem>& items);
// {"error": {"code", "message"}}
nlohmann::json ErrorJson(std::string_view code, std::string_view message);

}  // namespace hybridrec::serve
