#include "http/connection.hpp"

#include "http/serializer.hpp"
#include "io/file.hpp"

#include <gannet/detail/assert.hpp>
#include <gannet/log.hpp>

#include <algorithm>
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

constexpr std::size_t kFlushThreshold = 64 * 1024;

}  // namespace

Connection::Connection(std::unique_ptr<io::Stream> stream, const ServerLimits& limits,
                       Service& service, ConnectionStats& stats)
    : stream_(stream.get()),
      owned_stream_(std::move(stream)),
      limits_(limits),
      service_(service),
      stats_(stats),
      parser_(limits.parser) {
    stats_.connections.bump();
    req_.attach(this, stream_->peer_address());
}

Connection::~Connection() {
    stream_->close();
    release_buffer();
}

void Connection::start() {
    stream_->attach();
    task_ = run();
    task_.start();
}

bool Connection::after_wait(io::WaitResult r, bool reading) noexcept {
    if (reading) timed_out_ = r == io::WaitResult::timed_out;
    if (r == io::WaitResult::timed_out) {
        stats_.timeouts.bump();
        return false;
    }
    if (aborted_) return false;
    // An upgraded connection (WebSocket) is told about a drain by the end of its read; any
    // other cancelled wait simply checks again.
    return !(reading && draining_ && phase_ == Phase::upgraded);
}

void Connection::drain() {
    draining_ = true;
    if (phase_ == Phase::idle) {
        aborted_ = true;
        stream_->cancel_waits();
    } else {
        // A WebSocket read or an SSE wait_closed() sees the drain; a body read waits again.
        stream_->cancel_read_waits();
    }
    waiters_.wake_all();
}

void Connection::abort() {
    aborted_ = true;
    broken_ = true;
    stream_->shutdown_both();
    stream_->cancel_waits();
    waiters_.wake_all();
}

void Connection::acquire_buffer() {
    if (!buf_) {
        cap_ = limits_.parser.max_header_bytes + limits_.body_window;
        buf_ = t_buffers.get(cap_);
    }
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
        // Closing with input still unread (pipelined requests after a `Connection: close`, a
        // drain) is as much a reason to close in stages as an early error.
        if (close_after_ && !timed_out_ && (pos_ < len_ || stream_->readable())) linger_ = true;
        if (linger_ && !broken_ && !aborted_) co_await linger();
    } catch (const std::exception& e) {
        std::string_view peer = stream_->peer_address();
        GANNET_LOG(LogLevel::error, "connection from %.*s failed: %s",
                   static_cast<int>(peer.size()), peer.data(), e.what());
    }
    stream_->close();
    release_buffer();
    set_finished();
}

Task<void> Connection::linger() {
    // RFC 9112 §9.6: closing at once while the client is still sending makes the kernel answer
    // its next segment with a reset, which can destroy our response before the client reads
    // it. So: end our side, then read and discard until the client closes too, for a bounded
    // time.
    stream_->shutdown_write();
    acquire_buffer();
    const std::uint64_t deadline = io::Worker::current()->now_ms() + limits_.linger_timeout_ms;
    bool done = false;
    while (!done && !aborted_) {
        std::uint64_t now = io::Worker::current()->now_ms();
        if (now >= deadline) break;
        if (!stream_->readable()) {
            io::WaitResult w = co_await stream_->wait_readable(deadline - now);
            done = w != io::WaitResult::ready;
            continue;
        }
        io::IoResult r = stream_->read({buf_, cap_});
        done = r.error != io::IoError::none && r.error != io::IoError::would_block;
    }
}

Task<bool> Connection::fill(std::uint64_t timeout_ms) {
    // One co_return at the end and no co_return inside the loop: see the note on send_out().
    acquire_buffer();
    timed_out_ = false;
    enum class Outcome : std::uint8_t { pending, got_bytes, failed };
    Outcome outcome = Outcome::pending;
    while (outcome == Outcome::pending) {
        if (aborted_) {
            outcome = Outcome::failed;
        } else if (stream_->readable() && len_ == cap_) {
            outcome = Outcome::got_bytes;  // the buffer is full: the caller decides
        } else if (stream_->readable()) {
            io::IoResult r = stream_->read({buf_ + len_, cap_ - len_});
            if (r.bytes > 0) {
                len_ += r.bytes;
                outcome = Outcome::got_bytes;
            } else if (r.error != io::IoError::would_block) {
                broken_ = true;
                outcome = Outcome::failed;
            }
        } else {
            // Nothing buffered: wait without a buffer, so that connections waiting for their
            // first (or next) request cost their socket and this object, not a read buffer.
            if (len_ == 0) release_buffer();
            io::WaitResult w = co_await stream_->wait_readable(timeout_ms);
            if (after_wait(w, true)) {
                acquire_buffer();
            } else {
                outcome = Outcome::failed;
            }
        }
    }
    co_return outcome == Outcome::got_bytes;
}

