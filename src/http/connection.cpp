#include "http/connection.hpp"

#include "http/serializer.hpp"
#include "io/socket.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace gannet::http {

namespace {

// Read buffers are pooled per worker: an idle keep-alive connection holds none, so ten
// thousand idle connections cost their sockets, not ten thousand buffers.
struct BufferPool {
    std::size_t size = 0;
    std::vector<char*> free;
    ~BufferPool() {
        for (char* b : free) delete[] b;
    }
    char* get(std::size_t want) {
        if (want != size) {
            for (char* b : free) delete[] b;
            free.clear();
            size = want;
        }
        if (!free.empty()) {
            char* b = free.back();
            free.pop_back();
            return b;
        }
        return new char[want];
    }
    void put(char* b, std::size_t cap) noexcept {
        if (cap == size && free.size() < 32) {
            free.push_back(b);
        } else {
            delete[] b;
        }
    }
};

thread_local BufferPool t_buffers;
thread_local ConnectionStats t_stats;

constexpr std::size_t kFlushThreshold = 64 * 1024;

}  // namespace

ConnectionStats& Connection::stats() noexcept {
    return t_stats;
}

struct Connection::TimedWait {
    TimedWait(Connection& conn, bool write, std::uint64_t timeout) noexcept
        : c(conn), for_write(write), ms(timeout) {}
    Connection& c;
    bool for_write;
    std::uint64_t ms;
    OwnedTimer& timer() const noexcept { return for_write ? c.write_timer_ : c.read_timer_; }
    bool await_ready() const noexcept {
        return c.aborted_ || (for_write ? c.state_.writable : c.state_.readable);
    }
    void await_suspend(std::coroutine_handle<> h) noexcept {
        (for_write ? c.state_.writer : c.state_.reader) = h;
        timer().fired = false;
        if (ms > 0) timer().arm(ms);
    }
    bool await_resume() noexcept {
        OwnedTimer& t = timer();
        t.cancel();
        bool fired = t.fired;
        t.fired = false;
        if (!for_write) c.timed_out_ = fired;
        // An upgraded connection (WebSocket) is told about a drain by ending its read.
        bool drained = !for_write && c.draining_ && c.phase_ == Phase::upgraded;
        return !fired && !c.aborted_ && !drained;
    }
};

// Parks in the fd's `closer` slot, which the worker resumes on hang-up. If the waiting
// coroutine is destroyed while parked, the destructor takes the handle back out.
struct Connection::CloseWait {
    Connection& c;
    std::coroutine_handle<> self;
    bool await_ready() const noexcept {
        return c.broken_ || c.state_.hangup || c.draining_ || c.aborted_;
    }
    void await_suspend(std::coroutine_handle<> h) noexcept {
        self = h;
        c.state_.closer = h;
    }
    void await_resume() noexcept { self = {}; }
    ~CloseWait() {
        if (self && c.state_.closer == self) c.state_.closer = {};
    }
};

Connection::Connection(int fd, const ServerLimits& limits, Service& service,
                       std::string_view remote)
    : limits_(limits),
      service_(service),
      parser_(limits.parser),
      read_timer_(this, false),
      write_timer_(this, true) {
    state_.fd = fd;
    std::size_t n = std::min(remote.size(), sizeof remote_ - 1);
    std::memcpy(remote_, remote.data(), n);
    remote_[n] = '\0';
    req_.attach(this, std::string_view(remote_, n));
}

Connection::~Connection() {
    read_timer_.cancel();
    write_timer_.cancel();
    if (state_.fd >= 0) {
        io::Worker::forget(state_);
        io::close_fd(state_.fd);
    }
    release_buffer();
}

void Connection::start() {
    io::Worker::current()->watch(state_);
    // Data usually arrives with the connection: try reading before waiting for an edge.
    state_.readable = true;
    state_.writable = true;
    task_ = run();
    task_.start();
}

void Connection::on_timer(detail::TimerNode* n) noexcept {
    auto* t = static_cast<OwnedTimer*>(n);
    t->fired = true;
    ++t_stats.timeouts;
    auto& slot = t->for_write ? t->owner->state_.writer : t->owner->state_.reader;
    if (auto h = std::exchange(slot, {})) h.resume();
}

