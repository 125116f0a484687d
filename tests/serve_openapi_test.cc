// The OpenAPI document and the API contract stay in sync with the routes the server registers.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "serve/server.h"

namespace {
using hybridrec::serve::HttpServer;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

TEST(ServeOpenApiTest, EveryRouteIsDocumentedAndViceVersa) {
  const auto doc = nlohmann::json::parse(HttpServer::OpenApiDocument());
  ASSERT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  std::set<std::pair<std::string, std::string>> routes, documented;
  for (const auto& r : HttpServer::Routes()) routes.insert({Lower(r.method), r.path});
  for (const auto& [path, ops] : doc["paths"].items())
    for (const auto& [method, op] : ops.items()) {
      documented.insert({method, path});
      EXPECT_TRUE(op.contains("responses")) << method << " " << path;
    }
  for (const auto& r : routes) EXPECT_TRUE(documented.count(r)) << "undocumented route " << r.first << " " << r.second;
  for (const auto& d : documented) EXPECT_TRUE(routes.count(d)) << "documented but not served " << d.first << " " << d.second;
  EXPECT_GE(routes.size(), 16u);
}

// The operations that need a token with --auth declare the bearer scheme and their 401 and 403.
TEST(ServeOpenApiTest, ProtectedOperationsDeclareBearerAnd401And403) {
  const auto doc = nlohmann::json::parse(HttpServer::OpenApiDocument());
  EXPECT_EQ(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
  int protected_ops = 0;
  for (const auto& [path, ops] : doc["paths"].items())
    for (const auto& [method, op] : ops.items()) {
      const bool writes = method == "post" && path != "/v1/recommendations";
      EXPECT_EQ(op.contains("security"), writes) << method << " " << path;
      if (!writes) continue;
      ++protected_ops;
      EXPECT_EQ(op["security"], nlohmann::json::parse(R"([{"bearer": []}])")) << path;
      EXPECT_TRUE(op["responses"].contains("401")) << path;
      EXPECT_TRUE(op["responses"].contains("403")) << path;
    }
  EXPECT_EQ(protected_ops, 3);
}

TEST(ServeOpenApiTest, EveryRefResolves) {
  const auto doc = nlohmann::json::parse(HttpServer::OpenApiDocument());
  std::vector<const nlohmann::json*> stack = {&doc};
  int refs = 0;
  while (!stack.empty()) {
    const nlohmann::json* j = stack.back();
    stack.pop_back();
    if (j->is_object()) {
      if (j->contains("$ref")) {
        const std::string ref = (*j)["$ref"];
        ASSERT_EQ(ref.rfind("#/", 0), 0u) << ref;
        EXPECT_NO_THROW((void)doc.at(nlohmann::json::json_pointer(ref.substr(1)))) << ref;
        ++refs;
      }
      for (const auto& [k, v] : j->items()) stack.push_back(&v);
    } else if (j->is_array()) {
      for (const auto& v : *j) stack.push_back(&v);
    }
  }
  EXPECT_GT(refs, 20);
}

TEST(ServeOpenApiTest, ApiDocMentionsEveryRoute) {
  std::ifstream f(std::string(HYBRIDREC_SOURCE_DIR) + "/docs/api.md");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string md = ss.str();
  ASSERT_FALSE(md.empty());
  for (const auto& r : HttpServer::Routes())
    EXPECT_NE(md.find(r.method + " " + r.path), std::string::npos) << r.method << " " << r.path << " missing from docs/api.md";
}

}  // namespace
