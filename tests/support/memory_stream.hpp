// An io::Stream in memory, for tests of the protocols that sit on a stream (the HTTP/1
// connection first), in the spirit of Beast's test::stream and fail_count: no socket, no
// epoll, and every branch a real socket can take is scriptable.
//
// make_memory_stream() returns two ends: the MemoryStream, which the code under test owns (and
// destroys when it is done), and a MemoryPeer, the client's end, which the test keeps. The
// peer outlives the stream: it records everything and tells whether the stream still exists,
// so a test can check that a connection let go of its stream after it ended.
//
// What a test can script, from the peer:
//  - input arrives in pieces: feed(bytes) at any time; set_read_limit(n) makes each read
//    return at most n bytes (partial reads);
//  - output: set_write_limit(m) makes each write take at most m bytes; a write that could not
//    take everything it was given reports would_block, and writing stays blocked until the
//    client reads (drain_output()) or, with set_auto_drain(true), until the next turn of the
//    loop. set_output_capacity(c) bounds the bytes the client has not read yet (backpressure);
//  - the end: hang_up() (the client closes its sending side: end of stream after the buffered
//    input; writing still works), reset() (the connection fails both ways);
//  - failure injection: fail_at(n) makes the n-th operation (read, write or sendfile, counted
//    from 1 since the stream was made) fail with IoError::reset, and every later one with it,
//    as a reset socket does. Walking n = 1, 2, ... reaches every error path of the code under
//    test (stop when failed() stays false: the script ran out before the n-th operation).
//
// Readiness follows the edge-triggered poller in io/worker.cpp: an event sets the flag in
// state_ and resumes the coroutine parked there (closer first, then reader, then writer).
// Events the test causes (feed, hang_up, drain_output, reset) are delivered at once, so call
// them on the stream's worker from the top of the loop (a function posted to the worker), as
// the poller would; events the stream causes itself (a reset after an injected failure, the
// room made by auto-drain) are posted to the worker, so that no coroutine is resumed from
// inside the operation it is running.
//
// Threading: everything here runs on the worker that owns the stream. The peer's getters may
// be read from another thread only once that worker has stopped.
#pragma once

#include "io/stream.hpp"
#include "io/worker.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace gannet::test {

class MemoryStream;

/// The client's end of a MemoryStream (see the file comment).
class MemoryPeer : public std::enable_shared_from_this<MemoryPeer> {
  public:
    static constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

    // --- scripting (on the stream's worker) ---------------------------------------------
    /// The client sends `bytes`: they are buffered and a parked reader resumes.
    inline void feed(std::string_view bytes);
    /// The client closes its sending side: reads return the buffered input, then eof.
    inline void hang_up();
    /// The connection fails (a reset from the client): every operation from now on fails.
    inline void reset();
    /// The client reads up to `max` bytes of what was written; that makes room again, and a
    /// parked writer resumes. Returns the bytes read.
    inline std::string drain_output(std::size_t max = kUnlimited);
    /// At most `n` bytes per read (0: no limit).
    void set_read_limit(std::size_t n) noexcept { read_limit_ = n == 0 ? kUnlimited : n; }
    /// At most `m` bytes per write (0: no limit); see the file comment.
    void set_write_limit(std::size_t m) noexcept { write_limit_ = m == 0 ? kUnlimited : m; }
    /// At most `c` bytes written and not yet read by the client (0: no limit).
    void set_output_capacity(std::size_t c) noexcept { capacity_ = c == 0 ? kUnlimited : c; }
    /// When on, a blocked write unblocks on the next turn of the loop (the client reads all).
    void set_auto_drain(bool on) noexcept { auto_drain_ = on; }
    /// The n-th operation (1-based, counted since the stream was made) fails with a reset.
    void fail_at(std::size_t n) noexcept { fail_at_ = n; }
    /// Makes the stream's can_sendfile() true: sendfile() then reads the file with pread and
    /// writes it under the same limits as write().
    void set_sendfile(bool on) noexcept { sendfile_ = on; }
    /// What peer_address() reports.
    void set_peer_address(std::string a) { peer_address_ = std::move(a); }

