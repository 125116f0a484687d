// The fresh-items signal: lets items without a trained factor (held out of training, or added
// to a running service) compete with warm items for every user. Such an item has an estimated
// factor (see RankerOptions::cold_knn), so the collaborative signal already scores it; for
// these items only, and only when the collaborative signal is active, this signal adds
//   w_u * boost * (1 + W) + (max(1 - w_u, content_floor) - (1 - w_u)) * z_content
// to the fused score, where w_u is the collaborative weight of the query and W the weight of the
// other non-primary signals (popularity, recent items, co-occurrence): the item keeps a content
// weight of at least content_floor however long the history, plus a boost that grows with w_u (a
// constant boost costs short, content-led histories; scaled by w_u it does not) and with what
// the other signals add, which a new item mostly lacks (no popularity, no co-occurrence).
// Its scores are already on the z scale, so they are added as they are (weight 1). It proposes
// no candidates of its own: cold items come in through the collaborative and content top-N.
// Explanations: the history items most like the recommended cold item (content cosine).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "ranking/option_fields.h"
#include "ranking/signal.h"

namespace hybridrec {

struct FreshOptions {
  float boost = 1.25f;          // 0 and floor 0 = off
  float content_floor = 0.25f;  // in [0, 1]
  template <typename Self, typename V>
  static void VisitFields(Self& o, V&& v) {
    v(FieldSpec{"cold_boost", "cold-boost", "items without a trained factor: boost scaled by the collaborative weight",
                0, kInf},
      o.boost);
    v(FieldSpec{"cold_content_floor", "cold-content-floor",
                "items without a trained factor: least content weight, in [0, 1]", 0, 1},
      o.content_floor);
  }
};

// Null when off (boost 0 and floor 0) or without both layers.
std::shared_ptr<const Signal> MakeFreshSignal(const SignalInputs& in, const RankerOptions& options);

}  // namespace hybridrec
