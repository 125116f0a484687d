#include "model/rank_query.h"

#include <algorithm>

namespace hybridrec {

std::vector<LiveInteraction> NewestFirst(std::span<const LiveInteraction> events) {
  std::vector<LiveInteraction> out(events.begin(), events.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const LiveInteraction& a, const LiveInteraction& b) { return a.timestamp > b.timestamp; });
  return out;
}

RankQuery QueryForUser(const TrainedModel& model, std::optional<uint32_t> user,
                       std::span<const LiveInteraction> events, size_t recent_limit) {
  RankQuery q;
  q.known_user = user;
  q.use_trained_factor = events.empty();
  std::span<const uint32_t> trained_recent;
  if (user) {
    const auto items = model.history.RowIndices(*user);
    const auto vals = model.history.RowValues(*user);
    q.history.reserve(items.size() + events.size());
    for (size_t j = 0; j < items.size(); ++j) q.history.emplace_back(items[j], vals[j]);
    trained_recent = model.RecentItems(*user);
  }
  for (const auto& e : events) q.history.emplace_back(e.item, e.strength);
  if (recent_limit == 0) return q;  // the signal is off: no copy of the events on the hot path
  q.recent.reserve(std::min(recent_limit, events.size() + trained_recent.size()));
  for (const auto& e : NewestFirst(events)) {
    if (q.recent.size() == recent_limit) return q;
    q.recent.push_back(e.item);
  }
  for (uint32_t item : trained_recent) {
    if (q.recent.size() == recent_limit) break;
    q.recent.push_back(item);
  }
  return q;
}

RankQuery QueryForItems(std::span<const HistoryEntry> items_oldest_first) {
  RankQuery q;
  q.use_trained_factor = false;
  q.history.assign(items_oldest_first.begin(), items_oldest_first.end());
  q.recent.reserve(q.history.size());
  for (auto it = q.history.rbegin(); it != q.history.rend(); ++it) q.recent.push_back(it->first);
  return q;
}

std::vector<TrainingInteraction> TrainingHistoryNewestFirst(const TrainedModel& model, uint32_t user) {
  const auto items = model.history.RowIndices(user);
  const auto vals = model.history.RowValues(user);
  const size_t base = model.history.indptr[user];
  // Positions in the user's row (its items ascend there), in the model's recency order.
  std::vector<size_t> order;
  order.reserve(items.size());
  for (uint32_t item : model.RecentItems(user))
    order.push_back(static_cast<size_t>(std::lower_bound(items.begin(), items.end(), item) - items.begin()));
  if (order.empty())
    for (size_t j = 0; j < items.size(); ++j) order.push_back(j);
  std::vector<TrainingInteraction> out;
  out.reserve(order.size());
  for (size_t j : order) {
    TrainingInteraction t{items[j], vals[j], std::nullopt};
    if (!model.history_timestamps.empty()) t.timestamp = model.history_timestamps[base + j];
    out.push_back(t);
  }
  return out;
}

}  // namespace hybridrec
