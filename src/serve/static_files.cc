#include "serve/static_files.h"

#include <cstdlib>
#include <system_error>

#include "core/file_util.h"

namespace hybridrec::serve {

namespace fs = std::filesystem;

std::optional<fs::path> ResolveStaticPath(const fs::path& root, std::string_view url_path) {
  if (url_path.empty() || url_path.front() != '/') return std::nullopt;
  fs::path rel;
  size_t pos = 1;
  while (pos <= url_path.size()) {
    size_t end = url_path.find('/', pos);
    if (end == std::string_view::npos) end = url_path.size();
    const std::string_view seg = url_path.substr(pos, end - pos);
    if (seg == "." || seg == "..") return std::nullopt;
    for (const char c : seg)
      if (c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
    if (!seg.empty()) rel /= std::string(seg);
    pos = end + 1;
  }
  if (url_path.back() == '/') rel /= "index.html";
  const fs::path file = root / rel;
  // A symlink inside the root may point elsewhere: compare canonical forms when the file exists.
  std::error_code ec;
  if (fs::exists(file, ec)) {
    const fs::path croot = fs::weakly_canonical(root, ec);
    if (ec) return std::nullopt;
    const fs::path cfile = fs::weakly_canonical(file, ec);
    if (ec) return std::nullopt;
    const auto [r, f] = std::mismatch(croot.begin(), croot.end(), cfile.begin(), cfile.end());
    if (r != croot.end()) return std::nullopt;
  }
  return file;
}

std::string_view ContentTypeFor(const fs::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html" || ext == ".htm") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".gif") return "image/gif";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff") return "font/woff";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  if (ext == ".wasm") return "application/wasm";
  return "application/octet-stream";
}

fs::path DefaultWebRoot(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("HYBRIDREC_WEB_ROOT"); env != nullptr && *env != '\0') return env;
  return fs::path(HYBRIDREC_SOURCE_DIR) / "web" / "dist";
}

std::string MissingWebRootPage(const fs::path& root) {
  std::string r;
  for (const char c : root.string()) {
    if (c == '<') r += "&lt;";
    else if (c == '>') r += "&gt;";
    else if (c == '&') r += "&amp;";
    else r += c;
  }
  return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>hybridrec</title></head><body>\n"
         "<h1>hybridrec is running</h1>\n<p>The web page is not built: no <code>index.html</code> in <code>" +
         r +
         "</code>.</p>\n<p>Build it with <code>make web</code> (npm), or point the server at a built copy with "
         "<code>--web-root DIR</code> or <code>HYBRIDREC_WEB_ROOT</code>.</p>\n"
         "<p>The JSON API works without it: see <a href=\"/openapi.json\">/openapi.json</a>.</p>\n</body></html>\n";
}

HttpResponse ServeStaticFile(const fs::path& root, std::string_view url_path) {
  auto file = ResolveStaticPath(root, url_path);
  if (!file) return ErrorResponse(404, "no such file");
  std::error_code ec;
  // Paths without an extension that are not files are routes of the single-page app.
  if (!fs::is_regular_file(*file, ec) && file->extension().empty() && url_path != "/") file = root / "index.html";
  HttpResponse res;
  if (!fs::is_regular_file(*file, ec)) {
    if (url_path == "/" || file->filename() == "index.html") {
      res.content_type = "text/html; charset=utf-8";
      res.body = MissingWebRootPage(root);
      return res;
    }
    return ErrorResponse(404, "no such file: " + std::string(url_path));
  }
  auto body = ReadFile(*file);
  if (!body.ok()) return ErrorResponse(404, "cannot read " + std::string(url_path));
  res.content_type = std::string(ContentTypeFor(*file));
  res.body = std::move(body).value();
  return res;
}

}  // namespace hybridrec::serve
