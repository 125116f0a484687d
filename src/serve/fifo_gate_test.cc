#include "serve/fifo_gate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace hybridrec::serve {
namespace {

TEST(FifoGate, NeverMoreHoldersThanTheLimit) {
  FifoGate gate(3);
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        FifoGate::Scope turn(gate);
        const int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --inside;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_LE(most.load(), 3);
  EXPECT_GE(most.load(), 1);
  EXPECT_EQ(gate.waiting(), 0u);
}

TEST(FifoGate, WaitersAreAdmittedInArrivalOrder) {
  FifoGate gate(1);
  gate.Enter();  // the test holds the only place
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      FifoGate::Scope turn(gate);
      std::lock_guard lock(mu);
      order.push_back(t);
    });
    // Wait until thread t is queued before starting the next one, so arrival order is known.
    while (gate.waiting() < static_cast<size_t>(t + 1)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  gate.Leave();
  for (auto& t : threads) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

TEST(FifoGate, LimitZeroIsNoGate) {
  FifoGate gate(0);
  for (int i = 0; i < 10; ++i) gate.Enter();  // would block with any limit below 10
  EXPECT_EQ(gate.waiting(), 0u);
  for (int i = 0; i < 10; ++i) gate.Leave();
}

}  // namespace
}  // namespace hybridrec::serve
