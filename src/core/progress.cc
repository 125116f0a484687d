#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

namespace hybridrec {

bool Progress::StderrIsTty() { return ::isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string label, size_t total, bool quiet)
    : label_(std::move(label)), total_(total), active_(!quiet && StderrIsTty()),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() {
  if (active_ && !finished_) Finish();
}

double Progress::ElapsedSeconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::Update(size_t done, const std::string& extra) {
  if (!active_) return;
  const auto now = std::chrono::steady_clock::now();
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
  std::fprintf(stderr, "\r\033[K%s done in %.2fs  %s\n", label_.c_str(), ElapsedSeconds(), extra.c_str());
  std::fflush(stderr);
}

}  // namespace hybridrec
