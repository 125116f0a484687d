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
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"

namespace hybridrec::serve {

inline constexpr int kMaxK = 1000;
inline constexpr size_t kMaxBatchEvents = 1000;
inline constexpr size_t kMaxRequestItems = 1000;
inline constexpr size_t kMaxIdBytes = 256;
inline constexpr size_t kMaxRequestIdBytes = 64;  // request_id of an event
inline constexpr size_t kMaxTextBytes = 16384;  // title, each genre/tag, description, search query
inline constexpr size_t kMaxListEntries = 256;  // genres / tags of a new item
inline constexpr int kMaxJsonDepth = 16;
inline constexpr size_t kMaxExcludeItems = 5000;  // ids in exclude_items
inline constexpr size_t kMaxFilterValues = 256;   // values of one include_/exclude_ attribute
inline constexpr size_t kMaxFilterClauses = 8;    // include_/exclude_ attributes of one request
inline constexpr float kMaxNewBoost = 100.f;
inline constexpr double kMaxHalfLifeDays = 36500.0;

// One interaction as posted to /v1/events (external ids).
struct EventIn {
  std::string user;
  std::string item;
  float strength = 1.f;              // finite, > 0
  std::optional<int64_t> timestamp;  // seconds since the epoch; absent = the time of receipt
  std::string request_id;            // the recommendation response it came from (optional)
};

// Per-request filters, the new-item boost and re-ranking of the recommendation endpoints, as
// given (attribute names and values, and item ids, are checked against the catalogue by the
// handler: unknown ones are a 400 naming them).
struct RulesParams {
  struct Clause {
    std::string attribute;
    std::vector<std::string> values;
  };
  std::vector<Clause> include, exclude;  // include_<attribute> / exclude_<attribute>
  std::vector<std::string> exclude_items;
  std::optional<int64_t> added_since;  // seconds since the epoch
  float new_boost = 0.f;               // [0, kMaxNewBoost]
  double new_half_life_days = 30.0;    // (0, kMaxHalfLifeDays]
  float diversity = 0.f;               // [0, 1]
  float calibration = 0.f;             // [0, 1]
  bool filters() const { return !include.empty() || !exclude.empty() || !exclude_items.empty() || added_since; }
  bool any() const { return filters() || new_boost > 0.f || diversity > 0.f || calibration > 0.f; }
};

// The rules of GET /v1/users/{id}/recommendations from its query parameters:
// include_<attribute>=v1,v2 / exclude_<attribute>=v1,v2 (any attribute name here), exclude_items=
// id,id, added_since=DATE, new_boost, new_half_life_days, diversity, calibration. Each at most
// once (a repeat is an error naming it); other parameters are not looked at.
Result<RulesParams> ParseRulesQuery(const std::multimap<std::string, std::string>& query);

// Body of POST /v1/recommendations.
struct RecommendationsRequest {
  std::vector<std::pair<std::string, float>> items;  // (external item id, strength), non-empty
  int k = 10;
  bool explain = false;
  bool exclude_seen = true;
  RulesParams rules;
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
// "explain": false, "exclude_seen": true}; items non-empty (at most kMaxRequestItems). Rules:
// "include": {"genre": ["Comedy"]}, "exclude": {...}, "exclude_items": [ids], "added_since":
// "YYYY-MM-DD" (or a time, or seconds), "new_boost", "new_half_life_days", "diversity",
// "calibration" (as the query parameters of ParseRulesQuery).
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

// The rules fields of a recommendations body (see ParseRecommendationsBody).
Result<RulesParams> ParseRulesJson(const nlohmann::json& body);
// A number as the messages print it ("0.5", "30").
std::string FormatNumber(double v);

// Maximum nesting depth of '[' / '{' outside strings (a pre-scan; no full parse).
int JsonNestingDepth(std::string_view body);

}  // namespace hybridrec::serve