void Connection::wake() noexcept {
    // Each resumed coroutine runs until it suspends again; take every slot first.
    auto r = std::exchange(state_.reader, {});
    auto w = std::exchange(state_.writer, {});
    auto c = std::exchange(state_.closer, {});
    if (r) r.resume();
    if (w) w.resume();
    if (c) c.resume();
}

void Connection::drain() {
    draining_ = true;
    if (phase_ == Phase::idle) {
        aborted_ = true;
        wake();
    } else {
        // A WebSocket read or an SSE wait_closed(): let it see the drain. A body read simply
        // waits again.
        if (auto h = std::exchange(state_.reader, {})) h.resume();
        if (auto h = std::exchange(state_.closer, {})) h.resume();
    }
    wake_waiters();
}

void Connection::wake_waiters() noexcept {
    // Resumed coroutines may add themselves again: take the list first.
    auto waiters = std::move(waiters_);
    waiters_.clear();
    for (auto h : waiters) h.resume();
}

void Connection::abort() {
    aborted_ = true;
    broken_ = true;
    if (state_.fd >= 0) ::shutdown(state_.fd, SHUT_RDWR);
    wake();
    wake_waiters();
}

bool Connection::acquire_buffer() {
    if (!buf_) {
        cap_ = limits_.parser.max_header_bytes + limits_.body_window;
        buf_ = t_buffers.get(cap_);
    }
    return true;
}

void Connection::release_buffer() noexcept {
    if (buf_) {
        t_buffers.put(buf_, cap_);
        buf_ = nullptr;
    }
    pos_ = len_ = 0;
}

Task<void> Connection::run() {
    try {
        co_await serve();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gannet: connection from %s failed: %s\n", remote_, e.what());
    }
    read_timer_.cancel();
    write_timer_.cancel();
    io::Worker::forget(state_);  // close() also removes the fd from epoll: no epoll_ctl needed
    io::close_fd(state_.fd);
    state_.fd = -1;
    release_buffer();
    set_finished();
}

Task<bool> Connection::fill(std::uint64_t timeout_ms) {
    // One co_return at the end and no co_return inside the loop: see the note on flush().
    acquire_buffer();
    timed_out_ = false;
    enum class Outcome : std::uint8_t { pending, got_bytes, failed };
    Outcome outcome = Outcome::pending;
    while (outcome == Outcome::pending) {
        if (aborted_) {
            outcome = Outcome::failed;
        } else if (state_.readable && len_ == cap_) {
            outcome = Outcome::got_bytes;  // the buffer is full: the caller decides
        } else if (state_.readable) {
            std::size_t room = cap_ - len_;
            ssize_t n = ::recv(state_.fd, buf_ + len_, room, 0);
            if (n > 0) {
                len_ += static_cast<std::size_t>(n);
                // A short read drained the socket: with edge-triggered epoll, data arriving
                // later raises a new edge, so the next fill() waits instead of spending a
                // recv() on EAGAIN. This saves one syscall per request on keep-alive traffic.
                // Not after a hang-up: the FIN came with this data and its edge is spent, so
                // the next recv() must run to see the end of the stream.
                if (static_cast<std::size_t>(n) < room && !state_.hangup) state_.readable = false;
                outcome = Outcome::got_bytes;
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) {
                broken_ = true;
                outcome = Outcome::failed;
            } else if (errno != EINTR) {
                state_.readable = false;
            }
        } else {
            // Nothing buffered: wait without a buffer, so that connections waiting for their
            // first (or next) request cost their socket and this object, not a read buffer.
            if (len_ == 0) release_buffer();
            bool ready = co_await TimedWait{*this, false, timeout_ms};
            if (ready) {
                acquire_buffer();
            } else {
                outcome = Outcome::failed;
            }
        }
    }
    co_return outcome == Outcome::got_bytes;
}

