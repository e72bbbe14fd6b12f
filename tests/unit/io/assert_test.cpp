// GANNET_ASSERT fires where the runtime's promises are broken. Only in builds that enable the
// checks (Debug, sanitizers); elsewhere the cases are skipped.
#include <gannet/detail/assert.hpp>

#include "io/fd_state.hpp"
#include "io/timer_wheel.hpp"
#include "io/worker.hpp"

#include <gannet/task.hpp>

#include <gtest/gtest.h>

#include <thread>

using gannet::Task;

namespace {

class GannetAssert : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!gannet::detail::kAssertsEnabled) {
            GTEST_SKIP() << "GANNET_ASSERT is compiled out in this build";
        }
        // The offload pool or a worker may have started threads: re-run the binary for each
        // death instead of forking a copy of a multi-threaded process.
        GTEST_FLAG_SET(death_test_style, "threadsafe");
    }
};

Task<int> answer() {
    co_return 42;
}

Task<void> await_twice(Task<int>& t) {
    int a = co_await std::move(t);
    int b = co_await std::move(t);  // the handle is still there: awaiting again is the bug
    (void)a;
    (void)b;
}

Task<void> wait_readable(gannet::io::FdState& s) {
    co_await gannet::io::Readable{s};
}

}  // namespace

TEST_F(GannetAssert, ReportsFileLineExpressionAndMessage) {
    EXPECT_DEATH(GANNET_ASSERT(1 + 1 == 3, "arithmetic is broken"),
                 "assert_test\\.cpp:[0-9]+: gannet: assertion failed: 1 \\+ 1 == 3: arithmetic "
                 "is broken");
}

TEST_F(GannetAssert, PassingChecksDoNothing) {
    GANNET_ASSERT(1 + 1 == 2, "arithmetic works");
    SUCCEED();
}

TEST_F(GannetAssert, TaskAwaitedTwice) {
    EXPECT_DEATH(
        {
            Task<int> t = answer();
            Task<void> driver = await_twice(t);
            driver.start();
        },
        "a Task awaited twice");
}

TEST_F(GannetAssert, FinishedTaskStartedAgain) {
    EXPECT_DEATH(
        {
            Task<int> t = answer();
            t.start();
            t.start();
        },
        "start\\(\\) on a finished Task");
}

TEST_F(GannetAssert, SecondWaiterOnOneFd) {
    EXPECT_DEATH(
        {
            gannet::io::FdState s;
            Task<void> a = wait_readable(s);
            Task<void> b = wait_readable(s);
            a.start();
            b.start();
        },
        "a second coroutine parks");
}

TEST_F(GannetAssert, DeferOffTheWorkerThread) {
    EXPECT_DEATH(
        {
            gannet::io::Worker w(0);
            w.defer(std::noop_coroutine());
        },
        "Worker::defer called off the worker's thread");
}

TEST_F(GannetAssert, SpawnOffAWorkerThread) {
    EXPECT_DEATH(
        {
            auto body = []() -> Task<void> { co_return; };
            gannet::spawn(body());
        },
        "spawn\\(\\) called off a worker thread");
}

TEST_F(GannetAssert, TimerArmedOnAnotherThreadThanItsWheel) {
    EXPECT_DEATH(
        {
            gannet::io::TimerWheel wheel;
            wheel.bind_to_this_thread();
            gannet::detail::TimerNode node;
            std::thread([&] { wheel.schedule(node, 0, 10); }).join();
        },
        "a timer armed off the thread of the worker owning the wheel");
}
