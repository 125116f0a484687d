#include "serve/fifo_gate.h"

namespace hybridrec::serve {

void FifoGate::Enter() {
  if (limit_ == 0) return;
  std::unique_lock lock(mu_);
  if (holders_ < limit_ && queue_.empty()) {
    ++holders_;
    return;
  }
  Waiter w;
  queue_.push_back(&w);
  w.cv.wait(lock, [&w] { return w.admitted; });  // the releaser handed its place over
}

void FifoGate::Leave() {
  if (limit_ == 0) return;
  std::lock_guard lock(mu_);
  if (queue_.empty()) {
    --holders_;
    return;
  }
  Waiter* next = queue_.front();
  queue_.pop_front();
  next->admitted = true;
  // Under the lock: the waiter cannot return (and destroy its Waiter) before we are done with
  // it. Notifying after unlocking raced with a waiter that woke spuriously, returned and exited
  // its thread (found by ThreadSanitizer).
  next->cv.notify_one();
}

}  // namespace hybridrec::serve
