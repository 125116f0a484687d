// PostgresEventStore: EventStore over one PostgreSQL database through libpq (see event_store.h).
// Schema (migrations, in order, each in one transaction under an advisory lock so replicas
// starting together migrate once):
//   1: events(seq BIGSERIAL PRIMARY KEY, user_id TEXT, item TEXT, strength REAL, ts BIGINT)
//      items(seq BIGSERIAL PRIMARY KEY, id TEXT UNIQUE, title TEXT, genres TEXT (JSON array),
//            tags TEXT (JSON array), description TEXT, created BIGINT)
//   2: store_meta(key TEXT PRIMARY KEY, value TEXT): store_id, schema_version
//   3: events.request_id TEXT (default ''); exposures(seq BIGSERIAL PRIMARY KEY, request_id TEXT,
//      user_id TEXT, experiment TEXT, arm TEXT, items TEXT (JSON array), ts BIGINT)
//
// Appends take a transaction-scoped advisory lock before drawing sequence numbers, so seq
// order is commit order even with several writers (a reader that has seen seq N has seen
// every event below N). Connection loss: each call first reads what the server sent (a
// server shutdown or a terminated backend shows up there) and reconnects when the connection
// is gone; when the server cannot be reached the call returns Unavailable. A connection lost
// in the middle of a COMMIT leaves the outcome unknown, and the message says so.
#include <libpq-fe.h>
#include <poll.h>

#include <charconv>
#include <cstdio>
#include <mutex>

#include "store/event_store.h"
#include "store/store_util.h"