    // --- what happened ------------------------------------------------------------------
    /// Everything written, in order (including what the client has read already).
    const std::string& written() const noexcept { return written_; }
    /// What the client has not read yet.
    std::string_view unread() const noexcept {
        return std::string_view(written_).substr(read_upto_);
    }
    /// Input fed and not read by the stream's owner yet.
    std::size_t pending_input() const noexcept { return input_.size() - input_pos_; }
    std::size_t reads() const noexcept { return reads_; }    ///< read() calls
    std::size_t writes() const noexcept { return writes_; }  ///< write() and sendfile() calls
    /// write() and sendfile() calls that moved at least one byte.
    std::size_t writes_with_data() const noexcept { return writes_with_data_; }
    std::size_t operations() const noexcept { return ops_; }  ///< all try-operations
    bool attached() const noexcept { return attached_; }
    bool write_shut() const noexcept { return write_shut_; }  ///< shutdown_write() was called
    bool both_shut() const noexcept { return both_shut_; }    ///< shutdown_both() was called
    bool closed() const noexcept { return closed_; }          ///< close() was called
    /// Input the client had sent and nobody had read when close() came: on a real socket,
    /// closing then sends a reset, which can destroy the last response before the client
    /// reads it (RFC 9112 §9.6). 0 after a graceful close.
    std::size_t unread_at_close() const noexcept { return unread_at_close_; }
    /// True while the MemoryStream object exists (its owner has not destroyed it yet).
    bool alive() const noexcept { return stream_ != nullptr; }
    /// True once an injected failure (fail_at) or reset() happened.
    bool failed() const noexcept { return failed_; }
    bool hung_up() const noexcept { return hung_up_; }
    /// True while a coroutine is parked waiting to read: the owner has done all it can with
    /// the input so far (a test's "quiet" point before the next piece).
    inline bool waiting_for_input() const noexcept;

  private:
    friend class MemoryStream;
    friend std::pair<std::unique_ptr<MemoryStream>, std::shared_ptr<MemoryPeer>>
    make_memory_stream();
    MemoryPeer() = default;

    // Schedules `events` for the stream on its worker (not from inside an operation); with
    // `drain`, the client first reads everything written.
    inline void post_events(unsigned events, bool drain = false);

    MemoryStream* stream_ = nullptr;
    std::string input_;
    std::size_t input_pos_ = 0;
    std::string written_;
    std::size_t read_upto_ = 0;  // the client has read written_[0, read_upto_)
    std::size_t read_limit_ = kUnlimited;
    std::size_t write_limit_ = kUnlimited;
    std::size_t capacity_ = kUnlimited;
    std::size_t fail_at_ = 0;
    std::size_t ops_ = 0;
    std::size_t reads_ = 0;
    std::size_t writes_ = 0;
    std::size_t writes_with_data_ = 0;
    std::size_t unread_at_close_ = 0;
    bool auto_drain_ = false;
    bool sendfile_ = false;
    bool write_blocked_ = false;  // a write stopped short: blocked until room is made
    bool attached_ = false;
    bool write_shut_ = false;
    bool both_shut_ = false;
    bool closed_ = false;
    bool hung_up_ = false;
    bool failed_ = false;
    std::string peer_address_ = "memory:1";
};

/// The io::Stream the code under test owns.
class MemoryStream final : public io::Stream {
  public:
    // Poller events, as io/worker.cpp dispatches them.
    static constexpr unsigned kIn = 1;
    static constexpr unsigned kOut = 2;
    static constexpr unsigned kHangup = 4;

    ~MemoryStream() override {
        close();
        peer_->stream_ = nullptr;
    }