bool Connection::try_flush() noexcept {
    while (out_pos_ < out_.size()) {
        if (!state_.writable) return false;
        ssize_t n = ::send(state_.fd, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
        if (n > 0) {
            out_pos_ += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            state_.writable = false;
            return false;
        }
        broken_ = true;
        out_pos_ = out_.size();
        break;
    }
    out_.clear();
    out_pos_ = 0;
    return !broken_;
}

// Written as a while loop on purpose: GCC 12 miscompiled the equivalent
// `for (;;) { if (try_flush()) co_return true; ... if (!co_await ...) ... }` (the ramp handed out
// a frame pointer 8 bytes off, so the first resume ran garbage). Clang 14 compiled both right.
Task<bool> Connection::flush(std::uint64_t timeout_ms) {
    while (!try_flush()) {
        if (broken_) co_return false;
        bool ok = co_await TimedWait{*this, true, timeout_ms};
        if (!ok) {
            broken_ = true;
            co_return false;
        }
    }
    co_return true;
}

void Connection::handle_protocol_error(int status, std::string_view reason) {
    ++t_stats.protocol_errors;
    service_.on_protocol_error(status, reason);
    serialize_error(status, reason, current_date(), out_);
    close_after_ = true;
}

void Connection::finish_request_body() {
    if (body_done_) return;
    if (body_error_ != 0) {
        close_after_ = true;
        return;
    }
    // Skip what has already arrived; a body still on the wire means closing (we will not
    // read megabytes nobody asked for, and after an unanswered 100-continue the client may
    // or may not send it).
    if (body_kind_ == BodyKind::length) {
        std::size_t avail = len_ - body_pos_;
        std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(avail, body_left_));
        body_pos_ += k;
        body_left_ -= k;
        body_done_ = body_left_ == 0;
    } else if (body_kind_ == BodyKind::chunked) {
        while (body_pos_ < len_) {
            auto r = chunked_.next({buf_ + body_pos_, len_ - body_pos_});
            body_pos_ += r.consumed;
            if (r.status == ChunkedDecoder::Result::Status::done) {
                body_done_ = true;
                break;
            }
            if (r.status != ChunkedDecoder::Result::Status::data) break;
        }
    }
    if (!body_done_) close_after_ = true;
}

Task<std::optional<std::string_view>> Connection::read_body_impl() {
    using CS = ChunkedDecoder::Result::Status;
    if (body_done_ || body_error_ != 0) co_return std::nullopt;
    if (body_read_ == 0 && body_kind_ == BodyKind::chunked) chunked_.set_max_body(body_limit_);
    if (req_.head().expect_continue && !continue_sent_ && body_pos_ == len_) {
        continue_sent_ = true;
        out_ += "HTTP/1.1 100 Continue\r\n\r\n";
        if (!co_await flush(limits_.write_timeout_ms)) {
            body_error_ = 499;
            co_return std::nullopt;
        }
    }
    for (;;) {
        if (body_kind_ == BodyKind::length) {
            std::size_t avail = len_ - body_pos_;
            if (avail > 0) {
                std::size_t k =
                    static_cast<std::size_t>(std::min<std::uint64_t>(avail, body_left_));
                if (body_read_ + k > body_limit_) {
                    // The handler lowered the limit below the declared length.
                    body_error_ = 413;
                    close_after_ = true;
                    co_return std::nullopt;
                }
                std::string_view piece(buf_ + body_pos_, k);
                body_pos_ += k;
                body_left_ -= k;
                body_read_ += k;
                if (body_left_ == 0) body_done_ = true;
                co_return piece;
            }
        } else if (body_pos_ < len_) {
            auto r = chunked_.next({buf_ + body_pos_, len_ - body_pos_});
            body_pos_ += r.consumed;
            if (r.status == CS::data) {
                body_read_ += r.data.size();
                if (body_read_ > body_limit_) {
                    body_error_ = 413;
                    close_after_ = true;
                    co_return std::nullopt;
                }
                co_return r.data;
            }
            if (r.status == CS::done) {
                body_done_ = true;
                co_return std::nullopt;
            }
            if (r.status == CS::error) {
                body_error_ = r.error_status;
                close_after_ = true;
                co_return std::nullopt;
            }
        }
        // Everything before body_pos_ was handed out: keep the head in place, move the
        // unconsumed tail (a partial chunk line) down to head_end_, and read more.
        std::size_t keep = len_ - body_pos_;
        if (body_pos_ > head_end_) {
            std::memmove(buf_ + head_end_, buf_ + body_pos_, keep);
            len_ = head_end_ + keep;
            body_pos_ = head_end_;
        }
        if (len_ == cap_) {
            body_error_ = 400;  // a chunk-size line longer than the whole body window
            close_after_ = true;
            co_return std::nullopt;
        }
        if (!co_await fill(limits_.body_timeout_ms)) {
            body_error_ = timed_out_ ? 408 : 499;
            close_after_ = true;
            co_return std::nullopt;
        }
    }
}

