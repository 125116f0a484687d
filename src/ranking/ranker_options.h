// The hybrid ranker's options: what a model is trained and tuned with, saved in its manifest
// (params.ranker), one small struct per signal beside the ranker's own; and the per-request
// settings (RankRequest), which are not model options.
//
// Each struct lists its fields once (VisitFields, see option_fields.h); validation, the
// manifest's JSON, the command-line flags and the tuning grid come from those lists. The JSON is
// flat: one key per field, unique across all the structs.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "ranking/fusion_kernels.h"
#include "ranking/item_filter.h"
#include "ranking/option_fields.h"
#include "ranking/signal_collab.h"
#include "ranking/signal_cooccurrence.h"
#include "ranking/signal_fresh.h"
#include "ranking/signal_popularity.h"
#include "ranking/signal_recent.h"

namespace hybridrec {


struct RankerOptions {
  // The ranker's own options: candidates per signal, the history ramp of the collaborative /
  // content pair, the z-score floor, the content-to-factor map of items without a factor.
  size_t candidates = 200;      // N: top-N from each signal (>= 1)
  float T = 20.f;               // history size at which the collaborative weight reaches w_max
  float w_max = 1.f;            // maximum collaborative weight, in [0, 1]
  float sigma_floor = kDefaultSigmaFloor;  // z-score floor (a flatter signal contributes 0)
  bool map_cold_items = false;  // estimate y_i of factor-less items with the content-to-factor map
  float map_ridge = 1.f;        // mu of that ridge regression (>= 0)
  // Otherwise (the default) a factor-less item's y_i is estimated from its cold_knn nearest
  // trained items by embedding cosine c_j > 0: sum_j c_j^p y_j / (sum_j c_j^p + shrink), with p =
  // cold_knn_power. A near copy of a trained item inherits most of its factor; an item with no
  // close neighbour gets a small one. 0 neighbours = no estimate.
  size_t cold_knn = 20;
  float cold_knn_power = 5.f;
  float cold_knn_shrink = 0.25f;

  CollabOptions collab;
  PopularityOptions popularity;
  RecentOptions recent;
  CooccurrenceOptions cooccurrence;
  FreshOptions fresh;

  // Runtime only, never saved: catalogues up to this size are scored by an exact brute-force dot
  // product even when an index is given (faster there, and exact); 0 = always use the index.
  size_t brute_force_max_items = 20000;

  template <typename Self, typename V>
  static void VisitFields(Self& o, V&& v) {
    v(FieldSpec{"candidates", "candidates", "fusion: top-N candidates from each signal", 1, kInf}, o.candidates);
    v(FieldSpec{"T", "T", "fusion: history size at which the collaborative weight reaches w_max"}, o.T);
    v(FieldSpec{"w_max", "w-max", "fusion: maximum collaborative weight, in [0, 1]", 0, 1}, o.w_max);
    v(FieldSpec{"sigma_floor", "sigma-floor", "fusion: z-score floor", 0, kInf}, o.sigma_floor);
    v(FieldSpec{"map_cold_items", "map-cold-items",
                "estimate factors of items without training interactions from their embeddings"},
      o.map_cold_items);
    v(FieldSpec{"map_ridge", "map-ridge", "ridge mu of that content-to-factor map", 0, kInf}, o.map_ridge);
    v(FieldSpec{"cold_knn", "cold-knn",
                "otherwise estimate them from this many nearest trained items by embedding (0: no estimate)"},
      o.cold_knn);
    v(FieldSpec{"cold_knn_power", "cold-knn-power", "exponent of the neighbours' cosine weights", 0, kInf},
      o.cold_knn_power);
    v(FieldSpec{"cold_knn_shrink", "cold-knn-shrink", "shrinkage of that weighted mean towards 0", 0, kInf},
      o.cold_knn_shrink);
    CollabOptions::VisitFields(o.collab, v);
    PopularityOptions::VisitFields(o.popularity, v);
    RecentOptions::VisitFields(o.recent, v);
    CooccurrenceOptions::VisitFields(o.cooccurrence, v);
    FreshOptions::VisitFields(o.fresh, v);
  }

  // Throws std::invalid_argument naming the offending field.
  void Validate() const { ValidateFields(*this, "RankerOptions"); }
};

// params.ranker of a manifest. Reading accepts every key this format has written, including
// the per-request keys "exclude_seen" and "explain_items" that older models stored (ignored:
// they are request settings); any other unknown key is refused by name, as are wrong types and
// values out of range.
nlohmann::json RankerOptionsToJson(const RankerOptions& o);
Result<RankerOptions> RankerOptionsFromJson(const nlohmann::json& j);

// The tuning grid for a protocol ("random", "global-random", "temporal", "cold-users",
// "cold-items"): the ranker's axes, then each signal's.
std::vector<GridAxis> DefaultGridAxes(std::string_view protocol, const RankerOptions& base);

// Per-request settings.
struct RankRequest {
  size_t k = 10;
  bool exclude_seen = true;   // leave the user's own items out
  bool explain = false;       // fill each item's reasons
  size_t explain_items = 3;   // history items listed per reason kind
  // Filters, the new-item boost and re-ranking (item_filter.h); none by default. The ranker
  // applies the eligibility before selection: k items come back whenever k eligible unseen items
  // exist (it widens the candidate pool as needed).
  ItemRules rules;
  // Re-ranking considers the best max(k, rerank_pool) candidates by fused score.
  size_t rerank_pool = 200;
};

}  // namespace hybridrec
