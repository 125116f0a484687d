// Fuzzes the HTTP request-body and query-parameter parsers (serve/requests.h).
// Selector byte % 6: 0 ParseEventsBody, 1 ParseRecommendationsBody, 2 ParseNewItemBody,
// 3 ParseKParam, 4 ParseBoolParam, 5 CheckText; the rest of the input is the body or value.
// Whatever a parser accepts must respect the documented limits.
#include <cmath>
#include <cstdint>

#include "core/utf8.h"
#include "fuzz/fuzz_util.h"
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view body = fuzz::AsView(data + 1, size - 1);
  (void)JsonNestingDepth(body);
  switch (data[0] % 6) {
    case 0: {
      auto r = ParseEventsBody(body);
      if (!r.ok()) break;
      HR_FUZZ_CHECK(!r->empty() && r->size() <= kMaxBatchEvents);
      for (const EventIn& e : *r) {
        CheckId(e.user);
        CheckId(e.item);
        HR_FUZZ_CHECK(std::isfinite(e.strength) && e.strength > 0.f);
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
  }
  return 0;
}
