// ExperimentRuntime: the running online experiment of a service (experiments.h): the loaded
// experiment file, the rankers of arms with their own ranker options, the exposure log and the
// online report.
//
// Exposure log: Record() queues an exposure and returns; a writer thread appends the queue to
// the event store in one transaction every flush interval (or as soon as a batch is full).
// Durability promise: an exposure is durable at most one flush interval (plus the store's commit
// time) after its response was sent; a process killed before that loses the exposures of the
// last interval. A clean shutdown (SIGTERM/SIGINT, or the destructor) writes everything queued
// first. Nothing is dropped silently: when the store refuses a batch (database down) the batch
// stays queued and is retried with backoff, the failures are counted in /metrics and logged,
// and when the queue holds max_pending exposures the requests wait for room (latency grows
// instead of losing exposures). flush_ms = 0 writes each exposure before the response is sent.
//
// Thread-safety: every method is safe from many threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ranking/hybrid_ranker.h"
#include "serve/experiments.h"
#include "serve/snapshot.h"
#include "store/event_store.h"

namespace hybridrec::serve {

struct ExposureLogOptions {
  int flush_ms = 100;            // 0: write each exposure synchronously
  size_t max_pending = 100000;   // queued exposures before Record() waits for room
  size_t batch = 1000;           // exposures written in one transaction at most
  int report_cache_ms = 2000;    // how long a computed report is reused
};

class ExperimentRuntime {
 public:
  // Loads `file` (an empty path: no experiment until Set()). `log` gets one-line notices.
  static Result<std::unique_ptr<ExperimentRuntime>> Open(store::EventStore& store, std::filesystem::path file,
                                                         ExposureLogOptions options,
                                                         std::function<void(const std::string&)> log = nullptr);
  ~ExperimentRuntime();
  ExperimentRuntime(const ExperimentRuntime&) = delete;
  ExperimentRuntime& operator=(const ExperimentRuntime&) = delete;

  // Reads the file again; an error keeps the current experiment (the message names the file).
  Status Reload();
  // Replaces the experiment (the simulation and tests).
  void Set(Experiment e);
  std::shared_ptr<const Experiment> current() const;
  const std::filesystem::path& file() const { return file_; }

  // The ranker of `arm` over `snap`: null when the arm keeps the model's ranker options (use
  // snap->ranker()); else one built with the arm's options, cached per snapshot.
  std::shared_ptr<const HybridRanker> RankerFor(const std::shared_ptr<const Snapshot>& snap,
                                                const std::shared_ptr<const Experiment>& experiment, size_t arm);

  // Queues (or, with flush_ms 0, writes) one served list. Fails only in synchronous mode.
  Status Record(store::StoredExposure exposure);
  // Writes everything queued now; returns the store's status of the last attempt.
  Status Flush();

  // The report of the experiment named `name` (NotFound when it is not the loaded one), from
  // the store; reused for report_cache_ms unless `fresh`.
  Result<nlohmann::json> Report(const std::string& name, bool fresh = false);
  // Prometheus text: exposures logged, queued and failed writes, and the current report's
  // estimates, differences and p-values.
  std::string MetricsText();

  // The clock exposures are stamped with (seconds since the epoch); the simulation sets it.
  void set_clock(std::function<int64_t()> clock);
  int64_t Now() const;

  int64_t exposures_written() const { return written_.load(); }
  int64_t write_failures() const { return failures_.load(); }
  size_t pending() const;

 private:
  ExperimentRuntime(store::EventStore& store, std::filesystem::path file, ExposureLogOptions options,
                    std::function<void(const std::string&)> log);
  void WriterLoop();
  void Log(const std::string& line) const {
    if (log_) log_(line);
  }

  store::EventStore& store_;
  const std::filesystem::path file_;
  const ExposureLogOptions options_;
  std::function<void(const std::string&)> log_;

  mutable std::mutex mu_;  // experiment_, rankers_, clock_
  std::shared_ptr<const Experiment> experiment_;
  struct CachedRanker {
    std::weak_ptr<const Snapshot> snap;
    std::shared_ptr<const Experiment> experiment;
    std::shared_ptr<const HybridRanker> ranker;
  };
  std::vector<CachedRanker> rankers_;  // per arm
  std::function<int64_t()> clock_;

  mutable std::mutex queue_mu_;
  std::condition_variable queue_cv_;  // writer: work or stop
  std::condition_variable room_cv_;   // Record: room; Flush: done
  std::deque<store::StoredExposure> queue_;
  size_t in_flight_ = 0;
  uint64_t flushes_asked_ = 0, flushes_done_ = 0;
  Status last_write_;
  bool stop_ = false;
  std::thread writer_;
  std::atomic<int64_t> written_{0};
  std::atomic<int64_t> failures_{0};
  std::mutex counts_mu_;
  std::map<std::pair<std::string, std::string>, int64_t> recorded_;  // (experiment, arm) -> lists

  std::mutex report_mu_;
  std::string report_name_;
  std::shared_ptr<const nlohmann::json> report_;
  std::chrono::steady_clock::time_point report_at_{};
};

}  // namespace hybridrec::serve
