#include "serve/model_watch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace hybridrec::serve {
namespace {
namespace fs = std::filesystem;

fs::path FreshDir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("hr_watch_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// As `train` does: the new manifest is written elsewhere and renamed into place.
void ReplaceManifest(const fs::path& dir, const std::string& text) {
  const fs::path tmp = dir / ".manifest.tmp";
  std::ofstream(tmp) << text;
  fs::rename(tmp, dir / "manifest.json");
}

TEST(ModelWatcher, CallsBackOncePerNewManifest) {
  const fs::path dir = FreshDir("poll");
  ReplaceManifest(dir, "{\"v\": 1}");
  int calls = 0;
  ModelWatcher w(dir, std::chrono::milliseconds(1000), [&] { ++calls; });
  EXPECT_FALSE(w.Poll());  // the model present at start is not a change
  ReplaceManifest(dir, "{\"v\": 2}");
  EXPECT_TRUE(w.Poll());
  EXPECT_FALSE(w.Poll());  // seen once, not again
  EXPECT_EQ(calls, 1);
  // The directory gone (between the old one moving aside and the new one moving in): no change.
  fs::remove(dir / "manifest.json");
  EXPECT_FALSE(w.Poll());
  ReplaceManifest(dir, "{\"v\": 3}");
  EXPECT_TRUE(w.Poll());
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(w.changes(), 2u);
  fs::remove_all(dir);
}

TEST(ModelWatcher, StartsWithoutAManifestAndNoticesTheFirst) {
  const fs::path dir = FreshDir("absent");
  int calls = 0;
  ModelWatcher w(dir, std::chrono::milliseconds(1000), [&] { ++calls; });
  EXPECT_FALSE(w.Poll());
  ReplaceManifest(dir, "{}");
  EXPECT_TRUE(w.Poll());
  EXPECT_EQ(calls, 1);
  fs::remove_all(dir);
}

TEST(ModelWatcher, ItsThreadPollsAndStops) {
  const fs::path dir = FreshDir("thread");
  ReplaceManifest(dir, "{\"v\": 1}");
  std::atomic<int> calls{0};
  ModelWatcher w(dir, std::chrono::milliseconds(10), [&] { ++calls; });
  w.Start();
  ReplaceManifest(dir, "{\"v\": 2}");
  for (int i = 0; i < 500 && calls.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(calls.load(), 1);
  w.Stop();
  ReplaceManifest(dir, "{\"v\": 3}");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls.load(), 1);  // stopped: no more checks
  w.Stop();                    // idempotent
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hybridrec::serve
