// io::Stream: the byte stream under every protocol (docs/architecture.md, "Streams").
//
// A protocol connection (HTTP/1 server, later HTTP/2, an HTTP or database client) holds a
// Stream and makes no system call itself. The operations come in two kinds:
//  - try-operations (read, write, sendfile) that never wait: they do what the stream can do now
//    and say why they stopped (IoError::would_block when the socket is full or empty);
//  - waits (wait_readable, wait_writable, wait_hangup) that suspend the calling coroutine until
//    a try-operation may make progress, a timeout passes or someone cancels the wait.
// A stream may need the other direction to make progress: a TLS read can need a write (a
// renegotiation or a key update) and a TLS write can need a read. Such a stream sets
// read_needs_ / write_needs_, and wait_readable() then parks on whichever direction the stream
// needs. The readiness flags are the stream's to keep: a TLS stream holding decrypted bytes
// sets state_.readable itself. (Plain data and no virtual call: these are on every request's
// path.)
//
// Threading: a stream lives on the worker that accepted or opened it; every operation and every
// wait runs there, and a waiting coroutine resumes there (asserted in Debug and ASan builds).
#pragma once

#include "io/worker.hpp"

#include <gannet/detail/timer_node.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace gannet::io {

/// Why a stream operation stopped. Typed so that callers can tell causes apart.
enum class IoError : std::uint8_t {
    none,         ///< done (possibly partially: see IoResult::bytes)
    would_block,  ///< nothing more can move now: wait for readiness
    eof,          ///< the peer closed its sending side (a read returned 0)
    reset,        ///< the connection failed or was reset (peer gone, EPIPE, ECONNRESET)
    file,         ///< sendfile: the file ended before `count` bytes (or could not be read)
};

/// What a try-operation did: `bytes` moved, and why it stopped when not everything moved.
struct IoResult {
    std::size_t bytes = 0;
    IoError error = IoError::none;
};

/// How a wait ended.
enum class WaitResult : std::uint8_t {
    ready,      ///< the direction is ready (or the peer hung up: the next operation tells)
    timed_out,  ///< the timeout passed first
    cancelled,  ///< cancel_waits(): the owner is draining or aborting
};

enum class Direction : std::uint8_t { read, write };

class Stream {
  public:
    Stream() noexcept;
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    virtual ~Stream();

    /// Registers the stream with the current worker's poller. Call once, on the worker that
    /// will run every operation on it.
    virtual void attach() = 0;

    // --- try-operations: never wait -----------------------------------------------------
    /// Reads up to `buf.size()` bytes.
    virtual IoResult read(std::span<char> buf) noexcept = 0;
    /// Writes the concatenation of `pieces` (a gather write); `bytes` says how much of it left.
    virtual IoResult write(std::span<const std::string_view> pieces) noexcept = 0;
    /// True when sendfile() moves bytes from a file without a copy through user space (a TLS
    /// stream cannot: it must encrypt them).
    virtual bool can_sendfile() const noexcept { return false; }
    /// Sends up to `count` bytes of file `fd` from `offset` (advanced by what was sent).
    virtual IoResult sendfile(int fd, std::uint64_t& offset, std::size_t count) noexcept;
    /// While on, small writes are held back until a full segment or until it is turned off
    /// (a response head and the file behind it share segments). A hint; may do nothing.
    virtual void cork(bool on) noexcept;
    /// Ends the sending side (the peer reads end of stream); reading goes on.
    virtual void shutdown_write() noexcept = 0;
    /// Ends both directions now: pending and later operations fail, waiters stay parked until
    /// cancel_waits(). The descriptor stays open until close().
    virtual void shutdown_both() noexcept = 0;
    /// Releases the descriptor. Waiters must have been cancelled or resumed.
    virtual void close() noexcept = 0;

    /// The peer's and our own address, "127.0.0.1:53211" or "[::1]:8080".
    virtual std::string_view peer_address() const noexcept = 0;
    virtual std::string_view local_address() const noexcept = 0;

    // --- readiness --------------------------------------------------------------------------
    /// True when a read may make progress without waiting (set by the poller's edge, cleared by
    /// the stream when the socket ran dry). A hint: false positives are allowed.
    bool readable() const noexcept { return state_.readable; }
    bool writable() const noexcept { return state_.writable; }
    /// True once the peer hung up or the connection failed (seen without reading).
    bool hung_up() const noexcept { return state_.hangup; }

