#include "serve/live_state.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace hybridrec::serve {
namespace {

Result<std::vector<float>> EmbedItems(const TextEncoder& encoder, const std::vector<AddedItem>& items) {
  std::vector<std::string> texts;
  texts.reserve(items.size());
  for (const auto& it : items) texts.push_back(ItemTextOf(it.info));
  std::vector<float> out;
  if (!texts.empty()) HR_RETURN_IF_ERROR(encoder.Encode(texts, out));
  return out;
}

AddedItem ToAdded(StoredItem&& s) {
  AddedItem a;
  a.id = std::move(s.id);
  a.info.title = std::move(s.title);
  a.info.genres = std::move(s.genres);
  a.info.tags = std::move(s.tags);
  a.info.description = std::move(s.description);
  a.created = s.created;
  return a;
}

}  // namespace

std::string ReplayStats::Describe() const {
  std::string out = std::to_string(items_replayed) + " items and " + std::to_string(events_replayed) + " events replayed";
  if (events_in_model_through > 0)
    out += " (events up to #" + std::to_string(events_in_model_through) + " are in the model)";
  if (model_events_from_other_store) out += " (the model was trained on another store's events)";
  if (events_skipped) out += ", " + std::to_string(events_skipped) + " events skipped (unknown item)";
  return out;
}

Result<std::unique_ptr<LiveState>> LiveState::Open(const std::filesystem::path& model_dir,
                                                   std::unique_ptr<EventStore> store) {
  if (!store) return Status::InvalidArgument("LiveState::Open: no event store");
  HR_ASSIGN_OR_RETURN(TrainedModel tm, LoadTrainedModel(model_dir));
  std::unique_ptr<LiveState> state(new LiveState(model_dir, std::move(store)));
  std::lock_guard lock(state->write_mu_);
  ReplayStats stats;
  HR_ASSIGN_OR_RETURN(auto snap, state->Replay(std::make_shared<const TrainedModel>(std::move(tm)), stats));
  state->Publish(std::move(snap));
  state->last_replay_ = stats;
  state->ResumeAfter(stats);
  return state;
}

Result<std::shared_ptr<const Snapshot>> LiveState::Replay(std::shared_ptr<const TrainedModel> model,
                                                          ReplayStats& stats) const {
  const TrainedModel& model_ref = *model;  // `model` moves into the snapshot below
  std::vector<AddedItem> added;
  HR_RETURN_IF_ERROR(store_->ForEachItem(0, [&](StoredItem&& s) {
    stats.last_item_seq = std::max(stats.last_item_seq, s.seq);
    if (model->items.Find(s.id)) {
      ++stats.items_in_model;
      return;
    }
    added.push_back(ToAdded(std::move(s)));
  }));
  std::vector<float> emb;
  if (!added.empty()) {
    if (!model->content)
      return Status::Unsupported(model_dir_.string() + ": the event store holds " + std::to_string(added.size()) +
                                 " added items but this model has no content layer to embed them");
    HR_ASSIGN_OR_RETURN(emb, EmbedItems(*model->content->encoder, added));
  }
  stats.items_replayed = added.size();
  std::shared_ptr<const Snapshot> snap;
  try {
    snap = Snapshot::Build(std::move(model), model_dir_.string(), std::move(added), std::move(emb),
                           std::make_shared<UserEvents>());
  } catch (const std::invalid_argument& e) {
    return Status::Corruption(model_dir_.string() + ": " + e.what());
  }
  // A model trained with --events on this store already holds its events up to the recorded
  // seq (as training interactions): only later ones are replayed.
  int64_t after = 0;
  const nlohmann::json& trained = model_ref.manifest.value("events", nlohmann::json::object());
  if (trained.is_object() && trained.value("last_seq", int64_t{0}) > 0) {
    if (!store_->store_id().empty() && trained.value("store_id", std::string()) == store_->store_id())
      after = trained.value("last_seq", int64_t{0});
    else
      stats.model_events_from_other_store = true;
  }
  stats.events_in_model_through = after;
  stats.last_event_seq = after;
  UserEvents& users = snap->users();
  HR_RETURN_IF_ERROR(store_->ForEachEvent(after, [&](StoredEvent&& e) {
    stats.last_event_seq = std::max(stats.last_event_seq, e.seq);
    const auto item = snap->FindItem(e.item);
    if (!item) {
      ++stats.events_skipped;
      return;
    }
    users.Add(e.user, UserEvent{*item, e.strength, e.timestamp});
    ++stats.events_replayed;
  }));
  return snap;
}