bool Connection::try_send_out() noexcept {
    while (out_pos_ < out_.size()) {
        if (!stream_->writable()) return false;
        std::string_view pending(out_.data() + out_pos_, out_.size() - out_pos_);
        io::IoResult r = stream_->write({&pending, 1});
        out_pos_ += r.bytes;
        if (r.error == io::IoError::would_block) return false;
        if (r.error != io::IoError::none) {
            broken_ = true;
            out_pos_ = out_.size();
        }
    }
    out_.clear();
    out_pos_ = 0;
    return !broken_;
}

// Written as a while loop on purpose: GCC 12 miscompiled the equivalent
// `for (;;) { if (try_flush()) co_return true; ... if (!co_await ...) ... }` (the ramp handed out
// a frame pointer 8 bytes off, so the first resume ran garbage). Clang compiles both right.
Task<bool> Connection::send_out(std::uint64_t timeout_ms) {
    while (!try_send_out()) {
        if (broken_) co_return false;
        io::WaitResult w = co_await stream_->wait_writable(timeout_ms);
        if (!after_wait(w, false)) {
            broken_ = true;
            co_return false;
        }
    }
    co_return true;
}

Task<bool> Connection::push() {
    if (broken_) co_return false;
    if (writing_) {
        // Another coroutine is sending and will send these bytes too; wait only while the
        // backlog is over the limit (that is the backpressure).
        while (writing_ && !broken_ && out_.size() - out_pos_ > limits_.write_buffer_limit) {
            co_await waiters_.wait();
        }
        co_return !broken_;
    }
    writing_ = true;
    bool ok = co_await send_out(limits_.write_timeout_ms);
    writing_ = false;
    waiters_.wake_all();
    co_return ok;
}

void Connection::handle_protocol_error(int status, std::string_view reason) {
    stats_.protocol_errors.bump();
    if (log_enabled(LogLevel::debug)) {
        std::string_view peer = stream_->peer_address();
        GANNET_LOG(LogLevel::debug, "%d from %.*s: %.*s", status, static_cast<int>(peer.size()),
                   peer.data(), static_cast<int>(reason.size()), reason.data());
    }
    service_.on_protocol_error(status, reason);
    serialize_error(status, reason, current_date(), out_);
    close_after_ = true;
    // The rest of the request may still be on its way: close in stages. Not after a header
    // timeout, where the client has had its time.
    if (status != 408) linger_ = true;
}

