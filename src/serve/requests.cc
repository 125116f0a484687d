#include "serve/requests.h"

#include <charconv>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "ranking/item_filter.h"

namespace hybridrec::serve {
namespace {

using nlohmann::json;

Status Bad(std::string_view field, std::string_view what) {
  return Status::InvalidArgument("field '" + std::string(field) + "': " + std::string(what));
}

Result<json> ParseObject(std::string_view body) {
  if (JsonNestingDepth(body) > kMaxJsonDepth)
    return Status::InvalidArgument("malformed JSON: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  json j;
  try {
    j = json::parse(body.begin(), body.end());
  } catch (const json::parse_error& e) {
    return Status::InvalidArgument("malformed JSON at byte " + std::to_string(e.byte) + ": " +
                                   std::string(e.what()).substr(0, 200));
  } catch (const json::exception& e) {  // e.g. out_of_range 406: a number overflowing a double
    return Status::InvalidArgument("malformed JSON: " + std::string(e.what()).substr(0, 200));
  }
  if (!j.is_object()) return Status::InvalidArgument("malformed request: the body must be a JSON object");
  return j;
}

// A string or integer id; strings non-empty and at most kMaxIdBytes.
Result<std::string> ParseId(const json& v, std::string_view field) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    HR_RETURN_IF_ERROR(CheckText(field, s, kMaxIdBytes));
    return s;
  }
  if (v.is_number_integer()) return v.dump();  // signed or unsigned: printed exactly
  return Bad(field, "must be a string (or an integer) id");
}

Result<float> ParseStrength(const json& obj, std::string_view field) {
  const auto it = obj.find("strength");
  if (it == obj.end() || it->is_null()) return 1.f;
  if (!it->is_number()) return Bad(field, "must be a number");
  const double d = it->get<double>();
  if (!std::isfinite(d) || d <= 0.0 || d > 1e30) return Bad(field, "must be a finite number > 0 (and below 1e30)");
  return static_cast<float>(d);
}

Result<std::optional<int64_t>> ParseTimestamp(const json& obj, std::string_view field) {
  const auto it = obj.find("timestamp");
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>();
  // About 292 billion years either way fit; we bound to +-1e13 s (year ~318,000) to stay sane.
  constexpr int64_t kMax = 10'000'000'000'000;
  if (it->is_number_unsigned()) {
    const uint64_t u = it->get<uint64_t>();
    if (u > static_cast<uint64_t>(kMax)) return Bad(field, "out of range (seconds since the epoch)");
    return std::optional<int64_t>(static_cast<int64_t>(u));
  }
  if (it->is_number_integer()) {
    const int64_t v = it->get<int64_t>();
    if (v < -kMax || v > kMax) return Bad(field, "out of range (seconds since the epoch)");
    return std::optional<int64_t>(v);
  }
  return Bad(field, "must be an integer (seconds since the epoch)");
}

Result<EventIn> ParseEvent(const json& e, const std::string& where) {
  if (!e.is_object()) return Bad(where, "must be an object {\"user\", \"item\", \"strength\", \"timestamp\"}");
  EventIn out;
  const auto u = e.find("user");
  if (u == e.end()) return Bad(where + ".user", "is required");
  HR_ASSIGN_OR_RETURN(out.user, ParseId(*u, where + ".user"));
  const auto i = e.find("item");
  if (i == e.end()) return Bad(where + ".item", "is required");
  HR_ASSIGN_OR_RETURN(out.item, ParseId(*i, where + ".item"));
  HR_ASSIGN_OR_RETURN(out.strength, ParseStrength(e, where + ".strength"));
  HR_ASSIGN_OR_RETURN(out.timestamp, ParseTimestamp(e, where + ".timestamp"));
  if (const auto r = e.find("request_id"); r != e.end() && !r->is_null()) {
    if (!r->is_string()) return Bad(where + ".request_id", "must be a string (the request_id of a recommendation response)");
    HR_RETURN_IF_ERROR(CheckText(where + ".request_id", r->get_ref<const std::string&>(), kMaxRequestIdBytes));
    out.request_id = r->get<std::string>();
  }
  return out;
}

Result<bool> OptionalBool(const json& obj, const char* name, bool def) {
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return def;
  if (!it->is_boolean()) return Bad(name, "must be true or false");
  return it->get<bool>();
}

Result<std::string> OptionalText(const json& obj, const char* name, bool required) {
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) {
    if (required) return Bad(name, "is required");
    return std::string();
  }
  if (!it->is_string()) return Bad(name, "must be a string");
  const auto& s = it->get_ref<const std::string&>();
  if (s.empty()) {
    if (required) return Bad(name, "must not be empty");
    return std::string();
  }
  HR_RETURN_IF_ERROR(CheckText(name, s, kMaxTextBytes));
  return s;
}

