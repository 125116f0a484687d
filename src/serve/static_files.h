// Static files for the web page served at `/` (built into web/dist by `make web`).
// Helpers: mapping a URL path to a file under the web root without ever leaving it, the
// Content-Type of a file, and the response to a GET of a static path. Thread-safety: stateless.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "serve/router.h"

namespace hybridrec::serve {

// The file under `root` that `url_path` (already percent-decoded, starting with '/') names, or
// std::nullopt when the path is unsafe: a ".." or "." segment, a backslash, a NUL or other
// control byte, or a symlink that resolves outside the root. "/" and paths ending in '/' map to
// index.html in that folder. The file need not exist (the caller checks).
std::optional<std::filesystem::path> ResolveStaticPath(const std::filesystem::path& root, std::string_view url_path);

// Content-Type by extension (html, js, mjs, css, json, svg, png, jpg, gif, ico, woff, woff2,
// map, txt, wasm); application/octet-stream otherwise.
std::string_view ContentTypeFor(const std::filesystem::path& file);

// The web root to use: `flag` when given, else $HYBRIDREC_WEB_ROOT, else <source dir>/web/dist.
std::filesystem::path DefaultWebRoot(const std::string& flag);

// The page served at `/` when the web root has no index.html: says how to build it.
std::string MissingWebRootPage(const std::filesystem::path& root);

// The answer to GET `url_path` (percent-decoded) from `root`: the file with its Content-Type;
// index.html for an extensionless path that is no file (the single-page app's own routes);
// MissingWebRootPage when there is no index.html; a JSON 404 for unsafe or missing paths.
HttpResponse ServeStaticFile(const std::filesystem::path& root, std::string_view url_path);

}  // namespace hybridrec::serve
