#include "core/progress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

namespace hybridrec {
namespace {

// CaptureStderr redirects stderr to a file, so these Progress objects see no terminal and
// write plain lines.
size_t Lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(ProgressTest, LogWritesPlainLinesEveryInterval) {
  testing::internal::CaptureStderr();
  {
    Progress p("tune fusion", 4, /*quiet=*/false, /*log_interval_s=*/0.0);
    for (size_t i = 1; i <= 4; ++i) p.Update(i, "best ndcg@10 0.5");
    p.Finish();
  }
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(Lines(out), 5u) << out;  // one per update, then "done"
  EXPECT_NE(out.find("tune fusion 2/4 (50%)"), std::string::npos) << out;
  EXPECT_NE(out.find("best ndcg@10 0.5"), std::string::npos) << out;
  // The rate so far and the time left at that rate.
  const std::string line = out.substr(out.find("tune fusion 2/4"), out.find('\n', out.find("tune fusion 2/4")) - out.find("tune fusion 2/4"));
  EXPECT_NE(line.find("/s"), std::string::npos) << line;
  EXPECT_NE(line.find("s left"), std::string::npos) << line;
  EXPECT_NE(out.find("tune fusion done in"), std::string::npos) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos) << "no terminal control characters in a log";
}

TEST(ProgressTest, ShortJobsLeaveTheLogUntouched) {
  testing::internal::CaptureStderr();
  {
    Progress p("als", 3, false, 3600.0);
    for (size_t i = 1; i <= 3; ++i) p.Update(i);
    p.Finish();
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(ProgressTest, QuietWritesNothing) {
  testing::internal::CaptureStderr();
  {
    Progress p("als", 3, /*quiet=*/true, 0.0);
    for (size_t i = 1; i <= 3; ++i) p.Update(i);
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(ProgressTest, ConcurrentProgressCountsEveryThreadsWork) {
  testing::internal::CaptureStderr();
  {
    ConcurrentProgress p("evaluating", 4000, /*quiet=*/false, /*log_interval_s=*/0.0);
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
      ts.emplace_back([&p] {
        for (int i = 0; i < 1000; ++i) p.Add(1);
      });
    for (auto& t : ts) t.join();
    p.Finish();
  }
  // Every line is whole, counts never exceed the total, and the last count is the total.
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("evaluating 4000/4000 (100%)"), std::string::npos) << out.substr(out.size() > 400 ? out.size() - 400 : 0);
  EXPECT_EQ(out.find("4001"), std::string::npos);
  size_t lines = 0, pos = 0;
  while ((pos = out.find('\n', pos)) != std::string::npos) ++lines, ++pos;
  EXPECT_GE(lines, 2u);  // at least the final count and "done"
  EXPECT_NE(out.find("evaluating done in"), std::string::npos);
}

}  // namespace
}  // namespace hybridrec
