// SqliteEventStore: EventStore over one SQLite database (see event_store.h).
// Schema (migrations, in order; PRAGMA user_version holds the version reached):
//   1: events(seq INTEGER PRIMARY KEY, user TEXT, item TEXT, strength REAL, timestamp INTEGER)
//      items(seq INTEGER PRIMARY KEY, id TEXT UNIQUE, title TEXT, genres TEXT (JSON array),
//            tags TEXT (JSON array), description TEXT, created INTEGER)
//      (databases written before versioning have these tables and user_version 0)
//   2: store_meta(key TEXT PRIMARY KEY, value TEXT): store_id, schema_version
//   3: events.request_id TEXT (default ''); exposures(seq INTEGER PRIMARY KEY, request_id TEXT,
//      user TEXT, experiment TEXT, arm TEXT, items TEXT (JSON array), timestamp INTEGER)
#include <sqlite3.h>

#include <mutex>

#include "store/event_store.h"
#include "store/store_util.h"

namespace hybridrec::store {
namespace {

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() const { return s_; }
  void BindText(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_OK;
};

std::string ColText(sqlite3_stmt* s, int i) {
  const auto* p = sqlite3_column_text(s, i);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s, i)))
           : std::string();
}

class SqliteEventStore final : public EventStore {
 public:
  SqliteEventStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteEventStore() override { sqlite3_close(db_); }

  Status Init(const StoreOptions& options) {
    HR_RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"));
    HR_ASSIGN_OR_RETURN(int64_t version, Count("PRAGMA user_version"));
    if (version == 0) {
      HR_ASSIGN_OR_RETURN(const int64_t tables,
                          Count("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='events'"));
      if (tables > 0) version = 1;  // written before the schema was versioned
    }
    if (version > kSchemaVersion)
      return Status::Unsupported(path_ + ": the event database has schema version " + std::to_string(version) +
                                 ", newer than this hybridrec understands (" + std::to_string(kSchemaVersion) +
                                 "): use a newer hybridrec or another --db");
    while (version < options.schema_version) {
      ++version;
      HR_RETURN_IF_ERROR(Migrate(static_cast<int>(version)));
    }
    version_ = static_cast<int>(version);
    if (version_ >= 2) {
      Stmt q(db_, "SELECT value FROM store_meta WHERE key = 'store_id'");
      if (!q.ok() || sqlite3_step(q.get()) != SQLITE_ROW) return Error("read the store id");
      store_id_ = ColText(q.get(), 0);
    }
    if (version_ >= 1) {
      HR_ASSIGN_OR_RETURN(events_, Count("SELECT COUNT(*) FROM events"));
      HR_ASSIGN_OR_RETURN(items_, Count("SELECT COUNT(*) FROM items"));
    }
    return Status::Ok();
  }

  // One migration step, in one transaction with the version bump.
  Status Migrate(int to) {
    std::string sql = "BEGIN IMMEDIATE;";
    if (to == 1) {
      sql +=
          "CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, user TEXT NOT NULL, item TEXT NOT NULL,"
          " strength REAL NOT NULL, timestamp INTEGER NOT NULL);"
          "CREATE TABLE IF NOT EXISTS items(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL,"
          " genres TEXT NOT NULL, tags TEXT NOT NULL, description TEXT NOT NULL, created INTEGER NOT NULL);";
    } else if (to == 2) {
      sql +=
          "CREATE TABLE store_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
          "INSERT INTO store_meta VALUES('store_id', '" +
          NewStoreId() +
          "');"
          "INSERT INTO store_meta VALUES('schema_version', '2');";
    } else if (to == 3) {
      sql +=
          "ALTER TABLE events ADD COLUMN request_id TEXT NOT NULL DEFAULT '';"
          "CREATE TABLE exposures(seq INTEGER PRIMARY KEY, request_id TEXT NOT NULL, user TEXT NOT NULL,"
          " experiment TEXT NOT NULL, arm TEXT NOT NULL, items TEXT NOT NULL, timestamp INTEGER NOT NULL);"
          "CREATE INDEX exposures_by_experiment ON exposures(experiment, seq);"
          "UPDATE store_meta SET value = '3' WHERE key = 'schema_version';";
    } else {
      return Status::InvalidArgument(path_ + ": no migration to schema version " + std::to_string(to));
    }
    sql += "PRAGMA user_version = " + std::to_string(to) + "; COMMIT;";
    return Exec(sql.c_str()).WithContext("migrating the event database to schema version " + std::to_string(to));
  }

