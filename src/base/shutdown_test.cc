#include "base/shutdown.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace strata::shutdown {
namespace {

using Clock = std::chrono::steady_clock;

int64_t MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

TEST(Shutdown, SleepForSleepsWhileNotRequested) {
  ResetForTest();
  const auto t = Clock::now();
  EXPECT_TRUE(SleepFor(50));
  EXPECT_GE(MsSince(t), 50);
  EXPECT_FALSE(Requested());
}

TEST(Shutdown, RequestEndsSleepsAndWaits) {
  ResetForTest();
  const auto t = Clock::now();
  std::thread other([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    Request(0);
  });
  EXPECT_FALSE(SleepFor(60'000));
  EXPECT_LT(MsSince(t), 30'000);
  other.join();
  EXPECT_TRUE(Requested());
  EXPECT_EQ(Wait(), 0);
  EXPECT_FALSE(SleepFor(60'000));  // already requested: no sleep at all
}

TEST(Shutdown, FirstRequestWins) {
  ResetForTest();
  Request(SIGINT);
  Request(SIGTERM);
  EXPECT_EQ(Signal(), SIGINT);
}

TEST(Shutdown, TerminationSignalRequestsShutdown) {
  ResetForTest();
  HandleTerminationSignals();
  EnableGracefulStop();
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  EXPECT_EQ(Wait(), SIGTERM);
  EXPECT_TRUE(Requested());
}

TEST(ShutdownDeathTest, SignalBeforeGracefulStopEndsTheProcess) {
  EXPECT_EXIT(
      {
        HandleTerminationSignals();
        kill(getpid(), SIGTERM);
        SleepFor(10'000);
      },
      ::testing::ExitedWithCode(128 + SIGTERM), "");
}

}  // namespace
}  // namespace strata::shutdown
