// Test helper: Redis servers for the cache tests. The shared one is started once per test run
// by the `redis` CTest fixture (scripts/test-redis.sh, URL in <build>/redis-test/url or
// $HYBRIDREC_TEST_REDIS); PrivateRedis starts one of the test's own (to kill or pause it) with
// the same script and stops it in its destructor, also when the test fails.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace hybridrec::serve::testing {

inline std::optional<std::string> TestRedisUrl() {
  if (const char* url = std::getenv("HYBRIDREC_TEST_REDIS"); url && *url) return std::string(url);
#ifdef HYBRIDREC_BINARY_DIR
  std::ifstream in(HYBRIDREC_BINARY_DIR "/redis-test/url");
  std::string url;
  if (in && std::getline(in, url) && !url.empty()) return url;
#endif
  return std::nullopt;
}

class PrivateRedis {
 public:
  explicit PrivateRedis(const std::string& name) {
    dir_ = std::filesystem::temp_directory_path() / ("hr_redis_" + std::to_string(::getpid()) + "_" + name);
    const std::string cmd = Script() + " start " + dir_.string() + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) return;
    std::ifstream in(dir_ / "url");
    std::getline(in, url_);
    std::ifstream p(dir_ / "redis.pid");
    p >> pid_;
  }
  ~PrivateRedis() { Stop(); }
  PrivateRedis(const PrivateRedis&) = delete;
  PrivateRedis& operator=(const PrivateRedis&) = delete;

  bool ok() const { return !url_.empty() && pid_ > 0; }
  const std::string& url() const { return url_; }
  void Pause() const { ::kill(pid_, SIGSTOP); }
  void Resume() const { ::kill(pid_, SIGCONT); }
  void Stop() {
    if (dir_.empty()) return;
    const std::string cmd = Script() + " stop " + dir_.string() + " >/dev/null 2>&1";
    [[maybe_unused]] const int rc = std::system(cmd.c_str());
    dir_.clear();
  }

 private:
  static std::string Script() { return std::string("bash ") + HYBRIDREC_SOURCE_DIR "/scripts/test-redis.sh"; }
  std::filesystem::path dir_;
  std::string url_;
  pid_t pid_ = -1;
};

}  // namespace hybridrec::serve::testing