void Connection::finish_request_body() {
    if (body_done_) return;
    if (body_error_ != BodyError::none) {
        close_after_ = true;
        linger_ = true;
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
    if (!body_done_) {
        close_after_ = true;
        linger_ = true;
    }
}

Task<std::optional<std::string_view>> Connection::read_body() {
    using CS = ChunkedDecoder::Result::Status;
    if (body_done_ || body_error_ != BodyError::none) co_return std::nullopt;
    if (body_read_ == 0 && body_kind_ == BodyKind::chunked) chunked_.set_max_body(body_limit_);
    if (req_.head().expect_continue && !continue_sent_ && body_pos_ == len_) {
        continue_sent_ = true;
        out_ += "HTTP/1.1 100 Continue\r\n\r\n";
        bool sent = co_await send_out(limits_.write_timeout_ms);
        if (!sent) {
            body_error_ = BodyError::client_gone;
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
                    body_error_ = BodyError::too_large;
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
                    body_error_ = BodyError::too_large;
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
                body_error_ = r.error_status == 413   ? BodyError::too_large
                              : r.error_status == 431 ? BodyError::trailers_too_large
                                                      : BodyError::malformed;
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
            body_error_ =
                BodyError::malformed;  // a chunk-size line longer than the whole body window
            close_after_ = true;
            co_return std::nullopt;
        }
        bool got = co_await fill(limits_.body_timeout_ms);
        if (!got) {
            body_error_ = timed_out_ ? BodyError::timed_out : BodyError::client_gone;
            close_after_ = true;
            co_return std::nullopt;
        }
    }
}

void Connection::start_response(const Response& head, std::optional<std::uint64_t> length) {
    if (resp_.started) return;
    const RequestHead& h = req_.head();
    resp_ = ResponseState{};
    resp_.started = true;
    const bool head_request = h.method == "HEAD";
    if (head.status() == 101) {
        // From here on the connection carries another protocol's bytes, unframed, and never
        // another HTTP request.
        close_after_ = true;
        serialize_upgrade(head, current_date(), out_);
        return;
    }
    resp_.length = length;
    resp_.no_body = head_request || status_has_no_body(head.status());
    // Without a length, HTTP/1.0 has no chunked coding: such a body ends when the connection
    // does.
    bool keep = h.keep_alive && !head.wants_close() &&
                (length || h.version_minor >= 1 || resp_.no_body) && !draining_ && !close_after_ &&
                !broken_;
    if (!keep) close_after_ = true;
    ResponseContext ctx{current_date(), head_request, keep, h.version_minor};
    resp_.chunked = serialize_head(head, ctx, length, out_);
}

Task<bool> Connection::write_body(std::string_view data) {
    if (broken_ || !resp_.started || resp_.finished) co_return false;
    if (!resp_.no_body) {
        if (overruns(data.size())) {
            // Writing past the declared length would corrupt the framing: cut the connection.
            close_after_ = true;
            co_return false;
        }
        if (resp_.chunked) {
            append_chunk(data, out_);
        } else {
            out_ += data;
        }
    }
    // HEAD: the head announced these bytes; they are counted and never sent.
    resp_.written += data.size();
    co_return co_await push();
}

Exchange::Direct Connection::write_body_now(std::string_view head, std::string_view body) noexcept {
    if (broken_ || aborted_ || writing_ || out_pos_ < out_.size() || !stream_->writable() ||
        !resp_.started || resp_.finished) {
        return Direct::not_sent;
    }
    const std::size_t size = head.size() + body.size();
    if (resp_.no_body) {
        resp_.written += size;
        return Direct::sent;
    }
    if (overruns(size)) return Direct::not_sent;
    char chunk_size[kChunkHeaderMax];
    std::string_view pieces[4];
    std::size_t n = 0;
    if (resp_.chunked) {
        if (size == 0) return Direct::sent;  // an empty chunk would end the body
        pieces[n++] = {chunk_size, chunk_header(size, chunk_size)};
    }
    pieces[n++] = head;
    pieces[n++] = body;
    if (resp_.chunked) pieces[n++] = "\r\n";
    std::size_t total = 0;
    for (std::size_t i = 0; i < n; ++i) total += pieces[i].size();
    io::IoResult r = stream_->write({pieces, n});
    if (r.bytes == 0) {
        if (r.error != io::IoError::would_block && r.error != io::IoError::none) broken_ = true;
        return Direct::not_sent;
    }
    resp_.written += size;
    if (r.bytes == total) return Direct::sent;
    // Keep the unsent end, framed, ahead of anything written later.
    std::size_t skip = r.bytes;
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t k = std::min(skip, pieces[i].size());
        out_.append(pieces[i].substr(k));
        skip -= k;
    }
    return Direct::partial;
}

Task<bool> Connection::send_file(int fd, std::uint64_t offset, std::uint64_t count) {
    if (broken_ || !resp_.started || resp_.finished) co_return false;
    if (resp_.no_body || count == 0) {
        resp_.written += count;
        co_return co_await push();
    }
    if (overruns(count)) {
        close_after_ = true;
        co_return false;
    }
    resp_.written += count;
    if (resp_.chunked) {
        char size[kChunkHeaderMax];
        out_.append(size, chunk_header(count, size));
    }
    // Corked, the file leaves in full-sized segments instead of one push per piece that
    // sendfile hands TCP: a quarter less CPU for a large file over loopback (1 GiB: 490 ms ->
    // 365 ms, the same as nginx's `sendfile on; tcp_nopush on`). Two system calls, so only
    // for files where that is noise.
    constexpr std::uint64_t kCorkFrom = 64 * 1024;
    const bool cork = count >= kCorkFrom && stream_->can_sendfile();
    if (cork) stream_->cork(true);
    // The head (and anything before it) goes first, through the normal path.
    bool ok = co_await send_out(limits_.write_timeout_ms);
    std::uint64_t off = offset;
    std::string copy;  // for streams that cannot sendfile (TLS): through user space
    while (ok && count > 0 && !broken_) {
        if (!stream_->writable()) {
            io::WaitResult w = co_await stream_->wait_writable(limits_.write_timeout_ms);
            ok = after_wait(w, false);
            continue;
        }
        std::size_t piece = static_cast<std::size_t>(std::min<std::uint64_t>(count, 1u << 30));
        io::IoResult r;
        if (stream_->can_sendfile()) {
            r = stream_->sendfile(fd, off, piece);
        } else {
            copy.resize(std::min<std::size_t>(piece, 64 * 1024));
            r = io::read_file_at(fd, copy, off);
            if (r.bytes > 0) {
                out_.append(copy.data(), r.bytes);
                off += r.bytes;
                ok = co_await send_out(limits_.write_timeout_ms);
            }
        }
        count -= std::min<std::uint64_t>(count, r.bytes);
        if (r.error == io::IoError::file) {
            close_after_ = true;  // the file is shorter than promised: the framing is broken
            ok = false;
        } else if (r.error == io::IoError::reset) {
            ok = false;
        }
    }
    if (cork) stream_->cork(false);  // sends the last partial segment now
    if (!ok) broken_ = true;
    if (ok && resp_.chunked) out_ += "\r\n";
    co_return ok && !broken_;
}

