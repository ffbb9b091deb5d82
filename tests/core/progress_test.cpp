#include <gtest/gtest.h>

#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

#include "behavtrack/core/progress.h"

namespace bt {
namespace {

TEST(Progress, CountsFromManyThreadsAndReportsTheEndOnce) {
  std::vector<ProgressEvent> events;
  {
    Progress p("work", 4000, [&](const ProgressEvent& e) { events.push_back(e); });
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&] {
        for (int i = 0; i < 1000; ++i) p.advance();
      });
    for (auto& t : threads) t.join();
    p.finish();
    p.finish();
  }
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(events.back().finished);
  EXPECT_EQ(events.back().done, 4000);
  int finished = 0;
  for (const auto& e : events) finished += e.finished;
  EXPECT_EQ(finished, 1);
}

TEST(Progress, NonTerminalPrintsOneSummaryLine) {
  std::FILE* f = std::tmpfile();
  {
    Progress p("decode", 10, terminal_progress(f));
    for (int i = 0; i < 10; ++i) p.advance();
  }
  std::rewind(f);
  char buf[256] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  const std::string out(buf, n);
  EXPECT_EQ(out.rfind("decode: 10 done in 00:00", 0), 0u) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

TEST(Progress, ATaskThatFailsReportsNothingMore) {
  std::vector<ProgressEvent> events;
  try {
    Progress p("work", 10, [&](const ProgressEvent& e) { events.push_back(e); });
    throw std::runtime_error("decoder broke");
  } catch (const std::runtime_error&) {
  }
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].failed);
  // The terminal reporter prints nothing for it off a terminal.
  std::FILE* f = std::tmpfile();
  terminal_progress(f)(events[0]);
  EXPECT_EQ(std::ftell(f), 0);
  std::fclose(f);
}

}  // namespace
}  // namespace bt
