#include <gannet/task.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

using gannet::Task;

namespace {

Task<int> answer() {
    co_return 42;
}
Task<int> add(int a) {
    co_return a + co_await answer();
}
Task<std::string> text() {
    co_return std::string(100, 'x');
}
Task<std::unique_ptr<int>> boxed() {
    co_return std::make_unique<int>(7);
}
Task<int> thrower() {
    throw std::runtime_error("boom");
    co_return 0;
}
Task<int> deep(int n) {
    if (n == 0) co_return 0;
    co_return 1 + co_await deep(n - 1);
}

template <class T>
T run(Task<T> t) {
    std::optional<T> out;
    std::exception_ptr err;
    auto driver = [&]() -> Task<void> {
        try {
            out.emplace(co_await std::move(t));
        } catch (...) {
            err = std::current_exception();
        }
    };
    auto d = driver();
    d.start();
    EXPECT_TRUE(d.done());
    if (err) std::rethrow_exception(err);
    return std::move(*out);
}

}  // namespace

TEST(Task, IsLazyUntilAwaited) {
    bool ran = false;
    auto body = [&]() -> Task<void> {
        ran = true;
        co_return;
    };
    auto t = body();
    EXPECT_FALSE(ran);
    t.start();
    EXPECT_TRUE(ran);
    EXPECT_TRUE(t.done());
}

TEST(Task, ReturnsValues) {
    EXPECT_EQ(run(answer()), 42);
    EXPECT_EQ(run(add(1)), 43);
    EXPECT_EQ(run(text()), std::string(100, 'x'));
    EXPECT_EQ(*run(boxed()), 7);
}

TEST(Task, PropagatesExceptions) {
    EXPECT_THROW(run(thrower()), std::runtime_error);
}

TEST(Task, NestedChainsWork) {
    // Real handler chains are tens deep (middleware, helpers); nesting costs a frame per level.
    EXPECT_EQ(run(deep(1'000)), 1'000);
}

namespace {
Task<long> sum_of_sync_awaits(int n) {
    long total = 0;
    for (int i = 0; i < n; ++i) total += co_await answer();
    co_return total;
}
}  // namespace

TEST(Task, LoopsOfSynchronousAwaitsDoNotGrowTheStack) {
    // The server's common case: a loop whose awaited tasks finish without suspending (body
    // chunks already buffered, sync handlers behind middleware). A million of them must run in
    // constant stack in every build, sanitizers included, where symmetric transfer is no tail
    // call.
    EXPECT_EQ(run(sum_of_sync_awaits(1'000'000)), 42'000'000L);
}

TEST(Task, DestroyingAnUnstartedTaskFreesIt) {
    auto owned = std::make_shared<int>(1);
    std::weak_ptr<int> weak = owned;
    {
        auto body = [](std::shared_ptr<int> p) -> Task<void> {
            (void)p;
            co_return;
        };
        auto t = body(std::move(owned));
        EXPECT_FALSE(weak.expired());
    }
    EXPECT_TRUE(weak.expired());
}

TEST(Task, MoveTransfersOwnership) {
    Task<int> a = answer();
    Task<int> b = std::move(a);
    EXPECT_FALSE(static_cast<bool>(a));
    EXPECT_EQ(run(std::move(b)), 42);
}