namespace hybridrec::store {
namespace {

constexpr int64_t kMigrationLock = 0x6879627265633031;  // "hybrec01"
constexpr int64_t kAppendLock = 0x6879627265633032;
constexpr size_t kRowsPerInsert = 1000;                // 5 parameters a row; PostgreSQL allows 65535
constexpr const char* kChannel = "hybridrec_changes";  // NOTIFY channel of committed writes

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

std::string Trimmed(const char* msg) {
  std::string m = msg ? msg : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

int64_t ParseInt(const char* s) {
  int64_t v = 0;
  if (s) std::from_chars(s, s + std::char_traits<char>::length(s), v);
  return v;
}

bool HasNul(const std::string& s) { return s.find('\0') != std::string::npos; }

class PostgresEventStore final : public EventStore {
 public:
  PostgresEventStore(std::string url, StoreOptions options)
      : url_(std::move(url)), shown_(RedactUrl(url_)), options_(options) {}
  ~PostgresEventStore() override {
    if (conn_) PQfinish(conn_);
  }

  Status Init() {
    std::lock_guard lock(mu_);
    HR_RETURN_IF_ERROR(Connect());
    HR_RETURN_IF_ERROR(Migrate());
    if (version_ >= 1) {
      HR_ASSIGN_OR_RETURN(events_, QueryInt("SELECT COUNT(*) FROM events"));
      HR_ASSIGN_OR_RETURN(items_, QueryInt("SELECT COUNT(*) FROM items"));
    }
    return Status::Ok();
  }

  Status AppendEvents(std::span<const StoredEvent> events, std::vector<int64_t>* seqs) override {
    if (seqs) seqs->clear();
    if (events.empty()) return Status::Ok();
    for (const auto& e : events)
      if (HasNul(e.user) || HasNul(e.item) || HasNul(e.request_id))
        return Status::InvalidArgument(
            "user and item ids must not contain NUL bytes (PostgreSQL text cannot hold them)");
    std::lock_guard lock(mu_);
    return Retrying([&] { return Append(events, seqs); });
  }

  Status Append(std::span<const StoredEvent> events, std::vector<int64_t>* seqs) {
    if (seqs) seqs->clear();
    HR_RETURN_IF_ERROR(
        Command("BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(kAppendLock) + ")", "begin the event batch"));
    for (size_t start = 0; start < events.size(); start += kRowsPerInsert) {
      const size_t n = std::min(kRowsPerInsert, events.size() - start);
      const bool rid = version_ >= 3;
      const size_t w = rid ? 5 : 4;
      std::string sql = rid ? "INSERT INTO events(user_id, item, strength, ts, request_id) VALUES "
                            : "INSERT INTO events(user_id, item, strength, ts) VALUES ";
      const char* returning = " RETURNING seq";
      std::vector<std::string> text;
      text.reserve(w * n);
      for (size_t i = 0; i < n; ++i) {
        const StoredEvent& e = events[start + i];
        const size_t p = w * i;
        sql += (i ? ",($" : "($") + std::to_string(p + 1) + ",$" + std::to_string(p + 2) + ",$" +
               std::to_string(p + 3) + "::real,$" + std::to_string(p + 4) + "::bigint" +
               (rid ? ",$" + std::to_string(p + 5) : std::string()) + ")";
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(e.strength));
        text.push_back(e.user);
        text.push_back(e.item);
        text.emplace_back(buf);
        text.push_back(std::to_string(e.timestamp));
        if (rid) text.push_back(e.request_id);
      }
      auto r = Params(sql + returning, text, PGRES_TUPLES_OK, "insert events");
      if (!r.ok()) return Abort(r.status());
      if (seqs)
        for (int row = 0; row < PQntuples(r->get()); ++row) seqs->push_back(ParseInt(PQgetvalue(r->get(), row, 0)));
    }
    // Delivered to the listeners (other replicas) when the transaction commits.
    HR_RETURN_IF_ERROR(Command(std::string("SELECT pg_notify('") + kChannel + "', 'events')", "notify"));
    no_retry_ = true;
    PgResult commit(PQexec(conn_, "COMMIT"));
    if (PQresultStatus(commit.get()) != PGRES_COMMAND_OK) {
      if (PQstatus(conn_) != CONNECTION_OK)
        return Status::Unavailable(shown_ + ": the connection was lost while committing " +
                                   std::to_string(events.size()) +
                                   " events: they may or may not be stored; the store reconnects on the next call");
      return Abort(Status::IOError(shown_ + ": commit events: " + Trimmed(PQresultErrorMessage(commit.get()))));
    }
    events_ += static_cast<int64_t>(events.size());
    return Status::Ok();
  }

  Status AddItem(const StoredItem& item) override {
    for (const std::string* f : {&item.id, &item.title, &item.description})
      if (HasNul(*f)) return Status::InvalidArgument("item fields must not contain NUL bytes");
    std::lock_guard lock(mu_);
    return Retrying([&] { return Add(item); });
  }

  Status Add(const StoredItem& item) {
    no_retry_ = true;  // one autocommit statement: a connection lost during it leaves the outcome unknown
    auto r = Params(
        "WITH added AS (INSERT INTO items(id, title, genres, tags, description, created) "
        "VALUES($1, $2, $3, $4, $5, $6::bigint) ON CONFLICT (id) DO NOTHING RETURNING seq) "
        "SELECT seq, pg_notify('" +
            std::string(kChannel) + "', 'items') FROM added",
        {item.id, item.title, JsonListText(item.genres), JsonListText(item.tags), item.description,
         std::to_string(item.created)},
        PGRES_TUPLES_OK, "insert item");
    if (!r.ok()) return r.status();
    if (PQntuples(r->get()) == 0)
      return Status::InvalidArgument("item '" + item.id + "' is already stored in " + shown_);
    ++items_;
    return Status::Ok();
  }

  Status ForEachItem(int64_t after_seq, const std::function<void(StoredItem&&)>& fn) const override {
    std::lock_guard lock(mu_);
    return Retrying([&] {
      return Stream(
          "SELECT id, title, genres, tags, description, created, seq FROM items "
          "WHERE seq > $1::bigint ORDER BY seq",
          {std::to_string(after_seq)}, "read items", [&](PGresult* r) {
            StoredItem it;
            it.id = PQgetvalue(r, 0, 0);
            it.title = PQgetvalue(r, 0, 1);
            it.genres = ParseJsonList(PQgetvalue(r, 0, 2));
            it.tags = ParseJsonList(PQgetvalue(r, 0, 3));
            it.description = PQgetvalue(r, 0, 4);
            it.created = ParseInt(PQgetvalue(r, 0, 5));
            it.seq = ParseInt(PQgetvalue(r, 0, 6));
            fn(std::move(it));
          });
    });
  }

  Status ForEachEvent(int64_t after_seq, const std::function<void(StoredEvent&&)>& fn) const override {
    std::lock_guard lock(mu_);
    return Retrying([&] {
      const bool rid = version_ >= 3;
      return Stream(rid ? "SELECT user_id, item, strength, ts, seq, request_id FROM events WHERE seq > $1::bigint "
                          "ORDER BY seq"
                        : "SELECT user_id, item, strength, ts, seq FROM events WHERE seq > $1::bigint ORDER BY seq",
                    {std::to_string(after_seq)}, "read events", [&](PGresult* r) {
                      StoredEvent e;
                      e.user = PQgetvalue(r, 0, 0);
                      e.item = PQgetvalue(r, 0, 1);
                      e.strength = std::strtof(PQgetvalue(r, 0, 2), nullptr);
                      e.timestamp = ParseInt(PQgetvalue(r, 0, 3));
                      e.seq = ParseInt(PQgetvalue(r, 0, 4));
                      if (rid) e.request_id = PQgetvalue(r, 0, 5);
                      fn(std::move(e));
                    });
    });
  }

  Status AppendExposures(std::span<const StoredExposure> exposures) override {
    if (version_ < 3) return Status::Unsupported(shown_ + ": exposures need schema version 3");
    if (exposures.empty()) return Status::Ok();
    for (const auto& x : exposures) {
      bool nul = HasNul(x.request_id) || HasNul(x.user) || HasNul(x.experiment) || HasNul(x.arm);
      for (const auto& i : x.items) nul = nul || HasNul(i);
      if (nul) return Status::InvalidArgument("exposure fields must not contain NUL bytes");
    }
    std::lock_guard lock(mu_);
    return Retrying([&] { return AppendX(exposures); });
  }

  Status AppendX(std::span<const StoredExposure> exposures) {
    HR_RETURN_IF_ERROR(Command("BEGIN", "begin the exposure batch"));
    constexpr size_t kW = 6;
    for (size_t start = 0; start < exposures.size(); start += kRowsPerInsert) {
      const size_t n = std::min(kRowsPerInsert, exposures.size() - start);
      std::string sql = "INSERT INTO exposures(request_id, user_id, experiment, arm, items, ts) VALUES ";
      std::vector<std::string> text;
      text.reserve(kW * n);
      for (size_t i = 0; i < n; ++i) {
        const StoredExposure& x = exposures[start + i];
        const size_t p = kW * i;
        sql += i ? ",(" : "(";
        for (size_t c = 1; c <= kW; ++c) sql += (c > 1 ? ",$" : "$") + std::to_string(p + c);
        sql += "::bigint)";
        text.push_back(x.request_id);
        text.push_back(x.user);
        text.push_back(x.experiment);
        text.push_back(x.arm);
        text.push_back(JsonListText(x.items));
        text.push_back(std::to_string(x.timestamp));
      }
      auto r = Params(sql, text, PGRES_COMMAND_OK, "insert exposures");
      if (!r.ok()) return Abort(r.status());
    }
    no_retry_ = true;
    PgResult commit(PQexec(conn_, "COMMIT"));
    if (PQresultStatus(commit.get()) != PGRES_COMMAND_OK) {
      if (PQstatus(conn_) != CONNECTION_OK)
        return Status::Unavailable(shown_ + ": the connection was lost while committing " +
                                   std::to_string(exposures.size()) + " exposures: they may or may not be stored");
      return Abort(Status::IOError(shown_ + ": commit exposures: " + Trimmed(PQresultErrorMessage(commit.get()))));
    }
    return Status::Ok();
  }

  Status ForEachExposure(int64_t after_seq, const std::function<void(StoredExposure&&)>& fn) const override {
    if (version_ < 3) return Status::Ok();
    std::lock_guard lock(mu_);
    return Retrying([&] {
      return Stream(
          "SELECT request_id, user_id, experiment, arm, items, ts, seq FROM exposures "
          "WHERE seq > $1::bigint ORDER BY seq",
          {std::to_string(after_seq)}, "read exposures", [&](PGresult* r) {
            StoredExposure x;
            x.request_id = PQgetvalue(r, 0, 0);
            x.user = PQgetvalue(r, 0, 1);
            x.experiment = PQgetvalue(r, 0, 2);
            x.arm = PQgetvalue(r, 0, 3);
            x.items = ParseJsonList(PQgetvalue(r, 0, 4));
            x.timestamp = ParseInt(PQgetvalue(r, 0, 5));
            x.seq = ParseInt(PQgetvalue(r, 0, 6));
            fn(std::move(x));
          });
    });
  }

  Result<int64_t> LastEventSeq() const override {
    std::lock_guard lock(mu_);
    int64_t v = 0;
    HR_RETURN_IF_ERROR(Retrying([&]() -> Status {
      HR_ASSIGN_OR_RETURN(v, QueryInt("SELECT COALESCE(MAX(seq), 0) FROM events"));
      return Status::Ok();
    }));
    return v;
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
  std::string description() const override { return shown_; }
  Result<std::unique_ptr<ChangeFeed>> Follow() const override;

 private:
  // REQUIRES: mu_ held (for every helper below).
  Status Connect() const {
    if (conn_) PQfinish(conn_);
    const std::string timeout = std::to_string(std::max(1, options_.connect_timeout_s));
    const char* keys[] = {"dbname", "connect_timeout", "fallback_application_name", nullptr};
    const char* values[] = {url_.c_str(), timeout.c_str(), "hybridrec", nullptr};
    conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (!conn_) return Status::Unavailable(shown_ + ": cannot connect to PostgreSQL: out of memory");
    if (PQstatus(conn_) != CONNECTION_OK)
      return Status::Unavailable(shown_ + ": cannot connect to PostgreSQL: " + Trimmed(PQerrorMessage(conn_)));
    // Server notices (and the FATAL a closing backend sends) would go to stderr: errors reach
    // the caller through the results instead.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    PgResult r(PQexec(conn_, "SET client_min_messages = warning"));
    return Status::Ok();
  }

  // Runs `op` on a live connection. A connection found closed before anything was committed
  // (a server restart, a terminated backend: libpq only notices when it next uses the socket)
  // is replaced and `op` runs once more; a loss after the commit was sent is reported as is.
  template <typename Op>
  Status Retrying(const Op& op) const {
    for (int attempt = 0;; ++attempt) {
      const bool fresh = !conn_ || PQstatus(conn_) != CONNECTION_OK;
      HR_RETURN_IF_ERROR(Ensure());
      no_retry_ = false;
      Status s = op();
      if (s.ok() || s.code() != Status::Code::kUnavailable || no_retry_ || fresh || attempt > 0) return s;
    }
  }

  // Reads what the server sent since the last call (a shutdown notice or a closed socket
  // marks the connection bad) and reconnects when the connection is gone.
  Status Ensure() const {
    if (conn_ && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE &&
        PQconsumeInput(conn_) == 1 && PQstatus(conn_) == CONNECTION_OK)
      return Status::Ok();
    return Connect().WithContext("the database is unreachable (reads keep serving; writes retry the connection)");
  }

  Status Failure(PGresult* r, std::string_view what) const {
    if (PQstatus(conn_) != CONNECTION_OK)
      return Status::Unavailable(shown_ + ": " + std::string(what) + ": the connection to PostgreSQL was lost (" +
                                 Trimmed(PQerrorMessage(conn_)) + "); nothing was stored; retry later");
    return Status::IOError(shown_ + ": " + std::string(what) + ": " +
                           Trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_)));
  }

  Status Abort(Status s) const {
    if (PQstatus(conn_) == CONNECTION_OK) PgResult(PQexec(conn_, "ROLLBACK"));
    return s;
  }

  Status Command(const std::string& sql, std::string_view what) const {
    PgResult r(PQexec(conn_, sql.c_str()));
    const auto st = PQresultStatus(r.get());
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Status::Ok();
    return Abort(Failure(r.get(), what));
  }

  Result<PgResult> Params(const std::string& sql, const std::vector<std::string>& params, ExecStatusType want,
                          std::string_view what) const {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.c_str());
    PgResult r(
        PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
    if (PQresultStatus(r.get()) != want) return Failure(r.get(), what);
    return r;
  }

  Result<int64_t> QueryInt(const std::string& sql) const {
    HR_RETURN_IF_ERROR(Ensure());
    HR_ASSIGN_OR_RETURN(PgResult r, Params(sql, {}, PGRES_TUPLES_OK, sql));
    if (PQntuples(r.get()) != 1) return Status::IOError(shown_ + ": " + sql + ": expected one row");
    return ParseInt(PQgetvalue(r.get(), 0, 0));
  }

  // Runs a query in single-row mode (rows are not all held in memory at once).
  Status Stream(const std::string& sql, const std::vector<std::string>& params, std::string_view what,
                const std::function<void(PGresult*)>& row) const {
    HR_RETURN_IF_ERROR(Ensure());
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    if (!PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                           nullptr, 0))
      return Failure(nullptr, what);
    PQsetSingleRowMode(conn_);
    Status out;
    while (PGresult* raw = PQgetResult(conn_)) {
      PgResult r(raw);
      const auto st = PQresultStatus(raw);
      if (st == PGRES_SINGLE_TUPLE) {
        no_retry_ = true;
        if (out.ok()) row(raw);
      } else if (st != PGRES_TUPLES_OK && out.ok()) {
        out = Failure(raw, what);
      }
    }
    return out;
  }

