#include "io/worker.hpp"

#include <gannet/runtime.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace std::chrono_literals;
using gannet::Task;
using gannet::io::Worker;

namespace {

// Runs a worker on its own thread for the duration of a test.
struct Running {
    Worker w{0};
    std::thread t{[this] { w.run(); }};
    ~Running() {
        w.post([this] { w.stop(); });
        t.join();
    }
};

// Coroutines are free functions taking what they need as parameters: a lambda coroutine's
// captures live in the closure, which is gone by the time the coroutine resumes.
Task<void> sleeper(std::atomic<bool>& done, std::atomic<long>& waited_ms) {
    auto start = std::chrono::steady_clock::now();
    co_await gannet::sleep_for(50ms);
    waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    done = true;
}

Task<void> offloader(std::atomic<bool>& done, std::atomic<bool>& ran_elsewhere,
                     std::atomic<bool>& resumed_on_worker, std::atomic<int>& result) {
    auto me = std::this_thread::get_id();
    int v = co_await gannet::offload([&ran_elsewhere, me] {
        ran_elsewhere = std::this_thread::get_id() != me;
        std::this_thread::sleep_for(20ms);
        return 41;
    });
    resumed_on_worker = std::this_thread::get_id() == me;
    result = v + 1;
    done = true;
}

Task<void> failing_offload(std::atomic<bool>& done, std::atomic<bool>& caught) {
    try {
        co_await gannet::offload([]() -> int { throw std::runtime_error("disk on fire"); });
    } catch (const std::runtime_error&) {
        caught = true;
    }
    done = true;
}

}  // namespace

TEST(Worker, MailboxRunsPostsInOrderOnTheWorkerThread) {
    Running r;
    std::atomic<int> count{0};
    std::atomic<bool> order_ok{true};
    std::thread::id worker_id;
    r.w.post([&] { worker_id = std::this_thread::get_id(); });
    // Read and written only on the worker thread: one entry per producer.
    std::vector<int> last(4, -1);
    std::vector<std::thread> producers;
    for (int p = 0; p < 4; ++p) {
        producers.emplace_back([&, p] {
            for (int i = 0; i < 1000; ++i) {
                r.w.post([&, i, p] {
                    if (i <= last[static_cast<std::size_t>(p)]) order_ok = false;
                    last[static_cast<std::size_t>(p)] = i;
                    ++count;
                });
            }
        });
    }
    for (auto& t : producers) t.join();
    for (int i = 0; i < 200 && count < 4000; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(count.load(), 4000);
    EXPECT_TRUE(order_ok.load());
    EXPECT_NE(worker_id, std::this_thread::get_id());
}

TEST(Worker, SleepForResumesOnTheWorkerAfterTheDelay) {
    Running r;
    std::atomic<bool> done{false};
    std::atomic<long> waited_ms{0};
    r.w.post([&] { gannet::spawn(sleeper(done, waited_ms)); });
    for (int i = 0; i < 200 && !done; ++i) std::this_thread::sleep_for(5ms);
    ASSERT_TRUE(done.load());
    EXPECT_GE(waited_ms.load(), 45);
    EXPECT_LT(waited_ms.load(), 500);
}

TEST(Worker, OffloadRunsElsewhereAndResumesOnTheWorker) {
    Running r;
    std::atomic<bool> done{false};
    std::atomic<bool> ran_elsewhere{false};
    std::atomic<bool> resumed_on_worker{false};
    std::atomic<int> result{0};
    r.w.post([&] { gannet::spawn(offloader(done, ran_elsewhere, resumed_on_worker, result)); });
    for (int i = 0; i < 400 && !done; ++i) std::this_thread::sleep_for(5ms);
    ASSERT_TRUE(done.load());
    EXPECT_TRUE(ran_elsewhere.load());
    EXPECT_TRUE(resumed_on_worker.load());
    EXPECT_EQ(result.load(), 42);
}

TEST(Worker, OffloadRethrowsOnTheWorker) {
    Running r;
    std::atomic<bool> caught{false};
    std::atomic<bool> done{false};
    r.w.post([&] { gannet::spawn(failing_offload(done, caught)); });
    for (int i = 0; i < 400 && !done; ++i) std::this_thread::sleep_for(5ms);
    EXPECT_TRUE(caught.load());
}

namespace {

// A per-worker service for Worker::local: records where it was made and destroyed.
struct Service {
    explicit Service(Worker& w) : worker(&w) { ++made; }
    ~Service() { destroyed_on_current = Worker::current() == worker; }
    Worker* worker;
    int uses = 0;
    static inline int made = 0;
    static inline bool destroyed_on_current = false;
};

struct Tombstone {
    explicit Tombstone(std::atomic<int>& d) : dead(d) {}
    ~Tombstone() { ++dead; }
    std::atomic<int>& dead;
};

}  // namespace

TEST(Worker, LocalMakesOneInstancePerWorkerAndDestroysItWithTheWorker) {
    Service::made = 0;
    Service::destroyed_on_current = false;
    {
        Running r;
        std::atomic<int> uses{0};
        std::atomic<bool> done{false};
        r.w.post([&] {
            r.w.local<Service>().uses++;
            uses = ++r.w.local<Service>().uses;
            done = true;
        });
        for (int i = 0; i < 200 && !done; ++i) std::this_thread::sleep_for(5ms);
        EXPECT_EQ(uses.load(), 2);
        EXPECT_EQ(Service::made, 1);
    }
    EXPECT_TRUE(Service::destroyed_on_current);
}

TEST(Worker, DestroyAfterBatchWaitsForTheEndOfTheLoopIteration) {
    Running r;
    std::atomic<int> dead{0};
    std::atomic<int> seen_inside{-1};
    r.w.post([&] {
        r.w.destroy_after_batch(std::make_unique<Tombstone>(dead));
        seen_inside = dead.load();
    });
    for (int i = 0; i < 200 && dead == 0; ++i) std::this_thread::sleep_for(5ms);
    EXPECT_EQ(seen_inside.load(), 0);
    EXPECT_EQ(dead.load(), 1);
}
