// The item co-occurrence (item-kNN) signal: sum over the history items h of w_hj from an
// ItemNeighbours table (collab/item_neighbours.h). With a handful of history items it ranks
// better than a factor folded in from them, but it lowers NDCG for long histories, so its weight
// fades: g_u = weight * (1 - min(1, |history| / T)) (constant when T <= 0). Candidates: its top-N.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "collab/item_neighbours.h"
#include "ranking/option_fields.h"
#include "ranking/signal.h"

namespace hybridrec {

struct CooccurrenceOptions {
  float weight = 0.f;         // 0 = off
  float T = 0.f;              // history size at which its weight has faded to 0 (<= 0: constant)
  size_t neighbours = 50;     // neighbours kept per item
  float alpha = 0.5f;         // w_ij = C_ij / (pop_i^alpha pop_j^beta)
  float beta = 0.f;
  ItemNeighboursOptions neighbour_options() const { return {neighbours, alpha, beta}; }
  template <typename Self, typename V>
  static void VisitFields(Self& o, V&& v) {
    v(FieldSpec{"cooccurrence_weight", "cooccurrence-weight", "weight of the item co-occurrence signal (0: off)", 0,
                kInf},
      o.weight);
    v(FieldSpec{"cooccurrence_T", "cooccurrence-T",
                "history size at which the co-occurrence weight has faded to 0 (<= 0: constant)"},
      o.T);
    v(FieldSpec{"cooccurrence_neighbours", "cooccurrence-neighbours", "co-occurrence neighbours kept per item", 1, kInf},
      o.neighbours);
    v(FieldSpec{"cooccurrence_alpha", "cooccurrence-alpha", "exponent of the history item's popularity", 0, kInf},
      o.alpha);
    v(FieldSpec{"cooccurrence_beta", "cooccurrence-beta", "exponent of the candidate's popularity", 0, kInf}, o.beta);
  }
  static void Grid(std::string_view protocol, const RankerOptions& base, std::vector<GridAxis>& out);
};

// Null when off (weight 0). Throws std::invalid_argument when in.neighbours is missing or was
// built with other neighbours / alpha / beta.
std::shared_ptr<const Signal> MakeCooccurrenceSignal(const SignalInputs& in, const RankerOptions& options);

}  // namespace hybridrec
