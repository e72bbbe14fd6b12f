// GCC before 13 (Debian 12's GCC 12.2) miscompiles a co_await inside an if/while/for/switch
// condition: `Task<> bad() { if (co_await f()) {} }` resumes its frame at the wrong place, so
// the body is silently skipped or the program crashes (SIGSEGV, or SIGILL on the unreachable
// default of the resume switch), at -O0 as well as -O2. clang 14 and 16 compile it correctly.
// Whether GCC goes wrong depends on the surrounding code (a local variable declared before the
// statement hides it), so "it worked here" proves nothing: the rule is to never write the shape.
// See DESIGN.md section 8 and tests/lint/co_await_conditions.py, which keeps it out of the tree.
//
// The reproducers run on clang and are skipped on GCC < 13. To see the crash by hand, build this
// file with g++ 12 and -DGANNET_RUN_GCC12_REPRODUCER.
#include <gannet/task.hpp>

#include <gtest/gtest.h>

#include <coroutine>
#include <exception>
#include <utility>

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13 && \
    !defined(GANNET_RUN_GCC12_REPRODUCER)
#define SKIP_ON_GCC12()                                                                      \
    GTEST_SKIP() << "GCC " << __GNUC__ << "." << __GNUC_MINOR__                              \
                 << " miscompiles a co_await in a condition (the coroutine resumes a wrong " \
                    "frame and crashes); build with clang++-16 to run this reproducer"
#else
#define SKIP_ON_GCC12() static_cast<void>(0)
#endif

namespace {

// A textbook lazy Task with symmetric transfer and no Gannet code, to show that the defect is
// the compiler's, not the library's.
namespace textbook {

template <class T>
struct Task {
    struct promise_type {
        T value{};
        std::coroutine_handle<> continuation = std::noop_coroutine();
        Task get_return_object() {
            return Task{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        struct FinalAwaiter {
            bool await_ready() noexcept { return false; }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
                return h.promise().continuation;
            }
            void await_resume() noexcept {}
        };
        FinalAwaiter final_suspend() noexcept { return {}; }
        void return_value(T v) { value = std::move(v); }
        void unhandled_exception() { std::terminate(); }
    };
    explicit Task(std::coroutine_handle<promise_type> h) : h(h) {}
    Task(Task&& o) noexcept : h(std::exchange(o.h, {})) {}
    ~Task() {
        if (h) h.destroy();
    }
    bool await_ready() { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> c) {
        h.promise().continuation = c;
        return h;
    }
    T await_resume() { return std::move(h.promise().value); }
    std::coroutine_handle<promise_type> h;
};

int hits = 0;

Task<bool> yes() {
    co_return true;
}
// The shape: no local variable before the statement, a co_await in the condition.
Task<int> awaited_in_if() {
    if (co_await yes()) ++hits;
    co_return hits;
}

}  // namespace textbook

// The same with gannet::Task (its frames come from Gannet's frame allocator).
namespace with_gannet {

int hits = 0;
int calls = 0;

gannet::Task<bool> more() {
    co_return ++calls <= 3;
}
gannet::Task<bool> yes() {
    co_return true;
}
gannet::Task<int> countdown() {  // 3, 2, 1, then 0
    co_return calls < 3 ? 3 - calls++ : 0;
}
gannet::Task<> awaited_in_if() {
    if (co_await yes()) ++hits;
}
gannet::Task<> awaited_in_while() {
    while (co_await more()) ++hits;
}
// The safe shapes, which every compiler gets right.
gannet::Task<> bound_first() {
    bool ok = co_await yes();
    if (ok) ++hits;
}
gannet::Task<> condition_declaration() {
    while (int n = co_await countdown()) hits += n;
}

}  // namespace with_gannet

}  // namespace

TEST(CoAwaitCondition, TextbookTaskIfCondition) {
    SKIP_ON_GCC12();
    textbook::hits = 0;
    textbook::Task<int> t = textbook::awaited_in_if();
    t.h.resume();  // runs to the end: every await in it completes at once
    ASSERT_TRUE(t.h.done());
    EXPECT_EQ(t.h.promise().value, 1);
    EXPECT_EQ(textbook::hits, 1);
}

TEST(CoAwaitCondition, GannetTaskIfCondition) {
    SKIP_ON_GCC12();
    with_gannet::hits = 0;
    auto t = with_gannet::awaited_in_if();
    t.start();
    EXPECT_TRUE(t.done());
    EXPECT_EQ(with_gannet::hits, 1);
}

TEST(CoAwaitCondition, GannetTaskWhileCondition) {
    SKIP_ON_GCC12();
    with_gannet::hits = 0;
    with_gannet::calls = 0;
    auto t = with_gannet::awaited_in_while();
    t.start();
    EXPECT_TRUE(t.done());
    EXPECT_EQ(with_gannet::hits, 3);
}

TEST(CoAwaitCondition, SafeShapesOnEveryCompiler) {
    with_gannet::hits = 0;
    with_gannet::calls = 0;
    auto a = with_gannet::bound_first();
    a.start();
    EXPECT_TRUE(a.done());
    auto b = with_gannet::condition_declaration();
    b.start();
    EXPECT_TRUE(b.done());
    EXPECT_EQ(with_gannet::hits, 1 + 3 + 2 + 1);
}
