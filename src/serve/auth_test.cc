// The tokens file parser (hostile input included), the Authorization header, Authorize's
// 401/403 answers and the token generator.
#include "serve/auth.h"

#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "core/file_util.h"

namespace hybridrec::serve {
namespace {

const std::string kTokA = "hrt_a";
const std::string kTokB = "hrt_b";
const std::string kHashA = Sha256Hex(kTokA);
const std::string kHashB = Sha256Hex(kTokB);

// The error message of a refused file ("" when it was accepted).
std::string Refusal(std::string_view text) {
  auto r = ParseAccessTokens(text, "tokens.txt");
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  return r.status().message();
}

::testing::AssertionResult Mentions(const std::string& message, const std::string& part) {
  if (message.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << message << "' does not mention '" << part << "'";
}

TEST(AccessTokensTest, ParsesRolesNamesCommentsAndDirective) {
  const std::string text = "# tokens\n\n  write " + kHashA + " ingest-job\n\tadmin\t" + kHashB +
                           "   # trailing words are not comments\n";
  EXPECT_TRUE(Mentions(Refusal(text), "tokens.txt:4: field 4"));
  auto r = ParseAccessTokens("# tokens\n\n  write " + kHashA + " ingest-job\n\tadmin\t" + kHashB + "\nrequire-read\n",
                             "tokens.txt");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->entries.size(), 2u);
  EXPECT_TRUE(r->require_read);
  EXPECT_EQ(r->entries[0].role, Role::kWrite);
  EXPECT_EQ(r->entries[0].name, "ingest-job");
  EXPECT_EQ(r->entries[0].line, 3u);
  EXPECT_EQ(r->entries[1].role, Role::kAdmin);
  EXPECT_EQ(r->entries[1].name, "");
  EXPECT_EQ(r->Find(kTokA), &r->entries[0]);
  EXPECT_EQ(r->Find(kTokB), &r->entries[1]);
  EXPECT_EQ(r->Find("hrt_c"), nullptr);
  EXPECT_EQ(r->Find(""), nullptr);
  EXPECT_FALSE(ParseAccessTokens("read " + kHashA, "f")->require_read);
}

TEST(AccessTokensTest, UpperCaseHexAndCrlfAreAccepted) {
  std::string upper = kHashA;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto r = ParseAccessTokens("read " + upper + " laptop\r\nrequire-read\r\n", "f");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->entries[0].hash, kHashA);
  EXPECT_EQ(r->entries[0].name, "laptop");  // no '\r' kept
  EXPECT_TRUE(r->require_read);
  EXPECT_NE(r->Find(kTokA), nullptr);
}

TEST(AccessTokensTest, HostileInputIsAClearErrorNamingLineAndField) {
  EXPECT_TRUE(Mentions(Refusal(""), "tokens.txt: no tokens"));
  EXPECT_TRUE(Mentions(Refusal("# only comments\n\n   \n"), "no tokens"));
  EXPECT_TRUE(Mentions(Refusal("require-read\n"), "no tokens"));
  EXPECT_TRUE(Mentions(Refusal("\n\nreader " + kHashA), "tokens.txt:3: field 1 (role): 'reader'"));
  EXPECT_TRUE(Mentions(Refusal("Admin " + kHashA), "field 1 (role)"));  // roles are lower case
  EXPECT_TRUE(Mentions(Refusal("write"), "tokens.txt:1: field 2 (hash): missing"));
  EXPECT_TRUE(Mentions(Refusal("write " + kHashA.substr(1)), "field 2 (hash): 63 characters"));
  EXPECT_TRUE(Mentions(Refusal("write " + kHashA + "0"), "field 2 (hash): 65 characters"));
  EXPECT_TRUE(Mentions(Refusal("write hrt_plaintexttoken"), "field 2 (hash)"));
  EXPECT_TRUE(Mentions(Refusal("write " + kHashA.substr(0, 63) + "g"), "field 2 (hash): 'g' is not a hex digit"));
  EXPECT_TRUE(Mentions(Refusal("write " + kHashA + "\nadmin " + kHashA),
                       "tokens.txt:2: field 2 (hash): the same hash as line 1"));
  EXPECT_TRUE(Mentions(Refusal("require-read now\nread " + kHashA), "tokens.txt:1: require-read takes no arguments"));
  EXPECT_TRUE(Mentions(Refusal("read " + kHashA + " " + std::string(65, 'n')), "field 3 (name): longer than 64"));
  EXPECT_TRUE(Mentions(Refusal("read " + kHashA + " caf\xc3\xa9"), "field 3 (name): 'caf\\xc3\\xa9'"));
  EXPECT_TRUE(Mentions(Refusal("read " + kHashA + " a\x01" "b"), "field 3 (name)"));
  // NUL bytes, anywhere on a line, even in a comment.
  EXPECT_TRUE(Mentions(Refusal(std::string("read ") + kHashA + std::string("\0", 1)), "tokens.txt:1: NUL byte"));
  EXPECT_TRUE(Mentions(Refusal("read " + kHashA + "\n# x" + std::string("\0", 1) + "y\n"), "tokens.txt:2: NUL byte"));
  // A very long line, a huge file.
  EXPECT_TRUE(Mentions(Refusal("read " + kHashA + "\n#" + std::string(5000, 'x')), "tokens.txt:2: line longer"));
  EXPECT_TRUE(Mentions(Refusal(std::string(kMaxTokensFileBytes + 1, '\n')), "larger than"));
  // Binary garbage is shown escaped, on one line.
  const std::string m = Refusal("\xff\xfe\x1b[31m " + kHashA);
  EXPECT_TRUE(Mentions(m, "'\\xff\\xfe\\x1b[31m'"));
  EXPECT_EQ(m.find('\x1b'), std::string::npos);
  // A lone '\r' is not a line break; a bare CR line is blank.
  EXPECT_TRUE(Mentions(Refusal("read " + kHashA + "\rwrite " + kHashB), "field 2 (hash): 70 characters"));
  EXPECT_EQ(Refusal("\r\nread " + kHashA + "\r\n"), "");
}

TEST(AccessTokensTest, LoadNamesAMissingFile) {
  auto r = LoadAccessTokens("/nonexistent/tokens.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Mentions(r.status().message(), "/nonexistent/tokens.txt"));
}

TEST(BearerTest, HeaderParsing) {
  using E = BearerToken::Error;
  EXPECT_EQ(ParseBearer("Bearer hrt_abc").token, "hrt_abc");
  EXPECT_EQ(ParseBearer("bearer hrt_abc").token, "hrt_abc");
  EXPECT_EQ(ParseBearer("BEARER hrt_abc").token, "hrt_abc");
  EXPECT_EQ(ParseBearer("  Bearer \t  hrt_abc  \t").token, "hrt_abc");
  EXPECT_EQ(ParseBearer("Bearer aGVsbG8+/w==").token, "aGVsbG8+/w==");
  EXPECT_EQ(ParseBearer("Bearer a-b.c_d~e").token, "a-b.c_d~e");
  EXPECT_EQ(ParseBearer("").error, E::kMissing);
  EXPECT_EQ(ParseBearer("   ").error, E::kMissing);
  EXPECT_EQ(ParseBearer("Bearer").error, E::kMissing);
  EXPECT_EQ(ParseBearer("Bearer    ").error, E::kMissing);
  EXPECT_EQ(ParseBearer("Basic dXNlcjpwYXNz").error, E::kNotBearer);
  EXPECT_EQ(ParseBearer("Bearerhrt_abc").error, E::kNotBearer);
  EXPECT_EQ(ParseBearer("hrt_abc").error, E::kNotBearer);
  EXPECT_EQ(ParseBearer("Bearer two tokens").error, E::kMalformed);
  EXPECT_EQ(ParseBearer("Bearer a=b").error, E::kMalformed);
  EXPECT_EQ(ParseBearer("Bearer ==").error, E::kMalformed);
  EXPECT_EQ(ParseBearer("Bearer tok\xc3\xa9").error, E::kMalformed);
  EXPECT_EQ(ParseBearer(std::string("Bearer a\0b", 10)).error, E::kMalformed);
  EXPECT_EQ(ParseBearer("Bearer " + std::string(kMaxBearerTokenBytes, 'a')).error, E::kNone);
  EXPECT_EQ(ParseBearer("Bearer " + std::string(kMaxBearerTokenBytes + 1, 'a')).error, E::kMalformed);
  EXPECT_EQ(ParseBearer("Bearer " + std::string(1 << 20, 'a')).error, E::kMalformed);
}

TEST(AuthorizeTest, RolesAndAnswers) {
  auto tokens = ParseAccessTokens("read " + Sha256Hex("r") + "\nwrite " + Sha256Hex("w") + "\nadmin " +
                                      Sha256Hex("a"),
                                  "f");
  ASSERT_TRUE(tokens.ok());
  const AccessTokens& t = *tokens;
  // Open without a token: kNone always, kRead unless require-read.
  EXPECT_FALSE(Authorize(t, Role::kNone, ""));
  EXPECT_FALSE(Authorize(t, Role::kRead, ""));
  EXPECT_FALSE(Authorize(t, Role::kRead, "Bearer nonsense"));
  const std::pair<std::string, Role> holders[] = {{"r", Role::kRead}, {"w", Role::kWrite}, {"a", Role::kAdmin}};
  for (const Role needed : {Role::kWrite, Role::kAdmin}) {
    for (const auto& [tok, role] : holders) {
      const auto r = Authorize(t, needed, "Bearer " + tok);
      if (role >= needed) {
        EXPECT_FALSE(r) << tok;
        continue;
      }
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 403);
      const auto body = nlohmann::json::parse(r->body);
      EXPECT_EQ(body["error"]["code"], "forbidden");
      EXPECT_TRUE(Mentions(body["error"]["message"], "role '" + std::string(RoleName(needed)) + "'"));
      EXPECT_EQ(r->Header("WWW-Authenticate"), "");
    }
    for (const std::string h : {"", "Bearer", "Basic dzp3", "Bearer unknown", "Bearer a b"}) {
      const auto r = Authorize(t, needed, h);
      ASSERT_TRUE(r) << h;
      EXPECT_EQ(r->status, 401) << h;
      EXPECT_EQ(r->content_type, kJsonContentType);
      EXPECT_EQ(nlohmann::json::parse(r->body)["error"]["code"], "unauthorized");
      EXPECT_EQ(r->Header("WWW-Authenticate").substr(0, 6), "Bearer") << h;
    }
  }
  AccessTokens strict = t;
  strict.require_read = true;
  EXPECT_EQ(Authorize(strict, Role::kRead, "")->status, 401);
  for (const char* tok : {"r", "w", "a"}) EXPECT_FALSE(Authorize(strict, Role::kRead, std::string("Bearer ") + tok));
  EXPECT_FALSE(Authorize(strict, Role::kNone, ""));
}

TEST(TokenTest, NewTokensAreRandomAndTheirLineParses) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto tok = NewToken();
    ASSERT_TRUE(tok.ok());
    EXPECT_EQ(tok->size(), 68u) << *tok;
    EXPECT_EQ(tok->rfind("hrt_", 0), 0u);
    EXPECT_EQ(ParseBearer("Bearer " + *tok).token, *tok);
    EXPECT_TRUE(seen.insert(*tok).second);
  }
  const std::string tok = *seen.begin();
  const std::string line = TokenLine(Role::kAdmin, tok, "ops");
  EXPECT_EQ(line, "admin " + Sha256Hex(tok) + " ops");
  auto parsed = ParseAccessTokens(line, "f");
  ASSERT_TRUE(parsed.ok());
  ASSERT_NE(parsed->Find(tok), nullptr);
  EXPECT_EQ(parsed->Find(tok)->role, Role::kAdmin);
  EXPECT_EQ(TokenLine(Role::kRead, tok, ""), "read " + Sha256Hex(tok));
}

}  // namespace
}  // namespace hybridrec::serve
