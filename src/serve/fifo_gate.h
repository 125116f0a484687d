// FifoGate: at most `limit` holders at a time, the others admitted strictly in arrival order.
//
// The service runs one worker thread per connection (cpp-httplib); with 64 busy connections on
// 2 cores the kernel scheduler, not arrival order, decides which request computes next, and
// unlucky requests wait several rounds (the latency tail). Gating the compute part
// of each request (ranking, formatting) to about one holder per core serves requests first come,
// first served and keeps each core's caches on one request at a time.
//
// Thread-safety: all methods may be called from many threads. Each waiter sleeps on its own
// condition variable (on its stack), so a release wakes exactly the next thread in line.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

namespace hybridrec::serve {

class FifoGate {
 public:
  // limit 0 = no gate (Enter/Leave do nothing).
  explicit FifoGate(size_t limit) : limit_(limit) {}
  FifoGate(const FifoGate&) = delete;
  FifoGate& operator=(const FifoGate&) = delete;

  void Enter();
  void Leave();
  size_t waiting() const {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

  class Scope {
   public:
    explicit Scope(FifoGate& g) : g_(g) { g_.Enter(); }
    ~Scope() { g_.Leave(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    FifoGate& g_;
  };

 private:
  struct Waiter {
    std::condition_variable cv;
    bool admitted = false;
  };
  const size_t limit_;
  mutable std::mutex mu_;
  size_t holders_ = 0;
  std::deque<Waiter*> queue_;
};

}  // namespace hybridrec::serve