  Status AppendEvents(std::span<const StoredEvent> events, std::vector<int64_t>* seqs) override {
    if (seqs) seqs->clear();
    std::lock_guard lock(mu_);
    HR_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Stmt ins(db_, version_ >= 3
                      ? "INSERT INTO events(user, item, strength, timestamp, request_id) VALUES(?1, ?2, ?3, ?4, ?5)"
                      : "INSERT INTO events(user, item, strength, timestamp) VALUES(?1, ?2, ?3, ?4)");
    if (!ins.ok()) return Rollback("prepare insert");
    for (const auto& e : events) {
      ins.BindText(1, e.user);
      ins.BindText(2, e.item);
      sqlite3_bind_double(ins.get(), 3, static_cast<double>(e.strength));
      sqlite3_bind_int64(ins.get(), 4, e.timestamp);
      if (version_ >= 3) ins.BindText(5, e.request_id);
      if (sqlite3_step(ins.get()) != SQLITE_DONE) return Rollback("insert event");
      if (seqs) seqs->push_back(sqlite3_last_insert_rowid(db_));
      sqlite3_reset(ins.get());
    }
    HR_RETURN_IF_ERROR(Exec("COMMIT"));
    events_ += static_cast<int64_t>(events.size());
    return Status::Ok();
  }

  Status AddItem(const StoredItem& item) override {
    std::lock_guard lock(mu_);
    Stmt ins(db_, "INSERT INTO items(id, title, genres, tags, description, created) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    if (!ins.ok()) return Error("prepare insert item");
    ins.BindText(1, item.id);
    ins.BindText(2, item.title);
    ins.BindText(3, JsonListText(item.genres));
    ins.BindText(4, JsonListText(item.tags));
    ins.BindText(5, item.description);
    sqlite3_bind_int64(ins.get(), 6, item.created);
    const int rc = sqlite3_step(ins.get());
    if (rc == SQLITE_CONSTRAINT) return Status::InvalidArgument("item '" + item.id + "' is already stored in " + path_);
    if (rc != SQLITE_DONE) return Error("insert item");
    ++items_;
    return Status::Ok();
  }

  Status ForEachItem(int64_t after_seq, const std::function<void(StoredItem&&)>& fn) const override {
    std::lock_guard lock(mu_);
    Stmt q(db_, "SELECT id, title, genres, tags, description, created, seq FROM items WHERE seq > ?1 ORDER BY seq");
    if (!q.ok()) return Error("read items");
    sqlite3_bind_int64(q.get(), 1, after_seq);
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      StoredItem it;
      it.id = ColText(q.get(), 0);
      it.title = ColText(q.get(), 1);
      it.genres = ParseJsonList(ColText(q.get(), 2));
      it.tags = ParseJsonList(ColText(q.get(), 3));
      it.description = ColText(q.get(), 4);
      it.created = sqlite3_column_int64(q.get(), 5);
      it.seq = sqlite3_column_int64(q.get(), 6);
      fn(std::move(it));
    }
    return rc == SQLITE_DONE ? Status::Ok() : Error("read items");
  }

