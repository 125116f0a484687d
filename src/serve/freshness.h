// FreshnessTracker: whether items added to the running service (POST /v1/items) reach users.
// The API records every recommendation list it serves (GET /v1/users/{id}/recommendations,
// POST /v1/recommendations) here; GET /v1/items/fresh reads the counts back per added item:
//  - lists:     how many served lists held the item;
//  - users:     how many distinct known users' lists held it (a list served for a user id the
//               service knows: trained on, or with events). Anonymous lists and lists for
//               unknown ids count as lists, not as users;
//  - best_rank: the best (smallest, 1-based) rank it was served at.
//
// The counts live in memory and start at zero when the process starts (they are not stored,
// so a restart resets them; a reload of the model does not).
//
// Memory is bounded by the options:
//  - per item, the distinct users are remembered as 64-bit hashes of their ids, at most
//    max_users_per_item of them; once that many are reached `users` stops growing and the
//    count is reported as capped, i.e. a lower bound ("at least N"). Two ids with the same hash
//    count once: with 64-bit hashes that is negligible at these sizes;
//  - at most max_items items are tracked; a new item beyond that evicts the item served longest
//    ago (its counts restart from zero if it is served again). Items still being served stay.
// The worst case is max_items x (max_users_per_item x 8 bytes + the id): 32 MiB by default.
//
// Thread-safety: every method is safe from many threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hybridrec::serve {

struct FreshnessOptions {
  size_t max_users_per_item = 1024;
  size_t max_items = 4096;
};

struct FreshnessCounts {
  uint64_t lists = 0;
  uint64_t users = 0;         // distinct known users; a lower bound when users_capped
  bool users_capped = false;  // max_users_per_item reached
  uint32_t best_rank = 0;     // 1-based; 0 when never served
};

// One tracked item in a served list.
struct ShownItem {
  std::string_view id;
  uint32_t rank = 0;  // 1-based position in the list
};

class FreshnessTracker {
 public:
  explicit FreshnessTracker(FreshnessOptions options = {});
  FreshnessTracker(const FreshnessTracker&) = delete;
  FreshnessTracker& operator=(const FreshnessTracker&) = delete;

  // Records one served list: `shown` are the tracked (added) items in it, possibly none.
  // `user` is the known user the list was served for, std::nullopt for anonymous lists and
  // unknown ids. Ranks of 0 are ignored; an id listed twice counts once per list.
  void RecordList(std::span<const ShownItem> shown, std::optional<std::string_view> user);

  // The counts for `id` (all zero when it was never served or has been evicted).
  FreshnessCounts Get(std::string_view id) const;

  uint64_t lists_recorded() const { return lists_.load(std::memory_order_relaxed); }
  size_t tracked_items() const;
  const FreshnessOptions& options() const { return options_; }

 private:
  struct Entry {
    uint64_t lists = 0;
    uint32_t best_rank = 0;
    bool users_capped = false;
    std::vector<uint64_t> users;  // sorted hashes, at most max_users_per_item
    std::list<const std::string*>::iterator order;  // its place in order_
  };
  struct IdHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  Entry& FindOrInsert(std::string_view id);  // REQUIRES: mu_ held

  const FreshnessOptions options_;
  std::atomic<uint64_t> lists_{0};
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry, IdHash, std::equal_to<>> items_;
  // The tracked ids (keys of items_), least recently served first, for eviction.
  std::list<const std::string*> order_;
};

}  // namespace hybridrec::serve