Result<std::vector<std::string>> OptionalStringList(const json& obj, const char* name) {
  std::vector<std::string> out;
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_array()) return Bad(name, "must be an array of strings");
  if (it->size() > kMaxListEntries) return Bad(name, "at most " + std::to_string(kMaxListEntries) + " entries");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& v = (*it)[i];
    const std::string f = std::string(name) + "[" + std::to_string(i) + "]";
    if (!v.is_string()) return Bad(f, "must be a string");
    const auto& s = v.get_ref<const std::string&>();
    HR_RETURN_IF_ERROR(CheckText(f, s, kMaxTextBytes));
    out.push_back(s);
  }
  return out;
}

}  // namespace

int JsonNestingDepth(std::string_view body) {
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (const char c : body) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') max_depth = std::max(max_depth, ++depth);
    else if ((c == ']' || c == '}') && depth > 0) --depth;
  }
  return max_depth;
}

Status CheckText(std::string_view field, std::string_view value, size_t max_bytes) {
  if (value.empty()) return Bad(field, "must not be empty");
  if (value.size() > max_bytes) return Bad(field, "longer than " + std::to_string(max_bytes) + " bytes");
  if (const auto bad = FindInvalidUtf8(value)) return Bad(field, "invalid UTF-8 at byte " + std::to_string(*bad));
  return Status::Ok();
}

Result<std::vector<EventIn>> ParseEventsBody(std::string_view body) {
  HR_ASSIGN_OR_RETURN(json j, ParseObject(body));
  std::vector<EventIn> out;
  const auto events = j.find("events");
  if (events == j.end()) {
    HR_ASSIGN_OR_RETURN(EventIn e, ParseEvent(j, "event"));
    out.push_back(std::move(e));
    return out;
  }
  if (!events->is_array()) return Bad("events", "must be an array of events");
  if (events->empty()) return Bad("events", "must hold at least one event");
  if (events->size() > kMaxBatchEvents)
    return Bad("events", "at most " + std::to_string(kMaxBatchEvents) + " events per request");
  out.reserve(events->size());
  for (size_t i = 0; i < events->size(); ++i) {
    HR_ASSIGN_OR_RETURN(EventIn e, ParseEvent((*events)[i], "events[" + std::to_string(i) + "]"));
    out.push_back(std::move(e));
  }
  return out;
}

Result<RecommendationsRequest> ParseRecommendationsBody(std::string_view body) {
  HR_ASSIGN_OR_RETURN(json j, ParseObject(body));
  RecommendationsRequest r;
  const auto items = j.find("items");
  if (items == j.end()) return Bad("items", "is required (a non-empty array of {\"id\", \"strength\"})");
  if (!items->is_array()) return Bad("items", "must be an array of {\"id\", \"strength\"}");
  if (items->empty()) return Bad("items", "must not be empty");
  if (items->size() > kMaxRequestItems) return Bad("items", "at most " + std::to_string(kMaxRequestItems) + " entries");
  for (size_t i = 0; i < items->size(); ++i) {
    const json& e = (*items)[i];
    const std::string f = "items[" + std::to_string(i) + "]";
    if (e.is_string() || e.is_number_integer()) {  // bare id: strength 1
      HR_ASSIGN_OR_RETURN(std::string id, ParseId(e, f));
      r.items.emplace_back(std::move(id), 1.f);
      continue;
    }
    if (!e.is_object()) return Bad(f, "must be an object {\"id\", \"strength\"}");
    const auto id = e.find("id");
    if (id == e.end()) return Bad(f + ".id", "is required");
    HR_ASSIGN_OR_RETURN(std::string sid, ParseId(*id, f + ".id"));
    HR_ASSIGN_OR_RETURN(float s, ParseStrength(e, f + ".strength"));
    r.items.emplace_back(std::move(sid), s);
  }
  if (const auto k = j.find("k"); k != j.end() && !k->is_null()) {
    if (!k->is_number_integer()) return Bad("k", "must be an integer in 1.." + std::to_string(kMaxK));
    const bool in_range = k->is_number_unsigned()
                              ? k->get<uint64_t>() >= 1 && k->get<uint64_t>() <= static_cast<uint64_t>(kMaxK)
                              : k->get<int64_t>() >= 1 && k->get<int64_t>() <= kMaxK;
    if (!in_range) return Bad("k", "must be an integer in 1.." + std::to_string(kMaxK));
    r.k = static_cast<int>(k->get<int64_t>());
  }
  HR_ASSIGN_OR_RETURN(r.explain, OptionalBool(j, "explain", false));
  HR_ASSIGN_OR_RETURN(r.exclude_seen, OptionalBool(j, "exclude_seen", true));
  HR_ASSIGN_OR_RETURN(r.rules, ParseRulesJson(j));
  return r;
}

