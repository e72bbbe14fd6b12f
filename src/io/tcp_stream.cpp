#include "io/tcp_stream.hpp"

#include "io/socket.hpp"

#include <gannet/detail/assert.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/sendfile.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace gannet::io {

std::size_t format_address(const sockaddr_storage& ss, char* out, std::size_t size) noexcept {
    char host[INET6_ADDRSTRLEN] = "?";
    int n = 0;
    if (ss.ss_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        n = std::snprintf(out, size, "%s:%u", host, static_cast<unsigned>(ntohs(a->sin_port)));
    } else if (ss.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        n = std::snprintf(out, size, "[%s]:%u", host, static_cast<unsigned>(ntohs(a->sin6_port)));
    } else {
        n = std::snprintf(out, size, "unknown");
    }
    if (n < 0) n = 0;
    return std::min(static_cast<std::size_t>(n), size - 1);
}

TcpStream::TcpStream(int fd, const sockaddr_storage& peer) {
    state_.fd = fd;
    format_address(peer, peer_, sizeof peer_);
}

TcpStream::~TcpStream() {
    close();
}

void TcpStream::attach() {
    worker_ = Worker::current();
    GANNET_ASSERT(worker_ != nullptr, "a stream is attached on a worker's thread");
    worker_->watch(state_);
    // Data usually arrives with the connection (TCP_DEFER_ACCEPT): try reading before waiting
    // for an edge; and a new socket has room to write.
    state_.readable = true;
    state_.writable = true;
}

void TcpStream::attach_connecting() {
    attach();
    state_.readable = false;
    state_.writable = false;
}

IoResult TcpStream::read(std::span<char> buf) noexcept {
    for (;;) {
        ssize_t n = ::recv(state_.fd, buf.data(), buf.size(), 0);
        if (n > 0) {
            // A short read drained the socket: with edge-triggered polling, data arriving later
            // raises a new edge, so the next read waits instead of spending a recv() on EAGAIN
            // (one syscall less per request on keep-alive traffic). Not after a hang-up: the
            // FIN came with this data and its edge is spent, so the next recv() must run to see
            // the end of the stream.
            if (static_cast<std::size_t>(n) < buf.size() && !state_.hangup) {
                state_.readable = false;
            }
            return {static_cast<std::size_t>(n), IoError::none};
        }
        if (n == 0) return {0, IoError::eof};
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            state_.readable = false;
            return {0, IoError::would_block};
        }
        return {0, IoError::reset};
    }
}

IoResult TcpStream::send_one(std::string_view data) noexcept {
    for (;;) {
        ssize_t n = ::send(state_.fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n >= 0) {
            auto sent = static_cast<std::size_t>(n);
            if (sent < data.size()) {
                state_.writable = false;  // the socket buffer is full
                return {sent, IoError::would_block};
            }
            return {sent, IoError::none};
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            state_.writable = false;
            return {0, IoError::would_block};
        }
        return {0, IoError::reset};
    }
}

IoResult TcpStream::write(std::span<const std::string_view> pieces) noexcept {
    // One piece (a batch of responses) is the request path's case: straight to send().
    if (pieces.size() == 1) return pieces[0].empty() ? IoResult{} : send_one(pieces[0]);
    // One contiguous piece goes through send(), the kernel's cheaper path than sendmsg()'s
    // iovecs: a response batch or a broadcast frame as it is, small pieces copied together.
    constexpr std::size_t kCopyLimit = 1024;
    constexpr std::size_t kMaxPieces = 8;
    std::size_t total = 0;
    std::size_t nonempty = 0;
    std::string_view only;
    for (std::string_view p : pieces) {
        total += p.size();
        if (!p.empty()) {
            ++nonempty;
            only = p;
        }
    }
    if (total == 0) return {0, IoError::none};
    char small[kCopyLimit];
    if (nonempty > 1 && total <= kCopyLimit) {
        std::size_t at = 0;
        for (std::string_view p : pieces) {
            if (p.empty()) continue;  // an empty view may have no data pointer at all
            std::memcpy(small + at, p.data(), p.size());
            at += p.size();
        }
        only = {small, total};
        nonempty = 1;
    }
    if (nonempty == 1) return send_one(only);
    iovec iov[kMaxPieces];
    std::size_t k = 0;
    std::size_t offered = 0;  // what this call hands the kernel (at most kMaxPieces pieces)
    for (std::string_view p : pieces) {
        if (p.empty() || k == kMaxPieces) continue;
        iov[k++] = {const_cast<char*>(p.data()), p.size()};
        offered += p.size();
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = k;
    for (;;) {
        ssize_t n = ::sendmsg(state_.fd, &msg, MSG_NOSIGNAL);
        if (n >= 0) {
            auto sent = static_cast<std::size_t>(n);
            if (sent < offered) {
                state_.writable = false;  // the socket buffer is full
                return {sent, IoError::would_block};
            }
            return {sent, IoError::none};  // all of it, or all of the first kMaxPieces
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            state_.writable = false;
            return {0, IoError::would_block};
        }
        return {0, IoError::reset};
    }
}

IoResult TcpStream::sendfile(int fd, std::uint64_t& offset, std::size_t count) noexcept {
    for (;;) {
        auto off = static_cast<off_t>(offset);
        ssize_t n = ::sendfile(state_.fd, fd, &off, count);
        if (n > 0) {
            offset = static_cast<std::uint64_t>(off);
            return {static_cast<std::size_t>(n), IoError::none};
        }
        if (n == 0) return {0, IoError::file};  // the file is shorter than promised
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            state_.writable = false;
            return {0, IoError::would_block};
        }
        // EPIPE/ECONNRESET are the peer's; EIO, EINVAL and the like are the file's. Either way
        // the response cannot go on, and the connection must end.
        return {0, errno == EPIPE || errno == ECONNRESET ? IoError::reset : IoError::file};
    }
}

void TcpStream::cork(bool on) noexcept {
    set_cork(state_.fd, on);
}

void TcpStream::shutdown_write() noexcept {
    if (state_.fd >= 0) ::shutdown(state_.fd, SHUT_WR);
}

void TcpStream::shutdown_both() noexcept {
    if (state_.fd >= 0) ::shutdown(state_.fd, SHUT_RDWR);
}

void TcpStream::close() noexcept {
    if (state_.fd < 0) return;
    if (worker_ != nullptr) {
        worker_->close(state_);  // forgets the waiters, leaves the poller, closes
    } else {
        close_fd(state_.fd);  // never attached
        state_.fd = -1;
    }
}

std::string_view TcpStream::local_address() const noexcept {
    if (local_.empty() && state_.fd >= 0) {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        char buf[64];
        if (getsockname(state_.fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
            local_.assign(buf, format_address(ss, buf, sizeof buf));
        }
    }
    return local_;
}

}  // namespace gannet::io
