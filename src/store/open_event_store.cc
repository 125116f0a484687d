#include <string>
#include <string_view>

#include "store/event_store.h"

namespace hybridrec::store {

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  // user:password@host
  if (const size_t scheme = out.find("://"); scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t at = out.find('@', start);
    const size_t end_of_authority = out.find_first_of("/?", start);
    if (at != std::string::npos && (end_of_authority == std::string::npos || at < end_of_authority)) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=... in the query string or a key=value connection string
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    const size_t v = p + 9;
    const size_t end = out.find_first_of("& ", v);
    out.replace(v, (end == std::string::npos ? out.size() : end) - v, "***");
  }
  return out;
}

Result<std::unique_ptr<EventStore>> OpenEventStore(const std::string& location, const StoreOptions& options) {
  const std::string_view loc(location);
  if (loc.starts_with("postgresql://") || loc.starts_with("postgres://"))
    return OpenPostgresEventStore(location, options);
  if (loc.starts_with("sqlite:")) {
    const std::string path(loc.substr(7));
    if (path.empty())
      return Status::InvalidArgument("'sqlite:' needs a file path after it (e.g. sqlite:events.sqlite)");
    return OpenSqliteEventStore(path, options);
  }
  if (loc.find("://") != std::string_view::npos)
    return Status::InvalidArgument("unsupported event store '" + RedactUrl(loc) +
                                   "': use a SQLite file path (or sqlite:PATH) or a postgresql:// URL");
  if (loc.empty())
    return Status::InvalidArgument("no event store given: use a SQLite file path or a postgresql:// URL");
  return OpenSqliteEventStore(location, options);
}

}  // namespace hybridrec::store