Result<NewItemRequest> ParseNewItemBody(std::string_view body) {
  HR_ASSIGN_OR_RETURN(json j, ParseObject(body));
  NewItemRequest r;
  const auto id = j.find("id");
  if (id == j.end()) return Bad("id", "is required");
  HR_ASSIGN_OR_RETURN(r.id, ParseId(*id, "id"));
  HR_ASSIGN_OR_RETURN(r.title, OptionalText(j, "title", true));
  HR_ASSIGN_OR_RETURN(r.genres, OptionalStringList(j, "genres"));
  HR_ASSIGN_OR_RETURN(r.tags, OptionalStringList(j, "tags"));
  HR_ASSIGN_OR_RETURN(r.description, OptionalText(j, "description", false));
  return r;
}

Result<int> ParseKParam(std::optional<std::string_view> value, int default_k) {
  if (!value) return default_k;
  const std::string_view v = *value;
  int k = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), k);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size() || k < 1 || k > kMaxK)
    return Bad("k", "must be an integer in 1.." + std::to_string(kMaxK));
  return k;
}

Result<bool> ParseBoolParam(std::string_view name, std::optional<std::string_view> value, bool default_value) {
  if (!value) return default_value;
  if (*value == "true" || *value == "1") return true;
  if (*value == "false" || *value == "0") return false;
  return Bad(name, "must be true or false");
}

namespace {

// A decimal number in [lo, hi] (finite; no trailing characters).
Result<double> ParseNumber(std::string_view field, std::string_view v, double lo, double hi, bool lo_open = false) {
  const std::string range = (lo_open ? "(" : "[") + FormatNumber(lo) + ", " + FormatNumber(hi) + "]";
  double d = 0.0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size() || !std::isfinite(d))
    return Bad(field, "must be a number in " + range);
  if (d < lo || d > hi || (lo_open && d == lo)) return Bad(field, "must be a number in " + range);
  return d;
}

Result<double> JsonNumber(const json& v, std::string_view field, double lo, double hi, bool lo_open = false) {
  const std::string range = (lo_open ? "(" : "[") + FormatNumber(lo) + ", " + FormatNumber(hi) + "]";
  if (!v.is_number()) return Bad(field, "must be a number in " + range);
  const double d = v.get<double>();
  if (!std::isfinite(d) || d < lo || d > hi || (lo_open && d == lo)) return Bad(field, "must be a number in " + range);
  return d;
}

Status CheckFilterValues(std::string_view field, const std::vector<std::string>& values) {
  if (values.size() > kMaxFilterValues) return Bad(field, "at most " + std::to_string(kMaxFilterValues) + " values");
  for (const std::string& v : values) HR_RETURN_IF_ERROR(CheckText(field, v, kMaxTextBytes));
  return Status::Ok();
}

Status CheckAttributeName(std::string_view field, std::string_view name) {
  if (name.empty()) return Bad(field, "name an attribute after the '_' (e.g. include_genre)");
  if (name.size() > 64) return Bad(field, "attribute name longer than 64 bytes");
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return Bad(field, "attribute names are lower-case letters, digits and '_'");
  return Status::Ok();
}

}  // namespace

