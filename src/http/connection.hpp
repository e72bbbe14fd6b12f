// One HTTP/1.1 connection on one worker (DESIGN.md section 3): read, parse every complete
// request in the buffer, run each, serialize responses into one output buffer, and write the
// whole batch with one syscall.
//
// Buffer invariant: the read buffer never moves or reallocates while a request is being
// handled. The request head occupies [pos_, head_end_); body bytes are read and compacted only
// after head_end_, so every view in the Request stays valid until its response is complete.
#pragma once

#include "http/parser.hpp"
#include "io/worker.hpp"

#include <gannet/detail/transport.hpp>
#include <gannet/request.hpp>
#include <gannet/response.hpp>
#include <gannet/task.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gannet::http {

/// Limits and timeouts of the server (DESIGN.md section 5); all in one place so tests can
/// shorten them.
struct ServerLimits {
    ParserLimits parser;
    std::uint64_t max_body = 1024 * 1024;  ///< buffered body (per-route override)
    std::uint64_t header_timeout_ms = 10'000;
    std::uint64_t idle_timeout_ms = 60'000;
    std::uint64_t body_timeout_ms = 30'000;
    std::uint64_t write_timeout_ms = 30'000;
    std::size_t body_window = 32 * 1024;          ///< read buffer beyond the head limit
    std::size_t write_buffer_limit = 256 * 1024;  ///< a stream writer waits above this
};

/// Counters kept per worker (read by statistics and tests).
struct ConnectionStats {
    std::uint64_t requests = 0;
    std::uint64_t protocol_errors = 0;
    std::uint64_t timeouts = 0;
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

class Connection final : public io::Session, public detail::Transport {
  public:
    Connection(int fd, const ServerLimits& limits, Service& service, std::string_view remote);
    ~Connection() override;

    void start();
    void drain() override;
    void abort() override;

    // Transport. The overrides are plain functions that call coroutines: GCC 12 miscompiles a
    // coroutine that is reached through a this-adjusting thunk (Transport is not the primary
    // base), so no virtual function here is itself a coroutine.
    Task<std::optional<std::string_view>> read_body() override { return read_body_impl(); }
    int body_error() const noexcept override { return body_error_; }
    void set_body_limit(std::uint64_t bytes) noexcept override { body_limit_ = bytes; }
    Task<bool> write(std::string_view bytes) override { return write_impl(bytes); }
    std::size_t write_now(std::string_view head, std::string_view body,
                          std::string_view tail = {}) noexcept override;
    bool closed() const noexcept override { return broken_ || state_.hangup; }
    void close_after_response() noexcept override { close_after_ = true; }
    bool draining() const noexcept override { return draining_; }
    Task<std::optional<std::string_view>> read_raw(std::uint64_t timeout_ms, bool more) override {
        return read_raw_impl(timeout_ms, more);
    }
    void consume_raw(std::size_t n) noexcept override { body_pos_ = std::min(body_pos_ + n, len_); }
    bool timed_out() const noexcept override { return timed_out_; }
    Task<void> wait_closed() override { return wait_closed_impl(); }
    void close_now() noexcept override { abort(); }
    Task<bool> send_file(int fd, std::uint64_t offset, std::uint64_t count) override {
        return send_file_impl(fd, offset, count);
    }

    static ConnectionStats& stats() noexcept;

  private:
    enum class Phase : std::uint8_t { idle, head, handling, upgraded };

    Task<void> run();
    Task<void> serve();
    Task<std::optional<std::string_view>> read_body_impl();
    Task<bool> write_impl(std::string_view bytes);
    Task<std::optional<std::string_view>> read_raw_impl(std::uint64_t timeout_ms, bool more);
    Task<void> wait_closed_impl();
    Task<bool> send_file_impl(int fd, std::uint64_t offset, std::uint64_t count);
    void wake_waiters() noexcept;
    /// Reads more bytes into the buffer. Returns false on EOF, error, timeout or abort.
    Task<bool> fill(std::uint64_t timeout_ms);
    /// Writes everything in out_; false when the client is gone or too slow.
    Task<bool> flush(std::uint64_t timeout_ms);
    bool try_flush() noexcept;
    void handle_protocol_error(int status, std::string_view reason);
    void finish_request_body();
    bool acquire_buffer();
    void release_buffer() noexcept;
    static void on_timer(detail::TimerNode* n) noexcept;
    void wake() noexcept;

    struct TimedWait;
    struct CloseWait;
    // One timer per direction: a WebSocket read waiting for its ping interval and a write
    // stuck on a slow client each keep their own deadline and wake their own side.
    struct OwnedTimer : detail::TimerNode {
        OwnedTimer(Connection* c, bool w) noexcept
            : TimerNode(&Connection::on_timer), owner(c), for_write(w) {}
        Connection* owner;
        bool for_write;
        bool fired = false;
    };

    // The write path first (write_now() on every subscriber of a broadcast; see
    // Transport::prefetch_write): the socket's state, the output buffer and the flags.
    io::FdState state_;
    // Output buffer: [out_pos_, out_.size()) is pending.
    std::string out_;
    std::size_t out_pos_ = 0;
    bool broken_ = false;  // peer gone or write failed
    bool aborted_ = false;
    bool writing_ = false;  // a coroutine is inside flush(); others append and wait
    bool draining_ = false;

    const ServerLimits& limits_;
    Service& service_;
    RequestParser parser_;
    Request req_;
    OwnedTimer read_timer_;
    OwnedTimer write_timer_;
    char remote_[64];

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
    int body_error_ = 0;
    bool continue_sent_ = false;
    ChunkedDecoder chunked_;

    Phase phase_ = Phase::idle;
    std::uint64_t head_started_ms_ = 0;
    bool timed_out_ = false;
    bool close_after_ = false;
    std::vector<std::coroutine_handle<>> waiters_;  // writers over the limit, wait_closed()
    Task<void> task_;
};

}  // namespace gannet::http
