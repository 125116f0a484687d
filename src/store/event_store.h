// EventStore: the durable log of what the service received after training: events
// (user, item, strength, timestamp) and added items. The service writes to it before it
// acknowledges a request and replays it over the trained model on start and on reload;
// `hybridrec train --events` reads it to retrain on what the service collected.
//
// Implementations:
//  - SQLite (embedded default; WAL journal, synchronous=FULL so a committed transaction
//    survives a process kill or power loss);
//  - PostgreSQL (libpq; several service replicas can share one database).
// Both keep the same promise: a call that returns OK has committed; a batch of events is one
// transaction; every event gets a sequence number (`seq`, increasing in commit order) that
// `train` records as the last event a model includes, so a service replays only later ones.
//
// Schema: created and upgraded by the store itself through numbered migrations
// (kSchemaVersion is the latest). Opening a database written by a newer hybridrec fails with
// a message saying so. Each database has a random store id, created with it, so a model can
// tell whether its recorded sequence numbers belong to the store it is served with.
//
// Thread-safety: every method may be called from any thread; calls are serialised internally.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace hybridrec::store {

// Migrations: 1 = events and items tables; 2 = the store_meta table holding the store id
// and the version (SQLite also keeps the version in PRAGMA user_version); 3 = the exposures
// table (the lists an online experiment served) and events.request_id.
inline constexpr int kSchemaVersion = 3;

struct StoredEvent {
  std::string user;  // external ids
  std::string item;
  float strength = 1.f;
  int64_t timestamp = 0;  // seconds since the epoch
  int64_t seq = 0;        // set by the store (0 in a batch being appended)
  // The recommendation response the event came from (its request_id), empty when unknown.
  // Stored from schema version 3 on (empty when read from an older database).
  std::string request_id;
};

// One recommendation list served to a user under an online experiment (serve/experiments.h).
struct StoredExposure {
  std::string request_id;          // unique per response
  std::string user;                // external user id
  std::string experiment;          // experiment name
  std::string arm;                 // arm name
  std::vector<std::string> items;  // external item ids in the order shown (position = index + 1)
  int64_t timestamp = 0;           // seconds since the epoch
  int64_t seq = 0;                 // set by the store
};

struct StoredItem {
  std::string id;
  std::string title;
  std::vector<std::string> genres;
  std::vector<std::string> tags;
  std::string description;
  int64_t created = 0;  // seconds since the epoch
  int64_t seq = 0;      // set by the store
};

// Notifications of what other processes write to a shared store (PostgreSQL LISTEN/NOTIFY).
// One per follower thread; not thread-safe.
class ChangeFeed {
 public:
  virtual ~ChangeFeed() = default;
  // Waits up to `timeout` for a change committed by any writer. true: something may have
  // changed (a notification arrived, or the feed reconnected and may have missed some): read
  // what is new. false: the timeout passed quietly. Unavailable while the database is down.
  virtual Result<bool> Wait(std::chrono::milliseconds timeout) = 0;
};

class EventStore {
 public:
  virtual ~EventStore() = default;
  // Appends the batch atomically (one transaction: all or nothing); durable when it returns OK.
  // Unavailable when the database cannot be reached (nothing stored; the store reconnects on
  // a later call by itself). `seqs` (optional) receives the seq of each event, in order.
  virtual Status AppendEvents(std::span<const StoredEvent> events, std::vector<int64_t>* seqs = nullptr) = 0;
  // Stores one added item; durable when it returns OK. InvalidArgument if the id is stored already.
  virtual Status AddItem(const StoredItem& item) = 0;
  // Calls fn for every stored item / event with seq > after_seq, in seq order (for replay and
  // for following other writers).
  virtual Status ForEachItem(int64_t after_seq, const std::function<void(StoredItem&&)>& fn) const = 0;
  virtual Status ForEachEvent(int64_t after_seq, const std::function<void(StoredEvent&&)>& fn) const = 0;
  // Appends exposures atomically (one transaction); durable when it returns OK. Unsupported on a
  // store opened at a schema version below 3 (tests of migrations only).
  virtual Status AppendExposures(std::span<const StoredExposure> exposures) = 0;
  // Calls fn for every stored exposure with seq > after_seq, in seq order.
  virtual Status ForEachExposure(int64_t after_seq, const std::function<void(StoredExposure&&)>& fn) const = 0;
  // The highest stored event seq (0 when there is none), read from the database.
  virtual Result<int64_t> LastEventSeq() const = 0;
  virtual int64_t num_events() const = 0;
  virtual int64_t num_items() const = 0;
  virtual const std::string& store_id() const = 0;  // random, created with the database
  virtual int schema_version() const = 0;
  virtual std::string description() const = 0;  // e.g. "sqlite:events.sqlite" (never a password)
  // A feed of other processes' writes, for stores several service processes share
  // (PostgreSQL); nullptr for a store only one process writes (SQLite).
  virtual Result<std::unique_ptr<ChangeFeed>> Follow() const { return std::unique_ptr<ChangeFeed>(); }
};

struct StoreOptions {
  // Migrate the schema up to this version only (tests of the migrations create older
  // databases with it). The default is the latest.
  int schema_version = kSchemaVersion;
  // PostgreSQL: seconds to wait for a connection before a call gives up with Unavailable.
  int connect_timeout_s = 5;
};

// Opens (creating when absent) a SQLite store at `path`; ":memory:" keeps everything in memory
// (nothing survives the process). Errors name the file and what SQLite said.
Result<std::unique_ptr<EventStore>> OpenSqliteEventStore(const std::string& path, const StoreOptions& options = {});

// Opens a PostgreSQL store: `url` is a libpq connection URI (postgresql://user@host:port/db?...).
// The tables are created (or migrated) in the database's default schema. Errors say what
// PostgreSQL said, with the password left out.
Result<std::unique_ptr<EventStore>> OpenPostgresEventStore(const std::string& url, const StoreOptions& options = {});

// Opens the store a location names: "postgresql://..." or "postgres://..." (PostgreSQL),
// "sqlite:PATH" or a plain PATH (SQLite), ":memory:" (SQLite in memory).
Result<std::unique_ptr<EventStore>> OpenEventStore(const std::string& location, const StoreOptions& options = {});

// `url` with any password (user:PASSWORD@ or password=...) replaced by "***", for messages.
std::string RedactUrl(std::string_view url);

}  // namespace hybridrec::store
