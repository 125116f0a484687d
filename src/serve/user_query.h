// A user as the service sees them, and what the API handlers derive from one: the ranker's
// query (model/rank_query.h, shared with `hybridrec recommend`) and the history shown by
// GET /v1/users/{id}. Item indices are the snapshot's catalogue; ids are external.
// Thread-safety: functions of a const snapshot; safe from many threads.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "model/rank_query.h"
#include "serve/snapshot.h"

namespace hybridrec::serve {

struct LiveUser {
  std::optional<uint32_t> row;   // the user's row in the trained model
  std::vector<UserEvent> events;  // events since training, in arrival order
  // The service knows the user: trained on them, or has events from them.
  bool known() const { return row.has_value() || !events.empty(); }
};

// The user with external id `id` in `snap` (an unknown id gives an empty LiveUser).
LiveUser FindLiveUser(const Snapshot& snap, std::string_view id);

// The ranker's query for `user` to `ranker` (QueryForUser over the snapshot's model and the
// user's events, with the ranker's RecentOptions::items).
RankQuery QueryFor(const Snapshot& snap, const LiveUser& user, const HybridRanker& ranker);

// The ranker's query for POST /v1/recommendations: (external item id, strength), oldest first.
// NotFound "unknown item 'ID' in items" for an id the catalogue does not have.
Result<RankQuery> QueryForItemIds(const Snapshot& snap, std::span<const std::pair<std::string, float>> items);

struct HistoryLine {
  uint32_t item = 0;
  float strength = 0.f;
  std::optional<int64_t> timestamp;  // absent for training rows of a model without timestamps
  bool from_training = false;        // false: an event since training
};

// The user's history newest first: the events since training (equal timestamps in arrival
// order), then the training interactions in the model's recency order.
std::vector<HistoryLine> UserHistory(const Snapshot& snap, const LiveUser& user);

}  // namespace hybridrec::serve
