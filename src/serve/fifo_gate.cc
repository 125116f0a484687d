#include "serve/fifo_gate.h"

namespace hybridrec::serve {

void FifoGate::Enter() {
  if (limit_ == 0) return;
  std::unique_lock lock(mu_);
  if (holders_ < limit_ && queue_.empty()) {
    ++holders_;
    return;
  }
  // One waiter per thread, living as long as the thread: Leave may notify it after unlocking.
  thread_local Waiter w;
  w.admitted = false;
  queue_.push_back(&w);
  w.cv.wait(lock, [] { return w.admitted; });  // the releaser handed its place over
}

void FifoGate::Leave() {
  if (limit_ == 0) return;
  Waiter* next;
  {
    std::lock_guard lock(mu_);
    if (queue_.empty()) {
      --holders_;
      return;
    }
    next = queue_.front();
    queue_.pop_front();
    next->admitted = true;
  }
  next->cv.notify_one();  // outside the lock, so the woken thread does not block on it at once
}

}  // namespace hybridrec::serve
