// Test helper: throwaway databases on the PostgreSQL server the test run started
// (scripts/test-postgres.sh, run by CTest as the `postgres` fixture). The server's URL comes
// from $HYBRIDREC_TEST_POSTGRES, or from the file the fixture writes (<build>/pg-test/url);
// tests skip when there is neither (a test binary run by hand without the fixture).
#pragma once

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

namespace hybridrec::store::testing {

inline std::optional<std::string> TestPostgresUrl() {
  if (const char* url = std::getenv("HYBRIDREC_TEST_POSTGRES"); url && *url) return std::string(url);
#ifdef HYBRIDREC_BINARY_DIR
  std::ifstream in(HYBRIDREC_BINARY_DIR "/pg-test/url");
  std::string url;
  if (in && std::getline(in, url) && !url.empty()) return url;
#endif
  return std::nullopt;
}

// `url` with its database name replaced by `db`.
inline std::string WithDatabase(const std::string& url, const std::string& db) {
  const size_t authority = url.find("://") + 3;
  const size_t slash = url.find('/', authority);
  const size_t query = url.find('?', authority);
  std::string base = url.substr(0, slash == std::string::npos ? query : slash);
  return base + "/" + db + (query == std::string::npos ? "" : url.substr(query));
}

// Runs one statement on `url`; throws with PostgreSQL's message when it fails.
inline void PgExec(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string m = PQerrorMessage(c);
    PQfinish(c);
    throw std::runtime_error("connect " + url + ": " + m);
  }
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  PGresult* r = PQexec(c, sql.c_str());
  const auto st = PQresultStatus(r);
  std::string m = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw std::runtime_error(sql + ": " + m);
}

// A fresh database on the test server, dropped (with its connections) on destruction.
class ScratchDatabase {
 public:
  explicit ScratchDatabase(const std::string& server_url) : admin_(server_url) {
    static std::atomic<int> counter{0};
    name_ = "hr_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1));
    PgExec(admin_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    PgExec(admin_, "CREATE DATABASE " + name_);
    url_ = WithDatabase(admin_, name_);
  }
  ~ScratchDatabase() {
    try {
      PgExec(admin_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {
    }
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }
  const std::string& admin_url() const { return admin_; }
  // Closes every connection to the database (as a server restart would).
  void TerminateConnections() const {
    PgExec(admin_, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name_ +
                       "' AND pid <> pg_backend_pid()");
  }
  // Refuses (false) or allows new connections, closing the open ones when refusing: the
  // database is unreachable until allowed again.
  void AllowConnections(bool allow) const {
    PgExec(admin_, "ALTER DATABASE " + name_ + " ALLOW_CONNECTIONS " + (allow ? "true" : "false"));
    if (!allow) TerminateConnections();
  }

 private:
  std::string admin_;
  std::string name_;
  std::string url_;
};

}  // namespace hybridrec::store::testing
