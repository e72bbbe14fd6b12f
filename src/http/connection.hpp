// One HTTP/1.1 connection on one worker (docs/architecture.md, "The request path"): read,
// parse every complete request in the buffer, run each, serialize responses into one output
// buffer, and write the whole batch with one write.
//
// It reads and writes an io::Stream and makes no system call itself; it is the http::Exchange
// of the request it is handling, with HTTP/1's framing inside.
//
// Buffer invariant: the read buffer never moves or reallocates while a request is being
// handled. The request head occupies [pos_, head_end_); body bytes are read and compacted only
// after head_end_, so every view in the Request stays valid until its response is complete.
#pragma once

#include "http/exchange.hpp"
#include "http/parser.hpp"
#include "io/stream.hpp"
#include "io/waiters.hpp"

#include <gannet/request.hpp>
#include <gannet/response.hpp>
#include <gannet/task.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gannet::http {

/// Limits and timeouts of the server (docs/architecture.md, "HTTP rules and limits"); all in one
/// place so tests can shorten them.
struct ServerLimits {
    ParserLimits parser;
    std::uint64_t max_body = 1024 * 1024;  ///< buffered body (per-route override)
    std::uint64_t header_timeout_ms = 10'000;
    std::uint64_t idle_timeout_ms = 60'000;
    std::uint64_t body_timeout_ms = 30'000;
    std::uint64_t write_timeout_ms = 30'000;
    std::size_t body_window = 32 * 1024;          ///< read buffer beyond the head limit
    std::size_t write_buffer_limit = 256 * 1024;  ///< a stream writer waits above this
    /// After an error answered before the request was read in full, how long the connection
    /// goes on reading (and discarding) what the client still sends before it closes, so that
    /// the client can read the answer instead of meeting a reset (RFC 9112 §9.6).
    std::uint64_t linger_timeout_ms = 2'000;
};

/// A counter that one thread bumps and any thread may read: a relaxed load and store, no
/// atomic read-modify-write on the request path.
class Counter {
  public:
    void bump(std::uint64_t n = 1) noexcept {
        v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::uint64_t> v_{0};
};

/// What one worker's connections count (read by App::stats()). Each worker has its own, on its
/// own cache line.
struct alignas(64) ConnectionStats {
    Counter connections;      ///< accepted
    Counter requests;         ///< request heads parsed
    Counter protocol_errors;  ///< answered with an error status and closed
    Counter timeouts;         ///< header, idle, body and write timeouts that fired
};

/// What the connection asks of the application layer.
class Service {
  public:
    /// Handles one request. Returns true when `res` already holds the response (the sync fast
    /// path); otherwise sets `task`, which the connection awaits.
    virtual bool handle(Request& req, Response& res, Task<Response>& task) = 0;
    /// A protocol error was answered with `status` (for logs and counters).
    virtual void on_protocol_error(int status, std::string_view reason) noexcept = 0;

  protected:
    ~Service() = default;
};

class Connection final : public Exchange, public io::Session {
  public:
    Connection(std::unique_ptr<io::Stream> stream, const ServerLimits& limits, Service& service,
               ConnectionStats& stats);
    ~Connection() override;

    void start();
    void drain() override;
    void abort() override;

    // Exchange.
    Task<std::optional<std::string_view>> read_body() override;
    BodyError body_error() const noexcept override { return body_error_; }
    void set_body_limit(std::uint64_t bytes) noexcept override { body_limit_ = bytes; }
    void start_response(const Response& head, std::optional<std::uint64_t> length) override;
    bool response_started() const noexcept override { return resp_.started; }
    Task<bool> write_body(std::string_view data) override;
    Direct write_body_now(std::string_view head, std::string_view body) noexcept override;
    Task<bool> flush() override { return push(); }
    Task<bool> send_file(int fd, std::uint64_t offset, std::uint64_t count) override;
    Task<bool> finish(std::span<const Field> trailers) override;
    bool closed() const noexcept override { return broken_ || stream_->hung_up(); }
    bool draining() const noexcept override { return draining_; }
    Task<void> wait_closed() override;
    void close_now() noexcept override { abort(); }
    void close_after_response() noexcept override { close_after_ = true; }
    Task<std::optional<std::string_view>> read_raw(std::uint64_t timeout_ms, bool more) override;
    void consume_raw(std::size_t n) noexcept override { body_pos_ = std::min(body_pos_ + n, len_); }
    bool timed_out() const noexcept override { return timed_out_; }

