// SlowClientReaper: cuts off connections that hold a worker without completing requests.
//
// httplib's read timeout applies to each recv(), so a client that sends one byte per second
// (slowloris) never trips it and would hold a worker thread for as long as it likes. The reaper
// tracks, per connection (peer address and port), when it last finished a request or was first
// seen, and whether a handler is running for it. Once a second it lists the process's sockets
// connected to the server's port (/proc/self/fd + getsockname/getpeername) and shuts down those
// that have gone `limit` without completing a request and are not inside a handler; the worker's
// next recv() then fails and httplib closes the connection. Idle keep-alive connections are closed
// by httplib itself after its keep-alive timeout, well before the limit.
//
// Thread-safety: Begin/End may be called from many threads; Start/Stop from one.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace hybridrec::serve {

class SlowClientReaper {
 public:
  using Clock = std::chrono::steady_clock;
  // `log` (optional) gets one line per connection cut off.
  SlowClientReaper(int port, std::chrono::milliseconds limit, std::function<void(const std::string&)> log = {});
  ~SlowClientReaper();

  void Start();
  void Stop();
  // Around each request handler, with the peer's address and port as httplib reports them.
  void Begin(const std::string& addr, int port);
  void End(const std::string& addr, int port);
  uint64_t reaped() const { return reaped_.load(); }
  // One pass over the sockets (the thread calls it every second; exposed for tests).
  void Sweep();

 private:
  struct Conn {
    Clock::time_point last_done;
    int in_handler = 0;
    bool seen = false;  // found by the last sweep
  };
  // Peer address and port folded into 64 bits (port in the low 16); no allocation per request.
  static uint64_t Key(std::string_view addr, int port) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (const char c : addr) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    return (h << 16) ^ static_cast<uint64_t>(port & 0xffff);
  }
  static constexpr size_t kShards = 16;
  struct Shard {
    std::mutex mu;
    std::unordered_map<uint64_t, Conn> conns;
  };
  Shard& ShardOf(uint64_t key) { return shards_[(key & 0xffff) % kShards]; }

  const int port_;
  const std::chrono::milliseconds limit_;
  std::function<void(const std::string&)> log_;
  std::array<Shard, kShards> shards_;
  std::atomic<uint64_t> reaped_{0};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace hybridrec::serve
