#include "serve/auth.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "core/file_util.h"

namespace hybridrec::serve {
namespace {

constexpr std::string_view kTokenPrefix = "hrt_";
constexpr size_t kHashHexDigits = 64;

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsBlank(line[i])) ++i;
    const size_t start = i;
    while (i < line.size() && !IsBlank(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Control and non-ASCII bytes shown as \xNN, long values cut, so an error message stays one
// readable line whatever the file holds.
std::string Printable(std::string_view s) {
  static constexpr size_t kMax = 40;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (s.size() > kMax) out += "...";
  return out;
}

bool IsB64TokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' ||
         c == '/';
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

bool IsLimitField(std::string_view f) { return f.starts_with("rate=") || f.starts_with("burst="); }

// A decimal number (digits, at most one '.', at most 12 characters) in (0, 1e6].
std::optional<double> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 12) return std::nullopt;
  double v = 0;
  bool dot = false, digit = false;
  double scale = 1;
  for (const char c : s) {
    if (c == '.') {
      if (dot) return std::nullopt;
      dot = true;
    } else if (c >= '0' && c <= '9') {
      digit = true;
      if (dot) {
        scale /= 10;
        v += (c - '0') * scale;
      } else {
        v = v * 10 + (c - '0');
      }
    } else {
      return std::nullopt;
    }
  }
  if (!digit || v <= 0 || v > 1e6) return std::nullopt;
  return v;
}

// "N/s", "N/m", "N/h" as requests per second.
std::optional<double> ParseRate(std::string_view s) {
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto n = ParseDecimal(s.substr(0, slash));
  if (!n) return std::nullopt;
  const std::string_view unit = s.substr(slash + 1);
  if (unit == "s") return *n;
  if (unit == "m") return *n / 60.0;
  if (unit == "h") return *n / 3600.0;
  return std::nullopt;
}

std::optional<double> ParseCount(std::string_view s) {
  if (s.empty() || s.size() > 7) return std::nullopt;
  double v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v < 1 || v > 1e6) return std::nullopt;
  return v;
}

HttpResponse Unauthorized(std::string_view message, bool bad_token) {
  HttpResponse r = ErrorResponse(401, message);
  r.headers.emplace_back("WWW-Authenticate",
                         bad_token ? R"(Bearer realm="hybridrec", error="invalid_token")" : R"(Bearer realm="hybridrec")");
  return r;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kRead: return "read";
    case Role::kWrite: return "write";
    case Role::kAdmin: return "admin";
    default: return "none";
  }
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "read") return Role::kRead;
  if (name == "write") return Role::kWrite;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

const TokenEntry* AccessTokens::Find(std::string_view token) const {
  const std::string hash = Sha256Hex(token);
  const TokenEntry* found = nullptr;
  for (const TokenEntry& e : entries)
    if (CRYPTO_memcmp(e.hash.data(), hash.data(), kHashHexDigits) == 0) found = &e;
  return found;
}

