#include "store/dataset_import.h"

#include <cmath>

#include "data/loader.h"

namespace hybridrec::store {

Status ImportEventStore(const EventStore& store, Dataset& ds, StoreImport& out) {
  out = StoreImport{};
  out.store = store.description();
  out.store_id = store.store_id();
  HR_RETURN_IF_ERROR(store.ForEachItem(0, [&](StoredItem&& s) {
    if (ds.items.Find(s.id)) {
      ++out.items_known;
      return;
    }
    ds.items.GetOrAdd(s.id);
    ds.item_info.push_back(Item{std::move(s.title), std::move(s.genres), std::move(s.tags), std::move(s.description)});
    ++out.items_added;
  }));
  const uint32_t users_before = ds.num_users();
  HR_RETURN_IF_ERROR(store.ForEachEvent(0, [&](StoredEvent&& e) {
    out.last_seq = std::max(out.last_seq, e.seq);
    if (!std::isfinite(e.strength) || e.strength <= 0.f) {
      ++out.events_invalid;
      return;
    }
    const auto item = ds.items.Find(e.item);
    if (!item) {
      ++out.events_skipped;
      if (out.skipped_items.size() < 5) out.skipped_items.push_back(e.item);
      return;
    }
    ds.interactions.push_back(Interaction{ds.users.GetOrAdd(e.user), *item, e.strength, e.timestamp});
    ++out.events;
  }));
  out.new_users = ds.num_users() - users_before;
  MergeDuplicateInteractions(ds);
  return Status::Ok();
}

}  // namespace hybridrec::store