  Status ForEachEvent(int64_t after_seq, const std::function<void(StoredEvent&&)>& fn) const override {
    std::lock_guard lock(mu_);
    Stmt q(db_, version_ >= 3
                    ? "SELECT user, item, strength, timestamp, seq, request_id FROM events WHERE seq > ?1 ORDER BY seq"
                    : "SELECT user, item, strength, timestamp, seq FROM events WHERE seq > ?1 ORDER BY seq");
    if (!q.ok()) return Error("read events");
    sqlite3_bind_int64(q.get(), 1, after_seq);
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      StoredEvent e;
      e.user = ColText(q.get(), 0);
      e.item = ColText(q.get(), 1);
      e.strength = static_cast<float>(sqlite3_column_double(q.get(), 2));
      e.timestamp = sqlite3_column_int64(q.get(), 3);
      e.seq = sqlite3_column_int64(q.get(), 4);
      if (version_ >= 3) e.request_id = ColText(q.get(), 5);
      fn(std::move(e));
    }
    return rc == SQLITE_DONE ? Status::Ok() : Error("read events");
  }

  Status AppendExposures(std::span<const StoredExposure> exposures) override {
    if (version_ < 3) return Status::Unsupported(path_ + ": exposures need schema version 3");
    if (exposures.empty()) return Status::Ok();
    std::lock_guard lock(mu_);
    HR_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Stmt ins(db_,
             "INSERT INTO exposures(request_id, user, experiment, arm, items, timestamp)"
             " VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    if (!ins.ok()) return Rollback("prepare insert exposure");
    for (const auto& x : exposures) {
      ins.BindText(1, x.request_id);
      ins.BindText(2, x.user);
      ins.BindText(3, x.experiment);
      ins.BindText(4, x.arm);
      ins.BindText(5, JsonListText(x.items));
      sqlite3_bind_int64(ins.get(), 6, x.timestamp);
      if (sqlite3_step(ins.get()) != SQLITE_DONE) return Rollback("insert exposure");
      sqlite3_reset(ins.get());
    }
    return Exec("COMMIT");
  }

  Status ForEachExposure(int64_t after_seq, const std::function<void(StoredExposure&&)>& fn) const override {
    if (version_ < 3) return Status::Ok();
    std::lock_guard lock(mu_);
    Stmt q(db_,
           "SELECT request_id, user, experiment, arm, items, timestamp, seq FROM exposures"
           " WHERE seq > ?1 ORDER BY seq");
    if (!q.ok()) return Error("read exposures");
    sqlite3_bind_int64(q.get(), 1, after_seq);
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      StoredExposure x;
      x.request_id = ColText(q.get(), 0);
      x.user = ColText(q.get(), 1);
      x.experiment = ColText(q.get(), 2);
      x.arm = ColText(q.get(), 3);
      x.items = ParseJsonList(ColText(q.get(), 4));
      x.timestamp = sqlite3_column_int64(q.get(), 5);
      x.seq = sqlite3_column_int64(q.get(), 6);
      fn(std::move(x));
    }
    return rc == SQLITE_DONE ? Status::Ok() : Error("read exposures");
  }

  Result<int64_t> LastEventSeq() const override {
    std::lock_guard lock(mu_);
    return Count("SELECT COALESCE(MAX(seq), 0) FROM events");
  }
  int64_t num_events() const override {
    std::lock_guard lock(mu_);
    return events_;
  }
  int64_t num_items() const override {
    std::lock_guard lock(mu_);
    return items_;
  }
  const std::string& store_id() const override { return store_id_; }
  int schema_version() const override { return version_; }
  std::string description() const override { return "sqlite:" + path_; }

 private:
  Status Error(std::string_view what) const {
    return Status::IOError(path_ + ": " + std::string(what) + ": " + sqlite3_errmsg(db_));
  }
  Status Rollback(std::string_view what) {
    Status s = Error(what);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }
  Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "unknown error";
      sqlite3_free(err);
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return Status::IOError(path_ + ": " + m);
    }
    return Status::Ok();
  }
  Result<int64_t> Count(const char* sql) const {
    Stmt q(db_, sql);
    if (!q.ok() || sqlite3_step(q.get()) != SQLITE_ROW) return Error(sql);
    return static_cast<int64_t>(sqlite3_column_int64(q.get(), 0));
  }

  sqlite3* db_;
  std::string path_;
  mutable std::mutex mu_;
  int64_t events_ = 0;
  int64_t items_ = 0;
  int version_ = 0;
  std::string store_id_;
};

}  // namespace

Result<std::unique_ptr<EventStore>> OpenSqliteEventStore(const std::string& path, const StoreOptions& options) {
  sqlite3* db = nullptr;
  const std::string& p = path;
  const int rc =
      sqlite3_open_v2(p.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::IOError(p + ": cannot open the event database: " + m);
  }
  sqlite3_busy_timeout(db, 5000);
  auto store = std::make_unique<SqliteEventStore>(db, p);
  HR_RETURN_IF_ERROR(store->Init(options));
  return std::unique_ptr<EventStore>(std::move(store));
}

}  // namespace hybridrec::store
