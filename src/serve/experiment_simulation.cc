#include "serve/experiment_simulation.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <unordered_map>

#include "serve/api.h"
#include "serve/experiment_runtime.h"
#include "serve/live_state.h"

namespace hybridrec::serve {

using nlohmann::json;

const json* ReportDifference(const json& report, std::string_view metric) {
  if (!report.is_object() || !report.contains("differences")) return nullptr;
  for (const json& d : report["differences"])
    if (d.value("metric", "") == metric) return &d;
  return nullptr;
}

Result<SimulationOutcome> SimulateExperiment(const std::filesystem::path& model_dir, const Experiment& experiment,
                                             const std::vector<SimulatedUser>& users,
                                             const SimulationOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  HR_ASSIGN_OR_RETURN(auto store, store::OpenEventStore(options.db));
  HR_ASSIGN_OR_RETURN(auto state, LiveState::Open(model_dir, std::move(store)));
  ApiOptions api_options;
  api_options.compute_slots = 0;
  std::shared_ptr<ExperimentRuntime> runtime;
  auto clock = std::make_shared<std::atomic<int64_t>>(options.start_time);
  if (options.run_experiment) {
    ExposureLogOptions xo;
    xo.flush_ms = options.exposure_flush_ms;
    HR_ASSIGN_OR_RETURN(runtime, ExperimentRuntime::Open(state->mutable_store(), "", xo));
    runtime->Set(experiment);
    runtime->set_clock([clock] { return clock->load(); });
    api_options.experiments = runtime;
  }
  Api api(*state, std::move(api_options), nullptr);
  SimulationOutcome out;
  std::vector<double> ms;
  ms.reserve(users.size());
  for (size_t u = 0; u < users.size(); ++u) {
    const SimulatedUser& user = users[u];
    const int64_t now = options.start_time + static_cast<int64_t>(u) * options.seconds_per_user;
    clock->store(now);
    HttpRequest get;
    get.method = "GET";
    get.path = "/v1/users/" + user.id + "/recommendations";
    get.query.emplace("k", std::to_string(options.k));
    const auto r0 = std::chrono::steady_clock::now();
    const HttpResponse res = api.Handle(std::move(get));
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - r0).count());
    if (res.status != 200)
      return Status::IOError("simulated user '" + user.id + "': recommendations answered " +
                              std::to_string(res.status) + ": " + res.body.substr(0, 300));
    ++out.requests;
    const json body = json::parse(res.body);
    std::unordered_map<std::string, float> wants;
    for (size_t i = 0; i < user.items.size(); ++i)
      wants.emplace(user.items[i], i < user.strengths.size() ? user.strengths[i] : 1.f);
    json events = json::array();
    for (const json& it : body["items"]) {
      const std::string id = it["item"]["id"].get<std::string>();
      if (const auto w = wants.find(id); w != wants.end())
        events.push_back({{"user", user.id},
                          {"item", id},
                          {"strength", w->second},
                          {"timestamp", now + 1},
                          {"request_id", body["request_id"]}});
    }
    if (events.empty()) continue;
    HttpRequest post;
    post.method = "POST";
    post.path = "/v1/events";
    post.content_type = "application/json";
    out.clicks += events.size();
    post.body = json{{"events", std::move(events)}}.dump();
    const HttpResponse pr = api.Handle(std::move(post));
    if (pr.status != 200)
      return Status::IOError("simulated user '" + user.id + "': events answered " + std::to_string(pr.status) + ": " +
                              pr.body.substr(0, 300));
  }
  if (!ms.empty()) {
    std::sort(ms.begin(), ms.end());
    out.median_request_ms = ms[ms.size() / 2];
    out.p99_request_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  }
  if (runtime) {
    HR_RETURN_IF_ERROR(runtime->Flush());
    HttpRequest rep;
    rep.method = "GET";
    rep.path = "/v1/experiments/" + experiment.name;
    rep.query.emplace("fresh", "true");
    const HttpResponse rr = api.Handle(std::move(rep));
    if (rr.status != 200) return Status::IOError("experiment report answered " + std::to_string(rr.status) + ": " + rr.body);
    out.report = json::parse(rr.body);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace hybridrec::serve
