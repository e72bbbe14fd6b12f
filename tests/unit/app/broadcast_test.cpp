// App::broadcast from several threads at once: every worker must run the functions in the same
// order (pub/sub's promise that all workers deliver in publish order rests on it).
#include <gannet/app.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace gannet {
namespace {

TEST(AppBroadcast, ConcurrentBroadcastsRunInOneOrderOnEveryWorker) {
    constexpr unsigned workers = 3;
    constexpr int publishers = 4;
    constexpr int per_publisher = 2000;
    App app;
    Config c;
    c.host = "127.0.0.1";
    c.port = 0;
    c.threads = workers;
    c.env_overrides = false;
    app.listen(c);
    app.start();

    std::mutex m;
    std::map<std::thread::id, std::vector<int>> seen;
    std::vector<std::thread> threads;
    for (int p = 0; p < publishers; ++p) {
        threads.emplace_back([&, p] {
            for (int i = 0; i < per_publisher; ++i) {
                int id = p * per_publisher + i;
                app.broadcast([&, id] {
                    std::lock_guard lock(m);
                    seen[std::this_thread::get_id()].push_back(id);
                });
            }
        });
    }
    for (auto& t : threads) t.join();

    const std::size_t total = publishers * per_publisher;
    auto complete = [&] {
        std::lock_guard lock(m);
        if (seen.size() != workers) return false;
        for (const auto& [id, v] : seen) {
            if (v.size() != total) return false;
        }
        return true;
    };
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!complete() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    app.stop();
    app.wait();

    ASSERT_EQ(seen.size(), workers);
    const std::vector<int>& first = seen.begin()->second;
    ASSERT_EQ(first.size(), total);
    for (const auto& [id, v] : seen) EXPECT_TRUE(v == first) << "a worker saw another order";
    // Each publisher's own broadcasts keep their order too.
    std::vector<int> last(publishers, -1);
    for (int id : first) {
        EXPECT_GT(id % per_publisher, last[id / per_publisher]);
        last[id / per_publisher] = id % per_publisher;
    }
}

}  // namespace
}  // namespace gannet