Task<bool> Connection::finish(std::span<const Field> trailers) {
    if (!resp_.started) co_return false;
    if (resp_.finished) co_return !closed();
    resp_.finished = true;
    if (resp_.chunked) {
        out_ += "0\r\n";
        for (const auto& [name, value] : trailers) {
            out_ += name;
            out_ += ": ";
            out_ += value;
            out_ += "\r\n";
        }
        out_ += "\r\n";
    } else if (!resp_.no_body && resp_.length && resp_.written != *resp_.length) {
        close_after_ = true;  // a short body: the client must see a close
    }
    if (closed()) co_return false;
    co_return co_await push();
}

Task<std::optional<std::string_view>> Connection::read_raw(std::uint64_t timeout_ms, bool more) {
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
    bool got = co_await fill(timeout_ms);
    if (!got) co_return std::nullopt;
    co_return std::string_view(buf_ + body_pos_, len_ - body_pos_);
}

Task<void> Connection::wait_closed() {
    // Woken by the peer hanging up (the poller resumes the hang-up waiter), a drain or an
    // abort. Reads nothing: bytes the client sends stay for whoever reads them.
    while (!broken_ && !stream_->hung_up() && !draining_ && !aborted_) {
        co_await stream_->wait_hangup();
    }
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
            body_error_ = BodyError::none;
            body_limit_ = limits_.max_body;
            continue_sent_ = false;
            if (body_kind_ == BodyKind::chunked) chunked_.reset();
            resp_ = ResponseState{};
            phase_ = Phase::handling;
            stats_.requests.bump();

            // The views in req_ point into buf_: it must not move until the response is done.
            [[maybe_unused]] const char* const buf_during_request = buf_;
            Response res;
            Task<Response> task;
            bool failed = false;
            try {
                if (!service_.handle(req_, res, task)) res = co_await std::move(task);
            } catch (const std::exception& e) {
                // The app turns handler errors into responses; this is what escaped it. The
                // responses before it in the batch still go out, and this one closes.
                std::string_view peer = stream_->peer_address();
                GANNET_LOG(LogLevel::error, "request from %.*s failed: %s",
                           static_cast<int>(peer.size()), peer.data(), e.what());
                failed = true;
            } catch (...) {
                failed = true;
            }
            if (failed) {
                res = Response::status_only(500);
                res.close();
            }

            finish_request_body();
            GANNET_ASSERT(buf_ == buf_during_request,
                          "the read buffer moved while a request was handled");
            if (res.is_already_sent() || resp_.started) {
                // Written through the exchange. A response that was not finished (a handler
                // that failed midway, an upgrade) leaves the connection unusable for another.
                if (!resp_.finished) close_after_ = true;
            } else {
                bool keep = head.keep_alive && !res.wants_close() && !close_after_ && !draining_ &&
                            !broken_;
                ResponseContext ctx{current_date(), head.method == "HEAD", keep,
                                    head.version_minor};
                serialize(res, ctx, out_);
                if (!keep) close_after_ = true;
            }
            pos_ = body_pos_;
            req_.reset();
            phase_ = Phase::head;
            head_started_ms_ = io::Worker::current()->now_ms();
            if (out_.size() - out_pos_ >= kFlushThreshold) {
                bool sent = co_await send_out(limits_.write_timeout_ms);
                if (!sent) co_return;
            }
        }
        // One write for the whole batch.
        if (out_pos_ < out_.size() && !try_send_out()) {
            bool sent = co_await send_out(limits_.write_timeout_ms);
            if (!sent) co_return;
        }
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
        bool got = co_await fill(timeout);
        if (!got) {
            if (timed_out_ && !was_idle && !broken_) {
                handle_protocol_error(408, "request header timeout");
                co_await send_out(limits_.write_timeout_ms);
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
