#include "serve/live_state.h"

#include <stdexcept>

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
  return state;
}

Result<std::shared_ptr<const Snapshot>> LiveState::Replay(std::shared_ptr<const TrainedModel> model,
                                                          ReplayStats& stats) const {
  std::vector<AddedItem> added;
  HR_RETURN_IF_ERROR(store_->ForEachItem([&](StoredItem&& s) {
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
  UserEvents& users = snap->users();
  HR_RETURN_IF_ERROR(store_->ForEachEvent([&](StoredEvent&& e) {
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
      p.events.push_back(StoredEvent{e.user, e.item, e.strength, e.timestamp.value_or(now)});
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
  const Status st = store_->AppendEvents(all);
  for (Pending* g : group) g->result = st;
  if (!st.ok()) return;
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
  {
    std::lock_guard s(stats_mu_);
    last_replay_ = stats;
  }
  reloads_.fetch_add(1);
  return Status::Ok();
}

ReplayStats LiveState::last_replay() const {
  std::lock_guard s(stats_mu_);
  return last_replay_;
}

}  // namespace hybridrec::serve
