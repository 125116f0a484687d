// Fuzzes the HTTP request-body and query-parameter parsers (serve/requests.h).
// Selector byte % 8: 0 ParseEventsBody, 1 ParseRecommendationsBody (with its filters and
// re-ranking fields), 2 ParseNewItemBody, 3 ParseKParam, 4 ParseBoolParam, 5 CheckText,
// 6 ParseRulesQuery (the rest of the input is a query string "a=b&c=d", split on '&' and the
// first '=', not percent-decoded), 7 ParseDateTime; the rest of the input is the body or value.
// Whatever a parser accepts must respect the documented limits.
#include <cmath>
#include <cstdint>
#include <map>
#include <string>

#include "core/utf8.h"
#include "fuzz/fuzz_util.h"
#include "ranking/item_filter.h"
#include "serve/requests.h"

namespace {

using namespace hybridrec;
using namespace hybridrec::serve;

void CheckId(const std::string& id) {
  HR_FUZZ_CHECK(!id.empty() && id.size() <= kMaxIdBytes);
  HR_FUZZ_CHECK(!FindInvalidUtf8(id).has_value());
}

void CheckText(const std::string& s) {
  HR_FUZZ_CHECK(s.size() <= kMaxTextBytes);
  HR_FUZZ_CHECK(!FindInvalidUtf8(s).has_value());
}

// Whatever the rules parsers accept respects the documented limits.
void CheckRules(const RulesParams& r) {
  HR_FUZZ_CHECK(r.include.size() + r.exclude.size() <= kMaxFilterClauses);
  for (const auto* group : {&r.include, &r.exclude})
    for (const auto& c : *group) {
      HR_FUZZ_CHECK(!c.attribute.empty() && c.attribute.size() <= 64);
      HR_FUZZ_CHECK(!c.values.empty() && c.values.size() <= kMaxFilterValues);
      for (const auto& v : c.values) {
        HR_FUZZ_CHECK(!v.empty());
        CheckText(v);
      }
    }
  HR_FUZZ_CHECK(r.exclude_items.size() <= kMaxExcludeItems);
  for (const auto& id : r.exclude_items) CheckId(id);
  HR_FUZZ_CHECK(r.new_boost >= 0.f && r.new_boost <= kMaxNewBoost);
  HR_FUZZ_CHECK(r.new_half_life_days > 0.0 && r.new_half_life_days <= kMaxHalfLifeDays);
  HR_FUZZ_CHECK(r.diversity >= 0.f && r.diversity <= 1.f);
  HR_FUZZ_CHECK(r.calibration >= 0.f && r.calibration <= 1.f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view body = fuzz::AsView(data + 1, size - 1);
  (void)JsonNestingDepth(body);
  switch (data[0] % 8) {
    case 0: {
      auto r = ParseEventsBody(body);
      if (!r.ok()) break;
      HR_FUZZ_CHECK(!r->empty() && r->size() <= kMaxBatchEvents);
      for (const EventIn& e : *r) {
        CheckId(e.user);
        CheckId(e.item);
        HR_FUZZ_CHECK(std::isfinite(e.strength) && e.strength > 0.f);
        HR_FUZZ_CHECK(e.request_id.size() <= kMaxRequestIdBytes);
      }
      break;
    }
    case 1: {
      auto r = ParseRecommendationsBody(body);
      if (!r.ok()) break;
      HR_FUZZ_CHECK(!r->items.empty() && r->items.size() <= kMaxRequestItems);
      HR_FUZZ_CHECK(r->k >= 1 && r->k <= kMaxK);
      for (const auto& [id, strength] : r->items) {
        CheckId(id);
        HR_FUZZ_CHECK(std::isfinite(strength));
      }
      CheckRules(r->rules);
      break;
    }
    case 2: {
      auto r = ParseNewItemBody(body);
      if (!r.ok()) break;
      CheckId(r->id);
      HR_FUZZ_CHECK(!r->title.empty());
      CheckText(r->title);
      CheckText(r->description);
      HR_FUZZ_CHECK(r->genres.size() <= kMaxListEntries && r->tags.size() <= kMaxListEntries);
      for (const auto& g : r->genres) CheckText(g);
      for (const auto& t : r->tags) CheckText(t);
      break;
    }
    case 3: {
      auto r = ParseKParam(body);
      if (r.ok()) HR_FUZZ_CHECK(*r >= 1 && *r <= kMaxK);
      break;
    }
    case 4:
      (void)ParseBoolParam("explain", body, false);
      break;
    case 5:
      if (serve::CheckText("q", body, 64).ok()) {
        HR_FUZZ_CHECK(!body.empty() && body.size() <= 64);
        HR_FUZZ_CHECK(!FindInvalidUtf8(body).has_value());
      }
      break;
    case 6: {
      std::multimap<std::string, std::string> query;
      size_t start = 0;
      while (start <= body.size()) {
        const size_t amp = std::min(body.find('&', start), body.size());
        const std::string_view pair = body.substr(start, amp - start);
        const size_t eq = pair.find('=');
        query.emplace(std::string(pair.substr(0, eq)),
                      eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1)));
        start = amp + 1;
      }
      auto r = ParseRulesQuery(query);
      if (r.ok()) CheckRules(*r);
      break;
    }
    case 7: {
      auto r = ParseDateTime("added_since", body);
      if (r.ok()) HR_FUZZ_CHECK(*r >= -10'000'000'000'000 - 86400 && *r <= 10'000'000'000'000 + 86400);
      break;
    }
  }
  return 0;
}
