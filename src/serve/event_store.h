// EventStore: the durable log of what the service received after training: events
// (user, item, strength, timestamp) and added items. The service writes to it before it
// acknowledges a request and replays it over the trained model on start and on reload.
// Implementation: SqliteEventStore (embedded default; WAL journal, synchronous=FULL so a
// committed transaction survives a process kill or power loss).
//
// Thread-safety: every method may be called from any thread; calls are serialised internally.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace hybridrec::serve {

struct StoredEvent {
  std::string user;   // external ids
  std::string item;
  float strength = 1.f;
  int64_t timestamp = 0;  // seconds since the epoch
};

struct StoredItem {
  std::string id;
  std::string title;
  std::vector<std::string> genres;
  std::vector<std::string> tags;
  std::string description;
  int64_t created = 0;  // seconds since the epoch
};

class EventStore {
 public:
  virtual ~EventStore() = default;
  // Appends the batch atomically (one transaction: all or nothing); durable when it returns OK.
  virtual Status AppendEvents(std::span<const StoredEvent> events) = 0;
  // Stores one added item; durable when it returns OK. InvalidArgument if the id is stored already.
  virtual Status AddItem(const StoredItem& item) = 0;
  // Calls fn for every stored item / event in insertion order (for replay).
  virtual Status ForEachItem(const std::function<void(StoredItem&&)>& fn) const = 0;
  virtual Status ForEachEvent(const std::function<void(StoredEvent&&)>& fn) const = 0;
  virtual int64_t num_events() const = 0;
  virtual int64_t num_items() const = 0;
  virtual std::string description() const = 0;  // e.g. "sqlite:events.sqlite"
};

// Opens (creating when absent) a SQLite store at `path`; ":memory:" keeps everything in memory
// (nothing survives the process). Errors name the file and what SQLite said.
Result<std::unique_ptr<EventStore>> OpenSqliteEventStore(const std::filesystem::path& path);

}  // namespace hybridrec::serve
