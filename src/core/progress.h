// Progress display for long jobs (training, embedding, evaluation, tuning grids) on stderr.
// Unless quiet: on a terminal, a single self-overwriting line with a bar; otherwise (a log
// file, a pipe) a plain line at most every `log_interval_s` seconds, and a final "done" line
// when a plain line was written, so jobs shorter than the interval leave logs untouched.
// Not thread-safe: call Update from one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace hybridrec {

class Progress {
 public:
  static constexpr double kDefaultLogIntervalSeconds = 15.0;

  // `total` = 0 means unknown. `quiet` forces silence (e.g. --quiet).
  Progress(std::string label, size_t total, bool quiet, double log_interval_s = kDefaultLogIntervalSeconds);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Sets the done count and an optional extra text (e.g. "loss 1.23e4").
  void Update(size_t done, const std::string& extra = "");
  // Ends the line (prints a final state with a newline when active).
  void Finish(const std::string& extra = "");
  double ElapsedSeconds() const;
  bool active() const { return active_; }

  // True when stderr is a terminal (exposed for callers that print their own output).
  static bool StderrIsTty();

 private:
  std::string label_;
  size_t total_;
  bool active_;
  bool tty_;                  // bar on a terminal, else plain lines
  double log_interval_s_;
  bool logged_ = false;       // a plain line was written
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
};

// A Progress that several threads advance together (e.g. the blocks of a ParallelFor): Add is
// thread-safe and never waits; the display is redrawn by whichever thread finds it free.
class ConcurrentProgress {
 public:
  ConcurrentProgress(std::string label, size_t total, bool quiet,
                     double log_interval_s = Progress::kDefaultLogIntervalSeconds)
      : progress_(std::move(label), total, quiet, log_interval_s) {}
  void Add(size_t n) {
    const size_t done = done_.fetch_add(n, std::memory_order_relaxed) + n;
    std::unique_lock lock(mu_, std::try_to_lock);
    if (lock.owns_lock()) progress_.Update(done);
  }
  // Call once the threads are done.
  void Finish(const std::string& extra = "") {
    std::lock_guard lock(mu_);
    progress_.Update(done_.load());
    progress_.Finish(extra);
  }

 private:
  Progress progress_;
  std::atomic<size_t> done_{0};
  std::mutex mu_;
};

}  // namespace hybridrec
