// Fuzzes access control (serve/auth.h): the tokens file parser and the Authorization header.
// Selector byte % 2: 0 ParseAccessTokens on the rest (rate= and burst= included), 1 ParseBearer
// + Authorize + AuthorizeAndLimit on the rest.
// Whatever the parser accepts must respect the documented format.
#include <cstdint>

#include "core/file_util.h"
#include "fuzz/fuzz_util.h"
#include "serve/auth.h"

namespace {

using namespace hybridrec;
using namespace hybridrec::serve;

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

const AccessTokens& FixedTokens() {
  static const AccessTokens t = [] {
    auto r = ParseAccessTokens("require-read\nread " + Sha256Hex("r") + "\nwrite " + Sha256Hex("w") + " writer rate=2/s burst=2\n",
                               "fixed");
    if (!r.ok()) std::abort();
    return std::move(r).value();
  }();
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view rest = fuzz::AsView(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto r = ParseAccessTokens(rest, "fuzz");
    if (!r.ok()) {
      HR_FUZZ_CHECK(r.status().message().rfind("tokens file fuzz", 0) == 0);
      return 0;
    }
    HR_FUZZ_CHECK(!r->entries.empty());
    for (size_t i = 0; i < r->entries.size(); ++i) {
      const TokenEntry& e = r->entries[i];
      HR_FUZZ_CHECK(e.role == Role::kRead || e.role == Role::kWrite || e.role == Role::kAdmin);
      HR_FUZZ_CHECK(e.hash.size() == 64);
      for (const char c : e.hash) HR_FUZZ_CHECK(IsLowerHex(c));
      HR_FUZZ_CHECK(e.name.size() <= kMaxTokenNameBytes);
      for (const char c : e.name) HR_FUZZ_CHECK(c > ' ' && c < 0x7f);
      HR_FUZZ_CHECK(e.line >= 1 && (i == 0 || e.line > r->entries[i - 1].line));
      for (size_t j = 0; j < i; ++j) HR_FUZZ_CHECK(r->entries[j].hash != e.hash);
      HR_FUZZ_CHECK(e.rate_per_s >= 0 && e.rate_per_s <= 1e6);
      if (e.rate_per_s > 0) HR_FUZZ_CHECK(e.burst >= 1 && e.burst <= 1e6);
    }
    (void)r->Find(rest);
  } else {
    const BearerToken b = ParseBearer(rest);
    if (b.error == BearerToken::Error::kNone) {
      HR_FUZZ_CHECK(!b.token.empty() && b.token.size() <= kMaxBearerTokenBytes);
      HR_FUZZ_CHECK(b.token.data() >= rest.data() && b.token.data() + b.token.size() <= rest.data() + rest.size());
      for (const char c : b.token) HR_FUZZ_CHECK(c > ' ' && c < 0x7f);
    }
    for (const Role needed : {Role::kNone, Role::kRead, Role::kWrite, Role::kAdmin}) {
      const auto refused = Authorize(FixedTokens(), needed, rest);
      if (refused) HR_FUZZ_CHECK(refused->status == 401 || refused->status == 403);
      if (needed == Role::kNone) HR_FUZZ_CHECK(!refused);
      if (b.error != BearerToken::Error::kNone && needed != Role::kNone) HR_FUZZ_CHECK(refused && refused->status == 401);
      // With the fixed tokens' rate limit: the same refusals, or 429 with a Retry-After.
      static RateLimiter limiter;
      const auto limited = AuthorizeAndLimit(FixedTokens(), needed, rest, limiter);
      if (refused) HR_FUZZ_CHECK(limited && limited->status == refused->status);
      if (limited && !refused) HR_FUZZ_CHECK(limited->status == 429 && !limited->Header("Retry-After").empty());
    }
  }
  return 0;
}