  Status Migrate() {
    HR_RETURN_IF_ERROR(
        Command("BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")", "lock the schema"));
    auto version = CurrentVersion();
    if (!version.ok()) return Abort(version.status());
    int v = static_cast<int>(*version);
    if (v > kSchemaVersion)
      return Abort(Status::Unsupported(shown_ + ": the event database has schema version " + std::to_string(v) +
                                       ", newer than this hybridrec understands (" + std::to_string(kSchemaVersion) +
                                       "): use a newer hybridrec or another --db"));
    while (v < options_.schema_version) {
      ++v;
      std::string sql;
      if (v == 1) {
        sql =
            "CREATE TABLE events(seq BIGSERIAL PRIMARY KEY, user_id TEXT NOT NULL, item TEXT NOT NULL,"
            " strength REAL NOT NULL, ts BIGINT NOT NULL);"
            "CREATE TABLE items(seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL,"
            " genres TEXT NOT NULL, tags TEXT NOT NULL, description TEXT NOT NULL, created BIGINT NOT NULL)";
      } else if (v == 2) {
        sql =
            "CREATE TABLE store_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "INSERT INTO store_meta VALUES('store_id', '" +
            NewStoreId() +
            "');"
            "INSERT INTO store_meta VALUES('schema_version', '2')";
      } else if (v == 3) {
        sql =
            "ALTER TABLE events ADD COLUMN request_id TEXT NOT NULL DEFAULT '';"
            "CREATE TABLE exposures(seq BIGSERIAL PRIMARY KEY, request_id TEXT NOT NULL, user_id TEXT NOT NULL,"
            " experiment TEXT NOT NULL, arm TEXT NOT NULL, items TEXT NOT NULL, ts BIGINT NOT NULL);"
            "CREATE INDEX exposures_by_experiment ON exposures(experiment, seq);"
            "UPDATE store_meta SET value = '3' WHERE key = 'schema_version'";
      } else {
        return Abort(Status::InvalidArgument(shown_ + ": no migration to schema version " + std::to_string(v)));
      }
      HR_RETURN_IF_ERROR(Command(sql, "migrate the schema to version " + std::to_string(v)));
    }
    version_ = v;
    if (v >= 2) {
      auto r = Params("SELECT value FROM store_meta WHERE key = 'store_id'", {}, PGRES_TUPLES_OK, "read the store id");
      if (!r.ok()) return Abort(r.status());
      if (PQntuples(r->get()) != 1) return Abort(Status::Corruption(shown_ + ": store_meta has no store_id"));
      store_id_ = PQgetvalue(r->get(), 0, 0);
    }
    return Command("COMMIT", "commit the schema");
  }

  // Inside the migration transaction: 0 (no tables), 1 (events and items, no store_meta) or
  // the version store_meta records.
  Result<int64_t> CurrentVersion() const {
    HR_ASSIGN_OR_RETURN(PgResult r, Params("SELECT to_regclass('store_meta') IS NOT NULL, "
                                           "to_regclass('events') IS NOT NULL",
                                           {}, PGRES_TUPLES_OK, "read the schema version"));
    const bool meta = PQgetvalue(r.get(), 0, 0)[0] == 't';
    const bool events = PQgetvalue(r.get(), 0, 1)[0] == 't';
    if (!meta) return events ? 1 : 0;
    HR_ASSIGN_OR_RETURN(PgResult v, Params("SELECT value FROM store_meta WHERE key = 'schema_version'", {},
                                           PGRES_TUPLES_OK, "read the schema version"));
    if (PQntuples(v.get()) != 1) return Status::Corruption(shown_ + ": store_meta has no schema_version");
    return ParseInt(PQgetvalue(v.get(), 0, 0));
  }

  const std::string url_;
  const std::string shown_;
  const StoreOptions options_;
  mutable std::mutex mu_;
  mutable PGconn* conn_ = nullptr;
  // Set by an operation once running it again could do something twice: its commit was sent,
  // or rows were already handed to the caller.
  mutable bool no_retry_ = false;
  int64_t events_ = 0;
  int64_t items_ = 0;
  int version_ = 0;
  std::string store_id_;
};

// Its own connection, LISTENing on the channel the writers notify.
class PostgresChangeFeed final : public ChangeFeed {
 public:
  PostgresChangeFeed(std::string url, std::string shown, int connect_timeout_s)
      : url_(std::move(url)), shown_(std::move(shown)), timeout_(std::to_string(std::max(1, connect_timeout_s))) {}
  ~PostgresChangeFeed() override {
    if (conn_) PQfinish(conn_);
  }

  Status Connect() {
    if (conn_) PQfinish(conn_);
    const char* keys[] = {"dbname", "connect_timeout", "fallback_application_name", nullptr};
    const char* values[] = {url_.c_str(), timeout_.c_str(), "hybridrec-follower", nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK)
      return Status::Unavailable(shown_ + ": cannot connect to PostgreSQL to follow other writers: " +
                                 Trimmed(conn_ ? PQerrorMessage(conn_) : "out of memory"));
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    PgResult r(PQexec(conn_, (std::string("LISTEN ") + kChannel).c_str()));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
      return Status::Unavailable(shown_ + ": LISTEN: " + Trimmed(PQresultErrorMessage(r.get())));
    return Status::Ok();
  }

  Result<bool> Wait(std::chrono::milliseconds timeout) override {
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      HR_RETURN_IF_ERROR(Connect());
      return true;  // writes may have been missed while disconnected
    }
    if (Drain()) return true;
    pollfd p{PQsocket(conn_), POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (n <= 0) return false;
    if (PQconsumeInput(conn_) != 1 || PQstatus(conn_) != CONNECTION_OK) {
      HR_RETURN_IF_ERROR(Connect());
      return true;
    }
    return Drain();
  }

 private:
  bool Drain() {
    bool any = false;
    while (PGnotify* n = PQnotifies(conn_)) {
      any = true;
      PQfreemem(n);
    }
    return any;
  }

  const std::string url_, shown_, timeout_;
  PGconn* conn_ = nullptr;
};

Result<std::unique_ptr<ChangeFeed>> PostgresEventStore::Follow() const {
  auto feed = std::make_unique<PostgresChangeFeed>(url_, shown_, options_.connect_timeout_s);
  HR_RETURN_IF_ERROR(feed->Connect());
  return std::unique_ptr<ChangeFeed>(std::move(feed));
}

}  // namespace

Result<std::unique_ptr<EventStore>> OpenPostgresEventStore(const std::string& url, const StoreOptions& options) {
  auto store = std::make_unique<PostgresEventStore>(url, options);
  HR_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<EventStore>(std::move(store));
}

}  // namespace hybridrec::store