    class Wait;
    /// Suspends until read() may make progress, `timeout_ms` passes (0: no timeout) or
    /// cancel_waits(). One reader at a time.
    Wait wait_readable(std::uint64_t timeout_ms) noexcept {
        return Wait(*this, Wait::Kind::read, timeout_ms);
    }
    /// The same for write().
    Wait wait_writable(std::uint64_t timeout_ms) noexcept {
        return Wait(*this, Wait::Kind::write, timeout_ms);
    }
    /// Suspends until the peer hangs up or cancel_waits(); reads nothing (a stream that only
    /// writes learns promptly that its client left). One waiter at a time.
    Wait wait_hangup() noexcept { return Wait(*this, Wait::Kind::hangup, 0); }
    /// Resumes every parked waiter with WaitResult::cancelled.
    void cancel_waits() noexcept;
    /// Resumes the parked reader and hang-up waiter (not the writer) with cancelled.
    void cancel_read_waits() noexcept;

    /// Hints the cache to load the write path's state (a fan-out calls it a few subscribers
    /// ahead).
    void prefetch() const noexcept {
        __builtin_prefetch(this);
        __builtin_prefetch(reinterpret_cast<const char*>(this) + 64);
    }

    /// Awaitable returned by the waits; resolves to a WaitResult.
    class Wait {
      public:
        Wait(const Wait&) = delete;
        Wait& operator=(const Wait&) = delete;
        /// A coroutine destroyed while it waits leaves no handle behind.
        ~Wait() {
            if (h_) s_.abandon(kind_, h_);
        }
        bool await_ready() const noexcept {
            return kind_ == Kind::read    ? s_.state_.readable
                   : kind_ == Kind::write ? s_.state_.writable
                                          : s_.state_.hangup;
        }
        void await_suspend(std::coroutine_handle<> h) noexcept;
        WaitResult await_resume() noexcept {
            h_ = {};
            Slot& slot = s_.slot_for(kind_);
            if (slot.armed()) slot.cancel();
            slot.waiter = {};
            WaitResult r = slot.result;
            slot.result = WaitResult::ready;
            return r;
        }

      private:
        friend class Stream;
        enum class Kind : std::uint8_t { read, write, hangup };
        Wait(Stream& s, Kind k, std::uint64_t ms) noexcept : s_(s), kind_(k), ms_(ms) {}
        Stream& s_;
        Kind kind_;
        std::uint64_t ms_;
        std::coroutine_handle<> h_;  // set while parked
    };

  protected:
    // The write path's state first: see prefetch().
    FdState state_;
    /// The direction a wait for reading (writing) must wait on: the same one, except for a
    /// stream such as TLS whose read can need a write (and vice versa).
    Direction read_needs_ = Direction::read;
    Direction write_needs_ = Direction::write;

  private:
    // One per kind of wait that has a timeout. `parked_in` is the poller slot the waiter sits
    // in, which differs from the direction asked for when blocked_on() says so.
    struct Slot : detail::TimerNode {
        explicit Slot(Stream* s) noexcept;
        Stream* owner;
        std::coroutine_handle<> waiter;  // parked here (the poller's slot may already be empty)
        Direction parked_in = Direction::read;
        WaitResult result = WaitResult::ready;
    };
    static void on_timeout(detail::TimerNode* n) noexcept;
    /// A coroutine destroyed while it waits: takes its handle out of the slots.
    void abandon(Wait::Kind k, std::coroutine_handle<> h) noexcept;
    /// Takes the waiter out of `slot` (and of the poller's slot) and records `why`; returns the
    /// handle to resume, or null when nobody waits there.
    std::coroutine_handle<> take(Slot& slot, WaitResult why) noexcept;
    Slot& slot_for(Wait::Kind k) noexcept {
        return k == Wait::Kind::read    ? read_slot_
               : k == Wait::Kind::write ? write_slot_
                                        : hangup_slot_;
    }
    std::coroutine_handle<>& parked(Direction d) noexcept {
        return d == Direction::read ? state_.reader : state_.writer;
    }
    Slot read_slot_;
    Slot write_slot_;
    Slot hangup_slot_;  // never armed: a hang-up wait has no timeout
};

}  // namespace gannet::io
