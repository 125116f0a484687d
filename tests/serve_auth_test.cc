// Access control end to end: `hybridrec token` prints a token and its line, `hybridrec serve
// --auth FILE` on a loopback port refuses a protected POST without the token (401) or with too
// small a role (403) and accepts it with one; SIGHUP re-reads the file; a bad file stops the
// server at start with the file and line named; serving beyond loopback without --auth warns
// (and refuses writes there).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "serve_test_util.h"

namespace {
using namespace serve_test;

// The token and the tokens-file line printed by `hybridrec token`.
struct NewToken {
  std::string token, line;
};
NewToken MakeToken(const std::string& role) {
  std::string out;
  EXPECT_EQ(RunCli("token --role " + role + " --name it-" + role, &out), 0) << out;
  NewToken t;
  std::istringstream in(out);
  std::string l;
  while (std::getline(in, l)) {
    if (l.empty() || l[0] == '#') continue;
    (t.token.empty() ? t.token : t.line) = l;
  }
  return t;
}

TEST(ServeAuthTest, ProtectedPostNeedsAToken) {
  const fs::path dir = TempDir("auth");
  ASSERT_TRUE(TrainSmallModel(dir / "model"));
  const NewToken writer = MakeToken("write"), reader = MakeToken("read");
  ASSERT_EQ(writer.token.rfind("hrt_", 0), 0u) << writer.token;
  ASSERT_EQ(writer.line.rfind("write ", 0), 0u) << writer.line;
  EXPECT_EQ(writer.line.find(writer.token), std::string::npos);  // only the hash is in the file
  const fs::path tokens = dir / "tokens.txt";
  std::ofstream(tokens) << "# clients\n" << writer.line << "\n" << reader.line << "\n";

  ServerProcess server;
  ASSERT_TRUE(server.Start({"--model", (dir / "model").string(), "--db", ":memory:", "--auth", tokens.string()}))
      << server.log();
  auto c = server.Client();
  const std::string event = R"({"user": "live", "item": "2"})";
  auto r = PostJson(c, "/v1/events", event);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << r->body;
  EXPECT_EQ(r->get_header_value("WWW-Authenticate").substr(0, 6), "Bearer");
  EXPECT_EQ(Json(r)["error"]["code"], "unauthorized");

  c.set_bearer_token_auth(reader.token);
  r = PostJson(c, "/v1/events", event);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_NE(r->body.find("'write'"), std::string::npos) << r->body;

  c.set_bearer_token_auth(writer.token);
  r = PostJson(c, "/v1/events", event);
  EXPECT_EQ(r->status, 200) << r->body;
  r = c.Post("/admin/reload", "", "application/json");
  EXPECT_EQ(r->status, 403) << r->body;

  // Reads stay open.
  auto open = server.Client();
  EXPECT_EQ(open.Get("/v1/users/live/recommendations")->status, 200);
  EXPECT_EQ(open.Get("/healthz")->status, 200);
  const std::string metrics = open.Get("/metrics")->body;
  EXPECT_NE(metrics.find("hybridrec_http_requests_rejected_total{reason=\"unauthenticated\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("hybridrec_http_requests_rejected_total{reason=\"forbidden\"} 2\n"), std::string::npos);

  // SIGHUP re-reads the file: the writer's line removed, its token is refused.
  std::ofstream(tokens) << reader.line << "\n";
  ::kill(server.pid(), SIGHUP);
  int status = 0;
  for (int i = 0; i < 100 && status != 401; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    status = PostJson(c, "/v1/events", event)->status;
  }
  EXPECT_EQ(status, 401) << server.log();
  server.Kill(SIGTERM);
  fs::remove_all(dir);
}

TEST(ServeAuthTest, BadTokensFileStopsTheServerWithFileAndLine) {
  const fs::path dir = TempDir("auth_bad");
  const fs::path tokens = dir / "tokens.txt";
  std::ofstream(tokens) << "# clients\nwrite 1234\n";
  std::string out;
  EXPECT_EQ(RunCli("serve --model " + (dir / "no-model").string() + " --port 0 --auth " + tokens.string(), &out), 1);
  EXPECT_NE(out.find(tokens.string() + ":2: field 2 (hash)"), std::string::npos) << out;
  EXPECT_EQ(RunCli("serve --model m --port 0 --auth " + (dir / "missing.txt").string(), &out), 1);
  EXPECT_NE(out.find("missing.txt"), std::string::npos) << out;
  EXPECT_EQ(RunCli("token --role root", &out), 2);
  EXPECT_NE(out.find("read, write or admin"), std::string::npos) << out;
  EXPECT_NE(RunCli("token --name 'two words'", &out), 0);
  fs::remove_all(dir);
}

TEST(ServeAuthTest, WarnsWhenServingBeyondLoopbackWithoutTokens) {
  const fs::path dir = TempDir("auth_warn");
  std::string out;
  // The model is missing, so the server stops right after the checks at start.
  EXPECT_EQ(RunCli("serve --model " + (dir / "no-model").string() + " --host 0.0.0.0 --port 0", &out), 1);
  EXPECT_NE(out.find("warning: listening on 0.0.0.0 without --auth"), std::string::npos) << out;
  EXPECT_EQ(RunCli("serve --model " + (dir / "no-model").string() + " --host 127.0.0.1 --port 0", &out), 1);
  EXPECT_EQ(out.find("warning"), std::string::npos) << out;
  fs::remove_all(dir);
}

}  // namespace