namespace {
struct Park {
    std::vector<std::coroutine_handle<>>& list;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { list.push_back(h); }
    void await_resume() const noexcept {}
};
}  // namespace

Task<bool> Connection::write_impl(std::string_view bytes) {
    if (broken_) co_return false;
    out_ += bytes;
    if (writing_) {
        // Another coroutine is flushing and will send these bytes too; wait only while the
        // backlog is over the limit (that is the backpressure).
        while (writing_ && !broken_ && out_.size() - out_pos_ > limits_.write_buffer_limit) {
            co_await Park{waiters_};
        }
        co_return !broken_;
    }
    writing_ = true;
    bool ok = co_await flush(limits_.write_timeout_ms);
    writing_ = false;
    wake_waiters();
    co_return ok;
}

std::size_t Connection::write_now(std::string_view head, std::string_view body,
                                  std::string_view tail) noexcept {
    if (broken_ || aborted_ || writing_ || out_pos_ < out_.size() || !state_.writable) return 0;
    // One contiguous piece goes through send(), the kernel's cheaper path than sendmsg()'s
    // iovecs: a broadcast frame as it is, a small message copied behind its header.
    constexpr std::size_t copy_limit = 1024;
    const std::size_t total = head.size() + body.size() + tail.size();
    char small[copy_limit];
    std::string_view one;
    if (body.empty() && tail.empty()) {
        one = head;
    } else if (total <= copy_limit) {
        std::size_t at = 0;
        for (std::string_view piece : {head, body, tail}) {
            if (piece.empty()) continue;  // an empty view may have no data pointer at all
            std::memcpy(small + at, piece.data(), piece.size());
            at += piece.size();
        }
        one = {small, total};
    }
    iovec iov[3] = {{const_cast<char*>(head.data()), head.size()},
                    {const_cast<char*>(body.data()), body.size()},
                    {const_cast<char*>(tail.data()), tail.size()}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = tail.empty() ? 2 : 3;
    ssize_t n = -1;
    do {
        n = one.data() ? ::send(state_.fd, one.data(), one.size(), MSG_NOSIGNAL)
                       : ::sendmsg(state_.fd, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        state_.writable = false;
    } else {
        broken_ = true;
    }
    return 0;
}

Task<std::optional<std::string_view>> Connection::read_raw_impl(std::uint64_t timeout_ms,
                                                                bool more) {
    phase_ = Phase::upgraded;
    if (draining_ || aborted_ || broken_) co_return std::nullopt;
    if (!more && body_pos_ < len_) co_return std::string_view(buf_ + body_pos_, len_ - body_pos_);
    // Keep the request head in place; move what is unconsumed down to just after it.
    std::size_t keep = len_ - body_pos_;
    if (body_pos_ > head_end_) {
        std::memmove(buf_ + head_end_, buf_ + body_pos_, keep);
        len_ = head_end_ + keep;
        body_pos_ = head_end_;
    }
    if (len_ == cap_) co_return std::nullopt;  // the caller never consumed: a protocol error
    if (!co_await fill(timeout_ms)) co_return std::nullopt;
    co_return std::string_view(buf_ + body_pos_, len_ - body_pos_);
}

Task<bool> Connection::send_file_impl(int fd, std::uint64_t offset, std::uint64_t count) {
    if (broken_) co_return false;
    // Corked, the file leaves in full-sized segments instead of one push per piece that
    // sendfile hands TCP: a quarter less CPU for a large file over loopback (1 GiB: 490 ms ->
    // 365 ms, the same as nginx's `sendfile on; tcp_nopush on`). Two system calls, so only
    // for files where that is noise.
    constexpr std::uint64_t cork_from = 64 * 1024;
    const bool cork = count >= cork_from;
    if (cork) io::set_cork(state_.fd, true);
    // The head (and anything before it) goes first, through the normal path.
    bool ok = co_await flush(limits_.write_timeout_ms);
    auto off = static_cast<off_t>(offset);
    while (ok && count > 0 && !broken_) {
        if (!state_.writable) {
            ok = co_await TimedWait{*this, true, limits_.write_timeout_ms};
            continue;
        }
        std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(count, 1u << 30));
        ssize_t n = ::sendfile(state_.fd, fd, &off, chunk);
        if (n > 0) {
            count -= static_cast<std::uint64_t>(n);
        } else if (n == 0) {
            close_after_ = true;  // the file is shorter than promised: the framing is broken
            ok = false;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            state_.writable = false;
        } else if (errno != EINTR) {
            ok = false;
        }
    }
    if (cork) io::set_cork(state_.fd, false);  // sends the last partial segment now
    if (!ok) broken_ = true;
    co_return ok && !broken_;
}

Task<void> Connection::wait_closed_impl() {
    // Woken by the peer hanging up (the worker resumes the `closer` slot), a drain or an
    // abort. Reads nothing: bytes the client sends stay for whoever reads them.
    while (!broken_ && !state_.hangup && !draining_ && !aborted_) co_await CloseWait{*this, {}};
}

Task<void> Connection::serve() {
    for (;;) {
        // Run every complete request in the buffer; responses accumulate in out_.
        while (buf_ && pos_ < len_ && !close_after_) {
            RequestHead& head = req_.head();
            ParseResult r = parser_.parse({buf_ + pos_, len_ - pos_}, head);
            if (r.status == ParseResult::Status::incomplete) break;
            if (r.status == ParseResult::Status::error) {
                handle_protocol_error(r.error_status, r.reason);
                break;
            }
            head_end_ = pos_ + r.consumed;
            body_pos_ = head_end_;
            body_kind_ = head.body_kind;
            body_left_ = head.body_kind == BodyKind::length ? head.content_length : 0;
            body_done_ = head.body_kind == BodyKind::none ||
                         (head.body_kind == BodyKind::length && head.content_length == 0);
            body_read_ = 0;
            body_error_ = 0;
            body_limit_ = limits_.max_body;
            continue_sent_ = false;
            if (body_kind_ == BodyKind::chunked) chunked_.reset();
            phase_ = Phase::handling;
            ++t_stats.requests;

            Response res;
            Task<Response> task;
            if (!service_.handle(req_, res, task)) res = co_await std::move(task);

            finish_request_body();
            bool keep =
                head.keep_alive && !res.wants_close() && !close_after_ && !draining_ && !broken_;
            if (!res.is_already_sent()) {
                ResponseContext ctx{current_date(), head.method == "HEAD", keep,
                                    head.version_minor};
                serialize(res, ctx, out_);
            }
            if (!keep) close_after_ = true;
            pos_ = body_pos_;
            req_.reset();
            phase_ = Phase::head;
            head_started_ms_ = io::Worker::current()->now_ms();
            if (out_.size() - out_pos_ >= kFlushThreshold &&
                !co_await flush(limits_.write_timeout_ms))
                co_return;
        }
        // One write for the whole batch.
        if (out_pos_ < out_.size() && !try_flush() && !co_await flush(limits_.write_timeout_ms))
            co_return;
        if (close_after_ || broken_ || aborted_) co_return;

        std::uint64_t timeout = limits_.idle_timeout_ms;
        if (pos_ == len_) {
            release_buffer();
            phase_ = Phase::idle;
            if (draining_) co_return;
        } else {
            if (pos_ > 0) {
                std::memmove(buf_, buf_ + pos_, len_ - pos_);
                len_ -= pos_;
                pos_ = 0;
            }
            // The header timeout runs from the request's first byte, not from the last read:
            // a client trickling one byte at a time cannot hold the connection forever.
            std::uint64_t now = io::Worker::current()->now_ms();
            std::uint64_t elapsed = now - head_started_ms_;
            timeout =
                elapsed >= limits_.header_timeout_ms ? 1 : limits_.header_timeout_ms - elapsed;
        }
        bool was_idle = phase_ == Phase::idle;
        if (!co_await fill(timeout)) {
            if (timed_out_ && !was_idle && !broken_) {
                handle_protocol_error(408, "request header timeout");
                co_await flush(limits_.write_timeout_ms);
            }
            co_return;
        }
        if (was_idle) {
            phase_ = Phase::head;
            head_started_ms_ = io::Worker::current()->now_ms();
        }
    }
}

}  // namespace gannet::http
