#include "serve/router.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <stdexcept>

#include "serve/responses.h"

namespace hybridrec::serve {
namespace {

// "/a/b/" -> {"a", "b", ""}; "/" -> {""}.
std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

bool IsPlaceholder(std::string_view seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

const char* ErrorCode(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 413: return "payload_too_large";
    case 414: return "uri_too_long";
    case 415: return "unsupported_media_type";
    case 429: return "too_many_requests";
    case 431: return "headers_too_large";
    case 503: return "unavailable";
    default: return status >= 500 ? "internal" : "bad_request";
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

}  // namespace

std::optional<std::string_view> HttpRequest::Query(std::string_view name) const {
  const auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return std::string_view(it->second);
}

const std::string& HttpRequest::PathParam(std::string_view name) const {
  static const std::string kEmpty;
  for (const auto& [k, v] : path_params)
    if (k == name) return v;
  return kEmpty;
}

std::string_view HttpResponse::Header(std::string_view name) const {
  if (EqualsIgnoreCase(name, "Content-Type")) return content_type;
  for (const auto& [k, v] : headers)
    if (EqualsIgnoreCase(k, name)) return v;
  return {};
}

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = std::string(kJsonContentType);
  r.body = std::move(body);
  return r;
}

HttpResponse ErrorResponse(int status, std::string_view message) {
  return JsonResponse(status,
                      ErrorJson(ErrorCode(status), message).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case Status::Code::kInvalidArgument: return 400;
    case Status::Code::kNotFound: return 404;
    case Status::Code::kUnsupported: return 409;
    case Status::Code::kCorruption: return 409;
    case Status::Code::kUnavailable: return 503;
    default: return 500;
  }
}

HttpResponse ErrorResponse(const Status& s) { return ErrorResponse(HttpStatusOf(s), s.message()); }

bool IsJsonContentType(std::string_view ct) {
  std::string_view media = ct.substr(0, ct.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return EqualsIgnoreCase(media, "application/json");
}

void Router::Add(std::string method, std::string path_template, RouteHandler handler, RouteOptions options) {
  if (path_template.empty() || path_template.front() != '/')
    throw std::invalid_argument("Router: route template must start with '/': " + path_template);
  Route r;
  for (const std::string_view seg : Split(path_template)) {
    if (seg.front() == '{' && !IsPlaceholder(seg))
      throw std::invalid_argument("Router: bad placeholder in " + path_template);
    r.segments.emplace_back(seg);
  }
  r.handler = std::move(handler);
  r.options = std::move(options);
  routes_.push_back(std::move(r));
  infos_.push_back({std::move(method), std::move(path_template)});
}

void Router::SetFallback(std::vector<std::string> reserved_prefixes, RouteHandler handler) {
  reserved_ = std::move(reserved_prefixes);
  fallback_ = std::move(handler);
}

bool Router::IsReserved(std::string_view path) const {
  for (const std::string& p : reserved_) {
    if (!path.starts_with(p)) continue;
    if (p.ends_with('/') || path.size() == p.size() || path[p.size()] == '/') return true;
  }
  return false;
}

HttpResponse Router::Call(const Route& route, HttpRequest& request) const {
  if (route.options.guard)
    if (std::optional<HttpResponse> refused = route.options.guard(request)) return std::move(*refused);
  if (route.options.json_body && !IsJsonContentType(request.content_type))
    return ErrorResponse(415, "POST bodies must be JSON: send the header 'Content-Type: application/json'");
  return route.handler(request);
}

Router::Result Router::Handle(HttpRequest req) const {
  const auto segs = Split(req.path);
  std::string allow;
  size_t path_route = unmatched_index();
  size_t answering = unmatched_index();  // the route whose handler runs (for the 500 below)
  try {
    for (size_t r = 0; r < routes_.size(); ++r) {
      const auto& tsegs = routes_[r].segments;
      if (tsegs.size() != segs.size()) continue;
      req.path_params.clear();
      bool ok = true;
      for (size_t i = 0; i < segs.size() && ok; ++i) {
        if (IsPlaceholder(tsegs[i])) {
          if (segs[i].empty()) ok = false;
          else req.path_params.emplace_back(tsegs[i].substr(1, tsegs[i].size() - 2), segs[i]);
        } else {
          ok = tsegs[i] == segs[i];
        }
      }
      if (!ok) continue;
      const std::string& method = infos_[r].method;
      if (req.method == method || (req.method == "HEAD" && method == "GET")) {
        answering = r;
        return {Call(routes_[r], req), r};
      }
      if (!allow.empty()) allow += ", ";
      allow += method;
      path_route = r;
    }
    req.path_params.clear();
    if (!allow.empty()) {
      HttpResponse res =
          ErrorResponse(405, "method " + req.method + " is not allowed on " + req.path + " (allowed: " + allow + ")");
      res.headers.emplace_back("Allow", allow);
      return {std::move(res), path_route};
    }
    if (fallback_ && !IsReserved(req.path)) {
      if (req.method == "GET" || req.method == "HEAD") {
        answering = fallback_index();
        return {fallback_(req), fallback_index()};
      }
      HttpResponse res =
          ErrorResponse(405, "method " + req.method + " is not allowed on " + req.path + " (static files: GET)");
      res.headers.emplace_back("Allow", "GET, HEAD");
      return {std::move(res), unmatched_index()};
    }
    return {ErrorResponse(404, "no such route: " + req.method + " " + req.path + " (see /openapi.json)"),
            unmatched_index()};
  } catch (const std::exception& e) {
    return {ErrorResponse(500, std::string("internal error: ") + e.what()), answering};
  }
}

}  // namespace hybridrec::serve
