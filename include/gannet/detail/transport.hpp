// The connection as seen by a Request and a ResponseStream. Implemented by the HTTP connection;
// users never touch it.
#pragma once

#include <gannet/task.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace gannet::detail {

/// Hints the cache to load the two lines from `p`: the hot fields a fan-out reads of each
/// subscriber, a few subscribers ahead.
inline void prefetch_two_lines(const void* p) noexcept {
    __builtin_prefetch(p);
    __builtin_prefetch(static_cast<const char*>(p) + 64);
}

/// Appends what Transport::write_now() left unsent of `pieces` (it sent the first `sent` bytes
/// of their concatenation).
inline void append_unsent(std::string& out, std::initializer_list<std::string_view> pieces,
                          std::size_t sent) {
    for (std::string_view piece : pieces) {
        std::size_t skip = sent < piece.size() ? sent : piece.size();
        out.append(piece.substr(skip));
        sent -= skip;
    }
}

class Transport {
  public:
    /// The next piece of the request body (decoded from chunked framing), or nullopt at its end
    /// or on an error (see body_error()). The view is valid until the next call.
    virtual Task<std::optional<std::string_view>> read_body() = 0;
    /// 0 while the body is fine; otherwise the status that describes what went wrong
    /// (400 malformed framing, 408 timed out, 413 over the limit, 499 client went away).
    virtual int body_error() const noexcept = 0;
    /// Sets the body limit for this request (a per-route override), before the body is read.
    virtual void set_body_limit(std::uint64_t bytes) noexcept = 0;
    /// Queues `bytes` for the client and flushes; suspends while more than the connection's
    /// write buffer limit is pending. Several coroutines may write at once (a handler and a
    /// pub/sub delivery): bytes of one call are never interleaved with another's. False once
    /// the client is gone.
    virtual Task<bool> write(std::string_view bytes) = 0;
    /// The fast path beside write(): when nothing is pending and no writer is active, sends
    /// `head`, `body` and `tail` at once with one system call and returns how many bytes left
    /// (all, some or none of them); the caller queues the rest through write(). Returns 0
    /// without sending when bytes are pending, a writer is active, the socket is full or the
    /// client is gone (closed() then tells). Never suspends.
    virtual std::size_t write_now(std::string_view head, std::string_view body,
                                  std::string_view tail = {}) noexcept = 0;
    /// Sends `count` bytes of the open file `fd` from `offset` with sendfile(2), after anything
    /// already queued; suspends while the socket is full. False once the client is gone (or
    /// the file ended early, which also marks the connection to close).
    virtual Task<bool> send_file(int fd, std::uint64_t offset, std::uint64_t count) = 0;
    /// True once the peer has gone away (or half-closed) or the connection failed.
    virtual bool closed() const noexcept = 0;
    /// True once the server is shutting down: long-lived streams should end (WebSocket close
    /// 1001, SSE end of stream).
    virtual bool draining() const noexcept = 0;

    /// For upgraded protocols (WebSocket): the bytes received after the request that are not
    /// consumed yet, reading the socket first when there are none or when `more` is set.
    /// nullopt when the peer is gone, `timeout_ms` passed with nothing new (timed_out() tells)
    /// or the server began draining. The view is valid until consume_raw() or the next call.
    virtual Task<std::optional<std::string_view>> read_raw(std::uint64_t timeout_ms, bool more) = 0;
    /// Marks `n` bytes of the last read_raw() view as used.
    virtual void consume_raw(std::size_t n) noexcept = 0;
    /// True when the last wait ended because its timeout passed.
    virtual bool timed_out() const noexcept = 0;
    /// Suspends until closed() or draining() becomes true (for streams that only write, such
    /// as SSE, to learn promptly that the client went away). Reads nothing. At most one
    /// coroutine may wait at a time; destroying it while it waits is safe.
    virtual Task<void> wait_closed() = 0;
    /// Cuts the connection now (a slow subscriber under a "close" policy): pending writes
    /// fail, the socket is shut down, waiting coroutines wake up.
    virtual void close_now() noexcept = 0;
    /// The connection must close once the current response is complete (an unframed or
    /// broken response).
    virtual void close_after_response() noexcept = 0;

    /// Hints the cache to load the write path's state: implementations keep it in the first
    /// two cache lines after this subobject. A pub/sub broadcast calls it a few subscribers
    /// ahead; non-virtual, so it does not itself wait for the object's memory.
    void prefetch_write() const noexcept { prefetch_two_lines(this); }

  protected:
    ~Transport() = default;
};

}  // namespace gannet::detail
