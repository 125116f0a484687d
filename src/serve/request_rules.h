// The per-request filters, new-item boost and re-ranking of the recommendation endpoints:
// from the parsed parameters (requests.h RulesParams) to the ranker's ItemRules over one
// snapshot, and their echo in the response.
// Thread-safety: stateless.
#pragma once

#include <cstdint>

#include "ranking/hybrid_ranker.h"
#include "ranking/item_filter.h"
#include "serve/json_text.h"
#include "serve/requests.h"
#include "serve/snapshot.h"

namespace hybridrec::serve {

// Sets request.rules from `params` over the snapshot's catalogue; `eligible` receives the
// filter's bitmap (request.rules points at it: keep it alive while ranking). InvalidArgument
// naming the parameter for an unknown attribute, attribute value or item id.
Status ApplyRules(const Snapshot& snap, const RulesParams& params, int64_t now, ItemBitmap& eligible,
                  RankRequest& request);

// With rules: "filters": {"include": {attr: [values]}, "exclude": {...}, "exclude_items": n,
// "added_since": seconds, "eligible": n, "short": bool} (when a filter applied), "rerank":
// {"diversity", "calibration", "calibration_kl": {"before", "after"}} (when either is > 0),
// "new_boost": {"weight", "half_life_days"} (when on). Nothing without rules.
void AppendRulesMembers(JsonText& out, const RulesParams& params, const RankResponse& r, size_t k);

}  // namespace hybridrec::serve
