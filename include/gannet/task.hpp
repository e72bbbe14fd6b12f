// Task<T>: a lazy C++20 coroutine.
//
// A Task does nothing until it is awaited; awaiting it starts the body at once. If the body
// finishes without suspending, the awaiter just continues; if it suspends, its completion later
// resumes the awaiter by symmetric transfer. So a loop of awaits runs in constant stack whether
// the awaited tasks finish at once or later; nesting (a task awaiting a task awaiting ...) costs
// one native frame per level while it runs, like ordinary calls.
// Exceptions thrown in the body are rethrown at the co_await site.
//
// Where co_await may appear: never inside an if/while/for/switch condition or an operand of
// && or ||. GCC before 13 (Debian 12's GCC 12.2) miscompiles those shapes: the coroutine resumes
// a wrong frame, then crashes or silently skips code (tests/unit/io/co_await_condition_test.cpp).
// Bind the result first, `bool ok = co_await f(); if (!ok) co_return;`, or use a condition
// declaration, `while (auto chunk = co_await req.body().read())`. clang compiles both right.
//
// Which thread resumes: a Task resumes on whatever thread completes the awaitable it is suspended
// on. Every awaitable in gannet (sockets, timers, offload, mailbox) completes on the worker that
// owns the connection, so a handler always runs on its connection's worker.
#pragma once

#include <gannet/cancel.hpp>
#include <gannet/detail/assert.hpp>

#include <coroutine>
#include <cstddef>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>

namespace gannet {

template <class T = void>
class Task;

namespace detail {

// Coroutine frames come from a per-thread free list of size classes, so a steady stream of
// async handlers does not touch malloc after warm-up.
void* frame_allocate(std::size_t size);
void frame_deallocate(void* p, std::size_t size) noexcept;

// The io::Worker running on this thread, or null off the workers (opaque: no io header leaks
// into the public ones). For GANNET_ASSERT's "resumes on the same worker" checks.
void* current_worker() noexcept;

struct PromiseBase {
    std::coroutine_handle<> continuation = std::noop_coroutine();
    std::exception_ptr error;
    // The scope whose cancellation reaches this task's awaits (gannet/cancel.hpp). Inherited
    // from the awaiting task when the task has none of its own.
    CancelScope* cancel_scope = nullptr;

    static void* operator new(std::size_t size) { return frame_allocate(size); }
    static void operator delete(void* p, std::size_t size) noexcept { frame_deallocate(p, size); }

    // Set while the awaiter runs this task inline from its await_suspend (see Task's awaiter).
    bool started_inline = false;
    // Set once the task is started or awaited (only where GANNET_ASSERT checks it): a second
    // start or await would resume the body from wherever it is suspended.
    bool started = false;

    struct FinalAwaiter {
        bool await_ready() const noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            auto& p = h.promise();
            // Finished while the awaiter is still inside its await_suspend: it continues by
            // itself (await_suspend returns false), so resuming it here would nest frames.
            if (p.started_inline) {
                p.started_inline = false;
                return std::noop_coroutine();
            }
            return p.continuation;  // finished later, from the event loop: symmetric transfer
        }
        void await_resume() const noexcept {}
    };

    std::suspend_always initial_suspend() const noexcept { return {}; }
    FinalAwaiter final_suspend() const noexcept { return {}; }
    void unhandled_exception() noexcept { error = std::current_exception(); }
};

template <class T>
struct Promise : PromiseBase {
    alignas(T) unsigned char storage[sizeof(T)];
    bool has_value = false;

    Task<T> get_return_object() noexcept;
    template <class U>
    requires std::is_convertible_v<U&&, T>
    void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
        ::new (static_cast<void*>(storage)) T(std::forward<U>(v));
        has_value = true;
    }
    T& value() noexcept { return *std::launder(reinterpret_cast<T*>(storage)); }
    ~Promise() {
        if (has_value) value().~T();
    }
};

template <>
struct Promise<void> : PromiseBase {
    Task<void> get_return_object() noexcept;
    void return_void() const noexcept {}
};

