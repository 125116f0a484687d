#include "serve/experiment_runtime.h"

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "ranking/ranker_options.h"
#include "serve/metrics.h"

namespace hybridrec::serve {

using nlohmann::json;
using store::StoredEvent;
using store::StoredExposure;

namespace {

int64_t WallSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

ExperimentRuntime::ExperimentRuntime(store::EventStore& store, std::filesystem::path file, ExposureLogOptions options,
                                     std::function<void(const std::string&)> log)
    : store_(store), file_(std::move(file)), options_(options), log_(std::move(log)) {}

Result<std::unique_ptr<ExperimentRuntime>> ExperimentRuntime::Open(store::EventStore& store,
                                                                   std::filesystem::path file,
                                                                   ExposureLogOptions options,
                                                                   std::function<void(const std::string&)> log) {
  if (store.schema_version() < 3)
    return Status::Unsupported(store.description() + ": exposures need event store schema version 3");
  std::unique_ptr<ExperimentRuntime> r(new ExperimentRuntime(store, std::move(file), options, std::move(log)));
  if (!r->file_.empty()) {
    HR_ASSIGN_OR_RETURN(Experiment e, LoadExperiment(r->file_));
    r->Set(std::move(e));
  }
  if (options.flush_ms > 0) r->writer_ = std::thread([p = r.get()] { p->WriterLoop(); });
  return r;
}

ExperimentRuntime::~ExperimentRuntime() {
  {
    std::lock_guard lock(queue_mu_);
    stop_ = true;
  }
  queue_cv_.notify_all();
  room_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  // Whatever is still queued gets one last synchronous attempt.
  std::vector<StoredExposure> rest(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
  if (!rest.empty()) {
    const Status s = store_.AppendExposures(rest);
    if (s.ok())
      written_ += static_cast<int64_t>(rest.size());
    else
      Log("LOST " + std::to_string(rest.size()) + " exposures at shutdown: " + s.message());
  }
}

Status ExperimentRuntime::Reload() {
  if (file_.empty()) return Status::Ok();
  auto e = LoadExperiment(file_);
  if (!e.ok()) return Status::Corruption(e.status().message() + " (the current experiment stays)");
  Log("experiment '" + e->name + "' from " + file_.string() + ": " + std::to_string(e->arms.size()) + " arms");
  Set(std::move(e).value());
  return Status::Ok();
}

void ExperimentRuntime::Set(Experiment e) {
  auto p = std::make_shared<const Experiment>(std::move(e));
  std::lock_guard lock(mu_);
  experiment_ = std::move(p);
  rankers_.assign(experiment_->arms.size(), CachedRanker{});
}

std::shared_ptr<const Experiment> ExperimentRuntime::current() const {
  std::lock_guard lock(mu_);
  return experiment_;
}

std::shared_ptr<const HybridRanker> ExperimentRuntime::RankerFor(const std::shared_ptr<const Snapshot>& snap,
                                                                 const std::shared_ptr<const Experiment>& experiment,
                                                                 size_t arm) {
  if (!experiment || arm >= experiment->arms.size() || experiment->arms[arm].ranker.empty()) return nullptr;
  {
    std::lock_guard lock(mu_);
    if (experiment_ == experiment && arm < rankers_.size()) {
      const CachedRanker& c = rankers_[arm];
      if (c.ranker && c.experiment == experiment && c.snap.lock() == snap) return c.ranker;
    }
  }
  // Build outside the lock (a few milliseconds over a large catalogue).
  const TrainedModel& m = snap->model();
  json merged = RankerOptionsToJson(m.ranker);
  for (const auto& [k, v] : experiment->arms[arm].ranker.items()) merged[k] = v;
  auto opts = RankerOptionsFromJson(merged);
  if (!opts.ok()) {
    Log("arm '" + experiment->arms[arm].name + "': " + opts.status().message() + "; the model's ranker serves it");
    return nullptr;
  }
  std::shared_ptr<const HybridRanker> ranker;
  try {
    ranker = std::make_shared<const HybridRanker>(m.als.get(), snap->embeddings(), snap->dim(), snap->index(),
                                                  snap->popularity(), *opts, std::span<const uint8_t>{},
                                                  m.NeighboursFor(*opts), std::vector<std::shared_ptr<const Signal>>{},
                                                  m.factor_index.get());
  } catch (const std::exception& e) {
    Log("arm '" + experiment->arms[arm].name + "': " + e.what() + "; the model's ranker serves it");
    return nullptr;
  }
  std::lock_guard lock(mu_);
  if (experiment_ == experiment && arm < rankers_.size()) rankers_[arm] = CachedRanker{snap, experiment, ranker};
  return ranker;
}

Status ExperimentRuntime::Record(StoredExposure exposure) {
  {
    std::lock_guard lock(counts_mu_);
    ++recorded_[{exposure.experiment, exposure.arm}];
  }
  if (options_.flush_ms <= 0) {
    const Status s = store_.AppendExposures(std::span<const StoredExposure>(&exposure, 1));
    if (s.ok())
      ++written_;
    else
      ++failures_;
    return s;
  }
  std::unique_lock lock(queue_mu_);
  room_cv_.wait(lock, [&] { return queue_.size() < options_.max_pending || stop_; });
  queue_.push_back(std::move(exposure));
  if (queue_.size() >= options_.batch) queue_cv_.notify_one();
  return Status::Ok();
}

void ExperimentRuntime::WriterLoop() {
  std::unique_lock lock(queue_mu_);
  int backoff_ms = 0;
  while (true) {
    const auto wait = std::chrono::milliseconds(backoff_ms > 0 ? backoff_ms : options_.flush_ms);
    queue_cv_.wait_for(lock, wait, [&] {
      return stop_ || (backoff_ms == 0 && (queue_.size() >= options_.batch || flushes_asked_ > flushes_done_));
    });
    if (stop_) return;  // the destructor writes the rest
    const uint64_t asked = flushes_asked_;
    if (queue_.empty()) {
      flushes_done_ = asked;
      room_cv_.notify_all();
      continue;
    }
    const size_t n = std::min(queue_.size(), options_.batch);
    std::vector<StoredExposure> batch(std::make_move_iterator(queue_.begin()),
                                      std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    in_flight_ = n;
    lock.unlock();
    const Status s = store_.AppendExposures(batch);
    lock.lock();
    in_flight_ = 0;
    last_write_ = s;
    if (s.ok()) {
      written_ += static_cast<int64_t>(n);
      if (backoff_ms > 0) Log("exposure log: writing again (" + std::to_string(queue_.size()) + " queued)");
      backoff_ms = 0;
      if (queue_.empty()) flushes_done_ = asked;
    } else {
      ++failures_;
      // Back at the front, in order: retried after a pause.
      queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
      if (backoff_ms == 0)
        Log("exposure log: cannot write " + std::to_string(n) + " exposures (kept, retrying): " + s.message());
      backoff_ms = std::min(5000, std::max(50, 2 * backoff_ms));
      flushes_done_ = asked;  // a Flush() waiting gets the failure
    }
    room_cv_.notify_all();
  }
}

Status ExperimentRuntime::Flush() {
  if (options_.flush_ms <= 0) return Status::Ok();
  std::unique_lock lock(queue_mu_);
  while (true) {
    const uint64_t ticket = ++flushes_asked_;
    queue_cv_.notify_one();
    room_cv_.wait(lock, [&] { return flushes_done_ >= ticket || stop_; });
    if (stop_ || !last_write_.ok() || (queue_.empty() && in_flight_ == 0)) return last_write_;
  }
}

size_t ExperimentRuntime::pending() const {
  std::lock_guard lock(queue_mu_);
  return queue_.size() + in_flight_;
}

void ExperimentRuntime::set_clock(std::function<int64_t()> clock) {
  std::lock_guard lock(mu_);
  clock_ = std::move(clock);
}

int64_t ExperimentRuntime::Now() const {
  std::function<int64_t()> c;
  {
    std::lock_guard lock(mu_);
    c = clock_;
  }
  return c ? c() : WallSeconds();
}

Result<json> ExperimentRuntime::Report(const std::string& name, bool fresh) {
  const auto e = current();
  if (!e || e->name != name)
    return Status::NotFound("no experiment '" + name + "' is running" +
                            (e ? " (the running one is '" + e->name + "')" : std::string(" (start serve with --experiments FILE)")));
  std::lock_guard lock(report_mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!fresh && report_ && report_name_ == name && now - report_at_ < std::chrono::milliseconds(options_.report_cache_ms))
    return *report_;
  // The exposures written so far (a flush first, so the report sees this process's lists).
  (void)Flush();
  std::vector<StoredExposure> xs;
  HR_RETURN_IF_ERROR(store_.ForEachExposure(0, [&](StoredExposure&& x) {
    if (x.experiment == name) xs.push_back(std::move(x));
  }));
  std::unordered_set<std::string> users;
  for (const auto& x : xs) users.insert(x.user);
  std::vector<StoredEvent> events;
  HR_RETURN_IF_ERROR(store_.ForEachEvent(0, [&](StoredEvent&& ev) {
    if (users.count(ev.user)) events.push_back(std::move(ev));
  }));
  const ExperimentReport r = ComputeExperimentReport(*e, xs, events);
  json j = ExperimentReportJson(*e, r);
  j["exposures_queued"] = pending();
  j["exposure_write_failures"] = failures_.load();
  report_ = std::make_shared<const json>(j);
  report_name_ = name;
  report_at_ = now;
  return j;
}

std::string ExperimentRuntime::MetricsText() {
  std::string o;
  o += "# HELP hybridrec_experiment_lists_total Recommendation lists served under an experiment by this process.\n";
  o += "# TYPE hybridrec_experiment_lists_total counter\n";
  {
    std::lock_guard lock(counts_mu_);
    for (const auto& [key, n] : recorded_)
      o += "hybridrec_experiment_lists_total{experiment=\"" + PrometheusLabelValue(key.first) + "\",arm=\"" + PrometheusLabelValue(key.second) +
           "\"} " + std::to_string(n) + "\n";
  }
  o += "# HELP hybridrec_exposures_written_total Exposures this process wrote to the event store.\n";
  o += "# TYPE hybridrec_exposures_written_total counter\n";
  o += "hybridrec_exposures_written_total " + std::to_string(written_.load()) + "\n";
  o += "# HELP hybridrec_exposures_queued Exposures waiting to be written.\n# TYPE hybridrec_exposures_queued gauge\n";
  o += "hybridrec_exposures_queued " + std::to_string(pending()) + "\n";
  o += "# HELP hybridrec_exposure_write_failures_total Exposure batches the store refused (kept and retried).\n";
  o += "# TYPE hybridrec_exposure_write_failures_total counter\n";
  o += "hybridrec_exposure_write_failures_total " + std::to_string(failures_.load()) + "\n";
  const auto e = current();
  if (!e) return o;
  auto rep = Report(e->name);
  if (!rep.ok()) return o;
  const json& r = *rep;
  const std::string ex = "experiment=\"" + PrometheusLabelValue(e->name) + "\"";
  o += "# HELP hybridrec_experiment_users Users exposed, per arm (from the event store).\n";
  o += "# TYPE hybridrec_experiment_users gauge\n";
  for (const auto& a : r["arms"])
    o += "hybridrec_experiment_users{" + ex + ",arm=\"" + PrometheusLabelValue(a["name"].get<std::string>()) + "\"} " +
         std::to_string(a["users"].get<int64_t>()) + "\n";
  o += "# HELP hybridrec_experiment_exposures Lists served, per arm (from the event store).\n";
  o += "# TYPE hybridrec_experiment_exposures gauge\n";
  for (const auto& a : r["arms"])
    o += "hybridrec_experiment_exposures{" + ex + ",arm=\"" + PrometheusLabelValue(a["name"].get<std::string>()) + "\"} " +
         std::to_string(a["exposures"].get<int64_t>()) + "\n";
  for (const char* metric : {"ctr_at_k", "conversions_per_user"}) {
    const std::string m = std::string("hybridrec_experiment_") + metric;
    o += "# HELP " + m + " Per-arm estimate with its 95% interval (stat=mean|lo|hi).\n# TYPE " + m + " gauge\n";
    for (const auto& a : r["arms"]) {
      const json& est = a[metric];
      for (const char* stat : {"mean", "lo", "hi"})
        if (!est[stat].is_null())
          o += m + "{" + ex + ",arm=\"" + PrometheusLabelValue(a["name"].get<std::string>()) + "\",stat=\"" + stat + "\"} " +
               PrometheusNumber(est[stat].get<double>()) + "\n";
    }
  }
  o += "# HELP hybridrec_experiment_difference Arm minus control, with its 95% interval (stat=diff|lo|hi).\n";
  o += "# TYPE hybridrec_experiment_difference gauge\n";
  std::string pv =
      "# HELP hybridrec_experiment_p_value Two-sided p-value of the difference (Welch, normal approximation).\n"
      "# TYPE hybridrec_experiment_p_value gauge\n";
  for (const auto& d : r["differences"]) {
    const std::string lab = ex + ",metric=\"" + d["metric"].get<std::string>() + "\",arm=\"" +
                            PrometheusLabelValue(d["arm"].get<std::string>()) + "\"";
    for (const char* stat : {"diff", "lo", "hi"})
      if (!d[stat].is_null())
        o += "hybridrec_experiment_difference{" + lab + ",stat=\"" + stat + "\"} " + PrometheusNumber(d[stat].get<double>()) + "\n";
    if (!d["p_value"].is_null()) pv += "hybridrec_experiment_p_value{" + lab + "} " + PrometheusNumber(d["p_value"].get<double>()) + "\n";
  }
  return o + pv;
}

}  // namespace hybridrec::serve
