// Runtime awaitables a handler may use: sleeping on the worker's timer wheel and offloading
// blocking work to a small thread pool.
//
// Both resume the awaiting coroutine on the worker it was running on, so code after the
// co_await may touch the connection and worker-local state freely.
#pragma once

#include <gannet/detail/assert.hpp>
#include <gannet/detail/timer_node.hpp>
#include <gannet/task.hpp>

#include <chrono>
#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace gannet {

namespace detail {

/// A job for the blocking pool. run() executes on a pool thread; then the pool asks the
/// originating worker (through its mailbox) to resume `waiter`.
class OffloadJob {
  public:
    virtual ~OffloadJob() = default;
    virtual void run() noexcept = 0;
    std::coroutine_handle<> waiter;
    void* worker = nullptr;  ///< the io::Worker to resume on (opaque here: no io header leaks)
};

/// Queues `job` on the pool; it must outlive its completion (it lives in the awaiting frame).
void offload_submit(OffloadJob& job);

/// Suspends the current coroutine on the worker's timer wheel.
struct SleepAwaiter : TimerNode {
    std::chrono::milliseconds delay;
    std::coroutine_handle<> waiter;
    void* worker = nullptr;  ///< where it was awaited (set only where GANNET_ASSERT checks)
    explicit SleepAwaiter(std::chrono::milliseconds d) noexcept
        : TimerNode(&SleepAwaiter::wake), delay(d) {}
    bool await_ready() const noexcept { return delay.count() <= 0; }
    void await_suspend(std::coroutine_handle<> h) noexcept {
        if constexpr (kAssertsEnabled) worker = current_worker();
        GANNET_ASSERT(worker != nullptr, "sleep_for awaited off a worker thread");
        waiter = h;
        arm(static_cast<std::uint64_t>(delay.count()));
    }
    void await_resume() const noexcept {}
    static void wake(TimerNode* n) noexcept {
        auto* s = static_cast<SleepAwaiter*>(n);
        GANNET_ASSERT(current_worker() == s->worker, "sleep_for resumed on another worker");
        s->waiter.resume();
    }
};

}  // namespace detail

/// Suspends the calling coroutine for `d` on the current worker's timer wheel (no thread is
/// blocked). Resolution is the wheel's tick (a few milliseconds).
inline detail::SleepAwaiter sleep_for(std::chrono::milliseconds d) {
    return detail::SleepAwaiter{d};
}

/// Runs `fn` on the blocking pool and resumes the caller, on its own worker, with the result
/// (or rethrows what `fn` threw). Use it for file reads, DNS, legacy client libraries: anything
/// that would otherwise block the event loop.
template <class F>
auto offload(F fn) {
    using R = std::invoke_result_t<F&>;
    struct Awaiter : detail::OffloadJob {
        F fn;
        std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> result{};
        std::exception_ptr error;
        explicit Awaiter(F&& f) : fn(std::move(f)) {}
        void run() noexcept override {
            try {
                if constexpr (std::is_void_v<R>) {
                    fn();
                    result = true;
                } else {
                    result.emplace(fn());
                }
            } catch (...) {
                error = std::current_exception();
            }
        }
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h) {
            waiter = h;
            detail::offload_submit(*this);
        }
        R await_resume() {
            GANNET_ASSERT(detail::current_worker() == worker,
                          "offload resumed elsewhere than on the worker it was awaited on");
            if (error) std::rethrow_exception(error);
            if constexpr (!std::is_void_v<R>) return std::move(*result);
        }
    };
    return Awaiter{std::move(fn)};
}

}  // namespace gannet
