#include "serve/freshness.h"

#include <algorithm>
#include <functional>

namespace hybridrec::serve {

FreshnessTracker::FreshnessTracker(FreshnessOptions options) : options_(options) {}

FreshnessTracker::Entry& FreshnessTracker::FindOrInsert(std::string_view id) {
  if (const auto it = items_.find(id); it != items_.end()) {
    order_.splice(order_.end(), order_, it->second.order);  // now the most recently served
    return it->second;
  }
  while (!order_.empty() && items_.size() >= options_.max_items) {
    const std::string* oldest = order_.front();
    order_.pop_front();
    items_.erase(*oldest);
  }
  const auto [it, inserted] = items_.try_emplace(std::string(id));
  it->second.order = order_.insert(order_.end(), &it->first);
  return it->second;
}

void FreshnessTracker::RecordList(std::span<const ShownItem> shown, std::optional<std::string_view> user) {
  lists_.fetch_add(1, std::memory_order_relaxed);
  if (shown.empty() || options_.max_items == 0) return;
  const bool has_user = user.has_value();
  const uint64_t user_hash = has_user ? std::hash<std::string_view>{}(*user) : 0;
  // Each id once per list, at its best rank (the ranker never repeats an item; this keeps the
  // counts right for any caller). Done before taking the lock.
  std::vector<ShownItem> items;
  items.reserve(shown.size());
  for (const ShownItem& s : shown)
    if (s.rank > 0) items.push_back(s);
  std::sort(items.begin(), items.end(),
            [](const ShownItem& a, const ShownItem& b) { return a.id != b.id ? a.id < b.id : a.rank < b.rank; });
  items.erase(std::unique(items.begin(), items.end(), [](const ShownItem& a, const ShownItem& b) { return a.id == b.id; }),
              items.end());
  std::lock_guard lock(mu_);
  for (const ShownItem& s : items) {
    Entry& e = FindOrInsert(s.id);
    ++e.lists;
    if (e.best_rank == 0 || s.rank < e.best_rank) e.best_rank = s.rank;
    if (!has_user) continue;
    const auto pos = std::lower_bound(e.users.begin(), e.users.end(), user_hash);
    if (pos != e.users.end() && *pos == user_hash) continue;
    if (e.users.size() >= options_.max_users_per_item) {
      e.users_capped = true;
      continue;
    }
    e.users.insert(pos, user_hash);
  }
}

FreshnessCounts FreshnessTracker::Get(std::string_view id) const {
  std::lock_guard lock(mu_);
  const auto it = items_.find(id);
  if (it == items_.end()) return {};
  const Entry& e = it->second;
  return {e.lists, e.users.size(), e.users_capped, e.best_rank};
}

size_t FreshnessTracker::tracked_items() const {
  std::lock_guard lock(mu_);
  return items_.size();
}

}  // namespace hybridrec::serve
