// ModelWatcher: notices that a model directory holds a new model and calls back, so that a
// server picks up a retrained model without a signal or an admin request (`serve --watch-model`).
//
// `hybridrec train --out DIR` writes a staging directory and renames it to DIR once it is
// complete, so DIR/manifest.json changes identity (device, inode, size, modification time)
// exactly when a whole new model is in place. The watcher stats that file every `interval`; when
// its identity differs from the last one seen, it calls `on_change` once (the caller compares
// model versions and reloads). A missing manifest (the instant between the old directory moving
// aside and the new one moving in, or a deleted model) is not a change: the watcher waits for
// one to appear. A model that the reload refuses is not retried until the manifest changes again.
//
// Thread-safety: Start/Stop from one thread; Poll is called by the watcher's own thread (or by a
// test, with the thread not started).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace hybridrec::serve {

class ModelWatcher {
 public:
  // Records the manifest's current identity (a model loaded at start-up is not a change).
  ModelWatcher(std::filesystem::path model_dir, std::chrono::milliseconds interval, std::function<void()> on_change);
  ~ModelWatcher();
  ModelWatcher(const ModelWatcher&) = delete;
  ModelWatcher& operator=(const ModelWatcher&) = delete;

  void Start();
  void Stop();
  // One check; true when on_change ran.
  bool Poll();
  uint64_t changes() const { return changes_; }

 private:
  struct Identity {
    uint64_t dev = 0, ino = 0, size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Identity&) const = default;
  };
  std::optional<Identity> Current() const;

  std::filesystem::path manifest_;
  std::chrono::milliseconds interval_;
  std::function<void()> on_change_;
  std::optional<Identity> last_;
  uint64_t changes_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace hybridrec::serve
