// SqliteEventStore: EventStore over one SQLite database (see event_store.h).
// Schema (version 1):
//   events(seq INTEGER PRIMARY KEY, user TEXT, item TEXT, strength REAL, timestamp INTEGER)
//   items(seq INTEGER PRIMARY KEY, id TEXT UNIQUE, title TEXT, genres TEXT (JSON array),
//         tags TEXT (JSON array), description TEXT, created INTEGER)
#include <sqlite3.h>

#include <mutex>

#include <nlohmann/json.hpp>

#include "serve/event_store.h"

namespace hybridrec::serve {
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

std::vector<std::string> JsonList(const std::string& text) {
  std::vector<std::string> out;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

class SqliteEventStore final : public EventStore {
 public:
  SqliteEventStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteEventStore() override { sqlite3_close(db_); }

  Status Init() {
    const char* kSetup =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=FULL;"
        "CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, user TEXT NOT NULL, item TEXT NOT NULL,"
        " strength REAL NOT NULL, timestamp INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS items(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL,"
        " genres TEXT NOT NULL, tags TEXT NOT NULL, description TEXT NOT NULL, created INTEGER NOT NULL);";
    HR_RETURN_IF_ERROR(Exec(kSetup));
    HR_ASSIGN_OR_RETURN(events_, Count("SELECT COUNT(*) FROM events"));
    HR_ASSIGN_OR_RETURN(items_, Count("SELECT COUNT(*) FROM items"));
    return Status::Ok();
  }

  Status AppendEvents(std::span<const StoredEvent> events) override {
    std::lock_guard lock(mu_);
    HR_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Stmt ins(db_, "INSERT INTO events(user, item, strength, timestamp) VALUES(?1, ?2, ?3, ?4)");
    if (!ins.ok()) return Rollback("prepare insert");
    for (const auto& e : events) {
      ins.BindText(1, e.user);
      ins.BindText(2, e.item);
      sqlite3_bind_double(ins.get(), 3, static_cast<double>(e.strength));
      sqlite3_bind_int64(ins.get(), 4, e.timestamp);
      if (sqlite3_step(ins.get()) != SQLITE_DONE) return Rollback("insert event");
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
    ins.BindText(3, nlohmann::json(item.genres).dump());
    ins.BindText(4, nlohmann::json(item.tags).dump());
    ins.BindText(5, item.description);
    sqlite3_bind_int64(ins.get(), 6, item.created);
    const int rc = sqlite3_step(ins.get());
    if (rc == SQLITE_CONSTRAINT)
      return Status::InvalidArgument("item '" + item.id + "' is already stored in " + path_);
    if (rc != SQLITE_DONE) return Error("insert item");
    ++items_;
    return Status::Ok();
  }

  Status ForEachItem(const std::function<void(StoredItem&&)>& fn) const override {
    std::lock_guard lock(mu_);
    Stmt q(db_, "SELECT id, title, genres, tags, description, created FROM items ORDER BY seq");
    if (!q.ok()) return Error("read items");
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      StoredItem it;
      it.id = ColText(q.get(), 0);
      it.title = ColText(q.get(), 1);
      it.genres = JsonList(ColText(q.get(), 2));
      it.tags = JsonList(ColText(q.get(), 3));
      it.description = ColText(q.get(), 4);
      it.created = sqlite3_column_int64(q.get(), 5);
      fn(std::move(it));
    }
    return rc == SQLITE_DONE ? Status::Ok() : Error("read items");
  }

  Status ForEachEvent(const std::function<void(StoredEvent&&)>& fn) const override {
    std::lock_guard lock(mu_);
    Stmt q(db_, "SELECT user, item, strength, timestamp FROM events ORDER BY seq");
    if (!q.ok()) return Error("read events");
    int rc;
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
      StoredEvent e;
      e.user = ColText(q.get(), 0);
      e.item = ColText(q.get(), 1);
      e.strength = static_cast<float>(sqlite3_column_double(q.get(), 2));
      e.timestamp = sqlite3_column_int64(q.get(), 3);
      fn(std::move(e));
    }
    return rc == SQLITE_DONE ? Status::Ok() : Error("read events");
  }

  int64_t num_events() const override {
    std::lock_guard lock(mu_);
    return events_;
  }
  int64_t num_items() const override {
    std::lock_guard lock(mu_);
    return items_;
  }
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
  Result<int64_t> Count(const char* sql) {
    Stmt q(db_, sql);
    if (!q.ok() || sqlite3_step(q.get()) != SQLITE_ROW) return Error(sql);
    return static_cast<int64_t>(sqlite3_column_int64(q.get(), 0));
  }

  sqlite3* db_;
  std::string path_;
  mutable std::mutex mu_;
  int64_t events_ = 0;
  int64_t items_ = 0;
};

}  // namespace

Result<std::unique_ptr<EventStore>> OpenSqliteEventStore(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  const std::string p = path.string();
  const int rc = sqlite3_open_v2(p.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::IOError(p + ": cannot open the event database: " + m);
  }
  sqlite3_busy_timeout(db, 5000);
  auto store = std::make_unique<SqliteEventStore>(db, p);
  HR_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<EventStore>(std::move(store));
}

}  // namespace hybridrec::serve
