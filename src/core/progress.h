// Progress display for long jobs (training, embedding, evaluation) on an interactive terminal.
// Writes a single self-overwriting line to stderr when stderr is a TTY and not quiet;
// otherwise prints nothing. Not thread-safe: call Update from one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace hybridrec {

class Progress {
 public:
  // `total` = 0 means unknown. `quiet` forces silence (e.g. --quiet).
  Progress(std::string label, size_t total, bool quiet);
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
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace hybridrec
