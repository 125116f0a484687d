#include "serve/model_watch.h"

#include <sys/stat.h>

#include <utility>

#include "model/model_dir.h"

namespace hybridrec::serve {

ModelWatcher::ModelWatcher(std::filesystem::path model_dir, std::chrono::milliseconds interval,
                           std::function<void()> on_change)
    : manifest_(std::move(model_dir) / std::string(kManifestName)),
      interval_(interval),
      on_change_(std::move(on_change)),
      last_(Current()) {}

ModelWatcher::~ModelWatcher() { Stop(); }

std::optional<ModelWatcher::Identity> ModelWatcher::Current() const {
  struct stat st {};
  if (::stat(manifest_.c_str(), &st) != 0) return std::nullopt;
  Identity id;
  id.dev = static_cast<uint64_t>(st.st_dev);
  id.ino = static_cast<uint64_t>(st.st_ino);
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return id;
}

bool ModelWatcher::Poll() {
  const std::optional<Identity> now = Current();
  if (!now || (last_ && *now == *last_)) return false;
  last_ = now;
  ++changes_;
  if (on_change_) on_change_();
  return true;
}

void ModelWatcher::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stop_; })) {
      lock.unlock();
      Poll();
      lock.lock();
    }
  });
}

void ModelWatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace hybridrec::serve
