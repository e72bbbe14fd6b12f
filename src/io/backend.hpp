// The event backend under a worker (docs/architecture.md, "Runtime"): the one place that knows how
// the kernel reports readiness. epoll today (io/epoll_backend.hpp); io_uring later behind the same
// interface, with nothing above io changing. Above this file readiness is FdState's three flags
// and three waiter slots; no epoll (or io_uring) flag leaves io.
//
// A worker owns one backend and calls it from its own thread only, except wake(), which any
// thread may call. The worker's loop is
//
//     int n = backend.wait(timeout_ms);        // one kernel wait (virtual call per batch)
//     update the clock;                        // so resumed coroutines see the time of the wake
//     if (n > 0 && backend.dispatch()) run the mailbox;
//
// and dispatch() hands each event to io::dispatch() below, which is inline, non-virtual and
// tests the backend's own event bits: the per-event path costs what the loop cost before the
// interface existed.
#pragma once

#include "io/fd_state.hpp"

#include <cstdint>
#include <memory>
#include <utility>

namespace gannet::io {

/// What a registration watches.
enum class Interest : unsigned char { read = 1, write = 2, read_write = 3 };

/// Readiness as a backend reports it for one fd, in neutral terms.
using ReadyMask = std::uint32_t;
inline constexpr ReadyMask kReadable = 1u << 0;  ///< data (or EOF, or an error) to read
inline constexpr ReadyMask kWritable = 1u << 1;  ///< room to write (or an error to learn of)
inline constexpr ReadyMask kHangup = 1u << 2;    ///< the peer closed its side or the fd failed

/// Which bits of a backend's event word mean hang-up, readable and writable. io::dispatch tests
/// them directly, so a backend whose kernel reports its own masks (epoll; io_uring's poll
/// completions carry the same POLL* bits) hands them over without translating each event.
struct ReadyBits {
    std::uint32_t hangup;
    std::uint32_t readable;
    std::uint32_t writable;
};
/// The neutral masks above, for backends that build a ReadyMask themselves.
inline constexpr ReadyBits kReadyMaskBits{kHangup, kReadable, kWritable};

/// Records the readiness in `events` on `s` and resumes its waiters: the closer on hang-up,
/// then the reader, then the writer. Each slot is emptied before its coroutine resumes, so that
/// coroutine may park again. A resumed coroutine may finish its session, but the session (and
/// `s`) lives until the worker reaps it after the batch, so later events of the batch still
/// find `s`.
template <ReadyBits kBits>
inline void dispatch(FdState& s, std::uint32_t events) {
    if (events & kBits.hangup) {
        s.hangup = true;
        if (auto h = std::exchange(s.closer, {})) {
            GANNET_ASSERT(!h.done(), "a finished coroutine was left parked in an FdState slot");
            h.resume();
        }
    }
    if (events & kBits.readable) {
        s.readable = true;
        if (auto h = std::exchange(s.reader, {})) {
            GANNET_ASSERT(!h.done(), "a finished coroutine was left parked in an FdState slot");
            h.resume();
        }
    }
    if (events & kBits.writable) {
        s.writable = true;
        if (auto h = std::exchange(s.writer, {})) {
            GANNET_ASSERT(!h.done(), "a finished coroutine was left parked in an FdState slot");
            h.resume();
        }
    }
}

/// dispatch() for a neutral ReadyMask (a hang-up that should also wake the reader says so:
/// kHangup | kReadable).
inline void dispatch(FdState& s, ReadyMask ready) {
    dispatch<kReadyMaskBits>(s, ready);
}

/// How a worker waits for readiness. Edge-triggered: after add() the backend reports the fd's
/// current state once, then each change (new data, freed space, hang-up) at least once.
/// Spurious reports are allowed; owners re-check by reading or writing until EAGAIN.
class Backend {
  public:
    Backend() = default;
    Backend(const Backend&) = delete;
    Backend& operator=(const Backend&) = delete;
    virtual ~Backend() = default;

    /// A short name for logs and tests ("epoll").
    virtual const char* name() const noexcept = 0;

    /// Starts watching `s.fd` for `interest` (hang-up is always watched). `s` must stay alive
    /// and at the same address until remove() or release(). Throws std::system_error.
    virtual void add(FdState& s, Interest interest = Interest::read_write) = 0;
    /// Changes what `s` (already added) is watched for; reports its current state again.
    /// Throws std::system_error.
    virtual void modify(FdState& s, Interest interest) = 0;
    /// Stops watching `s.fd`, which stays open. Pending reports for `s` in the current batch
    /// may still be dispatched (the batch was gathered before).
    virtual void remove(FdState& s) noexcept = 0;
    /// Stops watching `s.fd` and closes it, as cheaply as the backend can (epoll: close(2)
    /// alone drops the registration, so no epoll_ctl).
    virtual void release(FdState& s) noexcept = 0;

    /// Waits up to `timeout_ms` (-1: no limit, 0: just look) for readiness or a wake-up, and
    /// keeps what it gathered for dispatch(). Returns how many events it gathered (0 on timeout
    /// or a signal), or -errno when the wait itself failed.
    virtual int wait(int timeout_ms) noexcept = 0;
    /// Hands every event the last wait() gathered to io::dispatch(). Returns true when a wake()
    /// was among them (the worker then runs its mailbox).
    virtual bool dispatch() = 0;

    /// Makes the current wait() return, or the next one if none is in progress, with a wake-up
    /// among its events. Any thread. Several wake-ups before a wait coalesce into one.
    virtual void wake() noexcept = 0;
};

/// The backend a Worker uses unless given another (epoll).
std::unique_ptr<Backend> make_default_backend();

}  // namespace gannet::io
