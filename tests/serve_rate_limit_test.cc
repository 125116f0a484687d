// Access control extras end to end: tokens from an environment variable (--auth-env), per-token
// rate limits answered 429 with Retry-After, and --public-read over a require-read tokens file.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/file_util.h"
#include "serve_test_util.h"

namespace {
using namespace serve_test;

TEST(ServeRateLimitTest, TokensFromTheEnvironmentRateLimitsAndPublicRead) {
  const fs::path dir = TempDir("rate_limit");
  ASSERT_TRUE(TrainSmallModel(dir / "model"));
  const std::string writer = "hrt_rate_limited_writer", reader = "hrt_plain_reader";
  const std::string tokens = "require-read;write " + hybridrec::Sha256Hex(writer) + " ingest rate=1/m burst=3;read " +
                             hybridrec::Sha256Hex(reader);
  ::setenv("HR_IT_TOKENS", tokens.c_str(), 1);
  ServerProcess s;
  ASSERT_TRUE(s.Start({"--model", (dir / "model").string(), "--db", ":memory:", "--auth-env", "HR_IT_TOKENS",
                       "--public-read"}))
      << s.log();
  ::unsetenv("HR_IT_TOKENS");
  EXPECT_NE(s.log().find("tokens from $HR_IT_TOKENS"), std::string::npos) << s.log();
  EXPECT_EQ(s.log().find(writer), std::string::npos);  // tokens are never logged

  // --public-read: reads need no token although the tokens say require-read.
  auto open = s.Client();
  EXPECT_EQ(open.Get("/v1/users/1/recommendations?k=3")->status, 200);
  EXPECT_EQ(PostJson(open, "/v1/events", R"({"user": "u", "item": "2"})")->status, 401);

  auto w = s.Client();
  w.set_bearer_token_auth(writer);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(PostJson(w, "/v1/events", R"({"user": "u", "item": "2"})")->status, 200) << i;
  auto r = PostJson(w, "/v1/events", R"({"user": "u", "item": "2"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429) << r->body;
  const int retry = std::atoi(r->get_header_value("Retry-After").c_str());
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 60);
  EXPECT_EQ(Json(r)["error"]["code"], "too_many_requests");
  // Reads sent with the limited token count against it too; other tokens are not limited.
  EXPECT_EQ(w.Get("/v1/users/1/recommendations?k=3")->status, 429);
  auto rd = s.Client();
  rd.set_bearer_token_auth(reader);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(rd.Get("/v1/users/1/recommendations?k=3")->status, 200);
  const std::string metrics = open.Get("/metrics")->body;
  EXPECT_NE(metrics.find("route=\"/v1/events\",method=\"POST\",status=\"429\"} 1\n"), std::string::npos) << metrics;
  s.Kill(SIGTERM);
  fs::remove_all(dir);
}

TEST(ServeRateLimitTest, BadTokenSourcesStopTheServerNamingThem) {
  const fs::path dir = TempDir("rate_limit_bad");
  std::string out;
  ::unsetenv("HR_IT_NO_TOKENS");
  EXPECT_EQ(RunCli("serve --model " + (dir / "m").string() + " --port 0 --auth-env HR_IT_NO_TOKENS", &out), 1);
  EXPECT_NE(out.find("HR_IT_NO_TOKENS (--auth-env) is not set"), std::string::npos) << out;
  ::setenv("HR_IT_BAD_TOKENS", ("write " + hybridrec::Sha256Hex("x") + " n rate=fast").c_str(), 1);
  EXPECT_EQ(RunCli("serve --model " + (dir / "m").string() + " --port 0 --auth-env HR_IT_BAD_TOKENS", &out), 1);
  EXPECT_NE(out.find("$HR_IT_BAD_TOKENS:1: field 4 (rate)"), std::string::npos) << out;
  EXPECT_EQ(RunCli("serve --model " + (dir / "m").string() + " --port 0 --auth-env HR_IT_BAD_TOKENS --auth " +
                       (dir / "t.txt").string(),
                   &out),
            1);
  EXPECT_NE(out.find("give one source of tokens"), std::string::npos) << out;
  ::unsetenv("HR_IT_BAD_TOKENS");
  fs::remove_all(dir);
}

}  // namespace