// What co_await on a Task returns (see Task::operator co_await).
template <class T>
struct TaskAwaiter {
    std::coroutine_handle<Promise<T>> h;
    bool await_ready() const noexcept { return !h || h.done(); }
    // Runs the task at once. When it finishes without suspending (a body chunk already
    // buffered, a sync handler behind middleware), the awaiter simply continues: no
    // frame nests, so a loop of such awaits runs in constant stack even where the
    // compiler does not turn symmetric transfer into a tail call (sanitizer builds).
    // When it suspends, its final awaiter resumes us later.
    template <class Awaiting>
    bool await_suspend(std::coroutine_handle<Awaiting> awaiting) {
        auto& p = h.promise();
        if (p.cancel_scope == nullptr) p.cancel_scope = scope_of(awaiting);
        GANNET_ASSERT(!h.done(), "resuming a finished Task");
        if constexpr (kAssertsEnabled) p.started = true;
        p.continuation = awaiting;
        p.started_inline = true;
        h.resume();
        if (!p.started_inline) return false;  // finished synchronously
        p.started_inline = false;
        return true;
    }
    T await_resume() {
        auto& p = h.promise();
        if (p.error) std::rethrow_exception(p.error);
        if constexpr (!std::is_void_v<T>) return std::move(p.value());
    }
};
}  // namespace detail

/// A lazily started coroutine returning T. Move-only; destroying an unfinished Task destroys its
/// frame (and with it every local of the suspended body).
template <class T>
class [[nodiscard]] Task {
  public:
    using promise_type = detail::Promise<T>;
    using Handle = std::coroutine_handle<promise_type>;

    Task() noexcept = default;
    explicit Task(Handle h) noexcept : h_(h) {}
    Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    Task& operator=(Task&& o) noexcept {
        if (this != &o) {
            reset();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;
    ~Task() { reset(); }

    /// True when the task holds a coroutine.
    explicit operator bool() const noexcept { return static_cast<bool>(h_); }
    /// True when the body has run to completion.
    bool done() const noexcept { return !h_ || h_.done(); }

    auto operator co_await() && noexcept {
        GANNET_ASSERT(h_, "co_await on an empty (moved-from) Task");
        GANNET_ASSERT(!h_.promise().started, "a Task awaited twice, or awaited after start()");
        return detail::TaskAwaiter<T>{h_};
    }

    /// Starts a task that nobody awaits; the owner keeps the Task (and so the frame) and learns
    /// of completion through done() or its own signal.
    void start() {
        GANNET_ASSERT(!h_ || !h_.done(), "start() on a finished Task");
        GANNET_ASSERT(!h_ || !h_.promise().started,
                      "a Task started twice, or started after co_await");
        if (h_ && !h_.done()) {
            if constexpr (detail::kAssertsEnabled) h_.promise().started = true;
            h_.resume();
        }
    }

    /// Runs this task's awaits in `scope` (gannet/cancel.hpp) instead of its awaiter's. Before
    /// the task starts; the scope must outlive it.
    void bind_cancel_scope(detail::CancelScope* scope) noexcept {
        if (h_) h_.promise().cancel_scope = scope;
    }

    /// Releases ownership of the coroutine (used by spawn()).
    Handle release() noexcept { return std::exchange(h_, {}); }

  private:
    void reset() noexcept {
        if (h_) h_.destroy();
        h_ = {};
    }
    Handle h_;
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
    return Task<T>{std::coroutine_handle<Promise<T>>::from_promise(*this)};
}
inline Task<void> Promise<void>::get_return_object() noexcept {
    return Task<void>{std::coroutine_handle<Promise<void>>::from_promise(*this)};
}

// A fire-and-forget coroutine that owns itself: it starts at once and frees its frame when done.
struct Detached {
    struct promise_type {
        static void* operator new(std::size_t size) { return frame_allocate(size); }
        static void operator delete(void* p, std::size_t size) noexcept {
            frame_deallocate(p, size);
        }
        Detached get_return_object() const noexcept { return {}; }
        std::suspend_never initial_suspend() const noexcept { return {}; }
        std::suspend_never final_suspend() const noexcept { return {}; }
        void return_void() const noexcept {}
        void unhandled_exception() const noexcept;
    };
};
Detached run_detached(Task<void> task);
}  // namespace detail

/// Starts `task` now and lets it run to completion on its own. An exception escaping it is
/// logged and dropped. Call it on a worker thread; the task resumes on that worker.
inline void spawn(Task<void> task) {
    GANNET_ASSERT(detail::current_worker() != nullptr, "spawn() called off a worker thread");
    detail::run_detached(std::move(task));
}

}  // namespace gannet
