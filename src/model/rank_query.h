// RankQuery: the ranker's input for one request (HybridRanker::Recommend takes a UserQuery of
// spans; this owns what they point into), built in one place for everyone who ranks for a user
// of a trained model: `hybridrec recommend` and the HTTP service.
//
// It lives beside TrainedModel because it reads the model's training history and recency order
// and needs nothing else: the CLI has only a model, and the service adds its live events
// (LiveInteraction) on top.
//
// Thread-safety: pure functions over a const model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "model/trained_model.h"
#include "ranking/hybrid_ranker.h"

namespace hybridrec {

// An interaction of a user since training (the service's live events): a catalogue item index
// of the model (or of a catalogue grown from it), its strength and when it happened.
struct LiveInteraction {
  uint32_t item = 0;
  float strength = 1.f;
  int64_t timestamp = 0;  // seconds since the epoch
};

struct RankQuery {
  std::optional<uint32_t> known_user;  // the user's row in the model
  bool use_trained_factor = true;      // false: fold the user in from `history` again
  std::vector<HistoryEntry> history;   // training row (catalogue order), then later interactions as they came
  std::vector<uint32_t> recent;        // history items, most recent first

  // The view HybridRanker::Recommend takes; valid while this object lives unchanged.
  UserQuery view() const {
    UserQuery q;
    q.known_user = known_user;
    q.use_trained_factor = use_trained_factor;
    q.history = history;
    q.recent = recent;
    return q;
  }
};

// A user of `model`: `user` is the user's row (std::nullopt for a user the model has never seen:
// the cold-start path unless `events` say something), `events` what the user did since training,
// in arrival order. With events, the trained factor is stale and the user is folded in again.
// Recency: the events newest first (ties keep arrival order), then the training items in the
// model's recency order (none when the model has no timestamps), at most `recent_limit` of them
// (pass the ranker's RecentOptions::items: it looks at no more; 0 builds no list).
RankQuery QueryForUser(const TrainedModel& model, std::optional<uint32_t> user,
                       std::span<const LiveInteraction> events, size_t recent_limit);

// A new user known only by a list of (item, strength), oldest first (the last ones are the most
// recent); folded in on the fly.
RankQuery QueryForItems(std::span<const HistoryEntry> items_oldest_first);

// `events` sorted newest first; equal timestamps keep their order.
std::vector<LiveInteraction> NewestFirst(std::span<const LiveInteraction> events);

// One entry of a user's training row.
struct TrainingInteraction {
  uint32_t item = 0;
  float strength = 0.f;
  std::optional<int64_t> timestamp;  // absent when the model has no timestamps
};

// The user's training interactions newest first (the model's recency order), or in catalogue
// order when the model has no timestamps. REQUIRES: user < model.num_users().
std::vector<TrainingInteraction> TrainingHistoryNewestFirst(const TrainedModel& model, uint32_t user);

}  // namespace hybridrec
