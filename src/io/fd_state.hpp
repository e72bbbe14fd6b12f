// The readiness of one file descriptor and the coroutines waiting on it: what a worker's
// backend (io/backend.hpp) reports into and what a connection's awaitables park in.
#pragma once

#include <gannet/detail/assert.hpp>

#include <coroutine>

namespace gannet::io {

/// Readiness of one file descriptor registered with a worker, and the coroutines waiting on it.
/// Edge-triggered: a flag stays set until the owner sees EAGAIN and clears it; the backend sets
/// it again only when the state changes (data arrives, space frees up, the peer hangs up).
///
/// Each slot holds at most one coroutine: whoever parks there must find it empty (checked by
/// GANNET_ASSERT), and the backend empties a slot before resuming its coroutine.
struct FdState {
    int fd = -1;
    bool readable = false;
    bool writable = false;
    bool hangup = false;  ///< peer closed or error: reads will return 0 or an error
    std::coroutine_handle<> reader;
    std::coroutine_handle<> writer;
    std::coroutine_handle<> closer;  ///< waits only for hang-up (an SSE stream's watch)
};

/// Parks `h` in `slot` (one of an FdState's reader, writer or closer), which must be empty:
/// a second waiter would silently replace the first, which would then never resume.
inline void park(std::coroutine_handle<>& slot, std::coroutine_handle<> h) noexcept {
    GANNET_ASSERT(!slot, "a second coroutine parks in an FdState slot that already has one");
    slot = h;
}

/// Awaitable: suspends until `s` is readable (or hung up). The caller re-checks by reading.
struct Readable {
    FdState& s;
    bool await_ready() const noexcept { return s.readable; }
    void await_suspend(std::coroutine_handle<> h) noexcept { park(s.reader, h); }
    void await_resume() const noexcept {}
};

/// Awaitable: suspends until `s` is writable (or hung up).
struct Writable {
    FdState& s;
    bool await_ready() const noexcept { return s.writable; }
    void await_suspend(std::coroutine_handle<> h) noexcept { park(s.writer, h); }
    void await_resume() const noexcept {}
};

}  // namespace gannet::io
