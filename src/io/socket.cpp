#include "io/socket.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace gannet::io {

namespace {
[[noreturn]] void fail(const std::string& what, const std::string& host, std::uint16_t port,
                       int err) {
    throw std::runtime_error("gannet: cannot listen on " + host + ":" + std::to_string(port) +
                             ": " + what + ": " + std::strerror(err));
}
}  // namespace

int listen_tcp(const std::string& host, std::uint16_t port, bool reuse_port, bool join_existing,
               int backlog) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    std::string service = std::to_string(port);
    int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res);
    if (rc != 0) {
        throw std::runtime_error("gannet: cannot listen on " + host + ":" + service + ": " +
                                 gai_strerror(rc));
    }
    int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int err = errno;
        freeaddrinfo(res);
        fail("socket", host, port, err);
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port && port != 0 && !join_existing) {
        // SO_REUSEPORT would let us join another process's listener on this port and silently
        // share its traffic. Probe with a plain socket first: it fails if anyone listens here.
        int probe = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0) {
            setsockopt(probe, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            int rc_probe = ::bind(probe, res->ai_addr, res->ai_addrlen);
            int err = errno;
            ::close(probe);
            if (rc_probe != 0) {
                freeaddrinfo(res);
                ::close(fd);
                fail("bind", host, port, err);
            }
        }
    }
    if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    // HTTP clients speak first: let accept() return only once the request has arrived, which
    // saves a wake-up and an empty read per connection (the kernel still completes the
    // handshake; a silent client is accepted after the timeout and meets the header timeout).
    int defer_seconds = 10;
    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_seconds, sizeof defer_seconds);
    if (::bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
        int err = errno;
        freeaddrinfo(res);
        ::close(fd);
        fail("bind", host, port, err);
    }
    freeaddrinfo(res);
    if (::listen(fd, backlog) != 0) {
        int err = errno;
        ::close(fd);
        fail("listen", host, port, err);
    }
    return fd;
}

std::uint16_t local_port(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
    if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    return 0;
}

void set_cork(int fd, bool on) noexcept {
    int v = on ? 1 : 0;
    setsockopt(fd, IPPROTO_TCP, TCP_CORK, &v, sizeof v);
}

void close_fd(int fd) noexcept {
    if (fd >= 0) ::close(fd);
}

Listener::Listener(int fd, std::size_t max_sessions, AcceptFn on_accept)
    : max_sessions_(max_sessions), on_accept_(std::move(on_accept)) {
    state_.fd = fd;
}

Listener::~Listener() {
    if (!closed_) Worker::current()->close(state_);
}

void Listener::start() {
    Worker* w = Worker::current();
    w->watch(state_);
    w->on_session_end = [this] { resume_if_paused(); };
    spawn(loop());
}

void Listener::resume_if_paused() {
    if (paused_ && Worker::current()->sessions() <= max_sessions_) {
        paused_ = false;
        unpaused_.wake();
    }
}

void Listener::drain() {
    if (closed_) return;
    closed_ = true;
    Worker* w = Worker::current();
    w->on_session_end = nullptr;
    auto reader = std::exchange(state_.reader, {});
    w->close(state_);
    set_finished();
    // Wake the loop wherever it waits, so it sees closed_ and its frame is freed.
    if (reader) reader.resume();
    unpaused_.wake();
}

Task<void> Listener::loop() {
    Worker* w = Worker::current();
    while (!closed_) {
        co_await Readable{state_};
        if (closed_) break;
        for (;;) {
            // The listener itself counts as a session: cap applies to connections.
            if (w->sessions() > max_sessions_) {
                paused_ = true;
                ++pauses_;
                co_await unpaused_.wait();
                if (closed_) co_return;
            }
            sockaddr_storage peer{};
            socklen_t peer_len = sizeof peer;
            int fd = ::accept4(state_.fd, reinterpret_cast<sockaddr*>(&peer), &peer_len,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                // EAGAIN: drained. EMFILE/ENFILE: out of descriptors; wait for the next edge
                // (a closing connection frees one) rather than spin.
                state_.readable = false;
                break;
            }
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            on_accept_(fd, peer);
        }
    }
}

}  // namespace gannet::io
