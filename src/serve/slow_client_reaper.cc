#include "serve/slow_client_reaper.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>
#include <tuple>
#include <vector>

namespace hybridrec::serve {
namespace {

// Address and port of a sockaddr, formatted as httplib formats Request::remote_addr.
bool PeerOf(const sockaddr_storage& ss, std::string& addr, int& port) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    if (!inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf)) return false;
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (!inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf)) return false;
    port = ntohs(a->sin6_port);
  } else {
    return false;
  }
  addr = buf;
  return true;
}

}  // namespace

SlowClientReaper::SlowClientReaper(int port, std::chrono::milliseconds limit,
                                   std::function<void(const std::string&)> log)
    : port_(port), limit_(limit), log_(std::move(log)) {}

SlowClientReaper::~SlowClientReaper() { Stop(); }

void SlowClientReaper::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(stop_mu_);
    while (!stop_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
      lock.unlock();
      Sweep();
      lock.lock();
    }
  });
}

void SlowClientReaper::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SlowClientReaper::Begin(const std::string& addr, int port) {
  const uint64_t key = Key(addr, port);
  Shard& s = ShardOf(key);
  std::lock_guard lock(s.mu);
  ++s.conns[key].in_handler;
}

void SlowClientReaper::End(const std::string& addr, int port) {
  const uint64_t key = Key(addr, port);
  const auto now = Clock::now();
  Shard& s = ShardOf(key);
  std::lock_guard lock(s.mu);
  Conn& c = s.conns[key];
  if (c.in_handler > 0) --c.in_handler;
  c.last_done = now;
}

void SlowClientReaper::Sweep() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return;
  std::vector<std::tuple<int, uint64_t, std::string>> socks;  // fd, key, "addr:port"
  while (const dirent* e = ::readdir(d)) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == ::dirfd(d)) continue;
    struct stat st {};
    if (::fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage local{}, peer{};
    socklen_t ll = sizeof local, pl = sizeof peer;
    if (::getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &ll) != 0) continue;
    std::string laddr, paddr;
    int lport = 0, pport = 0;
    if (!PeerOf(local, laddr, lport) || lport != port_) continue;
    if (::getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &pl) != 0) continue;  // listener
    if (!PeerOf(peer, paddr, pport)) continue;
    socks.emplace_back(static_cast<int>(fd), Key(paddr, pport), paddr + ":" + std::to_string(pport));
  }
  ::closedir(d);

  const auto now = Clock::now();
  std::vector<std::pair<int, std::string>> cut;
  for (Shard& sh : shards_) {
    std::lock_guard lock(sh.mu);
    for (auto& [k, c] : sh.conns) c.seen = false;
  }
  for (const auto& [fd, key, name] : socks) {
    Shard& sh = ShardOf(key);
    std::lock_guard lock(sh.mu);
    auto [it, inserted] = sh.conns.try_emplace(key);
    Conn& c = it->second;
    if (inserted) c.last_done = now;  // first seen: the clock starts now
    c.seen = true;
    if (c.in_handler == 0 && now - c.last_done > limit_) {
      cut.emplace_back(fd, name);
      c.last_done = now;  // do not cut twice
    }
  }
  for (Shard& sh : shards_) {
    std::lock_guard lock(sh.mu);
    for (auto it = sh.conns.begin(); it != sh.conns.end();) {
      if (!it->second.seen && it->second.in_handler == 0) it = sh.conns.erase(it);
      else ++it;
    }
  }
  for (const auto& [fd, key] : cut) {
    ::shutdown(fd, SHUT_RDWR);
    reaped_.fetch_add(1);
    if (log_) log_("cut off a connection that completed no request for " + std::to_string(limit_.count()) +
                   " ms: " + key);
  }
}

}  // namespace hybridrec::serve
