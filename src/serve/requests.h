// Request parsing for the HTTP service (docs/api.md): pure functions from a request body or a
// query-string value to a typed request, or an InvalidArgument Status whose message names the
// field at fault ("field 'k': must be an integer in 1..1000"). They know nothing about HTTP
// status codes, the model or the store, so they can be unit-tested and fuzzed on their own.
//
// Bodies are parsed with nlohmann::json after a cheap pre-scan that refuses nesting deeper than
// kMaxJsonDepth (a hostile client could otherwise make any recursive consumer use a lot of
// stack). Ids may be JSON strings or integers (MovieLens ids are numbers); strings must be
// non-empty, at most kMaxIdBytes and valid UTF-8 (the JSON parser already checks that).
// Thread-safety: stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace hybridrec::serve {

inline constexpr int kMaxK = 1000;
inline constexpr size_t kMaxBatchEvents = 1000;
inline constexpr size_t kMaxRequestItems = 1000;
inline constexpr size_t kMaxIdBytes = 256;
inline constexpr size_t kMaxTextBytes = 16384;  // title, each genre/tag, description, search query
inline constexpr size_t kMaxListEntries = 256;  // genres / tags of a new item
inline constexpr int kMaxJsonDepth = 16;

// One interaction as posted to /v1/events (external ids).
struct EventIn {
  std::string user;
  std::string item;
  float strength = 1.f;              // finite, > 0
  std::optional<int64_t> timestamp;  // seconds since the epoch; absent = the time of receipt
};

// Body of POST /v1/recommendations.
struct RecommendationsRequest {
  std::vector<std::pair<std::string, float>> items;  // (external item id, strength), non-empty
  int k = 10;
  bool explain = false;
  bool exclude_seen = true;
};

// Body of POST /v1/items.
struct NewItemRequest {
  std::string id;
  std::string title;  // non-empty
  std::vector<std::string> genres;
  std::vector<std::string> tags;
  std::string description;
};

// POST /v1/events: one event object or {"events": [event, ...]} with 1..kMaxBatchEvents events.
// Every event is checked before anything is returned (a batch is valid as a whole or not at all).
Result<std::vector<EventIn>> ParseEventsBody(std::string_view body);

// POST /v1/recommendations: {"items": [{"id": "50", "strength": 4}, ...], "k": 10,
// "explain": false, "exclude_seen": true}; items non-empty (at most kMaxRequestItems).
Result<RecommendationsRequest> ParseRecommendationsBody(std::string_view body);

// POST /v1/items: {"id", "title", "genres": [...], "tags": [...], "description"}.
Result<NewItemRequest> ParseNewItemBody(std::string_view body);

// Query parameters. `value` is std::nullopt when the parameter is absent (the default applies).
// k: a decimal integer in 1..kMaxK.
Result<int> ParseKParam(std::optional<std::string_view> value, int default_k = 10);
// true/false/1/0 (case-sensitive, as documented).
Result<bool> ParseBoolParam(std::string_view name, std::optional<std::string_view> value, bool default_value);
// Free text (search query, path ids): non-empty, at most `max_bytes`, valid UTF-8.
Status CheckText(std::string_view field, std::string_view value, size_t max_bytes);

// Maximum nesting depth of '[' / '{' outside strings (a pre-scan; no full parse).
int JsonNestingDepth(std::string_view body);

}  // namespace hybridrec::serve