    /// Registers nothing (there is no descriptor). Like TcpStream, a new stream is readable
    /// (try before waiting) and writable.
    void attach() override {
        peer_->attached_ = true;
        state_.readable = true;
        state_.writable = true;
    }

    io::IoResult read(std::span<char> buf) noexcept override {
        MemoryPeer& p = *peer_;
        ++p.reads_;
        if (inject_failure()) return {0, io::IoError::reset};
        if (p.both_shut_) return {0, io::IoError::eof};
        std::size_t avail = p.input_.size() - p.input_pos_;
        if (avail == 0) {
            if (p.hung_up_) return {0, io::IoError::eof};
            state_.readable = false;
            return {0, io::IoError::would_block};
        }
        std::size_t n = std::min({buf.size(), avail, p.read_limit_});
        std::copy_n(p.input_.data() + p.input_pos_, n, buf.data());
        p.input_pos_ += n;
        if (p.input_pos_ == p.input_.size()) {
            p.input_.clear();
            p.input_pos_ = 0;
            // Drained: the next read waits for an edge, as TcpStream's short read does. Not
            // after a hang-up: the end of stream is still to be read.
            if (!p.hung_up_) state_.readable = false;
        }
        return {n, io::IoError::none};
    }

    io::IoResult write(std::span<const std::string_view> pieces) noexcept override {
        std::size_t total = 0;
        for (std::string_view piece : pieces) total += piece.size();
        if (total == 0) return {0, io::IoError::none};  // no system call for nothing
        MemoryPeer& p = *peer_;
        ++p.writes_;
        if (inject_failure()) return {0, io::IoError::reset};
        if (p.write_shut_ || p.both_shut_) return {0, io::IoError::reset};  // EPIPE
        std::size_t room = room_for(total);
        std::size_t left = room;
        for (std::string_view piece : pieces) {
            std::size_t k = std::min(left, piece.size());
            p.written_.append(piece.substr(0, k));
            left -= k;
        }
        return finish_write(room, total);
    }

    bool can_sendfile() const noexcept override { return peer_->sendfile_; }

    io::IoResult sendfile(int fd, std::uint64_t& offset, std::size_t count) noexcept override {
        if (count == 0) return {0, io::IoError::none};
        MemoryPeer& p = *peer_;
        ++p.writes_;
        if (inject_failure()) return {0, io::IoError::reset};
        if (p.write_shut_ || p.both_shut_) return {0, io::IoError::reset};
        // Like sendfile(2), a call may move less than asked (here at most 64 KiB) without
        // the socket being full; only the room left makes it block.
        const std::size_t want = std::min<std::size_t>(count, 64 * 1024);
        std::size_t room = room_for(want);
        if (room == 0) return finish_write(0, want);
        std::string tmp(room, '\0');
        ssize_t got = ::pread(fd, tmp.data(), room, static_cast<off_t>(offset));
        if (got <= 0) return {0, io::IoError::file};  // the file ended early
        auto n = static_cast<std::size_t>(got);
        p.written_.append(tmp, 0, n);
        offset += n;
        if (n < room) {  // the file ended within this piece: the next call says so
            ++p.writes_with_data_;
            return {n, io::IoError::none};
        }
        return finish_write(n, want);
    }

    void shutdown_write() noexcept override { peer_->write_shut_ = true; }
    void shutdown_both() noexcept override { peer_->both_shut_ = true; }
    void close() noexcept override {
        if (peer_->closed_) return;
        peer_->closed_ = true;
        peer_->unread_at_close_ = peer_->pending_input();
        io::Worker::forget(state_);
    }

    std::string_view peer_address() const noexcept override { return peer_->peer_address_; }
    std::string_view local_address() const noexcept override { return "memory:0"; }