Result<AccessTokens> ParseAccessTokens(std::string_view text, std::string_view source) {
  AccessTokens out;
  out.source = std::string(source);
  const auto fail = [&](size_t line, std::string_view what) {
    return Status::InvalidArgument("tokens file " + out.source + ":" + std::to_string(line) + ": " + std::string(what));
  };
  if (text.size() > kMaxTokensFileBytes)
    return Status::InvalidArgument("tokens file " + out.source + ": larger than " +
                                   std::to_string(kMaxTokensFileBytes) + " bytes");
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.size() > kMaxTokensLineBytes)
      return fail(line_no, "line longer than " + std::to_string(kMaxTokensLineBytes) + " bytes");
    if (line.find('\0') != std::string_view::npos) return fail(line_no, "NUL byte");
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::vector<std::string_view> f = Fields(line);
    if (f.empty() || f[0].front() == '#') continue;
    if (f[0] == "require-read") {
      if (f.size() > 1) return fail(line_no, "require-read takes no arguments, got '" + Printable(f[1]) + "'");
      out.require_read = true;
      continue;
    }
    TokenEntry e;
    e.line = line_no;
    const auto role = ParseRole(f[0]);
    if (!role)
      return fail(line_no, "field 1 (role): '" + Printable(f[0]) +
                               "' is not read, write or admin (nor the directive require-read)");
    e.role = *role;
    if (f.size() < 2) return fail(line_no, "field 2 (hash): missing; expected '<role> <sha256-hex> [name]'");
    const std::string_view hash = f[1];
    if (hash.size() != kHashHexDigits)
      return fail(line_no, "field 2 (hash): " + std::to_string(hash.size()) +
                               " characters, expected the 64 hex digits of a SHA-256 (see `hybridrec token`)");
    for (const char c : hash) {
      if (!std::isxdigit(static_cast<unsigned char>(c)))
        return fail(line_no, "field 2 (hash): '" + Printable(std::string_view(&c, 1)) + "' is not a hex digit");
      e.hash += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    size_t next = 2;
    if (f.size() > next && !IsLimitField(f[next])) {
      const std::string_view name = f[next];
      if (name.size() > kMaxTokenNameBytes)
        return fail(line_no, "field 3 (name): longer than " + std::to_string(kMaxTokenNameBytes) + " bytes");
      for (const char c : name)
        if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
          return fail(line_no, "field 3 (name): '" + Printable(name) + "' has a byte that is not visible ASCII");
      e.name = std::string(name);
      ++next;
    }
    bool has_burst = false;
    for (; next < f.size(); ++next) {
      const std::string field = "field " + std::to_string(next + 1);
      const std::string_view v = f[next];
      if (v.starts_with("rate=")) {
        if (e.rate_per_s > 0) return fail(line_no, field + " (rate): rate= given twice");
        const auto rate = ParseRate(v.substr(5));
        if (!rate)
          return fail(line_no, field + " (rate): '" + Printable(v) +
                                   "' is not rate=N/s, N/m or N/h with 0 < N <= 1000000 (e.g. rate=50/s)");
        e.rate_per_s = *rate;
      } else if (v.starts_with("burst=")) {
        if (has_burst) return fail(line_no, field + " (burst): burst= given twice");
        const auto burst = ParseCount(v.substr(6));
        if (!burst) return fail(line_no, field + " (burst): '" + Printable(v) + "' is not burst=B with 1 <= B <= 1000000");
        e.burst = *burst;
        has_burst = true;
      } else {
        return fail(line_no, field + ": unexpected '" + Printable(v) +
                                 "' (expected rate=N/s or burst=B after the name; names have no spaces)");
      }
    }
    if (has_burst && e.rate_per_s <= 0) return fail(line_no, "burst= needs a rate= on the same line");
    if (e.rate_per_s > 0 && !has_burst) e.burst = std::max(1.0, std::ceil(e.rate_per_s));
    for (const TokenEntry& prev : out.entries)
      if (prev.hash == e.hash)
        return fail(line_no, "field 2 (hash): the same hash as line " + std::to_string(prev.line));
    out.entries.push_back(std::move(e));
  }
  if (out.entries.empty())
    return Status::InvalidArgument("tokens file " + out.source +
                                   ": no tokens (add a line '<role> <sha256-hex> [name]'; `hybridrec token` prints one)");
  return out;
}

Result<AccessTokens> LoadAccessTokens(const std::filesystem::path& path) {
  HR_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  return ParseAccessTokens(text, path.string());
}

Result<AccessTokens> LoadAccessTokensFromEnv(const std::string& var) {
  const char* value = std::getenv(var.c_str());
  if (value == nullptr || *value == '\0')
    return Status::NotFound("environment variable " + var + " (--auth-env) is not set or empty");
  std::string text(value);
  std::replace(text.begin(), text.end(), ';', '\n');
  HR_ASSIGN_OR_RETURN(AccessTokens t, ParseAccessTokens(text, "$" + var));
  t.env_var = var;
  return t;
}

Result<AccessTokens> ReloadAccessTokens(const AccessTokens& current) {
  if (!current.env_var.empty()) return LoadAccessTokensFromEnv(current.env_var);
  return LoadAccessTokens(current.source);
}

