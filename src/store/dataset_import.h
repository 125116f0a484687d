// Adding what the service collected (an EventStore) to a loaded dataset, for
// `hybridrec train --events`: the stored items join the catalogue with their text, the stored
// events join the interactions (new users are added; pairs already present are merged as the
// loader merges duplicates). The model then records the last event seq it includes, and a
// service on the same store replays only later events.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "data/dataset.h"
#include "store/event_store.h"

namespace hybridrec::store {

struct StoreImport {
  std::string store;  // description (no password)
  std::string store_id;
  int64_t last_seq = 0;  // the highest seq included (every stored event up to it was read)
  size_t events = 0;     // events added as interactions (before merging duplicates)
  size_t new_users = 0;
  size_t items_added = 0;                  // stored items new to the catalogue
  size_t items_known = 0;                  // stored items the data files already have (kept as loaded)
  size_t events_skipped = 0;               // events whose item is neither in the data nor in the store
  std::vector<std::string> skipped_items;  // the first few such item ids
  size_t events_invalid = 0;               // strength not finite and > 0 (not written by the service): skipped
};

// Reads every stored item and event (in seq order) into `ds`. Reads a consistent prefix of
// the log: events committed while it reads are either all in (up to last_seq) or left for
// the service to replay.
Status ImportEventStore(const EventStore& store, Dataset& ds, StoreImport& out);

}  // namespace hybridrec::store
