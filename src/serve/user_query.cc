#include "serve/user_query.h"

namespace hybridrec::serve {

LiveUser FindLiveUser(const Snapshot& snap, std::string_view id) {
  LiveUser u;
  u.row = snap.model().users.Find(id);
  u.events = snap.users().Get(id);
  return u;
}

RankQuery QueryFor(const Snapshot& snap, const LiveUser& user, const HybridRanker& ranker) {
  return QueryForUser(snap.model(), user.row, user.events, ranker.options().recent.items);
}

Result<RankQuery> QueryForItemIds(const Snapshot& snap, std::span<const std::pair<std::string, float>> items) {
  std::vector<HistoryEntry> history;
  history.reserve(items.size());
  for (const auto& [id, strength] : items) {
    const auto item = snap.FindItem(id);
    if (!item) return Status::NotFound("unknown item '" + id + "' in items");
    history.emplace_back(*item, strength);
  }
  return QueryForItems(history);
}

std::vector<HistoryLine> UserHistory(const Snapshot& snap, const LiveUser& user) {
  std::vector<HistoryLine> out;
  for (const auto& e : NewestFirst(user.events)) out.push_back({e.item, e.strength, e.timestamp, false});
  if (user.row)
    for (const auto& t : TrainingHistoryNewestFirst(snap.model(), *user.row))
      out.push_back({t.item, t.strength, t.timestamp, true});
  return out;
}

}  // namespace hybridrec::serve
