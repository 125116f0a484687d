// LiveState: the service's mutable state around immutable snapshots (snapshot.h).
//
// Readers call Current() and work on the returned snapshot for the whole request: a pointer
// copy is all they ever wait for. Writers (events, new items, reload) are serialised by one
// mutex; each writes the event store first (durable), then updates the in-memory view:
//  - events go to the current generation's per-user overlay (UserEvents, sharded locks);
//  - a new item is embedded with the model's encoder and a new snapshot with the item appended
//    is published (copy-on-write);
//  - a reload loads the model directory again (outside the writer lock: the slow part), then
//    under the lock replays every stored item and event over it and publishes the result.
//    A model that fails to load or verify leaves the current snapshot in place.
//
// Thread-safety: every method is safe from many threads.
#pragma once

#include <atomic>
#include <utility>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "store/event_store.h"
#include "serve/requests.h"
#include "serve/snapshot.h"

namespace hybridrec::serve {

using store::EventStore;
using store::StoredEvent;
using store::StoredItem;

struct ReplayStats {
  size_t items_replayed = 0;
  size_t items_in_model = 0;   // stored items the (re)loaded model already has in its catalogue
  size_t events_replayed = 0;
  size_t events_skipped = 0;   // stored events whose item this model does not know
  // Events with seq <= this were in the model's training data (trained with --events on this
  // store) and are not replayed; 0 when the model includes none of this store's events.
  int64_t events_in_model_through = 0;
  // The model includes events of another store (its store id differs): this store's events
  // are all replayed.
  bool model_events_from_other_store = false;
  int64_t last_event_seq = 0;  // the highest event / item seq read (where following resumes)
  int64_t last_item_seq = 0;

  // "3 items and 120 events replayed (events up to #5000 are in the model), 2 events skipped (unknown item)"
  std::string Describe() const;
};

struct AddItemResult {
  bool created = false;   // false: the id exists already (nothing stored)
  uint32_t item = 0;      // catalogue index in the published snapshot
  std::shared_ptr<const Snapshot> snapshot;  // the snapshot that holds it
};

class LiveState {
 public:
  // Loads the model directory, opens the store and replays it. Errors name the file at fault.
  static Result<std::unique_ptr<LiveState>> Open(const std::filesystem::path& model_dir,
                                                 std::unique_ptr<EventStore> store);

  std::shared_ptr<const Snapshot> Current() const {
    std::lock_guard<std::mutex> lock(current_mu_);
    return current_;
  }

  // Validates the whole batch against the current catalogue (NotFound naming the first unknown
  // item; nothing stored), stores it (one transaction, shared with the batches of other threads
  // posting at the same time: group commit), then applies it to the user overlay. Returns once
  // the batch is durable. Events without a timestamp get `now` (seconds since the epoch).
  Status RecordEvents(const std::vector<EventIn>& events, int64_t now);

  // Embeds and stores a new item, then publishes a snapshot holding it. Unsupported when the
  // model has no content layer; created = false when the id is already in the catalogue.
  Result<AddItemResult> AddItem(const NewItemRequest& request, int64_t now);

  // Loads the model directory again and swaps it in with the store replayed over it.
  // Corruption/NotFound/... from the loader leave the current snapshot untouched.
  Status Reload();

  // Replicas: applies what other processes wrote to a shared store since the last replay or
  // catch-up (their added items are embedded and published, their events join the user
  // overlay; this process's own writes are not applied twice). Returns how many items and
  // events were applied.
  Result<std::pair<size_t, size_t>> CatchUp();
  // Starts a thread that calls CatchUp() whenever the store's change feed reports a write
  // (and every few seconds, in case a notification was lost); nothing for a store without a
  // feed (SQLite). `log` gets a line when following fails and when it recovers. Stopped by
  // StopFollowing() or the destructor.
  Status StartFollowing(std::function<void(const std::string&)> log);
  void StopFollowing();
  bool following() const { return follower_.joinable(); }
  int64_t events_followed() const { return events_followed_.load(); }
  int64_t items_followed() const { return items_followed_.load(); }
  ~LiveState();

  int64_t events_stored() const { return store_->num_events(); }
  int64_t items_stored() const { return store_->num_items(); }
  const EventStore& store() const { return *store_; }
  EventStore& mutable_store() { return *store_; }  // thread-safe (event_store.h): the exposure log
  ReplayStats last_replay() const;
  int64_t reloads() const { return reloads_.load(); }

 private:
  LiveState(std::filesystem::path model_dir, std::unique_ptr<EventStore> store)
      : model_dir_(std::move(model_dir)), store_(std::move(store)) {}
  // Loads the model and builds a snapshot with the store replayed. REQUIRES: write_mu_ held
  // (the replay must not miss events being written).
  struct Pending {
    std::vector<StoredEvent> events;
    Status result;
    bool done = false;  // guarded by queue_mu_
  };
  void CommitGroup(const std::vector<Pending*>& group);
  Result<std::shared_ptr<const Snapshot>> Replay(std::shared_ptr<const TrainedModel> model, ReplayStats& stats) const;

  const std::filesystem::path model_dir_;
  std::unique_ptr<EventStore> store_;
  // The published snapshot. A plain mutex around a shared_ptr copy (tens of nanoseconds)
  // rather than std::atomic<std::shared_ptr>: libstdc++ 12 implements that with a spin lock
  // on the pointer's low bit that ThreadSanitizer cannot see, so `make tsan-test` reported
  // false races on it.
  mutable std::mutex current_mu_;
  std::shared_ptr<const Snapshot> current_;
  void Publish(std::shared_ptr<const Snapshot> next) {
    std::shared_ptr<const Snapshot> old;
    {
      std::lock_guard<std::mutex> lock(current_mu_);
      old = std::exchange(current_, std::move(next));
    }
    // `old` is released here, outside the lock (the last reader may free a whole model).
  }
  std::mutex write_mu_;   // serialises events, items and the publication of a reload
  std::mutex reload_mu_;  // one reload at a time
  std::mutex queue_mu_;   // group commit of events
  std::condition_variable queue_cv_;
  std::vector<Pending*> queue_;
  bool committing_ = false;
  mutable std::mutex stats_mu_;
  ReplayStats last_replay_;
  // Where following other writers resumes (guarded by write_mu_): every event with a seq up
  // to events_through_ is applied; own_seqs_ holds the seqs above it this process wrote (and
  // applied when it wrote them).
  int64_t events_through_ = 0;
  int64_t items_through_ = 0;
  std::set<int64_t> own_seqs_;
  bool following_ = false;  // own seqs are only kept while a follower reads them back
  void ResumeAfter(const ReplayStats& stats);  // REQUIRES: write_mu_ held
  std::thread follower_;
  std::mutex follow_mu_;
  std::condition_variable follow_cv_;
  bool stop_following_ = false;  // guarded by follow_mu_
  std::atomic<int64_t> events_followed_{0};
  std::atomic<int64_t> items_followed_{0};
  std::atomic<int64_t> reloads_{0};
};

}  // namespace hybridrec::serve
