// Access control for the HTTP service: the tokens file given to `hybridrec serve --auth FILE`,
// the `Authorization: Bearer <token>` header, and the decision for one request.
//
// Tokens file: UTF-8/ASCII text, one entry per line, fields separated by spaces or tabs:
//
//   # comment (a line whose first non-blank character is '#'); blank lines are ignored
//   require-read                       # optional directive: GET endpoints need a `read` token too
//   <role> <sha256-hex-of-token> [name] [rate=N/s|N/m|N/h] [burst=B]
//
// <role> is read, write or admin (each includes the ones before it); the hash is the 64 hex
// digits (either case) of the SHA-256 of the token as the client sends it; [name] is an optional
// label of visible ASCII characters (at most 64) for the operator. `hybridrec token` prints a new
// random token and its line. rate= limits the requests of that token (every endpoint that
// asks for a role, reads included when the token is sent): a token bucket refilled at N per
// second, minute or hour (N a decimal number, 0 < N <= 1000000), holding burst= requests
// (1-1000000; default: the rate per second rounded up, at least 1); past it the request is
// answered 429 with Retry-After. Lines end in LF or CRLF. Refused, with the file, line and
// field named: an unknown role or directive, a hash that is not 64 hex digits, a repeated hash,
// a bad or repeated rate= or burst=, burst= without rate=, a field after them that is neither,
// a line over 4096 bytes, a NUL byte, a file over 1 MiB, and a file with no token at all (with
// --auth nobody could then write).
//
// The same text may come from an environment variable (`serve --auth-env VAR`); there ';' also
// ends an entry, so the whole file fits on one line.
//
// What needs which role is the Api's route table (api.cc): /healthz, /readyz and the web page's
// static files are always open; other GET/HEAD endpoints and POST /v1/recommendations (which
// only reads) need `read` when the file says require-read, nothing otherwise; POST /v1/events
// and POST /v1/items need `write`; POST /admin/* needs `admin`. Authorize decides one request.
//
// Thread-safety: AccessTokens is immutable after parsing; every function here is pure.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "serve/rate_limiter.h"
#include "serve/router.h"

namespace hybridrec::serve {

enum class Role { kNone = 0, kRead = 1, kWrite = 2, kAdmin = 3 };

// "read" | "write" | "admin" ("none" for kNone).
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

inline constexpr size_t kMaxTokensFileBytes = 1 << 20;
inline constexpr size_t kMaxTokensLineBytes = 4096;
inline constexpr size_t kMaxTokenNameBytes = 64;
// Longest token accepted in an Authorization header (generated tokens are 68 characters).
inline constexpr size_t kMaxBearerTokenBytes = 512;

struct TokenEntry {
  Role role = Role::kRead;
  std::string hash;  // SHA-256 of the token, 64 lower-case hex digits
  std::string name;                      // "" when the line has none
  size_t line = 0;                       // 1-based line in the file
  double rate_per_s = 0;                 // rate=, per second; 0: no limit
  double burst = 0;                      // burst= (or its default) when rate_per_s > 0
};

struct AccessTokens {
  std::vector<TokenEntry> entries;
  bool require_read = false;  // the require-read directive
  std::string source;         // the file's path, for messages ("$VAR" for an environment variable)
  std::string env_var;        // set when the tokens came from an environment variable

  // The entry whose hash is SHA-256(token), or nullptr. Compares against every entry in
  // constant time (CRYPTO_memcmp, no early exit), so timing tells nothing about the hashes.
  const TokenEntry* Find(std::string_view token) const;
};

// Parses the text of a tokens file; `source` names it in errors ("FILE:LINE: field 2 (hash): ...").
// InvalidArgument on anything the format above refuses.
Result<AccessTokens> ParseAccessTokens(std::string_view text, std::string_view source);
// Reads and parses a tokens file (NotFound / IOError when it cannot be read).
Result<AccessTokens> LoadAccessTokens(const std::filesystem::path& path);
// Parses the tokens text held by environment variable `var` (';' ends an entry as a newline
// does); NotFound when it is not set or empty.
Result<AccessTokens> LoadAccessTokensFromEnv(const std::string& var);
// The same source again: the file, or the environment variable.
Result<AccessTokens> ReloadAccessTokens(const AccessTokens& current);

// The token of an Authorization header value: "Bearer <token>" with the scheme in any case,
// blanks (spaces, tabs) around the token, and the token made of RFC 6750 b64token characters
// (A-Z a-z 0-9 - . _ ~ + / then '=' padding) and at most kMaxBearerTokenBytes long.
struct BearerToken {
  enum class Error { kNone, kMissing, kNotBearer, kMalformed };
  Error error = Error::kNone;
  std::string_view token;  // when error == kNone
};
BearerToken ParseBearer(std::string_view authorization);

// The refusal for a request that needs `needed` and sent `authorization` (the header's value,
// "" when absent), or std::nullopt when it may pass. 401 (code "unauthorized", header
// WWW-Authenticate: Bearer ...) for no token, another scheme, a malformed or an unknown token;
// 403 (code "forbidden", naming the role needed) for a known token with a smaller role.
// kRead passes without a token unless tokens.require_read; kNone always passes.
std::optional<HttpResponse> Authorize(const AccessTokens& tokens, Role needed, std::string_view authorization);
// Authorize, then the rate limit of the token sent (when it is known and has rate=): 429
// (code "too_many_requests", header Retry-After: whole seconds until a request would pass)
// when its bucket is empty. Requests without a known token are not limited.
std::optional<HttpResponse> AuthorizeAndLimit(const AccessTokens& tokens, Role needed, std::string_view authorization,
                                              RateLimiter& limiter);

// A new random token ("hrt_" + 64 lower-case hex digits, from OpenSSL's RAND_bytes).
Result<std::string> NewToken();
// The tokens-file line for `token`: "<role> <sha256-hex> [name]".
std::string TokenLine(Role role, std::string_view token, std::string_view name);

}  // namespace hybridrec::serve
