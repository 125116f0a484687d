#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

namespace hybridrec {

bool Progress::StderrIsTty() { return ::isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string label, size_t total, bool quiet, double log_interval_s)
    : label_(std::move(label)), total_(total), active_(!quiet), tty_(active_ && StderrIsTty()),
      log_interval_s_(log_interval_s), start_(std::chrono::steady_clock::now()) {
  if (!tty_) last_draw_ = start_;  // the first plain line comes one interval in
}

Progress::~Progress() {
  if (active_ && !finished_) Finish();
}

double Progress::ElapsedSeconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::Update(size_t done, const std::string& extra) {
  if (!active_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!tty_) {
    if (std::chrono::duration<double>(now - last_draw_).count() < log_interval_s_) return;
    last_draw_ = now;
    logged_ = true;
    const double el = ElapsedSeconds();
    if (total_ > 0) {
      std::fprintf(stderr, "%s %zu/%zu (%d%%)  %.1fs  %s\n", label_.c_str(), done, total_,
                   static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total_)), el,
                   extra.c_str());
    } else {
      std::fprintf(stderr, "%s %zu  %.1fs  %s\n", label_.c_str(), done, el, extra.c_str());
    }
    std::fflush(stderr);
    return;
  }
  // Redraw at most ~20 times a second, but always draw the last step.
  if (done != total_ && now - last_draw_ < std::chrono::milliseconds(50)) return;
  last_draw_ = now;
  const double el = ElapsedSeconds();
  if (total_ > 0) {
    const int width = 24;
    const int filled = static_cast<int>(static_cast<double>(width) * static_cast<double>(done) / static_cast<double>(total_));
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r\033[K%s [%s] %zu/%zu  %.1fs  %s", label_.c_str(), bar.c_str(), done, total_, el, extra.c_str());
  } else {
    std::fprintf(stderr, "\r\033[K%s %zu  %.1fs  %s", label_.c_str(), done, el, extra.c_str());
  }
  std::fflush(stderr);
}

void Progress::Finish(const std::string& extra) {
  if (!active_ || finished_) return;
  finished_ = true;
  if (!tty_) {
    if (logged_) std::fprintf(stderr, "%s done in %.2fs  %s\n", label_.c_str(), ElapsedSeconds(), extra.c_str());
    std::fflush(stderr);
    return;
  }
  std::fprintf(stderr, "\r\033[K%s done in %.2fs  %s\n", label_.c_str(), ElapsedSeconds(), extra.c_str());
  std::fflush(stderr);
}

}  // namespace hybridrec
