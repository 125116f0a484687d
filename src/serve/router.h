// Router: maps (method, path) to a handler, with no sockets involved, so the whole API can be
// driven from a unit test. Handlers take a plain HttpRequest and return a plain HttpResponse;
// server.cc only converts cpp-httplib's request and response to and from these structs.
//
// Route templates are paths whose segments may be placeholders, e.g.
// "/v1/users/{id}/recommendations"; a placeholder matches one non-empty segment and its value
// reaches the handler as a path parameter (HttpRequest::PathParam("id")). The router answers by
// itself:
//  - 405 with an Allow header for a known path under another method (HEAD is served as GET);
//  - a route's guard (RouteOptions::guard, e.g. access control) answers before anything else the
//    route checks: its refusal is the response;
//  - 415 for a route declared to take a JSON body when the Content-Type is not application/json;
//  - requests outside the reserved prefixes go to the fallback (static files) when GET or HEAD,
//    and get 405 (Allow: GET, HEAD) otherwise; anything else is 404;
//  - an exception out of a handler becomes 500.
// Every error body is {"error": {"code", "message"}} (ErrorResponse).
//
// Thread-safety: Add/SetFallback before use; Handle is safe from many threads at once (handlers
// must be too).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace hybridrec::serve {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string path;    // percent-decoded, without the query string
  std::multimap<std::string, std::string> query;  // decoded query parameters
  std::string body;
  std::string content_type;  // the Content-Type header ("" when absent)
  std::string authorization;  // the Authorization header ("" when absent)
  // Filled by the router: the values of the route template's {placeholders}, by name.
  std::vector<std::pair<std::string, std::string>> path_params;

  // The first value of query parameter `name`, or std::nullopt when absent.
  std::optional<std::string_view> Query(std::string_view name) const;
  // The value of path parameter `name` ("" when the route has no such placeholder).
  const std::string& PathParam(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type

  // The value of header `name` (case-insensitive), "" when not set.
  std::string_view Header(std::string_view name) const;
};

inline constexpr std::string_view kJsonContentType = "application/json; charset=utf-8";

// A JSON response with `body` as its text.
HttpResponse JsonResponse(int status, std::string body);
// {"error": {"code", "message"}}, the code named after the status (400 "bad_request", 401
// "unauthorized", 403 "forbidden", 404 "not_found", 405 "method_not_allowed", 409 "conflict", 413 "payload_too_large", 415
// "unsupported_media_type", 503 "unavailable", 5xx "internal", ...).
HttpResponse ErrorResponse(int status, std::string_view message);
// The same for a Status: InvalidArgument 400, NotFound 404, Unsupported and Corruption 409,
// anything else 500.
HttpResponse ErrorResponse(const Status& status);
int HttpStatusOf(const Status& status);
// True for "application/json" with any parameters (charset), case-insensitive.
bool IsJsonContentType(std::string_view content_type);

using RouteHandler = std::function<HttpResponse(const HttpRequest&)>;

struct RouteInfo {
  std::string method;  // "GET" | "POST"
  std::string path;    // template, e.g. "/v1/users/{id}/recommendations"
};

class Router {
 public:
  struct RouteOptions {
    bool json_body = false;  // the body must be sent as application/json (415 otherwise)
    // Runs first once the route matched; a response it returns is the answer (the handler does
    // not run). Empty: none.
    std::function<std::optional<HttpResponse>(const HttpRequest&)> guard;
  };

  // Registers a route. Throws std::invalid_argument for a template that does not start with
  // '/' or has an empty placeholder name.
  void Add(std::string method, std::string path_template, RouteHandler handler, RouteOptions options);
  void Add(std::string method, std::string path_template, RouteHandler handler) {
    Add(std::move(method), std::move(path_template), std::move(handler), RouteOptions{});
  }
  // Handler for GET/HEAD requests that match no route and whose path is not under one of
  // `reserved_prefixes` ("/v1" reserves "/v1" and "/v1/...", "/admin/" only "/admin/...").
  // Without a fallback, those get 404 too.
  void SetFallback(std::vector<std::string> reserved_prefixes, RouteHandler handler);

  struct Result {
    HttpResponse response;
    // Which route answered: an index into routes() (a 405 on a route's path counts for that
    // route), fallback_index() when the fallback ran, or unmatched_index() (404, and 405
    // outside the routes).
    size_t route = 0;
  };
  Result Handle(HttpRequest request) const;

  const std::vector<RouteInfo>& routes() const { return infos_; }
  size_t fallback_index() const { return infos_.size(); }
  size_t unmatched_index() const { return infos_.size() + 1; }

 private:
  struct Route {
    std::vector<std::string> segments;  // template segments; placeholders keep their braces
    RouteHandler handler;
    RouteOptions options;
  };
  HttpResponse Call(const Route& route, HttpRequest& request) const;
  bool IsReserved(std::string_view path) const;

  std::vector<Route> routes_;
  std::vector<RouteInfo> infos_;
  std::vector<std::string> reserved_;
  RouteHandler fallback_;
};

}  // namespace hybridrec::serve
