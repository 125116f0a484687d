#include "serve/static_files.h"

#include <gtest/gtest.h>

#include <fstream>

namespace hybridrec::serve {
namespace {
namespace fs = std::filesystem;

TEST(ServeStaticTest, ResolvesInsideTheRootOnly) {
  const fs::path root = fs::temp_directory_path() / ("hr_static_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "assets");
  std::ofstream(root / "index.html") << "<html></html>";
  std::ofstream(root / "assets" / "app.js") << "1";
  fs::create_symlink("/etc/passwd", root / "escape");

  EXPECT_EQ(ResolveStaticPath(root, "/").value(), root / "index.html");
  EXPECT_EQ(ResolveStaticPath(root, "/assets/app.js").value(), root / "assets" / "app.js");
  EXPECT_EQ(ResolveStaticPath(root, "/assets/").value(), root / "assets" / "index.html");
  for (const char* bad : {"/../etc/passwd", "/assets/../../x", "/./index.html", "/a\\..\\b", "relative",
                          "", "/escape", "/a\x01"})
    EXPECT_FALSE(ResolveStaticPath(root, bad).has_value()) << bad;
  fs::remove_all(root);
}

TEST(ServeStaticTest, ContentTypes) {
  EXPECT_EQ(ContentTypeFor("a/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("x.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("x.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("x.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("x.bin"), "application/octet-stream");
  EXPECT_NE(MissingWebRootPage("/x<y").find("make web"), std::string::npos);
  EXPECT_EQ(MissingWebRootPage("/x<y").find("x<y"), std::string::npos);  // escaped
}

TEST(ServeStaticTest, ServesFilesAndTheAppShell) {
  const fs::path root = fs::temp_directory_path() / ("hr_static_serve_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "assets");
  std::ofstream(root / "assets" / "app.js") << "let a = 1;";
  // No index.html yet: "/" and the app's routes say how to build the page.
  HttpResponse r = ServeStaticFile(root, "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("make web"), std::string::npos);
  std::ofstream(root / "index.html") << "<html>app</html>";
  r = ServeStaticFile(root, "/assets/app.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(r.body, "let a = 1;");
  r = ServeStaticFile(root, "/users/42");  // a route of the single-page app
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "<html>app</html>");
  r = ServeStaticFile(root, "/assets/missing.js");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, kJsonContentType);
  EXPECT_NE(r.body.find("\"not_found\""), std::string::npos);
  EXPECT_EQ(ServeStaticFile(root, "/../etc/passwd").status, 404);
  fs::remove_all(root);
}

}  // namespace
}  // namespace hybridrec::serve