Status LiveState::RecordEvents(const std::vector<EventIn>& events, int64_t now) {
  // Validate the whole batch first (nothing is stored when one item is unknown).
  Pending p;
  {
    const auto snap = Current();
    p.events.reserve(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      const EventIn& e = events[i];
      if (!snap->FindItem(e.item))
        return Status::NotFound("unknown item '" + e.item + "'" +
                                (events.size() > 1 ? " in events[" + std::to_string(i) + "]" : std::string()) +
                                "; add it with POST /v1/items first (nothing was stored)");
      p.events.push_back(StoredEvent{e.user, e.item, e.strength, e.timestamp.value_or(now), 0, e.request_id});
    }
  }
  // Group commit: the first writer to find no commit in progress becomes the leader and commits
  // every batch queued so far in one transaction (one fsync), so concurrent posts share the
  // cost of synchronous=FULL; the others wait for the leader to report their outcome.
  std::unique_lock q(queue_mu_);
  queue_.push_back(&p);
  while (!p.done) {
    if (committing_) {
      queue_cv_.wait(q);
      continue;
    }
    committing_ = true;
    std::vector<Pending*> group;
    group.swap(queue_);
    q.unlock();
    CommitGroup(group);
    q.lock();
    committing_ = false;
    for (Pending* g : group) g->done = true;
    queue_cv_.notify_all();
  }
  return p.result;
}

void LiveState::CommitGroup(const std::vector<Pending*>& group) {
  std::lock_guard lock(write_mu_);
  std::vector<StoredEvent> all;
  for (const Pending* g : group) all.insert(all.end(), g->events.begin(), g->events.end());
  std::vector<int64_t> seqs;
  const Status st = store_->AppendEvents(all, following_ ? &seqs : nullptr);
  for (Pending* g : group) g->result = st;
  if (!st.ok()) return;
  // Applied below; the follower must not apply them again when it reads them back.
  for (const int64_t seq : seqs)
    if (seq > events_through_) own_seqs_.insert(seq);
  // Applied to the generation current under the writer lock (a reload publishes under it too,
  // after replaying the store, so every stored event is in exactly one place). An item missing
  // here can only come from a reload to a model without it: replay skips it the same way.
  const auto snap = Current();
  UserEvents& users = snap->users();
  for (const StoredEvent& e : all)
    if (const auto item = snap->FindItem(e.item)) users.Add(e.user, UserEvent{*item, e.strength, e.timestamp});
}

Result<AddItemResult> LiveState::AddItem(const NewItemRequest& request, int64_t now) {
  AddedItem item;
  item.id = request.id;
  item.info.title = request.title;
  item.info.genres = request.genres;
  item.info.tags = request.tags;
  item.info.description = request.description;
  item.created = now;
  // Embed outside the writer lock (the encoder may take milliseconds); re-embed under it only if
  // a reload swapped the model in between.
  auto snap = Current();
  if (snap->encoder() == nullptr)
    return Status::Unsupported("this model was trained without the content layer: items cannot be added");
  std::shared_ptr<const TrainedModel> encoded_with = snap->model_ptr();
  HR_ASSIGN_OR_RETURN(std::vector<float> emb, EmbedItems(*snap->encoder(), {item}));

  std::lock_guard lock(write_mu_);
  snap = Current();
  AddItemResult out;
  if (const auto existing = snap->FindItem(item.id)) {
    out.item = *existing;
    out.snapshot = snap;
    return out;
  }
  if (snap->model_ptr() != encoded_with) {
    if (snap->encoder() == nullptr)
      return Status::Unsupported("this model was trained without the content layer: items cannot be added");
    HR_ASSIGN_OR_RETURN(emb, EmbedItems(*snap->encoder(), {item}));
  }
  StoredItem s{item.id, item.info.title, item.info.genres, item.info.tags, item.info.description, now};
  HR_RETURN_IF_ERROR(store_->AddItem(s));
  std::shared_ptr<const Snapshot> next;
  try {
    next = snap->WithItems({std::move(item)}, emb);
  } catch (const std::exception& e) {
    // Stored but not servable: should not happen (validated above); the next reload replays it.
    return Status::IOError(std::string("item stored but the catalogue could not be rebuilt: ") + e.what());
  }
  out.created = true;
  out.item = next->num_items() - 1;
  out.snapshot = next;
  Publish(std::move(next));
  return out;
}

