// Per-token rate limits (rate= and burst= in the tokens file), the token bucket, and tokens
// from an environment variable.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/file_util.h"
#include "serve/auth.h"
#include "serve/rate_limiter.h"

namespace hybridrec::serve {
namespace {

std::string H(std::string_view token) { return Sha256Hex(token); }

TEST(RateLimiterTest, BurstThenRefillAtTheRate) {
  RateLimiter l;
  const auto t0 = RateLimiter::Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(l.Take("k", 2.0, 3.0, t0), 0.0) << i;
  EXPECT_NEAR(l.Take("k", 2.0, 3.0, t0), 0.5, 1e-9);  // one token in 1/2 s
  EXPECT_EQ(l.Take("other", 2.0, 3.0, t0), 0.0);       // each key has its own bucket
  EXPECT_EQ(l.Take("k", 2.0, 3.0, t0 + std::chrono::milliseconds(500)), 0.0);
  EXPECT_GT(l.Take("k", 2.0, 3.0, t0 + std::chrono::milliseconds(500)), 0.0);
  // Never more than the burst, however long idle.
  const auto later = t0 + std::chrono::hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(l.Take("k", 2.0, 3.0, later), 0.0);
  EXPECT_GT(l.Take("k", 2.0, 3.0, later), 0.0);
  // A clock that goes backwards adds nothing.
  EXPECT_GT(l.Take("k", 2.0, 3.0, t0), 0.0);
}

TEST(TokensRateTest, ParsesRateAndBurstWithOrWithoutAName) {
  auto t = ParseAccessTokens("write " + H("a") + " bot rate=50/s burst=100\n" +  //
                                 "read " + H("b") + " rate=120/m\n" +            //
                                 "admin " + H("c") + " ops\n" +                  //
                                 "read " + H("d") + " rate=0.5/h\n",
                             "f");
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->entries.size(), 4u);
  EXPECT_EQ(t->entries[0].name, "bot");
  EXPECT_EQ(t->entries[0].rate_per_s, 50.0);
  EXPECT_EQ(t->entries[0].burst, 100.0);
  EXPECT_EQ(t->entries[1].name, "");
  EXPECT_EQ(t->entries[1].rate_per_s, 2.0);
  EXPECT_EQ(t->entries[1].burst, 2.0);  // default: the rate per second rounded up
  EXPECT_EQ(t->entries[2].rate_per_s, 0.0);
  EXPECT_NEAR(t->entries[3].rate_per_s, 0.5 / 3600, 1e-12);
  EXPECT_EQ(t->entries[3].burst, 1.0);
}

TEST(TokensRateTest, RefusesBadLimitsNamingLineAndField) {
  const std::string h = H("x");
  const std::pair<std::string, std::string> bad[] = {
      {"write " + h + " rate=", "field 3 (rate)"},
      {"write " + h + " rate=5", "field 3 (rate)"},
      {"write " + h + " rate=5/d", "field 3 (rate)"},
      {"write " + h + " rate=0/s", "field 3 (rate)"},
      {"write " + h + " rate=-1/s", "field 3 (rate)"},
      {"write " + h + " rate=1e3/s", "field 3 (rate)"},
      {"write " + h + " rate=1000001/s", "field 3 (rate)"},
      {"write " + h + " rate=1..2/s", "field 3 (rate)"},
      {"write " + h + " rate=./s", "field 3 (rate)"},
      {"write " + h + " n rate=5/s rate=6/s", "field 5 (rate): rate= given twice"},
      {"write " + h + " n rate=5/s burst=0", "field 5 (burst)"},
      {"write " + h + " n rate=5/s burst=2.5", "field 5 (burst)"},
      {"write " + h + " n rate=5/s burst=99999999", "field 5 (burst)"},
      {"write " + h + " n rate=5/s burst=3 burst=4", "burst= given twice"},
      {"write " + h + " n burst=3", "burst= needs a rate="},
      {"write " + h + " n extra", "field 4: unexpected 'extra'"},
      {"write " + h + " n rate=5/s extra", "field 5: unexpected 'extra'"},
  };
  for (const auto& [text, why] : bad) {
    auto t = ParseAccessTokens(text + "\n", "tok.txt");
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.status().message().rfind("tokens file tok.txt:1: ", 0), 0u) << t.status().message();
    EXPECT_NE(t.status().message().find(why), std::string::npos) << text << " -> " << t.status().message();
  }
}

TEST(TokensRateTest, AuthorizeAndLimitAnswers429WithRetryAfter) {
  auto t = ParseAccessTokens("write " + H("limited") + " bot rate=1/m burst=2\nwrite " + H("free") + "\n", "f");
  ASSERT_TRUE(t.ok());
  RateLimiter l;
  EXPECT_FALSE(AuthorizeAndLimit(*t, Role::kWrite, "Bearer limited", l));
  EXPECT_FALSE(AuthorizeAndLimit(*t, Role::kWrite, "Bearer limited", l));
  auto refused = AuthorizeAndLimit(*t, Role::kWrite, "Bearer limited", l);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(refused->Header("Retry-After"), "60");
  EXPECT_NE(refused->body.find("too_many_requests"), std::string::npos);
  EXPECT_NE(refused->body.find("'bot'"), std::string::npos);
  EXPECT_EQ(refused->body.find("limited"), std::string::npos);  // never the token itself
  // Reads (open here) count against the token when it is sent; other tokens are not limited.
  EXPECT_EQ(AuthorizeAndLimit(*t, Role::kRead, "Bearer limited", l)->status, 429);
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(AuthorizeAndLimit(*t, Role::kWrite, "Bearer free", l));
  // Refusals of access control come first.
  EXPECT_EQ(AuthorizeAndLimit(*t, Role::kWrite, "", l)->status, 401);
  EXPECT_EQ(AuthorizeAndLimit(*t, Role::kAdmin, "Bearer limited", l)->status, 403);
  EXPECT_FALSE(AuthorizeAndLimit(*t, Role::kNone, "Bearer limited", l));
  EXPECT_FALSE(AuthorizeAndLimit(*t, Role::kRead, "Bearer unknown", l));
}

TEST(TokensEnvTest, ReadsTheVariableWithSemicolonsEndingEntries) {
  ::setenv("HR_TEST_TOKENS", ("require-read; write " + H("w") + " ci rate=5/s;read " + H("r")).c_str(), 1);
  auto t = LoadAccessTokensFromEnv("HR_TEST_TOKENS");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_TRUE(t->require_read);
  ASSERT_EQ(t->entries.size(), 2u);
  EXPECT_EQ(t->entries[0].name, "ci");
  EXPECT_EQ(t->source, "$HR_TEST_TOKENS");
  auto again = ReloadAccessTokens(*t);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->entries.size(), 2u);
  ::setenv("HR_TEST_TOKENS", "write nothex", 1);
  auto bad = LoadAccessTokensFromEnv("HR_TEST_TOKENS");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("tokens file $HR_TEST_TOKENS:1: field 2 (hash)", 0), 0u)
      << bad.status().message();
  ::setenv("HR_TEST_TOKENS", "", 1);
  EXPECT_FALSE(LoadAccessTokensFromEnv("HR_TEST_TOKENS").ok());
  ::unsetenv("HR_TEST_TOKENS");
  auto missing = LoadAccessTokensFromEnv("HR_TEST_TOKENS");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("HR_TEST_TOKENS (--auth-env) is not set"), std::string::npos);
}

}  // namespace
}  // namespace hybridrec::serve