    /// Delivers poller events: what io/worker.cpp does for EPOLLRDHUP/EPOLLIN/EPOLLOUT.
    void deliver(unsigned events) {
        if (peer_->closed_) return;  // a closed descriptor has left the poller
        if (events & kHangup) {
            state_.hangup = true;
            if (auto h = std::exchange(state_.closer, {})) h.resume();
        }
        if (events & (kIn | kHangup)) {
            state_.readable = true;
            if (auto h = std::exchange(state_.reader, {})) h.resume();
        }
        if (events & kOut) {
            state_.writable = true;
            if (auto h = std::exchange(state_.writer, {})) h.resume();
        }
    }

  private:
    friend class MemoryPeer;
    friend std::pair<std::unique_ptr<MemoryStream>, std::shared_ptr<MemoryPeer>>
    make_memory_stream();
    explicit MemoryStream(std::shared_ptr<MemoryPeer> peer) : peer_(std::move(peer)) {
        peer_->stream_ = this;
    }

    // True when this operation is the one to fail, or one after it.
    bool inject_failure() noexcept {
        MemoryPeer& p = *peer_;
        ++p.ops_;
        if (p.failed_) return true;
        if (p.fail_at_ == 0 || p.ops_ < p.fail_at_) return false;
        p.failed_ = true;
        p.post_events(kIn | kOut | kHangup);  // EPOLLERR | EPOLLHUP, on the next turn
        return true;
    }

    // How much of `want` bytes a write may take now.
    std::size_t room_for(std::size_t want) const noexcept {
        const MemoryPeer& p = *peer_;
        if (p.write_blocked_) return 0;
        std::size_t unread = p.written_.size() - p.read_upto_;
        std::size_t space = p.capacity_ > unread ? p.capacity_ - unread : 0;
        return std::min({want, p.write_limit_, space});
    }

    io::IoResult finish_write(std::size_t moved, std::size_t offered) noexcept {
        MemoryPeer& p = *peer_;
        if (moved > 0) ++p.writes_with_data_;
        if (moved == offered) return {moved, io::IoError::none};
        // Stopped short: the socket is "full" until the client reads.
        p.write_blocked_ = true;
        state_.writable = false;
        if (p.auto_drain_) p.post_events(kOut, true);
        return {moved, io::IoError::would_block};
    }

    std::shared_ptr<MemoryPeer> peer_;
};

/// Makes a connected pair: the stream for the code under test and the test's end.
inline std::pair<std::unique_ptr<MemoryStream>, std::shared_ptr<MemoryPeer>> make_memory_stream() {
    std::shared_ptr<MemoryPeer> peer(new MemoryPeer());
    std::unique_ptr<MemoryStream> stream(new MemoryStream(peer));
    return {std::move(stream), std::move(peer)};
}

bool MemoryPeer::waiting_for_input() const noexcept {
    return stream_ && static_cast<bool>(stream_->state_.reader);
}

void MemoryPeer::feed(std::string_view bytes) {
    input_.append(bytes);
    if (stream_ && !bytes.empty()) stream_->deliver(MemoryStream::kIn);
}

void MemoryPeer::hang_up() {
    hung_up_ = true;
    if (stream_) stream_->deliver(MemoryStream::kIn | MemoryStream::kHangup);
}

void MemoryPeer::reset() {
    failed_ = true;
    if (stream_) stream_->deliver(MemoryStream::kIn | MemoryStream::kOut | MemoryStream::kHangup);
}

std::string MemoryPeer::drain_output(std::size_t max) {
    std::string got(unread().substr(0, max));
    read_upto_ += got.size();
    if (write_blocked_) {
        write_blocked_ = false;
        if (stream_) stream_->deliver(MemoryStream::kOut);
    }
    return got;
}

void MemoryPeer::post_events(unsigned events, bool drain) {
    io::Worker* w = io::Worker::current();
    if (!w) return;
    w->post([self = shared_from_this(), events, drain] {
        if (drain) {
            (void)self->drain_output();  // delivers kOut itself
        } else if (self->stream_) {
            self->stream_->deliver(events);
        }
    });
}

}  // namespace gannet::test