std::string FormatNumber(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

Result<RulesParams> ParseRulesQuery(const std::multimap<std::string, std::string>& query) {
  RulesParams r;
  std::string prev;
  for (const auto& [key, value] : query) {
    const bool rule = key.starts_with("include_") || (key.starts_with("exclude_") && key != "exclude_seen") ||
                      key == "added_since" || key == "new_boost" || key == "new_half_life_days" || key == "diversity" ||
                      key == "calibration";
    if (!rule) continue;
    if (key == prev) return Bad(key, "given more than once (give one comma-separated list)");
    prev = key;
    if (key == "exclude_items") {
      HR_ASSIGN_OR_RETURN(r.exclude_items, SplitList(key, value, kMaxExcludeItems));
      for (const std::string& id : r.exclude_items) HR_RETURN_IF_ERROR(CheckText(key, id, kMaxIdBytes));
    } else if (key == "added_since") {
      HR_ASSIGN_OR_RETURN(int64_t t, ParseDateTime(key, value));
      r.added_since = t;
    } else if (key == "new_boost") {
      HR_ASSIGN_OR_RETURN(double d, ParseNumber(key, value, 0.0, kMaxNewBoost));
      r.new_boost = static_cast<float>(d);
    } else if (key == "new_half_life_days") {
      HR_ASSIGN_OR_RETURN(r.new_half_life_days, ParseNumber(key, value, 0.0, kMaxHalfLifeDays, true));
    } else if (key == "diversity" || key == "calibration") {
      HR_ASSIGN_OR_RETURN(double d, ParseNumber(key, value, 0.0, 1.0));
      (key == "diversity" ? r.diversity : r.calibration) = static_cast<float>(d);
    } else {
      const bool inc = key.starts_with("include_");
      const std::string attr = key.substr(8);
      HR_RETURN_IF_ERROR(CheckAttributeName(key, attr));
      auto& clauses = inc ? r.include : r.exclude;
      if (r.include.size() + r.exclude.size() >= kMaxFilterClauses)
        return Bad(key, "at most " + std::to_string(kMaxFilterClauses) + " include_/exclude_ parameters");
      HR_ASSIGN_OR_RETURN(std::vector<std::string> values, SplitList(key, value, kMaxFilterValues));
      HR_RETURN_IF_ERROR(CheckFilterValues(key, values));
      clauses.push_back({attr, std::move(values)});
    }
  }
  return r;
}

Result<RulesParams> ParseRulesJson(const nlohmann::json& j) {
  RulesParams r;
  for (const char* kind : {"include", "exclude"}) {
    const auto it = j.find(kind);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_object())
      return Bad(kind, "must be an object of attribute -> array of values, e.g. {\"genre\": [\"Comedy\"]}");
    for (const auto& [attr, vals] : it->items()) {
      const std::string field = std::string(kind) + "." + attr;
      HR_RETURN_IF_ERROR(CheckAttributeName(field, attr));
      if (r.include.size() + r.exclude.size() >= kMaxFilterClauses)
        return Bad(kind, "at most " + std::to_string(kMaxFilterClauses) + " attributes in include and exclude");
      if (!vals.is_array()) return Bad(field, "must be an array of strings");
      if (vals.empty()) return Bad(field, "must not be empty");
      if (vals.size() > kMaxFilterValues) return Bad(field, "at most " + std::to_string(kMaxFilterValues) + " values");
      std::vector<std::string> values;
      for (const json& v : vals) {
        if (!v.is_string()) return Bad(field, "must be an array of strings");
        values.push_back(v.get<std::string>());
      }
      HR_RETURN_IF_ERROR(CheckFilterValues(field, values));
      (std::string_view(kind) == "include" ? r.include : r.exclude).push_back({attr, std::move(values)});
    }
  }
  if (const auto it = j.find("exclude_items"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return Bad("exclude_items", "must be an array of ids");
    if (it->size() > kMaxExcludeItems)
      return Bad("exclude_items", "at most " + std::to_string(kMaxExcludeItems) + " ids");
    for (size_t i = 0; i < it->size(); ++i) {
      HR_ASSIGN_OR_RETURN(std::string id, ParseId((*it)[i], "exclude_items[" + std::to_string(i) + "]"));
      r.exclude_items.push_back(std::move(id));
    }
  }
  if (const auto it = j.find("added_since"); it != j.end() && !it->is_null()) {
    if (it->is_string()) {
      HR_ASSIGN_OR_RETURN(int64_t t, ParseDateTime("added_since", it->get_ref<const std::string&>()));
      r.added_since = t;
    } else if (it->is_number_integer()) {
      HR_ASSIGN_OR_RETURN(int64_t t, ParseDateTime("added_since", it->dump()));
      r.added_since = t;
    } else {
      return Bad("added_since", "must be a date string (YYYY-MM-DD) or seconds since the epoch");
    }
  }
  auto number = [&](const char* name, double lo, double hi, bool lo_open) -> Result<std::optional<double>> {
    const auto it = j.find(name);
    if (it == j.end() || it->is_null()) return std::optional<double>();
    HR_ASSIGN_OR_RETURN(double d, JsonNumber(*it, name, lo, hi, lo_open));
    return std::optional<double>(d);
  };
  HR_ASSIGN_OR_RETURN(auto boost, number("new_boost", 0.0, kMaxNewBoost, false));
  HR_ASSIGN_OR_RETURN(auto half, number("new_half_life_days", 0.0, kMaxHalfLifeDays, true));
  HR_ASSIGN_OR_RETURN(auto div, number("diversity", 0.0, 1.0, false));
  HR_ASSIGN_OR_RETURN(auto cal, number("calibration", 0.0, 1.0, false));
  if (boost) r.new_boost = static_cast<float>(*boost);
  if (half) r.new_half_life_days = *half;
  if (div) r.diversity = static_cast<float>(*div);
  if (cal) r.calibration = static_cast<float>(*cal);
  return r;
}

}  // namespace hybridrec::serve
