// UserEvents: the interactions each user sent to the service since training (the live overlay
// on top of the trained histories), keyed by external user id. Item indices refer to the
// catalogue of the snapshot generation that owns this overlay (a reload builds a new one).
//
// Thread-safety: all methods are safe from many threads. The map is split into shards, each
// behind its own std::shared_mutex, so readers of different users never contend and a writer
// blocks only the readers of its shard, for the time of a vector append.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/rank_query.h"

namespace hybridrec::serve {

// One event: the catalogue item, its strength and its time (the ranker's LiveInteraction).
using UserEvent = LiveInteraction;

class UserEvents {
 public:
  void Add(const std::string& user, const UserEvent& e);
  // A copy of the user's events in arrival order (empty when none).
  std::vector<UserEvent> Get(std::string_view user) const;
  bool Contains(std::string_view user) const;
  size_t num_users() const { return users_.load(std::memory_order_relaxed); }
  size_t num_events() const { return events_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kShards = 64;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::shared_mutex mu;
    std::unordered_map<std::string, std::vector<UserEvent>, Hash, std::equal_to<>> map;
  };
  Shard& ShardOf(std::string_view user) { return shards_[Hash{}(user) % kShards]; }
  const Shard& ShardOf(std::string_view user) const { return shards_[Hash{}(user) % kShards]; }

  std::array<Shard, kShards> shards_;
  std::atomic<size_t> users_{0};
  std::atomic<size_t> events_{0};
};

}  // namespace hybridrec::serve