Status LiveState::Reload() {
  std::lock_guard reload_lock(reload_mu_);
  auto tm = LoadTrainedModel(model_dir_);
  if (!tm.ok()) return tm.status();
  auto model = std::make_shared<const TrainedModel>(std::move(tm).value());
  std::lock_guard lock(write_mu_);
  ReplayStats stats;
  HR_ASSIGN_OR_RETURN(auto snap, Replay(std::move(model), stats));
  Publish(std::move(snap));
  ResumeAfter(stats);
  {
    std::lock_guard s(stats_mu_);
    last_replay_ = stats;
  }
  reloads_.fetch_add(1);
  return Status::Ok();
}

void LiveState::ResumeAfter(const ReplayStats& stats) {
  events_through_ = stats.last_event_seq;
  items_through_ = stats.last_item_seq;
  own_seqs_.clear();
}

Result<std::pair<size_t, size_t>> LiveState::CatchUp() {
  std::lock_guard lock(write_mu_);
  auto snap = Current();
  // Items first: events that follow may be about them.
  std::vector<AddedItem> added;
  size_t items_applied = 0;
  int64_t items_max = items_through_;
  HR_RETURN_IF_ERROR(store_->ForEachItem(items_through_, [&](StoredItem&& s) {
    items_max = std::max(items_max, s.seq);
    if (!snap->FindItem(s.id)) added.push_back(ToAdded(std::move(s)));  // else: this process added it
  }));
  if (!added.empty() && snap->encoder() != nullptr) {
    HR_ASSIGN_OR_RETURN(std::vector<float> emb, EmbedItems(*snap->encoder(), added));
    std::shared_ptr<const Snapshot> next;
    try {
      next = snap->WithItems(std::move(added), emb);
    } catch (const std::exception& e) {
      return Status::IOError(std::string("items added by another replica could not be applied: ") + e.what());
    }
    items_applied = static_cast<size_t>(next->num_items() - snap->num_items());
    items_followed_.fetch_add(static_cast<int64_t>(items_applied));
    Publish(next);
    snap = std::move(next);
  }
  items_through_ = items_max;
  int64_t events_max = events_through_;
  size_t events_applied = 0;
  UserEvents& users = snap->users();
  HR_RETURN_IF_ERROR(store_->ForEachEvent(events_through_, [&](StoredEvent&& e) {
    events_max = std::max(events_max, e.seq);
    if (own_seqs_.erase(e.seq)) return;  // written (and applied) by this process
    if (const auto item = snap->FindItem(e.item)) {
      users.Add(e.user, UserEvent{*item, e.strength, e.timestamp});
      ++events_applied;
    }
  }));
  events_through_ = events_max;
  own_seqs_.erase(own_seqs_.begin(), own_seqs_.upper_bound(events_through_));
  events_followed_.fetch_add(static_cast<int64_t>(events_applied));
  return std::make_pair(items_applied, events_applied);
}

Status LiveState::StartFollowing(std::function<void(const std::string&)> log) {
  HR_ASSIGN_OR_RETURN(std::unique_ptr<store::ChangeFeed> feed, store_->Follow());
  if (!feed || follower_.joinable()) return Status::Ok();
  {
    std::lock_guard lock(write_mu_);
    following_ = true;
  }
  follower_ = std::thread([this, feed = std::move(feed), log = std::move(log)] {
    using Clock = std::chrono::steady_clock;
    auto last = Clock::now() - std::chrono::hours(1);  // catch up at once
    bool failing = false;
    auto report = [&](const Status& s) {
      if (!failing && log) log("following other writers of the store paused: " + s.message());
      failing = true;
    };
    for (;;) {
      {
        std::unique_lock lock(follow_mu_);
        if (stop_following_) return;
        if (failing) {
          follow_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_following_; });
          if (stop_following_) return;
        }
      }
      // A short wait keeps StopFollowing() prompt; a notification ends it at once.
      const Result<bool> changed = feed->Wait(std::chrono::milliseconds(250));
      if (!changed.ok()) {
        report(changed.status());
        continue;
      }
      if (!*changed && Clock::now() - last < std::chrono::seconds(5)) continue;
      last = Clock::now();
      const auto applied = CatchUp();
      if (!applied.ok()) {
        report(applied.status());
        continue;
      }
      if (failing && log) log("following other writers of the store resumed");
      failing = false;
    }
  });
  return Status::Ok();
}

void LiveState::StopFollowing() {
  {
    std::lock_guard lock(follow_mu_);
    stop_following_ = true;
  }
  follow_cv_.notify_all();
  if (follower_.joinable()) follower_.join();
}

LiveState::~LiveState() { StopFollowing(); }

ReplayStats LiveState::last_replay() const {
  std::lock_guard s(stats_mu_);
  return last_replay_;
}

}  // namespace hybridrec::serve