  private:
    enum class Phase : std::uint8_t { idle, head, handling, upgraded };

    /// The framing of the response being written through the Exchange interface.
    struct ResponseState {
        std::optional<std::uint64_t> length;  // declared body length
        std::uint64_t written = 0;            // body bytes accepted so far
        bool started = false;
        bool finished = false;
        bool chunked = false;
        bool no_body = false;  // HEAD, 1xx, 204, 304: the body is counted, never sent
    };
    /// True when `n` more body bytes would pass the declared length (and break the framing).
    bool overruns(std::uint64_t n) const noexcept {
        return resp_.length && resp_.written + n > *resp_.length;
    }

    Task<void> run();
    Task<void> serve();
    /// Reads more bytes into the buffer. Returns false on EOF, error, timeout or abort.
    Task<bool> fill(std::uint64_t timeout_ms);
    /// Writes everything in out_; false when the client is gone or too slow.
    Task<bool> send_out(std::uint64_t timeout_ms);
    bool try_send_out() noexcept;
    /// Sends out_ as the exchange's writer (or waits for the active writer while over the
    /// write buffer limit): the shared tail of write_body(), flush() and finish().
    Task<bool> push();
    /// Interprets how a wait on the stream ended: false when it timed out or the connection
    /// was aborted (or, for an upgraded connection's read, when the server is draining); true
    /// when the caller should try again.
    bool after_wait(io::WaitResult r, bool reading) noexcept;
    /// Reads and discards what the client still sends after an early error, for a bounded
    /// time, after shutting down our side (RFC 9112 §9.6).
    Task<void> linger();
    void handle_protocol_error(int status, std::string_view reason);
    void finish_request_body();
    void acquire_buffer();
    void release_buffer() noexcept;

    // The write path first (write_body_now() on every subscriber of a broadcast; see
    // Exchange::prefetch_write): the stream, the output buffer and the flags.
    io::Stream* stream_;
    // Output buffer: [out_pos_, out_.size()) is pending.
    std::string out_;
    std::size_t out_pos_ = 0;
    bool broken_ = false;  // peer gone or write failed
    bool aborted_ = false;
    bool writing_ = false;  // a coroutine is sending out_; others append and wait
    bool draining_ = false;
    ResponseState resp_;

    std::unique_ptr<io::Stream> owned_stream_;
    const ServerLimits& limits_;
    Service& service_;
    ConnectionStats& stats_;
    RequestParser parser_;
    Request req_;

    // Read buffer (pooled per worker): [pos_, len_) is unprocessed input.
    char* buf_ = nullptr;
    std::size_t cap_ = 0;
    std::size_t pos_ = 0;
    std::size_t len_ = 0;
    std::size_t head_end_ = 0;

    // Body of the current request.
    BodyKind body_kind_ = BodyKind::none;
    std::uint64_t body_left_ = 0;
    std::uint64_t body_read_ = 0;
    std::uint64_t body_limit_ = 0;
    std::size_t body_pos_ = 0;
    bool body_done_ = true;
    BodyError body_error_ = BodyError::none;
    bool continue_sent_ = false;
    ChunkedDecoder chunked_;

    Phase phase_ = Phase::idle;
    std::uint64_t head_started_ms_ = 0;
    bool timed_out_ = false;
    bool close_after_ = false;
    bool linger_ = false;   // close in stages: the client may still be sending
    io::WaitList waiters_;  // writers over the write buffer limit
    Task<void> task_;
};

}  // namespace gannet::http
