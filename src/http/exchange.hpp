// http::Exchange: one request and its response, as a protocol implements them
// (docs/architecture.md, "Exchanges").
//
// Everything above the protocols — ResponseStream, static files, SSE, the WebSocket upgrade —
// talks to an Exchange and never writes wire bytes: the protocol frames the response
// (Content-Length or chunked, no body for HEAD/204/304, "Connection: close" on HTTP/1; DATA
// frames and stream resets on HTTP/2). HTTP/1's Connection is the first implementation.
//
// Threading: an exchange lives on its connection's worker; every call runs there and every
// coroutine it suspends resumes there.
#pragma once

#include <gannet/http_types.hpp>
#include <gannet/response.hpp>
#include <gannet/task.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace gannet::http {

/// A trailer or header field given as a pair of strings.
using Field = std::pair<std::string, std::string>;

class Exchange {
  public:
    // --- the request body ---------------------------------------------------------------
    /// The next piece of the request body (decoded from its framing), or nullopt at its end or
    /// on an error (see body_error()). The view is valid until the next call.
    virtual Task<std::optional<std::string_view>> read_body() = 0;
    /// BodyError::none while the body is fine; otherwise why it ended early.
    virtual BodyError body_error() const noexcept = 0;
    /// Sets the body limit for this request (a per-route override), before the body is read.
    virtual void set_body_limit(std::uint64_t bytes) noexcept = 0;

    // --- the response ---------------------------------------------------------------------
    /// Starts the response: status and headers from `head` (its body is ignored), and the body
    /// length when known. The protocol decides the framing. A 101 turns an HTTP/1 connection
    /// into a byte stream for read_raw() and write_body(). Nothing is sent before the first
    /// write_body(), send_file(), flush() or finish(). Once per exchange.
    virtual void start_response(const Response& head, std::optional<std::uint64_t> length) = 0;
    /// True once start_response() was called.
    virtual bool response_started() const noexcept = 0;
    /// Sends a piece of the body, framed. Suspends while the connection's write buffer is full
    /// (backpressure). Several coroutines may write at once (a handler and a pub/sub delivery):
    /// the pieces of one call are never interleaved with another's. False once the client is
    /// gone, or when the piece would overrun the declared length (the connection then closes).
    virtual Task<bool> write_body(std::string_view data) = 0;

    /// How write_body_now() went.
    enum class Direct : std::uint8_t {
        sent,      ///< all of it is on its way
        partial,   ///< some went out; the rest waits, in order, ahead of any later write: the
                   ///< caller must call flush() (or write again) to send it
        not_sent,  ///< nothing was sent or kept: a writer is busy, bytes are pending, the
                   ///< socket is full or the client is gone (closed() tells)
    };
    /// The fast path beside write_body() for a piece made of `head` and `body` (a frame's
    /// header and payload): when nothing is pending and no writer is active, sends it framed
    /// with one system call. Never suspends.
    virtual Direct write_body_now(std::string_view head, std::string_view body) noexcept = 0;
    /// Sends whatever is pending; false once the client is gone.
    virtual Task<bool> flush() = 0;
    /// Sends `count` bytes of the open file `fd` from `offset` as body, after anything already
    /// pending (with sendfile(2) where the stream allows it). False once the client is gone or
    /// the file ended early (which also closes the connection).
    virtual Task<bool> send_file(int fd, std::uint64_t offset, std::uint64_t count) = 0;
    /// Ends the response: the last chunk with `trailers` on HTTP/1.1 chunked framing (ignored
    /// otherwise); a body shorter than its declared length closes the connection. Calling it
    /// again is harmless. False once the client is gone.
    virtual Task<bool> finish(std::span<const Field> trailers = {}) = 0;

    // --- the connection -----------------------------------------------------------------
    /// True once the peer has gone away (or half-closed) or the connection failed.
    virtual bool closed() const noexcept = 0;
    /// True once the server is shutting down: long-lived streams should end (WebSocket close
    /// 1001, SSE end of stream).
    virtual bool draining() const noexcept = 0;
    /// Suspends until closed() or draining() becomes true (streams that only write, such as
    /// SSE, learn promptly that the client left). Reads nothing. One waiter at a time;
    /// destroying it while it waits is safe.
    virtual Task<void> wait_closed() = 0;
    /// Cuts the exchange now (a slow subscriber under a "close" policy): pending writes fail,
    /// waiting coroutines wake up. HTTP/1 closes the connection.
    virtual void close_now() noexcept = 0;
    /// Nothing more may follow this response on the connection (an unframed or broken
    /// response). HTTP/1 closes the connection after it; HTTP/2 will reset the stream.
    virtual void close_after_response() noexcept = 0;

    // --- an upgraded exchange (after a 101): raw bytes in both directions -----------------
    /// The bytes received and not consumed yet, reading first when there are none or when
    /// `more` is set. nullopt when the peer is gone, `timeout_ms` passed with nothing new
    /// (timed_out() tells) or the server began draining. Valid until consume_raw() or the
    /// next call.
    virtual Task<std::optional<std::string_view>> read_raw(std::uint64_t timeout_ms, bool more) = 0;
    /// Marks `n` bytes of the last read_raw() view as used.
    virtual void consume_raw(std::size_t n) noexcept = 0;
    /// True when the last read ended because its timeout passed.
    virtual bool timed_out() const noexcept = 0;

    /// Hints the cache to load the write path's state: implementations keep it on the first
    /// two cache lines after this subobject. A pub/sub broadcast calls it a few subscribers
    /// ahead; non-virtual, so it does not itself wait for the object's memory.
    void prefetch_write() const noexcept {
        __builtin_prefetch(this);
        __builtin_prefetch(reinterpret_cast<const char*>(this) + 64);
    }

  protected:
    ~Exchange() = default;
};

}  // namespace gannet::http
