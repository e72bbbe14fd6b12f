// The runtime's small awaitables, once (docs/architecture.md, "Runtime"): every subsystem that
// parks coroutines uses these instead of writing its own.
//  - Waiter: one coroutine parked until someone wakes it (a reader waiting for input, a paused
//    accept loop).
//  - WaitList: any number parked until all are woken (writers over a buffer limit, watchers of
//    a stream's end).
//  - Join: the awaiting coroutine resumes when a started coroutine finishes.
// Streams have their own waits with timeouts (io/stream.hpp); sleep_for and offload are in
// <gannet/runtime.hpp>. Everything here runs on one worker: a parked coroutine is resumed by
// the thread that wakes it, which is always its own worker's.
#pragma once

#include <gannet/detail/assert.hpp>

#include <coroutine>
#include <utility>
#include <vector>

namespace gannet::io {

/// One coroutine parked until wake(). Only one may wait at a time.
class Waiter {
  public:
    struct Awaiter {
        Waiter& w;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h) noexcept {
            GANNET_ASSERT(!w.h_, "a second coroutine waits on a Waiter");
            w.h_ = h;
        }
        void await_resume() const noexcept {}
    };
    /// Suspends until wake(). The caller re-checks its condition after it resumes.
    Awaiter wait() noexcept { return Awaiter{*this}; }
    bool waiting() const noexcept { return static_cast<bool>(h_); }
    /// Resumes the parked coroutine, if any; it runs until it suspends again.
    void wake() noexcept {
        if (auto h = std::exchange(h_, {})) h.resume();
    }
    /// Takes the parked coroutine out without resuming it (to resume it later, or because its
    /// frame is being destroyed).
    std::coroutine_handle<> take() noexcept { return std::exchange(h_, {}); }

  private:
    std::coroutine_handle<> h_;
};

/// Any number of coroutines parked until wake_all().
class WaitList {
  public:
    struct Awaiter {
        WaitList& l;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h) { l.list_.push_back(h); }
        void await_resume() const noexcept {}
    };
    /// Suspends until wake_all(). The caller re-checks its condition after it resumes.
    Awaiter wait() noexcept { return Awaiter{*this}; }
    bool empty() const noexcept { return list_.empty(); }
    /// Resumes every coroutine parked now; those that park again wait for the next call.
    void wake_all() noexcept {
        auto parked = std::move(list_);
        list_.clear();
        for (auto h : parked) h.resume();
    }
    /// Forgets every parked coroutine (their frames are being destroyed).
    void clear() noexcept { list_.clear(); }

  private:
    std::vector<std::coroutine_handle<>> list_;
};

/// Awaitable: resumes the awaiting coroutine when `h` (started, not awaited by anyone else)
/// reaches its end; at once when it has already finished. `h`'s promise must have a
/// `continuation` that its final awaiter resumes (gannet::Task's does).
template <class Promise>
struct Join {
    std::coroutine_handle<Promise> h;
    bool await_ready() const noexcept { return !h || h.done(); }
    void await_suspend(std::coroutine_handle<> me) noexcept { h.promise().continuation = me; }
    void await_resume() const noexcept {}
};

}  // namespace gannet::io
