#include "core/parallel.h"

#include <atomic>
#include <mutex>

namespace hybridrec {

void ParallelFor(size_t n, int threads, const std::function<void(size_t, size_t)>& fn, size_t grain) {
  if (n == 0) return;
  grain = std::max<size_t>(grain, 1);
  const int t = std::max(1, std::min<int>(ResolveThreads(threads), static_cast<int>((n + grain - 1) / grain)));
  if (t == 1) {
    fn(0, n);
    return;
  }
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mu;
  auto worker = [&] {
    try {
      for (;;) {
        const size_t b = next.fetch_add(grain);
        if (b >= n) break;
        fn(b, std::min(n, b + grain));
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mu);
      if (!error) error = std::current_exception();
      next.store(n);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(t - 1));
  for (int i = 1; i < t; ++i) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

size_t ParallelChunks(size_t n, size_t chunk_size, int threads,
                      const std::function<void(size_t, size_t, size_t)>& fn) {
  chunk_size = std::max<size_t>(chunk_size, 1);
  const size_t chunks = (n + chunk_size - 1) / chunk_size;
  ParallelFor(chunks, threads, [&](size_t cb, size_t ce) {
    for (size_t c = cb; c < ce; ++c) fn(c, c * chunk_size, std::min(n, (c + 1) * chunk_size));
  }, 1);
  return chunks;
}

}  // namespace hybridrec
