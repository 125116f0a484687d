#include "core/progress.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace hybridrec {

namespace {

// "1.23M/s", "456/s": the rate of `done` over `el` seconds, empty before anything is done.
std::string Rate(size_t done, double el) {
  if (done == 0 || el <= 0) return "";
  const double r = static_cast<double>(done) / el;
  char buf[32];
  if (r >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM/s", r / 1e6);
  else if (r >= 1e4) std::snprintf(buf, sizeof buf, "%.1fk/s", r / 1e3);
  else if (r >= 10) std::snprintf(buf, sizeof buf, "%.0f/s", r);
  else std::snprintf(buf, sizeof buf, "%.2f/s", r);
  return buf;
}

// "1m05s left" from the rate so far; empty when unknown.
std::string Left(size_t done, size_t total, double el) {
  if (done == 0 || total == 0 || done >= total || el <= 0) return "";
  const double left = el * static_cast<double>(total - done) / static_cast<double>(done);
  char buf[32];
  if (left >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm left", static_cast<int>(left / 3600), static_cast<int>(left / 60) % 60);
  else if (left >= 60) std::snprintf(buf, sizeof buf, "%dm%02ds left", static_cast<int>(left / 60), static_cast<int>(left) % 60);
  else std::snprintf(buf, sizeof buf, "%.0fs left", left);
  return buf;
}

}  // namespace

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
      std::fprintf(stderr, "%s %zu/%zu (%d%%)  %.1fs  %s  %s  %s\n", label_.c_str(), done, total_,
                   static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total_)), el,
                   Rate(done, el).c_str(), Left(done, total_, el).c_str(), extra.c_str());
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
    std::fprintf(stderr, "\r\033[K%s [%s] %zu/%zu  %.1fs  %s  %s  %s", label_.c_str(), bar.c_str(), done, total_, el,
                 Rate(done, el).c_str(), Left(done, total_, el).c_str(), extra.c_str());
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
