// The OpenAPI 3.0 description served at GET /openapi.json. Kept in sync with the route table by
// serve_openapi_test (every registered route is documented, every documented route exists).
#include "serve/api.h"

namespace hybridrec::serve {
namespace {

constexpr const char* kOpenApi = R"JSON({
  "openapi": "3.0.3",
  "info": {
    "title": "hybridrec",
    "version": "1",
    "description": "Hybrid (content + collaborative) top-K recommender over one trained model. Errors: {\"error\": {\"code\", \"message\"}} with 400 (malformed JSON, wrong types, k out of 1..1000, empty item list), 404 (unknown item or route), 405, 409, 413 (body over 1 MiB), 415 (POST without application/json). Unknown users are not an error: they get the cold-start path. Access control (hybridrec serve --auth FILE): POST /v1/events and POST /v1/items then need a bearer token with the role write or admin, POST /admin/reload one with the role admin; no, malformed or unknown token: 401 with WWW-Authenticate: Bearer; too small a role: 403. The other endpoints stay open, unless the tokens file has the line require-read: then they need a token with any role too, except /healthz, /readyz and the web page."
  },
  "paths": {
    "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "alive", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok"]}}}}}}}}},
    "/readyz": {"get": {"summary": "Readiness (a model is loaded)", "responses": {
      "200": {"description": "ready", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string"}, "model_version": {"type": "string"}}}}}},
      "503": {"$ref": "#/components/responses/Error"}}}},
    "/metrics": {"get": {"summary": "Prometheus text exposition: hybridrec_http_requests_total{route,method,status}, hybridrec_http_request_duration_seconds (histogram per route), hybridrec_model_info{version}, hybridrec_events_stored, hybridrec_items_added", "responses": {"200": {"description": "metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
    "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3 document", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/v1/model": {"get": {"summary": "The loaded model", "responses": {"200": {"description": "model information", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModelInfo"}}}}}}},
    "/v1/report": {"get": {"summary": "The evaluation report.json given by --report DIR", "responses": {
      "200": {"description": "report.json as written by hybridrec evaluate --report", "content": {"application/json": {"schema": {"type": "object"}}}},
      "404": {"$ref": "#/components/responses/Error"}}}},
    "/v1/embedding-map": {"get": {"summary": "2-D PCA of the item embeddings, main genre = first genre", "responses": {
      "200": {"description": "points", "content": {"application/json": {"schema": {"type": "object", "properties": {"model_version": {"type": "string"}, "items": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "genre": {"type": "string"}, "x": {"type": "number"}, "y": {"type": "number"}}}}}}}}},
      "409": {"$ref": "#/components/responses/Error"}}}},
    "/v1/users/{id}": {"get": {"summary": "A user's history (training and events since), newest events first", "parameters": [{"$ref": "#/components/parameters/UserId"}], "responses": {
      "200": {"description": "history (an unknown user has known=false and an empty history)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserHistory"}}}},
      "400": {"$ref": "#/components/responses/Error"}}}},
    "/v1/users/{id}/recommendations": {"get": {"summary": "Top-K for a user (events since training are folded in)", "parameters": [
        {"$ref": "#/components/parameters/UserId"}, {"$ref": "#/components/parameters/K"},
        {"name": "explain", "in": "query", "schema": {"type": "boolean", "default": false}},
        {"name": "exclude_seen", "in": "query", "schema": {"type": "boolean", "default": true}},
        {"name": "include_genre", "in": "query", "description": "only items with one of these genres (comma-separated, case-insensitive); include_<attribute> works for every item attribute (genre, tag); several attributes must all match", "schema": {"type": "string"}, "example": "Comedy,Drama"},
        {"name": "exclude_genre", "in": "query", "description": "leave out items with any of these genres; exclude_<attribute> for every attribute", "schema": {"type": "string"}},
        {"name": "include_tag", "in": "query", "schema": {"type": "string"}},
        {"name": "exclude_tag", "in": "query", "schema": {"type": "string"}},
        {"name": "exclude_items", "in": "query", "description": "item ids never to recommend (comma-separated, at most 5000)", "schema": {"type": "string"}},
        {"name": "added_since", "in": "query", "description": "only items dated at or after YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or epoch seconds (added items: when added; trained items: the year in their title)", "schema": {"type": "string"}},
        {"name": "new_boost", "in": "query", "description": "add new_boost * 2^(-age_days / new_half_life_days) to the score of dated items", "schema": {"type": "number", "minimum": 0, "maximum": 100, "default": 0}},
        {"name": "new_half_life_days", "in": "query", "schema": {"type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 36500, "default": 30}},
        {"name": "diversity", "in": "query", "description": "MMR re-ranking over the content embeddings (0: off)", "schema": {"type": "number", "minimum": 0, "maximum": 1, "default": 0}},
        {"name": "calibration", "in": "query", "description": "calibrate the list to the user's genre mix (Steck 2018; 0: off)", "schema": {"type": "number", "minimum": 0, "maximum": 1, "default": 0}}],
      "responses": {"200": {"description": "recommendations", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Recommendations"}}}},
        "400": {"$ref": "#/components/responses/Error"}}}},
    "/v1/recommendations": {"post": {"summary": "Top-K for an anonymous user given items (fold-in on the fly; nothing stored)",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RecommendationsRequest"}}}},
      "responses": {"200": {"description": "recommendations", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Recommendations"}}}},
        "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
        "413": {"$ref": "#/components/responses/Error"}, "415": {"$ref": "#/components/responses/Error"}}}},
    "/v1/items": {"post": {"summary": "Add an item: embedded with the model's encoder, indexed, persisted, recommendable at once (cold item)", "security": [{"bearer": []}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewItem"}}}},
      "responses": {"201": {"description": "the item", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}},
        "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
        "409": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "415": {"$ref": "#/components/responses/Error"}}}},
    "/v1/items/fresh": {"get": {"summary": "The newest added items, newest first, with how often the service served them since the process started (in-memory counts, reset on restart): lists that held them, distinct known users, best rank", "parameters": [
        {"name": "k", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 20}}],
      "responses": {"200": {"description": "fresh items", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FreshItems"}}}},
        "400": {"$ref": "#/components/responses/Error"}}}},
    "/v1/items/{id}": {"get": {"summary": "One item", "parameters": [{"$ref": "#/components/parameters/ItemId"}], "responses": {
      "200": {"description": "the item", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}},
      "404": {"$ref": "#/components/responses/Error"}}}},
    "/v1/items/{id}/similar": {"get": {"summary": "Items similar to an item", "parameters": [
        {"$ref": "#/components/parameters/ItemId"}, {"$ref": "#/components/parameters/K"},
        {"name": "mode", "in": "query", "schema": {"type": "string", "enum": ["content", "collab", "hybrid"], "default": "hybrid"}}],
      "responses": {"200": {"description": "similar items", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Similar"}}}},
        "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/v1/search": {"get": {"summary": "Semantic search over the catalogue", "parameters": [
        {"name": "q", "in": "query", "required": true, "schema": {"type": "string"}}, {"$ref": "#/components/parameters/K"}],
      "responses": {"200": {"description": "hits", "content": {"application/json": {"schema": {"type": "object", "properties": {"query": {"type": "string"}, "encoder": {"type": "string"}, "note": {"type": "string"}, "items": {"type": "array", "items": {"type": "object", "properties": {"item": {"$ref": "#/components/schemas/ItemRef"}, "score": {"type": "number"}}}}}}}}},
        "400": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/v1/events": {"post": {"summary": "Record one event or a batch (at most 1000); validated as a whole and persisted before the reply", "security": [{"bearer": []}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"oneOf": [
        {"$ref": "#/components/schemas/Event"},
        {"type": "object", "required": ["events"], "properties": {"events": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {"$ref": "#/components/schemas/Event"}}}}]}}}},
      "responses": {"200": {"description": "stored", "content": {"application/json": {"schema": {"type": "object", "properties": {"accepted": {"type": "integer"}, "events_stored": {"type": "integer"}}}}}},
        "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"}, "404": {"$ref": "#/components/responses/Error"},
        "413": {"$ref": "#/components/responses/Error"}, "415": {"$ref": "#/components/responses/Error"}}}},
    "/admin/reload": {"post": {"summary": "Reload the model directory (and the tokens file of --auth) and replay the stored items and events (also on SIGHUP); requests in flight finish on the old model", "security": [{"bearer": []}],
      "responses": {"200": {"description": "reloaded", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string"}, "model_version": {"type": "string"}, "items_replayed": {"type": "integer"}, "events_replayed": {"type": "integer"}, "events_skipped": {"type": "integer"}, "events_in_model_through": {"type": "integer"}}}}}},
        "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/Forbidden"},
        "409": {"$ref": "#/components/responses/Error"}, "415": {"$ref": "#/components/responses/Error"}}}},
    "/v1/experiments": {"get": {"summary": "The running online experiment (serve --experiments FILE): name, salt, arms with shares and ranker overrides; an empty list when none", "responses": {
      "200": {"description": "experiments", "content": {"application/json": {"schema": {"type": "object", "properties": {"experiments": {"type": "array", "items": {"type": "object"}}}}}}}}}},
    "/v1/experiments/{name}": {"get": {"summary": "Online metrics of the running experiment per arm, from the stored exposures and events: users, exposures, CTR@K and conversions per user with 95% intervals (users are the unit of analysis), each arm's difference from the first arm (Welch's test, normal approximation: interval and two-sided p-value), and the same over time (series). Computed at most every 2 s unless fresh=true.", "parameters": [
        {"name": "name", "in": "path", "required": true, "schema": {"type": "string", "maxLength": 64}},
        {"name": "fresh", "in": "query", "schema": {"type": "boolean", "default": false}}],
      "responses": {"200": {"description": "report", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ExperimentReport"}}}},
        "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}}}}
  },
  "components": {
    "parameters": {
      "UserId": {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
      "ItemId": {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
      "K": {"name": "k", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10}}
    },
    "securitySchemes": {
      "bearer": {"type": "http", "scheme": "bearer", "description": "A token from hybridrec token, listed (as its SHA-256) in the tokens file given to hybridrec serve --auth FILE. Only checked when the server runs with --auth."}
    },
    "responses": {
      "Error": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unauthorized": {"description": "no, malformed or unknown bearer token (with --auth)", "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer realm=\"hybridrec\""}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Forbidden": {"description": "the token's role is too small for this endpoint (with --auth)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "schemas": {
      "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "enum": ["bad_request", "unauthorized", "forbidden", "not_found", "method_not_allowed", "conflict", "payload_too_large", "unsupported_media_type", "unavailable", "internal"]},
        "message": {"type": "string"}}}}},
      "ItemRef": {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "genres": {"type": "array", "items": {"type": "string"}}}},
      "Item": {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "genres": {"type": "array", "items": {"type": "string"}}, "tags": {"type": "array", "items": {"type": "string"}}, "description": {"type": "string"}, "popularity": {"type": "number"}, "has_factor": {"type": "boolean"}, "factor": {"type": "string", "enum": ["trained", "estimated", "none"]}, "source": {"type": "string", "enum": ["catalogue", "added"]}}},
      "NewItem": {"type": "object", "required": ["id", "title"], "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "genres": {"type": "array", "items": {"type": "string"}}, "tags": {"type": "array", "items": {"type": "string"}}, "description": {"type": "string"}}},
      "Event": {"type": "object", "required": ["user", "item"], "properties": {"user": {"type": "string"}, "item": {"type": "string"}, "strength": {"type": "number", "exclusiveMinimum": true, "minimum": 0, "default": 1}, "timestamp": {"type": "integer", "description": "seconds since the epoch; default: time of receipt"}, "request_id": {"type": "string", "maxLength": 64, "description": "the request_id of the recommendation response the event came from (attributes the outcome to that list)"}}},
      "RecommendationsRequest": {"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}, "strength": {"type": "number", "default": 1}}}},
        "k": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10}, "explain": {"type": "boolean", "default": false}, "exclude_seen": {"type": "boolean", "default": true},
        "include": {"type": "object", "description": "attribute (genre, tag) -> values: an item must have one value of each attribute given", "additionalProperties": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 256}},
        "exclude": {"type": "object", "description": "attribute -> values: items with any of them are left out", "additionalProperties": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 256}},
        "exclude_items": {"type": "array", "maxItems": 5000, "items": {"type": "string"}},
        "added_since": {"type": "string", "description": "YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, or an integer of epoch seconds"},
        "new_boost": {"type": "number", "minimum": 0, "maximum": 100, "default": 0}, "new_half_life_days": {"type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 36500, "default": 30},
        "diversity": {"type": "number", "minimum": 0, "maximum": 1, "default": 0}, "calibration": {"type": "number", "minimum": 0, "maximum": 1, "default": 0}}},
      "Contribution": {"type": "object", "properties": {"item": {"$ref": "#/components/schemas/ItemRef"}, "contribution": {"type": "number"}}},
      "ExperimentReport": {"type": "object", "properties": {
        "name": {"type": "string"}, "salt": {"type": "string"}, "ctr_k": {"type": "integer"}, "attribution_window_s": {"type": "integer"}, "conversion_min_strength": {"type": "number"}, "control": {"type": "string"}, "start": {"type": "integer"}, "end": {"type": "integer"}, "test": {"type": "string"},
        "exposures_queued": {"type": "integer"}, "exposure_write_failures": {"type": "integer"},
        "arms": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "share": {"type": "number"}, "users": {"type": "integer"}, "exposures": {"type": "integer"}, "impressions": {"type": "integer"}, "clicks": {"type": "integer"}, "conversions": {"type": "integer"}, "ctr_at_k": {"$ref": "#/components/schemas/Estimate"}, "conversions_per_user": {"$ref": "#/components/schemas/Estimate"}}}},
        "differences": {"type": "array", "items": {"$ref": "#/components/schemas/Difference"}},
        "series": {"type": "array", "items": {"type": "object", "properties": {"time": {"type": "integer"}, "arms": {"type": "array", "items": {"type": "object"}}, "differences": {"type": "array", "items": {"$ref": "#/components/schemas/Difference"}}}}}}},
      "Estimate": {"type": "object", "properties": {"mean": {"type": "number"}, "lo": {"type": "number", "nullable": true}, "hi": {"type": "number", "nullable": true}, "users": {"type": "integer"}}},
      "Difference": {"type": "object", "properties": {"metric": {"type": "string", "enum": ["ctr_at_k", "conversions_per_user"]}, "arm": {"type": "string"}, "diff": {"type": "number"}, "lo": {"type": "number", "nullable": true}, "hi": {"type": "number", "nullable": true}, "p_value": {"type": "number", "nullable": true}}},
      "Recommendations": {"type": "object", "properties": {
        "user": {"type": "string"}, "known": {"type": "boolean"}, "events_since_training": {"type": "integer"},
        "request_id": {"type": "string", "description": "32 hex digits, unique per response; send it back with the events the list led to"},
        "experiment": {"type": "object", "nullable": true, "description": "the running experiment and the user's arm (null for anonymous lists or without an experiment)", "properties": {"name": {"type": "string"}, "arm": {"type": "string"}}},
        "path": {"type": "string", "enum": ["hybrid", "collab", "content", "popularity"]},
        "weight": {"type": "number"}, "popularity_weight": {"type": "number"}, "recent_weight": {"type": "number"}, "recent_items": {"type": "integer"}, "cooccurrence_weight": {"type": "number"}, "signals": {"type": "object", "additionalProperties": {"type": "number"}}, "history_size": {"type": "integer"}, "model_version": {"type": "string"},
        "filters": {"type": "object", "description": "only when a filter was given", "properties": {"include": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}, "exclude": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}, "exclude_items": {"type": "integer"}, "added_since": {"type": "integer"}, "eligible": {"type": "integer", "description": "unseen items that pass the filters"}, "short": {"type": "boolean", "description": "fewer than k items: fewer are eligible"}}},
        "rerank": {"type": "object", "description": "only when diversity or calibration > 0", "properties": {"diversity": {"type": "number"}, "calibration": {"type": "number"}, "calibration_kl": {"type": "object", "properties": {"before": {"type": "number"}, "after": {"type": "number"}}}}},
        "new_boost": {"type": "object", "properties": {"weight": {"type": "number"}, "half_life_days": {"type": "number"}}},
        "items": {"type": "array", "items": {"type": "object", "properties": {
          "rank": {"type": "integer"}, "item": {"$ref": "#/components/schemas/ItemRef"}, "score": {"type": "number"},
          "collab": {"type": "number", "nullable": true}, "content": {"type": "number", "nullable": true},
          "z_collab": {"type": "number"}, "z_content": {"type": "number"}, "z_popularity": {"type": "number"}, "z_fresh": {"type": "number"}, "added": {"type": "boolean"}, "z_recent": {"type": "number"}, "z_cooccurrence": {"type": "number"},
          "explanation": {"type": "object", "properties": {"content": {"type": "array", "items": {"$ref": "#/components/schemas/Contribution"}}, "collab": {"type": "array", "items": {"$ref": "#/components/schemas/Contribution"}}, "fresh": {"type": "array", "items": {"$ref": "#/components/schemas/Contribution"}}}}}}}}},
      "Similar": {"type": "object", "properties": {"item": {"$ref": "#/components/schemas/ItemRef"}, "mode": {"type": "string"}, "model_version": {"type": "string"},
        "items": {"type": "array", "items": {"type": "object", "properties": {"item": {"$ref": "#/components/schemas/ItemRef"}, "score": {"type": "number"}, "content": {"type": "number", "nullable": true}, "collab": {"type": "number", "nullable": true}}}}}},
      "UserHistory": {"type": "object", "properties": {"user": {"type": "string"}, "known": {"type": "boolean"}, "in_training": {"type": "boolean"}, "events_since_training": {"type": "integer"},
        "history": {"type": "array", "items": {"type": "object", "properties": {"item": {"$ref": "#/components/schemas/ItemRef"}, "strength": {"type": "number"}, "timestamp": {"type": "integer", "nullable": true}, "source": {"type": "string", "enum": ["train", "event"]}}}}}},
      "FreshItems": {"type": "object", "properties": {"model_version": {"type": "string"}, "items_added": {"type": "integer"},
        "counting_since": {"type": "integer", "description": "when this process started counting, seconds since the epoch"},
        "lists_served": {"type": "integer"}, "max_users_per_item": {"type": "integer"},
        "items": {"type": "array", "items": {"type": "object", "properties": {"item": {"$ref": "#/components/schemas/ItemRef"},
          "added_at": {"type": "integer", "description": "seconds since the epoch"},
          "lists": {"type": "integer"}, "users": {"type": "integer", "description": "distinct known users; at least this many when users_capped"},
          "users_capped": {"type": "boolean"}, "best_rank": {"type": "integer", "nullable": true}}}}}},
      "ModelInfo": {"type": "object", "properties": {"model_version": {"type": "string"}, "created": {"type": "string"}, "dataset_fingerprint": {"type": "string"}, "num_users": {"type": "integer"}, "num_items": {"type": "integer"}, "items_added": {"type": "integer"}, "live_users": {"type": "integer"}, "events_stored": {"type": "integer"}, "encoder": {"type": "object", "nullable": true}, "ranker": {"type": "object"}, "params": {"type": "object"}, "path": {"type": "string"}}}
    }
  }
})JSON";

}  // namespace

const std::string& OpenApiDocument() {
  static const std::string doc(kOpenApi);
  return doc;
}

}  // namespace hybridrec::serve