BearerToken ParseBearer(std::string_view h) {
  using E = BearerToken::Error;
  while (!h.empty() && IsBlank(h.front())) h.remove_prefix(1);
  while (!h.empty() && IsBlank(h.back())) h.remove_suffix(1);
  if (h.empty()) return {E::kMissing, {}};
  size_t sp = 0;
  while (sp < h.size() && !IsBlank(h[sp])) ++sp;
  if (!EqualsIgnoreCase(h.substr(0, sp), "Bearer")) return {E::kNotBearer, {}};
  std::string_view token = h.substr(sp);
  while (!token.empty() && IsBlank(token.front())) token.remove_prefix(1);
  if (token.empty()) return {E::kMissing, {}};
  if (token.size() > kMaxBearerTokenBytes) return {E::kMalformed, {}};
  size_t i = 0;
  while (i < token.size() && IsB64TokenChar(token[i])) ++i;
  if (i == 0) return {E::kMalformed, {}};
  while (i < token.size() && token[i] == '=') ++i;
  if (i != token.size()) return {E::kMalformed, {}};
  return {E::kNone, token};
}

std::optional<HttpResponse> Authorize(const AccessTokens& tokens, Role needed, std::string_view authorization) {
  if (needed == Role::kNone) return std::nullopt;
  if (needed == Role::kRead && !tokens.require_read) return std::nullopt;
  const std::string need = "this endpoint needs a token with the role '" + std::string(RoleName(needed)) + "'";
  const BearerToken b = ParseBearer(authorization);
  switch (b.error) {
    case BearerToken::Error::kMissing:
      return Unauthorized(need + ": send the header 'Authorization: Bearer <token>'", false);
    case BearerToken::Error::kNotBearer:
      return Unauthorized(need + ": only the Bearer scheme is accepted ('Authorization: Bearer <token>')", false);
    case BearerToken::Error::kMalformed:
      return Unauthorized("malformed bearer token; " + need, true);
    case BearerToken::Error::kNone:
      break;
  }
  const TokenEntry* e = tokens.Find(b.token);
  if (e == nullptr) return Unauthorized("unknown token; " + need, true);
  if (e->role < needed)
    return ErrorResponse(403, need + "; this token has the role '" + std::string(RoleName(e->role)) + "'");
  return std::nullopt;
}

std::optional<HttpResponse> AuthorizeAndLimit(const AccessTokens& tokens, Role needed, std::string_view authorization,
                                              RateLimiter& limiter) {
  if (auto refused = Authorize(tokens, needed, authorization)) return refused;
  if (needed == Role::kNone || authorization.empty()) return std::nullopt;
  const BearerToken b = ParseBearer(authorization);
  if (b.error != BearerToken::Error::kNone) return std::nullopt;
  const TokenEntry* e = tokens.Find(b.token);
  if (e == nullptr || e->rate_per_s <= 0) return std::nullopt;
  const double wait = limiter.Take(e->hash, e->rate_per_s, e->burst);
  if (wait <= 0) return std::nullopt;
  const long long secs = std::max(1LL, static_cast<long long>(std::ceil(wait)));
  HttpResponse r = ErrorResponse(429, "rate limit of this token exceeded" +
                                          (e->name.empty() ? std::string() : " ('" + e->name + "')") +
                                          ": retry in " + std::to_string(secs) + " s");
  r.headers.emplace_back("Retry-After", std::to_string(secs));
  return r;
}

Result<std::string> NewToken() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    return Status::IOError("cannot draw random bytes for a token (OpenSSL RAND_bytes failed)");
  std::array<char, 2 * bytes.size() + 1> hex{};
  size_t len = 0;
  if (OPENSSL_buf2hexstr_ex(hex.data(), hex.size(), &len, bytes.data(), bytes.size(), '\0') != 1)
    return Status::IOError("cannot encode a token");
  std::string token(kTokenPrefix);
  for (const char c : std::string_view(hex.data())) token += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return token;
}

std::string TokenLine(Role role, std::string_view token, std::string_view name) {
  std::string line = std::string(RoleName(role)) + " " + Sha256Hex(token);
  if (!name.empty()) line += " " + std::string(name);
  return line;
}

}  // namespace hybridrec::serve
